"""The moderator's workbench: thresholds from capacity, spot-checks of auto-published comments, erasure."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.model import thresholds
from moderation.models import (
    Article,
    Ban,
    Comment,
    Decision,
    Erasure,
    Moderator,
    Role,
    SpotCheck,
    Status,
    ThresholdChange,
    utcnow,
)
from moderation.queue.decisions import decide, training_examples
from moderation.queue.erasure import erase
from tests.conftest import StubScorer, csrf_token, login, make_app, make_moderator, post_comment
from training.registry import VersionInfo

CARD: dict[str, Any] = {
    "version": "stub-1", "created": "2026-01-01T00:00:00+00:00",
    "thresholds": {"spam": {"review": 0.5, "high": 0.95}, "toxic": {"review": 0.5, "high": 0.9}},
    "metrics": {"spam": {"recall": 0.9, "recall_high": 0.5}, "toxic": {"recall": 0.9, "recall_high": 0.5}},
    "data": [{"name": "csv:training/data", "examples": 10}, {"name": "decisions", "examples": 3}],
}


class CardScorer(StubScorer):
    """The stub model, with a card: held-out recall 0.9 at the review thresholds, 0.5 at the high ones."""

    class Registry(StubScorer.Registry):
        def __init__(self) -> None:
            self.cards = {"stub-1": dict(CARD)}

        def card(self, version: str) -> dict[str, Any]:
            return self.cards[version]

        def versions(self) -> list[VersionInfo]:
            return [VersionInfo(v, c["created"], None, v == "stub-1", {}) for v, c in self.cards.items()]

    def __init__(self) -> None:
        self.registry = self.Registry()


def workbench_app(tmp_path: Path, **config: object) -> Flask:
    app = make_app(tmp_path, **config)
    app.extensions["moderation.scorer"] = CardScorer()
    return app


@pytest.fixture
def wb(tmp_path: Path) -> Any:
    app = workbench_app(tmp_path, SPOTCHECK_SHARE=1.0)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def article(wb: Flask) -> Article:
    """On the workbench app (conftest's ``article`` would bring up a second app with its own scorer)."""
    a = Article(slug="budget-vote", title="Parliament votes on the budget", body="The vote was close.")
    db.session.add(a)
    db.session.commit()
    return a


def add_comment(article: Article, scores: dict[str, float], age: timedelta, *, email: str = "ann@example.org",
                rule: str = "threshold.below_review", status: Status = Status.PUBLISHED, text: str = "text",
                parent: Comment | None = None) -> Comment:
    comment = Comment(article_id=article.id, author="Ann", email=email, text=text, ip_hash=f"ip-{email}",
                      status=status, routed_status=status, scores=scores, model_version="stub-1",
                      route_rule=rule, route_reason="test", created_at=utcnow() - age,
                      parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 1)
    db.session.add(comment)
    return comment


def known_distribution(article: Article) -> None:
    """14 days: 10 toxic (0.8) and 10 spammy (0.7) comments a day among 100 clean, 1 a day held by a rule;
    old and spam-folder comments that must not count."""
    for i in range(14 * 121):
        age = timedelta(days=13.99 * i / (14 * 121 - 1))
        kind = i % 121
        scores = ({"spam": 0.05, "toxic": 0.8} if kind < 10 else {"spam": 0.7, "toxic": 0.05} if kind < 20
                  else {"spam": 0.05, "toxic": 0.05})
        rule, status = ("threshold.toxic.review", Status.PENDING) if kind < 10 else \
            ("threshold.spam.review", Status.PENDING) if kind < 20 else ("threshold.below_review", Status.PUBLISHED)
        if kind == 120:
            rule, status = "rule.links", Status.PENDING
        add_comment(article, scores, age, rule=rule, status=status)
    for _ in range(50):
        add_comment(article, {"spam": 0.05, "toxic": 0.99}, timedelta(days=20), status=Status.PENDING)
        add_comment(article, {"spam": 0.99, "toxic": 0.05}, timedelta(days=2), rule="threshold.spam.high",
                    status=Status.SPAM)
    db.session.commit()


def as_admin(client: FlaskClient, email: str = "admin@example.org") -> Moderator:
    admin = make_moderator(email, Role.ADMIN)
    assert login(client, admin.email).status_code == 302
    return admin


# --- thresholds from capacity ------------------------------------------------


def test_capacity_suggestion_apply_and_audit(wb: Flask, article: Article) -> None:
    known_distribution(article)
    client = wb.test_client()
    admin = as_admin(client)

    html = client.get("/admin/model?per_day=12").get_data(as_text=True)
    # Now: 20 a day by thresholds + 1 by rule. For at most 12 a day, both labels drop to the same recall (72.2%),
    # which holds the toxic comments only (11 a day with the rule's): spam's threshold goes just above 0.70,
    # toxic's to 0.678.
    assert "<strong>21.0</strong> a day" in html
    assert '<strong class="expected-load">11.0</strong>' in html
    assert '<td class="suggested">0.700</td>' in html and '<td class="suggested">0.678</td>' in html
    assert html.count('<strong class="missed">27.8%</strong>') == 2
    assert "interpolated" in html

    assert client.get("/admin/model?per_day=lots").status_code == 200
    assert "whole number" in client.get("/admin/model?per_day=lots").get_data(as_text=True)
    assert client.post("/admin/thresholds/apply", data={"per_day": "11"}).status_code == 400  # no CSRF

    token = csrf_token(client, "/admin/model")
    response = client.post("/admin/thresholds/apply", data={"per_day": "12", "csrf_token": token})
    assert response.status_code == 302
    changes = db.session.scalars(sa.select(ThresholdChange).order_by(ThresholdChange.label)).all()
    assert [(c.label, c.review_before, round(c.review_after, 3), c.per_day, c.moderator_id, c.model_version)
            for c in changes] == [("spam", 0.5, 0.7, 12, admin.id, "stub-1"), ("toxic", 0.5, 0.678, 12, admin.id, "stub-1")]
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "Threshold changes" in audit and "admin@example.org" in audit and "0.500 → 0.678" in audit

    # In force for the next comment the same model scores: spam 0.6 was held at 0.5, is published at 0.70.
    reader = wb.test_client()
    post_comment(reader, article, comment="buynow cheap stuff")
    assert db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).status == Status.PUBLISHED
    post_comment(reader, article, comment="you idiot", email="bob@example.org")
    assert db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).status == Status.PENDING


