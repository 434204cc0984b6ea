"""Erasing a commenter: their comments, email and IP hashes go; the audit log keeps who decided what, when.

What goes: every comment with the email (text, name, website, user agent,
scores and the terms behind them, earlier texts of edits, readers' reports on
them), with it the IP hashes those comments carried, their spot-check draws, and bans naming the email or one of those
IP hashes that no other commenter's comment shares.

What stays, and why: each moderator decision on those comments keeps its
moderator, time, action, from/to status, label, model version and scores (the
model's numbers, not the reader's words), with its link to the comment cut, so
the audit log still accounts for every moderator's work. The erasure itself is
recorded with a time and counts, and deliberately not the email.

Training: decisions without a comment yield no example, so the next model
never sees the text. A model already trained on it keeps what it learnt; the
Model page flags those versions (``Erasure.first_label_at`` to
``Erasure.created_at`` brackets the versions that could have used the labels)
so an admin can retrain and promote a clean one.

Replies by other readers to an erased comment stay: they move up to the erased
comment's nearest remaining ancestor (or the top level), depths recomputed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from ..comments.thread_cache import thread_changed
from ..extensions import db
from ..models import (
    Ban,
    CheckedComment,
    Comment,
    CommentEdit,
    Decision,
    Erasure,
    ImportedComment,
    Moderator,
    OutboxMail,
    ReplySubscription,
    Report,
    ShadowScore,
    SiteLabel,
    SpotCheck,
)


@dataclass(frozen=True)
class Preview:
    email: str
    comments: int
    #: Of those, comments that carry a moderator's label (training data).
    labelled: int


def normalise(email: str) -> str:
    """Emails are stored as submit.normalise leaves them."""
    return email.strip().lower()


def preview(email: str) -> Preview:
    email = normalise(email)
    ids = sa.select(Comment.id).where(Comment.email == email)
    comments = db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0
    labelled = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Decision.comment_id)))
        .where(Decision.comment_id.in_(ids), Decision.label.is_not(None))
    ) or 0
    return Preview(email, comments, labelled)


def erase(email: str, moderator: Moderator | None) -> Erasure:
    """Delete the commenter's comments and personal data in one transaction; returns the record kept."""
    email = normalise(email)
    comments = list(db.session.scalars(sa.select(Comment).where(Comment.email == email)))
    ids = [c.id for c in comments]
    erased = set(ids)
    first_label_at, labelled = db.session.execute(
        sa.select(sa.func.min(Decision.created_at), sa.func.count(sa.distinct(Decision.comment_id)))
        .where(Decision.comment_id.in_(ids), Decision.label.is_not(None))
    ).one() if ids else (None, 0)
    _keep_replies(comments, erased)
    ip_hashes = {c.ip_hash for c in comments}
    shared = set(db.session.scalars(
        sa.select(Comment.ip_hash).where(Comment.ip_hash.in_(ip_hashes), Comment.email != email)
    )) if ip_hashes else set()
    if ids:
        db.session.execute(sa.update(Decision).where(Decision.comment_id.in_(ids)).values(comment_id=None)
                           .execution_options(synchronize_session=False))
        for table in (SpotCheck, ImportedComment, ReplySubscription, ShadowScore, Report, CommentEdit):
            db.session.execute(sa.delete(table).where(table.comment_id.in_(ids)))
        # Parents first cut, so one DELETE never trips over its own rows' references.
        db.session.execute(sa.update(Comment).where(Comment.id.in_(ids)).values(parent_id=None)
                           .execution_options(synchronize_session=False))
        db.session.execute(sa.delete(Comment).where(Comment.id.in_(ids)).execution_options(synchronize_session=False))
        for article_id in {c.article_id for c in comments}:
            thread_changed(article_id)  # readers' kept copies of those threads must go
    db.session.execute(sa.delete(OutboxMail).where(OutboxMail.to_address == email))
    # Other sites' comments checked through the Akismet API, with the labels their moderators reported.
    checked = sa.select(CheckedComment.id).where(CheckedComment.email == email)
    db.session.execute(sa.delete(SiteLabel).where(SiteLabel.checked_comment_id.in_(checked)))
    db.session.execute(sa.delete(CheckedComment).where(CheckedComment.email == email))
    db.session.execute(sa.delete(Ban).where(sa.or_(
        sa.and_(Ban.kind == "email", Ban.value == email),
        sa.and_(Ban.kind == "ip", Ban.value.in_(ip_hashes - shared)),
    )))
    record = Erasure(moderator_id=moderator.id if moderator else None, comments=len(ids),
                     labelled=labelled or 0, first_label_at=first_label_at)
    db.session.add(record)
    db.session.commit()
    db.session.expire_all()
    return record


