"""Erasing a commenter from the admin pages: what would go first, then a second button erases it."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import admin_required
from . import erasure
from .forms import ErasureForm

bp = Blueprint("erasure", __name__, url_prefix="/admin")


@bp.route("/erasure", methods=["GET", "POST"])
@admin_required
def erase() -> str | Response | tuple[str, int]:
    """Two steps, both POST with CSRF: the email shows what would be erased, then a second button erases it."""
    form = ErasureForm()
    if request.method == "GET":
        return render_template("admin/erasure.html", form=ErasureForm(formdata=None), found=None)
    if not form.validate_on_submit():
        return render_template("admin/erasure.html", form=form, found=None), 400
    found = erasure.preview(form.email.data or "")
    if not found.comments:
        flash(f"No comments from {found.email}; nothing to erase.", "info")
        return render_template("admin/erasure.html", form=form, found=None)
    if form.confirmed.data != "yes":
        return render_template("admin/erasure.html", form=form, found=found)
    record = erasure.erase(found.email, current_user._get_current_object())
    flash(f"Erased {record.comments} comment{'s' if record.comments != 1 else ''} and the personal data of "
          f"{found.email}; their decisions stay in the audit log without text.", "success")
    return redirect(url_for("model.index", _anchor="erasure"))
