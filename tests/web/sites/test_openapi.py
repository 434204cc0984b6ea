"""``/api/openapi.json``: a valid OpenAPI 3 document, covering every API route, and no request generated
from it gets a 500 (schemathesis, a few examples per operation)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from moderation.extensions import db
from moderation.models import ApiKey, Article
from moderation.queue.tokens import create_token
from moderation.sites.api_keys import key_hash
from tests.conftest import StubScorer, make_app, make_moderator, post_comment

API_PREFIXES = ("/api/", "/1.1/")
#: Per operation and mode: enough to find a missing check, small enough for a test run (about 30 s in all).
EXAMPLES = 20


def test_document_validates(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    validate(response.get_json())


def test_document_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIXES):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is not in the OpenAPI document"
        automatic = {"HEAD", "OPTIONS"} if getattr(rule, "provide_automatic_options", False) else {"HEAD"}
        for method in (rule.methods or set()) - automatic:
            assert method.lower() in paths[path], f"{method} {rule.rule} is not in the OpenAPI document"


@pytest.fixture
def api_app(tmp_path: Path) -> Iterator[Flask]:
    """One app for the whole property run: an article to post to, and the key the document's examples name."""
    app = make_app(tmp_path)
    app.extensions["moderation.scorer"] = StubScorer()
    with app.app_context():
        db.session.add(Article(slug="budget-vote", title="Budget", body="Body."))
        db.session.add(ApiKey(site_url="https://www.example-news.org", key_hash=key_hash("your-api-key"), hint="your-a"))
        db.session.commit()
        post_comment(app.test_client(), db.session.scalar(sa.select(Article)), comment="buynow, held for a moderator")
        app.config["TEST_TOKEN"] = create_token(make_moderator("tool@example.org"), "schemathesis")[1]
        yield app
        db.session.remove()


def with_known_values(case: schemathesis.Case, token: str) -> None:
    """Aim the generated request at what exists: the article, the comment, the key and a moderator's token
    (keeping the other generated fields)."""
    if "slug" in (case.path_parameters or {}):
        case.path_parameters["slug"] = "budget-vote"
    if "comment_id" in (case.path_parameters or {}):
        case.path_parameters["comment_id"] = 1
    if case.path.startswith("/api/moderation/"):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if case.path.startswith("/1.1/") and isinstance(case.body, dict):
        case.body.update({"api_key": "your-api-key", "key": "your-api-key", "blog": "https://www.example-news.org"})
        if not case.body.get("user_ip"):
            case.body["user_ip"] = "203.0.113.7"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("aim", [False, True], ids=["as-generated", "known-values"])
def test_no_request_generated_from_the_document_gets_a_500(api_app: Flask, mode: GenerationMode, aim: bool) -> None:
    """Valid requests (positive) and requests breaking the schema (negative), a few dozen per operation,
    as generated (mostly unknown articles and keys) and aimed at the article and key that exist."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 15

    for operation in operations:
        if mode == GenerationMode.NEGATIVE and not (len(operation.body) or len(operation.query)):
            continue  # nothing in it to break

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            if aim:
                with_known_values(case, api_app.config["TEST_TOKEN"])
            response = case.call()
            assert response.status_code != 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"

        no_server_error()
