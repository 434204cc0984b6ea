"""Moderator decisions: the status change, its audit record, and what it teaches the model.

``decide`` changes a comment's status only if it still has the status the
moderator saw (a compare-and-set UPDATE), in the same transaction as the
Decision row, so two moderators acting on one comment at once never overwrite
each other silently: the second is told who decided first. ``decide_all``
applies one action to a near-duplicate group with the same UPDATE over all its
comments, in one transaction, still with a Decision row per comment.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from blinker import Namespace
from flask import current_app

from training.datasets import Dataset, DatasetError, Example

from ..comments import reports
from ..comments.thread_cache import thread_changed
from ..extensions import db
from ..models import (
    Ban,
    CheckedComment,
    Comment,
    Decision,
    ImportedComment,
    Moderator,
    SiteLabel,
    SpotCheck,
    Status,
    utcnow,
)

#: action -> status it moves a comment to
ACTIONS: dict[str, Status] = {
    "approve": Status.PUBLISHED,
    "reject": Status.REJECTED,
    "spam": Status.SPAM,
    "pending": Status.PENDING,
}
REJECT_LABELS = ("spam", "toxic")
#: Sent after labels are committed (decisions, To label, imports, other sites' reports), with no arguments.
#: The model area listens: enough new labels start an automatic site run (moderation/model/site_learning.py).
labels_given = Namespace().signal("labels-given")
#: What a moderator can say of a comment in the To label tab (:func:`label_all`).
LABELS = ("ok", "spam", "toxic")
#: ``Example.source`` of the marks of spot-checked comments.
SPOTCHECK_SOURCE = "spotcheck"
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
    decisions = _change([comment], action, moderator, seen_status, label)
    if not decisions:
        db.session.rollback()
        db.session.refresh(comment)
        raise AlreadyDecided(comment_id, comment.status, last_decider(comment_id))
    db.session.commit()
    db.session.refresh(comment)
    if decisions[0].label is not None:
        given()
    return decisions[0]


def _change(comments: list[Comment], action: str, moderator: Moderator, seen_status: Status,
            label: str | None) -> list[Decision]:
    """Move the comments still in ``seen_status`` and record a Decision for each; the caller commits.

    One compare-and-set UPDATE, whose RETURNING names the comments it moved: a
    comment another moderator moved meanwhile is left as they left it, however
    many comments the action covers.
    """
    target = ACTIONS[action]
    now = utcnow()
    moved = set(db.session.scalars(
        sa.update(Comment)
        .where(Comment.id.in_([c.id for c in comments]), Comment.status == seen_status)
        .values(status=target, decided_at=now)
        .returning(Comment.id)
        .execution_options(synchronize_session=False)
    ))
    decisions = [Decision(comment_id=c.id, moderator_id=moderator.id, created_at=now, action=action,
                          from_status=seen_status, to_status=target, label=label_for(action, c, label),
                          model_version=c.model_version, scores=c.scores)
                 for c in comments if c.id in moved]
    db.session.add_all(decisions)
    db.session.flush()  # the decisions' ids, which the reports they settle record
    reports.resolve(decisions)
    for article_id in sorted({c.article_id for c in comments if c.id in moved}):
        thread_changed(article_id)
    return decisions


def given() -> None:
    """Tell the listeners of :data:`labels_given` that labels were committed."""
    labels_given.send(current_app._get_current_object())


def last_decider(comment_id: int) -> str | None:
    return db.session.scalar(
        sa.select(Moderator.email).join(Decision, Decision.moderator_id == Moderator.id)
        .where(Decision.comment_id == comment_id).order_by(Decision.id.desc()).limit(1)
    )


def latest_labelled_decisions() -> sa.Select[tuple[int]]:
    """The id of each comment's latest decision that taught something: the moderator's last word on it.

    Training, spot-check marks, regression cases and the shadow report all read this one definition, so a
    later "back to pending" (no label) never hides a comment's label from one of them and not the others.
    """
    return sa.select(sa.func.max(Decision.id)).where(Decision.label.is_not(None)).group_by(Decision.comment_id)


@dataclass(frozen=True)
class Labelled:
    """A label the site gave, as a training example, with when it was given and the comment it is about."""

    example: Example
    at: datetime
    #: None for a comment checked through the Akismet-compatible API (it lives on another site).
    comment_id: int | None


def training_examples(weight: float, session: so.Session | None = None) -> list[Example]:
    """Every label the site has given (:func:`labelled`), as training examples."""
    return [item.example for item in labelled(weight, session)]


def labelled(weight: float, session: so.Session | None = None) -> list[Labelled]:
    """The site's labels: the latest labelled decision per comment, weighted above public data, then
    imported labels and other sites' reports, oldest first within each.

    Marks of spot-checked comments come out with the source ``spotcheck``: they are
    the only labels of a random sample of published comments, not of comments the
    model chose to hold. A decision that settled readers' reports comes out with the
    source ``reports``; an upheld one weighs more by ``REPORT_LABEL_WEIGHT`` for each
    reader who reported it (weighed: :func:`moderation.comments.reports.label_readers`). Decisions of
    erased comments have no comment, and deleted comments no text: they yield nothing.
    """
    session = session or db.session
    rows = session.execute(
        sa.select(Decision.id, Comment.text, Decision.label, Comment.author, Comment.url, Comment.email,
                  SpotCheck.comment_id.is_not(None), Decision.created_at, Comment.id)
        .join(Comment, Comment.id == Decision.comment_id)
        .outerjoin(SpotCheck, SpotCheck.comment_id == Comment.id)
        .where(Decision.id.in_(latest_labelled_decisions()))
        .order_by(Decision.id)
    )
    readers = reports.label_readers(session)
    per_reader = current_app.config["REPORT_LABEL_WEIGHT"]
    decided = []
    for decision_id, text, label, author, url, email, checked, at, comment_id in rows:
        if label not in _LABELS or not text:
            continue
        source = "reports" if decision_id in readers else SPOTCHECK_SOURCE if checked else "decisions"
        decided.append(Labelled(Example(text, dict(_LABELS[label]), source,
                                        weight + per_reader * readers.get(decision_id, 0.0),
                                        author=author, website=url or "", email=email), at, comment_id))
    return decided + import_examples(session) + site_label_examples(weight, session)


def report_label_counts(weight: float) -> list[tuple[str, int, float]]:
    """``(label, comments, total weight)`` of the labels reports give the next training, for the Model page."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for example in training_examples(weight):
        if example.source == "reports":
            label = next((name for name, value in example.labels.items() if value), "ok")
            totals[label][0] += 1
            totals[label][1] += example.weight
    return [(label, int(n), total) for label, (n, total) in sorted(totals.items())]


