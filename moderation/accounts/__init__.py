"""Who may moderate: accounts, sign-in, and the rules on what each role may see.

Here: ``moderators`` (creating accounts, one-time passwords, switching them
off), ``access`` (the decorators every moderation page goes through); the
sign-in pages (``views``) and the admins' accounts page (``moderator_views``).

May import: the shared core only.
"""
from __future__ import annotations

from flask import Flask

from ..extensions import db, login_manager
from ..models import Moderator, as_id


def init_app(app: Flask) -> None:
    """Sign-in (Flask-Login's loader and login page), the accounts pages and ``create-moderator``."""
    from . import moderator_views, moderators, views

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to moderate comments."
    login_manager.user_loader(load_moderator)
    app.register_blueprint(views.bp)
    app.register_blueprint(moderator_views.bp)
    moderators.register_commands(app)


def load_moderator(moderator_id: str) -> Moderator | None:
    """The signed-in account; a switched-off one is signed out on its next request."""
    account_id = as_id(moderator_id)
    account = db.session.get(Moderator, account_id) if account_id else None
    return account if account is not None and account.active else None
