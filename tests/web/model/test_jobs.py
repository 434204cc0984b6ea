"""Training jobs go through one door (``jobs.enqueue``): an RQ queue when REDIS_URL is set, else a process.

The subprocess path (no Redis) is tested in test_admin.py. Here: with Redis a
retrain lands on the queue, no process is started, and a worker runs it and
reports through the job row; an unreachable Redis fails the job with a
message; the ``worker`` command. The Redis tests skip with a notice where no
Redis answers (TEST_REDIS_URL, default 127.0.0.1:6379/0).
"""
from __future__ import annotations

import secrets
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from rq import SimpleWorker

from moderation.extensions import db
from moderation.model import jobs
from moderation.models import Moderator, TrainingJob
from tests.conftest import csrf_token, login, redis_url

needs_redis = pytest.mark.skipif(redis_url() is None, reason="NOTICE: no Redis answers (TEST_REDIS_URL); skipped")


def no_process(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("with REDIS_URL no training process may be started by the web server")


@pytest.fixture
def queued_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on Redis, with a queue of its own (removed afterwards)."""
    app.config.update(REDIS_URL=redis_url(), RQ_QUEUE=f"test-training-{secrets.token_hex(4)}")
    monkeypatch.setattr(subprocess, "Popen", no_process)
    yield app
    jobs.queue().delete(delete_jobs=True)


def retrain(client: FlaskClient) -> str:
    client.post("/admin/retrain", data={"csrf_token": csrf_token(client, "/admin/model")})
    return client.get("/admin/model").get_data(as_text=True)


@needs_redis
def test_with_redis_a_retrain_is_queued_and_a_worker_runs_it(queued_app: Flask, client: FlaskClient,
                                                             admin: Moderator) -> None:
    # Without site labels the job fails at once, which is enough to see who ran it.
    login(client, admin.email)
    html = retrain(client)
    job = db.session.scalar(sa.select(TrainingJob))
    assert job.state == "queued" and job.message == "Waiting for a training worker to take the job."
    assert "Waiting for a training worker" in html
    queue = jobs.queue()
    assert queue.count == 1

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    db.session.refresh(job)
    assert job.state == "failed" and "learning needs at least 10" in job.message and job.finished_at is not None
    assert queue.count == 0
    assert "learning needs at least 10" in client.get("/admin/model").get_data(as_text=True)


def test_an_unreachable_queue_fails_the_job_with_a_message(app: Flask, client: FlaskClient, admin: Moderator,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    monkeypatch.setattr(subprocess, "Popen", no_process)
    login(client, admin.email)
    html = retrain(client)
    job = db.session.scalar(sa.select(TrainingJob))
    assert job.state == "failed" and job.message.startswith("The training job could not be started")
    assert "The training job could not be started" in html
    retrain(client)  # a failed job does not block the next one
    assert db.session.scalar(sa.select(sa.func.count(TrainingJob.id))) == 2


def test_worker_command_needs_redis(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "set REDIS_URL" in result.output


@needs_redis
def test_worker_command_takes_jobs_from_the_queue(queued_app: Flask) -> None:
    """The command forks a process per job (RQ's Worker), which reports through the row like any other."""
    job = TrainingJob(state="queued")
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    jobs.enqueue(job)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = queued_app.test_cli_runner().invoke(args=["worker", "--burst"])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert result.exit_code == 0, result.output
    assert f"Waiting for training jobs on '{queued_app.config['RQ_QUEUE']}'" in result.output
    job = db.session.get(TrainingJob, job_id)
    assert job.state == "failed" and "learning needs at least 10" in job.message
