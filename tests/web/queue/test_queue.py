"""The moderator queue: what it shows, each action, bulk actions, conflicts, filters and sorts."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Ban, Comment, Decision, Moderator, Status
from moderation.queue.decisions import decide
from tests.conftest import csrf_token, login, make_moderator, post_comment


def seed(client: FlaskClient, article: Article) -> dict[str, Comment]:
    texts = {"clean": "Fair and balanced report.", "held": "You idiot, that is wrong.",
             "maybe": "buynow offers here", "spam": "spamword casino bonus"}
    for n, text in enumerate(texts.values()):
        post_comment(client, article, comment=text, email=f"r{n}@example.org")
    by_text = {c.text: c for c in db.session.scalars(sa.select(Comment))}
    return {k: by_text[v] for k, v in texts.items()}


def act(client: FlaskClient, comment: Comment, action: str, seen: str | None = None, **extra: str):
    token = csrf_token(client, "/moderation/")
    data = {"action": action, "seen_status": seen or comment.status.value, "csrf_token": token, **extra}
    return client.post(f"/moderation/comments/{comment.id}/decide?tab=all", data=data, follow_redirects=True)


def test_tabs_counts_and_item_details(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    counts = dict(re.findall(r'>\s*(\w+) <span class="count">(\d+)</span>', html))
    assert counts == {"Pending": "2", "Reported": "0", "Spam": "1", "Rejected": "0", "Approved": "1", "All": "4"}
    assert "You <mark>idiot</mark>, that is wrong." in html and "Fair and balanced" not in html
    assert "r1@example.org" in html and "toxic 0.70" in html and "toxic score 0.70 is at or above 0.50" in html
    assert "<mark>idiot</mark>" in html
    assert f'value="{items["held"].id}:pending"' in html  # bulk checkbox carries the seen status


def test_approve_publishes_on_the_article(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    login(client, moderator.email)
    response = act(client, items["held"], "approve")
    assert f"Comment #{items['held'].id}: approve done." in response.get_data(as_text=True)
    assert "You idiot, that is wrong." in app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    d = db.session.scalar(sa.select(Decision))
    assert (d.action, d.from_status, d.to_status, d.label, d.model_version) == (
        "approve", Status.PENDING, Status.PUBLISHED, "ok", "stub-1")
    assert d.moderator_id == moderator.id and d.scores == {"spam": 0.05, "toxic": 0.7}


def test_reject_defaults_to_the_higher_score_and_accepts_a_choice(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert re.search(r'<option value="toxic" selected>as toxic</option>', html)
    act(client, items["held"], "reject")
    act(client, items["maybe"], "reject", label="toxic")
    labels = dict(db.session.execute(sa.select(Decision.comment_id, Decision.label)).all())
    assert labels == {items["held"].id: "toxic", items["maybe"].id: "toxic"}
    act(client, items["clean"], "spam")
    act(client, items["spam"], "pending")
    statuses = {c.text: c.status for c in db.session.scalars(sa.select(Comment))}
    assert statuses[items["clean"].text] == Status.SPAM and statuses[items["spam"].text] == Status.PENDING
    assert db.session.scalar(sa.select(Decision.label).where(Decision.action == "pending")) is None


def test_second_moderator_gets_a_notice_not_an_overwrite(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    other = make_moderator("other@example.org")
    decide(items["held"].id, "reject", other, seen_status=Status.PENDING)
    login(client, moderator.email)
    html = act(client, items["held"], "approve", seen="pending").get_data(as_text=True)
    assert f"Comment #{items['held'].id} was already moved to rejected by other@example.org" in html
    db.session.expire_all()
    assert db.session.get(Comment, items["held"].id).status == Status.REJECTED
    assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 1


def test_bulk_actions(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    login(client, moderator.email)
    token = csrf_token(client, "/moderation/")
    chosen = [f"{items[k].id}:pending" for k in ("held", "maybe")]
    html = client.post("/moderation/bulk?tab=pending", data={"action": "approve", "items": chosen, "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "approve: 2 comments done." in html
    db.session.expire_all()
    assert {db.session.get(Comment, items[k].id).status for k in ("held", "maybe")} == {Status.PUBLISHED}


def test_actions_need_csrf(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    login(client, moderator.email)
    response = client.post(f"/moderation/comments/{items['held'].id}/decide",
                           data={"action": "approve", "seen_status": "pending"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Comment, items["held"].id).status == Status.PENDING


def test_filters_sorts_and_pages(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    seed(app.test_client(), article)
    login(client, moderator.email)
    by_risk = client.get("/moderation/?tab=all").get_data(as_text=True)
    assert by_risk.index("casino bonus") < by_risk.index("that is wrong") < by_risk.index("buynow") < by_risk.index("Fair and")
    by_uncertainty = client.get("/moderation/?tab=all&sort=uncertainty").get_data(as_text=True)
    assert by_uncertainty.index("buynow") < by_uncertainty.index("that is wrong")  # 0.6 is nearer 0.5 than 0.7
    oldest = client.get("/moderation/?tab=all&sort=oldest").get_data(as_text=True)
    assert oldest.index("Fair and") < oldest.index("casino bonus")
    only = client.get("/moderation/?tab=all&author=r1@").get_data(as_text=True)
    assert "that is wrong" in only and "buynow" not in only
    other = Article(slug="other", title="Other story", body="x")
    db.session.add(other)
    db.session.commit()
    assert "Nothing here." in client.get(f"/moderation/?tab=all&article={other.id}").get_data(as_text=True)
    import moderation.queue.listing as q
    q.PER_PAGE, saved = 2, q.PER_PAGE
    try:
        page2 = client.get("/moderation/?tab=all&page=2").get_data(as_text=True)
        assert "Page 2 of 2" in page2 and "Fair and" in page2 and "spamword" not in page2
    finally:
        q.PER_PAGE = saved


def test_highlighting_escapes_the_comment(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    post_comment(app.test_client(), article, comment="<script>alert(1)</script> idiot <b>bold</b>")
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>idiot</mark> &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html


def test_repeat_spammer_can_be_banned(app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    reader = app.test_client()
    for n in range(4):
        post_comment(reader, article, comment=f"buynow round {n}", email="pest@example.org")
    pending = list(db.session.scalars(sa.select(Comment)))
    for c in pending[:3]:
        decide(c.id, "spam", moderator, seen_status=Status.PENDING)
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "Ban email" in html
    token = csrf_token(client, "/moderation/")
    client.post(f"/moderation/comments/{pending[3].id}/ban", data={"kind": "email", "csrf_token": token})
    assert db.session.scalar(sa.select(Ban.value)) == "pest@example.org"
    post_comment(reader, article, comment="A perfectly nice comment.", email="pest@example.org")
    newest = db.session.scalars(sa.select(Comment).order_by(Comment.id.desc())).first()
    assert (newest.status, newest.route_rule) == (Status.SPAM, "rule.banned")


def test_a_held_reply_shows_the_comment_it_answers(app: Flask, client: FlaskClient, article: Article,
                                                    moderator: Moderator) -> None:
    items = seed(app.test_client(), article)
    post_comment(app.test_client(), article, comment="You idiot, read it again.", email="reply@example.org",
                 comment_parent=str(items["clean"].id))
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert html.count('<blockquote class="parent">') == 1
    assert "In reply to <b>" in html and "Fair and balanced report." in html
