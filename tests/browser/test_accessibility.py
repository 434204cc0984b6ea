"""axe-core's WCAG 2.1 A and AA rules find nothing on the reader's and the moderators' pages.

axe-core comes inside the ``axe-playwright-python`` package (no network needed);
the test fails if it is not axe-core 4.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator
from tests.conftest import PASSWORD, csrf_token, post_comment

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe():
    module = pytest.importorskip("axe_playwright_python.sync_playwright")
    checker = module.Axe()
    assert "axe v4." in checker.axe_script[:200], "expected axe-core 4"
    return checker


def violations(axe, page) -> list[str]:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}: {', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in results.response["violations"]]


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/moderation/**")


def test_reader_and_moderator_pages_have_no_wcag_aa_violations(
        app: Flask, article: Article, admin: Moderator, live_server: str, page, axe) -> None:
    reader = app.test_client()
    post_comment(reader, article, comment="A published comment, with a link to https://example.org.")
    post_comment(reader, article, comment="Held for a look buynow", email="two@example.org")
    post_comment(reader, article, comment="You idiot, read it again", email="three@example.org")
    published = db.session.scalar(sa.select(Comment).where(Comment.text.startswith("A published")))
    url = f"/articles/{article.slug}/comments/{published.id}/report"
    reader.post(url, data={"reason": "other", "note": "Looks like an advert", "csrf_token": csrf_token(reader, url)})

    pages = {"article": f"/articles/{article.slug}", "report form": url, "article list": "/"}
    for name, path in pages.items():
        page.goto(live_server + path)
        assert violations(axe, page) == [], name
    page.goto(f"{live_server}/articles/{article.slug}")
    page.fill("#comment", "")
    page.click("#submit")  # a refused post: the error messages and invalid fields must pass too
    assert violations(axe, page) == [], "article with errors"
    page.fill("#comment", "My own comment, which I may edit for a while.")
    page.fill("#author", "Ann Reader")
    page.fill("#email", "ann@example.org")
    page.click("#submit")
    assert violations(axe, page) == [], "article with my own comment's edit links"
    page.click(".comment-report-link")  # the report form opened in place
    page.wait_for_selector(".report-inline select")
    assert violations(axe, page) == [], "article with the report form open"
    for link in (".comment-edit-link", ".comment-delete-link"):
        page.goto(f"{live_server}/articles/{article.slug}")
        page.click(link)
        assert violations(axe, page) == [], link

    sign_in(page, live_server, admin.email)
    moderator_pages = {"queue": "/moderation/", "reported tab": "/moderation/?tab=reported",
                       "all tab": "/moderation/?tab=all", "Model page": "/admin/model",
                       "settings": "/moderation/articles", "bans": "/moderation/bans",
                       "word lists": "/moderation/words", "audit log": "/admin/audit"}
    found = {}
    for name, path in moderator_pages.items():
        page.goto(live_server + path)
        found[name] = violations(axe, page)
    assert {name: v for name, v in found.items() if v} == {}
