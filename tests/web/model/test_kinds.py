"""The queue names the kind of toxicity that held a comment, and only then; kinds are stored but never route."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.model.kinds import KINDS_KEY
from moderation.models import Article, Comment, Moderator, Status
from moderation.queue.tokens import create_token
from tests.conftest import login, post_comment


def kinds_shown(html: str) -> list[str]:
    return re.findall(r'<span class="kinds">likely: (.*?)</span>', html)


def test_a_toxic_held_comment_shows_its_kind(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    reader = app.test_client()
    post_comment(reader, article, comment="You idiot, read the bill first", email="angry@example.org")
    post_comment(reader, article, comment="buynow cheap watches", email="shop@example.org")  # held for spam only
    held = db.session.scalars(sa.select(Comment).order_by(Comment.id)).all()
    assert [c.status for c in held] == [Status.PENDING, Status.PENDING]
    assert held[0].explanation[KINDS_KEY] == [["insult", 0.9], ["threat", 0.1]]
    assert "kinds" not in held[0].scores  # stored beside the reasons, where nothing routes by it

    login(client, moderator.email)
    assert kinds_shown(client.get("/moderation/?tab=pending").get_data(as_text=True)) == ["insult"]


def test_the_moderation_api_names_the_same_kinds(client: FlaskClient, article: Article, moderator: Moderator) -> None:
    post_comment(client, article, comment="You idiot, read the bill first", email="angry@example.org")
    post_comment(client, article, comment="buynow cheap watches", email="shop@example.org")
    token = create_token(moderator, "cms")[1]
    queue = client.get("/api/moderation/queue", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {c["text"]: c["kinds"] for c in queue["comments"]} == {
        "You idiot, read the bill first": ["insult"], "buynow cheap watches": []}
