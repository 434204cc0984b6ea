"""A reader in a real browser: reads an article, comments, replies in place, fixes a mistake."""
from __future__ import annotations

import pytest
from flask import Flask

from moderation.models import Article

pytestmark = pytest.mark.browser


def test_comment_then_reply_in_place(app: Flask, article: Article, live_server: str, page) -> None:
    page.goto(f"{live_server}/articles/{article.slug}")
    assert page.locator("h1").inner_text() == "Parliament votes on the budget"
    assert page.locator("#reply-title").inner_text().startswith("Leave a Reply")

    page.fill("#comment", "First!\nA second line.")
    page.fill("#author", "Ann Reader")
    page.fill("#email", "ann@example.org")
    page.click("#submit")
    assert "your comment is published" in page.locator(".flash").inner_text()
    first = page.locator(".comment").first
    assert first.locator(".comment-content").inner_html() == "<p>First!<br>\nA second line.</p>"

    # "Reply" moves the form under the comment without a reload (JavaScript).
    first.locator(".comment-reply-link").click()
    assert page.locator(".comment .comment-respond").count() == 1
    assert page.locator(".reply-to-author").inner_text() == "Ann Reader"
    page.fill("#comment", "A reply, you idiot.")
    page.fill("#author", "Bo Replier")
    page.fill("#email", "bo@example.org")
    page.click("#submit")
    reply = page.locator(".children .comment")
    assert reply.count() == 1
    assert "Your comment is awaiting moderation." in reply.inner_text()


def test_failed_form_keeps_the_text(app: Flask, article: Article, live_server: str, page) -> None:
    page.goto(f"{live_server}/articles/{article.slug}")
    page.fill("#comment", "Long thoughts that must not be lost.")
    page.fill("#author", "Bo")
    page.fill("#email", "not an email")
    page.click("#submit")
    assert page.locator(".comment-form-email .field-error").inner_text() == "Please give a valid email address."
    assert page.input_value("#comment") == "Long thoughts that must not be lost."
    assert page.input_value("#author") == "Bo"
    page.fill("#email", "bo@example.org")
    page.click("#submit")
    assert "Long thoughts that must not be lost." in page.locator(".comment-list").inner_text()


def test_script_in_a_comment_does_not_run(app: Flask, article: Article, live_server: str, page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server}/articles/{article.slug}")
    page.fill("#comment", "<script>alert('x')</script><img src=x onerror=alert('y')>")
    page.fill("#author", "Mallory")
    page.fill("#email", "m@example.org")
    page.click("#submit")
    assert "<script>alert('x')</script>" in page.locator(".comment-content").inner_text()
    assert dialogs == []
