"""Moderator sign-in, sign-out and password change."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..forms import ActionForm
from ..models import Moderator, utcnow
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send a moderator elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("queue.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        moderator = db.session.scalar(sa.select(Moderator).where(Moderator.email == email))
        if moderator is not None and moderator.active and moderator.check_password(form.password.data or ""):
            login_user(moderator, remember=bool(form.remember.data))
            moderator.last_login_at = utcnow()
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("articles.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        current_user.set_password(form.password.data or "")
        current_user.must_change_password = False
        db.session.commit()
        flash("Your password is changed.", "success")
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/password.html", form=form)
