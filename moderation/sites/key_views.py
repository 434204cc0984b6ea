"""Admins: keys for the Akismet-compatible API (create, shown once; list; revoke), and what sites sent.

The checks and reports also show in the audit log and the Model page through
the two template globals below, so those pages' views stay as they are.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import admin_required
from ..forms import ActionForm
from ..models import ApiKey
from .api_keys import SiteUrlError, all_keys, create_key, revoke
from .forms import ApiKeyForm
from .site_checks import counts_by_site, recent_checks

bp = Blueprint("api_keys", __name__, url_prefix="/admin/api-keys")


@bp.route("", methods=["GET", "POST"])
@admin_required
def index() -> tuple[str, int]:
    form = ApiKeyForm()
    created: tuple[ApiKey, str] | None = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                created = create_key(form.site_url.data or "", moderate_toxic=bool(form.moderate_toxic.data),
                                     by=current_user._get_current_object())
                form = ApiKeyForm(formdata=None)
            except SiteUrlError as exc:
                form.site_url.errors = [*form.site_url.errors, str(exc)]
        if created is None:
            status = 400
    return render_template("admin/api_keys.html", form=form, keys=all_keys(), created=created,
                           action_form=ActionForm()), status


@bp.post("/<int:key_id>/revoke")
@admin_required
def revoke_key(key_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    try:
        key = revoke(key_id)
    except LookupError:
        abort(404, "No such key.")
    flash(f"The key {key.hint}… of {key.site_url} is revoked; its checks stay in the log.", "success")
    return redirect(url_for(".index"))


bp.add_app_template_global(counts_by_site, "site_check_counts")
bp.add_app_template_global(recent_checks, "recent_site_checks")
