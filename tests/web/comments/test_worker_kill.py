"""A gunicorn worker killed with SIGKILL in the middle of a stream of posts loses and duplicates nothing.

Real processes: gunicorn with two workers on 127.0.0.1, readers posting from
threads through the full form path (page, CSRF token, POST), one worker killed
while they post. Afterwards every comment that got its success response
(302 to ``#comment-ID``) is stored exactly once, and the only other rows are
from requests whose answer was lost with the killed worker (the reader saw an
error, not a success); every row is whole. A comment's follow-up (its
near-duplicate signature, run after the response) is done or still recorded:
the sweep then finishes every one left by the killed worker.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.comments import followups
from moderation.extensions import db
from moderation.models import Article, Comment, CommentSignature, FollowUp, Status
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[3]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
POSTERS = 4

#: Starting gunicorn's workers (scikit-learn imports) takes most of its 20-40 s on a busy machine.
pytestmark = pytest.mark.slow


def free_port() -> int:
    """One of the ports set aside for servers under test (5650-5669), else any free one."""
    for port in [*range(5650, 5670), 0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def wait_until_serving(port: int, master: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert master.poll() is None, "gunicorn exited"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/articles/live")
            if conn.getresponse().status == 200 and len(worker_pids(master.pid)) == 2:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


class Reader:
    """One browser: a session cookie and the CSRF token from the page, then posts."""

    def __init__(self, port: int, name: str) -> None:
        self.port, self.name = port, name
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/articles/live")
        response = conn.getresponse()
        html = response.read().decode()
        self.cookie = response.getheader("Set-Cookie", "").split(";")[0]
        self.token = TOKEN.search(html).group(1)  # type: ignore[union-attr]

    def post(self, text: str) -> str:
        """'ok', 'refused' (an HTTP error) or 'lost' (the connection died: the outcome is unknown to the reader)."""
        body = urllib.parse.urlencode({"comment": text, "author": self.name, "email": f"{self.name}@example.org",
                                       "csrf_token": self.token})
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("POST", "/articles/live/comments", body, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return "lost"
        ok = response.status == 302 and "#comment-" in (response.getheader("Location") or "")
        return "ok" if ok else "refused"


def test_sigkill_of_a_worker_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    app: Flask = make_app(tmp_path)
    with app.app_context():
        db.session.add(Article(slug="live", title="Live", body="Body."))
        db.session.commit()
    port = free_port()
    env = {**os.environ, "MODERATION_INSTANCE_PATH": app.instance_path, "MODERATION_SECRET_KEY": "test-secret",
           "MODERATION_RATELIMIT_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--graceful-timeout", "2", "tests.stub_app:create()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_serving(port, master)
        outcomes: dict[str, str] = {}
        stop = threading.Event()

        def post_until_stopped(i: int) -> None:
            reader = Reader(port, f"reader{i}")
            n = 0
            while not stop.is_set():
                text = f"Comment {n} from reader {i}, unique."
                outcomes[text] = reader.post(text)
                n += 1

        threads = [threading.Thread(target=post_until_stopped, args=(i,)) for i in range(POSTERS)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        victim = worker_pids(master.pid)[0]
        os.kill(victim, signal.SIGKILL)
        time.sleep(2.5)  # the master starts a new worker; posts go on
        stop.set()
        for t in threads:
            t.join()
        assert victim not in worker_pids(master.pid)
        assert master.poll() is None, "the master survived the loss of a worker"
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)

    ok = {text for text, outcome in outcomes.items() if outcome == "ok"}
    lost = {text for text, outcome in outcomes.items() if outcome == "lost"}
    assert len(ok) > 20, f"too few successful posts to mean anything: {outcomes}"
    assert not {t for t, o in outcomes.items() if o == "refused"}, "no post was refused"
    with app.app_context():
        rows = db.session.execute(sa.select(Comment.text, Comment.status, Comment.route_rule)).all()
    stored = [row.text for row in rows]
    assert all(stored.count(text) == 1 for text in ok), "every successful post is stored exactly once"
    assert set(stored) <= ok | lost, "nothing stored that no reader sent"
    assert len(stored) == len(set(stored))
    assert all(row.status == Status.PUBLISHED and row.route_rule for row in rows), "every row is whole"

    with app.app_context():
        ids = set(db.session.scalars(sa.select(Comment.id)))
        signed = set(db.session.scalars(sa.select(CommentSignature.comment_id)))
        waiting = set(db.session.scalars(sa.select(FollowUp.comment_id)))
        assert ids == signed | waiting and not signed & waiting, "each follow-up is done or still recorded"
        assert followups.sweep(timedelta(0)) == len(waiting)
        assert set(db.session.scalars(sa.select(CommentSignature.comment_id))) == ids
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0