def test_thresholds_applied_elsewhere_reach_a_worker_that_kept_the_old_ones(wb: Flask, article: Article) -> None:
    """The submit path keeps the applied thresholds per worker; a change written by another one is seen next time."""
    reader = wb.test_client()
    post_comment(reader, article, comment="buynow cheap stuff")  # spam 0.6, held at the card's 0.5: now kept
    assert db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).status == Status.PENDING
    admin = make_moderator("admin@example.org", Role.ADMIN)
    db.session.add(ThresholdChange(moderator_id=admin.id, model_version="stub-1", label="spam",
                                   review_before=0.5, review_after=0.7, per_day=5))
    db.session.commit()
    post_comment(reader, article, comment="buynow more cheap stuff")
    assert db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).status == Status.PUBLISHED


def test_applied_thresholds_belong_to_their_model_version(wb: Flask) -> None:
    admin = make_moderator("admin@example.org", Role.ADMIN)
    db.session.add(ThresholdChange(moderator_id=admin.id, model_version="older-version", label="spam",
                                   review_before=0.5, review_after=0.9, per_day=5))
    db.session.commit()
    assert thresholds.overrides("older-version") == {"spam": {"review": 0.9}}
    assert thresholds.overrides("stub-1") == {}


def test_cli_suggest_prints_and_writes_json(wb: Flask, article: Article, tmp_path: Path) -> None:
    known_distribution(article)
    out = tmp_path / "suggestion.json"
    result = wb.test_cli_runner().invoke(args=["thresholds", "suggest", "--per-day", "12", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "suggested: 11.0 a day" in result.output and "capacity 12 a day" in result.output and "27.8%" in result.output
    data = json.loads(out.read_text())
    assert data["model_version"] == "stub-1" and data["expected_per_day"] == pytest.approx(11.0, abs=0.01)
    assert [round(label["review"], 3) for label in data["labels"]] == [0.7, 0.678]
    assert data["labels"][0]["missed"] == pytest.approx(0.278, abs=1e-3)
    assert db.session.scalar(sa.select(sa.func.count(ThresholdChange.id))) == 0  # suggesting applies nothing
    bad = wb.test_cli_runner().invoke(args=["thresholds", "suggest", "--per-day", "0"])
    assert bad.exit_code != 0


# --- spot-checks ---------------------------------------------------------------


def test_spotcheck_tab_marks_estimate_and_labels(wb: Flask, article: Article) -> None:
    reader = wb.test_client()
    for i, text in enumerate(["Nice piece on the harbour.", "Thanks for this.", "Good reporting.", "you idiot"]):
        post_comment(reader, article, comment=text, email=f"r{i}@example.org")
    # Share 1.0: every comment the model published is drawn; the held one is not.
    sampled = set(db.session.scalars(sa.select(SpotCheck.comment_id)))
    published = set(db.session.scalars(sa.select(Comment.id).where(Comment.routed_status == Status.PUBLISHED)))
    assert sampled == published and len(sampled) == 3

    client = wb.test_client()
    as_admin(client)
    html = client.get("/moderation/?tab=spotcheck").get_data(as_text=True)
    assert "Spot-check <span class=\"count\">3</span>" in html and ">Fine</button>" in html
    assert "you idiot" not in html
    first, second, _ = sorted(sampled)
    token = csrf_token(client, "/moderation/?tab=spotcheck")
    client.post(f"/moderation/comments/{first}/decide?tab=spotcheck",
                data={"action": "approve", "seen_status": "published", "csrf_token": token})
    client.post(f"/moderation/comments/{second}/decide?tab=spotcheck",
                data={"action": "reject", "label": "toxic", "seen_status": "published", "csrf_token": token})
    assert db.session.get(Comment, first).status == Status.PUBLISHED
    assert db.session.get(Comment, second).status == Status.REJECTED
    assert "Spot-check <span class=\"count\">1</span>" in client.get("/moderation/?tab=spotcheck").get_data(as_text=True)

    model = client.get("/admin/model").get_data(as_text=True)
    assert '<strong class="spotcheck-share">50.0%</strong>' in model
    assert '<span class="spotcheck-interval">9.5% – 90.5%</span>' in model  # Wilson, 1 of 2
    assert "only unbiased" in model

    sources = sorted((e.source, e.labels["toxic"]) for e in training_examples(1.0))
    assert sources == [("spotcheck", False), ("spotcheck", True)]


def test_spotcheck_tab_survives_erased_decisions(wb: Flask, article: Article) -> None:
    """Decisions of erased comments have no comment id; they must not hide the unchecked sample."""
    moderator = make_moderator("mod@example.org")
    eve_and_others(article, moderator)
    checked = add_comment(article, {"spam": 0.1, "toxic": 0.1}, timedelta(hours=1), text="Drawn")
    db.session.flush()
    db.session.add(SpotCheck(comment_id=checked.id))
    db.session.commit()
    erase("eve@example.org", None)
    client = wb.test_client()
    login(client, moderator.email)
    html = client.get("/moderation/?tab=spotcheck").get_data(as_text=True)
    assert 'Spot-check <span class="count">1</span>' in html and "Drawn" in html


def test_share_zero_draws_nothing(tmp_path: Path) -> None:
    app = workbench_app(tmp_path, SPOTCHECK_SHARE=0.0)
    with app.app_context():
        a = Article(slug="s", title="T", body="B")
        db.session.add(a)
        db.session.commit()
        post_comment(app.test_client(), a, comment="Fine words.")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SpotCheck)) == 0
        db.session.remove()


