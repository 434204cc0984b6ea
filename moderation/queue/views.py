"""The moderator queue: tabs, filters, sort orders, single and bulk decisions, bans."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.access import moderator_required
from ..comments import edits, reports
from ..comments.report_weights import REASONS
from ..comments.similarity import similar_decisions
from ..extensions import db
from ..forms import ActionForm
from ..model.kinds import likely_kinds
from ..model.thresholds import in_force
from ..models import Article, Comment, Status, as_id
from .decisions import (
    ACTIONS,
    LABELS,
    REJECT_LABELS,
    AlreadyDecided,
    ban,
    decide,
    decide_all,
    default_reject_label,
    label_all,
    repeat_spammers,
)
from .highlights import highlight_terms
from .listing import DEFAULT_SORT, TABS, QueueQuery, counts, fetch, group_members

bp = Blueprint("queue", __name__, url_prefix="/moderation")


def back(query: QueueQuery) -> Response:
    return redirect(url_for(".index", **query.params()))


@bp.get("/")
@moderator_required
def index() -> str:
    query = QueueQuery.from_args(request.args)
    limits = in_force()
    page = fetch(query, limits)
    terms = {c.id: highlight_terms(c, limits) for c in page.comments}
    kinds = {c.id: likely_kinds(c, limits) for c in page.comments}
    precedents = similar_decisions([c for c in page.comments if c.status == Status.PENDING])
    suggest_ban = repeat_spammers({c.email for c in page.comments}, current_app.config["BAN_SUGGESTION_AFTER"])
    parent_ids = {c.parent_id for c in page.comments if c.parent_id}
    parents = {p.id: p for p in db.session.scalars(sa.select(Comment).where(Comment.id.in_(parent_ids)))} \
        if parent_ids else {}
    articles = db.session.scalars(sa.select(Article).order_by(Article.title)).all()
    ids = [c.id for c in page.comments]
    return render_template(
        "queue/index.html", query=query, page=page, counts=counts(), tabs=TABS, form=ActionForm(),
        parents=parents, articles=articles, suggest_ban=suggest_ban, reject_labels=REJECT_LABELS, terms=terms,
        default_label=default_reject_label, precedents=precedents, kinds=kinds, default_sorts=DEFAULT_SORT,
        reported=reports.summaries(ids), reasons=REASONS, edit_history=edits.history(ids),
    )


#: A To label button's action: "label:ok", "label:spam", "label:toxic" (the comment keeps its status).
LABEL_PREFIX = "label:"


def _label(comment_ids: list[int], action: str) -> int:
    """Record the label a To label action names on the comments; notices for those labelled meanwhile."""
    label = action.removeprefix(LABEL_PREFIX)
    if label not in LABELS:
        flash(f"{label!r} is not a label.", "error")
        return 0
    done, refused = label_all(comment_ids, label, current_user)
    if refused:
        flash(f"{len(refused)} left as they were: {refused[0]}", "error")
    return done


def _apply(comment_id: int, action: str, seen: str, label: str | None) -> bool:
    if action.startswith(LABEL_PREFIX):
        return _label([comment_id], action) == 1
    try:
        decide(comment_id, action, current_user, seen_status=Status(seen), label=label)
        return True
    except AlreadyDecided as exc:
        flash(str(exc), "error")
    except (LookupError, ValueError):
        flash(f"Comment #{comment_id} cannot take the action {action!r}.", "error")
    return False


def _apply_group(query: QueueQuery, comment_id: int, action: str, seen: str, label: str | None,
                 group: int, up_to: int) -> int:
    """A decision on a group row: every member the moderator was shown, each with its own check and audit entry."""
    status = next((s for s in Status if s.value == seen), None)
    if (action not in ACTIONS and not action.startswith(LABEL_PREFIX)) or status is None:
        flash(f"Comment #{comment_id} cannot take the action {action!r}.", "error")
        return 0
    members = sorted(set(group_members(query, group, status, up_to)) | {comment_id})
    if action.startswith(LABEL_PREFIX):
        return _label(members, action)
    done, refused = decide_all(members, action, current_user, seen_status=status, label=label)
    if refused:
        flash(f"{len(refused)} of the group left as they were: {refused[0]}", "error")
    return done


@bp.post("/comments/<int:comment_id>/decide")
@moderator_required
def decide_one(comment_id: int) -> Response:
    query = QueueQuery.from_args(request.args)
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the queue and try again.")
    action, seen, label = request.form.get("action", ""), request.form.get("seen_status", ""), request.form.get("label")
    group, up_to = as_id(request.form.get("group")), as_id(request.form.get("up_to"))
    if group is not None and up_to is not None:
        if done := _apply_group(query, comment_id, action, seen, label or None, group, up_to):
            flash(f"Comment #{comment_id} and its near copies: {action} done on {done}.", "success")
    elif _apply(comment_id, action, seen, label or None):
        flash(f"Comment #{comment_id}: {action} done.", "success")
    return back(query)


@bp.post("/bulk")
@moderator_required
def bulk() -> Response:
    """Each checkbox carries "id:status-seen" (":group:up-to" on a group row), so every item gets the same
    conflict check as a single action."""
    query = QueueQuery.from_args(request.args)
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the queue and try again.")
    action = request.form.get("action", "")
    if action not in ACTIONS and not action.startswith(LABEL_PREFIX):
        flash("Choose an action for the selected comments.", "error")
        return back(query)
    done = 0
    label = request.form.get("label") or None
    for item in request.form.getlist("items"):
        comment_id, _, rest = item.partition(":")
        seen, _, grouping = rest.partition(":")
        group, _, up_to = grouping.partition(":")
        if (cid := as_id(comment_id)) is None:
            continue
        group_id, last = as_id(group), as_id(up_to)
        if group_id is not None and last is not None:
            done += _apply_group(query, cid, action, seen, label, group_id, last)
        elif _apply(cid, action, seen, label):
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
