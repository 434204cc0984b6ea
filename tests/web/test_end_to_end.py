"""The moderation loop with the shipped default model, through HTTP as readers and moderators use it.

Comment → real model → routing → queue → decision → audit log; then decisions
→ retraining → promotion → the running app's scores change without a restart.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import moderation.config
from moderation.demo import import_demo_content
from moderation.extensions import db
from moderation.model import retrain
from moderation.model.scoring import Scorer, get_scorer
from moderation.models import Article, Comment, Moderator, Status, TrainingJob
from moderation.queue.decisions import decide
from tests.conftest import csrf_token, login, post_comment
from training.registry import Registry

LEGITIMATE = "Thanks for the clear explanation of the new bus timetable, very useful."
LINK_SPAM = "Great article! Cheap followers and likes at www.cheap-followers.biz, best prices"
BORDERLINE_INSULT = "The columnist is clueless and should stick to gardening."
#: A word no training set has, which the moderators of this site keep marking as spam.
NEW_SPAM_WORD = "quorvex"


@pytest.fixture
def registry(app: Flask, tmp_path: Path) -> Registry:
    """The app's registry seeded from the shipped default model, as on a first run."""
    reg = Registry(tmp_path / "models")
    assert reg.ensure_seeded(moderation.config.DEFAULT_MODEL_DIR) is not None, "no shipped default model"
    app.extensions["moderation.scorer"] = Scorer(reg)
    return reg


def comment_by_text(text: str) -> Comment:
    comment = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert comment is not None, text
    return comment


def test_default_model_routes_and_a_moderator_approves(registry: Registry, app: Flask, article: Article,
                                                       moderator: Moderator, admin: Moderator) -> None:
    reader = app.test_client()
    for i, text in enumerate((LEGITIMATE, LINK_SPAM, BORDERLINE_INSULT)):
        assert post_comment(reader, article, comment=text, email=f"reader{i}@example.org").status_code == 302

    assert comment_by_text(LEGITIMATE).status == Status.PUBLISHED
    spam = comment_by_text(LINK_SPAM)
    assert spam.status == Status.SPAM and spam.route_rule == "threshold.spam.high"
    held = comment_by_text(BORDERLINE_INSULT)
    assert held.status == Status.PENDING and held.route_rule.startswith("threshold.toxic.")
    assert held.model_version == registry.active_version()

    anyone = app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    assert LEGITIMATE in anyone and BORDERLINE_INSULT not in anyone and "cheap-followers" not in anyone

    mod = app.test_client()
    login(mod, moderator.email)
    queue = mod.get("/moderation/").get_data(as_text=True)
    assert "clueless" in queue and "cheap-followers" not in queue  # spam waits in its own tab
    token = csrf_token(mod, "/moderation/")
    response = mod.post(f"/moderation/comments/{held.id}/decide",
                        data={"action": "approve", "seen_status": "pending", "csrf_token": token})
    assert response.status_code == 302

    page = app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    assert BORDERLINE_INSULT in page

    audit = app.test_client()
    login(audit, admin.email)
    log = audit.get("/admin/audit").get_data(as_text=True)
    assert moderator.email in log and "approve" in log and f"#comment-{held.id}" in log


def test_first_run_demo_comments_fill_the_pages_and_the_queue(registry: Registry, app: Flask) -> None:
    demo = import_demo_content()
    status = {c.author: c.status for c in demo.comments}
    assert status["Best Cover Deals"] == Status.SPAM
    assert status["Geoff"] == Status.PENDING  # "Only an idiot would..."
    assert status["Priya Nair"] == status["Kev"] == Status.PUBLISHED  # sharp criticism is not abuse
    assert sum(s == Status.PUBLISHED for s in status.values()) >= 7 and not demo.skipped
    replies = [c for c in demo.comments if c.parent_id is not None]
    assert len(replies) == 4 and all(c.depth == 2 for c in replies)


def test_fifty_decisions_retrain_promote_and_the_app_scores_differently(
        registry: Registry, app: Flask, client: FlaskClient, article: Article, moderator: Moderator,
        admin: Moderator) -> None:
    probe = f"Read the full story on {NEW_SPAM_WORD} today"
    before = get_scorer().score(probe)

    for i in range(50):
        spammy = i % 2 == 0
        text = (f"{NEW_SPAM_WORD} deals number {i} for every reader" if spammy
                else f"Sensible point number {i} about the council budget")
        comment = Comment(article_id=article.id, author="Someone", email=f"r{i}@example.org", text=text,
                          ip_hash="x" * 64, status=Status.PENDING, routed_status=Status.PENDING,
                          scores={"spam": 0.5, "toxic": 0.1}, model_version=before.version,
                          route_rule="threshold.spam.review", route_reason="spam score 0.50 is at or above the review")
        db.session.add(comment)
        db.session.commit()
        decide(comment.id, "spam" if spammy else "approve", moderator, seen_status=Status.PENDING)

    job = TrainingJob(moderator_id=admin.id)
    db.session.add(job)
    db.session.commit()
    job = retrain.run_job(job.id)  # what the Retrain button's background process runs
    assert job.state == "succeeded", job.message
    card = registry.card(job.candidate_version)
    decisions = [s for s in card["data"] if s["name"] == "decisions"]
    assert decisions and decisions[0]["examples"] == 50

    login(client, admin.email)
    token = csrf_token(client, "/admin/model")
    assert client.post(f"/admin/jobs/{job.id}/promote", data={"csrf_token": token}).status_code == 302

    after = get_scorer().score(probe)
    assert after.version == job.candidate_version != before.version
    assert after.scores["spam"] > before.scores["spam"] + 0.2
    post_comment(app.test_client(), article, comment=probe, email="new@example.org")
    assert comment_by_text(probe).model_version == job.candidate_version


#: Written threats with no abusive word, and clean replies that share their words (none is in the corpus).
THREATS = ("I will find you and hurt you, watch your back",
           "I know where you live and I know when you leave for work.")
THREAT_LOOKALIKES = ("Give me a minute and I will find you the link to the council report.",
                     "Watch your back at that junction, the cyclists come out of nowhere.",
                     "I know where you are coming from, but the figures say otherwise.")


def test_default_model_holds_written_threats_and_publishes_their_clean_lookalikes(
        registry: Registry, app: Flask, article: Article) -> None:
    reader = app.test_client()
    for i, text in enumerate(THREATS + THREAT_LOOKALIKES):
        assert post_comment(reader, article, comment=text, email=f"reader{i}@example.org").status_code == 302
    for text in THREATS:
        held = comment_by_text(text)
        assert held.status == Status.PENDING and held.route_rule.startswith("threshold.toxic."), held.scores
    for text in THREAT_LOOKALIKES:
        assert comment_by_text(text).status == Status.PUBLISHED, text
