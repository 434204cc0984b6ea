"""The moderation API for newsroom tools: bearer tokens, the queue with filters, decisions with the
queue page's compare-and-set, and a comment's history."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Decision, Moderator, ModeratorToken, Status
from moderation.queue.tokens import create_token
from tests.conftest import csrf_token, login, make_moderator, post_comment


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def held(client: FlaskClient, article: Article, text: str, email: str = "ann@example.org") -> Comment:
    post_comment(client, article, comment=text, email=email)
    return db.session.scalar(sa.select(Comment).where(Comment.text == text))


def test_queue_lists_with_the_queue_pages_filters(client: FlaskClient, article: Article, moderator: Moderator) -> None:
    token = create_token(moderator, "cms")[1]
    held(client, article, "buynow cheap", "bob@example.org")
    held(client, article, "you idiot")
    post_comment(client, article, comment="A fine point.")
    pending = client.get("/api/moderation/queue", headers=bearer(token)).get_json()
    assert pending["total"] == 2 and pending["counts"]["approved"] == 1
    assert [c["text"] for c in pending["comments"]] == ["you idiot", "buynow cheap"]  # riskiest first
    first = pending["comments"][0]
    assert first["status"] == "pending" and first["article"]["slug"] == article.slug and first["scores"]["toxic"] == 0.7
    by_author = client.get("/api/moderation/queue?author=bob", headers=bearer(token)).get_json()
    assert [c["author"] for c in by_author["comments"]] == ["Ann Reader"] and by_author["total"] == 1
    approved = client.get("/api/moderation/queue?tab=approved", headers=bearer(token)).get_json()
    assert [c["text"] for c in approved["comments"]] == ["A fine point."]


def test_decision_uses_compare_and_set_and_shows_in_history(client: FlaskClient, article: Article,
                                                            moderator: Moderator) -> None:
    token = create_token(moderator, "cms")[1]
    other = create_token(make_moderator("other@example.org"), "bot")[1]
    comment = held(client, article, "buynow cheap")
    url = f"/api/moderation/comments/{comment.id}/decision"
    done = client.post(url, json={"action": "reject", "seen_status": "pending", "label": "spam"}, headers=bearer(token))
    assert done.status_code == 200
    assert done.get_json()["to_status"] == "rejected" and done.get_json()["moderator"] == moderator.email
    late = client.post(url, json={"action": "approve", "seen_status": "pending"}, headers=bearer(other))
    assert late.status_code == 409
    assert late.get_json()["current_status"] == "rejected" and late.get_json()["decided_by"] == moderator.email
    db.session.refresh(comment)
    assert comment.status == Status.REJECTED
    history = client.get(f"/api/moderation/comments/{comment.id}/history", headers=bearer(other)).get_json()
    assert [(d["action"], d["label"], d["moderator"]) for d in history["decisions"]] == [
        ("reject", "spam", moderator.email)]
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 1


def test_bad_decisions_are_4xx(client: FlaskClient, article: Article, moderator: Moderator) -> None:
    token = create_token(moderator, "cms")[1]
    comment = held(client, article, "buynow cheap")
    url = f"/api/moderation/comments/{comment.id}/decision"
    for body, code in [({"action": "delete", "seen_status": "pending"}, 400),
                       ({"action": "approve", "seen_status": "gone"}, 400),
                       ({"action": "reject", "seen_status": "pending", "label": "rude"}, 400),
                       (["approve"], 400),
                       ({"action": ["approve"], "seen_status": "pending"}, 400),  # unhashable: once a 500
                       ({"action": "approve", "seen_status": {}}, 400),
                       ({"action": "reject", "seen_status": "pending", "label": ["spam"]}, 400)]:
        response = client.post(url, json=body, headers=bearer(token))
        assert response.status_code == code and response.get_json()["error"]
    assert client.post(url, data="action=approve", headers=bearer(token)).status_code == 415
    missing = client.post("/api/moderation/comments/999/decision", json={"action": "approve", "seen_status": "pending"},
                          headers=bearer(token))
    assert missing.status_code == 404
    assert client.get("/api/moderation/comments/999/history", headers=bearer(token)).status_code == 404


def test_tokens_are_required_and_die_with_revocation_or_the_account(client: FlaskClient, moderator: Moderator) -> None:
    row, token = create_token(moderator, "cms")
    for headers in ({}, bearer("mod_wrong"), {"Authorization": f"Basic {token}"}):
        response = client.get("/api/moderation/queue", headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 200
    moderator.active = False
    db.session.commit()
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 401
    moderator.active = True
    moderator.must_change_password = True  # an admin reset the password
    db.session.commit()
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 401
    moderator.must_change_password = False
    db.session.commit()
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 200
    row.revoked_at = row.created_at
    db.session.commit()
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 401
    assert token not in (row.token_hash, row.hint)


def test_tokens_page_creates_shows_once_and_revokes_only_own(app: Flask, client: FlaskClient,
                                                             moderator: Moderator) -> None:
    others = create_token(make_moderator("other@example.org"), "theirs")[0]
    login(client, moderator.email)
    page = client.post("/moderation/tokens", data={"name": "CMS plugin", "csrf_token": csrf_token(client, "/moderation/tokens")})
    html = page.get_data(as_text=True)
    token = html.split('<code class="api-token">')[1].split("<")[0]
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 200
    listing = client.get("/moderation/tokens").get_data(as_text=True)
    assert token not in listing and "CMS plugin" in listing and "theirs" not in listing
    assert client.post("/moderation/tokens", data={"name": " ", "csrf_token": csrf_token(client, "/moderation/tokens")}).status_code == 400
    assert client.post(f"/moderation/tokens/{others.id}/revoke",
                       data={"csrf_token": csrf_token(client, "/moderation/tokens")}).status_code == 404
    mine = db.session.scalar(sa.select(ModeratorToken).where(ModeratorToken.name == "CMS plugin"))
    assert client.post(f"/moderation/tokens/{mine.id}/revoke").status_code == 400  # no CSRF token
    client.post(f"/moderation/tokens/{mine.id}/revoke", data={"csrf_token": csrf_token(client, "/moderation/tokens")})
    assert client.get("/api/moderation/queue", headers=bearer(token)).status_code == 401
