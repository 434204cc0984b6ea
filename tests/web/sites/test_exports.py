"""``export-comments``: JSON with everything, and WXR that imports back into a fresh instance with the same threads."""
from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, Status
from moderation.queue.decisions import decide
from tests.conftest import StubScorer, make_app

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def threads() -> set[tuple[str, str, str, str | None, int]]:
    """(article, text, status, parent's text, depth) for every comment: what must survive a round trip."""
    rows = db.session.scalars(sa.select(Comment))
    return {(c.article.slug, c.text, c.status.value, c.parent.text if c.parent else None, c.depth) for c in rows}


def test_wxr_export_imports_into_a_fresh_instance_with_the_same_threads(app: Flask, moderator: Moderator,
                                                                          tmp_path: Path) -> None:
    cli(app, "import-comments", "wxr", str(DATA / "wordpress.xml"))
    cli(app, "import-comments", "disqus", str(DATA / "disqus.xml"))
    pending = db.session.scalar(sa.select(Comment).where(Comment.text == "Waiting for approval."))
    decide(pending.id, "reject", moderator, seen_status=Status.PENDING, label="toxic")
    quirky = Comment(article=pending.article, author="<b>Zoë</b>", email="z@example.org", ip_hash="",
                     text="x < y & \"quotes\"\n\nsecond paragraph\nline two", status=Status.PUBLISHED,
                     routed_status=Status.PUBLISHED, route_rule="r", route_reason="r")
    db.session.add(quirky)
    db.session.commit()
    before = threads()
    exported = tmp_path / "export.xml"
    cli(app, "export-comments", "--format", "wxr", "--output", str(exported))
    db.session.remove()

    fresh = make_app(tmp_path / "fresh")
    fresh.extensions["moderation.scorer"] = StubScorer()
    with fresh.app_context():
        output = cli(fresh, "import-comments", "wxr", str(exported))
        assert "Skipped 0." in output
        assert threads() == before
        assert "Imported 0 comments." in cli(fresh, "import-comments", "wxr", str(exported))
        assert db.session.scalar(sa.select(Article.comments_open).where(Article.slug == "about")) is False
        db.session.remove()


def test_json_export_has_status_thread_scores_and_decisions(app: Flask, moderator: Moderator) -> None:
    cli(app, "import-comments", "disqus", str(DATA / "disqus.xml"))
    spam = db.session.scalar(sa.select(Comment).where(Comment.status == Status.SPAM))
    decide(spam.id, "approve", moderator, seen_status=Status.SPAM)
    data = json.loads(cli(app, "export-comments", "--format", "json", "--article", "harbour-bridge-closes"))
    [article] = data["articles"]
    assert article["slug"] == "harbour-bridge-closes" and len(article["comments"]) == 5
    by_text = {c["text"][:20]: c for c in article["comments"]}
    reply = by_text["Three deep: the ferr"]
    assert reply["parent_id"] == by_text["Six weeks, says the "]["id"] and reply["depth"] == 3
    flights = by_text["Cheap flights! Visit"]
    assert flights["status"] == "published" and flights["routed_status"] == "spam"
    assert flights["scores"] == {"spam": 0.05, "toxic": 0.05}
    assert flights["decisions"] == [{
        "at": flights["decided_at"], "moderator": "mod@example.org", "action": "approve", "from": "spam",
        "to": "published", "label": "ok", "model_version": "stub-1", "scores": {"spam": 0.05, "toxic": 0.05}}]
    assert flights["imported_from"] == {"origin": "disqus", "external_id": "7004"}


def test_unknown_article_is_an_error(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["export-comments", "--format", "json", "--article", "nope"])
    assert result.exit_code == 1 and "no article with the slug 'nope'" in result.output
