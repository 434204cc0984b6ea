"""Authors edit or delete their own comment within the window: re-screened like a new comment, recorded for
moderators, refused after the window or from another browser, deleted with a placeholder when it has replies."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.comments.similarity import near
from moderation.extensions import db
from moderation.models import Article, Comment, CommentEdit, CommentSignature, Moderator, Status
from tests.conftest import csrf_token, login, post_comment

HARMLESS = "What a sensible plan for the harbour, well explained and well costed."


def posted(client: FlaskClient, article: Article, text: str = HARMLESS, **fields: str) -> Comment:
    post_comment(client, article, comment=text, **fields)
    comment = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert comment is not None
    return comment


def edit(client: FlaskClient, article: Article, comment: Comment, text: str):
    url = f"/articles/{article.slug}/comments/{comment.id}/edit"
    return client.post(url, data={"comment": text, "csrf_token": csrf_token(client, f"/articles/{article.slug}")})


def test_the_author_edits_and_the_edit_is_screened_again(app: Flask, client: FlaskClient, article: Article) -> None:
    comment = posted(client, article)
    assert comment.status == Status.PUBLISHED
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert f"/comments/{comment.id}/edit" in page and f"/comments/{comment.id}/delete" in page
    assert f"/comments/{comment.id}/edit" not in app.test_client().get(f"/articles/{article.slug}").get_data(
        as_text=True)  # the links are the author's alone, never in the copy others get

    response = edit(client, article, comment, HARMLESS + " Cheap pills at spamword.example!")
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.status == Status.SPAM and comment.routed_status == Status.SPAM
    assert comment.route_rule == "threshold.spam.high" and comment.edited_at is not None
    change = db.session.scalar(sa.select(CommentEdit))
    assert (change.action, change.text_before, change.status_before, change.status_after) == (
        "edit", HARMLESS, Status.PUBLISHED, Status.SPAM)
    others = app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "spamword" not in others and HARMLESS not in others  # not published, and the old text is gone


def test_bait_and_switch_goes_to_the_queue_with_its_history(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator, admin: Moderator) -> None:
    comment = posted(client, article)
    edit(client, article, comment, "Visit http://a.example http://b.example http://c.example now")
    db.session.refresh(comment)
    assert comment.status == Status.PENDING and comment.route_rule == "rule.links"
    desk = app.test_client()
    login(desk, moderator.email)
    queue = desk.get("/moderation/").get_data(as_text=True)
    assert 'class="badge badge-edited">edited<' in queue and "Edited by its author: earlier text" in queue
    assert HARMLESS in queue
    boss = app.test_client()
    login(boss, admin.email)
    audit = boss.get("/admin/audit").get_data(as_text=True)
    assert "Edits and deletions by authors" in audit and "published → pending" in audit


def test_an_edit_moves_the_near_duplicate_signature_and_the_thread(
        app: Flask, client: FlaskClient, article: Article) -> None:
    comment = posted(client, article)
    reader = app.test_client()
    assert HARMLESS in reader.get(f"/articles/{article.slug}").get_data(as_text=True)  # kept by the thread cache
    new = "A rather different thought about the harbour budget, and about the ferry timetable too."
    edit(client, article, comment, new)
    page = reader.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert new in page and HARMLESS not in page and ">edited<" in page
    group = db.session.get(CommentSignature, comment.id).group_id
    assert group in near(new).groups  # a copy of the new text would join its group
    assert near(HARMLESS).groups == frozenset()  # the old text's signature is gone


def test_editing_after_the_window_is_refused_with_a_message(
        app: Flask, client: FlaskClient, article: Article) -> None:
    comment = posted(client, article)
    comment.created_at -= timedelta(seconds=app.config["EDIT_WINDOW_SECONDS"] + 1)
    db.session.commit()
    url = f"/articles/{article.slug}/comments/{comment.id}/edit"
    response = client.post(url, data={"comment": "Too late now.", "csrf_token": csrf_token(client, f"/articles/{article.slug}")})
    assert response.status_code == 403
    assert "15 minutes after posting, and that time is over" in response.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.text == HARMLESS


def test_another_browser_cannot_edit_or_delete(app: Flask, client: FlaskClient, article: Article) -> None:
    comment = posted(client, article)
    stranger = app.test_client()
    response = edit(stranger, article, comment, "Hijacked.")
    assert response.status_code == 403 and "from the browser that posted it" in response.get_data(as_text=True)
    forged = app.test_client()
    forged.set_cookie(f"comment_edit_{comment.id}", "not-a-real-token")
    assert edit(forged, article, comment, "Hijacked.").status_code == 403
    token = csrf_token(stranger, f"/articles/{article.slug}")
    assert stranger.post(f"/articles/{article.slug}/comments/{comment.id}/delete",
                         data={"csrf_token": token}).status_code == 403
    db.session.refresh(comment)
    assert comment.text == HARMLESS and comment.deleted_at is None


def test_a_deleted_comment_with_replies_leaves_a_placeholder(
        app: Flask, client: FlaskClient, article: Article) -> None:
    parent = posted(client, article)
    replier = app.test_client()
    post_comment(replier, article, comment="I agree with this.", email="bo@example.org",
                 comment_parent=str(parent.id))
    lonely = posted(client, article, "A second thought I regret.")
    for comment in (parent, lonely):
        url = f"/articles/{article.slug}/comments/{comment.id}/delete"
        assert "Delete it" in client.get(url).get_data(as_text=True)
        assert client.post(url, data={"csrf_token": csrf_token(client, url)}).status_code == 302
    page = app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    assert page.count("Comment deleted") == 1 and "I agree with this." in page
    assert HARMLESS not in page and "A second thought I regret." not in page
    assert f'id="comment-{parent.id}"' in page and f'id="comment-{lonely.id}"' not in page
    db.session.refresh(parent)
    assert (parent.text, parent.author, parent.deleted_at is not None) == ("", "", True)
    assert "1 thought" in page  # the count is of comments readers can read


def test_the_json_api_edits_and_deletes_with_the_edit_token(app: Flask, client: FlaskClient, article: Article) -> None:
    url = f"/api/articles/{article.slug}/comments"
    created = client.post(url, json={"comment": HARMLESS, "author": "Ann", "email": "ann@example.org"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["edit_token"] and body["edit_until"].endswith("Z")
    changed = client.put(f"{url}/{body['id']}", json={"comment": "You idiot.", "edit_token": body["edit_token"]})
    assert changed.status_code == 202 and changed.get_json()["status"] == "awaiting moderation"
    refused = client.put(f"{url}/{body['id']}", json={"comment": "Fine again.", "edit_token": "forged"})
    assert refused.status_code == 403 and "browser that posted it" in refused.get_json()["error"]
    gone = client.delete(f"{url}/{body['id']}", json={"edit_token": body["edit_token"]})
    assert gone.status_code == 200 and gone.get_json()["status"] == "deleted"
    assert client.put(f"{url}/{body['id']}", json={"comment": "Back?", "edit_token": body["edit_token"]}
                      ).status_code == 403
