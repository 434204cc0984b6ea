"""embed.js on a page another site serves: the thread loads and a reader posts across origins."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from moderation.extensions import db
from moderation.models import Article, Comment, Report, Status
from tests.conftest import post_comment

pytestmark = pytest.mark.browser


@pytest.fixture
def news_site(live_server: str) -> Iterator[str]:
    """Another origin (another port) serving an article page with the embed snippet."""
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Our article</title></head>
<body><h1>Our article</h1><p>Served by the newsroom's CMS.</p>
<div id="comments" data-comments-article="budget-vote"></div>
<script src="{live_server}/static/embed.js" async></script></body></html>"""
    server = make_server("127.0.0.1", 0, lambda environ, start: Response(page, mimetype="text/html")(environ, start))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_embedded_thread_and_posting(app: Flask, article: Article, live_server: str, news_site: str, page) -> None:
    post_comment(app.test_client(), article, comment="Already here <b>bold?</b>", email="a@example.org")
    app.config["EMBED_ORIGINS"] = [news_site]
    page.goto(f"{news_site}/article")
    page.wait_for_selector(".comment-list .comment")
    assert page.locator(".comments-title").inner_text() == "1 thought on “Parliament votes on the budget”"
    assert page.locator(".comment-content").first.inner_text() == "Already here <b>bold?</b>"  # shown as text

    page.fill("#embed-comment", "Posted from the newsroom's page.")
    page.fill("#embed-author", "Cy Reader")
    page.fill("#embed-email", "cy@example.org")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector("text=Posted from the newsroom's page.")
    assert "your comment is published" in page.locator(".comment-status").inner_text()

    page.fill("#embed-comment", "You idiot, read it again.")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector(".comment.awaiting")
    assert "awaiting moderation" in page.locator(".comment.awaiting").inner_text()

    db.session.expire_all()
    statuses = {c.text: c.status for c in db.session.scalars(sa.select(Comment))}
    assert statuses["Posted from the newsroom's page."] == Status.PUBLISHED
    assert statuses["You idiot, read it again."] == Status.PENDING


def test_a_site_not_allowed_cannot_post(app: Flask, article: Article, live_server: str, news_site: str,
                                        page) -> None:
    page.goto(f"{news_site}/article")
    page.wait_for_selector(".comment-form")
    page.fill("#embed-comment", "From a site nobody allowed.")
    page.fill("#embed-author", "Eve")
    page.fill("#embed-email", "eve@example.org")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector("text=could not be sent")
    assert page.locator("#embed-comment").input_value() == "From a site nobody allowed."  # text kept
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_a_reader_reports_a_comment_from_the_embed(app: Flask, article: Article, live_server: str, news_site: str,
                                                   page) -> None:
    post_comment(app.test_client(), article, comment="Visit my shop for cheap tickets", email="a@example.org")
    app.config["EMBED_ORIGINS"] = [news_site]
    page.goto(f"{news_site}/article")
    page.wait_for_selector(".comment-list .comment")
    page.click(".comment-report-link")
    page.select_option(".report-inline select", "spam")
    page.fill(".report-inline input[name=note]", "An advert")
    page.click(".report-inline button[type=submit]")
    page.wait_for_selector(".report-status:has-text('Thanks')")
    assert page.locator(".report-status").inner_text() == "Thanks, a moderator will look at it."
    report = db.session.scalar(sa.select(Report))
    assert report is not None and (report.reason, report.note) == ("spam", "An advert")
