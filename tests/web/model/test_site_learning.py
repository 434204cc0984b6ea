"""A site's history and moderators teach the model: imported labels, an automatic run, and the gate.

The shipped model serves. A site's WordPress export brings approved, spam and
trashed comments; imported with ``--labels --rejected-as toxic`` they become
three kinds of labels, and enough new labels start an automatic site run.
Where the site's removed comments share insults the shipped model has never
seen, the candidate learns them and the gate promotes it; where the site's
labels say nothing the text shows, the gate keeps the candidate out.
"""
from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.model import retrain, site_learning
from moderation.models import Article, Comment, ImportedComment, Moderator, Status, TrainingJob
from moderation.queue.decisions import label_counts
from moderation.queue.listing import QueueQuery, counts, fetch
from tests.conftest import csrf_token, login
from tests.model_versions import shipped_registry

#: Made-up insults: no public data set has them, so the shipped model cannot know them.
INSULTS = ["zorbleflap", "quizzlenut", "drabwhistle", "flonkbrain", "snivelgrub", "plonkwit"]
NEUTRAL = ["councillor", "reporter", "neighbour", "planner", "minister", "driver"]
FRAMES = ["Typical {w} nonsense about the {t} again.", "Only a {w} would write this about the {t}.",
          "The {t} plan is what you get from a {w}.", "Listen to this {w} on the {t}, honestly."]
TOPICS = ["tram line", "harbour", "budget", "school run", "bus fares", "library", "bridge", "bin collections"]
SPAM = ["Buy cheap followers now at http://cheap-followers.example.com", "Earn $500 a day from home, click here",
        "WIN FREE MONEY call 555-123-4567 now", "Best replica watches, visit www.replicas.example.biz"]


def site_comments(rng: random.Random, n: int, words: list[str]) -> list[str]:
    return [rng.choice(FRAMES).format(w=rng.choice(words), t=rng.choice(TOPICS)) + f" ({i})" for i in range(n)]


