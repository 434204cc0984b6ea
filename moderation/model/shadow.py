"""Shadow mode: a candidate model scores every new comment beside the active one, and acts on none.

An admin puts a version in shadow (a ``ShadowPeriod`` row records who and
when; ending it records the same). While a period is open, each comment that
enters through :func:`moderation.comments.submit.submit` is also scored by the shadow
version and routed through the same policy with that version's thresholds;
the scores and the status it would have chosen are stored as a
``ShadowScore`` and nothing else changes.

The reader must never wait for the shadow or see it fail: the scoring is part
of the comment's follow-up, which runs after the response has been sent
(:mod:`moderation.comments.followups`), and every error is logged and swallowed.

The report compares, over a period, the shadow's routing with the active
model's (a confusion table of statuses), how often each agreed with what
moderators then decided, and the comments where the two differ.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import click
import sqlalchemy as sa
from flask import Flask

from training.datasets import Post
from training.registry import RegistryError

from ..comments import screening
from ..comments.policy import Signals, route
from ..extensions import db
from ..models import Article, Comment, Decision, Moderator, ShadowPeriod, ShadowScore, Status, utcnow
from ..queue.decisions import latest_labelled_decisions
from . import regressions
from .scoring import Scored, get_scorer

log = logging.getLogger(__name__)

#: How many disagreeing comments the report lists (newest first); the counts cover all.
DISAGREEMENTS_LISTED = 100
#: The statuses a router gives, in the confusion table's order.
ROUTED = (Status.PUBLISHED, Status.PENDING, Status.SPAM)


class ShadowError(Exception):
    """A shadow request that cannot be met: unknown or unloadable version, the active one, none to stop."""


# --- the period: which version, since when ----------------------------------------------


def current_period() -> ShadowPeriod | None:
    return db.session.scalar(
        sa.select(ShadowPeriod).where(ShadowPeriod.ended_at.is_(None)).order_by(ShadowPeriod.id.desc()).limit(1)
    )


def latest_period() -> ShadowPeriod | None:
    """The open period, else the last one that ended: what the Model page reports on."""
    return db.session.scalar(sa.select(ShadowPeriod).order_by(ShadowPeriod.id.desc()).limit(1))


def history(limit: int = 10) -> list[ShadowPeriod]:
    return list(db.session.scalars(sa.select(ShadowPeriod).order_by(ShadowPeriod.id.desc()).limit(limit)))


def start(version: str, moderator: Moderator | None) -> ShadowPeriod:
    """Put ``version`` in shadow, ending any other shadow; it must load and must not be the active version."""
    scorer = get_scorer()
    if version == scorer.registry.active_version():
        raise ShadowError(f"{version} is the active model; shadow a candidate instead.")
    try:
        scorer.shadow_model(version)  # refuse now what could not score later; warms this process too
    except RegistryError as exc:
        raise ShadowError(f"{version} cannot be put in shadow: {exc}") from exc
    open_period = current_period()
    if open_period is not None and open_period.version == version:
        return open_period
    if open_period is not None:
        _end(open_period, moderator)
    period = ShadowPeriod(version=version, started_by_id=moderator.id if moderator else None)
    db.session.add(period)
    db.session.commit()
    log.info("shadow: %s started by %s", version, moderator.email if moderator else "the command line")
    return period


def stop(moderator: Moderator | None, version: str | None = None) -> ShadowPeriod:
    """End the open shadow period (only if it is ``version``'s, when given)."""
    period = current_period()
    if period is None:
        raise ShadowError("No model is in shadow.")
    if version is not None and period.version != version:
        raise ShadowError(f"{version} is not in shadow ({period.version} is).")
    _end(period, moderator)
    db.session.commit()
    log.info("shadow: %s ended by %s", period.version, moderator.email if moderator else "the command line")
    return period


def _end(period: ShadowPeriod, moderator: Moderator | None) -> None:
    period.ended_at = utcnow()
    period.ended_by_id = moderator.id if moderator else None


# --- scoring each new comment ---------------------------------------------------------


def on_following_up(_app: Flask, *, comment_id: int, signals: Signals | None) -> None:
    """Listens to :data:`..comments.followups.following_up`, after the reader's response: while a model is in
    shadow (``signals`` is given then), it scores each new comment. Never raises: the shadow only observes."""
    if signals is None:
        return
    try:
        score_comment(comment_id, signals)
    except Exception:
        log.exception("shadow: scoring comment %s failed", comment_id)


def score_comment(comment_id: int, signals: Signals) -> ShadowScore | None:
    """Score and route one comment with the shadow version, if one is set, and add what it said (the caller commits)."""
    period = current_period()
    if period is None:
        return None
    scorer = get_scorer()
    if period.version == scorer.registry.active_version():
        return None  # promoted since: it would only repeat the active model's routing
    model = scorer.shadow_model(period.version)
    post = Post(signals.text, signals.author, signals.url, signals.email)
    scores = {label: float(score) for label, score in model.score(post).items()}
    decision = route(scores, signals, screening.settings(Scored(model.version, scores, {}, dict(model.thresholds))))
    row = ShadowScore(period_id=period.id, comment_id=comment_id, version=model.version, scores=scores,
                      status=decision.status, route_rule=decision.rule)
    db.session.add(row)
    return row


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One comment of the period: both routings and, once decided, the moderator's verdict."""

    comment_id: int
    active_status: Status
    shadow_status: Status
    active_scores: dict[str, float] | None
    shadow_scores: dict[str, float]
    #: True approved, False rejected or spam, None not decided yet.
    approved: bool | None


@dataclass(frozen=True)
class Disagreement:
    observation: Observation
    text: str
    article_slug: str


@dataclass(frozen=True)
class ShadowReport:
    period: ShadowPeriod
    comments: int
    #: (active status, shadow status) -> comments
    confusion: dict[tuple[Status, Status], int]
    differ: int
    decided: int
    active_agrees: int
    shadow_agrees: int
    disagreements: list[Disagreement]

    #: The confusion table's rows and columns.
    statuses: ClassVar[tuple[Status, ...]] = ROUTED

    def rate(self, agrees: int) -> float | None:
        return agrees / self.decided if self.decided else None

    def as_json(self) -> dict[str, Any]:
        p = self.period
        return {
            "version": p.version, "started_at": p.started_at.isoformat(),
            "ended_at": p.ended_at.isoformat() if p.ended_at else None,
            "comments": self.comments, "differ": self.differ,
            "confusion": [{"active": a.value, "shadow": s.value, "comments": n}
                          for (a, s), n in sorted(self.confusion.items())],
            "decided": self.decided,
            "active_agrees": self.active_agrees, "active_agreement": self.rate(self.active_agrees),
            "shadow_agrees": self.shadow_agrees, "shadow_agreement": self.rate(self.shadow_agrees),
            "disagreements": [{"comment_id": d.observation.comment_id, "text": d.text,
                               "active": {"status": d.observation.active_status.value,
                                          "scores": d.observation.active_scores},
                               "shadow": {"status": d.observation.shadow_status.value,
                                          "scores": d.observation.shadow_scores},
                               "moderator": _verdict(d.observation.approved)} for d in self.disagreements],
        }


def _verdict(approved: bool | None) -> str | None:
    return None if approved is None else "approved" if approved else "rejected"


def summarise(observations: list[Observation]) -> tuple[Counter[tuple[Status, Status]], int, int, int]:
    """The confusion counts and, over decided comments, how many each model agreed with (pure)."""
    confusion = Counter((o.active_status, o.shadow_status) for o in observations)
    decided = [o for o in observations if o.approved is not None]
    active = sum(regressions.agrees(o.active_status, bool(o.approved)) for o in decided)
    shadow = sum(regressions.agrees(o.shadow_status, bool(o.approved)) for o in decided)
    return confusion, len(decided), active, shadow


def report(period: ShadowPeriod) -> ShadowReport:
    """Compare the shadow with the active model over ``period``'s comments, newest first."""
    verdicts = (
        sa.select(Decision.comment_id, Decision.label)
        .where(Decision.id.in_(latest_labelled_decisions()))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Comment.id, Comment.routed_status, ShadowScore.status, Comment.scores, ShadowScore.scores,
                  verdicts.c.label)
        .join(Comment, Comment.id == ShadowScore.comment_id)
        .outerjoin(verdicts, verdicts.c.comment_id == Comment.id)
        .where(ShadowScore.period_id == period.id)
        .order_by(Comment.id.desc())
    ).all()
    observations = [Observation(cid, active, shadow, a_scores, s_scores, None if label is None else label == "ok")
                    for cid, active, shadow, a_scores, s_scores, label in rows]
    confusion, decided, active_agrees, shadow_agrees = summarise(observations)
    differ = [o for o in observations if o.active_status != o.shadow_status]
    listed = differ[:DISAGREEMENTS_LISTED]
    texts = {cid: (text, slug) for cid, text, slug in db.session.execute(
        sa.select(Comment.id, Comment.text, Article.slug)
        .join(Article, Article.id == Comment.article_id).where(Comment.id.in_([o.comment_id for o in listed]))
    )} if listed else {}
    return ShadowReport(period, len(observations), dict(confusion), len(differ), decided, active_agrees,
                        shadow_agrees, [Disagreement(o, *texts[o.comment_id]) for o in listed])


