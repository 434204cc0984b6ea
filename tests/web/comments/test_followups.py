"""A new comment's follow-up: after the response, recorded with the comment, finished by the sweep when left.

A reader's answer waits for validation, scoring, routing and one write; the
near-duplicate signature (and the shadow's score) come after it. These tests
leave follow-ups undone as a killed worker would (a response never sent to
its end), and check that the queue is right meanwhile and that the sweep, the
command and the periodic sweep finish them exactly once.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.comments import followups
from moderation.extensions import db
from moderation.models import Article, Comment, CommentBand, CommentSignature, FollowUp, Moderator, Status
from tests.conftest import csrf_token, login, post_comment
from tests.web.queue.test_near_duplicates import post_wave, rows, wave_text


def post_unsent(app: Flask, article: Article, text: str, email: str) -> Comment:
    """Post as a reader whose response is never sent to its end: the worker died after the commit."""
    reader = app.test_client()
    response = reader.post(f"/articles/{article.slug}/comments", buffered=False, data={
        "comment": text, "author": "Reader", "email": email, "url": "",
        "csrf_token": csrf_token(reader, f"/articles/{article.slug}")})
    assert response.status_code == 302  # the reader has their answer; the follow-up never ran
    return db.session.scalars(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).one()


def waiting() -> set[int]:
    return set(db.session.scalars(sa.select(FollowUp.comment_id)))


def group_of(comment: Comment) -> int | None:
    return db.session.scalar(sa.select(CommentSignature.group_id).where(CommentSignature.comment_id == comment.id))


def test_the_follow_up_runs_after_the_response_and_leaves_nothing(app: Flask, client: FlaskClient,
                                                                   article: Article) -> None:
    response = post_comment(client, article, comment="A thoughtful comment about the budget vote.")
    assert response.status_code == 302
    comment = db.session.scalars(sa.select(Comment)).one()
    assert group_of(comment) == comment.id  # indexed once the response was sent
    assert db.session.scalar(sa.select(sa.func.count()).where(CommentBand.comment_id == comment.id)) > 0
    assert waiting() == set()


def test_a_wave_whose_follow_ups_were_lost_is_right_in_the_queue_and_grouped_by_the_sweep(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    wave = post_wave(app, article, 5)
    lost = [post_unsent(app, article, wave_text(100 + n), f"late{n}@example.org") for n in range(3)]
    assert waiting() == {c.id for c in lost}
    assert all(c.status == Status.PENDING for c in lost)  # routed and stored: only the grouping waits
    assert {group_of(c) for c in lost} == {None}

    login(client, moderator.email)
    html = client.get("/moderation/").get_data(as_text=True)
    # Each ungrouped copy is its own row until the sweep: shown, never hidden inside a group it has not joined.
    assert set(rows(html)) == {str(wave[0].id), *(str(c.id) for c in lost)}
    assert "and 4 similar" in html

    assert followups.sweep(timedelta(0)) == 3
    assert waiting() == set()
    assert {group_of(c) for c in lost} == {wave[0].id}
    html = client.get("/moderation/").get_data(as_text=True)
    assert rows(html) == [str(wave[0].id)] and "and 7 similar" in html
    assert followups.sweep(timedelta(0)) == 0  # done once


def test_the_sweep_leaves_young_follow_ups_to_the_worker_running_them(app: Flask, article: Article) -> None:
    comment = post_unsent(app, article, "A comment whose worker is still busy with it.", "busy@example.org")
    assert followups.sweep(timedelta(seconds=30)) == 0
    assert waiting() == {comment.id}
    assert followups.sweep(timedelta(0)) == 1


def test_a_worker_sweeps_at_its_first_request_and_then_at_most_every_few_minutes(
        tmp_path, app: Flask, article: Article) -> None:
    left = post_unsent(app, article, "Left behind by a worker that was killed.", "left@example.org")
    app.config["FOLLOW_UP_GRACE_SECONDS"] = 0
    restarted = app.test_client()
    app.extensions["moderation.follow_ups"] = followups._Sweeps()  # a new worker process
    restarted.get("/")
    assert waiting() == set() and group_of(left) == left.id

    again = post_unsent(app, article, "Left behind a second time, a moment later.", "again@example.org")
    restarted.get("/")
    assert waiting() == {again.id}  # swept a moment ago: not before FOLLOW_UP_SWEEP_SECONDS
    app.config["FOLLOW_UP_SWEEP_SECONDS"] = 0
    restarted.get("/")
    assert waiting() == set()


def test_the_command_finishes_every_follow_up(app: Flask, article: Article) -> None:
    for n in range(3):
        post_unsent(app, article, f"Comment number {n} that nobody followed up.", f"c{n}@example.org")
    result = app.test_cli_runner().invoke(args=["follow-ups", "sweep"])
    assert result.exit_code == 0 and "3 follow-ups done, 0 left" in result.output
    assert waiting() == set()


def test_a_follow_up_that_keeps_failing_is_tried_a_few_times_then_left(
        app: Flask, article: Article, monkeypatch: pytest.MonkeyPatch) -> None:
    comment = post_unsent(app, article, "A comment whose grouping fails.", "fails@example.org")
    fine = post_unsent(app, article, "A comment whose grouping works.", "fine@example.org")

    def broken_near(text: str):
        if "fails" in text:
            raise RuntimeError("index unavailable")
        return real_near(text)

    real_near = followups.similarity.near
    monkeypatch.setattr(followups.similarity, "near", broken_near)
    for _ in range(app.config["FOLLOW_UP_MAX_ATTEMPTS"] + 2):
        followups.sweep(timedelta(0))
    assert waiting() == {comment.id} and group_of(fine) == fine.id  # one failure does not hold up the others
    assert db.session.get(FollowUp, comment.id).attempts == app.config["FOLLOW_UP_MAX_ATTEMPTS"]
    assert db.session.get(Comment, comment.id).status == Status.PUBLISHED  # the comment itself is untouched


def test_two_sweeps_at_once_run_each_follow_up_once(app: Flask, article: Article) -> None:
    lost = [post_unsent(app, article, f"Unrelated comment {n}: " + "abcdefghij"[n] * 60, f"u{n}@example.org")
            for n in range(8)]
    done: list[int] = []

    def sweeper() -> None:
        with app.app_context():
            done.append(followups.sweep(timedelta(0)))

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) == len(lost)
    assert waiting() == set()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentSignature)) == len(lost)


def test_an_edit_groups_the_new_text_after_the_response(app: Flask, client: FlaskClient, article: Article) -> None:
    post_wave(app, article, 3)
    assert post_comment(client, article, comment="Congratulations to the team on the cup final.").status_code == 302
    mine = db.session.scalars(sa.select(Comment).order_by(Comment.id.desc()).limit(1)).one()
    url = f"/articles/{article.slug}/comments/{mine.id}/edit"
    response = client.post(url, data={"comment": wave_text(7), "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    first = db.session.scalars(sa.select(Comment).order_by(Comment.id)).first()
    assert group_of(mine) == first.id and waiting() == set()


def test_a_wave_stores_each_band_key_once_for_its_group(app: Flask, client: FlaskClient, article: Article) -> None:
    """Copies that join a group add only the keys it lacks: a long wave costs each new copy what a short one did."""
    first = post_comment(client, article, comment="Exactly the same words posted again and again by one bot here.",
                         email="bot@example.org")
    assert first.status_code == 302
    copies = [post_comment(app.test_client(), article, comment="Exactly the same words posted again and again "
                           "by one bot here.", email=f"bot{n}@example.org") for n in range(5)]
    assert {response.status_code for response in copies} == {302}
    comments = list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))
    assert {group_of(c) for c in comments} == {comments[0].id}
    keyed = db.session.execute(sa.select(CommentBand.comment_id, sa.func.count()).group_by(CommentBand.comment_id))
    assert {comment_id: count for comment_id, count in keyed} == {
        comments[0].id: db.session.scalar(sa.select(sa.func.count()).select_from(CommentBand))}

    edited = wave_text(1)
    for n, text in enumerate([wave_text(0), edited]):
        post_comment(app.test_client(), article, comment=text, email=f"w{n}@example.org")
    first_ad, edit = db.session.scalars(sa.select(Comment).where(Comment.text.like("%replica%")).order_by(Comment.id))
    assert group_of(edit) == group_of(first_ad) == first_ad.id
    own = set(db.session.scalars(sa.select(CommentBand.key).where(CommentBand.comment_id == edit.id)))
    earlier = set(db.session.scalars(sa.select(CommentBand.key).where(CommentBand.comment_id == first_ad.id)))
    assert own and not own & earlier  # the edit keeps only the keys its group did not have yet
