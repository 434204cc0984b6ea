"""Database tables (SQLAlchemy 2.x typed ORM).

A comment is never deleted by the system: spam and rejected comments keep
their text, their scores and every decision taken on them, because those are
the training labels of the next model.
"""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


#: The largest id a database integer column holds on every backend.
MAX_ID = 2**31 - 1


def as_id(value: object) -> int | None:
    """A row id from untrusted text ("12"), or None for anything else ("abc", "-1", "²", 10**30)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class Status(enum.StrEnum):
    """Where a comment stands; the queue's tabs are these values."""

    PUBLISHED = "published"
    PENDING = "pending"
    SPAM = "spam"
    REJECTED = "rejected"


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"


def _enum(cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """Stored as VARCHAR plus a CHECK constraint: portable across SQLite and PostgreSQL."""
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Article(db.Model):
    __tablename__ = "articles"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    #: Paragraphs separated by one blank line, as plain text.
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    footer: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    published_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    comments_open: so.Mapped[bool] = so.mapped_column(default=True)
    #: Per-article "hold every comment for a moderator".
    hold_all: so.Mapped[bool] = so.mapped_column(default=False)
    #: Raised by every change to what readers see of the thread (a comment published, a
    #: moderator decision), so each worker knows when its rendered copy is stale (thread_cache.py).
    thread_version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    comments: so.WriteOnlyMapped[Comment] = so.relationship(back_populates="article")

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_comments_article_status_created", "article_id", "status", "created_at"),
        sa.Index("ix_comments_status_created", "status", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("articles.id"))
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    #: 1 for a top-level comment; replies nest up to COMMENT_MAX_DEPTH.
    depth: so.Mapped[int] = so.mapped_column(default=1)

    author: so.Mapped[str] = so.mapped_column(sa.String(100))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    url: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    ip_hash: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    status: so.Mapped[Status] = so.mapped_column(_enum(Status, "comment_status"))
    #: Label -> probability from the model that routed it; None when scoring failed.
    scores: so.Mapped[dict[str, float] | None] = so.mapped_column(sa.JSON)
    #: Label -> [[term, weight], ...]: why the model scored it so.
    explanation: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    model_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: Machine-readable name of the rule or threshold that routed it, e.g. "threshold.spam.high".
    route_rule: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: The same for people: "spam score 0.99 is at or above 0.95".
    route_reason: so.Mapped[str] = so.mapped_column(sa.String(300))
    #: The status the policy gave it, kept after moderators change ``status``,
    #: so disagreement between model and moderators can be counted.
    routed_status: so.Mapped[Status] = so.mapped_column(_enum(Status, "comment_routed_status"))
    decided_at: so.Mapped[datetime | None] = so.mapped_column()

    article: so.Mapped[Article] = so.relationship(back_populates="comments")
    parent: so.Mapped[Comment | None] = so.relationship(remote_side=[id])

    def risk(self) -> float:
        """The highest label score, the queue's default sort key."""
        return max((self.scores or {}).values(), default=0.0)


class Moderator(UserMixin, db.Model):
    __tablename__ = "moderators"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[Role] = so.mapped_column(_enum(Role, "moderator_role"), default=Role.MODERATOR)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: Set for generated one-time passwords: the first login must choose a new one.
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Decision(db.Model):
    """One moderator action: the audit log and, through ``label``, a training example."""

    __tablename__ = "decisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    moderator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("moderators.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(16))
    from_status: so.Mapped[Status] = so.mapped_column(_enum(Status, "decision_from_status"))
    to_status: so.Mapped[Status] = so.mapped_column(_enum(Status, "decision_to_status"))
    #: "ok", "spam" or "toxic"; None when the action teaches nothing (back to pending).
    label: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    model_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    scores: so.Mapped[dict[str, float] | None] = so.mapped_column(sa.JSON)

    comment: so.Mapped[Comment] = so.relationship()
    moderator: so.Mapped[Moderator] = so.relationship()


class Ban(db.Model):
    """An email or IP hash whose next comments go straight to spam."""

    __tablename__ = "bans"
    __table_args__ = (sa.UniqueConstraint("kind", "value"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))  # "email" or "ip"
    value: so.Mapped[str] = so.mapped_column(sa.String(254))
    reason: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    moderator_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    moderator: so.Mapped[Moderator | None] = so.relationship()


class TrainingJob(db.Model):
    """A retraining run started from the admin page, executed in another process."""

    __tablename__ = "training_jobs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    moderator_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column()
    #: queued, running, succeeded, failed, promoted, discarded
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued")
    progress: so.Mapped[float] = so.mapped_column(default=0.0)
    message: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    candidate_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: Candidate and active model evaluated on the same held-out data.
    comparison: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
