"""Who may see what: every moderation page goes through one of these decorators."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def moderator_required(view: F) -> F:
    """Signed in, active, and past the forced change of a generated password."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.must_change_password:
            return redirect(url_for("auth.change_password", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_required(view: F) -> F:
    @wraps(view)
    @moderator_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, "This page is for administrators.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
