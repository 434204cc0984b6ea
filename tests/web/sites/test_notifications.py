"""Email: reply notifications and the moderators' digest reach a real SMTP server; unsubscribing works."""
from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, OutboxMail, ReplySubscription, Status, utcnow
from moderation.queue.decisions import decide
from moderation.sites.notifications import run_once, send_due
from tests.conftest import csrf_from, post_comment, postgres_url

PORTS = range(5620, 5630)
#: send-mail rounds started at the same moment, standing for as many servers.
ROUNDS = 3
BASE_URL = "http://comments.test"


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 5620-5629")


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    controller, inbox = start_smtp(port)
    yield port, inbox
    controller.stop()


def mail_on(app: Flask, port: int) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, BASE_URL=BASE_URL, MAIL_FROM="news@comments.test")


def send_mail(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    return result.output


def test_reply_email_arrives_and_its_unsubscribe_link_works(app: Flask, client: FlaskClient, article: Article,
                                                            smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    mail_on(app, port)
    assert "Email me replies" in client.get(f"/articles/{article.slug}").get_data(as_text=True)
    post_comment(client, article, comment="Trams are overdue.", email="ann@example.org", notify_replies="y")
    post_comment(client, article, comment="No box ticked.", author="Dan", email="dan@example.org")
    original = db.session.scalar(sa.select(Comment).where(Comment.text == "Trams are overdue."))
    unticked = db.session.scalar(sa.select(Comment).where(Comment.text == "No box ticked."))
    assert db.session.scalars(sa.select(ReplySubscription.comment_id)).all() == [original.id]

    other = app.test_client()
    post_comment(other, article, comment="Agreed, ten years late.", author="Bob", email="bob@example.org",
                 comment_parent=str(original.id))
    post_comment(other, article, comment="buynow held reply", author="Bob", email="bob@example.org",
                 comment_parent=str(original.id))
    post_comment(other, article, comment="Reply to Dan.", author="Bob", email="bob@example.org",
                 comment_parent=str(unticked.id))
    post_comment(client, article, comment="My own follow-up.", email="ann@example.org",
                 comment_parent=str(original.id))
    assert "sent 1, failed 0" in send_mail(app)
    [mail] = inbox.messages
    assert mail["To"] == "ann@example.org" and mail["From"] == "news@comments.test"
    assert mail["Subject"] == f"New reply to your comment on “{article.title}”"
    body = mail.get_content()
    reply = db.session.scalar(sa.select(Comment).where(Comment.text == "Agreed, ten years late."))
    assert "Bob replied to your comment" in body and "Agreed, ten years late." in body
    assert f"{BASE_URL}/articles/{article.slug}#comment-{reply.id}" in body
    assert "buynow" not in body and "Reply to Dan" not in body
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"Stop these emails: (\S+)", body).group(1)
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert "sent 0" in send_mail(app) and len(inbox.messages) == 1  # nothing twice

    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200 and "Stop reply emails" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ReplySubscription.id))) == 1  # a GET changes nothing
    assert client.post(path, data={}).status_code == 400  # neither a CSRF token nor one-click
    done = client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 200 and "will get no more emails" in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ReplySubscription.id))) == 0

    held = db.session.scalar(sa.select(Comment).where(Comment.text == "buynow held reply"))
    held.status = Status.PUBLISHED
    db.session.commit()
    assert "sent 0" in send_mail(app)
    assert client.get(path[:-3] + "xyz").status_code == 404


