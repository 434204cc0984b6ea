"""The Model page: versions, promotion and rollback, retraining, shadow, capacity thresholds (admins only)."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from training.registry import RegistryError

from ..accounts.access import admin_required
from ..comments import reports
from ..extensions import db
from ..forms import ActionForm, action_checked
from ..models import TrainingJob, as_id, utcnow
from ..queue import erasure, spotcheck
from ..queue.decisions import decisions_since, disagreement_by_week, report_label_counts
from . import retrain, shadow, site_learning, thresholds
from .charts import auc_chart
from .regressions import newly_wrong_with_comments
from .scoring import get_scorer

bp = Blueprint("model", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)

AUDIT_PER_PAGE = 50
#: Figures shown side by side for the active and the candidate model.
METRICS = ("n", "positives", "roc_auc", "pr_auc", "precision", "recall", "precision_high", "recall_high")


def _created(card: dict[str, Any] | None) -> datetime | None:
    """The card's creation time as naive UTC, like the database's timestamps."""
    try:
        created = datetime.fromisoformat(str(card["created"]))  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    return created


@bp.get("/model")
@admin_required
def index() -> str:
    registry = get_scorer().registry
    problems: list[str] = []
    active = card = None
    versions: list[Any] = []
    try:
        active = registry.active_version()
    except OSError as exc:
        problems.append(f"The active model cannot be read: {exc}")
    if active:
        try:
            card = registry.card(active)
        except (RegistryError, AttributeError) as exc:
            problems.append(f"The card of the active model cannot be read: {exc}")
    try:
        versions = list(reversed(registry.versions()))
    except (RegistryError, OSError, AttributeError) as exc:
        problems.append(f"The model versions cannot be listed: {exc}")
    created = _created(card)
    job = retrain.latest_job()
    candidate_plots: list[str] = []
    if job is not None and job.state == "succeeded" and job.candidate_version:
        try:
            candidate_plots = list(registry.card(job.candidate_version).get("plots", []))
        except (RegistryError, AttributeError) as exc:
            problems.append(f"The card of the candidate cannot be read: {exc}")
    return render_template(
        "admin/model.html", active=active, card=card, created=created, versions=versions,
        problems=problems, since=decisions_since(created) if card else None,
        weeks=disagreement_by_week(), job=job, job_active=job is not None and job.state in retrain.ACTIVE_STATES,
        candidate_plots=candidate_plots, metrics=METRICS, form=ActionForm(),
        **_workbench(registry, versions),
        **_site_learning(),
        report_summary=reports.summary(), report_labels=report_label_counts(current_app.config["DECISION_WEIGHT"]),
        regressions=newly_wrong_with_comments((job.comparison or {}).get("overrides")) if job else [],
        **_shadow_context(),
        scoring_failure=getattr(get_scorer(), "last_failure", None),
    )


def _site_learning() -> dict[str, Any]:
    """What the site has taught: labels by source and kind, the imports, the next automatic run, the chart."""
    learning = site_learning.status()
    return {"learning": learning, "import_runs": site_learning.import_runs(),
            "chart": auc_chart(learning.history), "now": utcnow()}


def _shadow_context() -> dict[str, Any]:
    """The shadow period in force, the report on the current or last one, and who started and ended each."""
    latest = shadow.latest_period()
    return {"shadow_period": shadow.current_period(), "shadow_report": shadow.report(latest) if latest else None,
            "shadow_history": shadow.history()}


def _to_model() -> Response:
    return redirect(url_for(".index"))


@bp.post("/model/promote/<version>")
@admin_required
def promote(version: str) -> Response:
    if action_checked():
        try:
            get_scorer().registry.promote(version)
        except RegistryError as exc:
            flash(f"Version {version} was not promoted: {exc}", "error")
        else:
            _mark_jobs_promoted(version)
            flash(f"Version {version} is now the active model.", "success")
    return _to_model()


@bp.post("/model/rollback")
@admin_required
def rollback() -> Response:
    if action_checked():
        try:
            version = get_scorer().registry.rollback()
        except RegistryError as exc:
            flash(f"Nothing was rolled back: {exc}", "error")
        else:
            flash(f"Rolled back: version {version} is the active model again.", "success")
    return _to_model()


@bp.post("/retrain")
@admin_required
def retrain_model() -> Response:
    if action_checked():
        try:
            job = retrain.start_job(current_user._get_current_object())
        except retrain.JobAlreadyRunning as exc:
            flash(str(exc), "error")
        else:
            if job.state == "failed":
                flash(job.message, "error")
            else:
                flash(f"Training job #{job.id} started. This page updates itself while it runs.", "success")
    return _to_model()


def _job(job_id: int) -> TrainingJob:
    job = db.session.get(TrainingJob, job_id)
    if job is None:
        abort(404)
    return job


@bp.post("/jobs/<int:job_id>/promote")
@admin_required
def promote_job(job_id: int) -> Response:
    job = _job(job_id)
    if action_checked():
        if job.state != "succeeded" or not job.candidate_version:
            flash(f"Training job #{job.id} is {job.state}; only a succeeded job's model can be promoted.", "error")
            return _to_model()
        try:
            get_scorer().registry.promote(job.candidate_version)
        except RegistryError as exc:
            flash(f"Version {job.candidate_version} was not promoted: {exc}", "error")
        else:
            _mark_jobs_promoted(job.candidate_version)
            flash(f"Version {job.candidate_version} is now the active model.", "success")
    return _to_model()


@bp.post("/jobs/<int:job_id>/discard")
@admin_required
def discard_job(job_id: int) -> Response:
    job = _job(job_id)
    if action_checked():
        if job.state != "succeeded":
            flash(f"Training job #{job.id} is {job.state}; only a succeeded job can be discarded.", "error")
            return _to_model()
        job.state = "discarded"
        job.finished_at = job.finished_at or utcnow()
        db.session.commit()
        flash(f"Candidate {job.candidate_version} discarded; the active model is unchanged.", "info")
    return _to_model()


def _mark_jobs_promoted(version: str) -> None:
    jobs = db.session.scalars(
        sa.select(TrainingJob).where(TrainingJob.candidate_version == version, TrainingJob.state == "succeeded")
    ).all()
    for job in jobs:
        job.state = "promoted"
    if jobs:
        db.session.commit()


@bp.post("/model/auto-promote")
@admin_required
def auto_promote() -> Response:
    """Switch automatic promotion of gated site candidates on or off (``on`` in the form)."""
    if action_checked():
        on = request.form.get("on") == "1"
        site_learning.set_auto_promote(on, current_user._get_current_object())
        flash("Site candidates that pass the gate are now promoted automatically." if on else
              "Automatic promotion is off: every site candidate waits for an admin.", "success")
    return redirect(url_for(".index", _anchor="site-learning"))


@bp.post("/model/shadow/<version>")
@admin_required
def shadow_start(version: str) -> Response:
    if action_checked():
        try:
            period = shadow.start(version, current_user._get_current_object())
        except shadow.ShadowError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Version {period.version} is in shadow: it scores every new comment without acting.", "success")
    return _to_model()


@bp.post("/model/shadow-off")
@admin_required
def shadow_stop() -> Response:
    if action_checked():
        try:
            period = shadow.stop(current_user._get_current_object())
        except shadow.ShadowError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Shadow {period.version} ended; its report stays below.", "info")
    return _to_model()


@bp.get("/model/<version>/<name>")
@admin_required
def plot(version: str, name: str) -> Response:
    """A version's ROC or PR curve, read from the registry (only names its card lists)."""
    try:
        png = get_scorer().registry.plot(version, name)
    except RegistryError:
        abort(404, "No such plot.")
    response = Response(png, mimetype="image/png")
    response.cache_control.private = True
    response.cache_control.max_age = 3600  # a version's files never change
    return response


