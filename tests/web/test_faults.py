"""Faults while serving: the database away for a few seconds, the model folder unreadable.

(A worker killed mid-load is in ``test_worker_kill.py``: it needs real processes.)
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import moderation.config
import moderation.model.scoring
from moderation.extensions import db
from moderation.model.scoring import Scorer
from moderation.models import Article, Comment, Moderator, Status
from tests.conftest import csrf_token, login, postgres_url
from training.registry import Registry

TEXT = "A long and careful comment about the budget vote, with <b>markup</b> kept as typed."


def comment_count() -> int:
    db.session.rollback()  # see what other connections committed
    return db.session.scalar(sa.select(sa.func.count(Comment.id))) or 0


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Every new connection is refused, as when the server is stopped; pooled connections are closed first."""
    engine = db.engine
    error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*args: object, **kwargs: object) -> None:
        raise error("connection refused: the database is down (simulated)")

    db.session.remove()
    engine.dispose()
    sa.event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        sa.event.remove(engine, "do_connect", refuse)


def form(client: FlaskClient, article: Article, text: str = TEXT) -> dict[str, str]:
    return {"comment": text, "author": "Ann Reader", "email": "ann@example.org", "url": "https://ann.example.org",
            "csrf_token": csrf_token(client, f"/articles/{article.slug}")}


def assert_unsaved_page(response, text: str = TEXT) -> None:  # type: ignore[no-untyped-def]
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Could not save your comment" in html and "try again" in html
    assert "&lt;b&gt;markup&lt;/b&gt;" in html and "<b>markup</b>" not in html  # kept, and escaped
    assert 'value="Ann Reader"' in html and 'value="ann@example.org"' in html
    assert 'name="csrf_token"' in html
    assert "Traceback" not in html and "OperationalError" not in html


def test_database_down_keeps_the_readers_text_and_recovers_by_itself(
        app: Flask, client: FlaskClient, article: Article) -> None:
    data = form(client, article)
    slug = article.slug
    with database_down(app):
        response = client.post(f"/articles/{slug}/comments", data=data)
        assert_unsaved_page(response)
        page = client.get(f"/articles/{slug}")
        assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)
    assert comment_count() == 0
    # Same app object, database back: the next request works.
    again = client.post(f"/articles/{slug}/comments", data=data)
    assert again.status_code == 302
    [comment] = db.session.scalars(sa.select(Comment))
    assert comment.text == TEXT and comment.status == Status.PUBLISHED


def test_database_down_api_answers_503_json(app: Flask, client: FlaskClient, article: Article) -> None:
    slug = article.slug
    with database_down(app):
        response = client.post(f"/api/articles/{slug}/comments",
                               json={"comment": TEXT, "author": "Ann", "email": "ann@example.org"})
        assert response.status_code == 503
        assert response.get_json()["error"].startswith("Could not save your comment")
        assert client.get(f"/api/articles/{slug}/comments").status_code == 503
    assert comment_count() == 0
    assert client.post(f"/api/articles/{slug}/comments",
                       json={"comment": TEXT, "author": "Ann", "email": "ann@example.org"}).status_code == 201


@pytest.mark.skipif(not postgres_url(), reason="needs PostgreSQL")
def test_postgres_restart_costs_at_most_one_request(app: Flask, client: FlaskClient, article: Article) -> None:
    """Every server-side connection killed, as a restart does: the pooled one fails once at most, then all is well."""
    data = form(client, article)
    slug = article.slug
    db.session.remove()  # the request's connection goes back to the pool, as after every request
    killer = sa.create_engine(db.engine.url)
    with killer.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    killer.dispose()
    assert killed >= 1
    first = client.post(f"/articles/{slug}/comments", data=data)
    if first.status_code == 503:
        assert_unsaved_page(first)
        first = client.post(f"/articles/{slug}/comments", data=data)
    assert first.status_code == 302
    assert comment_count() == 1


@pytest.mark.skipif(bool(postgres_url()), reason="locks the SQLite file")
def test_sqlite_file_locked_by_another_writer_fails_cleanly(app: Flask, client: FlaskClient, article: Article) -> None:
    """Another process holds the write lock longer than the busy timeout (5 s): 503, nothing written, then fine."""
    data = form(client, article)
    slug = article.slug
    path = db.engine.url.database
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        assert_unsaved_page(client.post(f"/articles/{slug}/comments", data=data))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert comment_count() == 0
    assert client.post(f"/articles/{slug}/comments", data=data).status_code == 302
    assert comment_count() == 1


@contextmanager
def unreadable(folder: Path) -> Iterator[None]:
    """The folder cannot be read. Root reads through permission bits, so as root it is swapped for a file."""
    mode = folder.stat().st_mode
    folder.chmod(0)
    aside = folder.with_name(folder.name + ".aside")
    if os.geteuid() == 0:
        folder.chmod(mode)
        folder.rename(aside)
        folder.write_text("")
        folder.chmod(0)
    try:
        yield
    finally:
        if aside.exists():
            folder.unlink()
            aside.rename(folder)
        folder.chmod(mode)


def test_unreadable_model_folder_holds_comments_and_the_model_page_says_why(
        app: Flask, client: FlaskClient, article: Article, admin: Moderator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation.model.scoring, "ALIAS_POLL_SECONDS", 0.0)  # read the alias on every comment
    registry = Registry(Path(app.instance_path) / app.config["MODELS_DIR"])
    if registry.ensure_seeded(moderation.config.DEFAULT_MODEL_DIR) is None and registry.active_version() is None:
        pytest.skip("no shipped default model in this checkout")
    scorer = Scorer(registry)
    app.extensions["moderation.scorer"] = scorer
    slug = article.slug
    reader = app.test_client()
    assert reader.post(f"/articles/{slug}/comments", data=form(reader, article, "Clear reporting, thank you.")).status_code == 302
    assert db.session.scalars(sa.select(Comment.status)).all() == [Status.PUBLISHED]  # the model was loaded and used

    with unreadable(registry.root):
        response = reader.post(f"/articles/{slug}/comments", data=form(reader, article, "Thanks for the update."))
        assert response.status_code == 302
        held = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1))
        assert held.status == Status.PENDING and held.scores is None and held.route_rule.startswith("scoring")
        assert "Thanks for the update." not in client.get(f"/articles/{slug}").get_data(as_text=True)
        login(client, admin.email)
        html = client.get("/admin/model").get_data(as_text=True)
        assert 'id="scoring-failure"' in html and "model registry cannot be read" in html

    assert reader.post(f"/articles/{slug}/comments", data=form(reader, article, "Back to normal now.")).status_code == 302
    assert db.session.scalar(sa.select(Comment.status).order_by(Comment.id.desc()).limit(1)) == Status.PUBLISHED
    assert scorer.last_failure is None
