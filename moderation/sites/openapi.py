"""The OpenAPI 3 description of every ``/api/`` route (threads, moderation) and the Akismet-compatible ``/1.1/`` routes.

Built as a plain dict in one place, next to nothing else, and served at
``GET /api/openapi.json``. The tests check it with ``openapi-spec-validator``,
check that every ``/api/`` and ``/1.1/`` URL rule of the app is in it, and let
schemathesis generate requests from it against the app.
"""
from __future__ import annotations

from typing import Any

from ..comments.report_weights import REASONS
from ..config import Defaults
from ..models import Status
from ..queue.decisions import ACTIONS, REJECT_LABELS
from ..queue.listing import PER_PAGE, SORTS, TABS

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _text(description: str, values: list[str] | None = None, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if values:
        schema["enum"] = values
    response: dict[str, Any] = {"description": description, "content": {TEXT: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


def _string(description: str, example: str | None = None, max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": description}
    if example is not None:
        schema["example"] = example
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


#: Akismet's request fields, as the public Akismet API names them.
AKISMET_FIELDS: dict[str, dict[str, Any]] = {
    "api_key": _string("The key created for the site (admin page or `create-api-key`).", "your-api-key"),
    "blog": _string("The site's address; must be on the key's site.", "https://www.example-news.org"),
    "user_ip": _string("The commenter's IP address (stored only as a keyed hash).", "203.0.113.7"),
    "user_agent": _string("The commenter's browser user agent."),
    "referrer": _string("The page the commenter came from (accepted, not used)."),
    "permalink": _string("The article's address."),
    "comment_type": _string("comment, reply, forum-post, contact-form, ..."),
    "comment_author": _string("The commenter's name."),
    "comment_author_email": _string("The commenter's email."),
    "comment_author_url": _string("The commenter's website."),
    "comment_content": _string("The comment's text.", "The council should publish the budget first."),
    "comment_date_gmt": _string("When it was posted (accepted, not used)."),
    "blog_lang": _string("The site's language (accepted, not used)."),
    "blog_charset": _string("The site's character set (accepted, not used)."),
    "honeypot_field_name": _string("The name of the site's hidden honeypot field, sent along with its value; "
                                   "a filled-in honeypot is spam."),
    "is_test": _string("1 or true: a test request; its reports are not kept as labels.", "1"),
    "blog_moderate_toxic": _string("1 or true: answer `true` for toxic comments too (this service's extension; "
                                   "a key can also be created to do so always).", "1"),
}

INVALID_KEY = _header("Why the answer is `invalid`: unknown or revoked key, or `blog` not on the key's site.")
AKISMET_ERROR = _header("What was wrong with the request.")


def _akismet_form(required: list[str], fields: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"required": True, "content": {FORM: {"schema": {
        "type": "object", "properties": fields or AKISMET_FIELDS, "required": required,
    }}}}


def _akismet_errors() -> dict[str, Any]:
    return {
        "400": _text("A required field is missing or empty.", headers={"X-akismet-error": AKISMET_ERROR}),
        "413": _text("The request is too large.", headers={"X-akismet-error": AKISMET_ERROR}),
        "429": _text("This key's rate limit is reached.", headers={"X-akismet-error": AKISMET_ERROR}),
    }


def _report(what: str) -> dict[str, Any]:
    return {
        "tags": ["akismet"],
        "summary": f"Report a comment as {what}",
        "description": "Kept as a moderator-grade training label, on the latest check of the same text with the "
                       "same key, or on a new record of the submitted fields.",
        "requestBody": _akismet_form(["api_key", "blog", "user_ip"]),
        "responses": {
            "200": _text("`Thanks for making the web a better place.`, or `invalid` for a bad key.",
                         ["Thanks for making the web a better place.", "invalid"],
                         {"X-akismet-debug-help": INVALID_KEY}),
            **_akismet_errors(),
        },
    }


#: What the answer to a new comment carries for its author (while ``EDIT_WINDOW_SECONDS`` is not 0).
EDIT_TOKEN: dict[str, Any] = {
    "edit_token": {"type": "string", "description": "Lets its author edit or delete it until `edit_until`."},
    "edit_until": {"type": "string", "format": "date-time"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "A message for people."},
            "status": {"type": "integer"},
            "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                       "description": "Messages per field (comment, author, email, url, parent)."},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "author", "author_html", "created_at", "html", "replies"],
        "properties": {
            "id": {"type": "integer"},
            "author": {"type": "string"},
            "author_html": {"type": "string", "nullable": True,
                            "description": "The name linked to the author's website, already escaped."},
            "created_at": {"type": "string", "format": "date-time"},
            "html": {"type": "string", "description": "The comment's text as safe HTML."},
            "edited": {"type": "boolean", "description": "Its author edited it after posting."},
            "deleted": {"type": "boolean", "description": "Its author deleted it: a placeholder for its replies, "
                                                         "with no author and no text."},
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
        },
    },
    "Thread": {
        "type": "object",
        "required": ["article", "count", "page", "pages", "max_depth", "comments"],
        "properties": {
            "article": {"type": "object", "required": ["slug", "title", "comments_open", "url"], "properties": {
                "slug": {"type": "string"}, "title": {"type": "string"},
                "comments_open": {"type": "boolean"}, "url": {"type": "string", "format": "uri"},
            }},
            "count": {"type": "integer", "description": "Published comments on the article."},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "max_depth": {"type": "integer", "description": "How deep replies may nest."},
            "comments": {"type": "array", "items": _ref("Comment")},
            "report_reasons": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "The reasons a report may give, with their labels for readers."},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["comment", "author", "email"],
        "properties": {
            "comment": {"type": "string", "maxLength": Defaults.COMMENT_MAX_LENGTH},
            "author": {"type": "string", "maxLength": Defaults.AUTHOR_MAX_LENGTH},
            "email": {"type": "string", "format": "email", "description": "Never shown."},
            "url": {"type": "string", "description": "The author's website, http:// or https://."},
            "parent": {"type": "integer", "description": "The id of the published comment this replies to."},
            "website_confirm": {"type": "string", "description": "Honeypot: leave it out or empty."},
        },
    },
    "Published": {
        "type": "object",
        "required": ["id", "status", "message", "comment"],
        "properties": {"id": {"type": "integer"}, "status": {"type": "string", "enum": ["published"]},
                       "message": {"type": "string"}, "comment": _ref("Comment"), **EDIT_TOKEN},
    },
    "Held": {
        "type": "object",
        "required": ["id", "status", "message"],
        "properties": {"id": {"type": "integer"}, "status": {"type": "string", "enum": ["awaiting moderation"]},
                       "message": {"type": "string"}, **EDIT_TOKEN},
    },
    "Edit": {
        "type": "object",
        "required": ["comment", "edit_token"],
        "properties": {"comment": {"type": "string", "maxLength": Defaults.COMMENT_MAX_LENGTH},
                       "edit_token": {"type": "string", "description": "From the answer to the post."}},
    },
    "Deletion": {
        "type": "object",
        "required": ["edit_token"],
        "properties": {"edit_token": {"type": "string", "description": "From the answer to the post."}},
    },
    "Deleted": {
        "type": "object",
        "required": ["id", "status", "message"],
        "properties": {"id": {"type": "integer"}, "status": {"type": "string", "enum": ["deleted"]},
                       "message": {"type": "string"}},
    },
    "NewReport": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "enum": list(REASONS)},
                       "note": {"type": "string", "maxLength": 300,
                                "description": "Needed for the reason `other`."}},
    },
    "Thanks": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
}

