"""The Akismet 1.1 API, so a CMS's existing Akismet client can ask this service instead.

Form-encoded requests, plain-text answers, the field names and headers of the
public Akismet API (``true``/``false``, ``valid``/``invalid``,
``X-akismet-pro-tip: discard``, ``X-akismet-error``), plus our scores in
``X-Moderation-*`` headers. Server-to-server: no browser session is involved,
so the blueprint is exempt from CSRF and authenticated by its API key, and
each key is rate-limited on its own.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from ..extensions import csrf, limiter
from ..models import ApiKey
from .api_keys import find_key, key_hash
from .site_checks import Submitted, check, report

bp = Blueprint("akismet", __name__, url_prefix="/1.1")
csrf.exempt(bp)

#: Akismet's answer to a successful submit-spam/submit-ham; clients compare it exactly.
SUBMITTED = "Thanks for making the web a better place."
TRUE_VALUES = ("1", "true", "yes", "on")


class BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(body: str, status: int = 200, **headers: str) -> Response:
    return Response(body, status=status, mimetype="text/plain", headers=headers)


def _rate_key() -> str:
    """Each key has its own budget; requests without one share their address's."""
    key = request.form.get("api_key") or request.form.get("key")
    return f"akismet-key:{key_hash(key)[:24]}" if key else get_remote_address()


def _limit() -> str:
    return current_app.config["AKISMET_RATE_LIMIT"]


def _flag(name: str) -> bool:
    return (request.form.get(name) or "").strip().lower() in TRUE_VALUES


def _required(*names: str) -> list[str]:
    values = [(request.form.get(name) or "").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise BadRequest(f"Missing required field: {missing[0]}.")
    return values


def _key() -> ApiKey | None:
    key, blog, _ = _required("api_key", "blog", "user_ip")
    return find_key(key, blog)


def _submitted() -> Submitted:
    form = request.form
    honeypot_field = form.get("honeypot_field_name") or ""
    return Submitted(
        text=form.get("comment_content") or "",
        user_ip=(form.get("user_ip") or "").strip()[:100],
        author=" ".join((form.get("comment_author") or "").split())[:200],
        email=(form.get("comment_author_email") or "")[:254],
        url=(form.get("comment_author_url") or "").strip()[:300],
        permalink=(form.get("permalink") or "").strip()[:500],
        comment_type=(form.get("comment_type") or "").strip()[:32],
        user_agent=(form.get("user_agent") or "")[:300],
        honeypot=bool(honeypot_field and (form.get(honeypot_field) or "").strip()),
        is_test=_flag("is_test"),
    )


def _invalid() -> Response:
    return _text("invalid", **{"X-akismet-debug-help": "The API key is unknown or revoked, or blog is not its site."})


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest) -> Response:
    return _text(exc.message, 400, **{"X-akismet-error": exc.message})


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """Errors in Akismet's form (plain text and ``X-akismet-error``), e.g. the rate limit's 429."""
    message = exc.description or exc.name
    return _text(message, exc.code or 400, **{"X-akismet-error": message})


@bp.post("/verify-key")
@limiter.limit(_limit, key_func=_rate_key)
def verify_key() -> Response:
    """``key`` is Akismet 1.1's name for it; newer clients send ``api_key``."""
    key = (request.form.get("key") or request.form.get("api_key") or "").strip()
    if not key:
        raise BadRequest("Missing required field: key.")
    (blog,) = _required("blog")
    return _text("valid") if find_key(key, blog) else _invalid()


@bp.post("/comment-check")
@limiter.limit(_limit, key_func=_rate_key)
def comment_check() -> Response:
    key = _key()
    if key is None:
        return _invalid()
    checked, answer = check(key, _submitted(), moderate_toxic=key.moderate_toxic or _flag("blog_moderate_toxic"))
    headers = {"X-Moderation-Check-Id": str(checked.id), "X-Moderation-Status": str(checked.routed_status),
               "X-Moderation-Rule": checked.route_rule or ""}
    for label, value in sorted((checked.scores or {}).items()):
        headers[f"X-Moderation-{label.capitalize()}"] = f"{value:.2f}"
    if answer.spam is None:
        message = "The classifier could not score this comment; hold it for a moderator."
        return _text(message, 503, **headers, **{"X-akismet-error": message})
    if answer.discard:
        headers["X-akismet-pro-tip"] = "discard"
    return _text("true" if answer.spam else "false", **headers)


def _report(spam: bool) -> Response:
    key = _key()
    if key is None:
        return _invalid()
    report(key, _submitted(), spam=spam)
    return _text(SUBMITTED)


@bp.post("/submit-spam")
@limiter.limit(_limit, key_func=_rate_key)
def submit_spam() -> Response:
    return _report(spam=True)


@bp.post("/submit-ham")
@limiter.limit(_limit, key_func=_rate_key)
def submit_ham() -> Response:
    return _report(spam=False)