def wxr(comments: list[tuple[str, str]]) -> bytes:
    """A WordPress export (WXR 1.2) of one post with ``(text, wp:comment_approved)`` comments."""
    items = "".join(f"""
    <wp:comment><wp:comment_id>{i}</wp:comment_id><wp:comment_author>Reader {i}</wp:comment_author>
      <wp:comment_author_email>r{i}@example.org</wp:comment_author_email><wp:comment_author_IP>203.0.113.9</wp:comment_author_IP>
      <wp:comment_date_gmt>2024-03-04 10:{i % 60:02d}:00</wp:comment_date_gmt>
      <wp:comment_content>{escape(text)}</wp:comment_content><wp:comment_approved>{status}</wp:comment_approved>
      <wp:comment_type>comment</wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment>"""
                    for i, (text, status) in enumerate(comments, 1))
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Example News</title><link>https://news.example.org</link><wp:wxr_version>1.2</wp:wxr_version>
  <item><title>The council and the tram line</title><link>https://news.example.org/tram/</link>
    <content:encoded>The council voted for the tram line.</content:encoded><wp:post_id>1</wp:post_id>
    <wp:post_date_gmt>2024-03-04 08:00:00</wp:post_date_gmt><wp:comment_status>open</wp:comment_status>
    <wp:post_name>tram</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>{items}
  </item></channel></rss>""".encode()


class FakePopen:
    """Stands in for the training process: records that a job was started."""

    calls: list[list[str]] = []

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        FakePopen.calls.append(args)


@pytest.fixture
def site_app(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    shipped_registry(app, tmp_path / "models")
    app.config.update(SITE_LEARNING_EVERY=100, SITE_LEARNING_HOURS=24)
    FakePopen.calls = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    return app


def import_history(app: Flask, tmp_path: Path, comments: list[tuple[str, str]], rejected_as: str) -> str:
    path = tmp_path / "export.xml"
    path.write_bytes(wxr(comments))
    result = app.test_cli_runner().invoke(
        args=["import-comments", "wxr", str(path), "--labels", "--rejected-as", rejected_as])
    assert result.exit_code == 0, result.output
    return result.output


def the_automatic_job() -> TrainingJob:
    [job] = db.session.scalars(sa.select(TrainingJob)).all()
    assert job.kind == "auto" and job.state == "queued"
    assert FakePopen.calls and FakePopen.calls[-1][-1] == str(job.id)
    return job


def test_history_with_insults_the_model_never_saw_is_learnt_and_promoted(
        site_app: Flask, tmp_path: Path, client: FlaskClient, admin: Moderator) -> None:
    rng = random.Random(0)
    history = ([(t, "1") for t in site_comments(rng, 70, NEUTRAL)]
               + [(t, "trash") for t in site_comments(rng, 70, INSULTS)]
               + [(rng.choice(SPAM) + f" {i}", "spam") for i in range(25)])
    output = import_history(site_app, tmp_path, history, "toxic")
    assert "70 ok, 25 spam, 70 toxic (removed comments as toxic)" in output

    assert label_counts()["import:wxr"] == {"ok": 70, "spam": 25, "toxic": 70}
    registry = site_app.extensions["moderation.scorer"].registry
    shipped = registry.active_version()
    job = retrain.run_job(the_automatic_job().id)  # what the started process runs

    assert job.state == "promoted", job.message
    assert job.comparison["gate"]["passed"] is True
    toxic = job.comparison["site"]["toxic"]
    assert toxic["candidate_auc"] > toxic["active_auc"] + 0.1 and toxic["gain_low"] > 0
    assert registry.active_version() == job.candidate_version != shipped
    card = registry.card(job.candidate_version)
    assert card["base"] == shipped and card["site"]["by_source"] == {"import:wxr": 165}
    # The model now holds the site's insult it had never seen, and still publishes the neutral version.
    model = site_app.extensions["moderation.scorer"].model()
    assert model.score("Only a snivelgrub would write this about the library.")["toxic"] > \
        model.score("Only a neighbour would write this about the library.")["toxic"] + 0.3

    login(client, admin.email)
    html = client.get("/admin/model").get_data(as_text=True)
    assert 'class="rejected-as">toxic<' in html and "export.xml" in html
    assert "Gate: passed" in html and 'class="auc-chart"' in html
    assert "Automatic promotion is <strong>on</strong>" in html


def test_labels_the_text_cannot_explain_are_kept_out_by_the_gate(site_app: Flask, tmp_path: Path) -> None:
    rng = random.Random(1)
    # The site removed comments at random: the same kind of comment is kept or trashed by chance.
    history = [(t, rng.choice(["1", "trash"])) for t in site_comments(rng, 150, NEUTRAL)]
    import_history(site_app, tmp_path, history, "toxic")
    registry = site_app.extensions["moderation.scorer"].registry
    shipped = registry.active_version()
    job = retrain.run_job(the_automatic_job().id)

    assert job.state == "succeeded", job.message
    assert job.comparison["gate"]["passed"] is False
    assert "stays a candidate" in job.message
    assert registry.active_version() == shipped and job.candidate_version in {v.version for v in registry.versions()}


def test_an_admin_can_make_every_candidate_wait(site_app: Flask, tmp_path: Path, client: FlaskClient,
                                                admin: Moderator) -> None:
    login(client, admin.email)
    token = csrf_token(client, "/admin/model")
    assert client.post("/admin/model/auto-promote", data={"csrf_token": token, "on": "0"}).status_code == 302
    assert site_learning.auto_promote() is False
    rng = random.Random(0)
    history = ([(t, "1") for t in site_comments(rng, 70, NEUTRAL)]
               + [(t, "trash") for t in site_comments(rng, 70, INSULTS)])
    import_history(site_app, tmp_path, history, "toxic")
    registry = site_app.extensions["moderation.scorer"].registry
    shipped = registry.active_version()
    job = retrain.run_job(the_automatic_job().id)
    assert job.comparison["gate"]["passed"] is True
    assert job.state == "succeeded" and "waits for an admin" in job.message
    assert registry.active_version() == shipped
    html = client.get("/admin/model").get_data(as_text=True)
    assert "Automatic promotion is <strong>off</strong>" in html and admin.email in html


def test_no_run_before_enough_new_labels(site_app: Flask, tmp_path: Path) -> None:
    rng = random.Random(0)
    import_history(site_app, tmp_path, [(t, "1") for t in site_comments(rng, 30, NEUTRAL)], "toxic")
    assert db.session.scalar(sa.select(sa.func.count(TrainingJob.id))) == 0
    upcoming = site_learning.next_run()
    assert upcoming.new_labels == 30 and upcoming.labels_to_go == 70 and upcoming.at is not None


def test_removed_comments_for_review_wait_in_to_label_grouped(site_app: Flask, tmp_path: Path,
                                                              client: FlaskClient, moderator: Moderator) -> None:
    wave = "Get rich fast with our crypto signals group, join today and earn big: http://signals.example.com"
    history = ([(f"{wave} #{i}", "trash") for i in range(12)]
               + [("You are a flonkbrain and everyone here knows it.", "trash"),
                  ("The library should open on Sundays.", "1")])
    output = import_history(site_app, tmp_path, history, "review")
    assert "queue tab To label): 13" in output
    assert counts()["to-label"] == 13
    page = fetch(QueueQuery.from_args({"tab": "to-label"}), {})
    assert len(page.comments) == 2  # the wave is one row
    assert QueueQuery.from_args({"tab": "to-label"}).sort == "uncertainty"
    [row] = [c for c in page.comments if c.id in page.groups]
    group = page.groups[row.id]
    assert group.others == 11

    login(client, moderator.email)
    token = csrf_token(client, "/moderation/?tab=to-label")
    response = client.post(f"/moderation/comments/{row.id}/decide?tab=to-label", data={
        "csrf_token": token, "action": "label:spam", "seen_status": "rejected",
        "group": group.group_id, "up_to": group.up_to})
    assert response.status_code == 302
    assert counts()["to-label"] == 1
    assert label_counts()["decisions"] == {"spam": 12}
    # Labelled, not moved: the old site's removal stands.
    assert db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.status == Status.REJECTED)) == 13
    assert db.session.scalar(sa.select(sa.func.count(ImportedComment.id))
                             .where(ImportedComment.label == "review")) == 13


def test_rejected_as_needs_labels(site_app: Flask, tmp_path: Path, article: Article) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(wxr([("Fine comment", "1")]))
    result = site_app.test_cli_runner().invoke(args=["import-comments", "wxr", str(path), "--rejected-as", "toxic"])
    assert result.exit_code == 2 and "use it with --labels" in result.output
