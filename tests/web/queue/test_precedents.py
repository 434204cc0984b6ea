"""Beside a held comment, the queue shows up to three decided comments nearest to it, with each decision."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.comments.similarity import similar_decisions
from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, Status
from moderation.queue.decisions import decide
from tests.conftest import login, post_comment
from tests.web.queue.test_near_duplicates import RANT, statements_during, wave_text


def comment(text: str) -> Comment:
    found = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert found is not None
    return found


def precedents(html: str, comment_id: int) -> list[str]:
    item = html.split(f'id="item-{comment_id}"')[1].split('<li class="queue-item')[0]
    block = item.split('<div class="precedents">')[1].split("</div>")[0] if 'class="precedents"' in item else ""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_held_comment_shows_its_nearest_decided_comments(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    reader = app.test_client()
    for i in range(5):
        post_comment(reader, article, comment=wave_text(i), email=f"w{i}@example.org")
        decide(comment(wave_text(i)).id, "spam", moderator, seen_status=Status.PENDING)
    post_comment(reader, article, comment=RANT, email="rant@example.org")
    decide(comment(RANT).id, "reject", moderator, seen_status=Status.PENDING, label="toxic")
    post_comment(reader, article, comment=wave_text(7), email="late@example.org")
    post_comment(reader, article, comment=RANT.replace("bridge", "tunnel"), email="again@example.org")
    post_comment(reader, article, comment="buynow Lovely weather for the regatta this weekend.", email="n@example.org")

    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    near_wave = precedents(html, comment(wave_text(7)).id)
    assert len(near_wave) == 3  # five alike were decided: the three nearest are shown
    assert all(p.startswith("marked spam") and "by mod@example.org" in p and "replica watches" in p
               for p in near_wave)
    near_rant = precedents(html, comment(RANT.replace("bridge", "tunnel")).id)
    assert len(near_rant) == 1 and near_rant[0].startswith("rejected as toxic") and "wasted our money" in near_rant[0]
    assert precedents(html, comment("buynow Lovely weather for the regatta this weekend.").id) == []


def test_precedents_are_kept_between_views_and_pick_up_a_new_decision(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    reader = app.test_client()
    post_comment(reader, article, comment=wave_text(0), email="w0@example.org")
    decide(comment(wave_text(0)).id, "spam", moderator, seen_status=Status.PENDING)
    post_comment(reader, article, comment=wave_text(7), email="late@example.org")
    post_comment(reader, article, comment=RANT, email="rant@example.org")
    held = [comment(wave_text(7)), comment(RANT)]
    first, built = statements_during(lambda: similar_decisions(held))
    again, kept = statements_during(lambda: similar_decisions(held))
    assert first == again and [p.comment.text for p in again[held[0].id]] == [wave_text(0)]
    assert not again.get(held[1].id)
    assert kept == built - 1  # the decided comments' signatures were not read again

    # A decision made elsewhere (another worker, here the test's own session) is seen on the next view.
    post_comment(reader, article, comment=RANT.replace("bridge", "tunnel"), email="again@example.org")
    decide(comment(RANT.replace("bridge", "tunnel")).id, "reject", moderator, seen_status=Status.PENDING,
           label="toxic")
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    near_rant = precedents(html, held[1].id)
    assert len(near_rant) == 1 and near_rant[0].startswith("rejected as toxic") and "tunnel" in near_rant[0]
