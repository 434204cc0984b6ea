"""The moderation API for newsroom tools: the queue, decisions and their history, with a bearer token.

Server-to-server and authenticated by ``Authorization: Bearer <token>`` only
(no cookies), so it is exempt from CSRF. It is the queue page in JSON: the
same filters (``queue.QueueQuery``), the same ``decisions.decide`` with its
compare-and-set on the status the tool saw, answered 409 when someone
decided first.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, Response, abort, g, jsonify, request

from ..comments import edits
from ..extensions import csrf, db
from ..model.kinds import likely_kinds
from ..model.thresholds import in_force
from ..models import Comment, Decision, Status
from .decisions import ACTIONS, REJECT_LABELS, AlreadyDecided, decide
from .highlights import highlight_terms
from .listing import QueueQuery, counts, fetch
from .tokens import moderator_for

bp = Blueprint("moderation_api", __name__, url_prefix="/api/moderation")
csrf.exempt(bp)


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        moderator = moderator_for(token.strip()) if scheme.lower() == "bearer" else None
        if moderator is None:
            response = jsonify(error="Send a moderator's API token: Authorization: Bearer <token>.", status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="moderation"'
            return response, 401
        g.api_moderator = moderator
        return view(*args, **kwargs)

    return wrapped


def _time(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def _comment(comment: Comment, limits: dict) -> dict[str, Any]:
    return {
        "id": comment.id,
        "article": {"id": comment.article.id, "slug": comment.article.slug, "title": comment.article.title},
        "parent_id": comment.parent_id,
        "author": comment.author, "email": comment.email, "url": comment.url, "text": comment.text,
        "created_at": _time(comment.created_at), "status": comment.status.value,
        "routed_status": comment.routed_status.value, "route_rule": comment.route_rule,
        "route_reason": comment.route_reason, "scores": comment.scores, "model_version": comment.model_version,
        "terms": highlight_terms(comment, limits),
        "kinds": likely_kinds(comment, limits),
    }


@bp.get("/queue")
@token_required
def queue() -> Response:
    """The queue's tab, filters, sort and page, as the queue page takes them (``tab``, ``article``, ``author``, ...)."""
    query = QueueQuery.from_args(request.args)
    limits = in_force()
    page = fetch(query, limits)
    return jsonify(tab=query.tab, sort=query.sort, page=page.page, pages=page.pages, total=page.total,
                   counts=counts(), comments=[_comment(c, limits) for c in page.comments])


@bp.post("/comments/<int:comment_id>/decision")
@token_required
def decision(comment_id: int) -> tuple[Response, int]:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        abort(415 if not request.is_json else 400, "Send the decision as a JSON object.")
    action, seen, label = body.get("action"), body.get("seen_status"), body.get("label")
    # Type first: a list or an object here would not even hash, and JSON can send either.
    if not isinstance(action, str) or action not in ACTIONS:
        abort(400, f"action must be one of {', '.join(ACTIONS)}.")
    if not isinstance(seen, str) or seen not in {s.value for s in Status}:
        abort(400, "seen_status must be the comment's status as the tool last read it.")
    if label is not None and (not isinstance(label, str) or label not in REJECT_LABELS):
        abort(400, f"label must be one of {', '.join(REJECT_LABELS)}, or left out.")
    try:
        made = decide(comment_id, action, g.api_moderator, seen_status=Status(seen), label=label)
    except LookupError:
        abort(404, "No such comment.")
    except AlreadyDecided as exc:
        return jsonify(error=str(exc), status=409, current_status=exc.status.value, decided_by=exc.by), 409
    return jsonify(_decision(made)), 200


def _decision(d: Decision) -> dict[str, Any]:
    return {"id": d.id, "comment_id": d.comment_id, "created_at": _time(d.created_at), "moderator": d.moderator.email,
            "action": d.action, "from_status": d.from_status.value, "to_status": d.to_status.value,
            "label": d.label, "model_version": d.model_version, "scores": d.scores}


@bp.get("/comments/<int:comment_id>/history")
@token_required
def history(comment_id: int) -> Response:
    comment = db.session.get(Comment, comment_id) or abort(404, "No such comment.")
    decisions = db.session.scalars(
        sa.select(Decision).options(so.joinedload(Decision.moderator))
        .where(Decision.comment_id == comment_id).order_by(Decision.id)
    ).all()
    changes = [{"created_at": _time(e.created_at), "action": e.action, "text_before": e.text_before,
                "from_status": e.status_before.value, "to_status": e.status_after.value, "route_rule": e.route_rule}
               for e in edits.history([comment.id]).get(comment.id, [])]
    return jsonify(comment_id=comment.id, status=comment.status.value, routed_status=comment.routed_status.value,
                   route_reason=comment.route_reason, decisions=[_decision(d) for d in decisions],
                   edits=changes)
