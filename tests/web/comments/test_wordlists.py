"""Word lists on the comment path and the settings page's tester: whole words, disguises seen through."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Moderator, Status
from tests.conftest import csrf_token, login, post_comment


def status_of(text: str) -> tuple[Status, str]:
    comment = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert comment is not None
    return comment.status, comment.route_rule


@pytest.mark.parametrize(("setting", "caught"), [("BLOCK_WORDS", Status.SPAM), ("MODERATION_WORDS", Status.PENDING)])
def test_whole_words_spare_innocent_words_and_catch_disguises(
        app: Flask, client: FlaskClient, article: Article, setting: str, caught: Status) -> None:
    app.config[setting] = ["cialis", "ass", "cunt"]
    innocent = ["Ask a specialist about it", "A class act", "Scunthorpe won on Saturday"]
    disguised = ["Buy CIALIS today", "Buy c\u0456alis today", "Buy c\u200bialis today", "What an @ss"]
    for n, text in enumerate(innocent + disguised):
        post_comment(client, article, comment=text, email=f"r{n}@example.org")
    # The StubScorer gives every one of these 0.05: only the lists decide.
    assert [status_of(t)[0] for t in innocent] == [Status.PUBLISHED] * 3
    assert [status_of(t) for t in disguised] == [(caught, f"rule.{setting.lower()[:-1]}")] * 4


def test_tester_shows_what_each_list_catches(app: Flask, client: FlaskClient, moderator: Moderator) -> None:
    app.config["BLOCK_WORDS"] = ["cialis"]
    assert client.get("/moderation/words").status_code == 302  # behind sign-in
    login(client, moderator.email)
    page = client.get("/moderation/words").get_data(as_text=True)
    assert "cialis</textarea>" in page  # the lists in force, ready to edit
    token = csrf_token(client, "/moderation/words")
    sample = "A specialist <b>says</b>: C1ALIS for the cl@ss, ass!"
    response = client.post("/moderation/words", data={
        "csrf_token": token, "block_words": "cialis\nviagra*", "moderation_words": "ass\n", "sample": sample})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    block, moderation = html.split('<section class="word-result"')[1:]
    assert "Would be sent to spam" in block and "<mark>C1ALIS</mark>" in block and "specialist" in block
    assert "<mark>spe" not in block and "&lt;b&gt;says&lt;/b&gt;" in block  # escaped, nothing else marked
    assert "<mark>ass</mark>!" in moderation and "<mark>cl@ss</mark>" not in moderation
    assert "Would be held for a moderator" in moderation


def test_tester_refuses_bad_input(client: FlaskClient, moderator: Moderator) -> None:
    login(client, moderator.email)
    assert client.post("/moderation/words", data={"sample": "x"}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/moderation/words")
    response = client.post("/moderation/words", data={"csrf_token": token, "sample": "x" * 6000})
    assert response.status_code == 400 and "limited to 5,000 characters" in response.get_data(as_text=True)
