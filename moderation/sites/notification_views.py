"""Readers' email settings: the one-click unsubscribe link of reply notifications.

GET only shows a confirmation (mail scanners fetch links, and must not
unsubscribe anyone). POST unsubscribes, either from that page's form (with
its CSRF token, like every form here) or as an RFC 8058 one-click request from
the mail client (``List-Unsubscribe=One-Click``, which carries no session and
so no CSRF token). The signed token in the URL is the credential either way:
only the address it names is unsubscribed.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..extensions import csrf
from ..forms import ActionForm
from .notifications import email_from_token
from .notifications import unsubscribe as withdraw

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

ONE_CLICK = "One-Click"


def _email(token: str) -> str:
    email = email_from_token(token)
    if email is None:
        abort(404, "This unsubscribe link is not valid. Copy the whole link from the email, or ask the site to help.")
    return email


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> str | tuple[str, int]:
    email = _email(token)
    form = ActionForm()
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", email=email, form=form, done=False)
    if request.form.get("List-Unsubscribe") != ONE_CLICK and not form.validate_on_submit():
        abort(400, "The form had expired. Please open the link from the email again.")
    withdraw(email)
    return render_template("notifications/unsubscribe.html", email=email, form=form, done=True)
