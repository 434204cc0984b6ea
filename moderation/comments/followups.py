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

#: Sent in a new comment's follow-up transaction, with ``comment_id`` and, when a model was in shadow as it
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


def after_response(comment: Comment) -> None:
    """Run a stored comment's follow-up once the response has been sent; at once when there is no request.

    The text goes along from the request: the follow-up then reads nothing back.
    """
    task = partial(_run_guarded, current_app._get_current_object(), {comment.id: comment.text})
    if not has_request_context():
        task()
        return

    @after_this_request
    def when_sent(response: Response) -> Response:
        response.call_on_close(task)
        return response


def run(texts: dict[int, str]) -> int:
    """Do the follow-ups of these comments (id: text) that are still to do and held by no one else; returns how many.

    The first near-duplicate lookup reads before the claim, so on SQLite the
    write lock is held only for the claim, the inserts and the commit. A
    comment deleted meanwhile has lost its follow-up row with it (the foreign
    key cascades) and is not claimed.
    """
    ids = sorted(texts)
    first = {ids[0]: similarity.near(texts[ids[0]])} if ids else {}
    with writes_in_turn():
        claimed: dict[int, dict | None] = {row[0]: row[1] for row in db.session.execute(_claim(), {"ids": ids})}
        for comment_id in ids:
            if comment_id not in claimed:
                continue
            # The rest of a batch look after the earlier ones are indexed: copies of one wave join one group.
            found = first[comment_id] if comment_id in first else similarity.near(texts[comment_id])
            similarity.index(comment_id, found)
            signals = claimed[comment_id]
            following_up.send(current_app._get_current_object(), comment_id=comment_id,
                              signals=Signals(**signals) if signals else None)
        db.session.commit()
    return len(claimed)


def _claim() -> sa.Delete:
    return _CLAIM_POSTGRESQL if db.session.get_bind().dialect.name == "postgresql" else _CLAIM


def _claiming() -> sa.Delete:
    """Delete the follow-up rows of ``:ids`` that no one else holds, returning what each was to do.

    PostgreSQL first locks them with ``FOR UPDATE SKIP LOCKED``; SQLite ignores
    it: the DELETE's write lock is the claim there.
    """
    free = (sa.select(FollowUp.comment_id).where(FollowUp.comment_id.in_(sa.bindparam("ids", expanding=True)))
            .with_for_update(skip_locked=True))
    return sa.delete(FollowUp).where(FollowUp.comment_id.in_(free)).returning(FollowUp.comment_id, FollowUp.signals)


#: Built once: composing the statement per follow-up cost more Python than running it.
_CLAIM = _claiming()
#: On PostgreSQL the claim also makes the transaction commit without waiting for its WAL flush (as
#: ``SET LOCAL synchronous_commit = off`` would, without its own round trip). Safe because a follow-up is
#: done again if lost: a crash can only lose the newest commits, whole, and then the follow-up row is back
#: for the sweep. Spares each post a second disk flush; the comment's own commit keeps its flush, since the
#: reader has been told it is saved. Evaluated for each claimed row, so only a transaction that writes.
_CLAIM_POSTGRESQL = _claiming().returning(sa.func.set_config("synchronous_commit", "off", sa.true()))


def sweep(older_than: timedelta) -> int:
    """Finish every follow-up left for longer than ``older_than`` (a killed worker's); returns how many ran.

    A follow-up that keeps failing is tried ``FOLLOW_UP_MAX_ATTEMPTS`` times,
    then left and logged: its comment stays ungrouped, nothing else is lost.
    """
    done, after = 0, 0
    while True:
        texts = {comment_id: text for comment_id, text in db.session.execute(
            sa.select(FollowUp.comment_id, Comment.text).join(Comment, Comment.id == FollowUp.comment_id)
            .where(FollowUp.created_at <= utcnow() - older_than, FollowUp.comment_id > after,
                   FollowUp.attempts < current_app.config["FOLLOW_UP_MAX_ATTEMPTS"])
            .order_by(FollowUp.comment_id).limit(SWEEP_BATCH))}
        if not texts:
            return done
        done += _run_counting_failures(texts)
        after = max(texts)


def _run_counting_failures(texts: dict[int, str]) -> int:
    try:
        return run(texts)
    except Exception:
        db.session.rollback()
        log.exception("follow-ups of comments %s failed; trying them one by one", sorted(texts))
    done = 0
    for comment_id, text in texts.items():
        try:
            done += run({comment_id: text})
        except Exception:
            db.session.rollback()
            log.exception("follow-up of comment %s failed", comment_id)
            with writes_in_turn():
                db.session.execute(sa.update(FollowUp).where(FollowUp.comment_id == comment_id)
                                   .values(attempts=FollowUp.attempts + 1))
                db.session.commit()
    return done


def _run_guarded(app: Flask, texts: dict[int, str]) -> None:
    """After the response the request's context is gone: a fresh app context, and nothing raised to the server."""
    with app.app_context():
        _run_counting_failures(texts)


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
