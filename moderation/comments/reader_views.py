"""What readers do to comments already posted: report one, or edit or delete their own within the window.

Every action is an ordinary form on its own page, so it works without
JavaScript; ``comments.js`` opens the report form in place and posts it for a
JSON answer instead.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound, TooManyRequests

from ..errors import error_response
from ..extensions import db, limiter
from ..forms import ActionForm
from ..models import Article, Comment
from . import edits, reports
from .forms import EditForm, ReportForm
from .report_weights import REASONS
from .submit import SubmitError, hash_ip
from .views import get_article

bp = Blueprint("reader", __name__, url_prefix="/articles/<slug>/comments/<int:comment_id>")

THANKS = "Thanks, a moderator will look at it."


def _comment(slug: str, comment_id: int) -> tuple[Article, Comment]:
    article = get_article(slug)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.article_id != article.id:
        abort(404, "There is no such comment on this article.")
    return article, comment


def _back(article: Article, comment: Comment) -> Response:
    return redirect(url_for("articles.show", slug=article.slug, _anchor=f"comment-{comment.id}"))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REPORT_RATE_LIMIT"], methods=["POST"])
def report(slug: str, comment_id: int) -> Response | tuple[str | Response, int]:
    article, comment = _comment(slug, comment_id)
    form = ReportForm()
    if request.method == "GET" or not form.validate():
        return _report_page(article, comment, form, 400 if request.method == "POST" else 200)
    reader = reports.reader_from(request.cookies.get(reports.READER_COOKIE), request.remote_addr or "",
                                 hash_ip(request.remote_addr or ""))
    try:
        reports.file_report(comment, form.reason.data or "", form.note.data or "", reader)
    except reports.ReportError as exc:
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
        return _report_page(article, comment, form, 400, exc.message)
    if _wants_json():
        response = make_response(jsonify(message=THANKS))
    else:
        flash(THANKS, "success")
        response = _back(article, comment)
    if reader.new:
        response.set_cookie(reports.READER_COOKIE, reports.reader_cookie(reader), max_age=reports.READER_COOKIE_SECONDS,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _report_page(article: Article, comment: Comment, form: ReportForm, status: int,
                 error: str | None = None) -> tuple[str | Response, int]:
    if status >= 400 and _wants_json():
        message = error or "Please check the report: " + " ".join(e for errors in form.errors.values() for e in errors)
        return jsonify(error=message, errors=form.errors), status
    if error is None and status >= 400:
        error = "Your report was not sent: please check the fields marked below."
    return render_template("comments/report.html", article=article, comment=comment, form=form, error=error,
                           reasons=REASONS), status


@bp.route("/edit", methods=["GET", "POST"])
def edit(slug: str, comment_id: int) -> Response | tuple[str, int]:
    article, comment = _comment(slug, comment_id)
    token = request.cookies.get(edits.cookie_name(comment.id))
    form = EditForm(data={"comment": comment.text})
    try:
        edits.check(comment, token)
        if request.method == "GET" or not form.validate():
            return _edit_page(article, comment, form, 400 if request.method == "POST" else 200)
        change = edits.edit(comment, form.comment.data or "", token)
    except edits.EditRefused as exc:
        return _edit_page(article, comment, form, 403, exc.message, refused=True)
    except SubmitError as exc:
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
        return _edit_page(article, comment, form, 400, exc.message)
    if change is None:
        flash("Nothing changed: the text is as it was.", "info")
    elif comment.status.value == "published":
        flash("Your comment is updated.", "success")
    else:
        flash("Your comment is updated and is awaiting moderation.", "info")
    return _back(article, comment)


def _edit_page(article: Article, comment: Comment, form: EditForm, status: int, error: str | None = None,
               refused: bool = False) -> tuple[str, int]:
    if error is None and status == 400:
        error = "Your comment was not changed: please check the text below."
    return render_template("comments/edit.html", article=article, comment=comment, form=form, error=error,
                           refused=refused, closes_at=edits.closes_at(comment)), status


@bp.route("/delete", methods=["GET", "POST"])
def delete(slug: str, comment_id: int) -> Response | tuple[str, int]:
    article, comment = _comment(slug, comment_id)
    token = request.cookies.get(edits.cookie_name(comment.id))
    form = ActionForm()
    try:
        edits.check(comment, token)
        if request.method == "GET" or not form.validate():
            return render_template("comments/delete.html", article=article, comment=comment, form=form,
                                   error=None), 200 if request.method == "GET" else 400
        edits.delete(comment, token)
    except edits.EditRefused as exc:
        return render_template("comments/delete.html", article=article, comment=comment, form=form,
                               error=exc.message), 403
    flash("Your comment is deleted.", "success")
    response = redirect(url_for("articles.show", slug=article.slug, _anchor="comments"))
    response.delete_cookie(edits.cookie_name(comment.id))
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(exc: CSRFError) -> tuple[str | Response, int]:
    message = "The form had expired, so nothing was sent. Please try again."
    try:
        article, comment = _comment(**(request.view_args or {}))
    except NotFound as missing:  # raised here, it would be a 500: answer as the view would have
        return error_response(404, missing.description)
    if request.endpoint == "reader.report":
        return _report_page(article, comment, ReportForm(), 400, message)
    if request.endpoint == "reader.edit":
        return _edit_page(article, comment, EditForm(), 400, message)
    return render_template("comments/delete.html", article=article, comment=comment, form=ActionForm(),
                           error=message), 400


@bp.errorhandler(TooManyRequests)
def rate_limited(exc: TooManyRequests) -> tuple[str | Response, int]:
    message = "You have sent many reports in a short time. Please wait a while before sending more."
    try:
        article, comment = _comment(**(request.view_args or {}))
    except NotFound:
        return error_response(429, message)
    return _report_page(article, comment, ReportForm(), 429, message)
