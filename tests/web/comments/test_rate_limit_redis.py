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

from tests.conftest import limited_app, post_comment

REDIS_URL = "redis://127.0.0.1:6379/0"
#: One per test session: Flask-Limiter's extension object keeps the first key prefix it is given.
PREFIX = f"test-{secrets.token_hex(4)}"


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_answers(), reason="NOTICE: no Redis on 127.0.0.1:6379; Redis test skipped")


@pytest.mark.parametrize("setting", ["RATELIMIT_STORAGE_URI", "REDIS_URL"])
def test_workers_share_the_comment_limit(tmp_path: Path, setting: str) -> None:
    """Whether the limiter's storage is named, or only REDIS_URL is set (as on several machines)."""
    import redis

    prefix = PREFIX
    settings = {setting: REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    with limited_app(tmp_path, **settings) as (client, article):
        for n in range(2):
            assert post_comment(client, article, comment=f"Post {n}.").status_code == 302

    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert store.keys(f"*{prefix}*"), "the counters are not in Redis"
        # Another worker on the same Redis (a new app; its tables start empty).
        with limited_app(tmp_path, **settings) as (other, article):
            response = post_comment(other, article, comment="A third, through another worker.")
            assert response.status_code == 429
            assert "A third, through another worker." in response.get_data(as_text=True)
    finally:
        for key in store.keys(f"*{prefix}*"):
            store.delete(key)
