"""Moderator decisions: the status change, its audit record, and what it teaches the model.

``decide`` changes a comment's status only if it still has the status the
moderator saw (a compare-and-set UPDATE), in the same transaction as the
Decision row, so two moderators acting on one comment at once never overwrite
each other silently: the second is told who decided first.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from training.datasets import Dataset, DatasetError, Example

from .extensions import db
from .models import Ban, Comment, Decision, Moderator, Status, utcnow
from .thread_cache import thread_changed

#: action -> status it moves a comment to
ACTIONS: dict[str, Status] = {
    "approve": Status.PUBLISHED,
    "reject": Status.REJECTED,
    "spam": Status.SPAM,
    "pending": Status.PENDING,
}
REJECT_LABELS = ("spam", "toxic")
_LABELS = {"ok": {"spam": False, "toxic": False}, "spam": {"spam": True, "toxic": False},
           "toxic": {"spam": False, "toxic": True}}


class AlreadyDecided(Exception):
    def __init__(self, comment_id: int, status: Status, by: str | None) -> None:
        who = f" by {by}" if by else ""
        super().__init__(f"Comment #{comment_id} was already moved to {status.value}{who}; nothing was changed.")
        self.status = status
        self.by = by


def default_reject_label(comment: Comment) -> str:
    """A rejection is filed under whichever risk the model saw more of."""
    scores = comment.scores or {}
    return max(REJECT_LABELS, key=lambda label: scores.get(label, 0.0))


def label_for(action: str, comment: Comment, label: str | None) -> str | None:
    if action == "approve":
        return "ok"
    if action == "spam":
        return "spam"
    if action == "reject":
        return label if label in REJECT_LABELS else default_reject_label(comment)
    return None


def decide(comment_id: int, action: str, moderator: Moderator, *, seen_status: Status,
           label: str | None = None) -> Decision:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise LookupError(f"no comment #{comment_id}")
    target = ACTIONS[action]
    now = utcnow()
    changed = db.session.execute(
        sa.update(Comment)
        .where(Comment.id == comment_id, Comment.status == seen_status)
        .values(status=target, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(comment)
        raise AlreadyDecided(comment_id, comment.status, last_decider(comment_id))
    decision = Decision(
        comment_id=comment_id, moderator_id=moderator.id, created_at=now, action=action,
        from_status=seen_status, to_status=target, label=label_for(action, comment, label),
        model_version=comment.model_version, scores=comment.scores,
    )
    db.session.add(decision)
    thread_changed(comment.article_id)
    db.session.commit()
    db.session.refresh(comment)
    return decision


def last_decider(comment_id: int) -> str | None:
    return db.session.scalar(
        sa.select(Moderator.email).join(Decision, Decision.moderator_id == Moderator.id)
        .where(Decision.comment_id == comment_id).order_by(Decision.id.desc()).limit(1)
    )


def training_examples(weight: float, session: so.Session | None = None) -> list[Example]:
    """The latest labelled decision per comment, as training examples weighted above public data."""
    latest = (
        sa.select(sa.func.max(Decision.id))
        .where(Decision.label.is_not(None))
        .group_by(Decision.comment_id)
    )
    rows = (session or db.session).execute(
        sa.select(Comment.text, Decision.label)
        .join(Comment, Comment.id == Decision.comment_id)
        .where(Decision.id.in_(latest))
        .order_by(Decision.id)
    )
    return [Example(text, dict(_LABELS[label]), "decisions", weight) for text, label in rows if label in _LABELS]


def decisions_dataset(target: str) -> Dataset:
    """The ``decisions`` data source: ``decisions:`` reads this app's database; ``decisions:URL``
    (or a SQLite file's path) another one, such as a copy of production's.

    Weighted like the Retrain button's decisions (``DECISION_WEIGHT``).
    """
    from . import database_url

    weight = current_app.config["DECISION_WEIGHT"]
    if not target:
        examples = training_examples(weight)
    else:
        if "://" not in target and not Path(target).is_file():
            raise DatasetError(f"decisions:{target}: no such database file")
        url = database_url(target if "://" in target else f"sqlite:///{Path(target).resolve()}", Path())
        engine = sa.create_engine(url)
        try:
            with so.Session(engine) as session:
                examples = training_examples(weight, session)
        except sa.exc.SQLAlchemyError as exc:
            raise DatasetError(f"decisions:{target}: cannot read decisions ({type(exc).__name__})") from exc
        finally:
            engine.dispose()
    digest = hashlib.sha256("\n".join(f"{e.text}\t{sorted(e.labels.items())}" for e in examples).encode())
    return Dataset(f"decisions:{target}", examples, sha256=digest.hexdigest())


def decisions_since(when: datetime | None) -> int:
    query = sa.select(sa.func.count(Decision.id)).where(Decision.label.is_not(None))
    if when is not None:
        query = query.where(Decision.created_at > when)
    return db.session.scalar(query) or 0


@dataclass(frozen=True)
class WeekDisagreement:
    week: str
    decisions: int
    published_then_removed: int
    held_then_approved: int


def disagreement_by_week(limit: int = 12) -> list[WeekDisagreement]:
    """How often moderators overruled the router, per ISO week, newest first.

    Counted from each decision's from/to status against the status the policy
    first gave the comment, so later back-and-forth does not count twice.
    """
    rows = db.session.execute(
        sa.select(Decision.created_at, Decision.action, Comment.routed_status, Decision.from_status)
        .join(Comment, Comment.id == Decision.comment_id)
    )
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for created, action, routed, from_status in rows:
        year, week, _ = created.isocalendar()
        counts = weeks[f"{year}-W{week:02d}"]
        counts[0] += 1
        if routed == Status.PUBLISHED and from_status == Status.PUBLISHED and action in ("reject", "spam"):
            counts[1] += 1
        if routed in (Status.PENDING, Status.SPAM) and from_status == routed and action == "approve":
            counts[2] += 1
    return [WeekDisagreement(w, *c) for w, c in sorted(weeks.items(), reverse=True)[:limit]]


def spam_rejections(email: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Decision.id)).join(Comment, Comment.id == Decision.comment_id)
        .where(Comment.email == email, Decision.label == "spam")
    ) or 0


def ban(kind: str, value: str, moderator: Moderator, reason: str = "") -> Ban:
    """Ban an email or IP hash; banning twice returns the existing ban."""
    if kind not in ("email", "ip"):
        raise ValueError("kind must be 'email' or 'ip'")
    existing = db.session.scalar(sa.select(Ban).where(Ban.kind == kind, Ban.value == value))
    if existing is not None:
        return existing
    entry = Ban(kind=kind, value=value, moderator_id=moderator.id, reason=reason[:300])
    db.session.add(entry)
    db.session.commit()
    return entry


def lift_ban(ban_id: int) -> Ban:
    """Remove a ban; the author's next comments are scored and routed like anyone's."""
    entry = db.session.get(Ban, ban_id)
    if entry is None:
        raise LookupError(f"no ban #{ban_id}")
    db.session.delete(entry)
    db.session.commit()
    return entry
