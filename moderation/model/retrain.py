"""Retraining from the admin page: a TrainingJob row, run by a worker or a process of its own (:mod:`.jobs`).

``start_job`` creates the row and hands it to :func:`.jobs.enqueue`;
``run_job`` does the work wherever the job runs and reports progress through
the row, which the model page polls. The
new version is saved to the registry but never promoted here: an admin
compares it with the active model (held-out metrics, and the past overrides
of :mod:`.regressions` each gets right) and promotes or discards it.
"""
from __future__ import annotations

import math
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from training.datasets import Dataset, DatasetError, Example, load
from training.evaluate import evaluate
from training.registry import RegistryError
from training.train import VALIDATION_FRACTION, split, train

from ..extensions import db
from ..models import Moderator, TrainingJob, utcnow
from ..queue.decisions import training_examples
from .jobs import enqueue
from .jobs import short as _short
from .regressions import compare_models
from .scoring import get_scorer

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


def start_job(moderator: Moderator | None) -> TrainingJob:
    """Create a job and hand it to a worker; raises JobAlreadyRunning while another one is queued or running."""
    existing = running_job()
    if existing is not None:
        raise JobAlreadyRunning(existing)
    job = TrainingJob(moderator_id=moderator.id if moderator is not None else None, state="queued",
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


def _metrics(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {label: m.as_json() for label, m in metrics.items()}


def run_job(job_id: int) -> TrainingJob:
    """Train, save (not promote) and compare a candidate; the job row tells how it went."""
    job = db.session.get(TrainingJob, job_id)
    if job is None:
        raise LookupError(f"no training job #{job_id}")
    notes: list[str] = []

    def report(message: str, progress: float) -> None:
        job.message = _short(message)
        job.progress = max(0.0, min(1.0, progress))
        db.session.commit()

    try:
        job.state = "running"
        report("Loading the training data.", 0.0)
        datasets, notes = load_training_data(list(current_app.config["TRAINING_DATA"]))
        extra = training_examples(current_app.config["DECISION_WEIGHT"])
        examples: list[Example] = [e for d in datasets for e in d.examples] + list(extra)
        if not examples:
            raise RuntimeError("no training data: " + ("; ".join(notes) or "nothing configured"))
        loaded = f"{len(examples):,} examples ({len(extra):,} from decisions)"
        report(f"Loaded {loaded}." + (f" Note: {'; '.join(notes)}." if notes else ""), 0.02)

        registry = get_scorer().registry
        parent = registry.active_version()
        result = train(datasets, extra=extra, parent=parent,
                       progress=lambda step, fraction: report(f"Training: {step}", 0.05 + 0.8 * fraction))

        report("Saving the candidate model.", 0.87)
        version = registry.save(result)
        job.candidate_version = version
        db.session.commit()

        report("Comparing the candidate with the active model.", 0.9)
        held_out = list(result.validation) or split(examples, VALIDATION_FRACTION, seed=0)[1]
        candidate = registry.load(version)
        comparison: dict[str, Any] = {
            "candidate_version": version,
            "active_version": parent,
            "held_out": len(held_out),
            "candidate": _metrics(evaluate(candidate, held_out)),
            "active": None,
        }
        active_model = None
        if parent is not None:
            try:
                active_model = registry.load(parent)
                comparison["active"] = _metrics(evaluate(active_model, held_out))
            except RegistryError as exc:
                notes.append(f"the active model {parent} cannot be compared: {exc}")
        report("Routing past overrides with both models.", 0.95)
        comparison["overrides"] = compare_models(candidate, active_model).as_json()
        job.comparison = _json_safe(comparison)
        job.state = "succeeded"
        job.progress = 1.0
        job.finished_at = utcnow()
        job.message = _short(f"Candidate {version} trained on {loaded}; not active yet."
                             + (f" Note: {'; '.join(notes)}." if notes else ""))
        db.session.commit()
    except Exception as exc:  # the page must say what went wrong; the log has the trace
        traceback.print_exc()
        db.session.rollback()
        job = db.session.get(TrainingJob, job_id)
        assert job is not None
        job.state = "failed"
        job.finished_at = utcnow()
        job.message = _short(f"Failed: {type(exc).__name__}: {exc}")
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
