"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from moderation.extensions import db
from moderation.models import Article, Comment, Status
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
