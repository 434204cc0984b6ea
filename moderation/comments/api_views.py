"""The JSON API behind ``embed.js``: a comment section on pages this app does not render (a CMS's).

Reading is public. Posting takes JSON only, which a browser cannot send to
another origin without a CORS preflight; the preflight, and the ``Origin`` of
every post, must be this site or one of ``EMBED_ORIGINS``. That is this API's
CSRF protection, so the blueprint is exempt from the form token. Posts go
through the same form validation, :func:`.submit.submit` and rate
limit as the article page: 201 for a published comment, 202 for a held one
(spam is reported as held, like on the page, so spammers learn nothing).

Each published comment can be reported (``POST .../comments/ID/reports``), and a
new comment's answer carries its ``edit_token``: with it, its author may change
(``PUT``) or delete (``DELETE``) it within the edit window, as on the page.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from werkzeug.datastructures import MultiDict

from ..extensions import csrf, db, limiter
from ..models import Comment, Status
from ..sites.openapi import document
from . import edits, reports
from .forms import CommentForm, EditForm, ReportForm
from .rendering import comment_html, link
from .report_weights import REASONS
from .submit import Client, Draft, SubmitError, hash_ip, submit
from .thread_cache import kept
from .threads import Node, thread_page
from .views import get_article

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

#: JSON field -> comment form field (the form keeps WordPress's names).
FIELDS = {"comment": "comment", "author": "author", "email": "email", "url": "url", "parent": "comment_parent"}
FIELDS_BY_FORM = {name: key for key, name in FIELDS.items()}


def _allowed_origin() -> str | None:
    """The request's Origin when it may post here: this site's own, or a configured embedding site."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    own = request.host_url.rstrip("/")
    return origin if origin == own or origin in current_app.config["EMBED_ORIGINS"] else None


@bp.after_request
def cors(response: Response) -> Response:
    """Anyone may read; only allowed origins may post (the preflight says so before the browser sends)."""
    if request.method == "GET":
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif (origin := _allowed_origin()) is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
    return response


def _node(node: Node) -> dict[str, Any]:
    c = node.comment
    return {
        "id": c.id,
        "author": c.author,
        "author_html": str(link(c.url, c.author)) if c.url else None,
        "created_at": c.created_at.isoformat() + "Z",
        "html": str(comment_html(c.text)),
        "edited": c.edited_at is not None,
        "deleted": node.deleted,
        "replies": [_node(child) for child in node.children],
    }


@bp.get("/articles/<slug>/comments", provide_automatic_options=False)
def comments(slug: str) -> Response:
    article = get_article(slug)
    number = request.args.get("page", 1, type=int)

    def build() -> dict[str, Any]:
        page = thread_page(article, (), number, current_app.config["COMMENTS_PER_PAGE"])
        return dict(
            article={"slug": article.slug, "title": article.title, "comments_open": article.comments_open,
                     "url": url_for("articles.show", slug=article.slug, _external=True)},
            count=page.count, page=page.page, pages=page.pages, max_depth=current_app.config["COMMENT_MAX_DEPTH"],
            comments=[_node(n) for n in page.nodes], report_reasons=REASONS,
        )

    key = ("api", article.id, article.thread_version, article.comments_open, number, request.host_url)
    return jsonify(kept(key, build))


@bp.route("/articles/<slug>/comments", methods=["OPTIONS"], provide_automatic_options=False)
@bp.route("/articles/<slug>/comments/<int:comment_id>", methods=["OPTIONS"], provide_automatic_options=False)
@bp.route("/articles/<slug>/comments/<int:comment_id>/reports", methods=["OPTIONS"], provide_automatic_options=False)
def preflight(slug: str, comment_id: int | None = None) -> Response:
    if _allowed_origin() is None:
        abort(403, "This site may not post comments here.")
    return Response(status=204)


def _json_object() -> dict[str, Any]:
    """The request's JSON object, from an allowed origin, whose fields are text, numbers or null; else a 4xx."""
    if request.headers.get("Origin") is not None and _allowed_origin() is None:
        abort(403, "This site may not post comments here.")
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        abort(415 if not request.is_json else 400,
              "Send the comment as one JSON object of text fields (malformed, or nested too deeply).")
    nested = sorted(key for key, value in body.items() if isinstance(value, dict | list))
    if nested:
        abort(400, f"Send each field as text, not a list or an object: {', '.join(nested)[:200]}.")
    return body