def format_report(r: ShadowReport) -> str:
    """The report as plain text, for ``models shadow-report``."""
    p = r.period
    lines = [f"Shadow {p.version}, {p.started_at:%Y-%m-%d %H:%M} UTC to "
             + (f"{p.ended_at:%Y-%m-%d %H:%M} UTC" if p.ended_at else "now")
             + f": {r.comments} comments scored, {r.differ} routed differently.", "",
             "Routing (rows: active model, columns: shadow)",
             f"{'':>12}" + "".join(f"{s.value:>11}" for s in r.statuses)]
    for a in r.statuses:
        lines.append(f"{a.value:>12}" + "".join(f"{r.confusion.get((a, s), 0):>11}" for s in r.statuses))
    lines.append("")
    if r.decided:
        lines.append(f"Agreement with moderators on {r.decided} decided comments: "
                     f"active {r.active_agrees} ({r.rate(r.active_agrees):.0%}), "
                     f"shadow {r.shadow_agrees} ({r.rate(r.shadow_agrees):.0%})")
    else:
        lines.append("No comment of the period has been decided by a moderator yet.")
    if r.disagreements:
        lines += ["", f"Comments routed differently (newest {len(r.disagreements)} of {r.differ}):"]
        for d in r.disagreements:
            o = d.observation
            text = " ".join(d.text.split())
            lines.append(f"  #{o.comment_id} active {o.active_status.value} {_scores(o.active_scores)}, "
                         f"shadow {o.shadow_status.value} {_scores(o.shadow_scores)}"
                         + (f", moderator {_verdict(o.approved)}" if o.approved is not None else "")
                         + f": {text[:70] + '…' if len(text) > 70 else text}")
    return "\n".join(lines)


