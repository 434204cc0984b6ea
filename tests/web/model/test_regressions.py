"""Regression cases: decisions that overruled the model are kept, and a candidate is checked against them."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.model import retrain
from moderation.model.regressions import agrees, compare_models, override_cases
from moderation.models import Article, Comment, ImportedComment, Moderator, Status, TrainingJob
from moderation.queue.decisions import decide
from tests.conftest import login
from tests.model_versions import CLEAN, TOXIC, lenient_variant, shipped_registry
from training.registry import Registry

#: An insult a moderator let through as banter: the shipped model holds it, the lenient candidate does not.
BANTER = "shut up you stupid troll today"


def routed(article: Article, text: str, status: Status, rule: str, version: str = "old-1") -> Comment:
    """A comment as an earlier model routed it."""
    comment = Comment(article_id=article.id, author="Ann Reader", email="ann@example.org", text=text,
                      ip_hash="x" * 32, status=status, routed_status=status, route_rule=rule, route_reason=rule,
                      scores={"spam": 0.01, "toxic": 0.5}, model_version=version)
    db.session.add(comment)
    db.session.commit()
    return comment


def test_agreement_is_publishing_exactly_what_moderators_approved() -> None:
    assert agrees(Status.PUBLISHED, True) and agrees(Status.PENDING, False) and agrees(Status.SPAM, False)
    assert not agrees(Status.PUBLISHED, False) and not agrees(Status.PENDING, True) and not agrees(Status.SPAM, True)


def test_only_decisions_that_overruled_the_models_routing_are_cases(article: Article, moderator: Moderator) -> None:
    published_rejected = routed(article, "published then rejected", Status.PUBLISHED, "threshold.below_review")
    decide(published_rejected.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    held_approved = routed(article, "held then approved", Status.PENDING, "threshold.toxic.review")
    decide(held_approved.id, "approve", moderator, seen_status=Status.PENDING)
    spam_approved = routed(article, "spam folder then approved", Status.SPAM, "threshold.spam.high")
    decide(spam_approved.id, "approve", moderator, seen_status=Status.SPAM)
    decide(spam_approved.id, "pending", moderator, seen_status=Status.PUBLISHED)  # teaches nothing: still a case
    trusted = routed(article, "trusted author, then spam", Status.PUBLISHED, "rule.trusted_author")
    decide(trusted.id, "spam", moderator, seen_status=Status.PUBLISHED)

    held_rejected = routed(article, "held and rejected: agreed", Status.PENDING, "threshold.toxic.review")
    decide(held_rejected.id, "reject", moderator, seen_status=Status.PENDING)
    site_rule = routed(article, "held by a moderated word", Status.PENDING, "rule.moderation_word")
    decide(site_rule.id, "approve", moderator, seen_status=Status.PENDING)
    unscored = routed(article, "held because scoring failed", Status.PENDING, "scoring.failed")
    decide(unscored.id, "approve", moderator, seen_status=Status.PENDING)
    reversed_ = routed(article, "approved, then rejected after all", Status.PENDING, "threshold.toxic.review")
    decide(reversed_.id, "approve", moderator, seen_status=Status.PENDING)
    decide(reversed_.id, "reject", moderator, seen_status=Status.PUBLISHED)
    routed(article, "not decided yet", Status.PUBLISHED, "threshold.below_review")

    cases = {case.comment_id: case for case in override_cases()}
    assert set(cases) == {published_rejected.id, held_approved.id, spam_approved.id, trusted.id}
    assert not cases[published_rejected.id].approved and cases[held_approved.id].approved
    assert cases[spam_approved.id].approved and cases[spam_approved.id].routed_status == Status.SPAM
    assert cases[trusted.id].trusted_author and not cases[held_approved.id].trusted_author
    assert cases[held_approved.id].model_version == "old-1"


@pytest.fixture
def cases(app: Flask, tmp_path: Path, article: Article, moderator: Moderator) -> dict[str, Comment]:
    """Three overrides of an old model: an insult it published, a clean comment and some banter it held."""
    insult = routed(article, TOXIC + " <b>really</b>", Status.PUBLISHED, "threshold.below_review")
    decide(insult.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    clean = routed(article, CLEAN, Status.PENDING, "threshold.toxic.review")
    decide(clean.id, "approve", moderator, seen_status=Status.PENDING)
    banter = routed(article, BANTER, Status.PENDING, "threshold.toxic.review")
    decide(banter.id, "approve", moderator, seen_status=Status.PENDING)
    return {"insult": insult, "clean": clean, "banter": banter}


@pytest.fixture
def registry(app: Flask, tmp_path: Path) -> Registry:
    return shipped_registry(app, tmp_path / "models")


def test_a_candidate_that_publishes_insults_newly_gets_the_rejected_one_wrong(
        registry: Registry, cases: dict[str, Comment]) -> None:
    active = registry.load()
    candidate = registry.load(lenient_variant(registry))
    result = compare_models(candidate, active)
    assert result.cases == 3
    # The shipped model holds the insult (right), publishes the clean comment (right), holds the banter (wrong).
    assert result.active_right == 2
    # The lenient candidate publishes all three: wrong on the insult, right on the other two.
    assert result.candidate_right == 2
    assert [r.case.comment_id for r in result.newly_wrong] == [cases["insult"].id]
    assert result.newly_right == 1
    [regression] = result.newly_wrong
    assert regression.candidate.status == Status.PUBLISHED and regression.active.status == Status.PENDING
    assert regression.active.scores["toxic"] == regression.candidate.scores["toxic"] > 0.5

    alone = compare_models(candidate, None)
    assert alone.active_right is None and alone.newly_wrong == [] and alone.candidate_right == 2


def test_model_page_lists_the_candidates_regressions_before_promotion(
        client: FlaskClient, admin: Moderator, registry: Registry, cases: dict[str, Comment]) -> None:
    active = registry.active_version()
    candidate = lenient_variant(registry)
    comparison = compare_models(registry.load(candidate), registry.load(active))
    job = TrainingJob(moderator_id=admin.id, state="succeeded", progress=1.0, candidate_version=candidate,
                      comparison={"candidate_version": candidate, "active_version": active, "held_out": 0,
                                  "candidate": {}, "active": {}, "overrides": comparison.as_json()})
    db.session.add(job)
    db.session.commit()

    login(client, admin.email)
    html = client.get("/admin/model").get_data(as_text=True)
    assert 'class="candidate-right">2<' in html and 'class="active-right">2<' in html
    assert 'class="newly-wrong-count">1<' in html
    insult = cases["insult"]
    assert f'data-comment-id="{insult.id}"' in html
    assert f'data-comment-id="{cases["clean"].id}"' not in html
    assert "&lt;b&gt;really&lt;/b&gt;" in html and "<b>really</b>" not in html
    assert "published (spam" in html and "pending (spam" in html  # both models' routing with their scores
    assert registry.active_version() == active  # shown before anyone promotes


def test_retraining_reports_the_overrides_each_model_gets_right(
        app: Flask, registry: Registry, cases: dict[str, Comment], admin: Moderator, article: Article) -> None:
    # Enough labels for a site run, from an imported history: none of them an override.
    for i in range(12):
        for text, status, label in ((f"{CLEAN} {i}", Status.PUBLISHED, "ok"), (f"{TOXIC} {i}", Status.REJECTED, "toxic")):
            imported = routed(article, text, status, "import.wxr")
            db.session.add(ImportedComment(origin="wxr", external_id=f"{label}-{i}", comment=imported, label=label))
    db.session.commit()
    job = TrainingJob(moderator_id=admin.id)
    db.session.add(job)
    db.session.commit()
    job = retrain.run_job(job.id)
    assert job.state == "succeeded", job.message
    overrides = job.comparison["overrides"]
    assert overrides["cases"] == 3 and overrides["active_right"] == 2
    assert 0 <= overrides["candidate_right"] <= 3
    assert overrides["newly_wrong_total"] == len(overrides["newly_wrong"])
