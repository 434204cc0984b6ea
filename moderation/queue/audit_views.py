"""The audit log: every decision (who, when, from and to which status), threshold changes, erasures,
and authors' edits and deletions of their comments."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, render_template, request

from ..accounts.access import admin_required
from ..comments import edits
from ..extensions import db
from ..model import thresholds
from ..models import Comment, Decision, Moderator
from . import erasure

bp = Blueprint("audit", __name__, url_prefix="/admin")

AUDIT_PER_PAGE = 50


@bp.get("/audit")
@admin_required
def index() -> str:
    email = (request.args.get("moderator") or "").strip().lower()
    query = (
        sa.select(Decision)
        .options(so.joinedload(Decision.moderator), so.joinedload(Decision.comment).joinedload(Comment.article))
        .order_by(Decision.created_at.desc(), Decision.id.desc())
    )
    if email:
        query = query.join(Moderator, Moderator.id == Decision.moderator_id).where(Moderator.email == email)
    page = db.paginate(query, per_page=AUDIT_PER_PAGE, max_per_page=AUDIT_PER_PAGE, error_out=False)
    moderators = db.session.scalars(sa.select(Moderator.email).order_by(Moderator.email)).all()
    return render_template("admin/audit.html", page=page, email=email, moderators=moderators,
                           threshold_changes=thresholds.history(), erasures=erasure.history(),
                           author_edits=edits.recent())
