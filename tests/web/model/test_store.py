"""Model versions in the database: every server, each with its own instance folder, has the same versions and active one.

"Another server" is a second app on the same database with its own instance
folder (its model cache), as on another machine. Runs on SQLite and, with
DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

import moderation.config
from moderation import create_app
from moderation.extensions import db
from moderation.model.scoring import ALIAS_POLL_SECONDS, get_scorer
from moderation.model.store import make_registry, seed
from moderation.models import ModelAlias, ModelFile, ModelPromotion, ModelVersion, Moderator
from tests.conftest import csrf_token, empty_database, login
from training.registry import CARD_FILE, MODEL_FILE, ModelLoadError, Registry

SHIPPED = sorted(p.name for p in moderation.config.DEFAULT_MODEL_DIR.iterdir() if p.is_dir())[-1]
#: A version name for a copy of the shipped model with other thresholds.
VARIANT = "20990101-000000-0a0a0a"


@pytest.fixture
def served(app: Flask) -> Registry:
    """The app's own database-backed registry, seeded as ``init-db`` does, serving through a real Scorer."""
    from moderation.model.scoring import Scorer

    assert seed() == SHIPPED
    registry = make_registry(app)
    app.extensions["moderation.scorer"] = Scorer(registry)
    return registry


@contextmanager
def other_server(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second server: the same database, its own instance folder; its app context pushed while in use."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
                       instance_path=str(tmp_path / "server-b"))
    with other.app_context():
        yield other
        db.session.remove()
    with other.app_context():
        db.engine.dispose()


def add_variant(registry: Registry, tmp_path: Path) -> str:
    """The shipped model under another name with a lenient toxic threshold, imported as an admin would."""
    exported = registry.export(SHIPPED, tmp_path / "export")
    folder = exported.rename(exported.with_name(VARIANT))
    card = json.loads((folder / CARD_FILE).read_text())
    card["version"], card["parent"] = VARIANT, SHIPPED
    card["created"] = "2099-01-01T00:00:00+00:00"
    card["thresholds"]["toxic"] = {"review": 1.01, "high": 1.01}
    (folder / CARD_FILE).write_text(json.dumps(card))
    return registry.import_folder(folder)


