"""The site learns from its own labels: a candidate after every few hundred labels, promoted only through the gate.

Every label the site gives (moderators' decisions, spot-check marks, imported
history, reports) is a training example (:func:`moderation.queue.decisions.labelled`).
A site run keeps the base model, the one fitted on all the public data (the
shipped model, or the last ``train --full``), and fits only the site layer on
the site's labels (:func:`training.site.learn`): seconds, not minutes, and
never a narrower base than the one that ships, since the public data sets are
not on a newsroom's server at all.

The candidate is measured on the site's labels, out of fold, against the
active model measured the same way, and :func:`training.site.gate` decides.
Runs started by new labels (``kind="auto"``) promote a candidate that passes
while an admin leaves auto-promotion on; the Retrain button's runs
(``kind="retrain"``) always wait for an admin. Either way the job row says
what was measured and why the candidate was or was not promoted.

A run is due after ``SITE_LEARNING_EVERY`` new labels, or ``SITE_LEARNING_HOURS``
after the first label since the last run (:func:`next_run`, two counts).
:func:`moderation.model.retrain.start_if_due` starts it; it listens to the
queue's ``labels_given`` signal, and ``flask site-learning run-due`` calls it
from a timer, so that a site whose labels stopped still gets its daily run.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app

from training.evaluate import Thresholds
from training.site import Comparison, SiteRun, candidate_result, gate, learn

from ..extensions import db
from ..models import Decision, ImportedComment, ImportRun, Moderator, Setting, SiteLabel, TrainingJob, utcnow
from ..queue.decisions import LABELS, Labelled, label_counts, labelled
from . import regressions
from .scoring import get_scorer

AUTO_PROMOTE = "site_learning.auto_promote"
#: Job kinds that learn the site (a full refit of the base is a command-line run).
SITE_KINDS = ("retrain", "auto")

Report = Callable[[str, float], None]


class TooFewLabels(RuntimeError):
    """The site has not given enough labels to fit and measure a layer."""


# --- when ----------------------------------------------------------------------------------


def last_run() -> TrainingJob | None:
    """The latest site run that got as far as reading the labels (failed runs before that do not count)."""
    return db.session.scalar(
        sa.select(TrainingJob).where(TrainingJob.kind.in_(SITE_KINDS), TrainingJob.state != "failed")
        .order_by(TrainingJob.id.desc()).limit(1))


def labels_since(when: datetime | None) -> tuple[int, datetime | None]:
    """How many labels were given after ``when`` (all when None), and when the first of them was."""
    sources = [
        sa.select(Decision.created_at.label("at")).where(Decision.label.is_not(None)),
        sa.select(ImportedComment.imported_at.label("at")).where(ImportedComment.label.in_(LABELS)),
        sa.select(SiteLabel.created_at.label("at")),
    ]
    given = sa.union_all(*(q.where(q.selected_columns[0] > when) if when else q for q in sources)).subquery()
    count, first = db.session.execute(sa.select(sa.func.count(), sa.func.min(given.c.at))).one()
    return int(count), first


@dataclass(frozen=True)
class NextRun:
    new_labels: int
    every: int
    #: When the run falls due by time, with at least one new label; None without new labels or with time off.
    at: datetime | None

    @property
    def labels_to_go(self) -> int:
        return max(0, self.every - self.new_labels)

    def due(self, now: datetime) -> bool:
        return self.new_labels > 0 and (self.new_labels >= self.every or (self.at is not None and now >= self.at))


def next_run() -> NextRun:
    config = current_app.config
    previous = last_run()
    new, first = labels_since(previous.created_at if previous else None)
    hours = config["SITE_LEARNING_HOURS"]
    return NextRun(new, config["SITE_LEARNING_EVERY"], first + timedelta(hours=hours) if first and hours else None)


# --- the setting ----------------------------------------------------------------------------


def auto_promote() -> bool:
    setting = db.session.get(Setting, AUTO_PROMOTE)
    return True if setting is None else bool(setting.value)


def auto_promote_setting() -> Setting | None:
    return db.session.get(Setting, AUTO_PROMOTE)


def set_auto_promote(on: bool, moderator: Moderator | None) -> None:
    setting = db.session.get(Setting, AUTO_PROMOTE) or Setting(key=AUTO_PROMOTE)
    setting.value, setting.updated_at = on, utcnow()
    setting.updated_by_id = moderator.id if moderator is not None else None
    db.session.add(setting)
    db.session.commit()


# --- a run ------------------------------------------------------------------------------------


def site_labels() -> list[Labelled]:
    return labelled(current_app.config["DECISION_WEIGHT"])


def _thresholds(card: dict[str, Any]) -> dict[str, Thresholds]:
    return {label: Thresholds(float(t["review"]), float(t["high"])) for label, t in card["thresholds"].items()}


@dataclass(frozen=True)
class Candidate:
    """A saved site candidate, what it was compared with, and the gate's verdict."""

    version: str
    compared_with: str
    comparison: dict[str, Any]
    passed: bool
    reason: str
    labels: int
    measured: str


