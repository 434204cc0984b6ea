"""Admin pages: the audit log, the model page, promotion, rollback and retraining."""
from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import moderation.config
from moderation.extensions import db
from moderation.model import retrain
from moderation.model.scoring import Scorer, get_scorer
from moderation.models import Article, Comment, Moderator, Status, TrainingJob
from moderation.queue.decisions import decide
from tests.conftest import csrf_token, login
from training.datasets import load
from training.registry import Registry
from training.train import train

GET_URLS = ["/admin/audit", "/admin/model"]
POST_URLS = ["/admin/model/promote/20250101-000000-abcdef", "/admin/model/rollback", "/admin/retrain",
             "/admin/jobs/1/promote", "/admin/jobs/1/discard"]

OK = ["the council should fund the library", "thanks for a clear article on bus fares",
      "the harbour photos are lovely", "I agree with the budget plan", "road works end in May"]
SPAM = ["buy cheap followers now at http://cheap.example.com", "subscribe to my channel for free gift cards",
        "WIN FREE MONEY call 555-123-4567 now", "earn $500 a day from home click here"]
TOXIC = ["you are an idiot and a disgrace", "shut up you stupid troll", "what a pathetic moron wrote this",
         "get lost you pathetic loser"]


def write_tiny_csv(path: Path, rows: int = 60) -> Path:
    rng = random.Random(0)
    filler = ["today", "really", "honestly", "again", "folks", "as usual"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label, texts = [("ok", OK), ("spam", SPAM), ("toxic", TOXIC)][i % 3]
            writer.writerow([f"{rng.choice(texts)} {rng.choice(filler)}", label])
    return path


@pytest.fixture
def tiny_csv(tmp_path: Path) -> Path:
    return write_tiny_csv(tmp_path / "tiny.csv")


@pytest.fixture
def registry(app: Flask, tmp_path: Path, tiny_csv: Path) -> Registry:
    """A real registry with an active version, served by a real Scorer."""
    reg = Registry(tmp_path / "models")
    reg.ensure_seeded(moderation.config.DEFAULT_MODEL_DIR)
    if reg.active_version() is None:  # no shipped model in this checkout: train a tiny one
        reg.promote(reg.save(train([load(f"csv:{tiny_csv}")])))
    app.extensions["moderation.scorer"] = Scorer(reg)
    return reg


def admin_client(client: FlaskClient, admin: Moderator) -> FlaskClient:
    assert login(client, admin.email).status_code == 302
    return client


def post(client: FlaskClient, url: str, page: str = "/admin/model"):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def flashes(client: FlaskClient) -> str:
    return client.get("/admin/model").get_data(as_text=True)


def make_comment(article: Article, text: str = "A comment") -> Comment:
    comment = Comment(article_id=article.id, author="Ann Reader", email="ann@example.org", text=text,
                      ip_hash="x" * 64, status=Status.PENDING, routed_status=Status.PENDING,
                      scores={"spam": 0.6, "toxic": 0.1}, model_version="stub-1",
                      route_rule="threshold.spam.review", route_reason="spam score 0.60 is at or above 0.50")
    db.session.add(comment)
    db.session.commit()
    return comment


# --- access ---------------------------------------------------------------


def test_moderator_gets_403_everywhere(client: FlaskClient, moderator: Moderator) -> None:
    login(client, moderator.email)
    for url in GET_URLS:
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/")
    for url in POST_URLS:
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url


def test_anonymous_is_sent_to_login(client: FlaskClient) -> None:
    for url in GET_URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    token = csrf_token(client, "/auth/login")
    for url in POST_URLS:
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


def test_posts_without_csrf_are_refused(client: FlaskClient, admin: Moderator, registry: Registry) -> None:
    admin_client(client, admin)
    active = registry.active_version()
    assert client.post("/admin/model/rollback").status_code == 400
    assert registry.active_version() == active


# --- audit log --------------------------------------------------------------


def test_audit_log_lists_decisions(client: FlaskClient, admin: Moderator, moderator: Moderator,
                                   article: Article) -> None:
    comment = make_comment(article, "<script>alert(1)</script> buy now")
    decide(comment.id, "spam", moderator, seen_status=Status.PENDING)
    admin_client(client, admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "mod@example.org" in html and "spam" in html and "pending → spam" in html and "stub-1" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert f"/articles/{article.slug}#comment-{comment.id}" in html

    assert "&lt;script&gt;" in client.get("/admin/audit?moderator=MOD@example.org").get_data(as_text=True)
    filtered = client.get("/admin/audit?moderator=admin@example.org").get_data(as_text=True)
    assert "&lt;script&gt;" not in filtered and "0 decisions" in filtered


def test_audit_log_is_paginated_newest_first(client: FlaskClient, admin: Moderator, moderator: Moderator,
                                             article: Article) -> None:
    for i in range(51):
        comment = make_comment(article, f"comment number {i:02d}")
        decide(comment.id, "approve", moderator, seen_status=Status.PENDING)
    admin_client(client, admin)
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "comment number 50" in first and "comment number 00" not in first and "Page 1 of 2" in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "comment number 00" in second and "comment number 50" not in second


# --- model page, promote, rollback -------------------------------------------


def test_model_page_shows_the_active_version(client: FlaskClient, admin: Moderator, registry: Registry) -> None:
    admin_client(client, admin)
    html = client.get("/admin/model").get_data(as_text=True)
    active = registry.active_version()
    assert active and active in html and "(active)" in html
    assert "decisions since this model was trained" in html
    assert "Retrain" in html and 'http-equiv="refresh"' not in html
    assert "<script" not in html and "style=" not in html
    assert f'src="/admin/model/{active}/roc.png"' in html and f'src="/admin/model/{active}/pr.png"' in html
    image = client.get(f"/admin/model/{active}/roc.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    assert client.get(f"/admin/model/{active}/card.json").status_code == 404  # only the card's plots
    assert client.get(f"/admin/model/{active}/..%2Factive").status_code == 404


def test_model_page_with_the_stub_scorer_does_not_fail(client: FlaskClient, admin: Moderator) -> None:
    admin_client(client, admin)
    response = client.get("/admin/model")
    assert response.status_code == 200 and "stub-1" in response.get_data(as_text=True)


def test_promote_and_rollback_through_the_buttons(client: FlaskClient, admin: Moderator, registry: Registry,
                                                  tiny_csv: Path) -> None:
    original = registry.active_version()
    other = registry.save(train([load(f"csv:{tiny_csv}")], parent=original))
    admin_client(client, admin)
    assert f"/admin/model/promote/{other}" in client.get("/admin/model").get_data(as_text=True)

    response = post(client, f"/admin/model/promote/{other}")
    assert response.status_code == 302
    assert registry.active_version() == other
    assert get_scorer().model().version == other
    assert f"Version {other} is now the active model." in flashes(client)

    assert post(client, "/admin/model/rollback").status_code == 302
    assert registry.active_version() == original
    assert "Rolled back" in flashes(client)


def test_registry_errors_are_flashed_not_500(client: FlaskClient, admin: Moderator, registry: Registry) -> None:
    admin_client(client, admin)
    active = registry.active_version()
    response = post(client, "/admin/model/promote/20250101-000000-abcdef")
    assert response.status_code == 302
    assert "was not promoted" in flashes(client)
    assert post(client, "/admin/model/promote/not-a-version").status_code == 302
    assert "was not promoted" in flashes(client)
    assert post(client, "/admin/model/rollback").status_code == 302
    assert "Nothing was rolled back" in flashes(client)
    assert registry.active_version() == active


# --- retraining ------------------------------------------------------------------


class FakePopen:
    calls: list[dict[str, Any]] = []

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        FakePopen.calls.append({"args": args, **kwargs})


def test_retrain_starts_one_job_at_a_time(client: FlaskClient, admin: Moderator, registry: Registry,
                                          app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    FakePopen.calls = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    admin_client(client, admin)
    assert post(client, "/admin/retrain").status_code == 302
    jobs = db.session.scalars(sa.select(TrainingJob)).all()
    assert len(jobs) == 1 and jobs[0].state == "queued" and jobs[0].moderator_id == admin.id
    [call] = FakePopen.calls
    assert call["args"] == [sys.executable, "-m", "flask", "--app", "moderation", "run-training-job", str(jobs[0].id)]
    assert call["env"]["MODERATION_INSTANCE_PATH"] == app.instance_path
    assert call["env"]["DATABASE_URL"] == app.config["SQLALCHEMY_DATABASE_URI"]
    assert call["cwd"] == moderation.config.ROOT and call["start_new_session"] is True
    assert (Path(app.instance_path) / "jobs" / f"{jobs[0].id}.log").exists()

    html = client.get("/admin/model").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html and "queued" in html

    assert post(client, "/admin/retrain").status_code == 302
    assert "still queued" in flashes(client)
    assert db.session.scalar(sa.select(sa.func.count(TrainingJob.id))) == 1
    assert len(FakePopen.calls) == 1
    with pytest.raises(retrain.JobAlreadyRunning):
        retrain.start_job(admin)


def decide_many(article: Article, moderator: Moderator, per_kind: int = 12) -> None:
    """Moderator decisions on comments of each kind: enough site labels to learn from and measure."""
    rng = random.Random(1)
    for i in range(per_kind):
        for texts, action, label in ((OK, "approve", None), (SPAM, "spam", None), (TOXIC, "reject", "toxic")):
            comment = make_comment(article, f"{rng.choice(texts)} {i}")
            decide(comment.id, action, moderator, seen_status=Status.PENDING, label=label)


@pytest.fixture
def trained_job(app: Flask, registry: Registry, admin: Moderator, moderator: Moderator,
                article: Article) -> TrainingJob:
    app.config["TRAINING_DATA"] = ["csv:no/such/folder"]  # a site run never reads public data
    decide_many(article, moderator)
    job = TrainingJob(moderator_id=admin.id)
    db.session.add(job)
    db.session.commit()
    return retrain.run_job(job.id)


def test_run_job_trains_a_site_candidate_without_promoting_it(trained_job: TrainingJob, registry: Registry,
                                                              client: FlaskClient, admin: Moderator) -> None:
    job = trained_job
    assert job.state == "succeeded", job.message
    assert job.progress == 1.0 and job.finished_at is not None
    versions = [v.version for v in registry.versions()]
    assert job.candidate_version in versions
    assert registry.active_version() != job.candidate_version
    assert job.comparison["labels"] == 36 and job.comparison["labels_by_source"] == {"decisions": 36}
    assert job.comparison["gate"]["reason"]
    card = registry.card(job.candidate_version)
    # The candidate keeps the base model's public fit and adds the site layer on top.
    assert card["base"] == registry.active_version() and card["site"]["labels"] == 36
    names = {s["name"] for s in card["data"]}
    assert "decisions" in names and {s["name"] for s in registry.card(card["base"])["data"]} < names

    admin_client(client, admin)
    html = client.get("/admin/model").get_data(as_text=True)
    assert f"Candidate {job.candidate_version}" in html
    assert f"/admin/jobs/{job.id}/promote" in html and f"/admin/jobs/{job.id}/discard" in html
    assert 'http-equiv="refresh"' not in html


def test_discard_keeps_the_active_model(trained_job: TrainingJob, registry: Registry, client: FlaskClient,
                                        admin: Moderator) -> None:
    active = registry.active_version()
    admin_client(client, admin)
    assert post(client, f"/admin/jobs/{trained_job.id}/discard").status_code == 302
    db.session.refresh(trained_job)
    assert trained_job.state == "discarded"
    assert registry.active_version() == active
    # A discarded job cannot be promoted any more.
    post(client, f"/admin/jobs/{trained_job.id}/promote")
    assert registry.active_version() == active
    assert "only a succeeded job" in flashes(client)


def test_promote_job_switches_the_scorer_without_restart(trained_job: TrainingJob, registry: Registry,
                                                         client: FlaskClient, admin: Moderator) -> None:
    old = get_scorer().model().version
    assert old != trained_job.candidate_version
    admin_client(client, admin)
    assert post(client, f"/admin/jobs/{trained_job.id}/promote").status_code == 302
    db.session.refresh(trained_job)
    assert trained_job.state == "promoted"
    assert registry.active_version() == trained_job.candidate_version
    assert get_scorer().model().version == trained_job.candidate_version
    assert "is now the active model" in flashes(client)


def test_run_job_without_enough_labels_fails_with_a_message(app: Flask, registry: Registry) -> None:
    job = TrainingJob()
    db.session.add(job)
    db.session.commit()
    job = retrain.run_job(job.id)
    assert job.state == "failed" and "at least 10" in job.message and job.finished_at is not None
    assert retrain.running_job() is None


def test_run_training_job_command(app: Flask, registry: Registry) -> None:
    app.config["TRAINING_DATA"] = []
    job = TrainingJob()
    db.session.add(job)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["run-training-job", str(job.id)])
    assert result.exit_code == 1 and "failed" in result.output
    assert app.test_cli_runner().invoke(args=["run-training-job", "999"]).exit_code == 1
