"""Public pages: the article list, an article with its comments, posting a comment."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import TooManyRequests

from ..extensions import db, limiter
from ..models import Article, Comment, Status, as_id
from ..sites.notifications import mail_enabled, subscribe
from . import edits
from .forms import CommentForm
from .report_weights import REASONS
from .submit import Client, Draft, SubmitError, submit
from .thread_cache import rendered_thread
from .threads import landing_page, published_count

bp = Blueprint("articles", __name__)

#: WordPress's cookie names for "Save my name, email, and website".
REMEMBER_COOKIES = {"author": "comment_author", "email": "comment_author_email", "url": "comment_author_url"}
REMEMBER_SECONDS = 365 * 24 * 3600
ARTICLES_PER_PAGE = 20


def own_comment_ids() -> list[int]:
    """The reader's own comments, which they see while held; kept in the session as "12,15,40".

    One string, not a list: Flask's session serializer tags each list item on
    every request, and 50 ids cost 0.08 ms a request that way.
    """
    kept = session.get("own_comments", "")
    return [int(i) for i in kept.split(",") if i.isdigit()] if isinstance(kept, str) else []


def remember_own(comment: Comment) -> None:
    keep = current_app.config["OWN_COMMENTS_REMEMBERED"]
    session["own_comments"] = ",".join(map(str, (own_comment_ids() + [comment.id])[-keep:]))


def get_article(slug: str) -> Article:
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None:
        abort(404)
    return article


@bp.get("/")
def index() -> str:
    page = db.paginate(
        sa.select(Article).order_by(Article.published_at.desc(), Article.id.desc()),
        per_page=ARTICLES_PER_PAGE,
        error_out=False,
    )
    counts = {a.id: published_count(a) for a in page.items}
    return render_template("articles/index.html", page=page, counts=counts)


@bp.get("/articles/<slug>")
def show(slug: str) -> str:
    article = get_article(slug)
    form = CommentForm(formdata=None, data=remembered_fields())
    parent_id = as_id(request.args.get("replytocom"))
    form.comment_parent.data = str(parent_id) if parent_id else ""
    return render_article(article, form)


def remembered_fields() -> dict[str, str | bool]:
    data: dict[str, str | bool] = {
        field: request.cookies.get(cookie, "")[:254] for field, cookie in REMEMBER_COOKIES.items()
    }
    data["remember"] = bool(data["author"] or data["email"])
    return data


def render_article(article: Article, form: CommentForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    per_page = current_app.config["COMMENTS_PER_PAGE"]
    thread = rendered_thread(article, own_comment_ids(), request.args.get("cpage", 1, type=int), per_page,
                             edits.editable(request.cookies))
    parent = db.session.get(Comment, form.parent_id()) if form.comment_parent.data and not form.comment_parent.errors else None
    if parent is not None and (parent.article_id != article.id or parent.status != Status.PUBLISHED):
        parent = None
    return render_template(
        "articles/show.html",
        article=article,
        form=form,
        thread=thread,
        reply_to=parent,
        error=error,
        max_depth=current_app.config["COMMENT_MAX_DEPTH"],
        reasons=REASONS,
    ), status


@bp.post("/articles/<slug>/comments")
@limiter.limit(lambda: current_app.config["COMMENT_RATE_LIMIT"])
def post_comment(slug: str) -> Response | tuple[str, int]:
    article = get_article(slug)
    form = CommentForm()
    if not form.validate():
        return render_article(article, form, 400, "Your comment was not posted: please check the fields marked below.")
    draft = Draft(
        text=form.comment.data or "",
        author=form.author.data or "",
        email=form.email.data or "",
        url=form.url.data or "",
        parent_id=form.parent_id(),
        honeypot=bool(form.website_confirm.data),
    )
    page = landing_page(article, draft.parent_id, current_app.config["COMMENTS_PER_PAGE"], own_comment_ids())
    try:
        comment = submit(article, draft, Client(ip=request.remote_addr or "", user_agent=request.user_agent.string))
    except SubmitError as exc:
        if exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
        return render_article(article, form, 400, exc.message)

    remember_own(comment)
    if form.notify_replies.data and mail_enabled():
        subscribe(comment)
    if comment.status == Status.PUBLISHED:
        flash("Thank you, your comment is published.", "success")
    else:
        flash("Thank you. Your comment is awaiting moderation.", "info")
    response = redirect(url_for(".show", slug=slug, cpage=page if page > 1 else None, _anchor=f"comment-{comment.id}"))
    remember_author(response, form)
    if current_app.config["EDIT_WINDOW_SECONDS"]:
        response.set_cookie(edits.cookie_name(comment.id), edits.token_for(comment),
                            max_age=current_app.config["EDIT_WINDOW_SECONDS"], httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


def remember_author(response: Response, form: CommentForm) -> None:
    """Cookies only with the reader's consent; unticking the box forgets them."""
    for field, cookie in REMEMBER_COOKIES.items():
        if form.remember.data:
            response.set_cookie(cookie, form[field].data or "", max_age=REMEMBER_SECONDS,
                                httponly=True, samesite="Lax", secure=request.is_secure)
        elif cookie in request.cookies:
            response.delete_cookie(cookie)


def _rerender_post(message: str, status: int) -> tuple[str, int]:
    """A refused post shows the article again with everything the reader typed."""
    article = get_article((request.view_args or {}).get("slug", ""))
    return render_article(article, CommentForm(), status, message)


# Only post_comment in this blueprint takes a POST, so these handlers only ever see it.
@bp.errorhandler(CSRFError)
def csrf_refused(exc: CSRFError) -> tuple[str, int]:
    return _rerender_post("Your comment was not posted because the form had expired. "
                          "Nothing is lost: please press “Post Comment” again.", 400)


@bp.errorhandler(TooManyRequests)
def rate_limited(exc: TooManyRequests) -> tuple[str, int]:
    return _rerender_post("You are commenting faster than we allow. Please wait a minute, "
                          "then press “Post Comment” again; your text is kept below.", 429)