# --- erasure -------------------------------------------------------------------


def eve_and_others(article: Article, moderator: Moderator) -> dict[str, Comment]:
    eve_root = add_comment(article, {"spam": 0.1, "toxic": 0.1}, timedelta(hours=3), email="eve@example.org",
                           text="Eve's opinion on the bridge")
    db.session.flush()
    ann_reply = add_comment(article, {"spam": 0.1, "toxic": 0.1}, timedelta(hours=2), text="Ann answers Eve",
                            parent=eve_root)
    db.session.flush()
    ann_deeper = add_comment(article, {"spam": 0.1, "toxic": 0.1}, timedelta(hours=1), text="Ann again",
                             parent=ann_reply)
    eve_held = add_comment(article, {"spam": 0.1, "toxic": 0.7}, timedelta(hours=1), email="eve@example.org",
                           status=Status.PENDING, rule="threshold.toxic.review", text="Eve's rude words")
    ann_held = add_comment(article, {"spam": 0.6, "toxic": 0.1}, timedelta(hours=1), status=Status.PENDING,
                           rule="threshold.spam.review", text="Ann's link")
    db.session.add(Ban(kind="email", value="eve@example.org"))
    db.session.commit()
    decide(eve_held.id, "reject", moderator, seen_status=Status.PENDING, label="toxic")
    decide(ann_held.id, "approve", moderator, seen_status=Status.PENDING)
    return {"eve_root": eve_root, "ann_reply": ann_reply, "ann_deeper": ann_deeper, "eve_held": eve_held}