def learn_site(report: Report, base_version: str | None = None) -> Candidate:
    """Fit the site layer on every label over the base (the active model's unless named), save the candidate,
    and measure and gate it against the active model (against the named base without a layer, when named)."""
    registry = get_scorer().registry
    report("Reading the site's labels.", 0.02)
    items = site_labels()
    minimum = current_app.config["SITE_LEARNING_MIN_LABELS"]
    if len(items) < minimum:
        raise TooFewLabels(
            f"the site has given {len(items)} labels and learning needs at least {minimum}: decide comments in "
            "the queue, or import the site's history with import-comments --labels")
    active = registry.active_version()
    active_card = registry.card(active) if active and base_version is None else {}
    base_version = base_version or (str(active_card.get("base") or active) if active else None)
    if base_version is None:
        raise RuntimeError("there is no active model to learn the site on")
    report(f"Loading the base model {base_version}.", 0.05)
    base = registry.load(base_version)
    until = (active_card.get("site") or {}).get("labels_until")
    learnt_until = datetime.fromisoformat(until) if until else None
    known = np.array([learnt_until is not None and item.at <= learnt_until for item in items])
    examples = [item.example for item in items]
    by_source = Counter(e.source for e in examples)
    report(f"Learning the site from {len(items):,} labels.", 0.1)
    site = learn(base.pipeline, examples, known, base.thresholds)
    report("Saving the candidate model.", 0.8)
    compared_with = active if active_card else base_version
    result = candidate_result(site, examples, base=base_version, base_card=base.card, parent=active,
                              labels_until=max(item.at for item in items).isoformat())
    version = registry.save(result)

    report("Routing past overrides with both models, out of fold.", 0.9)
    compared_thresholds = _thresholds(active_card or base.card)
    overrides = _overrides(items, site, version, compared_with, compared_thresholds)
    verdict = gate(site.comparisons, overrides.newly_right, overrides.newly_wrong)
    comparison = {
        "candidate_version": version, "active_version": compared_with, "base_version": base_version,
        "labels": len(items), "labels_by_source": dict(by_source),
        "site": {label: c.as_json() for label, c in site.comparisons.items()},
        "routing": _routing(site, compared_thresholds),
        "thresholds_from": site.thresholds_from,
        "overrides": overrides.as_json(),
        "gate": {"passed": verdict.passed, "reason": verdict.reason},
        "seconds": site.seconds,
    }
    measured = "; ".join(_figure(c) for c in site.comparisons.values()) or "too few labels to compare"
    return Candidate(version, compared_with, comparison, verdict.passed, verdict.reason, len(items), measured)


def run(job: TrainingJob, report: Report) -> str:
    """Learn the site for ``job`` and apply its promotion rule; returns the job's closing message."""
    found = learn_site(report)
    job.candidate_version, job.comparison = found.version, found.comparison
    if found.passed and job.kind == "auto" and auto_promote():
        get_scorer().registry.promote(found.version)
        job.state = "promoted"
        return f"Candidate {found.version} promoted by the gate: {found.reason}."
    job.state = "succeeded"
    waiting = "waits for an admin" if found.passed or job.kind == "retrain" else "stays a candidate"
    return (f"Candidate {found.version} from {found.labels:,} site labels ({found.measured}) {waiting}: "
            f"{'it passes the gate' if found.passed else found.reason}.")


