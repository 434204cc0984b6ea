"""Readers report and authors edit, in a real browser: reporting with and without JavaScript, enough reports
hiding a comment, a moderator keeping or removing reported comments by keyboard, an edit re-screened, and an
edit after the window refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, Report, Status
from tests.conftest import PASSWORD, post_comment

pytestmark = pytest.mark.browser

THANKS = "Thanks, a moderator will look at it."


def comment_with(text: str) -> Comment:
    db.session.expire_all()
    comment = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert comment is not None
    return comment


def reports_on(comment: Comment) -> list[Report]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Report).where(Report.comment_id == comment.id)))


@pytest.fixture
def from_addresses(app: Flask) -> None:
    """Behind one trusted proxy, so each browser context can come from its own address (X-Forwarded-For)."""
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]


def test_a_reader_reports_without_javascript(app: Flask, article: Article, live_server: str, browser) -> None:
    post_comment(app.test_client(), article, comment="Buy my course at my website please.")
    comment = comment_with("Buy my course at my website please.")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/articles/{article.slug}")
    page.click(f"#comment-{comment.id} .comment-report-link")
    assert page.url.endswith(f"/comments/{comment.id}/report")
    page.check("input[value=spam]")
    page.fill("#note", "Advertising")
    page.click("text=Send report")
    assert THANKS in page.locator(".flash").inner_text()
    assert page.url.endswith(f"/articles/{article.slug}#comment-{comment.id}")
    assert [(r.reason, r.note) for r in reports_on(comment)] == [("spam", "Advertising")]
    context.close()


def test_a_reader_reports_with_javascript_in_place(app: Flask, article: Article, live_server: str, page) -> None:
    post_comment(app.test_client(), article, comment="You are all sheep.")
    comment = comment_with("You are all sheep.")
    page.goto(f"{live_server}/articles/{article.slug}")
    page.click(f"#comment-{comment.id} .comment-report-link")
    form = page.locator(f"#comment-{comment.id} .report-inline")
    form.locator("select").select_option("other")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".report-status:has-text('Please say')")
    assert form.locator(".report-status").inner_text() == "Please say in a few words what is wrong with it."
    form.locator("input[name=note]").fill("Name-calling")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".report-status:has-text('Thanks')")
    assert form.locator(".report-status").inner_text() == THANKS
    assert page.url.endswith(f"/articles/{article.slug}")  # no page load
    assert [(r.reason, r.note) for r in reports_on(comment)] == [("other", "Name-calling")]


def test_three_readers_hide_a_comment_and_a_moderator_decides_by_keyboard(
        app: Flask, article: Article, moderator: Moderator, live_server: str, browser, from_addresses) -> None:
    post_comment(app.test_client(), article, comment="A comment three readers dislike.", email="a@example.org")
    post_comment(app.test_client(), article, comment="A comment one reader dislikes.", email="b@example.org")
    hidden, kept = comment_with("A comment three readers dislike."), comment_with("A comment one reader dislikes.")
    for n, address in enumerate(("198.51.100.7", "203.0.113.9", "192.0.2.44")):
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
        page = context.new_page()
        page.goto(f"{live_server}/articles/{article.slug}")
        targets = (hidden, kept) if n == 0 else (hidden,)
        for target in targets:
            page.click(f"#comment-{target.id} .comment-report-link")
            page.locator(f"#comment-{target.id} .report-inline button[type=submit]").click()
            page.wait_for_selector(f"#comment-{target.id} .report-status:has-text('Thanks')")
        context.close()
    assert comment_with("A comment three readers dislike.").hidden_at is not None
    reader = browser.new_context().new_page()
    reader.goto(f"{live_server}/articles/{article.slug}")
    assert reader.locator(f"#comment-{hidden.id}").count() == 0 and reader.locator(f"#comment-{kept.id}").count() == 1

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", moderator.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/moderation/**")
    page.goto(f"{live_server}/moderation/?tab=reported")
    assert page.locator(".queue-item").count() == 2
    first = int(page.locator(".queue-item.selected").get_attribute("data-id"))
    assert first == hidden.id  # three readers outrank one
    assert "hidden from readers" in page.locator(".queue-item.selected").inner_text()
    with page.expect_navigation():
        page.keyboard.press("r")  # uphold: rejected
    assert comment_with("A comment three readers dislike.").status == Status.REJECTED
    assert {r.state for r in reports_on(hidden)} == {"upheld"}
    assert int(page.locator(".queue-item.selected").get_attribute("data-id")) == kept.id
    with page.expect_navigation():
        page.keyboard.press("a")  # keep: the reports are dismissed, the comment stays published
    assert comment_with("A comment one reader dislikes.").status == Status.PUBLISHED
    assert {r.state for r in reports_on(kept)} == {"dismissed"}
    assert "Nothing here" in page.content()
    context.close()


def test_an_author_edits_within_the_window_and_the_edit_is_screened_again(
        app: Flask, article: Article, live_server: str, page) -> None:
    page.goto(f"{live_server}/articles/{article.slug}")
    page.fill("#comment", "Nice piece on the harbour plans.")
    page.fill("#author", "Ann Reader")
    page.fill("#email", "ann@example.org")
    page.click("#submit")
    comment = comment_with("Nice piece on the harbour plans.")
    assert comment.status == Status.PUBLISHED
    page.click(f"#comment-{comment.id} .comment-edit-link")
    assert page.input_value("#comment") == "Nice piece on the harbour plans."
    page.fill("#comment", "Nice piece. Now buy cheap pills at spamword.example")
    page.click("#submit")
    assert "updated and is awaiting moderation" in page.locator(".flash").inner_text()
    edited = comment_with("Nice piece. Now buy cheap pills at spamword.example")
    assert edited.status == Status.SPAM and edited.edited_at is not None
    assert "Your comment is awaiting moderation." in page.locator(f"#comment-{comment.id}").inner_text()
    other = page.context.browser.new_context().new_page()
    other.goto(f"{live_server}/articles/{article.slug}")
    assert other.locator(f"#comment-{comment.id}").count() == 0  # not published to anyone else
    other.context.close()


def test_editing_after_the_window_is_refused_with_a_message(
        app: Flask, article: Article, live_server: str, page) -> None:
    page.goto(f"{live_server}/articles/{article.slug}")
    page.fill("#comment", "A thought I will want to change too late.")
    page.fill("#author", "Bo")
    page.fill("#email", "bo@example.org")
    page.click("#submit")
    comment = comment_with("A thought I will want to change too late.")
    page.click(f"#comment-{comment.id} .comment-edit-link")
    comment.created_at -= timedelta(seconds=app.config["EDIT_WINDOW_SECONDS"])  # the window closes meanwhile
    db.session.commit()
    page.fill("#comment", "Changed after all.")
    page.click("#submit")
    assert "15 minutes after posting, and that time is over" in page.locator(".form-error").inner_text()
    assert comment_with("A thought I will want to change too late.").edited_at is None
