"""Near-duplicate groups: a spam wave posted through the submit path is one queue row, decided at once."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, CommentSignature, Decision, Moderator, Status
from moderation.queue.decisions import decide
from moderation.queue.listing import QueueQuery, fetch
from tests.conftest import csrf_token, login, make_moderator, post_comment

CITIES = ["Leeds", "York", "Bath", "Hull", "Derby", "Ely", "Wells", "Truro", "Ripon", "Lichfield"]
UNRELATED = [
    "buynow tickets for the concert tonight: front row seats are still available at the box office.",
    "buynow I think the council should publish the full budget before the vote, not after it.",
    "buynow You are so right about this",
    "buynow You are so wrong about this",
]
RANT = ("buynow The council has wasted our money again on a bridge nobody asked for, and the mayor "
        "should resign before the next election instead of hiding behind consultants.")
T = TypeVar("T")


def wave_text(n: int) -> str:
    """The same advert with small edits: a number, a town, a word or two."""
    adjective = ["cheap", "low-cost", "discount"][n % 3]
    return (f"buynow {adjective} replica watches: the best prices online, delivered to {CITIES[n % 10]} "
            f"in {2 + n % 5} days. Visit our shop today, quality guaranteed, {100 + n} happy customers!")


def post_wave(app: Flask, article: Article, n: int = 50) -> list[Comment]:
    reader = app.test_client()
    for i in range(n):
        post_comment(reader, article, comment=wave_text(i), email=f"w{i}@example.org")
    return list(db.session.scalars(sa.select(Comment).where(Comment.text.like("%replica%")).order_by(Comment.id)))


def rows(html: str) -> list[str]:
    return re.findall(r'<li class="queue-item[^"]*" id="item-(\d+)"', html)


def group_form(html: str, comment_id: int) -> dict[str, str]:
    item = html.split(f'id="item-{comment_id}"')[1].split('<li class="queue-item')[0]
    return dict(re.findall(r'name="(group|up_to)" value="(\d+)"', item))


def test_a_wave_is_one_row_and_unrelated_comments_stay_apart(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    reader = app.test_client()
    for n, text in enumerate(UNRELATED):
        post_comment(reader, article, comment=text, email=f"u{n}@example.org")
    wave = post_wave(app, article)
    assert len(wave) == 50 and {c.status for c in wave} == {Status.PENDING}
    groups = db.session.scalars(sa.select(CommentSignature.group_id)
                                .where(CommentSignature.comment_id.in_([c.id for c in wave]))).all()
    assert set(groups) == {wave[0].id}

    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    assert len(rows(html)) == 1 + len(UNRELATED)
    assert html.count("and 49 similar") == 1 and "a decision here applies to all 50" in html
    assert "You are so right" in html and "You are so wrong" in html  # short and different: never grouped
    assert group_form(html, wave[0].id) == {"group": str(wave[0].id), "up_to": str(wave[-1].id)}
    # The All tab counts every comment, and still shows the wave as one row.
    all_tab = client.get("/moderation/?tab=all").get_data(as_text=True)
    assert len(rows(all_tab)) == 1 + len(UNRELATED) and "and 49 similar" in all_tab


def test_one_decision_covers_the_group_with_an_audit_entry_each(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    wave = post_wave(app, article)
    post_comment(app.test_client(), article, comment=UNRELATED[0], email="u@example.org")
    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    form = group_form(html, wave[0].id)
    late = post_wave(app, article, 51)[-1]  # a copy posted after the page was drawn
    response = client.post(f"/moderation/comments/{wave[0].id}/decide", follow_redirects=True, data={
        "csrf_token": csrf_token(client, "/moderation/"), "action": "spam", "seen_status": "pending", **form})
    assert f"Comment #{wave[0].id} and its near copies: spam done on 50." in response.get_data(as_text=True)
    db.session.expire_all()
    assert {c.status for c in wave} == {Status.SPAM}
    decisions = db.session.scalars(sa.select(Decision)).all()
    assert sorted(d.comment_id for d in decisions) == [c.id for c in wave]
    assert {(d.action, d.label, d.moderator_id, d.from_status) for d in decisions} == {
        ("spam", "spam", moderator.id, Status.PENDING)}
    assert db.session.get(Comment, late.id).status == Status.PENDING  # not shown, not decided
    unrelated = db.session.scalar(sa.select(Comment).where(Comment.text == UNRELATED[0]))
    assert unrelated.status == Status.PENDING


def test_a_copy_decided_meanwhile_is_left_alone_with_a_notice(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    wave = post_wave(app, article, 10)
    login(client, moderator.email)
    form = group_form(client.get("/moderation/").get_data(as_text=True), wave[0].id)
    other = make_moderator("other@example.org")
    decide(wave[3].id, "approve", other, seen_status=Status.PENDING)
    response = client.post("/moderation/bulk", follow_redirects=True, data={
        "csrf_token": csrf_token(client, "/moderation/"), "action": "reject", "label": "spam",
        "items": f"{wave[0].id}:pending:{form['group']}:{form['up_to']}"})
    html = response.get_data(as_text=True)
    assert "reject: 9 comments done." in html
    db.session.expire_all()
    assert [c.status for c in wave].count(Status.REJECTED) == 9
    assert db.session.get(Comment, wave[3].id).status == Status.PUBLISHED


def test_bad_group_fields_are_refused_without_harm(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    wave = post_wave(app, article, 5)
    login(client, moderator.email)
    token = csrf_token(client, "/moderation/")
    response = client.post(f"/moderation/comments/{wave[0].id}/decide", follow_redirects=True, data={
        "csrf_token": token, "action": "approve", "seen_status": "nonsense", "group": str(wave[0].id),
        "up_to": str(wave[-1].id)})
    assert response.status_code == 200 and "cannot take the action" in response.get_data(as_text=True)
    db.session.expire_all()
    assert {c.status for c in wave} == {Status.PENDING}


def statements_during(fn: Callable[[], T]) -> tuple[T, int]:
    executed: list[str] = []

    def count(*args: object) -> None:
        executed.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        return fn(), len(executed)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_group_rows_show_their_first_copies_with_one_query_for_the_page(
        app: Flask, article: Article, moderator: Moderator) -> None:
    wave = post_wave(app, article, 8)
    all_tab = QueueQuery(tab="all", sort="oldest")
    _, one_group = statements_during(lambda: fetch(all_tab, {}))
    for c in wave[2:5]:  # part of the wave moves to spam: the same group in two statuses, two rows
        decide(c.id, "spam", moderator, seen_status=Status.PENDING)
    reader = app.test_client()
    for n in range(5):
        post_comment(reader, article, comment=f"{RANT} Signed, resident number {n}.", email=f"r{n}@example.org")
    db.session.expire_all()
    page, three_groups = statements_during(lambda: fetch(all_tab, {}))
    members = {c.id: (g, c.status) for c, g in db.session.execute(
        sa.select(Comment, CommentSignature.group_id).join(CommentSignature, CommentSignature.comment_id == Comment.id))}
    rant = db.session.scalar(sa.select(sa.func.min(Comment.id)).where(Comment.text.like("%wasted our money%")))
    expected = {cid: [m for m in sorted(members) if members[m] == members[cid] and m != cid][:3]
                for cid in (wave[0].id, wave[2].id, rant)}
    assert {cid: [s.id for s in group.samples] for cid, group in page.groups.items()} == expected
    assert {cid: group.others for cid, group in page.groups.items()} == {wave[0].id: 4, wave[2].id: 2, rant: 4}
    assert three_groups == one_group  # the samples of every group row come from one query