def import_examples(session: so.Session) -> list[Labelled]:
    """Labels recorded by ``import-comments --labels``: the old site's approved, spam and removed comments.

    Their source is ``import:<origin>`` and their weight ``IMPORT_LABEL_WEIGHT``
    (an old site's "approved" was often automatic, so it counts less than a
    moderator's decision); a comment a moderator has since decided on teaches
    through that decision only, and one waiting in To label ("review") not yet.
    """
    if not sa.inspect(session.get_bind()).has_table(ImportedComment.__tablename__):
        return []  # decisions:URL read from a database older than imports
    decided = sa.select(Decision.comment_id).where(Decision.label.is_not(None))
    rows = session.execute(
        sa.select(Comment.text, ImportedComment.label, ImportedComment.origin, Comment.author, Comment.url,
                  Comment.email, ImportedComment.imported_at, Comment.id)
        .join(Comment, Comment.id == ImportedComment.comment_id)
        .where(ImportedComment.label.in_(_LABELS), ImportedComment.comment_id.not_in(decided))
        .order_by(ImportedComment.id)
    )
    weight = current_app.config["IMPORT_LABEL_WEIGHT"]
    return [Labelled(Example(text, dict(_LABELS[label]), f"import:{origin}", weight, author=author,
                             website=url or "", email=email), at, comment_id)
            for text, label, origin, author, url, email, at, comment_id in rows]


def label_counts() -> dict[str, Counter[str]]:
    """Per source (moderators' decisions, spot-checks, readers' reports, each import origin, other sites'
    reports), how many labels of each kind the site has given, counted as :func:`labelled` reads them."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    readers = reports.label_readers(db.session)
    for decision_id, checked, label in db.session.execute(
        sa.select(Decision.id, SpotCheck.comment_id.is_not(None), Decision.label)
        .join(Comment, Comment.id == Decision.comment_id)
        .outerjoin(SpotCheck, SpotCheck.comment_id == Decision.comment_id)
        .where(Decision.id.in_(latest_labelled_decisions()), Comment.text != "")
    ):
        counts["reports" if decision_id in readers else SPOTCHECK_SOURCE if checked else "decisions"][label] += 1
    decided = sa.select(Decision.comment_id).where(Decision.label.is_not(None))
    for origin, label, n in db.session.execute(
        sa.select(ImportedComment.origin, ImportedComment.label, sa.func.count())
        .where(ImportedComment.label.is_not(None), ImportedComment.comment_id.not_in(decided))
        .group_by(ImportedComment.origin, ImportedComment.label)
    ):
        counts[f"import:{origin}"][label] += n
    latest = sa.select(sa.func.max(SiteLabel.id)).group_by(SiteLabel.checked_comment_id)
    for label, n in db.session.execute(
        sa.select(SiteLabel.label, sa.func.count()).join(CheckedComment)
        .where(SiteLabel.id.in_(latest), CheckedComment.is_test.is_(False)).group_by(SiteLabel.label)
    ):
        counts["akismet reports"][label] += n
    return dict(counts)


def site_label_examples(weight: float, session: so.Session) -> list[Labelled]:
    """What other sites' moderators reported through ``submit-spam``/``submit-ham``: the latest
    label per checked comment, weighted as a moderator's decision here (they are one)."""
    latest = sa.select(sa.func.max(SiteLabel.id)).group_by(SiteLabel.checked_comment_id)
    rows = session.execute(
        sa.select(CheckedComment.text, SiteLabel.label, CheckedComment.author, CheckedComment.url,
                  CheckedComment.email, SiteLabel.created_at)
        .join(CheckedComment, CheckedComment.id == SiteLabel.checked_comment_id)
        .where(SiteLabel.id.in_(latest), CheckedComment.is_test.is_(False))
        .order_by(SiteLabel.id)
    )
    return [Labelled(Example(text, dict(_LABELS[label]), "decisions", weight, author=author, website=url,
                             email=email), at, None)
            for text, label, author, url, email, at in rows if label in _LABELS]


