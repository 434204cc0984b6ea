"""The comment moderation service: ``create_app`` builds it; nothing happens at import time."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from .config import ROOT, Defaults, database_url
from .extensions import csrf, db, limiter, login_manager, migrate
from .models import MAX_ID

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(test_config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("MODERATION_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MODERATION")
    for name, key in (("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("REDIS_URL", "REDIS_URL")):
        if os.environ.get(name):
            app.config[key] = os.environ[name]
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path)
    )
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            _warn_machine_secret(app)
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])  # type: ignore[method-assign]

    _init_extensions(app)
    _register(app)
    return app


def _instance_secret(path: Path) -> str:
    """Generated once per installation and kept in the instance folder, never in code."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _warn_machine_secret(app: Flask) -> None:
    """A shared database means other servers, which must sign sessions and forms with the same key."""
    app.logger.warning(
        "\n%s\nMODERATION_SECRET_KEY is not set: this server signs sessions and forms with its own key from "
        "%s, but DATABASE_URL is a database other servers may share. Behind a load balancer, a moderator "
        "signed in here is signed out by the next server, and forms fail with 'The CSRF token is invalid'. "
        "Set the same MODERATION_SECRET_KEY on every server (README: Running on several machines).\n%s",
        "!" * 72, Path(app.instance_path) / "secret_key", "!" * 72)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers keep reading while a comment is written; SQLite leaves foreign keys off unless asked.

    ``synchronous=NORMAL`` is SQLite's advice for WAL: a commit no longer waits for
    an fsync (the WAL is synced at each checkpoint), which was most of the time of a
    post. A killed process loses nothing committed; only a power cut or an OS crash
    can roll back the last commits, never corrupt the file.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route, bounded to what a database id can be: a larger number is a 404, not a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _register(app: Flask) -> None:
    """The shared core's error pages and commands, then each area's blueprints, commands and hooks."""
    app.url_map.converters["int"] = RowIdConverter
    from . import accounts, cli, comments, errors, model, queue, sites

    errors.register(app)
    cli.register(app)
    for area in (comments, accounts, queue, model, sites):
        area.init_app(app)
