"""Moderator accounts: creating them, one-time passwords, switching them off.

The command line (``create-moderator``, ``quickstart``) and the admin page
both go through these functions, so the rules hold wherever an account is
touched: passwords are hashed, generated ones must be replaced at first
sign-in, and the last active admin can never be switched off.
"""
from __future__ import annotations

import secrets
import sys

import click
import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..models import Moderator, Role

MIN_PASSWORD = 12


class AccountError(ValueError):
    """A change the rules refuse; the message says why."""


def save_account(email: str, role: Role, password: str | None = None) -> tuple[Moderator, str | None, bool]:
    """Create the account or update an existing one: ``(account, one-time password or None, created)``.

    Without ``password`` a one-time password is generated and returned (shown once, never stored in clear).
    """
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError("Give the moderator's email address.")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"The password must have at least {MIN_PASSWORD} characters.")
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.email == email))
    created = moderator is None
    if moderator is None:
        moderator = Moderator(email=email, password_hash="")
        db.session.add(moderator)
    one_time = secrets.token_urlsafe(12) if password is None else None
    moderator.set_password(password or one_time or "")
    moderator.must_change_password = one_time is not None
    moderator.role = role
    moderator.active = True
    db.session.commit()
    return moderator, one_time, created


def set_active(moderator: Moderator, active: bool, acting: Moderator) -> None:
    """Switch an account on or off (its decisions stay in the audit log); never yourself or the last admin."""
    if not active and moderator.id == acting.id:
        raise AccountError("You cannot switch off your own account.")
    if not active and moderator.role == Role.ADMIN:
        admins = db.session.scalar(sa.select(sa.func.count(Moderator.id)).where(
            Moderator.role == Role.ADMIN, Moderator.active.is_(True), Moderator.id != moderator.id))
        if not admins:
            raise AccountError("At least one admin must stay active.")
    moderator.active = active
    db.session.commit()


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


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_moderator)
