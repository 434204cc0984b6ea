"""The moderator queue: tabs, filters, sort orders, single and bulk decisions, bans."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import moderator_required
from ..decisions import ACTIONS, REJECT_LABELS, AlreadyDecided, ban, decide, default_reject_label, spam_rejections
from ..extensions import db
from ..forms import ActionForm
from ..models import Article, Comment, Status, as_id
from ..queue import TABS, QueueQuery, counts, fetch, highlight_terms
from ..scoring import ScoringUnavailable, get_scorer
from ..thresholds import overrides

bp = Blueprint("queue", __name__, url_prefix="/moderation")


def thresholds() -> dict:
    scorer = get_scorer()
    try:
        return scorer.thresholds(overrides(scorer.registry.active_version()))
    except (ScoringUnavailable, OSError):
        return {}


def back(query: QueueQuery) -> Response:
    return redirect(url_for(".index", **query.params()))


@bp.get("/")
@moderator_required
def index() -> str:
    query = QueueQuery.from_args(request.args)
    limits = thresholds()
    page = fetch(query, limits)
    terms = {c.id: highlight_terms(c, limits) for c in page.comments}
    emails = {c.email for c in page.comments}
    suggest_ban = {e for e in emails if spam_rejections(e) >= current_app.config["BAN_SUGGESTION_AFTER"]}
    parents = {c.parent_id: db.session.get(Comment, c.parent_id) for c in page.comments if c.parent_id}
    articles = db.session.scalars(sa.select(Article).order_by(Article.title)).all()
    return render_template(
        "queue/index.html", query=query, page=page, counts=counts(), tabs=TABS, form=ActionForm(),
        parents=parents, articles=articles, suggest_ban=suggest_ban, reject_labels=REJECT_LABELS, terms=terms,
        default_label=default_reject_label,
    )


def _apply(comment_id: int, action: str, seen: str, label: str | None) -> bool:
    try:
        decide(comment_id, action, current_user, seen_status=Status(seen), label=label)
        return True
    except AlreadyDecided as exc:
        flash(str(exc), "error")
    except (LookupError, ValueError):
        flash(f"Comment #{comment_id} cannot take the action {action!r}.", "error")
    return False


@bp.post("/comments/<int:comment_id>/decide")
@moderator_required
def decide_one(comment_id: int) -> Response:
    query = QueueQuery.from_args(request.args)
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the queue and try again.")
    action = request.form.get("action", "")
    if _apply(comment_id, action, request.form.get("seen_status", ""), request.form.get("label") or None):
        flash(f"Comment #{comment_id}: {action} done.", "success")
    return back(query)


@bp.post("/bulk")
@moderator_required
def bulk() -> Response:
    """Each checkbox carries "id:status-seen", so every item gets the same conflict check as a single action."""
    query = QueueQuery.from_args(request.args)
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the queue and try again.")
    action = request.form.get("action", "")
    if action not in ACTIONS:
        flash("Choose an action for the selected comments.", "error")
        return back(query)
    done = 0
    for item in request.form.getlist("items"):
        comment_id, _, seen = item.partition(":")
        if (cid := as_id(comment_id)) is not None and _apply(cid, action, seen, request.form.get("label") or None):
            done += 1
    flash(f"{action}: {done} comment{'s' if done != 1 else ''} done.", "success" if done else "info")
    return back(query)


@bp.post("/comments/<int:comment_id>/ban")
@moderator_required
def ban_author(comment_id: int) -> Response:
    query = QueueQuery.from_args(request.args)
    comment = db.session.get(Comment, comment_id)
    kind = request.form.get("kind", "")
    if not ActionForm().validate_on_submit() or comment is None or kind not in ("email", "ip"):
        abort(400, "That ban request was not valid.")
    value = comment.email if kind == "email" else comment.ip_hash
    ban(kind, value, current_user, f"from comment #{comment_id}")
    flash(f"Banned {kind} {value if kind == 'email' else value[:10] + '…'}: their next comments go to spam.",
          "success")
    return back(query)