SCHEMAS.update({
    "QueueComment": {
        "type": "object",
        "required": ["id", "article", "author", "email", "text", "created_at", "status", "routed_status",
                     "route_rule", "route_reason", "scores", "model_version", "terms", "kinds"],
        "properties": {
            "id": {"type": "integer"},
            "article": {"type": "object", "properties": {"id": {"type": "integer"}, "slug": {"type": "string"},
                                                         "title": {"type": "string"}}},
            "parent_id": {"type": "integer", "nullable": True},
            "author": {"type": "string"}, "email": {"type": "string"}, "url": {"type": "string", "nullable": True},
            "text": {"type": "string", "description": "As typed, not escaped: escape it before showing it."},
            "created_at": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "enum": [s.value for s in Status]},
            "routed_status": {"type": "string", "enum": [s.value for s in Status]},
            "route_rule": {"type": "string"}, "route_reason": {"type": "string"},
            "scores": {"type": "object", "nullable": True, "additionalProperties": {"type": "number"}},
            "model_version": {"type": "string", "nullable": True},
            "terms": {"type": "array", "items": {"type": "string"}, "description": "Words behind the scores."},
            "kinds": {"type": "array", "items": {"type": "string"},
                      "description": "Kinds of toxicity the model names for a comment flagged as toxic "
                                     "(\"insult\"), as the queue page shows them; empty otherwise."},
        },
    },
    "Queue": {
        "type": "object",
        "required": ["tab", "sort", "page", "pages", "total", "counts", "comments"],
        "properties": {
            "tab": {"type": "string"}, "sort": {"type": "string"}, "page": {"type": "integer"},
            "pages": {"type": "integer"}, "total": {"type": "integer"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "comments": {"type": "array", "items": _ref("QueueComment")},
        },
    },
    "DecisionRequest": {
        "type": "object",
        "required": ["action", "seen_status"],
        "properties": {
            "action": {"type": "string", "enum": list(ACTIONS)},
            "seen_status": {"type": "string", "enum": [s.value for s in Status],
                            "description": "The status the tool last read; if it changed meanwhile, nothing is "
                                           "changed and the answer is 409."},
            "label": {"type": "string", "enum": list(REJECT_LABELS),
                      "description": "For reject: what it is (default: the label the model saw more of)."},
        },
    },
    "Decision": {
        "type": "object",
        "required": ["id", "comment_id", "created_at", "moderator", "action", "from_status", "to_status"],
        "properties": {
            "id": {"type": "integer"}, "comment_id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"}, "moderator": {"type": "string"},
            "action": {"type": "string"}, "from_status": {"type": "string"}, "to_status": {"type": "string"},
            "label": {"type": "string", "nullable": True}, "model_version": {"type": "string", "nullable": True},
            "scores": {"type": "object", "nullable": True, "additionalProperties": {"type": "number"}},
        },
    },
    "History": {
        "type": "object",
        "required": ["comment_id", "status", "routed_status", "route_reason", "decisions"],
        "properties": {
            "comment_id": {"type": "integer"}, "status": {"type": "string"}, "routed_status": {"type": "string"},
            "route_reason": {"type": "string"}, "decisions": {"type": "array", "items": _ref("Decision")},
            "edits": {"type": "array", "description": "Its author's edits and deletion, oldest first.", "items": {
                "type": "object", "properties": {
                    "created_at": {"type": "string", "format": "date-time"},
                    "action": {"type": "string", "enum": ["edit", "delete"]},
                    "text_before": {"type": "string"}, "from_status": {"type": "string"},
                    "to_status": {"type": "string"}, "route_rule": {"type": "string"}}}},
        },
    },
})