def _scores(scores: dict[str, float] | None) -> str:
    return "(" + ", ".join(f"{k} {v:.2f}" for k, v in sorted((scores or {}).items())) + ")" if scores else "(no scores)"


# --- commands -----------------------------------------------------------------------------


@click.command("shadow")
@click.argument("version", required=False)
@click.option("--off", is_flag=True, help="End the shadow (VERSION's only, when given).")
def shadow_command(version: str | None, off: bool) -> None:
    """Put VERSION in shadow: it scores every new comment beside the active model, acting on none."""
    try:
        if off:
            period = stop(None, version)
            click.echo(f"Shadow {period.version} ended.")
        elif version:
            period = start(version, None)
            click.echo(f"Shadow: {period.version} scores every new comment from now on, without acting.")
        else:
            period = current_period()
            click.echo(f"Shadow: {period.version} since {period.started_at:%Y-%m-%d %H:%M} UTC."
                       if period else "No model is in shadow.")
    except ShadowError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("shadow-report")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the report to FILE as JSON.")
def shadow_report_command(json_file: Path | None) -> None:
    """Compare the shadow with the active model over the current (or last) shadow period."""
    period = latest_period()
    if period is None:
        raise click.ClickException("No model has been in shadow yet.")
    result = report(period)
    click.echo(format_report(result))
    if json_file is not None:
        try:
            json_file.write_text(json.dumps(result.as_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"{json_file}: {exc.strerror}") from None
