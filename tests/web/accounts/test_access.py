"""Every moderation and admin URL the app has, walked from its URL map, is closed to those without the role.

Walking the map means a page added later is covered without anyone
remembering to list it here.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Decision, Moderator, Status
from tests.conftest import csrf_token, login, post_comment

ARGUMENTS = {"comment_id": 1, "job_id": 1, "article_id": 1, "ban_id": 1, "moderator_id": 1, "version": "20250101-000000-abcdef",
             "name": "roc.png"}


#: The blueprints of the admin pages (/admin/...): the Model page, the audit log, erasure, accounts.
ADMIN = ("model", "audit", "erasure", "moderators")


def urls(app: Flask, *blueprints: str) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in blueprints:
            url = rule.build({name: ARGUMENTS[name] for name in rule.arguments})[1]
            found.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return found


def test_the_walk_finds_the_pages(app: Flask) -> None:
    walked = {url for _, url in urls(app, "queue", "settings", *ADMIN)}
    assert {"/moderation/", "/moderation/bulk", "/moderation/articles", "/moderation/bans", "/admin/model",
            "/admin/audit", "/admin/retrain", "/admin/moderators"} <= walked


def test_a_reader_reaches_no_moderation_page_or_action(app: Flask, client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="Held for review buynow")
    comment = db.session.scalar(sa.select(Comment))
    assert comment is not None and comment.status == Status.PENDING
    token = csrf_token(client, f"/articles/{article.slug}")  # a valid token: only the login stands in the way
    for method, url in urls(app, "queue", "settings", *ADMIN):
        data = {"csrf_token": token, "action": "approve", "seen_status": "pending", "ids": "1"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], (method, url)
    db.session.refresh(comment)
    db.session.refresh(article)
    assert comment.status == Status.PENDING and article.comments_open
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0


def test_a_moderator_reaches_the_queue_but_no_admin_page(app: Flask, client: FlaskClient,
                                                         moderator: Moderator) -> None:
    login(client, moderator.email)
    assert client.get("/moderation/").status_code == 200
    token = csrf_token(client, "/moderation/")
    for method, url in urls(app, *ADMIN):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, url)
