"""Regression cases: the moderator decisions that overruled the model, kept to test the next model on.

A case is a comment the model routed by its scores (a threshold, or a
borderline score published because the author was trusted) whose latest
labelled decision went the other way: published by the model, then rejected
or marked spam; or held or sent to the spam folder, then approved. Cases are
read from the Decision rows each time, not copied, so a moderator who reverses
a decision also removes the case, and nothing has to be kept in step.

A model gets a case right when its routing, through the same policy with its
own thresholds (and the site's overrides, as if it were active), publishes the
comment exactly when the moderator approved it. Comments held by a site rule
(banned author, moderated word, too many links, an article that holds
everything) are not cases: no model could have routed them otherwise.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from training.datasets import Post
from training.evaluate import Thresholds

from ..comments import screening
from ..comments.policy import Signals, route
from ..extensions import db
from ..models import Comment, Decision, Status
from ..queue.decisions import latest_labelled_decisions
from .scoring import Scored

#: How many newly wrong cases a comparison keeps for the Model page; the count is always complete.
NEWLY_WRONG_KEPT = 200
TRUSTED_AUTHOR_RULE = "rule.trusted_author"


class RoutingModel(Protocol):
    """What routing a case needs of a model version (``training.registry.LoadedModel`` is one)."""

    version: str
    thresholds: dict[str, Thresholds]

    def score_batch(self, comments: Sequence[Post]) -> list[dict[str, float]]: ...


@dataclass(frozen=True)
class Case:
    comment_id: int
    text: str
    author: str
    email: str
    url: str
    #: Where the model sent it, and the version that did.
    routed_status: Status
    model_version: str | None
    #: The moderator's verdict: True when they published it.
    approved: bool
    #: Routed by ``rule.trusted_author``: the author had an approved comment then, so a borderline
    #: score publishes it again. For other cases the trust is unknown and taken as absent.
    trusted_author: bool


@dataclass(frozen=True)
class Routed:
    """One model's view of one case."""

    status: Status
    scores: dict[str, float]


@dataclass(frozen=True)
class Regression:
    """A case the active model routes as the moderator decided and the candidate does not."""

    case: Case
    candidate: Routed
    active: Routed


@dataclass(frozen=True)
class OverrideComparison:
    cases: int
    candidate_right: int
    #: None when there was no active model to compare with.
    active_right: int | None
    newly_wrong: list[Regression]
    newly_right: int

    def as_json(self) -> dict[str, Any]:
        """For the training job's comparison; comment text stays in the comments table."""
        return {
            "cases": self.cases, "candidate_right": self.candidate_right, "active_right": self.active_right,
            "newly_right": self.newly_right, "newly_wrong_total": len(self.newly_wrong),
            "newly_wrong": [{"comment_id": r.case.comment_id, "approved": r.case.approved,
                             "model_version": r.case.model_version,
                             "candidate": {"status": r.candidate.status.value, "scores": r.candidate.scores},
                             "active": {"status": r.active.status.value, "scores": r.active.scores}}
                            for r in self.newly_wrong[:NEWLY_WRONG_KEPT]],
        }


def agrees(status: Status, approved: bool) -> bool:
    """A routing agrees with a moderator when it publishes exactly what they approved.

    Holding a comment the moderator then rejected counts as agreeing: the
    comment never reached readers, which is what the rejection wanted.
    """
    return (status == Status.PUBLISHED) == approved


def is_model_rule(rule: str) -> bool:
    return rule.startswith("threshold.") or rule == TRUSTED_AUTHOR_RULE


def override_cases(session: so.Session | None = None) -> list[Case]:
    """Every comment whose latest labelled decision overruled the model's routing, oldest first."""
    rows = (session or db.session).execute(
        sa.select(Comment, Decision.label)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Decision.id.in_(latest_labelled_decisions()))
        .order_by(Comment.id)
    ).all()
    cases = []
    for comment, label in rows:
        approved = label == "ok"
        if not is_model_rule(comment.route_rule) or agrees(comment.routed_status, approved):
            continue
        cases.append(Case(comment.id, comment.text, comment.author, comment.email, comment.url or "",
                          comment.routed_status, comment.model_version, approved,
                          comment.route_rule == TRUSTED_AUTHOR_RULE))
    return cases


def route_cases(model: RoutingModel, cases: Sequence[Case]) -> list[Routed]:
    """Score the cases in one batch and route each as the site would if ``model`` were active."""
    if not cases:
        return []
    scores = model.score_batch([Post(c.text, c.author, c.url, c.email) for c in cases])
    return route_scores(model.version, model.thresholds, cases, scores)


def route_scores(version: str, thresholds: dict[str, Thresholds], cases: Sequence[Case],
                 scores: Sequence[dict[str, float]]) -> list[Routed]:
    """Route each case with given scores, as the site would with ``version`` and its ``thresholds`` active."""
    # The site's rules for this model: its thresholds with the overrides in force, read once for all cases.
    settings = screening.settings(Scored(version, {}, {}, dict(thresholds)))
    routed = []
    for case, raw in zip(cases, scores, strict=True):
        case_scores = {label: float(score) for label, score in raw.items()}
        signals = Signals(text=case.text, author=case.author, email=case.email, url=case.url,
                          author_has_approved=case.trusted_author)
        routed.append(Routed(route(case_scores, signals, settings).status, case_scores))
    return routed


def compare(cases: Sequence[Case], candidate: Sequence[Routed], active: Sequence[Routed] | None
            ) -> OverrideComparison:
    """Count each model's right cases and list those only the active model gets right."""
    candidate_ok = [agrees(r.status, c.approved) for c, r in zip(cases, candidate, strict=True)]
    if active is None:
        return OverrideComparison(len(cases), sum(candidate_ok), None, [], 0)
    active_ok = [agrees(r.status, c.approved) for c, r in zip(cases, active, strict=True)]
    newly_wrong = [Regression(case, cand, act)
                   for case, cand, act, c_ok, a_ok in zip(cases, candidate, active, candidate_ok, active_ok, strict=True)
                   if a_ok and not c_ok]
    newly_right = sum(c_ok and not a_ok for c_ok, a_ok in zip(candidate_ok, active_ok, strict=True))
    return OverrideComparison(len(cases), sum(candidate_ok), sum(active_ok), newly_wrong, newly_right)


def compare_models(candidate: RoutingModel, active: RoutingModel | None) -> OverrideComparison:
    """The candidate and the active model on every past override (the training job calls this)."""
    cases = override_cases()
    return compare(cases, route_cases(candidate, cases), route_cases(active, cases) if active else None)


def newly_wrong_with_comments(overrides: dict[str, Any] | None) -> list[tuple[dict[str, Any], Comment]]:
    """A stored comparison's newly wrong cases beside their comments, for the Model page (deleted ones skipped)."""
    items = list((overrides or {}).get("newly_wrong") or [])
    ids = [item.get("comment_id") for item in items]
    query = sa.select(Comment).options(so.joinedload(Comment.article)).where(Comment.id.in_(ids))
    comments = {c.id: c for c in db.session.scalars(query)} if ids else {}
    return [(item, comments[item["comment_id"]]) for item in items if item.get("comment_id") in comments]
