"""Shadow mode: a candidate scores every new comment beside the active model, acts on none, and is reported on."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.model import shadow
from moderation.model.scoring import get_scorer
from moderation.models import Article, Comment, Moderator, ShadowPeriod, ShadowScore, Status
from moderation.queue.decisions import decide
from tests.conftest import csrf_token, login, post_comment
from tests.model_versions import CLEAN, TOXIC, lenient_variant, shipped_registry
from training.registry import MODEL_FILE, Registry


@pytest.fixture
def registry(app: Flask, tmp_path: Path) -> Registry:
    return shipped_registry(app, tmp_path / "models")


@pytest.fixture
def candidate(registry: Registry) -> str:
    return lenient_variant(registry)


def post_and_finish(client: FlaskClient, article: Article, text: str, email: str) -> Comment:
    """Post a comment as a reader, then close the response as a server does once it is sent (shadow runs then)."""
    response = post_comment(client, article, comment=text, email=email)
    assert response.status_code == 302
    response.close()
    return db.session.scalars(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).one()


def shadow_of(comment: Comment) -> ShadowScore | None:
    return db.session.scalar(sa.select(ShadowScore).where(ShadowScore.comment_id == comment.id))


def admin_post(client: FlaskClient, url: str):
    return client.post(url, data={"csrf_token": csrf_token(client, "/admin/model")})


def test_shadow_scores_new_comments_without_acting_and_the_report_compares(
        client: FlaskClient, app: Flask, article: Article, admin: Moderator, moderator: Moderator,
        registry: Registry, candidate: str) -> None:
    login(client, admin.email)
    assert admin_post(client, f"/admin/model/shadow/{candidate}").status_code == 302
    period = shadow.current_period()
    assert period is not None and period.version == candidate and period.started_by_id == admin.id

    reader = app.test_client()
    insults = [post_and_finish(reader, article, f"{TOXIC} number {i}", f"r{i}@example.org") for i in range(3)]
    clean = [post_and_finish(reader, article, f"{CLEAN} number {i}", f"c{i}@example.org") for i in range(2)]

    # The active model routed them; the shadow's opinion changed nothing.
    assert [c.status for c in insults] == [Status.PENDING] * 3
    assert [c.status for c in clean] == [Status.PUBLISHED] * 2
    assert all(c.model_version == registry.active_version() for c in insults + clean)
    scores = [shadow_of(c) for c in insults + clean]
    assert all(s is not None and s.version == candidate for s in scores)
    assert [s.status for s in scores] == [Status.PUBLISHED] * 5  # the lenient candidate publishes the insults
    assert scores[0].scores["toxic"] == pytest.approx(insults[0].scores["toxic"])  # same pipeline, other thresholds

    decide(insults[0].id, "reject", moderator, seen_status=Status.PENDING, label="toxic")
    decide(insults[1].id, "reject", moderator, seen_status=Status.PENDING, label="toxic")
    decide(clean[0].id, "approve", moderator, seen_status=Status.PUBLISHED)

    result = shadow.report(period)
    assert result.comments == 5 and result.differ == 3
    assert result.confusion == {(Status.PENDING, Status.PUBLISHED): 3, (Status.PUBLISHED, Status.PUBLISHED): 2}
    assert result.decided == 3 and result.active_agrees == 3 and result.shadow_agrees == 1
    assert [d.observation.comment_id for d in result.disagreements] == [c.id for c in reversed(insults)]

    html = client.get("/admin/model").get_data(as_text=True)
    assert 'class="shadow-version">' + candidate in html
    assert 'class="shadow-comments">5<' in html and 'class="shadow-differ">3<' in html
    assert 'data-active="pending" data-shadow="published">3<' in html
    assert 'class="active-agrees">3<' in html and 'class="shadow-agrees">1<' in html
    assert all(f'class="shadow-disagreement" data-comment-id="{c.id}"' in html for c in insults)
    assert "by admin@example.org" in html  # who started it

    assert admin_post(client, "/admin/model/shadow-off").status_code == 302
    db.session.expire_all()
    assert shadow.current_period() is None and period.ended_by_id == admin.id
    after = post_and_finish(reader, article, TOXIC + " once more", "late@example.org")
    assert shadow_of(after) is None  # no shadow, no shadow scores
    assert "Last shadow" in client.get("/admin/model").get_data(as_text=True)


def test_comment_text_in_the_report_is_escaped(client: FlaskClient, app: Flask, article: Article,
                                               admin: Moderator, registry: Registry, candidate: str) -> None:
    shadow.start(candidate, admin)
    post_and_finish(app.test_client(), article, TOXIC + " <script>alert(1)</script>", "x@example.org")
    login(client, admin.email)
    html = client.get("/admin/model").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_a_broken_shadow_never_fails_a_submit(app: Flask, article: Article, admin: Moderator, registry: Registry,
                                              candidate: str, caplog: pytest.LogCaptureFixture) -> None:
    shadow.start(candidate, admin)
    get_scorer()._shadow = None  # as in a worker that has not loaded it yet
    (registry.root / candidate / MODEL_FILE).write_bytes(b"not a model")
    with caplog.at_level(logging.ERROR, logger="moderation.model.shadow"):
        comment = post_and_finish(app.test_client(), article, CLEAN, "ok@example.org")
    assert comment.status == Status.PUBLISHED
    assert shadow_of(comment) is None
    assert "shadow: scoring comment" in caplog.text


def test_shadow_buttons_check_the_version_and_the_form(client: FlaskClient, admin: Moderator, moderator: Moderator,
                                                       registry: Registry, candidate: str) -> None:
    active = registry.active_version()
    login(client, admin.email)
    assert client.post(f"/admin/model/shadow/{candidate}").status_code == 400  # no CSRF token
    assert shadow.current_period() is None
    admin_post(client, f"/admin/model/shadow/{active}")
    assert "is the active model" in client.get("/admin/model").get_data(as_text=True)
    admin_post(client, "/admin/model/shadow/20250101-000000-abcdef")
    assert "cannot be put in shadow" in client.get("/admin/model").get_data(as_text=True)
    admin_post(client, "/admin/model/shadow/not-a-version")
    admin_post(client, "/admin/model/shadow-off")
    assert "No model is in shadow." in client.get("/admin/model").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ShadowPeriod.id))) == 0

    other = client.application.test_client()
    login(other, moderator.email)
    token = csrf_token(other, "/")
    assert other.post(f"/admin/model/shadow/{candidate}", data={"csrf_token": token}).status_code == 403
    assert other.post("/admin/model/shadow-off", data={"csrf_token": token}).status_code == 403


def test_shadow_commands(app: Flask, article: Article, registry: Registry, candidate: str, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    assert "No model has been in shadow" in runner.invoke(args=["models", "shadow-report"]).output
    assert "No model is in shadow." in runner.invoke(args=["models", "shadow"]).output

    result = runner.invoke(args=["models", "shadow", candidate])
    assert result.exit_code == 0 and f"Shadow: {candidate}" in result.output
    assert shadow.current_period().started_by_id is None  # the command line
    assert candidate in runner.invoke(args=["models", "shadow"]).output
    active = registry.active_version()
    refused = runner.invoke(args=["models", "shadow", active])
    assert refused.exit_code == 1 and "is the active model" in refused.output

    post_and_finish(app.test_client(), article, TOXIC, "a@example.org")
    post_and_finish(app.test_client(), article, CLEAN, "b@example.org")
    out = tmp_path / "report.json"
    result = runner.invoke(args=["models", "shadow-report", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 comments scored, 1 routed differently" in result.output
    assert "active pending" in result.output and "shadow published" in result.output
    data = json.loads(out.read_text())
    assert data["version"] == candidate and data["comments"] == 2 and data["differ"] == 1
    assert data["disagreements"][0]["text"] == TOXIC and data["disagreements"][0]["moderator"] is None
    assert {"active": "pending", "shadow": "published", "comments": 1} in data["confusion"]

    wrong = runner.invoke(args=["models", "shadow", active, "--off"])
    assert wrong.exit_code == 1 and "is not in shadow" in wrong.output
    assert runner.invoke(args=["models", "shadow", candidate, "--off"]).exit_code == 0
    assert shadow.current_period() is None
    assert runner.invoke(args=["models", "shadow", "--off"]).exit_code == 1  # nothing to end


def test_a_promoted_shadow_stops_scoring(app: Flask, article: Article, admin: Moderator, registry: Registry,
                                         candidate: str) -> None:
    shadow.start(candidate, admin)
    registry.promote(candidate)
    comment = post_and_finish(app.test_client(), article, CLEAN, "ok@example.org")
    assert comment.model_version == candidate and shadow_of(comment) is None


def test_comments_posted_through_the_api_are_scored_in_shadow(app: Flask, article: Article, admin: Moderator,
                                                              registry: Registry, candidate: str) -> None:
    shadow.start(candidate, admin)
    response = app.test_client().post(f"/api/articles/{article.slug}/comments", headers={"Origin": "http://localhost"},
                                      json={"comment": TOXIC, "author": "Embed Reader", "email": "e@example.org"})
    assert response.status_code == 202  # held by the active model
    response.close()
    comment = db.session.scalars(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).one()
    assert comment.status == Status.PENDING
    assert shadow_of(comment).status == Status.PUBLISHED
