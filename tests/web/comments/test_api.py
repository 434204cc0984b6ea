"""The JSON API behind embed.js: reading a thread, posting, and who may post from where."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Status
from tests.conftest import limited_app, post_comment

EMBEDDER = "https://news.example.org"


def api(article: Article) -> str:
    return f"/api/articles/{article.slug}/comments"


def send(client: FlaskClient, article: Article, origin: str | None = None, **fields: object):
    body = {"comment": "A fair point.", "author": "Ann", "email": "ann@example.org", **fields}
    headers = {"Origin": origin} if origin else {}
    return client.post(api(article), json=body, headers=headers)


def stored(text: str) -> Comment:
    comment = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert comment is not None
    return comment


def test_reading_a_thread(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="First <script>alert(1)</script>", email="a@example.org",
                 url="https://ann.example.org")
    first = stored("First <script>alert(1)</script>")
    post_comment(client, article, comment="A reply", email="b@example.org", comment_parent=str(first.id))
    post_comment(client, article, comment="Held back buynow", email="c@example.org")

    response = client.get(api(article))
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert data["count"] == 2 and data["article"]["comments_open"] is True
    [top] = data["comments"]
    assert top["html"] == "<p>First &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert 'rel="nofollow ugc noopener"' in top["author_html"]
    assert [r["html"] for r in top["replies"]] == ["<p>A reply</p>"]
    assert "email" not in response.get_data(as_text=True) and "buynow" not in response.get_data(as_text=True)


def test_posting_published_held_and_spam(client: FlaskClient, article: Article) -> None:
    published = send(client, article, comment="Well argued piece.")
    assert published.status_code == 201
    assert published.get_json()["comment"]["html"] == "<p>Well argued piece.</p>"
    for text in ("Check this buynow", "Cheap spamword deals"):
        held = send(client, article, comment=text)
        assert held.status_code == 202 and held.get_json()["status"] == "awaiting moderation"  # spam looks held
    assert stored("Check this buynow").status == Status.PENDING
    assert stored("Cheap spamword deals").status == Status.SPAM
    reply = send(client, article, comment="Agreed.", parent=published.get_json()["id"], email="bo@example.org")
    assert reply.status_code == 201 and stored("Agreed.").parent_id == published.get_json()["id"]


def test_bad_posts_say_what_is_wrong(client: FlaskClient, article: Article) -> None:
    missing = client.post(api(article), json={"comment": " ", "email": "nope"})
    assert missing.status_code == 400
    assert set(missing.get_json()["errors"]) == {"comment", "author", "email"}
    assert send(client, article, parent="abc").get_json()["errors"] == {
        "parent": ["The comment you are replying to is not available."]}
    assert client.post(api(article), data={"comment": "x"}).status_code == 415
    assert client.post(api(article), json=["not", "an", "object"]).status_code == 400
    assert send(client, article, comment="a\x00b").status_code == 400  # PostgreSQL cannot store NUL
    assert client.post("/api/articles/nope/comments", json={}).get_json()["status"] == 404
    article.comments_open = False
    db.session.commit()
    closed = send(client, article)
    assert closed.status_code == 403 and "closed" in closed.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_only_allowed_origins_may_post(app: Flask, client: FlaskClient, article: Article) -> None:
    assert send(client, article, origin="https://evil.example").status_code == 403
    assert client.options(api(article), headers={"Origin": EMBEDDER}).status_code == 403
    app.config["EMBED_ORIGINS"] = [EMBEDDER]
    preflight = client.options(api(article), headers={"Origin": EMBEDDER,
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == EMBEDDER
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    posted = send(client, article, origin=EMBEDDER)
    assert posted.status_code == 201 and posted.headers["Access-Control-Allow-Origin"] == EMBEDDER
    assert send(client, article, origin="http://localhost", comment="Own site").status_code == 201


def test_the_rate_limit_answers_in_json(tmp_path: Path) -> None:
    with limited_app(tmp_path) as (client, article):
        for n in range(2):
            assert send(client, article, comment=f"Post {n}.").status_code == 201
        limited = send(client, article, comment="Too fast.")
        assert limited.status_code == 429 and limited.get_json()["status"] == 429
