"""A moderator in a real browser: signs in, works the queue with the keyboard."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, Status
from tests.conftest import PASSWORD, post_comment

pytestmark = pytest.mark.browser


def status_of(comment_id: int) -> Status:
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    assert comment is not None
    return comment.status


def test_keyboard_approve_and_spam(app: Flask, article: Article, moderator: Moderator, live_server: str,
                                   page) -> None:
    reader = app.test_client()
    post_comment(reader, article, comment="Held for a look buynow", email="one@example.org")
    post_comment(reader, article, comment="You idiot, read the bill", email="two@example.org")
    assert db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.status == Status.PENDING)) == 2

    page.goto(f"{live_server}/moderation/")
    assert "/auth/login" in page.url  # the queue is behind the sign-in
    page.fill("#email", moderator.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/moderation/**")
    assert page.locator(".queue-item").count() == 2

    page.keyboard.press("j")  # the first item is selected on load; j moves to the second
    second = int(page.locator(".queue-item.selected").get_attribute("data-id"))
    with page.expect_navigation():
        page.keyboard.press("a")
    assert page.locator(".flash").first.inner_text() == f"Comment #{second}: approve done."
    assert status_of(second) == Status.PUBLISHED

    first = int(page.locator(".queue-item.selected").get_attribute("data-id"))
    assert first != second
    with page.expect_navigation():
        page.keyboard.press("s")
    assert status_of(first) == Status.SPAM
    assert page.locator(".queue-item").count() == 0 and "Nothing here" in page.content()