@bp.post("/articles/<slug>/comments", provide_automatic_options=False)
@limiter.limit(lambda: current_app.config["COMMENT_RATE_LIMIT"])
def post_comment(slug: str) -> tuple[Response, int]:
    body = _json_object()
    article = get_article(slug)
    fields = MultiDict({name: str(body.get(key) or "") for key, name in FIELDS.items()})
    form = CommentForm(formdata=fields, meta={"csrf": False})
    if not form.validate():
        errors = {FIELDS_BY_FORM.get(name, name): messages for name, messages in form.errors.items()}
        return jsonify(error="Please check the fields marked.", errors=errors), 400
    draft = Draft(text=form.comment.data or "", author=form.author.data or "", email=form.email.data or "",
                  url=form.url.data or "", parent_id=form.parent_id(), honeypot=bool(body.get("website_confirm")))
    try:
        comment = submit(article, draft, Client(ip=request.remote_addr or "", user_agent=request.user_agent.string))
    except SubmitError as exc:
        errors = {FIELDS_BY_FORM.get(exc.field, exc.field): [exc.message]} if exc.field else {}
        return jsonify(error=exc.message, errors=errors), 403 if exc.field is None else 400
    return _created(comment)



def _created(comment: Comment, message: str = "Thank you") -> tuple[Response, int]:
    edit = {"edit_token": edits.token_for(comment), "edit_until": edits.closes_at(comment).isoformat() + "Z"} \
        if current_app.config["EDIT_WINDOW_SECONDS"] else {}
    if comment.status == Status.PUBLISHED:
        return jsonify(id=comment.id, status="published", message=f"{message}, your comment is published.",
                       comment=_node(Node(comment)), **edit), 201
    return jsonify(id=comment.id, status="awaiting moderation",
                   message=f"{message}. Your comment is awaiting moderation.", **edit), 202


def _own_comment(slug: str, comment_id: int) -> Comment:
    article = get_article(slug)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.article_id != article.id:
        abort(404, "There is no such comment on this article.")
    return comment


@bp.put("/articles/<slug>/comments/<int:comment_id>", provide_automatic_options=False)
@limiter.limit(lambda: current_app.config["COMMENT_RATE_LIMIT"])
def edit_comment(slug: str, comment_id: int) -> tuple[Response, int]:
    """The author's new text, with the ``edit_token`` their post's answer gave: screened again like a new comment."""
    body = _json_object()
    comment = _own_comment(slug, comment_id)
    form = EditForm(formdata=MultiDict({"comment": str(body.get("comment") or "")}), meta={"csrf": False})
    try:
        edits.check(comment, str(body.get("edit_token") or ""))
        if not form.validate():
            return jsonify(error="Please check the fields marked.", errors=form.errors), 400
        edits.edit(comment, form.comment.data or "", str(body.get("edit_token") or ""))
    except edits.EditRefused as exc:
        return jsonify(error=exc.message, errors={}), 403
    except SubmitError as exc:
        return jsonify(error=exc.message, errors={"comment": [exc.message]} if exc.field else {}), 400
    response, code = _created(comment, "Updated")
    return response, 200 if code == 201 else code


@bp.delete("/articles/<slug>/comments/<int:comment_id>", provide_automatic_options=False)
def delete_comment(slug: str, comment_id: int) -> tuple[Response, int]:
    body = _json_object()
    comment = _own_comment(slug, comment_id)
    try:
        edits.delete(comment, str(body.get("edit_token") or ""))
    except edits.EditRefused as exc:
        return jsonify(error=exc.message, errors={}), 403
    return jsonify(id=comment.id, status="deleted", message="Your comment is deleted."), 200


@bp.post("/articles/<slug>/comments/<int:comment_id>/reports", provide_automatic_options=False)
@limiter.limit(lambda: current_app.config["REPORT_RATE_LIMIT"])
def report(slug: str, comment_id: int) -> tuple[Response, int]:
    """A reader's report from the embed; like the page's, answered with thanks and no count."""
    body = _json_object()
    comment = _own_comment(slug, comment_id)
    form = ReportForm(formdata=MultiDict({key: str(body.get(key) or "") for key in ("reason", "note")}),
                      meta={"csrf": False})
    if not form.validate():
        return jsonify(error="Please check the fields marked.", errors=form.errors), 400
    ip = request.remote_addr or ""
    reader = reports.reader_from(None, ip, hash_ip(ip))
    try:
        reports.file_report(comment, form.reason.data or "", form.note.data or "", reader)
    except reports.ReportError as exc:
        errors = {exc.field: [exc.message]} if exc.field else {}
        return jsonify(error=exc.message, errors=errors), 400 if exc.field else 409
    return jsonify(message="Thanks, a moderator will look at it."), 202


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API and the Akismet-compatible one, described for tools and people (moderation/sites/openapi.py)."""
    return jsonify(document())
