"""Authors change their mind: edit or delete their own comment within ``EDIT_WINDOW_SECONDS`` of posting it.

The author's browser holds a token for the comment: the comment's id signed
with the app's secret (itsdangerous, timed), set as a cookie when it is posted
and returned by the JSON API, so no account is needed and the forms work
without JavaScript. An edit is the submit path again: the same validation,
scores and routing as a new comment, so a harmless comment that was published
and then edited into spam goes to the queue or the spam folder and never stays
published unscreened. Each change leaves a ``CommentEdit`` with the text
before it, which moderators see in the comment's history and the audit log.

A deleted comment loses its text and name; while it has replies, readers see a
"comment deleted" placeholder in its place (:mod:`.threads`).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from training.datasets import Post

from ..extensions import db
from ..model.kinds import stored_explanation
from ..models import Comment, CommentBand, CommentEdit, CommentSignature, FollowUp, Status, as_id, utcnow
from . import followups
from .policy import route
from .screening import score, settings
from .submit import Draft, SubmitError, look_up, normalise, signals, validate
from .thread_cache import thread_changed
from .writes import commit_keeping_loaded, writes_in_turn

#: One cookie per comment, named after it, living as long as the window.
COOKIE_PREFIX = "comment_edit_"


class EditRefused(SubmitError):
    """The change is not allowed at all (no token, window over, removed by a moderator): a 403."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="comment-edit")


def window() -> timedelta:
    return timedelta(seconds=current_app.config["EDIT_WINDOW_SECONDS"])


def minutes() -> str:
    total = round(window().total_seconds() / 60)
    return f"{total} minute{'' if total == 1 else 's'}"


def token_for(comment: Comment) -> str:
    return _serializer().dumps(comment.id)


def cookie_name(comment_id: int) -> str:
    return f"{COOKIE_PREFIX}{comment_id}"


def closes_at(comment: Comment) -> datetime:
    return comment.created_at + window()


def _holds(token: str | None, comment_id: int) -> bool:
    if not token:
        return False
    try:
        return _serializer().loads(token, max_age=int(window().total_seconds()) or 1) == comment_id
    except BadSignature:  # a tampered or expired token (SignatureExpired is one)
        return False


def editable(cookies: Mapping[str, str]) -> set[int]:
    """The comments this browser may still change: its edit cookies whose tokens are valid and unexpired."""
    found = set()
    for name, token in cookies.items():
        if name.startswith(COOKIE_PREFIX) and (comment_id := as_id(name[len(COOKIE_PREFIX):])) is not None \
                and _holds(token, comment_id):
            found.add(comment_id)
    return found


def check(comment: Comment, token: str | None) -> None:
    """Why this change is refused, as an :class:`EditRefused`; nothing when it is allowed."""
    if comment.deleted_at is not None:
        raise EditRefused(None, "This comment has been deleted.")
    if comment.status == Status.REJECTED:
        raise EditRefused(None, "A moderator has removed this comment, so it can no longer be changed.")
    if utcnow() >= closes_at(comment) or not window():
        raise EditRefused(None, f"Comments can be changed for {minutes()} after posting, and that time is over: "
                                "this one stays as it is.")
    if not _holds(token, comment.id):
        raise EditRefused(None, f"A comment can only be changed from the browser that posted it, within {minutes()}.")


def edit(comment: Comment, text: str, token: str | None) -> CommentEdit | None:
    """Validate, score and route the new text as a new comment would be; None when the text did not change."""
    check(comment, token)
    article = comment.article
    draft = normalise(Draft(text=text, author=comment.author, email=comment.email, url=comment.url or ""))
    validate(article, draft)
    if draft.text == comment.text:
        return None
    known = look_up(article, draft, comment.ip_hash)
    if known.duplicate:
        raise SubmitError("comment", "Duplicate comment: it looks as though you've already said that.")
    scored = score(Post(draft.text, draft.author, draft.url, draft.email))
    decision = route(scored.scores if scored else None, signals(article, draft, known),
                     settings(scored, known.thresholds_stamp))
    record = CommentEdit(comment_id=comment.id, action="edit", text_before=comment.text,
                         status_before=comment.status, status_after=decision.status, route_rule=decision.rule,
                         scores_before=comment.scores)
    was_shown = comment.status == Status.PUBLISHED
    comment.text = draft.text
    comment.status = comment.routed_status = decision.status
    comment.route_rule, comment.route_reason = decision.rule, decision.reason[:300]
    comment.scores = scored.scores if scored else None
    comment.explanation = stored_explanation(scored) if scored else None
    comment.model_version = scored.version if scored else None
    comment.decided_at = None  # a moderator who approved the old text has not seen this one
    comment.edited_at = utcnow()
    with writes_in_turn():
        db.session.add(record)
        _forget_signature(comment.id)
        db.session.execute(sa.delete(FollowUp).where(FollowUp.comment_id == comment.id))
        followups.record(comment.id, None)  # the new text is grouped after the response, as a new comment's
        if was_shown or comment.status == Status.PUBLISHED:
            thread_changed(article.id)
            db.session.expire(article, ["thread_version"])
        commit_keeping_loaded()
    followups.after_response(comment)
    return record


def delete(comment: Comment, token: str | None) -> CommentEdit:
    """Remove the text and the name; the row stays for its replies' placeholder and the moderators' record."""
    check(comment, token)
    record = CommentEdit(comment_id=comment.id, action="delete", text_before=comment.text,
                         status_before=comment.status, status_after=comment.status, route_rule="author.delete",
                         scores_before=comment.scores)
    was_shown = comment.status == Status.PUBLISHED
    comment.deleted_at = utcnow()
    comment.text, comment.author, comment.url, comment.explanation = "", "", None, None
    with writes_in_turn():
        db.session.add(record)
        _forget_signature(comment.id)
        if was_shown:
            thread_changed(comment.article_id)
            db.session.expire(comment.article, ["thread_version"])
        commit_keeping_loaded()
    return record


def _forget_signature(comment_id: int) -> None:
    """The old text's near-duplicate signature and band keys go; an edit's follow-up indexes the new text."""
    db.session.execute(sa.delete(CommentBand).where(CommentBand.comment_id == comment_id))
    db.session.execute(sa.delete(CommentSignature).where(CommentSignature.comment_id == comment_id))


def history(comment_ids: list[int]) -> dict[int, list[CommentEdit]]:
    """Each comment's edits and deletion, oldest first, for the queue and the moderation API."""
    found: dict[int, list[CommentEdit]] = {}
    if comment_ids:
        for change in db.session.scalars(sa.select(CommentEdit).where(CommentEdit.comment_id.in_(comment_ids))
                                         .order_by(CommentEdit.id)):
            found.setdefault(change.comment_id, []).append(change)
    return found


def recent(limit: int = 50) -> list[CommentEdit]:
    """The newest edits and deletions, for the audit log."""
    return list(db.session.scalars(
        sa.select(CommentEdit).options(so.joinedload(CommentEdit.comment).joinedload(Comment.article))
        .order_by(CommentEdit.id.desc()).limit(limit)))