BEARER = [{"moderatorToken": []}]
COMMENT_ID = {"name": "comment_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1}}
UNAUTHORIZED = _error("No token, or an unknown or revoked one, or its moderator's account is switched off.")


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


MODERATION_PATHS: dict[str, Any] = {
    "/api/moderation/queue": {"get": {
        "tags": ["moderation"], "summary": "A page of the moderator queue", "security": BEARER,
        "parameters": [
            _query("tab", "Which comments (unknown values mean pending).", {"type": "string", "enum": list(TABS)}),
            _query("sort", "Order (unknown values mean risk).", {"type": "string", "enum": list(SORTS)}),
            _query("article", "Only this article's comments (its id).", {"type": "integer"}),
            _query("author", "Only authors whose name or email contains this.", {"type": "string"}),
            _query("page", "Page number; out-of-range pages give the last.", {"type": "integer"}),
        ],
        "responses": {"200": _json(_ref("Queue"), f"Up to {PER_PAGE} comments."), "401": UNAUTHORIZED},
    }},
    "/api/moderation/comments/{comment_id}/decision": {"post": {
        "tags": ["moderation"], "summary": "Decide on a comment, as the queue page does", "security": BEARER,
        "parameters": [COMMENT_ID],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref("DecisionRequest")}}},
        "responses": {
            "200": _json(_ref("Decision"), "Done: the decision, now in the audit log and a training label."),
            "400": _error("The action, seen_status or label is not valid."),
            "401": UNAUTHORIZED,
            "404": _error("No such comment."),
            "409": _error("Someone moved the comment meanwhile (`current_status`, `decided_by`); nothing changed."),
            "415": _error("The body is not JSON."),
        },
    }},
    "/api/moderation/comments/{comment_id}/history": {"get": {
        "tags": ["moderation"], "summary": "A comment's route and every decision on it", "security": BEARER,
        "parameters": [COMMENT_ID],
        "responses": {"200": _json(_ref("History"), "Oldest decision first."), "401": UNAUTHORIZED,
                      "404": _error("No such comment.")},
    }},
}

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "The article's slug, as `import-article` printed it."}
PREFLIGHT = {"tags": ["comments"], "summary": "CORS preflight for an embedding site",
             "responses": {"204": {"description": "This origin may send it."},
                           "403": _error("This origin may not.")}}
