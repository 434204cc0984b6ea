"""Error pages and response headers: every bad request gets a 4xx with a message, never a 500 page with a trace."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is nothing here.",
    405: "That action is not allowed here.",
    413: "That was too much to send at once. Comments are limited to 5,000 characters.",
    429: "Too many requests. Please wait a minute and try again.",
    503: "We could not reach our database just now. Please try again in a few seconds.",
    500: "Something went wrong on our side. Nothing you sent was lost; please try again.",
}

#: Only our own files; no inline script, so injected markup cannot run.
CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(code: int, message: str | None = None) -> tuple[Response | str, int]:
    message = message or MESSAGES.get(code, "The request failed.")
    if wants_json():
        return jsonify(error=message, status=code), code
    return render_template("error.html", code=code, message=message), code


#: No body this app reads nests deeper than a few levels; a deeper one is malformed, not work to do.
MAX_JSON_DEPTH = 32


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a decoded JSON value, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with request bodies nested deeper than ``MAX_JSON_DEPTH`` refused as malformed.

    Python's decoder recurses once per level, so a body nested 10,000 levels
    deep raised RecursionError, a 500; and anything that walks a decoded value
    recursively (``str()`` of it, :func:`_strings`) could do the same with less.
    A ``ValueError`` here is what Flask treats as a malformed body: a 400 with
    a message, or None for ``get_json(silent=True)``.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from exc
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
        return value


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a decoded JSON value (bounded in depth by :class:`BoundedJSONProvider`)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_nul() -> None:
    """A NUL character has no place in any field, and PostgreSQL refuses to store one: say so with a 400.

    Checked here for query strings, forms and JSON bodies alike, before any view reads them.
    """
    values: list[str] = [*request.args.values()]
    if request.method == "POST":
        values += request.form.values()
        if request.is_json:
            values += _strings(request.get_json(silent=True))
    if any("\x00" in value for value in values):
        abort(400, "The request contained a NUL character, which no field accepts.")


#: Seconds a client is asked to wait after a 503: about how long a database restart or a lock lasts.
RETRY_AFTER = 5


def database_unavailable(exc: OperationalError | InterfaceError) -> tuple[Response | str, int, dict[str, str]]:
    """The database is down, locked or unreachable: a 503 that says so, never a trace, and nothing half-written.

    The session is rolled back, so the next request starts clean; a connection
    that died is discarded, and SQLAlchemy then replaces every pooled one, so the
    app recovers by itself when the database returns. A reader's comment comes
    back in a form to post again.
    """
    log.error("database unavailable during %s %s: %s", request.method, request.path, exc)
    try:
        db.session.rollback()
    except (OperationalError, InterfaceError):
        pass  # the connection is gone; removing the session at teardown discards it
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.method == "POST" and request.endpoint == "articles.post_comment":
        return render_template("comments/unsaved.html", form=request.form), 503, headers
    if wants_json() and request.method == "POST":
        return jsonify(error="Could not save your comment: please try again in a few seconds.", status=503), 503, headers
    body, code = error_response(503)
    return body, code, headers


def register(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(refuse_nul)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        code = exc.code or 500
        # A view's abort(400, "...") carries a message for the reader; defaults do not.
        custom = exc.description != type(exc).description and code in (400, 403, 404)
        return error_response(code, exc.description if custom else None)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(400, "The form had expired or was not sent from this site. Please go back, reload the page and try again.")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

