"""Moderators' settings pages: which articles take comments or hold them all (with the site's report and
edit settings), who is banned, and a word-list tester."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from ..accounts.access import moderator_required
from ..comments.rendering import marked
from ..comments.report_weights import note_points
from ..comments.wordlists import word_list
from ..extensions import db
from ..forms import ActionForm
from ..model.thresholds import in_force
from ..models import Article, Ban, Comment
from .decisions import lift_ban
from .forms import ArticleSettingsForm, WordListTestForm

bp = Blueprint("settings", __name__, url_prefix="/moderation")


@bp.get("/articles")
@moderator_required
def articles() -> str:
    rows = db.session.scalars(sa.select(Article).order_by(Article.published_at.desc(), Article.id.desc())).all()
    forms = {a.id: ArticleSettingsForm(obj=a, formdata=None) for a in rows}
    counts = dict(db.session.execute(
        sa.select(Comment.article_id, sa.func.count(Comment.id)).group_by(Comment.article_id)
    ).all())
    points = note_points({label: t.review for label, t in in_force().items()},
                         current_app.config["REPORT_NOTE_SHARE"])
    return render_template("settings/articles.html", articles=rows, forms=forms, counts=counts, note_points=points)


@bp.post("/articles/<int:article_id>")
@moderator_required
def update_article(article_id: int) -> Response:
    article = db.session.get(Article, article_id) or abort(404, "No such article.")
    form = ArticleSettingsForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    article.comments_open = form.comments_open.data
    article.hold_all = form.hold_all.data
    db.session.commit()
    state = "open" if article.comments_open else "closed"
    flash(f"“{article.title}”: comments {state}" + (", every comment held." if article.hold_all else "."), "success")
    return redirect(url_for("settings.articles"))


@bp.get("/bans")
@moderator_required
def bans() -> str:
    rows = db.session.scalars(
        sa.select(Ban).options(so.joinedload(Ban.moderator)).order_by(Ban.created_at.desc(), Ban.id.desc())
    ).all()
    return render_template("settings/bans.html", bans=rows, form=ActionForm())


@bp.post("/bans/<int:ban_id>/lift")
@moderator_required
def lift(ban_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    try:
        entry = lift_ban(ban_id)
    except LookupError:
        abort(404, "No such ban.")
    flash(f"Lifted the ban on {entry.kind} {entry.value if entry.kind == 'email' else entry.value[:10] + '…'}.",
          "success")
    return redirect(url_for("settings.bans"))


@bp.route("/words", methods=["GET", "POST"])
@moderator_required
def words() -> tuple[str, int] | str:
    """Try candidate lists on a sample text: what each list would catch, marked in the text."""
    form = WordListTestForm()
    results = []
    if request.method == "GET":
        form.block_words.data = "\n".join(current_app.config["BLOCK_WORDS"])
        form.moderation_words.data = "\n".join(current_app.config["MODERATION_WORDS"])
    elif form.validate_on_submit():
        for name, field, outcome in (("Block words", form.block_words, "sent to spam"),
                                     ("Moderation words", form.moderation_words, "held for a moderator")):
            hits = word_list(field.data.splitlines()).hits(form.sample.data)
            results.append((name, outcome, hits, marked(form.sample.data, [(h.start, h.end) for h in hits])))
    elif "csrf_token" in form.errors:
        abort(400, "The form had expired. Reload the page and try again.")
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("settings/words.html", form=form, results=results,
                           current={"Block words": current_app.config["BLOCK_WORDS"],
                                    "Moderation words": current_app.config["MODERATION_WORDS"]}), status
