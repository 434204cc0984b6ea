"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from moderation.extensions import db
from moderation.models import Article, Comment, CommentBand, CommentSignature, Status
from tests.conftest import empty_database, make_app


def test_init_db_matches_models_and_is_safe_twice(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    empty_database(app)
    runner = app.test_cli_runner()
    with app.app_context():
        for _ in range(2):
            result = runner.invoke(args=["init-db"])
            assert result.exit_code == 0, result.output
            assert "Database ready" in result.output
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_upgrade_keeps_existing_comments(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    empty_database(app)
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["init-db"]).exit_code == 0
        a = Article(slug="s", title="T", body="B")
        db.session.add(a)
        db.session.flush()
        db.session.add(Comment(article_id=a.id, author="A", email="a@example.org", text="kept", ip_hash="h",
                               status=Status.PUBLISHED, routed_status=Status.PUBLISHED,
                               route_rule="r", route_reason="r"))
        db.session.commit()
        assert runner.invoke(args=["init-db"]).exit_code == 0
        assert db.session.scalar(sa.select(Comment.text)) == "kept"


def test_upgrade_keeps_one_band_row_per_key_and_group(tmp_path: Path) -> None:
    """Copies used to store every band key; after the upgrade a group's key is kept by its first comment only."""
    app = make_app(tmp_path)
    empty_database(app)
    with app.app_context():
        flask_migrate.upgrade(revision="e8a1c3d5f7b9")
        a = Article(slug="s", title="T", body="B")
        db.session.add(a)
        db.session.flush()
        ids = []
        for n in range(4):
            comment = Comment(article_id=a.id, author="A", email="a@example.org", text=f"copy {n}", ip_hash="h",
                              status=Status.PENDING, routed_status=Status.PENDING, route_rule="r", route_reason="r")
            db.session.add(comment)
            db.session.flush()
            ids.append(comment.id)
        groups = {ids[0]: ids[0], ids[1]: ids[0], ids[2]: ids[0], ids[3]: ids[3]}  # a wave of three, and a loner
        for comment_id, group_id in groups.items():
            db.session.add(CommentSignature(comment_id=comment_id, group_id=group_id, signature=b"\0" * 256))
            db.session.add_all([CommentBand(key=key, comment_id=comment_id) for key in (7, 8, 9)])
        db.session.add(CommentBand(key=10, comment_id=ids[2]))  # a key only the third copy had
        db.session.commit()

        flask_migrate.upgrade()
        kept = {tuple(row) for row in db.session.execute(sa.select(CommentBand.key, CommentBand.comment_id))}
    assert kept == {(7, ids[0]), (8, ids[0]), (9, ids[0]), (10, ids[2]), (7, ids[3]), (8, ids[3]), (9, ids[3])}
