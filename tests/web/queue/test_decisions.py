"""Decisions: concurrency, labels for training, disagreement statistics."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.model.regressions import override_cases
from moderation.models import Article, Comment, Decision, Moderator, SpotCheck, Status
from moderation.queue import spotcheck
from moderation.queue.decisions import (
    AlreadyDecided,
    decide,
    decide_all,
    disagreement_by_week,
    repeat_spammers,
    training_examples,
)
from tests.conftest import StubScorer, login, make_app, make_moderator
from training.datasets import DatasetError, load


def add_comment(article: Article, text: str, status: Status, scores: dict[str, float] | None = None) -> Comment:
    c = Comment(article_id=article.id, author="A", email="a@example.org", text=text, ip_hash="h", status=status,
                routed_status=status, route_rule="test", route_reason="test",
                scores=scores or {"spam": 0.2, "toxic": 0.1}, model_version="v1")
    db.session.add(c)
    db.session.commit()
    return c


def racing_app(tmp_path: Path) -> Flask:
    """An app on a database of its own with one article, for tests whose threads open their own sessions."""
    app = make_app(tmp_path)
    app.extensions["moderation.scorer"] = StubScorer()
    with app.app_context():
        db.session.add(Article(slug="s", title="t", body="b"))
        db.session.commit()
    return app


def only_article() -> Article:
    return db.session.scalars(sa.select(Article)).one()


def test_same_seen_status_only_one_wins(app: Flask, article: Article, moderator: Moderator) -> None:
    c = add_comment(article, "x", Status.PENDING)
    other = make_moderator("b@example.org")
    decide(c.id, "approve", moderator, seen_status=Status.PENDING)
    with pytest.raises(AlreadyDecided) as info:
        decide(c.id, "reject", other, seen_status=Status.PENDING)
    assert info.value.status == Status.PUBLISHED and info.value.by == moderator.email
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 1


def test_concurrent_sessions_on_one_comment(tmp_path: Path) -> None:
    """Two threads, two database sessions, one comment: exactly one decision lands."""
    app = racing_app(tmp_path)
    with app.app_context():
        comment_id = add_comment(only_article(), "contested", Status.PENDING).id
        ids = [make_moderator(f"m{i}@example.org").id for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(moderator_id: int, action: str) -> None:
        with app.app_context():
            moderator = db.session.get(Moderator, moderator_id)
            barrier.wait()
            try:
                decide(comment_id, action, moderator, seen_status=Status.PENDING)
                outcomes.append("won")
            except AlreadyDecided:
                outcomes.append("told")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, act)) for i, act in zip(ids, ["approve", "spam"], strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["told", "won"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 1


def test_a_group_decided_in_one_go_is_one_commit_with_an_audit_entry_each(
        app: Flask, article: Article, moderator: Moderator) -> None:
    group = [add_comment(article, f"copy {n}", Status.PENDING, {"spam": n / 10, "toxic": 0.25}).id for n in range(6)]
    other = make_moderator("b@example.org")
    decide(group[2], "approve", other, seen_status=Status.PENDING)
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    sa.event.listen(db.engine, "commit", count)
    try:
        done, refused = decide_all([*group, 999_999], "reject", moderator, seen_status=Status.PENDING)
    finally:
        sa.event.remove(db.engine, "commit", count)
    assert done == 5 and len(commits) == 1
    assert refused == [f"Comment #{group[2]} was already moved to published by b@example.org; nothing was changed.",
                       "Comment #999999 no longer exists."]
    decisions = db.session.scalars(sa.select(Decision).where(Decision.moderator_id == moderator.id)
                                   .order_by(Decision.id)).all()
    assert [d.comment_id for d in decisions] == [c for c in group if c != group[2]]
    # each comment keeps its own label (the higher of its scores) and its scores in the audit entry
    assert [d.label for d in decisions] == ["toxic", "toxic", "spam", "spam", "spam"]
    assert [d.scores["spam"] for d in decisions] == [0.0, 0.1, 0.3, 0.4, 0.5]
    assert db.session.get(Comment, group[2]).status == Status.PUBLISHED
    assert {db.session.get(Comment, c).status for c in group if c != group[2]} == {Status.REJECTED}


def test_a_group_decision_racing_a_single_one_never_overwrites_it(tmp_path: Path) -> None:
    """Whichever lands first keeps the contested copy; the other is told, and no copy has two decisions."""
    app = racing_app(tmp_path)
    with app.app_context():
        a = only_article()
        group = [add_comment(a, f"copy {n}", Status.PENDING).id for n in range(20)]
        ids = [make_moderator(f"m{i}@example.org").id for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def worker(moderator_id: int) -> None:
        with app.app_context():
            moderator = db.session.get(Moderator, moderator_id)
            barrier.wait()
            try:
                if moderator_id == ids[0]:
                    outcomes["group"] = decide_all(group, "spam", moderator, seen_status=Status.PENDING)
                else:
                    outcomes["single"] = decide(group[7], "approve", moderator, seen_status=Status.PENDING).action
            except AlreadyDecided:
                outcomes["single"] = "told"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done, refused = outcomes["group"]
    assert (outcomes["single"], done, len(refused)) in {("approve", 19, 1), ("told", 20, 0)}
    with app.app_context():
        per_comment = db.session.execute(sa.select(Decision.comment_id, sa.func.count())
                                         .group_by(Decision.comment_id)).all()
        assert sorted(per_comment) == [(c, 1) for c in group]
        expected = Status.PUBLISHED if outcomes["single"] == "approve" else Status.SPAM
        assert db.session.get(Comment, group[7]).status == expected
        db.session.remove()


def test_training_examples_use_the_latest_label(app: Flask, article: Article, moderator: Moderator) -> None:
    a = add_comment(article, "nice one", Status.PENDING)
    b = add_comment(article, "cheap pills", Status.PENDING)
    c = add_comment(article, "you clown", Status.PENDING, {"spam": 0.1, "toxic": 0.8})
    decide(a.id, "reject", moderator, seen_status=Status.PENDING, label="spam")
    decide(a.id, "approve", moderator, seen_status=Status.REJECTED)  # changed their mind
    decide(b.id, "spam", moderator, seen_status=Status.PENDING)
    decide(c.id, "reject", moderator, seen_status=Status.PENDING)
    examples = {e.text: dict(e.labels) for e in training_examples(10.0)}
    assert examples == {"nice one": {"spam": False, "toxic": False}, "cheap pills": {"spam": True, "toxic": False},
                        "you clown": {"spam": False, "toxic": True}}
    assert {e.weight for e in training_examples(10.0)} == {10.0}


def test_back_to_pending_keeps_the_last_label_for_every_reader(
        app: Flask, article: Article, moderator: Moderator) -> None:
    """Training, spot-check marks and regression cases share one "latest labelled decision"."""
    c = add_comment(article, "cheap pills", Status.PUBLISHED)
    c.route_rule = "threshold.spam"
    db.session.add(SpotCheck(comment_id=c.id))
    db.session.commit()
    decide(c.id, "spam", moderator, seen_status=Status.PUBLISHED)
    decide(c.id, "pending", moderator, seen_status=Status.SPAM)  # teaches nothing: the spam label stands
    assert [(e.text, e.labels["spam"]) for e in training_examples(10.0)] == [("cheap pills", True)]
    assert (spotcheck.estimate().checked, spotcheck.estimate().should_have_been_held) == (1, 1)
    assert [(case.comment_id, case.approved) for case in override_cases()] == [(c.id, False)]


def test_the_decisions_data_source(app: Flask, article: Article, moderator: Moderator, tmp_path: Path) -> None:
    app.config["DECISION_WEIGHT"] = 7.0
    decide(add_comment(article, "cheap pills", Status.PENDING).id, "spam", moderator, seen_status=Status.PENDING)
    decide(add_comment(article, "fair point", Status.PENDING).id, "approve", moderator, seen_status=Status.PENDING)
    here = load("decisions:")  # this app's database
    assert here.name == "decisions:" and len(here.sha256) == 64
    assert {e.text: (e.labels["spam"], e.weight) for e in here.examples} == {"cheap pills": (True, 7.0),
                                                                            "fair point": (False, 7.0)}
    # Another database by URL (here the same one, on SQLite or PostgreSQL alike).
    elsewhere = load(f"decisions:{app.config['SQLALCHEMY_DATABASE_URI']}")
    assert [e.text for e in elsewhere.examples] == [e.text for e in here.examples]
    assert elsewhere.sha256 == here.sha256
    with pytest.raises(DatasetError, match="no such database file"):
        load(f"decisions:{tmp_path / 'missing.sqlite3'}")
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    with pytest.raises(DatasetError, match="cannot read decisions"):
        load(f"decisions:{tmp_path / 'empty.sqlite3'}")


def test_disagreement_by_week(app: Flask, article: Article, moderator: Moderator) -> None:
    published = add_comment(article, "let through", Status.PUBLISHED)
    held = add_comment(article, "held back", Status.PENDING)
    decide(published.id, "reject", moderator, seen_status=Status.PUBLISHED)
    decide(held.id, "approve", moderator, seen_status=Status.PENDING)
    [week] = disagreement_by_week()
    assert (week.decisions, week.published_then_removed, week.held_then_approved) == (2, 1, 1)


def test_a_ban_is_suggested_for_authors_with_repeated_spam_rejections(app: Flask, client: FlaskClient, article: Article,
                                                                       moderator: Moderator) -> None:
    """Three rejections as spam (BAN_SUGGESTION_AFTER) suggest a ban; two, or rejections as toxic, do not."""
    def held_from(email: str, n: int, label: str) -> Comment:
        for i in range(n):
            c = add_comment(article, f"{email} {label} {i}", Status.PENDING)
            c.email = email
            db.session.commit()
            decide(c.id, "reject", moderator, seen_status=Status.PENDING, label=label)
        pending = add_comment(article, f"{email} waiting", Status.PENDING)
        pending.email = email
        db.session.commit()
        return pending

    spammer = held_from("spam3@example.org", 3, "spam")
    held_from("spam2@example.org", 2, "spam")
    held_from("rude3@example.org", 3, "toxic")
    assert repeat_spammers({"spam3@example.org", "spam2@example.org", "rude3@example.org"}, 3) == {"spam3@example.org"}
    assert repeat_spammers(set(), 3) == set()

    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert html.count("Repeated spam from this author") == 1
    assert f"/moderation/comments/{spammer.id}/ban" in html
