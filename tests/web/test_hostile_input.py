"""Malformed and hostile requests get a 4xx with a message, never a 500, and change nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator
from tests.conftest import csrf_token, login

HUGE = "9" * 20


@pytest.mark.parametrize("fields", [
    {"comment": "a\x00b"},  # PostgreSQL cannot store NUL
    {"comment_parent": HUGE}, {"comment_parent": "abc"}, {"comment_parent": "-1"}, {"comment_parent": "²"},
    {"url": "javascript:alert(1)"}, {"email": "not an email"}, {"email": "a" * 300 + "@example.org"},
    {"url": "http://x.org/" + "a" * 5000},
])
def test_bad_comment_fields_are_400(client: FlaskClient, article: Article, fields: dict[str, str]) -> None:
    data = {"comment": "hi", "author": "x", "email": "x@example.org",
            "csrf_token": csrf_token(client, f"/articles/{article.slug}"), **fields}
    assert client.post(f"/articles/{article.slug}/comments", data=data).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


@pytest.mark.parametrize("query", ["cpage=abc", "cpage=-5", f"cpage={HUGE}", "replytocom=abc", f"replytocom={HUGE}"])
def test_odd_article_queries_still_show_the_page(client: FlaskClient, article: Article, query: str) -> None:
    assert client.get(f"/articles/{article.slug}?{query}").status_code == 200


def test_undecodable_and_oversized_forms_are_refused(client: FlaskClient, article: Article) -> None:
    url = f"/articles/{article.slug}/comments"
    form = "application/x-www-form-urlencoded"
    assert client.post(url, data=b"\xff\xfe garbage", content_type=form).status_code == 400
    assert client.post(url, data="&".join(f"f{i}=1" for i in range(5000)), content_type=form).status_code in (400, 413)
    assert client.post(url, json={"comment": "x"}).status_code == 400


def test_moderation_urls_with_impossible_ids_are_404(client: FlaskClient, moderator: Moderator) -> None:
    login(client, moderator.email)
    token = csrf_token(client, "/moderation/")
    for url in (f"/moderation/comments/{HUGE}/decide", f"/moderation/comments/{HUGE}/ban",
                f"/moderation/bans/{HUGE}/lift", f"/moderation/articles/{HUGE}"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert client.get(f"/moderation/?article={HUGE}&page=abc&sort=evil&tab=evil").status_code == 200
    response = client.post("/moderation/bulk", data={"csrf_token": token, "action": "approve",
                                                     "ids": ["abc", HUGE, "-1"]})
    assert response.status_code == 302


def test_a_json_body_nested_ten_thousand_deep_is_a_400_with_a_message(client: FlaskClient, article: Article) -> None:
    url = f"/api/articles/{article.slug}/comments"
    for body in ("[" * 10_000 + "]" * 10_000, '{"comment": ' + "[" * 10_000 + "]" * 10_000 + "}",
                 '{"comment": ' + "[" * 30 + "]" * 30 + ', "author": "A", "email": "a@example.org"}'):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 400
        assert response.get_json()["error"].startswith("Send ")
