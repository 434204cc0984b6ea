"""``flask --app moderation ...`` commands: the database, content, accounts and the model.

The model commands (train, evaluate, models, score) are defined by the training
library; this module only hands them the app's registry and its moderator
decisions, so training never imports the web app.
"""
from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click
import flask_migrate
import sqlalchemy as sa
from flask import Flask, current_app

from training.cli import make_commands
from training.datasets import Dataset, register_source
from training.registry import Registry

from .accounts import AccountError, save_account
from .api_keys import SiteUrlError, create_key
from .articles import ArticleFormatError, import_article
from .backup import backup_command
from .demo import import_demo_content
from .extensions import db
from .models import Article, Moderator, Role


@click.command("init-db")
def init_db() -> None:
    """Create the schema, or upgrade it to the newest migration; safe to run twice."""
    flask_migrate.upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("import-article")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_article_command(path: Path) -> None:
    """Import a plain-text article: title line, blank-line separated paragraphs."""
    try:
        article = import_article(path.read_bytes().decode("utf-8", errors="replace"))
    except ArticleFormatError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    click.echo(f"Imported “{article.title}” at /articles/{article.slug}")


def read_password() -> str:
    """From a hidden prompt on a terminal, else the first line of standard input (for scripts)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    return password


@click.command("create-moderator")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May retrain and promote models, and read the audit log.")
def create_moderator(email: str, admin: bool) -> None:
    """Create a moderator account, or reset the password and role of an existing one."""
    try:
        moderator, _, created = save_account(email, Role.ADMIN if admin else Role.MODERATOR, read_password())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'Created' if created else 'Updated'} {moderator.role.value} {moderator.email}.")


@click.command("create-api-key")
@click.argument("site_url")
@click.option("--moderate-toxic", is_flag=True, help="Answer spam for toxic comments too, not only in a header.")
def create_api_key_command(site_url: str, moderate_toxic: bool) -> None:
    """Create a key for a site's Akismet client; the key is the last word printed, and is shown only once."""
    try:
        row, key = create_key(site_url, moderate_toxic=moderate_toxic)
    except SiteUrlError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key for {row.site_url} (shown only now; it is stored hashed): {key}")


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


def _base_data() -> list[Dataset]:
    """The configured TRAINING_DATA that exists, saying what was skipped."""
    from .retrain import load_training_data

    datasets, notes = load_training_data(list(current_app.config["TRAINING_DATA"]))
    for note in notes:
        click.echo(f"Note: {note}")
    return datasets


def register(app: Flask) -> None:
    from . import erasure, exports, imports, notifications, thresholds
    from .decisions import decisions_dataset, training_examples
    from .retrain import register_commands

    register_source("decisions", decisions_dataset)
    for command in (init_db, import_article_command, create_moderator, quickstart, backup_command):
        app.cli.add_command(command)
    register_commands(app)
    thresholds.register_commands(app)
    erasure.register_commands(app)
    imports.register_commands(app)
    exports.register_commands(app)
    notifications.register_commands(app)
    app.cli.add_command(create_api_key_command)
    model_commands = make_commands(
        get_registry=lambda: current_app.extensions["moderation.scorer"].registry,
        get_decisions=lambda: training_examples(current_app.config["DECISION_WEIGHT"]),
        get_base_data=_base_data,
    )
    for command in model_commands:
        app.cli.add_command(command)
    add_shadow_commands(next(c for c in model_commands if isinstance(c, click.Group) and c.name == "models"))


def add_shadow_commands(models: click.Group) -> None:
    """``models shadow`` and ``models shadow-report`` need the database, so the app adds them to the library's group."""
    from .shadow import shadow_command, shadow_report_command

    models.add_command(shadow_command)
    models.add_command(shadow_report_command)
