"""``flask backup``: a consistent online copy that restores into a working instance with every comment."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import create_app
from moderation.comments.submit import Client, Draft, submit
from moderation.extensions import db
from moderation.models import Article, Comment
from tests.conftest import StubScorer, make_app, postgres_url


def sqlite_app(tmp_path: Path) -> Flask:
    """SQLite in a file even when the suite runs on PostgreSQL: the backup API is SQLite's."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'instance' / 'moderation.sqlite3'}")
    app.extensions["moderation.scorer"] = StubScorer()
    return app


def post(app: Flask, slug: str, text: str) -> int:
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
        comment = submit(article, Draft(text=text, author="Reader", email="r@example.org"), Client("127.0.0.1"))
        return comment.id


def test_backup_during_posting_restores_every_comment_committed_before_it(tmp_path: Path) -> None:
    app = sqlite_app(tmp_path)
    with app.app_context():
        article = Article(slug="live", title="Live", body="Body.")
        db.session.add(article)
        db.session.flush()
        # Enough rows that the copy takes a moment, so posts really overlap it.
        db.session.add_all(Comment(article_id=article.id, author="Old", email="o@example.org", ip_hash="x",
                                   text=f"Earlier comment {i} " + "words " * 40, status="published",
                                   routed_status="published", route_rule="r", route_reason="r")
                           for i in range(3000))
        db.session.commit()

    stop = threading.Event()
    posted: list[int] = []
    errors: list[BaseException] = []

    def keep_posting() -> None:
        try:
            n = 0
            while not stop.is_set():
                posted.append(post(app, "live", f"Posted during the backup, number {n}."))
                n += 1
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    writer = threading.Thread(target=keep_posting)
    writer.start()
    try:
        while len(posted) < 5:
            threading.Event().wait(0.01)
        committed_before = list(posted)
        dest = tmp_path / "copy.sqlite3"
        result = app.test_cli_runner().invoke(args=["backup", str(dest)])
        during = len(posted)
        threading.Event().wait(0.2)
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert "Restore:" in result.output
    assert len(posted) > during >= len(committed_before), "posting went on during and after the backup"

    # Restore: the copy becomes the database of a fresh instance.
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(dest, restored_dir / "moderation.sqlite3")
    restored = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{restored_dir / 'moderation.sqlite3'}"},
                          instance_path=str(restored_dir))
    with restored.app_context():
        ids = set(db.session.scalars(sa.select(Comment.id)))
        assert db.session.scalar(sa.select(sa.func.count()).where(Comment.author == "Old")) == 3000
        assert set(committed_before) <= ids
        assert ids <= set(posted) | set(range(1, 3001)), "nothing in the copy that was never committed"
        client = restored.test_client()
        assert "Earlier comment 0 " in client.get("/articles/live").get_data(as_text=True)


def test_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    app = sqlite_app(tmp_path)
    dest = tmp_path / "existing.sqlite3"
    dest.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code != 0 and "never overwrites" in result.output
    assert dest.read_text() == "keep me"


@pytest.mark.skipif(not postgres_url(), reason="needs DATABASE_URL pointing at PostgreSQL")
def test_postgres_backup_prints_pg_dump_for_the_apps_database(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "dump.pgc")])
    assert result.exit_code == 0, result.output
    url = sa.make_url(postgres_url())
    assert "pg_dump --format=custom" in result.output and f"/{url.database}" in result.output
    assert "pg_restore" in result.output and "+psycopg" not in result.output
    if url.password:
        assert url.password not in result.output
