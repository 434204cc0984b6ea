"""Database tables (SQLAlchemy 2.x typed ORM).

A comment is never deleted by the system: spam and rejected comments keep
their text, their scores and every decision taken on them, because those are
the training labels of the next model. Only an erasure, which a person asks
for, deletes comments (see erasure.py).
"""
from __future__ import annotations

import enum
import hashlib
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


def text_key(text: str) -> int:
    """A 63-bit digest of a comment's text (fits a signed BIGINT).

    The duplicate check asks for the same text from the same email through an
    index holding (email, text_key), instead of reading every recent comment
    of that email: a bot posting hundreds a minute had made each post's check
    read all of them.
    """
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_comments_article_status_created", "article_id", "status", "created_at"),
        sa.Index("ix_comments_status_created", "status", "created_at"),
        # Each post asks these (``comments/submit.py``, ``comments/threads.py``); without them their cost grew
        # with the article and the database: the same text from this email, a moderator's approval of this
        # email, and the redirect's count of the article's top-level comments, read from the index alone.
        # Covering: SQLite's planner, with no statistics, took the article's or the status's index otherwise.
        sa.Index("ix_comments_email_text", "email", "text_key", "article_id", "created_at"),
        sa.Index("ix_comments_email_decided", "email", "decided_at", "status"),
        sa.Index("ix_comments_article_roots", "article_id", "parent_id", "created_at", "status", "hidden_at",
                 "deleted_at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("articles.id"))
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    #: 1 for a top-level comment; replies nest up to COMMENT_MAX_DEPTH.
    depth: so.Mapped[int] = so.mapped_column(default=1)

    author: so.Mapped[str] = so.mapped_column(sa.String(100))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    url: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    #: :func:`text_key` of ``text``, kept by :meth:`_keyed`; None on comments stored before it existed (older
    #: than the duplicate window).
    text_key: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
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
    #: When its author last edited it; the texts before are in ``CommentEdit``. Moderators see it marked "edited".
    edited_at: so.Mapped[datetime | None] = so.mapped_column()
    #: When its author deleted it (or an import brought it in deleted). Its text and author are gone; readers
    #: see "comment deleted" in its place while it has visible replies; it leaves the queue and training.
    deleted_at: so.Mapped[datetime | None] = so.mapped_column()
    #: When enough readers' reports hid it from readers (``REPORT_HIDE_AFTER``); a moderator's decision clears it.
    hidden_at: so.Mapped[datetime | None] = so.mapped_column()

    article: so.Mapped[Article] = so.relationship(back_populates="comments")
    parent: so.Mapped[Comment | None] = so.relationship(remote_side=[id])

    @so.validates("text")
    def _keyed(self, _key: str, text: str) -> str:
        """Whenever the text is set (a new comment, an import, an edit), its digest follows."""
        self.text_key = text_key(text)
        return text

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
    #: None once the comment's author had their data erased: who decided, when and from/to which
    #: status stay in the audit log, the comment's text and personal data do not.
    comment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    moderator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("moderators.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(16))
    from_status: so.Mapped[Status] = so.mapped_column(_enum(Status, "decision_from_status"))
    to_status: so.Mapped[Status] = so.mapped_column(_enum(Status, "decision_to_status"))
    #: "ok", "spam" or "toxic"; None when the action teaches nothing (back to pending).
    label: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    model_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    scores: so.Mapped[dict[str, float] | None] = so.mapped_column(sa.JSON)

    comment: so.Mapped[Comment | None] = so.relationship()
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
    """A training run, executed in another process: a site candidate, or a full refit from the command line."""

    __tablename__ = "training_jobs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "retrain" (the Retrain button: a candidate an admin promotes or discards) or "auto" (started by the
    #: site's new labels: promoted by itself when it passes the gate and auto-promotion is on).
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="retrain", server_default="retrain")
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


# --- Near-duplicates (moderation/comments/similarity.py) ------------------------------


class CommentSignature(db.Model):
    """A comment's MinHash signature and the near-duplicate group it joined when it was posted.

    ``group_id`` is the id of the group's first comment: grouping the queue is a
    GROUP BY on an indexed column, computed once at submit time.
    """

    __tablename__ = "comment_signatures"

    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"),
                                                  primary_key=True, autoincrement=False)
    group_id: so.Mapped[int] = so.mapped_column(index=True)
    signature: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(256))


