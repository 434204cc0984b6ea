"""The shared core's ``flask --app moderation ...`` commands: the schema, the first run, backups.

Each area registers its own commands in its ``init_app`` (``import-article``
with the comments, ``create-moderator`` with the accounts, ``train`` and
``models`` with the model, ``import-comments`` with the sites, ...), so
``flask --help`` lists them all.
"""
from __future__ import annotations

import os
import sys
from collections import Counter

import click
import flask_migrate
import sqlalchemy as sa
from flask import Flask, current_app

from training.registry import Registry

from .accounts.moderators import save_account
from .backup import backup_command
from .demo import import_demo_content
from .extensions import db
from .model.store import seed
from .models import Article, Moderator, Role


@click.command("init-db")
def init_db() -> None:
    """Create the schema, or upgrade it to the newest migration, and seed the model registry; safe to run twice."""
    flask_migrate.upgrade()
    seeded = seed()
    if seeded:
        click.echo(f"Model registry: {seeded} is the active model")
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


def first_admin_password() -> str | None:
    """A generated one-time password for the first admin, or None when accounts exist."""
    if db.session.scalar(sa.select(sa.func.count(Moderator.id))):
        return None
    return save_account("admin@localhost", Role.ADMIN)[1]


@click.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare everything but do not start the server.")
def quickstart(host: str, port: int, no_serve: bool) -> None:
    """Prepare the database, demo articles, model and first admin, then serve with gunicorn."""
    flask_migrate.upgrade()
    seed()
    registry: Registry = current_app.extensions["moderation.scorer"].registry
    click.echo(f"Active model: {registry.active_version() or 'none (every comment will wait for a moderator)'}")
    if not db.session.scalar(sa.select(sa.func.count(Article.id))):
        demo = import_demo_content()
        for article in demo.articles:
            click.echo(f"Demo article: /articles/{article.slug}")
        routed = Counter(comment.status.value for comment in demo.comments)
        click.echo("Demo comments, scored and routed by the model: "
                   + ", ".join(f"{n} {status}" for status, n in sorted(routed.items()))
                   + (f"; not posted: {', '.join(demo.skipped)}" if demo.skipped else ""))
    password = first_admin_password()
    base = f"http://{host}:{port}"
    if password:
        click.secho(f"\nModerator sign-in: {base}/auth/login\n  email:    admin@localhost\n"
                    f"  password: {password}   (one-time: you choose your own at first sign-in)\n", bold=True)
    else:
        click.echo(f"\nModerators sign in at {base}/auth/login "
                   "(new account: flask --app moderation create-moderator EMAIL --admin)\n")
    if no_serve:
        return
    click.echo(f"Serving {base} with gunicorn (Ctrl+C stops it)")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
                               "--workers", "1", "--threads", "4", "--access-logfile", "-",
                               "moderation:create_app()"])


def register(app: Flask) -> None:
    """The shared core's commands; each area registers its own in its ``init_app``."""
    for command in (init_db, quickstart, backup_command):
        app.cli.add_command(command)
