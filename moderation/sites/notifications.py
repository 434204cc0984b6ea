"""Email: reply notifications for readers who asked for them, and moderators' digest of held comments.

Nothing is sent while a request waits. ``flask send-mail`` (once, or ``--loop``
as a service) finds what is due, writes it to the outbox table (``OutboxMail``,
one row per email, keyed so nothing is queued twice) and sends the outbox over
SMTP; a failed send is logged and retried later with a doubling delay. Reply
notifications are found by looking at the database (published replies to
subscribed comments) rather than by hooks in ``submit`` and ``decide``, so a
reply approved from the queue notifies exactly like one published at once.

With no ``MAIL_SERVER`` or no ``BASE_URL`` (the links need it) nothing is
queued or sent, and the form does not offer the "Email me replies" box.

Several servers may each run ``send-mail --loop``: an email is queued once
(its key is unique and a second insert is ignored; a digest's key names the
digest it follows, so two servers deciding at once write the same one) and
sent once (a worker claims each email before sending it, with ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so the others skip it instead of waiting).
"""
from __future__ import annotations

import logging
import smtplib
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.dialects import postgresql, sqlite

from ..comments.threads import page_of
from ..extensions import db
from ..models import Comment, Moderator, OutboxMail, ReplySubscription, Status, utcnow

log = logging.getLogger(__name__)

#: How long a worker holds an email it is sending before another worker may take it (a crash mid-send).
CLAIM = timedelta(minutes=5)
#: Replies posted or approved longer ago than this are not looked at again (they were queued when
#: they were new, unless the worker was stopped for longer), so each round reads only recent rows.
REPLY_LOOKBACK = timedelta(days=7)
#: Emails sent per round; the rest wait for the next round.
BATCH = 100
#: Held comments listed one by one in a digest; the rest are counted.
DIGEST_LISTED = 50


def mail_enabled() -> bool:
    return bool(current_app.config["MAIL_SERVER"] and current_app.config["BASE_URL"])


# --- consent --------------------------------------------------------------------------------

def subscribe(comment: Comment) -> None:
    """Record the reader's consent to reply emails for this comment (the form's "Email me replies" box)."""
    exists = db.session.scalar(sa.select(ReplySubscription.id).where(ReplySubscription.comment_id == comment.id))
    if exists is None:
        db.session.add(ReplySubscription(comment_id=comment.id))
        db.session.commit()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="reply-notifications-unsubscribe")


def unsubscribe_token(email: str) -> str:
    """Signed, not stored: it never expires, as an unsubscribe link in an old email must keep working."""
    return _serializer().dumps(email)


def email_from_token(token: str) -> str | None:
    try:
        email = _serializer().loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None


def unsubscribe(email: str) -> int:
    """Withdraw every consent of this address; returns how many comments it covered."""
    ids = _subscription_ids(email)
    if ids:
        db.session.execute(sa.delete(ReplySubscription).where(ReplySubscription.id.in_(ids)))
        db.session.commit()
    return len(ids)


def _subscription_ids(email: str) -> list[int]:
    return list(db.session.scalars(
        sa.select(ReplySubscription.id).join(Comment, Comment.id == ReplySubscription.comment_id)
        .where(Comment.email == email)))


# --- what to send -------------------------------------------------------------------------

