"""The only way a comment enters: validate, score, route, store.

Every step is a plain function so the path reads top to bottom in ``submit``
and each step can be tested without HTTP. Whatever goes wrong after
validation, the comment is stored: a scoring failure holds it for a human.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from training.datasets import Post

from . import shadow, similarity, spotcheck
from .extensions import db
from .kinds import stored_explanation
from .models import Article, Ban, Comment, Status, utcnow
from .policy import Route, Settings, Signals, route
from .scoring import Scored, ScoringUnavailable, get_scorer, with_overrides
from .thread_cache import thread_changed
from .thresholds import overrides

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


class SubmitError(ValueError):
    """A comment that cannot be accepted; ``field`` names the form field to show it at."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def submit(article: Article, draft: Draft, client: Client) -> Comment:
    draft = normalise(draft)
    parent = validate(article, draft)
    ip_hash = hash_ip(client.ip)
    scored = score(Post(draft.text, draft.author, draft.url, draft.email))
    known = signals(article, draft, ip_hash)
    decision = route(scored.scores if scored else None, known, settings(scored))
    comment = store(article, parent, draft, client, ip_hash, scored, decision)
    shadow.observe(comment, known)  # a model in shadow scores it too, after the response; never fails the submit
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
    """Rules that need the database; returns the parent comment of a reply."""
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
    since = utcnow() - timedelta(seconds=current_app.config["DUPLICATE_WINDOW_SECONDS"])
    duplicate = db.session.scalar(
        sa.select(Comment.id).where(
            Comment.article_id == article.id,
            Comment.email == draft.email,
            Comment.text == draft.text,
            Comment.created_at >= since,
        ).limit(1)
    )
    if duplicate is not None:
        raise SubmitError("comment", "Duplicate comment: it looks as though you've already said that.")
    return parent


def hash_ip(ip: str) -> str:
    """Keyed hash: moderators can ban and group by IP without the app storing addresses."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]


def score(post: Post) -> Scored | None:
    """The model reads the whole comment: the commenter's name, website and email carry blog spam's signal."""
    try:
        return get_scorer().score(post)
    except ScoringUnavailable as exc:
        log.error("scoring failed, holding the comment: %s", exc)
        return None


def signals(article: Article, draft: Draft, ip_hash: str) -> Signals:
    banned, approved = standing(draft.email, ip_hash)
    return Signals(
        text=draft.text,
        author=draft.author,
        email=draft.email,
        url=draft.url,
        honeypot=draft.honeypot,
        banned=banned,
        author_has_approved=approved,
        article_hold_all=article.hold_all,
    )


def standing(email: str, ip_hash: str) -> tuple[bool, bool]:
    """``(banned, trusted)``: the email or IP hash is banned; a moderator has approved a comment from this email.

    One round trip for both questions: the submit path is what a traffic spike
    waits on. The Akismet-compatible API asks the same.
    """
    banned, approved = db.session.execute(sa.select(
        sa.exists().where(
            sa.or_(
                sa.and_(Ban.kind == "email", Ban.value == email),
                sa.and_(Ban.kind == "ip", Ban.value == ip_hash),
            )
        ),
        sa.exists().where(
            Comment.email == email,
            Comment.status == Status.PUBLISHED,
            Comment.decided_at.is_not(None),
        ),
    )).one()
    return bool(banned), bool(approved)


def settings(scored: Scored | None) -> Settings:
    """The site's rules, with the thresholds of the model that scored (none when scoring failed)."""
    config = current_app.config
    return Settings(
        thresholds=with_overrides(scored.thresholds, overrides(scored.version)) if scored else {},
        max_links=config["MAX_LINKS"],
        moderation_words=tuple(config["MODERATION_WORDS"]),
        block_words=tuple(config["BLOCK_WORDS"]),
        trust_approved_authors=config["TRUST_APPROVED_AUTHORS"],
    )


def store(
    article: Article,
    parent: Comment | None,
    draft: Draft,
    client: Client,
    ip_hash: str,
    scored: Scored | None,
    decision: Route,
) -> Comment:
    comment = Comment(
        article=article,
        parent=parent,
        depth=parent.depth + 1 if parent else 1,
        author=draft.author,
        email=draft.email,
        url=draft.url or None,
        text=draft.text,
        ip_hash=ip_hash,
        user_agent=client.user_agent[:300],
        status=decision.status,
        routed_status=decision.status,
        route_rule=decision.rule,
        route_reason=decision.reason[:300],
        scores=scored.scores if scored else None,
        explanation=stored_explanation(scored) if scored else None,
        model_version=scored.version if scored else None,
    )
    db.session.add(comment)
    similarity.index(comment)  # flushes: the comment has its id
    spotcheck.sample(comment)
    if comment.status == Status.PUBLISHED:
        thread_changed(article.id)
    db.session.commit()
    return comment
