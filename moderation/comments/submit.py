"""The only way a comment enters: validate, screen (score and route), store.

Every step is a plain function so the path reads top to bottom in ``submit``
and each step can be tested without HTTP. Whatever goes wrong after
validation, the comment is stored: a scoring failure holds it for a human.
The reader waits for these steps only; what does not change their answer
(near-duplicate grouping, the shadow model) is the comment's follow-up, run
after the response (:mod:`.followups`).
Scoring and the site's settings come from :mod:`.screening`, which the
shadow, the regression cases and the Akismet-compatible checks share.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from training.datasets import Post

from ..extensions import db
from ..forms import FieldError
from ..model.kinds import stored_explanation
from ..model.scoring import Scored
from ..model.thresholds import stamp
from ..models import Article, Ban, Comment, ShadowPeriod, Status, text_key, utcnow
from ..queue import spotcheck
from . import followups
from .policy import Route, Signals, route
from .screening import score, settings
from .thread_cache import thread_changed
from .writes import commit_keeping_loaded, writes_in_turn

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Draft:
    """What a reader typed, already checked for format by the form."""

    text: str
    author: str
    email: str
    url: str = ""
    parent_id: int | None = None
    honeypot: bool = False


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str = ""


class SubmitError(FieldError):
    """A comment that cannot be accepted; ``field`` names the form field to show it at."""


@dataclass(frozen=True)
class Known:
    """What the database knows about a draft and its author, read in one round trip (:func:`look_up`)."""

    duplicate: bool
    banned: bool
    trusted: bool
    #: See :func:`moderation.model.thresholds.stamp`.
    thresholds_stamp: int
    #: A model is in shadow and scores the comment too.
    shadowing: bool


def submit(article: Article, draft: Draft, client: Client) -> Comment:
    draft = normalise(draft)
    parent = validate(article, draft)
    ip_hash = hash_ip(client.ip)
    known = look_up(article, draft, ip_hash)
    if known.duplicate:
        raise SubmitError("comment", "Duplicate comment: it looks as though you've already said that.")
    scored = score(Post(draft.text, draft.author, draft.url, draft.email))
    facts = signals(article, draft, known)
    decision = route(scored.scores if scored else None, facts, settings(scored, known.thresholds_stamp))
    comment = store(article, parent, draft, client, ip_hash, scored, decision,
                    facts if known.shadowing else None)
    followups.after_response(comment)
    return comment


def normalise(draft: Draft) -> Draft:
    return Draft(
        text=draft.text.replace("\r\n", "\n").strip(),
        author=" ".join(draft.author.split()),
        email=draft.email.strip().lower(),
        url=draft.url.strip(),
        parent_id=draft.parent_id,
        honeypot=draft.honeypot,
    )


def validate(article: Article, draft: Draft) -> Comment | None:
    """Rules on the article and the parent; returns the parent comment of a reply."""
    if not article.comments_open:
        raise SubmitError(None, "Comments are closed on this article.")
    if not draft.text:
        raise SubmitError("comment", "Please type a comment.")
    if not draft.author:
        raise SubmitError("author", "Please give a name.")
    parent = None
    if draft.parent_id is not None:
        parent = db.session.get(Comment, draft.parent_id)
        if parent is None or parent.article_id != article.id or parent.status != Status.PUBLISHED:
            raise SubmitError("comment_parent", "The comment you are replying to is not available.")
        if parent.depth >= current_app.config["COMMENT_MAX_DEPTH"]:
            raise SubmitError("comment_parent", "This thread is nested as deep as it can go.")
    return parent


def hash_ip(ip: str) -> str:
    """Keyed hash: moderators can ban and group by IP without the app storing addresses."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def look_up(article: Article, draft: Draft, ip_hash: str) -> Known:
    """Everything the path asks the database before writing, in one round trip: a spike waits on each one."""
    since = utcnow() - timedelta(seconds=current_app.config["DUPLICATE_WINDOW_SECONDS"])
    duplicate, banned, trusted, thresholds_stamp, shadowing = db.session.execute(_LOOK_UP, {
        "article_id": article.id, "email": draft.email, "text_key": text_key(draft.text),
        "since": since, "ip_hash": ip_hash,
    }).one()
    return Known(bool(duplicate), bool(banned), bool(trusted), thresholds_stamp, bool(shadowing))