REFUSED_CHANGE = _error("No valid `edit_token`, the edit window is over, or a moderator removed the comment.")

#: A reader's report, and an author's edit or deletion, from the embed.
READER_PATHS: dict[str, Any] = {
    "/api/articles/{slug}/comments/{comment_id}": {
        "parameters": [SLUG, COMMENT_ID],
        "put": {
            "tags": ["comments"], "summary": "Its author edits a comment, within the edit window",
            "description": "Validated, scored and routed again like a new comment: an edit can send a published "
                           "comment to the moderators or the spam folder.",
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Edit")}}},
            "responses": {"200": _json(_ref("Published"), "Still or now published."),
                          "202": _json(_ref("Held"), "Held for a moderator."),
                          "400": _error("The text is invalid, or the body is not a JSON object."),
                          "403": REFUSED_CHANGE, "404": _error("No such comment on this article."),
                          "415": _error("The body is not JSON."),
                          "429": _error("Too many comments from this address; try again later.")},
        },
        "delete": {
            "tags": ["comments"], "summary": "Its author deletes a comment, within the edit window",
            "description": "Its text and name go; a placeholder stays while it has replies.",
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("Deletion")}}},
            "responses": {"200": _json(_ref("Deleted"), "Deleted."),
                          "400": _error("The body is not a JSON object."), "403": REFUSED_CHANGE,
                          "404": _error("No such comment on this article."), "415": _error("The body is not JSON.")},
        },
        "options": PREFLIGHT,
    },
    "/api/articles/{slug}/comments/{comment_id}/reports": {
        "parameters": [SLUG, COMMENT_ID],
        "post": {
            "tags": ["comments"], "summary": "A reader reports a published comment",
            "description": "Answered with thanks and no count; a second report from the same address is not "
                           "stored. Moderators see it in the queue's Reported tab.",
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewReport")}}},
            "responses": {"202": _json(_ref("Thanks"), "Taken."),
                          "400": _error("The reason or note is invalid, or the body is not a JSON object."),
                          "404": _error("No such comment on this article."),
                          "409": _error("The comment is no longer published."), "415": _error("The body is not JSON."),
                          "429": _error("Too many reports from this address; try again later.")},
        },
        "options": PREFLIGHT,
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Comment moderation service",
            "version": "1",
            "description": "The public thread API behind embed.js, and an Akismet-compatible spam-check API "
                           "for sites that keep their comments in their own CMS.",
        },
        "tags": [{"name": "comments", "description": "Read and post an article's comments (public)."},
                 {"name": "akismet", "description": "The Akismet 1.1 API: form-encoded in, plain text out."},
                 {"name": "moderation", "description": "The moderator queue for newsroom tools, with a moderator's "
                                                      "token (created on the API tokens page)."}],
        "paths": {
            "/api/openapi.json": {"get": {
                "tags": ["comments"], "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
            }},
            "/api/articles/{slug}/comments": {
                "parameters": [SLUG],
                "get": {
                    "tags": ["comments"], "summary": "The published thread, a page of top-level comments at a time",
                    "parameters": [{"name": "page", "in": "query", "required": False,
                                    "schema": {"type": "integer", "default": 1},
                                    "description": "Out-of-range pages give the nearest page."}],
                    "responses": {"200": _json(_ref("Thread"), "The thread; text is already escaped HTML."),
                                  "404": _error("No such article.")},
                },
                "post": {
                    "tags": ["comments"], "summary": "Post a comment",
                    "description": "Validated, scored and routed like a comment posted on the article page, and "
                                   "rate-limited the same way. Browsers may post only from this site or one of "
                                   "`EMBED_ORIGINS` (checked on `Origin`).",
                    "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewComment")}}},
                    "responses": {
                        "201": _json(_ref("Published"), "Published."),
                        "202": _json(_ref("Held"), "Held for a moderator (spam is reported the same way)."),
                        "400": _error("A field is invalid (`errors` names it), or the body is not a JSON object."),
                        "403": _error("Comments are closed, or this origin may not post."),
                        "404": _error("No such article."),
                        "413": _error("The request is too large."),
                        "415": _error("The body is not JSON."),
                        "429": _error("Too many comments from this address; try again later."),
                    },
                },
                "options": {
                    "tags": ["comments"], "summary": "CORS preflight for posting from an embedding site",
                    "responses": {"204": {"description": "This origin may post."},
                                  "403": _error("This origin may not post.")},
                },
            },
            **READER_PATHS,
            "/1.1/verify-key": {"post": {
                "tags": ["akismet"], "summary": "Check a key and site",
                "requestBody": _akismet_form(["blog"], {
                    "key": _string("The key (Akismet 1.1's name for it).", "your-api-key"),
                    "api_key": _string("The key (newer clients' name for it).", "your-api-key"),
                    "blog": AKISMET_FIELDS["blog"],
                }),
                "responses": {
                    "200": _text("`valid`, or `invalid`.", ["valid", "invalid"], {"X-akismet-debug-help": INVALID_KEY}),
                    **_akismet_errors(),
                },
            }},
            "/1.1/comment-check": {"post": {
                "tags": ["akismet"], "summary": "Ask whether a comment is spam",
                "description": "Scored by the active model and routed by this site's policy. `true`: spam (with "
                               "`X-akismet-pro-tip: discard` when the policy sends it straight to spam). Toxic "
                               "comments answer `true` only with `blog_moderate_toxic` or a key made for it; the "
                               "scores are in `X-Moderation-*` headers either way. Every check is kept.",
                "requestBody": _akismet_form(["api_key", "blog", "user_ip"]),
                "responses": {
                    "200": _text("`true` (spam), `false`, or `invalid` for a bad key.", ["true", "false", "invalid"], {
                        "X-akismet-pro-tip": _header("`discard`: blatant spam, safe to drop unseen."),
                        "X-akismet-debug-help": INVALID_KEY,
                        "X-Moderation-Spam": _header("The spam score, 0.00 to 1.00."),
                        "X-Moderation-Toxic": _header("The toxic score, 0.00 to 1.00."),
                        "X-Moderation-Status": _header("Where the policy would route it here: "
                                                       "published, pending or spam."),
                        "X-Moderation-Rule": _header("The rule or threshold that routed it."),
                        "X-Moderation-Check-Id": _header("The id of the kept check."),
                    }),
                    **_akismet_errors(),
                    "503": _text("The model could not score it: hold it for a moderator.",
                                 headers={"X-akismet-error": AKISMET_ERROR}),
                },
            }},
            "/1.1/submit-spam": {"post": _report("spam")},
            "/1.1/submit-ham": {"post": _report("not spam (ham)")},
            **MODERATION_PATHS,
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"moderatorToken": {"type": "http", "scheme": "bearer",
                                                   "description": "A moderator's API token; acts as them."}},
        },
    }