def test_init_db_seeds_the_shipped_model_into_the_database_once(app: Flask) -> None:
    empty_database(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and f"Model registry: {SHIPPED} is the active model" in first.output
    assert "Model registry" not in runner.invoke(args=["init-db"]).output  # seeded: left alone
    assert db.session.scalar(sa.select(ModelAlias.version).where(ModelAlias.name == "active")) == SHIPPED
    files = {f.name: f for f in db.session.scalars(sa.select(ModelFile).where(ModelFile.version == SHIPPED))}
    assert set(files) == {MODEL_FILE, "roc.png", "pr.png"}
    shipped = (moderation.config.DEFAULT_MODEL_DIR / SHIPPED / MODEL_FILE).read_bytes()
    assert files[MODEL_FILE].data == shipped
    assert db.session.scalar(sa.select(ModelVersion.card).where(ModelVersion.version == SHIPPED))["version"] == SHIPPED


def test_a_promotion_on_one_server_scores_on_the_other_within_the_poll(
        app: Flask, served: Registry, tmp_path: Path) -> None:
    here = get_scorer()
    assert here.model().version == SHIPPED
    variant = add_variant(served, tmp_path)
    with other_server(app, tmp_path) as b:
        there = get_scorer()
        assert there.model().version == SHIPPED
        cache = Path(b.instance_path) / "models"
        assert (cache / SHIPPED / MODEL_FILE).exists()  # B loaded it from the database into its own cache

        queries: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
        for _ in range(50):  # fifty comments within the poll: no query asks for the alias again
            there.model()
        assert queries == []

        with app.app_context():
            served.promote(variant)
            assert get_scorer().model().version == variant  # the promoting server at once
        promoted = time.monotonic()
        while there.model().version != variant:
            assert time.monotonic() - promoted < ALIAS_POLL_SECONDS + 5, "B never picked up the promotion"
            time.sleep(0.05)
        assert time.monotonic() - promoted < ALIAS_POLL_SECONDS + 5
        assert there.model().thresholds["toxic"].review == 1.01
        assert (cache / VARIANT / MODEL_FILE).exists()

        assert there.registry.rollback() == SHIPPED  # a rollback from B
    assert served.active_version() == SHIPPED
    assert [(p.action, p.version) for p in db.session.scalars(sa.select(ModelPromotion).order_by(ModelPromotion.id))] \
        == [("promote", SHIPPED), ("promote", VARIANT), ("rollback", SHIPPED)]


def test_a_version_changed_in_the_database_is_refused(app: Flask, served: Registry, tmp_path: Path) -> None:
    variant = add_variant(served, tmp_path)
    db.session.execute(sa.update(ModelFile).where(ModelFile.version == variant, ModelFile.name == MODEL_FILE)
                       .values(data=b"tampered"))
    db.session.commit()
    with other_server(app, tmp_path):
        with pytest.raises(ModelLoadError, match="does not match its SHA-256"):
            get_scorer().registry.load(variant)
    with pytest.raises(ModelLoadError):
        served.promote(variant)
    assert served.active_version() == SHIPPED


def test_the_model_page_of_another_server_shows_versions_and_plots_from_the_database(
        app: Flask, served: Registry, tmp_path: Path, admin: Moderator) -> None:
    variant = add_variant(served, tmp_path)
    with other_server(app, tmp_path) as b:
        client = b.test_client()
        login(client, admin.email)
        html = client.get("/admin/model").get_data(as_text=True)
        assert SHIPPED in html and variant in html
        png = client.get(f"/admin/model/{SHIPPED}/roc.png")
        assert png.status_code == 200
        assert png.data == (moderation.config.DEFAULT_MODEL_DIR / SHIPPED / "roc.png").read_bytes()
        token = csrf_token(client, "/admin/model")
        assert client.post(f"/admin/model/promote/{variant}", data={"csrf_token": token}).status_code == 302
    assert served.active_version() == variant


def test_an_installation_from_before_the_database_store_keeps_its_models(app: Flask, tmp_path: Path) -> None:
    """init-db after an upgrade moves the instance folder's versions in, with the active one and its history."""
    legacy = Registry(Path(app.instance_path) / app.config["MODELS_DIR"])
    legacy.ensure_seeded(moderation.config.DEFAULT_MODEL_DIR)
    folder = legacy.root / VARIANT
    shutil.copytree(legacy.root / SHIPPED, folder)
    card = json.loads((folder / CARD_FILE).read_text())
    card["version"] = VARIANT
    (folder / CARD_FILE).write_text(json.dumps(card))
    legacy.promote(VARIANT)

    empty_database(app)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and f"Model registry: {VARIANT} is the active model" in result.output
    registry = make_registry(app)
    assert {v.version for v in registry.versions()} == {SHIPPED, VARIANT}
    assert registry.rollback() == SHIPPED  # the history came along


def test_models_export_and_import_between_installations(app: Flask, served: Registry, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["models", "export", SHIPPED, str(tmp_path / "moved")])
    assert result.exit_code == 0, result.output
    db.drop_all()  # another installation: an empty database
    db.create_all()
    assert runner.invoke(args=["models", "list"]).output.strip() == "No model versions."
    result = runner.invoke(args=["models", "import", str(tmp_path / "moved" / SHIPPED)])
    assert result.exit_code == 0 and f"models promote {SHIPPED}" in result.output
    assert runner.invoke(args=["models", "promote", SHIPPED]).exit_code == 0
    assert f"* {SHIPPED}" in runner.invoke(args=["models", "list"]).output