class FollowUp(db.Model):
    """Work on a new comment that does not change what its reader sees, left to run after the response.

    Written in the comment's own transaction, so a worker killed between the
    commit and the follow-up loses nothing: the sweep (``comments/followups.py``)
    finds the row and finishes it. The row is deleted when the work is done.
    """

    __tablename__ = "follow_ups"

    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"),
                                                  primary_key=True, autoincrement=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: What the routing policy knew besides the scores (``policy.Signals`` as a dict), for a model in shadow;
    #: None when no model was in shadow as the comment came in.
    signals: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    #: Failed runs so far; the sweep gives up at ``FOLLOW_UP_MAX_ATTEMPTS`` and logs it.
    attempts: so.Mapped[int] = so.mapped_column(default=0)


class CommentBand(db.Model):
    """One LSH band key of a comment: comments sharing a key are candidate near-duplicates."""

    __tablename__ = "comment_bands"

    key: so.Mapped[int] = so.mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"),
                                                  primary_key=True, index=True)


# --- Moderator's workbench: capacity thresholds, spot-checks, erasure ----------


class ThresholdChange(db.Model):
    """A review threshold set from the Model page: the audit record and, the latest per
    (model version, label), the threshold in force for comments that version scores."""

    __tablename__ = "threshold_changes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    moderator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("moderators.id"))
    #: Scores of different versions are not comparable, so a threshold belongs to one version.
    model_version: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(16))
    review_before: so.Mapped[float] = so.mapped_column()
    review_after: so.Mapped[float] = so.mapped_column()
    #: The capacity the admin entered ("about N comments a day").
    per_day: so.Mapped[int] = so.mapped_column()

    moderator: so.Mapped[Moderator] = so.relationship()


class SpotCheck(db.Model):
    """A comment the model published unseen, drawn at submit time for a moderator to check."""

    __tablename__ = "spot_checks"

    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"), primary_key=True)
    sampled_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Erasure(db.Model):
    """That a commenter's data was erased, and when; deliberately not whose."""

    __tablename__ = "erasures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: None when run from the command line.
    moderator_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))
    comments: so.Mapped[int] = so.mapped_column()
    #: Erased comments that carried a moderator's label, i.e. were training data.
    labelled: so.Mapped[int] = so.mapped_column()
    #: The earliest of those labels: model versions trained between it and the erasure used them.
    first_label_at: so.Mapped[datetime | None] = so.mapped_column()

    moderator: so.Mapped[Moderator | None] = so.relationship()


class ImportRun(db.Model):
    """One ``import-comments`` run: which file, and what the old site's removed comments were taken for."""

    __tablename__ = "import_runs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    origin: so.Mapped[str] = so.mapped_column(sa.String(16))
    filename: so.Mapped[str] = so.mapped_column(sa.String(300))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: With ``--labels``: what removed comments (WordPress trash, Disqus deleted) teach: "toxic", "spam",
    #: or "review" (a moderator sorts them in the queue's To label tab); None without ``--labels``.
    rejected_as: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    comments: so.Mapped[int] = so.mapped_column(default=0)
    #: label -> how many this run recorded ("review": waiting in To label).
    labels: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON, default=dict)


