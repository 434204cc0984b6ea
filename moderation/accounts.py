"""Moderator accounts: creating them, one-time passwords, switching them off.

The command line (``create-moderator``, ``quickstart``) and the admin page
both go through these functions, so the rules hold wherever an account is
touched: passwords are hashed, generated ones must be replaced at first
sign-in, and the last active admin can never be switched off.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from .extensions import db
from .models import Moderator, Role

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
