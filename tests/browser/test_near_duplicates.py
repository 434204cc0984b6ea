"""A moderator deals with a spam wave from the keyboard: one key decides every near copy."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.models import Article, Comment, Decision, Moderator, Status
from tests.conftest import PASSWORD, post_comment
from tests.web.queue.test_near_duplicates import wave_text

pytestmark = pytest.mark.browser


def statuses() -> dict[str, list[Status]]:
    db.session.expire_all()
    found: dict[str, list[Status]] = {"wave": [], "other": []}
    for c in db.session.scalars(sa.select(Comment).order_by(Comment.id)):
        found["wave" if "replica" in c.text else "other"].append(c.status)
    return found


def test_keyboard_decides_a_duplicate_group(app: Flask, article: Article, moderator: Moderator, live_server: str,
                                            page) -> None:
    reader = app.test_client()
    post_comment(reader, article, comment="buynow I would like a refund for my subscription, please.",
                 email="other@example.org")
    for i in range(12):
        post_comment(reader, article, comment=wave_text(i), email=f"w{i}@example.org")

    page.goto(f"{live_server}/auth/login")
    page.fill("#email", moderator.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/moderation/")
    items = page.locator(".queue-item")
    assert items.count() == 2
    wave_row = [i for i in range(2) if "and 11 similar" in items.nth(i).inner_text()]
    assert len(wave_row) == 1

    for _ in range(wave_row[0]):  # the first row is selected on load
        page.keyboard.press("j")
    assert "and 11 similar" in page.locator(".queue-item.selected").inner_text()
    with page.expect_navigation():
        page.keyboard.press("s")
    assert "and its near copies: spam done on 12." in page.locator(".flash").first.inner_text()
    assert statuses() == {"wave": [Status.SPAM] * 12, "other": [Status.PENDING]}
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 12

    assert page.locator(".queue-item").count() == 1
    with page.expect_navigation():
        page.keyboard.press("a")  # the remaining comment is selected: it alone is approved
    assert statuses() == {"wave": [Status.SPAM] * 12, "other": [Status.PUBLISHED]}
    assert "Nothing here" in page.content()