def test_erase_from_the_command_line(wb: Flask, article: Article) -> None:
    moderator = make_moderator("mod@example.org")
    made = eve_and_others(article, moderator)
    ids = {name: c.id for name, c in made.items()}
    assert "Eve's rude words" in {e.text for e in training_examples(1.0)}
    runner = wb.test_cli_runner()

    declined = runner.invoke(args=["erase", "EVE@example.org"], input="n\n")
    assert declined.exit_code != 0 and "2 comments from eve@example.org (1 labelled" in declined.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.email == "eve@example.org")) == 2

    result = runner.invoke(args=["erase", "eve@example.org", "--yes"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.email == "eve@example.org")) == 0
    assert not db.session.scalars(sa.select(Comment).where(Comment.text.like("Eve%"))).all()
    # The next training set: Ann's decision only; Eve's decision stays in the log without a comment.
    assert [e.text for e in training_examples(1.0)] == ["Ann's link"]
    decisions = db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()
    assert [(d.comment_id, d.moderator.email, d.from_status, d.to_status, d.label) for d in decisions] == [
        (None, "mod@example.org", Status.PENDING, Status.REJECTED, "toxic"),
        (decisions[1].comment_id, "mod@example.org", Status.PENDING, Status.PUBLISHED, "ok")]
    # Ann's replies stay, moved up to the top level; the ban on Eve's email went with her data.
    reply, deeper = db.session.get(Comment, ids["ann_reply"]), db.session.get(Comment, ids["ann_deeper"])
    assert (reply.parent_id, reply.depth, deeper.parent_id, deeper.depth) == (None, 1, reply.id, 2)
    assert db.session.scalar(sa.select(sa.func.count(Ban.id))) == 0
    record = db.session.scalar(sa.select(Erasure))
    assert (record.comments, record.labelled, record.moderator_id) == (2, 1, None)
    assert record.first_label_at is not None
    assert runner.invoke(args=["erase", "eve@example.org", "--yes"]).output.startswith("No comments")


def test_erase_from_the_admin_page_flags_models_trained_on_it(wb: Flask, article: Article) -> None:
    moderator = make_moderator("mod@example.org")
    eve_and_others(article, moderator)
    registry = wb.extensions["moderation.scorer"].registry
    # stub-1 was trained (per its card) after Eve's comment was labelled; "stub-0" before, "stub-2" without decisions.
    now = datetime.now(UTC)
    registry.cards["stub-1"]["created"] = now.isoformat()
    registry.cards["stub-0"] = {**CARD, "created": (now - timedelta(days=1)).isoformat()}
    registry.cards["stub-2"] = {**CARD, "created": now.isoformat(),
                                "data": [{"name": "csv:training/data"}]}
    client = wb.test_client()
    admin = as_admin(client)
    assert "erased-version" not in client.get("/admin/model").get_data(as_text=True)

    assert client.post("/admin/erasure", data={"email": "eve@example.org"}).status_code == 400  # no CSRF
    token = csrf_token(client, "/admin/erasure")
    assert client.post("/admin/erasure", data={"email": "  ", "csrf_token": token}).status_code == 400
    nobody = client.post("/admin/erasure", data={"email": "nobody@example.org", "confirmed": "yes", "csrf_token": token})
    assert nobody.status_code == 200 and "nothing to erase" in nobody.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Erasure.id))) == 0
    step1 = client.post("/admin/erasure", data={"email": "Eve@Example.org", "csrf_token": token})
    html = step1.get_data(as_text=True)
    assert step1.status_code == 200 and '<strong class="erase-count">2</strong>' in html and 'value="yes"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.email == "eve@example.org")) == 2

    done = client.post("/admin/erasure", data={"email": "eve@example.org", "confirmed": "yes", "csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.email == "eve@example.org")) == 0
    assert db.session.scalar(sa.select(Erasure.moderator_id)) == admin.id
    model = client.get("/admin/model").get_data(as_text=True)
    assert model.count("erased-version") == 1 and "<code>stub-1</code> was trained on moderator labels" in model
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "erased at the commenter's request" in audit and "Eve" not in audit and "eve@" not in audit


def test_erasure_needs_an_admin(wb: Flask) -> None:
    client = wb.test_client()
    login(client, make_moderator("mod@example.org").email)
    assert client.get("/admin/erasure").status_code == 403
    token = csrf_token(client, "/moderation/")
    assert client.post("/admin/erasure", data={"email": "a@b.c", "confirmed": "yes", "csrf_token": token}).status_code == 403
    assert client.post("/admin/thresholds/apply", data={"per_day": "5", "csrf_token": token}).status_code == 403


def test_erase_function_without_comments_records_nothing_personal(wb: Flask) -> None:
    record = erase("nobody@example.org", None)
    assert (record.comments, record.labelled, record.first_label_at) == (0, 0, None)
    assert not any("nobody" in str(v) for v in vars(record).values())