class ImportedComment(db.Model):
    """Where an imported comment came from, so importing the same export twice adds nothing.

    ``label`` is set when the import was asked to teach the model (``--labels``):
    the old site's approved, spam and (as its run says) removed comments, kept
    apart from moderators' decisions so the Model page can count them separately.
    "review" marks a removed comment waiting for a moderator's label.
    """

    __tablename__ = "imported_comments"
    __table_args__ = (sa.UniqueConstraint("origin", "external_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "wxr" or "disqus"; the training source is named "import:<origin>".
    origin: so.Mapped[str] = so.mapped_column(sa.String(16))
    #: The id in the exporting system (a Disqus post id, or a WordPress site URL and comment id).
    external_id: so.Mapped[str] = so.mapped_column(sa.String(300))
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    #: "ok", "spam", "toxic" or "review" when imported with ``--labels``; None otherwise.
    label: so.Mapped[str | None] = so.mapped_column(sa.String(16), index=True)
    imported_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    run_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("import_runs.id"), index=True)

    comment: so.Mapped[Comment] = so.relationship()
    run: so.Mapped[ImportRun | None] = so.relationship()


class ReplySubscription(db.Model):
    """A reader's consent, given by ticking "Email me replies": a row exists only with it.

    Unsubscribing deletes every row of that email address.
    """

    __tablename__ = "reply_subscriptions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    comment: so.Mapped[Comment] = so.relationship()


class OutboxMail(db.Model):
    """An email waiting to be sent by ``flask send-mail``, so sending never blocks a request.

    ``key`` makes queuing idempotent (one reply notification per reply and
    subscriber, one digest per moderator and period); a failed send is retried
    at ``next_attempt_at`` with a growing delay, up to ``MAIL_MAX_ATTEMPTS``.
    """

    __tablename__ = "outbox_mail"
    __table_args__ = (sa.Index("ix_outbox_mail_due", "sent_at", "next_attempt_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(300), unique=True)
    #: "reply" or "digest"
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    #: Extra headers, e.g. List-Unsubscribe.
    headers: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    sent_at: so.Mapped[datetime | None] = so.mapped_column()
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(300))


# --- Shadow mode: a candidate model scores new comments beside the active one, without acting ---------


class ShadowPeriod(db.Model):
    """A model version put in shadow: who started and ended it and when (the audit record of shadow mode).

    At most one period is open (``ended_at`` is None) at a time; its version
    scores every new comment without routing it.
    """

    __tablename__ = "shadow_periods"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version: so.Mapped[str] = so.mapped_column(sa.String(64))
    started_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: None when started from the command line.
    started_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))
    ended_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    ended_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))

    started_by: so.Mapped[Moderator | None] = so.relationship(foreign_keys=[started_by_id])
    ended_by: so.Mapped[Moderator | None] = so.relationship(foreign_keys=[ended_by_id])


class ShadowScore(db.Model):
    """What the shadow model said about one comment and where it would have routed it; nothing acted on it."""

    __tablename__ = "shadow_scores"
    __table_args__ = (sa.UniqueConstraint("period_id", "comment_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    period_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shadow_periods.id"))  # indexed by the unique pair
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    version: so.Mapped[str] = so.mapped_column(sa.String(64))
    scores: so.Mapped[dict[str, float]] = so.mapped_column(sa.JSON)
    status: so.Mapped[Status] = so.mapped_column(_enum(Status, "shadow_score_status"))
    route_rule: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


# --- Sites that check comments through the Akismet-compatible API (moderation/sites/site_checks.py) ---


