"""Moderators' settings: per-article comment settings and lifting bans."""
from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Ban, Comment, Moderator, Status
from moderation.queue.decisions import ban
from tests.conftest import csrf_token, login, post_comment


def newest_comment() -> Comment:
    comment = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1))
    assert comment is not None
    return comment


def test_closing_and_holding_an_article(client: FlaskClient, article: Article, moderator: Moderator) -> None:
    login(client, moderator.email)
    page = client.get("/moderation/articles").get_data(as_text=True)
    assert article.title in page
    token = csrf_token(client, "/moderation/articles")

    client.post(f"/moderation/articles/{article.id}", data={"csrf_token": token, "comments_open": "y",
                                                            "hold_all": "y"})
    db.session.refresh(article)
    assert article.comments_open and article.hold_all
    post_comment(client, article, comment="A perfectly clean remark")
    assert newest_comment().status == Status.PENDING and newest_comment().route_rule == "rule.hold_all"

    client.post(f"/moderation/articles/{article.id}", data={"csrf_token": token})  # both boxes unticked
    db.session.refresh(article)
    assert not article.comments_open and not article.hold_all
    assert "Comments are closed" in client.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_settings_need_csrf(client: FlaskClient, article: Article, moderator: Moderator) -> None:
    login(client, moderator.email)
    assert client.post(f"/moderation/articles/{article.id}", data={}).status_code == 400
    db.session.refresh(article)
    assert article.comments_open


def test_lifting_a_ban_lets_the_author_back_in(client: FlaskClient, article: Article, moderator: Moderator) -> None:
    post_comment(client, article, comment="A first remark", email="later@example.org")
    ban("email", "later@example.org", moderator, "from comment #1")
    post_comment(client, article, comment="A second remark", email="later@example.org")
    assert newest_comment().status == Status.SPAM and newest_comment().route_rule == "rule.banned"

    login(client, moderator.email)
    page = client.get("/moderation/bans").get_data(as_text=True)
    assert "later@example.org" in page and moderator.email in page
    entry = db.session.scalar(sa.select(Ban))
    assert entry is not None
    response = client.post(f"/moderation/bans/{entry.id}/lift",
                           data={"csrf_token": csrf_token(client, "/moderation/bans")})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Ban.id))) == 0
    assert "Nobody is banned" in client.get("/moderation/bans").get_data(as_text=True)

    post_comment(client, article, comment="A third remark", email="later@example.org")
    assert newest_comment().status == Status.PUBLISHED
