"""After the response: a new comment's work that does not change what its reader sees.

The reader waits only for what decides their answer: validation, screening,
routing and one short write (:mod:`.submit`). The rest runs after the response
has been sent: the comment's near-duplicate signature and band keys, then
whatever listens to :data:`following_up` (the model in shadow). The work is
recorded in the comment's own transaction as a ``FollowUp`` row, so a worker
killed between the commit and the follow-up loses nothing: the sweep finishes
what was left, at each worker's first request and every
``FOLLOW_UP_SWEEP_SECONDS`` after (``flask follow-ups sweep`` does it by hand).
Until its follow-up has run, a comment stands alone in the queue: grouping goes
by a signature it does not have yet.

Each follow-up runs once. Its row is claimed by deleting it in the
transaction that does the work: on PostgreSQL the row is first locked with
``FOR UPDATE SKIP LOCKED``, so a second server sweeping at the same moment
skips it instead of waiting; on SQLite the delete takes the write lock, in
turn with the posts. A failure rolls the claim back and counts an attempt.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import timedelta
from functools import partial

import click
import sqlalchemy as sa
from blinker import Namespace
from flask import Flask, Response, after_this_request, current_app, has_request_context

from ..extensions import db
from ..models import Comment, FollowUp, utcnow
from . import similarity
from .policy import Signals
from .writes import writes_in_turn

log = logging.getLogger(__name__)

#: Sent in a new comment's follow-up transaction, with ``comment`` and, when a model was in shadow as it
#: came in, the ``signals`` its routing had. Listeners add to the session and never raise; the caller commits.
following_up = Namespace().signal("comment-following-up")

#: Rows claimed by one sweep transaction.
SWEEP_BATCH = 50
_STATE = "moderation.follow_ups"


def record(comment_id: int, signals: Signals | None) -> None:
    """Note a stored comment's follow-up in its own transaction (the caller commits)."""
    db.session.execute(_RECORD, {"comment_id": comment_id, "created_at": utcnow(), "attempts": 0,
                                 "signals": dataclasses.asdict(signals) if signals else None})


#: Core: nothing reads the row back, and the submit path pays for every statement it builds.
_RECORD = sa.insert(FollowUp.__table__)


def after_response(comment_id: int) -> None:
    """Run a comment's follow-up once the response has been sent; at once when there is no request."""
    task = partial(_run_guarded, current_app._get_current_object(), [comment_id])
    if not has_request_context():
        task()
        return

    @after_this_request
    def when_sent(response: Response) -> Response:
        response.call_on_close(task)
        return response


def run(comment_ids: list[int]) -> int:
    """Do the follow-ups of these comments that are still to do and held by no one else; returns how many.

    The near-duplicate lookups read before the claim, so on SQLite the write
    lock is held only for the claim, the inserts and the commit.
    """
    comments = db.session.scalars(sa.select(Comment).where(Comment.id.in_(comment_ids)).order_by(Comment.id)).all()
    first = {comments[0].id: similarity.near(comments[0].text)} if comments else {}
    with writes_in_turn():
        _unhurried()
        claimed: dict[int, dict | None] = {cid: signals for cid, signals in db.session.execute(_claim(comment_ids))}
        for comment in comments:
            if comment.id not in claimed:
                continue
            # The rest of a batch look after the earlier ones are indexed: copies of one wave join one group.
            found = first[comment.id] if comment.id in first else similarity.near(comment.text)
            similarity.index(comment, found)
            signals = claimed[comment.id]
            following_up.send(current_app._get_current_object(), comment=comment,
                              signals=Signals(**signals) if signals else None)
        db.session.commit()
    return len(claimed)


def _unhurried() -> None:
    """On PostgreSQL, commit this transaction without waiting for its WAL flush.

    Safe because a follow-up is done again if lost: a crash can only lose the
    newest commits, whole, and then the follow-up row is back for the sweep.
    Spares each post a second disk flush (the comment's own commit keeps its
    flush: the reader has been told it is saved).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))


def _claim(comment_ids: list[int]) -> sa.Delete:
    free = (sa.select(FollowUp.comment_id).where(FollowUp.comment_id.in_(comment_ids))
            .with_for_update(skip_locked=True))  # SQLite ignores it: the DELETE's write lock is the claim there
    return sa.delete(FollowUp).where(FollowUp.comment_id.in_(free)).returning(FollowUp.comment_id, FollowUp.signals)


def sweep(older_than: timedelta) -> int:
    """Finish every follow-up left for longer than ``older_than`` (a killed worker's); returns how many ran.

    A follow-up that keeps failing is tried ``FOLLOW_UP_MAX_ATTEMPTS`` times,
    then left and logged: its comment stays ungrouped, nothing else is lost.
    """
    done, after = 0, 0
    while True:
        ids = list(db.session.scalars(
            sa.select(FollowUp.comment_id)
            .where(FollowUp.created_at <= utcnow() - older_than, FollowUp.comment_id > after,
                   FollowUp.attempts < current_app.config["FOLLOW_UP_MAX_ATTEMPTS"])
            .order_by(FollowUp.comment_id).limit(SWEEP_BATCH)))
        if not ids:
            return done
        done += _run_counting_failures(ids)
        after = ids[-1]


def _run_counting_failures(ids: list[int]) -> int:
    try:
        return run(ids)
    except Exception:
        db.session.rollback()
        log.exception("follow-ups of comments %s failed; trying them one by one", ids)
    done = 0
    for comment_id in ids:
        try:
            done += run([comment_id])
        except Exception:
            db.session.rollback()
            log.exception("follow-up of comment %s failed", comment_id)
            with writes_in_turn():
                db.session.execute(sa.update(FollowUp).where(FollowUp.comment_id == comment_id)
                                   .values(attempts=FollowUp.attempts + 1))
                db.session.commit()
    return done


def _run_guarded(app: Flask, comment_ids: list[int]) -> None:
    """After the response the request's context is gone: a fresh app context, and nothing raised to the server."""
    with app.app_context():
        _run_counting_failures(comment_ids)


class _Sweeps:
    """When this process last swept: -inf at start, so a worker's first request sweeps."""

    def __init__(self) -> None:
        self.last = float("-inf")
        self.lock = threading.Lock()

    def due(self, every: float) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.last < every:
                return False
            self.last = now
            return True


def sweep_when_due(response: Response) -> Response:
    """After a request, now and then, sweep what a killed worker left, once the response is sent."""
    app = current_app._get_current_object()
    if app.extensions[_STATE].due(app.config["FOLLOW_UP_SWEEP_SECONDS"]):
        response.call_on_close(partial(_sweep_guarded, app))
    return response


def _sweep_guarded(app: Flask) -> None:
    with app.app_context():
        try:
            sweep(timedelta(seconds=app.config["FOLLOW_UP_GRACE_SECONDS"]))
        except Exception:
            db.session.rollback()
            log.exception("sweeping follow-ups failed")


def init_app(app: Flask) -> None:
    app.extensions[_STATE] = _Sweeps()
    app.after_request(sweep_when_due)

    @app.cli.group("follow-ups")
    def follow_ups() -> None:
        """New comments' work after the response (near-duplicate grouping, shadow scoring)."""

    @follow_ups.command("sweep")
    def sweep_command() -> None:
        """Finish every follow-up left to do now, whatever its age."""
        click.echo(f"{sweep(timedelta(0))} follow-ups done, "
                   f"{db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp))} left")
