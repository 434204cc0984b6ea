"""Comments other sites ask about through the Akismet-compatible API: check, log, learn from their reports.

A check is the comment's path without the store-and-show part: the same
``screening.score``, ``screening.settings`` and ``policy.route`` as a comment posted
here, then the route is turned into Akismet's one bit (``answer``). What the
site's moderators later report (``submit-spam``/``submit-ham``) becomes a
``SiteLabel``, which ``decisions.training_examples`` hands to training like a
moderator's decision.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import sqlalchemy as sa
import sqlalchemy.orm as so

from training.datasets import Post

from ..comments.policy import Route, Signals, route
from ..comments.screening import score, settings
from ..comments.submit import hash_ip, standing
from ..extensions import db
from ..models import ApiKey, CheckedComment, SiteLabel, Status
from ..queue.decisions import given


@dataclass(frozen=True)
class Submitted:
    """One comment's Akismet fields, as a site sent them (already cut to the columns' lengths)."""

    text: str
    user_ip: str
    author: str = ""
    email: str = ""
    url: str = ""
    permalink: str = ""
    comment_type: str = ""
    user_agent: str = ""
    #: The site's honeypot field (``honeypot_field_name``) was filled in.
    honeypot: bool = False
    is_test: bool = False


@dataclass(frozen=True)
class Answer:
    """Akismet's answer: ``spam`` True/False ("true"/"false"), None when the model could not score it."""

    spam: bool | None
    discard: bool


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def content_hash(text: str) -> str:
    """How a report finds the check it is about: the same key and the same text."""
    return hashlib.sha256(normalised(text).encode()).hexdigest()


def answer(decision: Route) -> Answer:
    """The policy's route as Akismet's answer.

    Straight to spam is ``true`` with "discard" (Akismet's "blatant spam");
    held because a model score reached its review threshold is ``true`` (the
    site's spam folder is where its moderators look); held by a site rule of
    ours (moderation words, too many links) is ``false``, as the site applies
    its own rules of that kind. No scores means no answer: the caller reports
    an error, so the site holds the comment as it does when Akismet is down.
    """
    if decision.status == Status.SPAM:
        return Answer(True, True)
    if decision.rule == "scoring.failed":
        return Answer(None, False)
    return Answer(decision.status == Status.PENDING and decision.rule.startswith("threshold."), False)


def check(key: ApiKey, comment: Submitted, *, moderate_toxic: bool) -> tuple[CheckedComment, Answer]:
    """Score and route a site's comment, keep it with its verdict, and answer.

    Unless the site asks about toxicity, the toxic thresholds are left out of
    the routing, so the answer is about spam, as Akismet clients expect; the
    toxic score is still kept and reported.
    """
    text = normalised(comment.text)
    email = comment.email.strip().lower()
    scored = score(Post(text, comment.author, comment.url, email))  # the fields are blog spam's best signal
    rules = settings(scored)
    if not moderate_toxic:
        rules = replace(rules, thresholds={k: t for k, t in rules.thresholds.items() if k != "toxic"})
    ip_hash = hash_ip(comment.user_ip)
    banned, trusted = standing(email, ip_hash)
    decision = route(
        scored.scores if scored else None,
        Signals(text=text, author=comment.author, email=email, url=comment.url, honeypot=comment.honeypot,
                banned=banned, author_has_approved=trusted),
        rules,
    )
    result = answer(decision)
    checked = _row(key, comment, ip_hash)
    checked.scores = scored.scores if scored else None
    checked.model_version = scored.version if scored else None
    checked.route_rule = decision.rule
    checked.route_reason = decision.reason[:300]
    checked.routed_status = decision.status
    checked.spam = result.spam
    checked.discard = result.discard
    db.session.add(checked)
    db.session.commit()
    return checked, result


def _row(key: ApiKey, comment: Submitted, ip_hash: str) -> CheckedComment:
    return CheckedComment(
        api_key_id=key.id, content_hash=content_hash(comment.text), text=normalised(comment.text),
        author=comment.author, email=comment.email.strip().lower(), url=comment.url, permalink=comment.permalink,
        comment_type=comment.comment_type, ip_hash=ip_hash, user_agent=comment.user_agent, is_test=comment.is_test,
    )


def report(key: ApiKey, comment: Submitted, *, spam: bool) -> SiteLabel | None:
    """A site's ``submit-spam``/``submit-ham``, kept as a label on the latest matching check.

    Without a matching check the comment is stored from the submitted
    fields (``checked`` False). A test report (``is_test``) or one without
    text teaches nothing and is not stored. A spam report on a comment we answered ``true`` for
    its toxicity is filed as toxic, the risk the site asked us about.
    """
    if comment.is_test or not normalised(comment.text):
        return None
    checked = db.session.scalar(
        sa.select(CheckedComment)
        .where(CheckedComment.api_key_id == key.id, CheckedComment.content_hash == content_hash(comment.text))
        .order_by(CheckedComment.id.desc()).limit(1)
    )
    if checked is None:
        checked = _row(key, comment, hash_ip(comment.user_ip))
        checked.checked = False
        db.session.add(checked)
    if not spam:
        label = "ok"
    else:
        label = "toxic" if checked.spam and (checked.route_rule or "").startswith("threshold.toxic.") else "spam"
    site_label = SiteLabel(checked_comment=checked, label=label)
    db.session.add(site_label)
    db.session.commit()
    given()
    return site_label


@dataclass(frozen=True)
class SiteCounts:
    site_url: str
    checks: int
    answered_spam: int
    labels: dict[str, int]


def counts_by_site() -> list[SiteCounts]:
    """Per site: comments checked, answered ``true``, and the labels its moderators reported."""
    checks = db.session.execute(
        sa.select(ApiKey.site_url, sa.func.count(CheckedComment.id),
                  sa.func.coalesce(sa.func.sum(sa.case((CheckedComment.spam.is_(True), 1), else_=0)), 0))
        .join(CheckedComment, CheckedComment.api_key_id == ApiKey.id)
        .where(CheckedComment.checked.is_(True))
        .group_by(ApiKey.site_url)
    ).all()
    labels = db.session.execute(
        sa.select(ApiKey.site_url, SiteLabel.label, sa.func.count(SiteLabel.id))
        .join(CheckedComment, CheckedComment.api_key_id == ApiKey.id)
        .join(SiteLabel, SiteLabel.checked_comment_id == CheckedComment.id)
        .group_by(ApiKey.site_url, SiteLabel.label)
    ).all()
    sites: dict[str, SiteCounts] = {}
    for site, n, spam in checks:
        sites[site] = SiteCounts(site, n, spam, {})
    for site, label, n in labels:
        sites.setdefault(site, SiteCounts(site, 0, 0, {})).labels[label] = n
    return sorted(sites.values(), key=lambda s: s.site_url)


def recent_checks(limit: int = 50) -> list[tuple[CheckedComment, list[str]]]:
    """The newest checks and reports, each with the labels sites reported on it, for the audit log."""
    rows = db.session.scalars(
        sa.select(CheckedComment).options(so.joinedload(CheckedComment.api_key))
        .order_by(CheckedComment.id.desc()).limit(limit)
    ).all()
    labels: dict[int, list[str]] = {}
    if rows:
        for comment_id, label in db.session.execute(
            sa.select(SiteLabel.checked_comment_id, SiteLabel.label)
            .where(SiteLabel.checked_comment_id.in_([r.id for r in rows])).order_by(SiteLabel.id)
        ):
            labels.setdefault(comment_id, []).append(label)
    return [(row, labels.get(row.id, [])) for row in rows]