def _keep_replies(comments: Iterable[Comment], erased: set[int]) -> None:
    """Move other readers' replies to erased comments up to the nearest remaining ancestor."""
    by_id = {c.id: c for c in comments}
    orphans = db.session.scalars(
        sa.select(Comment).where(Comment.parent_id.in_(erased), Comment.id.not_in(erased))
    ).all() if erased else []
    for reply in orphans:
        ancestor_id = reply.parent_id
        while ancestor_id in erased:
            ancestor_id = by_id[ancestor_id].parent_id
        reply.parent_id = ancestor_id
        parent = db.session.get(Comment, ancestor_id) if ancestor_id else None
        _set_depth(reply, parent.depth + 1 if parent else 1)
    db.session.flush()


def _set_depth(root: Comment, depth: int) -> None:
    stack = [(root, depth)]
    while stack:
        comment, level = stack.pop()
        comment.depth = level
        stack.extend((child, level + 1) for child in db.session.scalars(
            sa.select(Comment).where(Comment.parent_id == comment.id)))


def history(limit: int = 20) -> list[Erasure]:
    return list(db.session.scalars(
        sa.select(Erasure).options(so.joinedload(Erasure.moderator)).order_by(Erasure.id.desc()).limit(limit)))


def labelled_erasures() -> list[Erasure]:
    """Erasures that removed training labels: the ones that can make a model version stale."""
    return list(db.session.scalars(sa.select(Erasure).where(Erasure.labelled > 0)))


def _created(card: Mapping[str, Any]) -> datetime | None:
    try:
        created = datetime.fromisoformat(str(card["created"]))
    except (KeyError, ValueError):
        return None
    return created.astimezone(UTC).replace(tzinfo=None) if created.tzinfo else created


def trained_on_erased(cards: Mapping[str, Mapping[str, Any]], erasures: Iterable[Erasure]) -> dict[str, datetime]:
    """Model versions that may have learnt from erased labels, with the latest such erasure's time.

    A version is flagged when it was trained on moderator decisions after an
    erased comment got its first label and before that comment was erased.
    """
    flagged: dict[str, datetime] = {}
    relevant = [e for e in erasures if e.labelled and e.first_label_at is not None]
    for version, card in cards.items():
        created = _created(card)
        uses_decisions = any(str(source.get("name", "")).startswith("decisions")
                             for source in card.get("data") or [] if isinstance(source, Mapping))
        if created is None or not uses_decisions:
            continue
        hits = [e.created_at for e in relevant if e.first_label_at is not None and e.first_label_at < created < e.created_at]
        if hits:
            flagged[version] = max(hits)
    return flagged


@click.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Erase a commenter: their comments, email and IP hashes (decisions stay, without their text)."""
    found = preview(email)
    if not found.comments:
        click.echo(f"No comments from {found.email}; nothing to erase.")
        return
    summary = (f"{found.comments} comment{'s' if found.comments != 1 else ''} from {found.email}"
               f" ({found.labelled} labelled by moderators)")
    if not yes:
        click.confirm(f"Erase {summary}? This cannot be undone", abort=True)
    record = erase(found.email, None)
    click.echo(f"Erased {summary} at {record.created_at:%Y-%m-%d %H:%M} UTC.")
    if record.labelled:
        click.echo("Models trained on those labels are flagged on the Model page: retrain and promote to drop them.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(erase_command)
