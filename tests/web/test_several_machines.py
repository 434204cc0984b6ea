"""Settings for running on several machines: one secret for the cluster, rate limits in Redis whenever REDIS_URL is set."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moderation import create_app
from moderation.extensions import limiter
from tests.conftest import limited_app, post_comment

SHARED_DATABASE = "postgresql://moderation@db.internal/moderation"  # never connected to: create_app only reads it


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODERATION_SECRET_KEY", "REDIS_URL", "MODERATION_REDIS_URL", "MODERATION_RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)


def test_a_per_machine_secret_with_a_shared_database_is_said_loudly(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        app = create_app({"SQLALCHEMY_DATABASE_URI": SHARED_DATABASE}, instance_path=str(tmp_path))
    [warning] = [r for r in caplog.records if "MODERATION_SECRET_KEY is not set" in r.getMessage()]
    assert warning.levelno == logging.WARNING and str(tmp_path / "secret_key") in warning.getMessage()
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


@pytest.mark.parametrize("config", [
    {"SQLALCHEMY_DATABASE_URI": SHARED_DATABASE, "SECRET_KEY": "the cluster's own"},
    {"SQLALCHEMY_DATABASE_URI": None},  # SQLite in the instance folder: one machine
])
def test_no_warning_with_a_configured_secret_or_on_one_machine(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                               monkeypatch: pytest.MonkeyPatch, config: dict) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with caplog.at_level(logging.WARNING):
        create_app(config, instance_path=str(tmp_path))
    assert "MODERATION_SECRET_KEY" not in caplog.text


def test_rate_limits_count_in_redis_whenever_redis_url_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert create_app({}, instance_path=str(tmp_path / "a")).config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    app = create_app({}, instance_path=str(tmp_path / "b"))
    assert app.config["REDIS_URL"] == app.config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"
    own = create_app({"RATELIMIT_STORAGE_URI": "redis://limits.internal:6379/1"}, instance_path=str(tmp_path / "c"))
    assert own.config["RATELIMIT_STORAGE_URI"] == "redis://limits.internal:6379/1"  # an explicit choice wins


def test_readers_can_post_while_redis_is_down_and_the_limit_still_holds(tmp_path: Path) -> None:
    """Each process then counts in memory (Flask-Limiter's fallback) rather than answer 500."""
    try:
        with limited_app(tmp_path, REDIS_URL="redis://127.0.0.1:1/0") as (client, article):
            statuses = [post_comment(client, article, comment=f"Post {n}.").status_code for n in range(3)]
    finally:
        limiter._storage_dead = False  # one limiter object serves every test's app: let the next one use its storage
    assert statuses == [302, 302, 429]