def test_a_reply_approved_days_later_still_notifies_once(app: Flask, client: FlaskClient, article: Article,
                                                         moderator: Moderator, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    mail_on(app, port)
    app.config["MAIL_DIGEST_MINUTES"] = 0
    post_comment(client, article, comment="Question?", email="ann@example.org", notify_replies="y")
    question = db.session.scalar(sa.select(Comment).where(Comment.text == "Question?"))
    post_comment(app.test_client(), article, comment="buynow answer", author="Bob", email="bob@example.org",
                 comment_parent=str(question.id))
    answer = db.session.scalar(sa.select(Comment).where(Comment.text == "buynow answer"))
    answer.created_at -= timedelta(days=30)  # held for a month
    db.session.scalar(sa.select(ReplySubscription)).created_at -= timedelta(days=31)
    db.session.commit()
    assert run_once()["replies"] == 0
    decide(answer.id, "approve", moderator, seen_status=Status.PENDING)
    assert run_once()["replies"] == 1 and run_once()["replies"] == 0
    assert [m["To"] for m in inbox.messages] == ["ann@example.org"]


def test_one_click_unsubscribe_rfc8058(app: Flask, client: FlaskClient, article: Article,
                                       smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    mail_on(app, port)
    post_comment(client, article, comment="First.", email="ann@example.org", notify_replies="y")
    first = db.session.scalar(sa.select(Comment).where(Comment.text == "First."))
    post_comment(app.test_client(), article, comment="Second.", author="Bob", email="bob@example.org",
                 comment_parent=str(first.id))
    send_mail(app)
    link = inbox.messages[0]["List-Unsubscribe"].strip("<>")
    # What a mail client sends (RFC 8058): no cookies, no CSRF token.
    answer = app.test_client().post(urlsplit(link).path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(ReplySubscription.id))) == 0


def test_digest_of_held_comments_reaches_moderators_with_queue_links(app: Flask, client: FlaskClient,
                                                                     article: Article, moderator: Moderator,
                                                                     smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    mail_on(app, port)
    post_comment(client, article, comment="buynow cheap watches", author="Seller", email="s@example.org")
    post_comment(client, article, comment="A fine published comment.")
    held = db.session.scalar(sa.select(Comment).where(Comment.status == Status.PENDING))
    assert "1 digest(s); sent 1" in send_mail(app)
    [digest] = inbox.messages
    assert digest["To"] == moderator.email and digest["Subject"] == "1 comment waiting for moderation"
    body = digest.get_content()
    assert "buynow cheap watches" in body and "A fine published comment" not in body
    assert f"{BASE_URL}/moderation/?tab=pending&sort=oldest" in body
    assert f"{BASE_URL}/moderation/?tab=pending&article={article.id}#item-{held.id}" in body

    post_comment(client, article, comment="buynow second batch", author="Seller", email="s2@example.org")
    send_mail(app)
    assert len(inbox.messages) == 1  # not before MAIL_DIGEST_MINUTES
    run_once(utcnow() + timedelta(minutes=61))
    assert len(inbox.messages) == 2
    later = inbox.messages[1].get_content()
    assert "buynow second batch" in later and "cheap watches" not in later


def test_failed_send_is_logged_and_retried_with_backoff(app: Flask, client: FlaskClient, article: Article,
                                                        moderator: Moderator,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there yet
    mail_on(app, port)
    post_comment(client, article, comment="buynow held", author="Seller", email="s@example.org")
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="moderation.sites.notifications"):
        assert run_once(now) == {"replies": 0, "digests": 1, "sent": 0, "failed": 1}
    mail = db.session.scalar(sa.select(OutboxMail))
    assert mail.attempts == 1 and mail.sent_at is None and mail.last_error
    assert mail.next_attempt_at == now + timedelta(seconds=60)
    assert "attempt 1 of 6" in caplog.text
    assert send_due(now + timedelta(seconds=30)) == (0, 0)  # not due yet

    controller, inbox = start_smtp(port)
    try:
        assert send_due(now + timedelta(seconds=61)) == (1, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    db.session.refresh(mail)
    assert mail.sent_at is not None and mail.attempts == 2 and mail.last_error is None


def test_without_smtp_settings_nothing_is_offered_stored_or_sent(app: Flask, client: FlaskClient,
                                                                 article: Article) -> None:
    assert "Email me replies" not in client.get(f"/articles/{article.slug}").get_data(as_text=True)
    post_comment(client, article, comment="Ticked anyway.", notify_replies="y")
    assert db.session.scalar(sa.select(sa.func.count(ReplySubscription.id))) == 0
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 1 and "email is off" in result.output



# --- several servers each running send-mail --------------------------------------------


def test_two_servers_sending_at_the_same_moment_send_each_email_once(app: Flask, client: FlaskClient,
                                                                     article: Article, moderator: Moderator,
                                                                     admin: Moderator,
                                                                     smtp: tuple[int, Inbox]) -> None:
    """Two ``send-mail`` rounds started together (as on two machines) queue and send one digest per moderator."""
    port, inbox = smtp
    mail_on(app, port)
    post_comment(client, article, comment="Trams are overdue.", email="ann@example.org", notify_replies="y")
    original = db.session.scalar(sa.select(Comment).where(Comment.text == "Trams are overdue."))
    post_comment(app.test_client(), article, comment="Agreed.", author="Bob", email="bob@example.org",
                 comment_parent=str(original.id))
    post_comment(app.test_client(), article, comment="buynow cheap watches", author="Seller", email="s@example.org")
    now = utcnow()
    start = threading.Barrier(ROUNDS)
    counts: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def one_server() -> None:
        try:
            with app.app_context():
                start.wait()
                counts.append(run_once(now))
                db.session.remove()
        except BaseException as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=one_server) for _ in range(ROUNDS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    digests = sorted(m["To"] for m in inbox.messages if "waiting for moderation" in m["Subject"])
    replies = [m["To"] for m in inbox.messages if m["Subject"].startswith("New reply")]
    assert digests == sorted([moderator.email, admin.email]) and replies == ["ann@example.org"]
    assert sum(c["sent"] for c in counts) == 3 and sum(c["digests"] for c in counts) == 2
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 3


@pytest.mark.skipif(not postgres_url(), reason="FOR UPDATE SKIP LOCKED needs PostgreSQL (DATABASE_URL)")
def test_a_worker_skips_an_email_another_worker_holds_instead_of_waiting(app: Flask, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    mail_on(app, port)
    now = utcnow()
    for n in (1, 2):
        db.session.add(OutboxMail(kind="reply", key=f"test:{n}", to_address=f"r{n}@example.org", subject=f"Mail {n}",
                                  body="Hello.", headers={}, created_at=now, next_attempt_at=now, attempts=0))
    db.session.commit()
    first = db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.key == "test:1"))
    with db.engine.connect() as other_worker:  # holds mail 1 as a worker in the middle of its claim would
        other_worker.execute(sa.select(OutboxMail.id).where(OutboxMail.id == first).with_for_update())
        started = time.monotonic()
        assert send_due(now) == (1, 0)
        assert time.monotonic() - started < 5  # did not wait for the lock
        assert [m["Subject"] for m in inbox.messages] == ["Mail 2"]
        other_worker.rollback()
    assert send_due(now) == (1, 0)
    assert [m["Subject"] for m in inbox.messages] == ["Mail 2", "Mail 1"]
