"""Where training jobs run: on an RQ worker when ``REDIS_URL`` is set, else in a process beside the web server.

A job is a ``TrainingJob`` row; its progress and result stay in that row,
where the Model page reads them, whichever machine ran it. :func:`enqueue` is
the one way a job starts:

- With Redis (several machines): the job's id goes on the RQ queue
  ``RQ_QUEUE``, and any machine running ``flask --app moderation worker``
  takes it. The web server that started it may die meanwhile, and training
  does not take cores from the servers answering readers.
- Without Redis (one machine, as after the quickstart): ``flask
  run-training-job ID`` starts detached from the web worker, its output in
  ``instance/jobs/<id>.log``.

What a job does is given by the module that creates it, through
:func:`init_app`, so this module imports none of them and all of them can
enqueue.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import redis
from flask import Flask, current_app
from rq import Queue, Worker

from ..config import ROOT
from ..extensions import db
from ..models import TrainingJob, utcnow

#: Runs the job with this id and returns its row, finished (succeeded, promoted or failed).
Runner = Callable[[int], TrainingJob]

MESSAGE_LENGTH = 300


def short(text: str) -> str:
    """A job message cut to what its column holds."""
    return text if len(text) <= MESSAGE_LENGTH else text[: MESSAGE_LENGTH - 1] + "…"


def log_path(job_id: int) -> Path:
    return Path(current_app.instance_path) / "jobs" / f"{job_id}.log"


def queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis.Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(job: TrainingJob) -> None:
    """Hand a committed, queued job to a worker (or a process); if that fails, the job fails with the reason."""
    try:
        if current_app.config["REDIS_URL"]:
            queue().enqueue_call(perform, args=(job.id,), timeout=current_app.config["JOB_TIMEOUT_SECONDS"],
                                 result_ttl=86400, failure_ttl=7 * 86400, description=f"training job #{job.id}")
            job.message = "Waiting for a training worker to take the job."
        else:
            _start_process(job)
            job.message = "Waiting for the training process to start."
    except (OSError, redis.RedisError) as exc:
        job.state = "failed"
        job.finished_at = utcnow()
        job.message = short(f"The training job could not be started: {exc}")
    db.session.commit()


def _start_process(job: TrainingJob) -> None:
    env = dict(os.environ)
    env["MODERATION_INSTANCE_PATH"] = current_app.instance_path
    env["DATABASE_URL"] = current_app.config["SQLALCHEMY_DATABASE_URI"]
    log = log_path(job.id)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "moderation", "run-training-job", str(job.id)],
            env=env, cwd=ROOT, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )


def perform(job_id: int) -> str:
    """What the worker runs for a queued job: its runner, in the worker's app; the state is RQ's result."""
    runner: Runner = current_app.extensions["moderation.job_runner"]
    return runner(job_id).state


def init_app(app: Flask, runner: Runner) -> None:
    """Say what a job does, and register ``run-training-job`` and ``worker``."""
    app.extensions["moderation.job_runner"] = runner

    @app.cli.command("run-training-job")
    @click.argument("job_id", type=int)
    def run_training_job(job_id: int) -> None:
        """Run one training job now, in this process (the web server starts it when there is no REDIS_URL)."""
        try:
            job = runner(job_id)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Job #{job.id}: {job.state}. {job.message}")
        if job.state == "failed":
            sys.exit(1)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop once the queue is empty instead of waiting for more.")
    def worker(burst: bool) -> None:
        """Take training jobs from the Redis queue and run them, one at a time (needs REDIS_URL)."""
        if not current_app.config["REDIS_URL"]:
            raise click.ClickException("no job queue: set REDIS_URL (without it the web server runs each job "
                                       "in a process of its own)")
        jobs = queue()
        # RQ forks a process per job: it must not inherit this one's database connections.
        db.session.remove()
        db.engine.dispose()
        click.echo(f"Waiting for training jobs on {jobs.name!r} "
                   f"({current_app.config['REDIS_URL'].rpartition('@')[2]})")
        Worker([jobs], connection=jobs.connection).work(burst=burst)