def signals(article: Article, draft: Draft, known: Known) -> Signals:
    return Signals(
        text=draft.text,
        author=draft.author,
        email=draft.email,
        url=draft.url,
        honeypot=draft.honeypot,
        banned=known.banned,
        author_has_approved=known.trusted,
        article_hold_all=article.hold_all,
    )


def standing(email: str, ip_hash: str) -> tuple[bool, bool]:
    """``(banned, trusted)``: the email or IP hash is banned; a moderator has approved a comment from this email.

    One round trip for both questions (the Akismet-compatible API asks them;
    the submit path asks them in :func:`look_up`).
    """
    banned, approved = db.session.execute(sa.select(_banned(email, ip_hash), _trusted(email))).one()
    return bool(banned), bool(approved)


def _banned(email: sa.ColumnElement[str] | str, ip_hash: sa.ColumnElement[str] | str) -> sa.Exists:
    return sa.exists().where(
        sa.or_(
            sa.and_(Ban.kind == "email", Ban.value == email),
            sa.and_(Ban.kind == "ip", Ban.value == ip_hash),
        )
    )


def _trusted(email: sa.ColumnElement[str] | str) -> sa.Exists:
    return sa.exists().where(
        Comment.email == email,
        Comment.status == Status.PUBLISHED,
        Comment.decided_at.is_not(None),
    )


#: Built once: composing the statement per comment cost as much Python as running it. The duplicate test
#: compares the text's 63-bit digest, not the text: then the index on (email, text_key, article_id,
#: created_at) answers it alone, and two texts of one email within the window share a digest with a chance
#: of about one in 10^18.
_LOOK_UP = sa.select(
    sa.exists().where(
        Comment.email == sa.bindparam("email"),
        Comment.text_key == sa.bindparam("text_key"),
        Comment.article_id == sa.bindparam("article_id"),
        Comment.created_at >= sa.bindparam("since"),
    ),
    _banned(sa.bindparam("email"), sa.bindparam("ip_hash")),
    _trusted(sa.bindparam("email")),
    stamp(),
    sa.exists().where(ShadowPeriod.ended_at.is_(None)),
)


def store(
    article: Article,
    parent: Comment | None,
    draft: Draft,
    client: Client,
    ip_hash: str,
    scored: Scored | None,
    decision: Route,
    shadow_signals: Signals | None,
) -> Comment:
    """One short write: the comment with its status, its follow-up, the thread's version; then commit.

    Everything before it only read, so on SQLite the write lock is taken here
    (the first INSERT) and held to the commit, a few statements later. The
    comment goes in as one Core ``INSERT … RETURNING id`` (a quarter cheaper
    than the ORM's flush, ``benchmarks/hot_insert.py``) and joins the session
    afterwards as the persistent row it is, with no SELECT to read it back.
    """
    comment = Comment(
        article_id=article.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 1,
        author=draft.author,
        email=draft.email,
        url=draft.url or None,
        text=draft.text,
        ip_hash=ip_hash,
        user_agent=client.user_agent[:300],
        created_at=utcnow(),
        status=decision.status,
        routed_status=decision.status,
        route_rule=decision.rule,
        route_reason=decision.reason[:300],
        scores=scored.scores if scored else None,
        explanation=stored_explanation(scored) if scored else None,
        model_version=scored.version if scored else None,
        decided_at=None, edited_at=None, deleted_at=None, hidden_at=None,
    )
    values = {column.key: getattr(comment, column.key) for column in _COLUMNS}
    with writes_in_turn():
        comment.id = db.session.execute(_INSERT_COMMENT, values).scalar_one()
        followups.record(comment.id, shadow_signals)
        spotcheck.sample(comment)
        if comment.status == Status.PUBLISHED:
            thread_changed(article.id)
            db.session.expire(article, ["thread_version"])
        commit_keeping_loaded()
    so.make_transient_to_detached(comment)
    db.session.add(comment)
    return comment


_COLUMNS = [column for column in Comment.__table__.columns if column.key != "id"]
_INSERT_COMMENT = sa.insert(Comment.__table__).returning(Comment.__table__.c.id)
