"""Admins manage moderator accounts: add one with a one-time password, issue a new one, switch one off."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import ActionForm, action_checked
from ..models import Decision, Moderator, Role
from .access import admin_required
from .forms import ModeratorForm
from .moderators import AccountError, save_account, set_active

bp = Blueprint("moderators", __name__, url_prefix="/admin")


@bp.route("/moderators", methods=["GET", "POST"])
@admin_required
def index() -> str | tuple[str, int]:
    """The accounts, and a form to add one; a new one-time password is shown in this response only."""
    form = ModeratorForm()
    created: tuple[Moderator, str] | None = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                account, password, _ = save_account(form.email.data or "",
                                                    Role.ADMIN if form.admin.data else Role.MODERATOR)
                created = (account, password or "")
                form = ModeratorForm(formdata=None)
            except AccountError as exc:
                form.email.errors = [*form.email.errors, str(exc)]
        if created is None:
            status = 400
    return _moderators_page(form, created), status


def _moderators_page(form: ModeratorForm, created: tuple[Moderator, str] | None) -> str:
    accounts = db.session.execute(
        sa.select(Moderator, sa.func.count(Decision.id))
        .outerjoin(Decision, Decision.moderator_id == Moderator.id)
        .group_by(Moderator.id)
        .order_by(Moderator.email)
    ).all()
    return render_template("admin/moderators.html", form=form, accounts=accounts, created=created,
                           action_form=ActionForm())


@bp.post("/moderators/<int:moderator_id>/password")
@admin_required
def reset_password(moderator_id: int) -> str | Response:
    account = db.session.get(Moderator, moderator_id) or abort(404, "No such account.")
    if not action_checked():
        return redirect(url_for(".index"))
    if not account.active:
        flash(f"{account.email} is switched off: switch it on first.", "error")
        return redirect(url_for(".index"))
    _, password, _ = save_account(account.email, account.role)
    return _moderators_page(ModeratorForm(formdata=None), (account, password or ""))


@bp.post("/moderators/<int:moderator_id>/active")
@admin_required
def switch_active(moderator_id: int) -> Response:
    account = db.session.get(Moderator, moderator_id) or abort(404, "No such account.")
    if action_checked():
        try:
            set_active(account, not account.active, current_user)
            flash(f"{account.email} is {'active' if account.active else 'switched off'}.", "success")
        except AccountError as exc:
            flash(str(exc), "error")
    return redirect(url_for(".index"))
