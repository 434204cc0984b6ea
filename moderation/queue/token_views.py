"""A moderator's API tokens for newsroom tools: create (shown once), list, revoke. Each acts as its moderator."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import moderator_required
from ..forms import ActionForm
from ..models import ModeratorToken
from .forms import TokenForm
from .tokens import create_token, revoke_token, tokens_of

bp = Blueprint("tokens", __name__, url_prefix="/moderation/tokens")


@bp.route("", methods=["GET", "POST"])
@moderator_required
def index() -> tuple[str, int]:
    form = TokenForm()
    created: tuple[ModeratorToken, str] | None = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            created = create_token(current_user._get_current_object(), form.name.data or "")
            form = TokenForm(formdata=None)
        else:
            status = 400
    return render_template("auth/tokens.html", form=form, tokens=tokens_of(current_user), created=created,
                           action_form=ActionForm()), status


@bp.post("/<int:token_id>/revoke")
@moderator_required
def revoke(token_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    try:
        token = revoke_token(token_id, current_user)
    except LookupError:
        abort(404, "No such token.")
    flash(f"The token “{token.name}” is revoked.", "success")
    return redirect(url_for(".index"))
