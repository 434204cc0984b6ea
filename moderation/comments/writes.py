"""How the reader's path writes: in turn on SQLite, and without reloading what it has just written.

SQLite has one write lock, and a connection that finds it taken polls with
sleeps of up to 100 ms: under a spike, eight threads in two processes polling
gave a p99 of half a second while each write held the lock for a few
milliseconds. So writers on the reader's path (a new comment, an edit, a
comment's follow-up) queue instead of polling: the threads of one process on a
Python lock, the processes on an exclusive ``flock`` of a file beside the
database. Both wake the next writer as soon as the lock is free. Writers off
that path (moderators, imports, training) keep SQLite's own busy timeout.
"""
from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ..extensions import db

#: One writer at a time per worker process, on SQLite.
_THREADS = threading.Lock()
#: As long as SQLite's own busy timeout (``PRAGMA busy_timeout`` in ``moderation/__init__.py``).
WRITE_WAIT_SECONDS = 5.0
#: The lock file's descriptor, per process id: a forked worker opens its own (a ``flock`` belongs to the
#: open file, which a fork would share with its parent).
_FILES: dict[tuple[int, str], int] = {}


@contextmanager
def writes_in_turn() -> Iterator[None]:
    """On SQLite, hold the right to write from here to the end of the block; elsewhere do nothing.

    Take it only around the statements that write and the commit, never around
    reads or scoring. A wait longer than SQLite's busy timeout is the same
    failure as a locked database: the reader gets the "could not save your
    comment" page with their text.
    """
    url = db.session.get_bind().url
    if url.get_backend_name() != "sqlite":
        yield
        return
    if not _THREADS.acquire(timeout=WRITE_WAIT_SECONDS):
        raise sa.exc.OperationalError("writing a comment", {}, TimeoutError("the database stayed locked"))
    try:
        lock = _lock_file(url.database)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if this process dies
        try:
            yield
        finally:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        _THREADS.release()


def _lock_file(database: str | None) -> int | None:
    """The descriptor of ``DATABASE.writer-lock``; None for an in-memory database, which one process owns."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    key = (os.getpid(), database)
    if key not in _FILES:
        _FILES[key] = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    return _FILES[key]


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the caller reads back only what it has just written.

    Saves the SELECT that would reload the new comment on its first use after
    the commit (its id for the reader's session, the page it lands on).
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