def _figure(c: Comparison) -> str:
    return f"{c.label} ROC AUC {c.candidate_auc:.3f} vs {c.active_auc:.3f}"


def _overrides(items: Sequence[Labelled], site: SiteRun, version: str, active: str,
               active_thresholds: dict[str, Thresholds]) -> regressions.OverrideComparison:
    """Past overrides, routed with each model's out-of-fold scores: neither has learnt the case it is tested on."""
    row_of = {item.comment_id: i for i, item in enumerate(items) if item.comment_id is not None}
    cases = [case for case in regressions.override_cases() if case.comment_id in row_of]
    rows = [row_of[case.comment_id] for case in cases]

    def scores(matrix: np.ndarray) -> list[dict[str, float]]:
        return [dict(zip(site.labels, matrix[i].tolist(), strict=True)) for i in rows]

    return regressions.compare(cases, regressions.route_scores(version, site.thresholds, cases, scores(site.candidate)),
                               regressions.route_scores(active, active_thresholds, cases, scores(site.active)))


def _routing(site: SiteRun, active_thresholds: dict[str, Thresholds]) -> dict[str, dict[str, float | None]]:
    """Per label, the share of the site's clean comments each model holds and of its flagged ones it catches,
    at each model's own review threshold, out of fold."""
    shares: dict[str, dict[str, float | None]] = {}
    for j, label in enumerate(site.labels):
        known = ~np.isnan(site.truth[:, j])
        y = site.truth[known, j]
        if not 0 < y.sum() < len(y):
            continue
        candidate = site.candidate[known, j] >= site.thresholds[label].review
        active = site.active[known, j] >= active_thresholds[label].review
        shares[label] = {"candidate_held": float(candidate[y == 0].mean()),
                         "candidate_caught": float(candidate[y == 1].mean()),
                         "active_held": float(active[y == 0].mean()),
                         "active_caught": float(active[y == 1].mean())}
    return shares


# --- what the Model page shows -------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A site version that served, measured on the site's labels when it was chosen."""

    version: str
    at: datetime
    #: Site labels it learnt from (0: the model before site learning).
    labels: int
    auc: float
    low: float | None
    high: float | None


def history(label: str = "toxic") -> list[Point]:
    """The site ROC AUC on ``label`` of each site candidate that was promoted, oldest first, with its 95%
    interval, measured on the site's labels when it was chosen; first the model it replaced, as the start."""
    points: list[Point] = []
    for job in db.session.scalars(
        sa.select(TrainingJob).where(TrainingJob.kind.in_(SITE_KINDS), TrainingJob.state == "promoted")
        .order_by(TrainingJob.id)
    ):
        c = ((job.comparison or {}).get("site") or {}).get(label)
        if not c or not job.candidate_version:
            continue
        if not points and job.comparison.get("active_version"):
            points.append(Point(job.comparison["active_version"], job.created_at, 0, c["active_auc"], None, None))
        points.append(Point(job.candidate_version, job.finished_at or job.created_at,
                            int(job.comparison.get("labels", 0)), c["candidate_auc"], c.get("auc_low"),
                            c.get("auc_high")))
    return points


@dataclass(frozen=True)
class SiteStatus:
    counts: dict[str, Counter[str]]
    next_run: NextRun
    auto_promote: bool
    auto_promote_setting: Setting | None
    history: list[Point]
    every: int
    hours: int


def import_runs(limit: int = 10) -> list[ImportRun]:
    """The latest ``import-comments`` runs, newest first: what each file taught, and how removed comments were taken."""
    return list(db.session.scalars(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))


def status() -> SiteStatus:
    config = current_app.config
    return SiteStatus(label_counts(), next_run(), auto_promote(), auto_promote_setting(), history(),
                  config["SITE_LEARNING_EVERY"], config["SITE_LEARNING_HOURS"])