def external_url(endpoint: str, anchor: str | None = None, **values: Any) -> str:
    """A link for an email, on ``BASE_URL`` (there is no request to take the host from)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    url = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mail(kind: str, key: str, to: str, subject: str, body: str, headers: dict[str, str] | None,
          now: datetime) -> dict[str, Any]:
    return {"kind": kind, "key": key, "to_address": to, "subject": _one_line(subject, 300), "body": body,
            "headers": headers or {}, "created_at": now, "next_attempt_at": now, "attempts": 0}


def _queue(mails: list[dict[str, Any]]) -> int:
    """Add the emails whose key is new and commit; returns how many were added.

    ``ON CONFLICT DO NOTHING`` rather than a look first: another server may
    queue the same email between the look and the insert.
    """
    if not mails:
        return 0
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    added = db.session.scalars(dialect.insert(OutboxMail).values(mails).on_conflict_do_nothing(
        index_elements=[OutboxMail.key]).returning(OutboxMail.id)).all()
    db.session.commit()
    return len(added)


def queue_reply_notifications(now: datetime) -> int:
    """One email per published reply to a comment whose author asked for them (not for their own replies)."""
    parent = so.aliased(Comment)
    rows = db.session.execute(
        sa.select(Comment, parent)
        .join(parent, parent.id == Comment.parent_id)
        .join(ReplySubscription, ReplySubscription.comment_id == parent.id)
        .where(Comment.status == Status.PUBLISHED, Comment.email != parent.email,
               Comment.created_at >= ReplySubscription.created_at,
               sa.or_(Comment.created_at >= now - REPLY_LOOKBACK, Comment.decided_at >= now - REPLY_LOOKBACK))
        .order_by(Comment.id)
    ).all()
    due = {f"reply:{reply.id}": (reply, original) for reply, original in rows}
    if not due:
        return 0
    queued = set(db.session.scalars(sa.select(OutboxMail.key).where(OutboxMail.key.in_(due))))
    per_page = current_app.config["COMMENTS_PER_PAGE"]
    mails = []
    for key, (reply, original) in due.items():
        if key in queued:
            continue
        page = page_of(reply, per_page, ())
        link = external_url("articles.show", slug=reply.article.slug, cpage=page if page > 1 else None,
                            anchor=f"comment-{reply.id}")
        unsubscribe_link = external_url("notifications.unsubscribe", token=unsubscribe_token(original.email))
        body = (f"{reply.author} replied to your comment on “{reply.article.title}”:\n\n"
                f"{reply.text}\n\nRead the conversation: {link}\n\n"
                f"You get this email because you ticked “Email me replies” when you commented.\n"
                f"Stop these emails: {unsubscribe_link}\n")
        mails.append(_mail("reply", key, original.email, f"New reply to your comment on “{reply.article.title}”",
                           body, {"List-Unsubscribe": f"<{unsubscribe_link}>",
                                  "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}, now))
    return _queue(mails)


def digest_recipients() -> list[str]:
    configured = [str(e) for e in current_app.config["MAIL_DIGEST_TO"]]
    return configured or list(db.session.scalars(
        sa.select(Moderator.email).where(Moderator.active.is_(True)).order_by(Moderator.email)))


def queue_digest(now: datetime) -> int:
    """Every MAIL_DIGEST_MINUTES at most: the comments held since the last digest, to each moderator."""
    minutes = current_app.config["MAIL_DIGEST_MINUTES"]
    if not minutes:
        return 0
    last = db.session.scalar(sa.select(sa.func.max(OutboxMail.created_at)).where(OutboxMail.kind == "digest"))
    if last is not None and now - last < timedelta(minutes=minutes):
        return 0
    since = last or now - timedelta(minutes=minutes)
    held = list(db.session.scalars(
        sa.select(Comment).options(so.joinedload(Comment.article))
        .where(Comment.status == Status.PENDING, Comment.created_at > since, Comment.created_at <= now)
        .order_by(Comment.created_at, Comment.id)))
    recipients = digest_recipients()
    if not held or not recipients:
        return 0
    lines = [f"{len(held)} new comment{'' if len(held) == 1 else 's'} waiting for a moderator "
             f"(held since {since:%Y-%m-%d %H:%M} UTC).", "",
             f"Open the queue: {external_url('queue.index', tab='pending', sort='oldest')}", ""]
    for comment in held[:DIGEST_LISTED]:
        lines += [f"- {comment.author} on “{_one_line(comment.article.title, 80)}”: {_one_line(comment.text, 140)}",
                  f"  {external_url('queue.index', tab='pending', article=comment.article_id, anchor=f'item-{comment.id}')}"]
    if len(held) > DIGEST_LISTED:
        lines.append(f"… and {len(held) - DIGEST_LISTED} more in the queue.")
    subject = f"{len(held)} comment{'' if len(held) == 1 else 's'} waiting for moderation"
    # Named after the digest it follows: servers that decide at once on the same last digest write one.
    after = last.isoformat() if last is not None else "none"
    return _queue([_mail("digest", f"digest:after:{after}:{email}", email, subject, "\n".join(lines) + "\n", None,
                         now) for email in recipients])


# --- sending ------------------------------------------------------------------------------

def message(mail: OutboxMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at.replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=urlsplit(current_app.config["BASE_URL"]).hostname or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (mail.headers or {}).items():
        msg[name] = value
    msg.set_content(mail.body)
    return msg


def connect() -> smtplib.SMTP:
    config = current_app.config
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    smtp: smtplib.SMTP
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def _claim_next(now: datetime) -> OutboxMail | None:
    """Take the next due email for this worker, so no other worker sends it, and return it (None: nothing due).

    One statement: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets two workers
    take different emails at once without waiting on each other; SQLite runs
    one write at a time (and renders no FOR UPDATE), which is as safe. The
    claim pushes the email's next attempt CLAIM ahead: if this worker dies
    while sending, another one sends it after that.
    """
    due = (sa.select(OutboxMail.id)
           .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= now,
                  OutboxMail.attempts < current_app.config["MAIL_MAX_ATTEMPTS"])
           .order_by(OutboxMail.id).limit(1)
           .with_for_update(skip_locked=True))
    claimed = db.session.scalar(
        sa.update(OutboxMail).where(OutboxMail.id == due.scalar_subquery())
        .values(next_attempt_at=now + CLAIM).returning(OutboxMail.id)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return db.session.get(OutboxMail, claimed) if claimed is not None else None


def send_due(now: datetime) -> tuple[int, int]:
    """Send what is due; returns (sent, failed). A failure is retried after MAIL_RETRY_SECONDS × 2^(attempts−1)."""
    config = current_app.config
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(BATCH):
            mail = _claim_next(now)
            if mail is None:
                break
            try:
                smtp = smtp or connect()
                smtp.send_message(message(mail))
            except (smtplib.SMTPException, OSError) as exc:
                _close(smtp)
                smtp = None  # reconnect for the next email: this connection may be broken
                mail.attempts += 1
                mail.last_error = _one_line(f"{type(exc).__name__}: {exc}", 300)
                mail.next_attempt_at = now + timedelta(seconds=config["MAIL_RETRY_SECONDS"] * 2 ** (mail.attempts - 1))
                final = mail.attempts >= config["MAIL_MAX_ATTEMPTS"]
                (log.error if final else log.warning)(
                    "mail #%s to %s failed (attempt %s of %s%s): %s", mail.id, mail.to_address, mail.attempts,
                    config["MAIL_MAX_ATTEMPTS"], ", giving up" if final else "", mail.last_error)
                failed += 1
            else:
                mail.attempts += 1
                mail.sent_at = utcnow()
                mail.last_error = None
                sent += 1
            db.session.commit()
    finally:
        _close(smtp)
    return sent, failed


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def run_once(now: datetime | None = None) -> dict[str, int]:
    """One round of the worker: queue what is due, then send the outbox."""
    now = now or utcnow()
    replies = queue_reply_notifications(now)
    digests = queue_digest(now)
    sent, failed = send_due(now)
    return {"replies": replies, "digests": digests, "sent": sent, "failed": failed}


def register_commands(app: Flask) -> None:
    @app.cli.command("send-mail")
    @click.option("--loop", is_flag=True, help="Keep running, one round every --every seconds (run it as a service).")
    @click.option("--every", default=30, show_default=True, type=click.IntRange(1, 3600))
    def send_mail(loop: bool, every: int) -> None:
        """Queue reply notifications and the moderators' digest, then send the outbox over SMTP."""
        if not mail_enabled():
            raise click.ClickException("email is off: set MODERATION_MAIL_SERVER and MODERATION_BASE_URL")
        while True:
            counts = run_once()
            if not loop or counts["sent"] or counts["failed"]:
                click.echo(f"Queued {counts['replies']} reply notification(s) and {counts['digests']} digest(s); "
                           f"sent {counts['sent']}, failed {counts['failed']} (retried later).")
            if not loop:
                return
            db.session.remove()
            time.sleep(every)