class ApiKey(db.Model):
    """A site's key for the Akismet-compatible API. Only its SHA-256 is stored: the key is shown once."""

    __tablename__ = "api_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The site's origin ("https://www.example-news.org"): the ``blog`` a client must send with the key.
    site_url: so.Mapped[str] = so.mapped_column(sa.String(300), index=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: The key's first characters, so an admin can tell keys apart without the key.
    hint: so.Mapped[str] = so.mapped_column(sa.String(8))
    #: Answer ``true`` for toxic comments too, not only for spam.
    moderate_toxic: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))
    revoked_at: so.Mapped[datetime | None] = so.mapped_column()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class CheckedComment(db.Model):
    """A comment a site asked about (``comment-check``) or reported (``submit-spam``/``submit-ham``).

    A table of its own rather than ``Comment`` with a site column: these
    comments live in another site's database, have no article here and must
    never appear in this site's queue or threads, so keeping them apart leaves
    every existing query (queue, threads, audit log of moderator decisions)
    unchanged, and the audit log and Model page read them from one place.
    """

    __tablename__ = "checked_comments"
    __table_args__ = (sa.Index("ix_checked_comments_key_content", "api_key_id", "content_hash"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    api_key_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("api_keys.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: SHA-256 of the normalised text: how a later submit-spam/ham finds this check.
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    author: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")
    url: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    permalink: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    comment_type: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    ip_hash: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    #: Akismet's ``is_test``: kept for the log, never used for training.
    is_test: so.Mapped[bool] = so.mapped_column(default=False)
    #: False when a site reported a comment it never asked about.
    checked: so.Mapped[bool] = so.mapped_column(default=True)
    scores: so.Mapped[dict[str, float] | None] = so.mapped_column(sa.JSON)
    model_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    route_rule: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    route_reason: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    routed_status: so.Mapped[Status | None] = so.mapped_column(_enum(Status, "checked_routed_status"))
    #: The answer given: True for "true" (spam), None when none was given (not checked, or scoring failed).
    spam: so.Mapped[bool | None] = so.mapped_column()
    discard: so.Mapped[bool] = so.mapped_column(default=False)

    api_key: so.Mapped[ApiKey] = so.relationship()


class SiteLabel(db.Model):
    """A site's ``submit-spam`` or ``submit-ham``: its moderator's verdict, a training label like a Decision's."""

    __tablename__ = "site_labels"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    checked_comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("checked_comments.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: "ok", "spam" or "toxic", as Decision.label.
    label: so.Mapped[str] = so.mapped_column(sa.String(16))

    checked_comment: so.Mapped[CheckedComment] = so.relationship()


class ModeratorToken(db.Model):
    """A bearer token for the moderation API (newsroom tools), acting as its moderator. Stored as its SHA-256."""

    __tablename__ = "moderator_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    moderator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("moderators.id"), index=True)
    #: What the moderator named it after ("CMS plugin", "Slack bot"), to know which to revoke.
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    hint: so.Mapped[str] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column()

    moderator: so.Mapped[Moderator] = so.relationship()


class Setting(db.Model):
    """A setting an admin changes on a page rather than in the configuration (who, when)."""

    __tablename__ = "settings"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[Any] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("moderators.id"))

    updated_by: so.Mapped[Moderator | None] = so.relationship()


# --- Readers help moderate: reports and authors' edits (moderation/comments/reports.py, edits.py) ---------


class Report(db.Model):
    """A reader's "this should not be here" on a published comment, until a moderator upholds or dismisses it.

    A reader is their browser's ``reader`` cookie (one report per comment each),
    or their IP hash when they come without it. ``network`` is a keyed hash of
    the address's /24 (IPv4) or /48 (IPv6): reports from one network count once.
    """

    __tablename__ = "reports"
    __table_args__ = (sa.UniqueConstraint("comment_id", "reader"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"))  # indexed by the unique pair
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: "spam", "abusive", "offtopic" or "other"
    reason: so.Mapped[str] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    reader: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    ip_hash: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    network: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: "open", then "upheld" (the comment was rejected) or "dismissed" (a moderator kept it)
    state: so.Mapped[str] = so.mapped_column(sa.String(16), default="open", index=True)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column()
    #: The moderator decision that resolved it.
    decision_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("decisions.id"))

    comment: so.Mapped[Comment] = so.relationship()


class CommentEdit(db.Model):
    """An author's edit or deletion of their own comment: the audit record, with the text before it."""

    __tablename__ = "comment_edits"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: "edit" or "delete"
    action: so.Mapped[str] = so.mapped_column(sa.String(8))
    text_before: so.Mapped[str] = so.mapped_column(sa.Text)
    status_before: so.Mapped[Status] = so.mapped_column(_enum(Status, "comment_edit_status_before"))
    status_after: so.Mapped[Status] = so.mapped_column(_enum(Status, "comment_edit_status_after"))
    #: How the edited text was routed ("threshold.spam.high"); for a deletion, "author.delete".
    route_rule: so.Mapped[str] = so.mapped_column(sa.String(64))
    scores_before: so.Mapped[dict[str, float] | None] = so.mapped_column(sa.JSON)

    comment: so.Mapped[Comment] = so.relationship()


# --- Model registry (moderation/model/store.py): the versions and the active alias every server shares ---


class ModelVersion(db.Model):
    """A model version's card; like the version itself, never changed once written."""

    __tablename__ = "model_versions"

    #: YYYYMMDD-HHMMSS-xxxxxx, as the registry names versions.
    version: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    added_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    card: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)


class ModelFile(db.Model):
    """One file of a version (``model.skops``, a plot), with the hash each server checks its cached copy against."""

    __tablename__ = "model_files"

    version: so.Mapped[str] = so.mapped_column(sa.ForeignKey("model_versions.version"), primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)


class ModelAlias(db.Model):
    """Which version a name points at: ``active`` is the one that scores. Moved by promotion and rollback."""

    __tablename__ = "model_aliases"

    name: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    version: so.Mapped[str] = so.mapped_column(sa.ForeignKey("model_versions.version"))
    changed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class ModelPromotion(db.Model):
    """Every promotion and rollback, in order: the stack a rollback pops."""

    __tablename__ = "model_promotions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "promote" or "rollback"
    action: so.Mapped[str] = so.mapped_column(sa.String(16))
    version: so.Mapped[str] = so.mapped_column(sa.ForeignKey("model_versions.version"))
    previous: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
