"""Kept copies of rendered threads: every worker sees every change at once, and held comments stay private."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, Status
from moderation.queue.decisions import decide
from tests.conftest import StubScorer, post_comment


def other_worker(app: Flask) -> Flask:
    """A second app on the same database, as a second gunicorn worker is: its own kept copies."""
    second = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False,
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
                        instance_path=app.instance_path)
    second.extensions["moderation.scorer"] = StubScorer()
    return second


def read(worker: Flask, path: str) -> str:
    with worker.app_context():
        text = worker.test_client().get(path).get_data(as_text=True)
        db.session.remove()
    return text


def test_a_comment_published_by_one_worker_shows_on_the_others_kept_page(
        app: Flask, client: FlaskClient, article: Article, tmp_path: Path) -> None:
    slug = article.slug
    worker = other_worker(app)
    assert "First on the thread." not in read(worker, f"/articles/{slug}")  # rendered and kept
    assert read(worker, f"/api/articles/{slug}/comments").count('"id"') == 0
    post_comment(client, article, comment="First on the thread.")
    assert "First on the thread." in read(worker, f"/articles/{slug}")
    assert "First on the thread." in read(worker, f"/api/articles/{slug}/comments")


def test_a_moderator_decision_changes_every_kept_page(app: Flask, client: FlaskClient, article: Article,
                                                      moderator: Moderator) -> None:
    slug = article.slug
    post_comment(client, article, comment="Borderline buynow offer.")  # held
    comment = db.session.scalar(sa.select(Comment))
    assert comment.status == Status.PENDING
    worker = other_worker(app)
    assert "Borderline buynow offer." not in read(worker, f"/articles/{slug}")
    decide(comment.id, "approve", moderator, seen_status=Status.PENDING)
    assert "Borderline buynow offer." in read(worker, f"/articles/{slug}")
    decide(comment.id, "reject", moderator, seen_status=Status.PUBLISHED)
    assert "Borderline buynow offer." not in read(worker, f"/articles/{slug}")


def test_a_readers_held_comment_never_reaches_the_kept_copy(app: Flask, client: FlaskClient, article: Article) -> None:
    slug = article.slug
    post_comment(client, article, comment="Published one.")
    post_comment(client, article, comment="You idiot, held one.")
    mine = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "You idiot, held one." in mine and "Your comment is awaiting moderation." in mine
    for _ in range(2):  # a stranger, before and after the author's own view was rendered
        stranger = app.test_client().get(f"/articles/{slug}").get_data(as_text=True)
        assert "Published one." in stranger and "held one" not in stranger and "awaiting" not in stranger
        client.get(f"/articles/{slug}")


def test_closing_comments_drops_the_reply_links(app: Flask, client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="A reply-worthy point.")
    assert "class=\"comment-reply-link\"" in client.get(f"/articles/{article.slug}").get_data(as_text=True)
    article.comments_open = False
    db.session.commit()
    assert "class=\"comment-reply-link\"" not in client.get(f"/articles/{article.slug}").get_data(as_text=True)