@bp.app_template_filter("figure")
def figure(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


@bp.app_template_filter("card_time")
def card_time(value: Any) -> str:
    """A card's ISO creation time as "2026-11-25 14:48 UTC"; anything unparsable as it is."""
    try:
        return f"{datetime.fromisoformat(str(value)).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return str(value)


@bp.app_template_filter("labels_of")
def labels_of(columns: list[tuple[str, dict[str, Any] | None]]) -> list[str]:
    """Every label in a metrics table's columns, in first-seen order."""
    return list(dict.fromkeys(label for _, by_label in columns for label in (by_label or {})))


# --- Moderator's workbench: capacity thresholds, spot-check estimate, erasure ----


def _workbench(registry: Any, versions: list[Any]) -> dict[str, Any]:
    """The Model page's capacity, spot-check and erasure sections."""
    per_day_text = request.args.get("per_day", "").strip()
    per_day = as_id(per_day_text)
    suggestion = capacity_error = None
    if per_day_text and per_day is None:
        capacity_error = "Give the number of comments a day as a whole number, at least 1."
    elif per_day is not None:
        try:
            suggestion = thresholds.suggest(per_day)[1]
        except thresholds.NoActiveModel as exc:
            capacity_error = f"No suggestion: {exc}."
    cards: dict[str, Any] = {}
    for info in versions:
        try:
            cards[info.version] = registry.card(info.version)
        except (RegistryError, AttributeError):
            continue
    return {
        "per_day": per_day, "suggestion": suggestion, "capacity_error": capacity_error,
        "spotcheck": spotcheck.estimate(), "spotcheck_share": current_app.config["SPOTCHECK_SHARE"],
        "erased_versions": erasure.trained_on_erased(cards, erasure.labelled_erasures()),
    }


@bp.post("/thresholds/apply")
@admin_required
def apply_thresholds() -> Response:
    """Recomputes the suggestion for the posted capacity and puts it in force for the active model."""
    per_day = as_id(request.form.get("per_day", ""))
    if action_checked():
        if per_day is None:
            flash("Give the number of comments a day as a whole number, at least 1.", "error")
            return _to_model()
        try:
            version, suggestion, changes = thresholds.apply(per_day, current_user._get_current_object())
        except thresholds.NoActiveModel as exc:
            flash(f"Nothing was applied: {exc}.", "error")
            return _to_model()
        if changes:
            flash(f"Review thresholds for model {version} set for about {per_day} a day: "
                  + ", ".join(f"{c.label} {c.review_before:.3f} → {c.review_after:.3f}" for c in changes)
                  + f" (expected {suggestion.expected_per_day:.1f} a day).", "success")
        else:
            flash("The thresholds in force already hold about that many; nothing changed.", "info")
    return redirect(url_for(".index", per_day=per_day, _anchor="capacity"))


@bp.app_template_filter("share")
def share(value: Any) -> str:
    """A proportion as a percentage: 0.0123 → "1.2%"; None → "n/a"."""
    return "n/a" if value is None else f"{float(value):.1%}"
