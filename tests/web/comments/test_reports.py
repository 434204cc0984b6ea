"""Readers report comments: the form without JavaScript, one report per reader, hiding, back to Pending,
the Reported tab's decisions, brigades counting once, and report labels reaching training with their weights."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Decision, Moderator, Report, Role, Status
from moderation.queue.decisions import decide, decisions_dataset
from tests.conftest import csrf_token, login, make_moderator, post_comment

THANKS = "Thanks, a moderator will look at it."


def published(app: Flask, article: Article, text: str = "A calm and reasonable comment.",
              email: str = "author@example.org") -> Comment:
    post_comment(app.test_client(), article, comment=text, email=email)
    comment = db.session.scalar(sa.select(Comment).where(Comment.text == text))
    assert comment is not None and comment.status == Status.PUBLISHED
    return comment


def reader(app: Flask, ip: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def report(client: FlaskClient, article: Article, comment: Comment, reason: str = "abusive", note: str = "",
           **headers: str):
    url = f"/articles/{article.slug}/comments/{comment.id}/report"
    token = csrf_token(client, url)
    return client.post(url, data={"reason": reason, "note": note, "csrf_token": token}, headers=headers)


def reports_on(comment: Comment) -> list[Report]:
    return list(db.session.scalars(sa.select(Report).where(Report.comment_id == comment.id)))


def test_a_reader_reports_without_javascript_and_sees_thanks_without_a_count(
        app: Flask, article: Article) -> None:
    comment = published(app, article)
    client = reader(app, "198.51.100.7")
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert f'href="/articles/{article.slug}/comments/{comment.id}/report"' in page
    form = client.get(f"/articles/{article.slug}/comments/{comment.id}/report").get_data(as_text=True)
    assert "Abusive or hateful" in form and "A calm and reasonable comment." in form
    response = report(client, article, comment, "abusive", "Insults the previous writer")
    assert response.status_code == 302 and response.location.endswith(f"#comment-{comment.id}")
    landing = client.get(response.location).get_data(as_text=True)
    assert THANKS in landing and "report" not in landing.split(THANKS)[1][:50].lower()
    [stored] = reports_on(comment)
    assert (stored.reason, stored.note, stored.state) == ("abusive", "Insults the previous writer", "open")
    assert "reader" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


def test_a_report_needs_a_reason_a_note_for_other_and_the_form_token(app: Flask, article: Article) -> None:
    comment = published(app, article)
    client = reader(app, "198.51.100.7")
    missing = report(client, article, comment, reason="")
    assert missing.status_code == 400 and "Please choose why" in missing.get_data(as_text=True)
    other = report(client, article, comment, reason="other", note="  ")
    assert other.status_code == 400 and "Please say in a few words" in other.get_data(as_text=True)
    forged = client.post(f"/articles/{article.slug}/comments/{comment.id}/report", data={"reason": "spam"})
    assert forged.status_code == 400 and "expired" in forged.get_data(as_text=True)
    assert reports_on(comment) == []


def test_one_report_per_comment_per_reader(app: Flask, article: Article) -> None:
    comment = published(app, article)
    browser = reader(app, "198.51.100.7")
    assert report(browser, article, comment).status_code == 302
    again = report(browser, article, comment, "spam")  # same cookie, even from another address
    assert again.status_code == 302 and THANKS in browser.get(again.location).get_data(as_text=True)
    cookieless = reader(app, "198.51.100.7")  # no cookie: told apart by the IP hash
    assert report(cookieless, article, comment).status_code == 302
    assert len(reports_on(comment)) == 1


def test_reports_from_three_networks_hide_the_comment_until_a_moderator_keeps_it(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    comment = published(app, article)
    for ip in ("198.51.100.7", "203.0.113.9"):
        report(reader(app, ip), article, comment)
    assert "A calm and reasonable comment." in app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)
    report(reader(app, "192.0.2.44"), article, comment, "other", "Off the wall")
    db.session.refresh(comment)
    assert comment.hidden_at is not None and comment.status == Status.PUBLISHED
    assert "A calm and reasonable comment." not in app.test_client().get(f"/articles/{article.slug}").get_data(
        as_text=True)

    login(client, moderator.email)
    tab = client.get("/moderation/?tab=reported").get_data(as_text=True)
    assert "hidden from readers" in tab and "Reported by 3 readers" in tab and "Off the wall" in tab
    assert re.search(r'Reported <span class="count">1</span>', tab)
    token = csrf_token(client, "/moderation/?tab=reported")
    kept = client.post(f"/moderation/comments/{comment.id}/decide?tab=reported",
                       data={"action": "approve", "seen_status": "published", "csrf_token": token},
                       follow_redirects=True)
    assert f"Comment #{comment.id}: approve done." in kept.get_data(as_text=True)
    db.session.expire_all()
    assert comment.hidden_at is None and {r.state for r in reports_on(comment)} == {"dismissed"}
    decision = db.session.scalar(sa.select(Decision).where(Decision.comment_id == comment.id))
    assert (decision.from_status, decision.to_status, decision.label) == (Status.PUBLISHED, Status.PUBLISHED, "ok")
    assert all(r.decision_id == decision.id for r in reports_on(comment))
    assert "A calm and reasonable comment." in app.test_client().get(f"/articles/{article.slug}").get_data(as_text=True)


def test_one_report_past_the_note_point_sends_the_comment_back_to_pending(app: Flask, article: Article) -> None:
    comment = published(app, article)
    comment.scores = {"spam": 0.05, "toxic": 0.3}  # toxic review 0.5: the note point is 0.25 by default
    db.session.commit()
    report(reader(app, "198.51.100.7"), article, comment)
    db.session.refresh(comment)
    assert comment.status == Status.PENDING and comment.hidden_at is None
    assert "A calm and reasonable comment." not in app.test_client().get(f"/articles/{article.slug}").get_data(
        as_text=True)
    below = published(app, article, "Another calm comment, scored low.", "b@example.org")
    report(reader(app, "198.51.100.7"), article, below)
    db.session.refresh(below)
    assert below.status == Status.PUBLISHED


def test_upholding_from_the_reported_tab_rejects_it_and_settles_the_reports(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    comment = published(app, article)
    report(reader(app, "198.51.100.7"), article, comment)
    login(client, moderator.email)
    token = csrf_token(client, "/moderation/?tab=reported")
    client.post(f"/moderation/comments/{comment.id}/decide?tab=reported",
                data={"action": "reject", "seen_status": "published", "label": "toxic", "csrf_token": token})
    db.session.expire_all()
    assert comment.status == Status.REJECTED and [r.state for r in reports_on(comment)] == ["upheld"]
    assert "Nothing here" in client.get("/moderation/?tab=reported").get_data(as_text=True)
    boss = app.test_client()
    login(boss, make_moderator("boss@example.org", Role.ADMIN).email)
    assert "published → rejected" in boss.get("/admin/audit").get_data(as_text=True)


def test_the_reported_tab_orders_by_reports_reasons_and_score(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    offtopic = published(app, article, "About the weather instead.", "w@example.org")
    abusive = published(app, article, "Rude words for the author.", "r@example.org")
    report(reader(app, "198.51.100.7"), article, offtopic, "offtopic")
    report(reader(app, "198.51.100.7"), article, abusive, "abusive")
    report(reader(app, "203.0.113.9"), article, abusive, "abusive")
    login(client, moderator.email)
    html = client.get("/moderation/?tab=reported").get_data(as_text=True)
    assert html.index(f'id="item-{abusive.id}"') < html.index(f'id="item-{offtopic.id}"')


@pytest.mark.parametrize("ips", [["198.51.100.7"] * 20, [f"198.51.100.{n}" for n in range(1, 21)]],
                         ids=["one IP hash", "one /24"])
def test_a_brigade_counts_once_and_labels_reach_training_with_their_weights(
        app: Flask, article: Article, moderator: Moderator, ips: list[str]) -> None:
    brigaded = published(app, article, "An unpopular but fair opinion.", "u@example.org")
    spread = published(app, article, "Something genuinely nasty.", "n@example.org")
    decoy = published(app, article, "A decoy everyone reports first.", "d@example.org")
    browsers = [reader(app, ip) for ip in ips]
    for browser in browsers:
        report(browser, article, decoy, "spam")  # each browser gets its reader cookie here (the decoy stays open)
        report(browser, article, brigaded, "abusive")
    db.session.refresh(brigaded)
    assert len(reports_on(brigaded)) == 20
    assert brigaded.hidden_at is None  # twenty reports from one place are one reporter, not three
    for ip in ("203.0.113.9", "192.0.2.44", "100.64.7.1"):
        report(reader(app, ip), article, spread, "abusive")

    kept = published(app, article, "A fine comment one reader disliked.", "k@example.org")
    report(reader(app, "100.64.9.9"), article, kept, "offtopic")

    decide(brigaded.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    decide(spread.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    decide(kept.id, "approve", moderator, seen_status=Status.PUBLISHED)
    examples = {e.text: e for e in decisions_dataset("").examples}
    weight, per_reader = app.config["DECISION_WEIGHT"], app.config["REPORT_LABEL_WEIGHT"]
    assert examples["An unpopular but fair opinion."].source == "reports"
    assert examples["An unpopular but fair opinion."].weight == pytest.approx(weight + per_reader * 1)
    assert examples["Something genuinely nasty."].weight == pytest.approx(weight + per_reader * 3)
    assert examples["Something genuinely nasty."].labels == {"spam": False, "toxic": True}
    # A dismissed report is a label that the comment is fine, weighed as the moderator's decision alone.
    assert examples["A fine comment one reader disliked."].source == "reports"
    assert examples["A fine comment one reader disliked."].labels == {"spam": False, "toxic": False}
    assert examples["A fine comment one reader disliked."].weight == pytest.approx(weight)


def test_a_reporter_whose_reports_keep_being_dismissed_counts_for_less(
        app: Flask, article: Article, moderator: Moderator) -> None:
    nagger = reader(app, "198.51.100.7")
    for n in range(3):
        fine = published(app, article, f"Perfectly fine comment number {n}.", f"f{n}@example.org")
        report(nagger, article, fine, "abusive")
        decide(fine.id, "approve", moderator, seen_status=Status.PUBLISHED)
    bad = published(app, article, "Finally a bad one.", "bad@example.org")
    report(nagger, article, bad, "abusive")
    decide(bad.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    example = next(e for e in decisions_dataset("").examples if e.text == "Finally a bad one.")
    assert example.weight == pytest.approx(app.config["DECISION_WEIGHT"] + app.config["REPORT_LABEL_WEIGHT"] / 4)


def test_the_json_api_takes_reports_from_the_embed(app: Flask, client: FlaskClient, article: Article) -> None:
    comment = published(app, article)
    url = f"/api/articles/{article.slug}/comments/{comment.id}/reports"
    response = client.post(url, json={"reason": "spam", "note": "Links to a shop"})
    assert response.status_code == 202 and response.get_json() == {"message": THANKS}
    assert client.post(url, json={"reason": "nonsense"}).status_code == 400
    assert client.post(url, json={"reason": ["spam"]}).status_code == 400
    assert client.post(f"/api/articles/{article.slug}/comments/999/reports", json={"reason": "spam"}).status_code == 404
    assert [r.note for r in reports_on(comment)] == ["Links to a shop"]


def test_reports_and_their_weighing_show_on_the_model_page(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator, admin: Moderator) -> None:
    comment = published(app, article)
    report(reader(app, "198.51.100.7"), article, comment)
    decide(comment.id, "reject", moderator, seen_status=Status.PUBLISHED, label="toxic")
    login(client, admin.email)
    page = client.get("/admin/model").get_data(as_text=True)
    section = page[page.index('id="reports"'):]
    assert re.search(r'class="published-then-upheld">1<', section)
    assert re.search(r"<td>toxic</td><td>1</td><td>12.0</td>", section)


def test_the_report_thresholds_and_edit_window_show_on_the_settings_page(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    login(client, moderator.email)
    page = client.get("/moderation/articles").get_data(as_text=True)
    assert 'class="hide-after">3<' in page and 'class="note-share">50%<' in page
    assert "spam 0.25, toxic 0.25" in page  # half of the stub model's review thresholds
    assert 'class="edit-window">15 minutes<' in page


def test_an_expired_form_on_a_missing_comment_is_a_404_not_a_500(client: FlaskClient, article: Article) -> None:
    for action in ("report", "edit", "delete"):
        response = client.post(f"/articles/{article.slug}/comments/999/{action}", data={"reason": "spam"})
        assert response.status_code == 404 and "no such comment" in response.get_data(as_text=True)
