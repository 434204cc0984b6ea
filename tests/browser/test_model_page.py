"""An admin in a real browser compares a candidate with the active model: its regressions, then a shadow period."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.model.regressions import compare_models
from moderation.models import Article, Comment, Moderator, ShadowScore, Status, TrainingJob
from moderation.queue.decisions import decide
from tests.conftest import PASSWORD
from tests.model_versions import CLEAN, TOXIC, lenient_variant, shipped_registry

pytestmark = pytest.mark.browser


def overridden(article: Article, moderator: Moderator, text: str) -> Comment:
    """An insult an earlier model published, rejected by a moderator: a regression case."""
    comment = Comment(article_id=article.id, author="Old", email="old@example.org", text=text, ip_hash="x",
                      status=Status.PUBLISHED, routed_status=Status.PUBLISHED, route_rule="threshold.below_review",
                      route_reason="below", scores={"spam": 0.01, "toxic": 0.1}, model_version="old-1")
    db.session.add(comment)
    db.session.commit()
    decide(comment.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    return comment


def wait_for_shadow_scores(n: int) -> None:
    """The shadow scores after the response is sent, in the server's thread: give it a moment."""
    deadline = time.monotonic() + 30  # the first shadow score loads the version: slow on a busy machine
    while db.session.scalar(sa.select(sa.func.count(ShadowScore.id))) < n:
        assert time.monotonic() < deadline, "the shadow did not score the comments"
        time.sleep(0.05)
        # End the read transaction: under WAL it reads a snapshot and would never see the shadow's commit.
        db.session.rollback()


def test_candidate_regressions_and_shadow_report(app: Flask, article: Article, admin: Moderator,
                                                 moderator: Moderator, tmp_path: Path, live_server: str,
                                                 browser, page) -> None:
    registry = shipped_registry(app, tmp_path / "models")
    active = registry.active_version()
    candidate = lenient_variant(registry)
    case = overridden(article, moderator, TOXIC + " & <i>worse</i>")
    overrides = compare_models(registry.load(candidate), registry.load(active)).as_json()
    db.session.add(TrainingJob(moderator_id=admin.id, state="succeeded", progress=1.0, candidate_version=candidate,
                               comparison={"candidate_version": candidate, "active_version": active, "held_out": 0,
                                           "candidate": {}, "active": {}, "overrides": overrides}))
    db.session.commit()

    page.goto(f"{live_server}/admin/model")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/model")

    # Before promoting: the case the candidate newly gets wrong, text shown as text, both models' routing.
    assert page.locator(".candidate-right").inner_text() == "0" and page.locator(".active-right").inner_text() == "1"
    row = page.locator(f".regression[data-comment-id='{case.id}']")
    assert TOXIC + " & <i>worse</i>" in row.inner_text()
    assert "rejected" in row.inner_text() and "published (spam" in row.inner_text()
    assert "pending (spam" in row.inner_text()

    with page.expect_navigation():
        page.click("form[action$='/admin/model/shadow/" + candidate + "'] button >> nth=0")
    assert f"Version {candidate} is in shadow" in page.locator(".flash").first.inner_text()
    assert page.locator(".shadow-version").inner_text() == candidate

    reader = browser.new_context().new_page()
    for text, email in ((TOXIC, "a@example.org"), (CLEAN, "b@example.org")):
        reader.goto(f"{live_server}/articles/{article.slug}")
        reader.fill("#comment", text)
        reader.fill("#author", "Reader")
        reader.fill("#email", email)
        reader.click("#submit")
        reader.wait_for_selector(".flash")
    # Werkzeug's test server drains a connection before running call_on_close, and a browser may keep the
    # connection open: closing the reader's browser lets the shadow's after-response scoring run (gunicorn
    # runs it as soon as the response is sent).
    reader.context.close()
    wait_for_shadow_scores(2)

    page.reload()
    assert page.locator(".shadow-comments").inner_text() == "2"
    assert page.locator(".shadow-differ").inner_text() == "1"
    assert page.locator("td[data-active='pending'][data-shadow='published']").inner_text() == "1"
    assert page.locator("td[data-active='published'][data-shadow='published']").inner_text() == "1"
    [disagreement] = page.locator(".shadow-disagreement").all()
    assert TOXIC in disagreement.inner_text() and "not decided" in disagreement.inner_text()
    assert registry.active_version() == active  # the shadow acted on nothing
