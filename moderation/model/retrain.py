"""Training jobs: a TrainingJob row, run by a worker or a process of its own (:mod:`.jobs`).

``start_job`` creates the row and hands it to :func:`.jobs.enqueue`;
``run_job`` does the work wherever the job runs and reports progress through
the row, which the model page polls. Every job learns the site
(:mod:`.site_learning`): the Retrain button's candidate waits for an admin,
who compares it with the active model (on the site's own labels, and the past
overrides of :mod:`.regressions` each gets right) and promotes or discards
it; an automatic run, started when enough new labels are given
(:func:`start_if_due`), promotes what passes the gate.
"""
from __future__ import annotations

import math
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app

from training.datasets import Dataset, DatasetError, load

from ..extensions import db
from ..models import Moderator, TrainingJob, utcnow
from . import site_learning
from .jobs import enqueue
from .jobs import short as _short

ACTIVE_STATES = ("queued", "running")
#: A job still queued or running after this long is taken for dead (its process crashed or was killed).
STALE_AFTER = timedelta(hours=6)


class JobAlreadyRunning(Exception):
    def __init__(self, job: TrainingJob) -> None:
        super().__init__(f"Training job #{job.id} is still {job.state}; wait for it to finish.")
        self.job = job


def latest_job() -> TrainingJob | None:
    return db.session.scalar(sa.select(TrainingJob).order_by(TrainingJob.id.desc()).limit(1))


def running_job() -> TrainingJob | None:
    """The queued or running job, if any; one that has been so for too long is marked failed."""
    job = db.session.scalar(
        sa.select(TrainingJob).where(TrainingJob.state.in_(ACTIVE_STATES)).order_by(TrainingJob.id.desc()).limit(1)
    )
    if job is not None and utcnow() - job.created_at > STALE_AFTER:
        job.message = _short(f"Abandoned: still {job.state} after {STALE_AFTER}. {job.message}")
        job.state = "failed"
        job.finished_at = utcnow()
        db.session.commit()
        return None
    return job


def start_if_due(now: datetime | None = None) -> TrainingJob | None:
    """Start an automatic site run when one is due (:func:`.site_learning.next_run`) and no job is queued
    or running. Never raises: the labels that made it due are given and stay given."""
    try:
        if running_job() is not None or not site_learning.next_run().due(now or utcnow()):
            return None
        return start_job(None, kind="auto")
    except JobAlreadyRunning:
        return None
    except Exception:
        current_app.logger.exception("site learning: could not start an automatic run")
        db.session.rollback()
        return None


def on_labels_given(_app: Flask) -> None:
    """Listens to :data:`moderation.queue.decisions.labels_given`."""
    start_if_due()


def start_job(moderator: Moderator | None, kind: str = "retrain") -> TrainingJob:
    """Create a job and hand it to a worker; raises JobAlreadyRunning while another one is queued or running."""
    existing = running_job()
    if existing is not None:
        raise JobAlreadyRunning(existing)
    job = TrainingJob(moderator_id=moderator.id if moderator is not None else None, kind=kind, state="queued",
                      progress=0.0, message="Queued.")
    db.session.add(job)
    db.session.commit()
    enqueue(job)
    return job


def _resolve(spec: str) -> tuple[str, Path]:
    from ..config import ROOT

    fmt, _, raw = spec.partition(":")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = ROOT / path
    return f"{fmt}:{path}", path


def load_training_data(specs: list[str]) -> tuple[list[Dataset], list[str]]:
    """The configured data sets that exist; notes say which were skipped and why."""
    datasets, notes = [], []
    for spec in specs:
        resolved, path = _resolve(spec)
        if not path.exists():
            notes.append(f"skipped {spec} (not found)")
            continue
        try:
            datasets.append(load(resolved))
        except DatasetError as exc:
            notes.append(f"skipped {spec} ({exc})")
    return datasets, notes


def run_job(job_id: int) -> TrainingJob:
    """Learn the site for the job (:func:`.site_learning.run`); the job row tells how it went."""
    job = db.session.get(TrainingJob, job_id)
    if job is None:
        raise LookupError(f"no training job #{job_id}")

    def report(message: str, progress: float) -> None:
        job.message = _short(message)
        job.progress = max(0.0, min(1.0, progress))
        db.session.commit()

    try:
        job.state = "running"
        report("Starting.", 0.0)
        message = site_learning.run(job, report)
        job.comparison = _json_safe(job.comparison)
        job.progress = 1.0
        job.finished_at = utcnow()
        job.message = _short(message)
        db.session.commit()
    except Exception as exc:  # the page must say what went wrong; the log has the trace
        traceback.print_exc()
        db.session.rollback()
        job = db.session.get(TrainingJob, job_id)
        assert job is not None
        job.state = "failed"
        job.finished_at = utcnow()
        job.message = _short(f"Failed: {exc}" if isinstance(exc, site_learning.TooFewLabels)
                             else f"Failed: {type(exc).__name__}: {exc}")
        db.session.commit()
    return job


def _json_safe(value: Any) -> Any:
    """NaN and infinities as null: JSON columns (and PostgreSQL) refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def register_commands(app: Flask) -> None:
    @app.cli.group("site-learning")
    def site_learning_group() -> None:
        """The site's automatic candidates: when the next one is due, and starting it."""

    @site_learning_group.command("run-due")
    def run_due() -> None:
        """Start an automatic site run if one is due (for a timer; the app also checks when labels are given)."""
        job = start_if_due()
        upcoming = site_learning.next_run()
        click.echo(f"Started site run #{job.id}." if job else
                   f"No run due: {upcoming.new_labels} new labels of {upcoming.every}"
                   + (f", or at {upcoming.at:%Y-%m-%d %H:%M} UTC" if upcoming.at else "") + ".")
