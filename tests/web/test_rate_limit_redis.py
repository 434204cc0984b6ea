"""Rate limits kept in Redis are shared by every worker process (MODERATION_RATELIMIT_STORAGE_URI=redis://...).

Two apps created one after the other stand for two gunicorn workers: the
second sees the posts counted by the first. Skips with a notice where no
Redis answers on 127.0.0.1:6379 (a fresh machine).
"""
from __future__ import annotations

import secrets
import socket
from pathlib import Path

import pytest

from moderation.extensions import db
from moderation.models import Article
from tests.conftest import StubScorer, make_app, post_comment

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_answers(), reason="NOTICE: no Redis on 127.0.0.1:6379; Redis test skipped")


def test_workers_share_the_comment_limit(tmp_path: Path) -> None:
    import redis

    prefix = f"test-{secrets.token_hex(4)}"
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                "COMMENT_RATE_LIMIT": "2 per minute"}
    first = make_app(tmp_path, **settings)
    first.extensions["moderation.scorer"] = StubScorer()
    with first.app_context():
        article = Article(slug="a", title="A", body="Body.")
        db.session.add(article)
        db.session.commit()
        client = first.test_client()
        for n in range(2):
            assert post_comment(client, article, comment=f"Post {n}.").status_code == 302
        db.session.remove()

    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert store.keys(f"*{prefix}*"), "the counters are not in Redis"
        second = make_app(tmp_path, **settings)  # another worker on the same Redis (make_app empties the tables)
        second.extensions["moderation.scorer"] = StubScorer()
        with second.app_context():
            article = Article(slug="a", title="A", body="Body.")
            db.session.add(article)
            db.session.commit()
            response = post_comment(second.test_client(), article, comment="A third, through another worker.")
            assert response.status_code == 429
            assert "A third, through another worker." in response.get_data(as_text=True)
    finally:
        for key in store.keys(f"*{prefix}*"):
            store.delete(key)