def decisions_dataset(target: str) -> Dataset:
    """The ``decisions`` data source: ``decisions:`` reads this app's database; ``decisions:URL``
    (or a SQLite file's path) another one, such as a copy of production's.

    Weighted like the Retrain button's decisions (``DECISION_WEIGHT``).
    """
    from ..config import database_url

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


def repeat_spammers(emails: Collection[str], at_least: int) -> set[str]:
    """Those of ``emails`` whose comments moderators have rejected as spam ``at_least`` times: a ban to suggest.

    One grouped query for a whole queue page, not one per row.
    """
    if not emails:
        return set()
    return set(db.session.scalars(
        sa.select(Comment.email).join(Decision, Decision.comment_id == Comment.id)
        .where(Comment.email.in_(emails), Decision.label == "spam")
        .group_by(Comment.email).having(sa.func.count(Decision.id) >= at_least)
    ))


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


def decide_all(comment_ids: list[int], action: str, moderator: Moderator, *, seen_status: Status,
               label: str | None = None) -> tuple[int, list[str]]:
    """One moderator action on many comments (a near-duplicate group), in one transaction.

    The same compare-and-set as ``decide`` and a Decision row per comment, so the
    audit log and the training labels are per comment and a copy another
    moderator decided meanwhile is left alone. Returns how many were decided and
    the notices for those that were not.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    comments = list(db.session.scalars(sa.select(Comment).where(Comment.id.in_(comment_ids)).order_by(Comment.id)))
    decisions = _change(comments, action, moderator, seen_status, label) if comments else []
    found, moved = {c.id for c in comments}, {d.comment_id for d in decisions}  # before the commit expires them
    labelled_any = any(d.label is not None for d in decisions)
    db.session.commit()
    if labelled_any:
        given()
    refused = []
    for comment_id in comment_ids:
        if comment_id not in found:
            refused.append(f"Comment #{comment_id} no longer exists.")
        elif comment_id not in moved:  # read after the commit: the status the other moderator left
            status = db.session.get_one(Comment, comment_id).status
            refused.append(str(AlreadyDecided(comment_id, status, last_decider(comment_id))))
    return len(decisions), refused


def label_all(comment_ids: list[int], label: str, moderator: Moderator) -> tuple[int, list[str]]:
    """Label comments without moving them (the To label tab: an old site's removed comments), in one transaction.

    A Decision row per comment records the label (action ``label``, status unchanged), so it teaches and is
    audited like any decision. A comment another moderator labelled meanwhile keeps that label: a notice says so.
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    already = set(db.session.scalars(
        sa.select(Decision.comment_id).where(Decision.comment_id.in_(comment_ids), Decision.label.is_not(None))))
    comments = list(db.session.scalars(
        sa.select(Comment).where(Comment.id.in_(comment_ids), Comment.id.not_in(already)).order_by(Comment.id)))
    now = utcnow()
    db.session.add_all([Decision(comment_id=c.id, moderator_id=moderator.id, created_at=now, action="label",
                                 from_status=c.status, to_status=c.status, label=label,
                                 model_version=c.model_version, scores=c.scores) for c in comments])
    done = {c.id for c in comments}
    db.session.commit()
    if done:
        given()
    refused = [f"Comment #{cid} no longer exists." if cid not in already else
               f"Comment #{cid} was already labelled by {last_decider(cid) or 'someone'}; its label was kept."
               for cid in comment_ids if cid not in done]
    return len(done), refused
