"""Learning one site from its own labels, measuring the result on that site, and the gate it must pass.

A site candidate is the base model (the one fitted on public data) with a
site layer (:mod:`.adapt`) fitted on every label the site has given. It is
measured where it will serve, on the site's labels, but never on a label it
learnt from: the labels are cut into ``FOLDS`` folds, a layer is fitted on
the other folds and scores each fold, so every label gets an out-of-fold
score.

The active model is measured the same way, on the same labels, so the two are
compared pair by pair: the active model is the base with a layer fitted on the
labels it knew when it was trained (none for the base itself), and its
out-of-fold scores come from layers fitted on those of the other folds. A
candidate passes the gate only when, for some label, the whole 95% interval of
its ROC AUC gain over the active model (a paired bootstrap) is above zero and,
for no label, is below zero. A few hundred labels can make a layer worse than
the base (measured on ETHOS, 0.78 → 0.76 at 200): that is the case the gate
keeps out.

Once a site has enough labels (``MIN_LABELS_FOR_THRESHOLDS``, with
``MIN_POSITIVES_FOR_THRESHOLDS`` of a label), that label's review threshold is
picked on the candidate's out-of-fold scores of the site's labels, at the same
recall targets as the base model's, and no longer on the public held-out split:
unseen sites score their clean comments much higher than the public data does.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from .adapt import SiteData, fit_layer, fold_in, layer_scores, prepare
from .datasets import Example
from .evaluate import LabelMetrics, Thresholds, label_metrics
from .plots import render_curves
from .train import REVIEW_RECALL, TrainingResult, describe_sources, peak_memory_mb, pick_thresholds

FOLDS = 5
#: Paired bootstrap resamples for the interval of an AUC gain.
RESAMPLES = 400
#: A label is compared only when the site has this many labels of each class.
MIN_TO_COMPARE = 20
MIN_LABELS_FOR_THRESHOLDS = 300
MIN_POSITIVES_FOR_THRESHOLDS = 30


@dataclass(frozen=True)
class Comparison:
    """Candidate against active on one label, over the same out-of-fold scores."""

    label: str
    labelled: int
    positives: int
    candidate_auc: float
    active_auc: float
    #: 95% interval of candidate AUC minus active AUC (paired bootstrap).
    gain_low: float
    gain_high: float
    #: 95% interval of the candidate's own ROC AUC (the same resamples).
    auc_low: float
    auc_high: float

    @property
    def better(self) -> bool:
        return self.gain_low > 0

    @property
    def worse(self) -> bool:
        return self.gain_high < 0

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "labelled": self.labelled, "positives": self.positives,
                "candidate_auc": self.candidate_auc, "active_auc": self.active_auc,
                "gain_low": self.gain_low, "gain_high": self.gain_high,
                "auc_low": self.auc_low, "auc_high": self.auc_high}


@dataclass
class SiteRun:
    """A fitted site candidate and everything measured about it on the site's labels."""

    model: Pipeline
    labels: tuple[str, ...]
    truth: np.ndarray
    #: Out-of-fold P(label) of every site label, for the candidate and for the active model.
    candidate: np.ndarray
    active: np.ndarray
    comparisons: dict[str, Comparison]
    #: Review and high thresholds per label, and where each review threshold was picked.
    thresholds: dict[str, Thresholds]
    thresholds_from: dict[str, str]
    metrics: dict[str, LabelMetrics]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def out_of_fold(data: SiteData, known_to_active: np.ndarray, *, folds: int = FOLDS,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold P(label) of every example: a layer on all other folds (candidate) and on
    the other folds' labels that the active model knew (active: the base where it knew none).

    The folds' fits are independent and spend their time in sparse products that release the GIL,
    so they run on threads, one per core.
    """
    n = len(data)
    candidate, active = np.zeros((n, len(data.labels))), np.zeros((n, len(data.labels)))

    def fold(rows: tuple[np.ndarray, np.ndarray]) -> None:
        train_rows, test_rows = rows
        candidate[test_rows] = layer_scores(data, fit_layer(data, train_rows), test_rows)
        active_rows = train_rows[known_to_active[train_rows]]
        active[test_rows] = layer_scores(data, fit_layer(data, active_rows) if len(active_rows) else {}, test_rows)

    with ThreadPoolExecutor(max_workers=min(folds, os.cpu_count() or 1)) as pool:
        list(pool.map(fold, _folds(data, folds, seed)))
    return candidate, active


def _folds(data: SiteData, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified by each example's class (which labels it has set), so every fold holds the rare ones."""
    classes = (np.nan_to_num(data.truth, nan=-1.0) @ (3.0 ** np.arange(len(data.labels)))).tolist()
    counts = Counter(classes)
    # A class with fewer examples than folds joins the commonest, rather than breaking the split.
    common = counts.most_common(1)[0][0]
    strata = [c if counts[c] >= folds else common for c in classes]
    return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(strata)), strata))


def compare(label: str, truth: np.ndarray, candidate: np.ndarray, active: np.ndarray, *,
            seed: int = 0) -> Comparison | None:
    """Both models' ROC AUC on one label and the 95% interval of the gain; None with too few of a class."""
    known = ~np.isnan(truth)
    y, c, a = truth[known].astype(int), candidate[known], active[known]
    positives = int(y.sum())
    if min(positives, len(y) - positives) < MIN_TO_COMPARE:
        return None
    rng = np.random.default_rng(seed)
    candidate_aucs, gains = [], []
    for _ in range(RESAMPLES):
        pick = rng.integers(0, len(y), len(y))
        if 0 < y[pick].sum() < len(pick):
            candidate_aucs.append(roc_auc(y[pick], c[pick]))
            gains.append(candidate_aucs[-1] - roc_auc(y[pick], a[pick]))
    low, high = np.percentile(gains, [2.5, 97.5])
    auc_low, auc_high = np.percentile(candidate_aucs, [2.5, 97.5])
    return Comparison(label, len(y), positives, roc_auc(y, c), roc_auc(y, a),
                      float(low), float(high), float(auc_low), float(auc_high))


def roc_auc(truth: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic of the scores' ranks (ties averaged), equal to scikit-learn's.

    The bootstrap computes it 1,600 times a label: scikit-learn's checks cost 7 ms a call, this 0.3 ms.
    """
    ranks = rankdata(scores)
    positives = int(truth.sum())
    return float((ranks[truth == 1].sum() - positives * (positives + 1) / 2) / (positives * (len(truth) - positives)))


def site_thresholds(labels: Sequence[str], truth: np.ndarray, scores: np.ndarray,
                    fallback: Mapping[str, Thresholds],
                    review_recall: Mapping[str, float] = REVIEW_RECALL) -> tuple[dict[str, Thresholds],
                                                                                 dict[str, str]]:
    """Per label, thresholds picked on the site's out-of-fold scores where it has enough labels, else ``fallback``."""
    thresholds, picked = {}, {}
    enough = int((~np.isnan(truth).all(axis=1)).sum()) >= MIN_LABELS_FOR_THRESHOLDS
    for j, label in enumerate(labels):
        known = ~np.isnan(truth[:, j])
        y = truth[known, j].astype(int)
        if enough and y.sum() >= MIN_POSITIVES_FOR_THRESHOLDS and len(y) - y.sum() >= MIN_POSITIVES_FOR_THRESHOLDS:
            site, _ = pick_thresholds(y, scores[known, j], review_recall[label], 0.99)
            # The high threshold (straight to spam) stays the base model's unless the site's is stricter:
            # a few hundred labels cannot show 99% precision.
            thresholds[label] = Thresholds(site.review, max(site.review, fallback[label].high))
            picked[label] = f"site labels ({len(y):,}, out-of-fold)"
        else:
            thresholds[label] = fallback[label]
            picked[label] = "public held-out data (too few site labels)"
    return thresholds, picked


def learn(base: Pipeline, examples: Sequence[Example], known_to_active: np.ndarray,
          base_thresholds: Mapping[str, Thresholds], *, folds: int = FOLDS, seed: int = 0) -> SiteRun:
    """Fit the site candidate on every label and measure it, and the active model, out of fold."""
    if len(examples) < 2 * folds:
        raise ValueError(f"a site needs at least {2 * folds} labels to be measured, not {len(examples)}")
    started = time.perf_counter()
    data = prepare(base, examples)
    candidate_oof, active_oof = out_of_fold(data, np.asarray(known_to_active, dtype=bool), folds=folds, seed=seed)
    model = fold_in(base, fit_layer(data), data.slope)
    comparisons = {}
    for j, label in enumerate(data.labels):
        found = compare(label, data.truth[:, j], candidate_oof[:, j], active_oof[:, j], seed=seed)
        if found is not None:
            comparisons[label] = found
    thresholds, picked = site_thresholds(data.labels, data.truth, candidate_oof, base_thresholds)
    metrics = {}
    for j, label in enumerate(data.labels):
        known = ~np.isnan(data.truth[:, j])
        y = data.truth[known, j].astype(int)
        if 0 < y.sum() < len(y):
            metrics[label] = label_metrics(y, candidate_oof[known, j], thresholds[label])
    return SiteRun(model, data.labels, data.truth, candidate_oof, active_oof, comparisons, thresholds, picked,
                   metrics, round(time.perf_counter() - started, 2))


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def gate(comparisons: Mapping[str, Comparison], newly_right: int, newly_wrong: int) -> Verdict:
    """Promote only a candidate better beyond noise on some label, worse beyond noise on none,
    and right on more past overrides than it newly gets wrong."""
    if not comparisons:
        return Verdict(False, f"too few site labels to compare (a label needs {MIN_TO_COMPARE} of each class)")
    worse = [c for c in comparisons.values() if c.worse]
    if worse:
        return Verdict(False, "worse than the active model on " + ", ".join(
            f"{c.label} (ROC AUC {c.candidate_auc:.3f} against {c.active_auc:.3f})" for c in worse))
    better = [c for c in comparisons.values() if c.better]
    if not better:
        return Verdict(False, "not better than the active model beyond the noise of "
                       + ", ".join(f"{c.label} (gain {c.gain_low:+.3f} to {c.gain_high:+.3f})"
                                   for c in comparisons.values()))
    if newly_wrong and newly_right <= newly_wrong:
        return Verdict(False, f"gets {newly_wrong} past overrides newly wrong and only {newly_right} newly right")
    return Verdict(True, "better than the active model on " + ", ".join(
        f"{c.label} (ROC AUC {c.active_auc:.3f} → {c.candidate_auc:.3f}, gain {c.gain_low:+.3f} to "
        f"{c.gain_high:+.3f})" for c in better))


def candidate_result(run: SiteRun, examples: Sequence[Example], *, base: str, base_card: Mapping[str, object],
                     parent: str | None, labels_until: str | None, seed: int = 0) -> TrainingResult:
    """What the registry saves for a site candidate: its card measures it on the site's labels, out of fold.

    A label the site has not labelled both ways keeps the base card's held-out figures, and says so.
    """
    base_metrics = base_card.get("metrics", {})
    metrics = {label: run.metrics.get(label) or _metrics_from_card(base_metrics[label])  # type: ignore[index]
               for label in run.labels if label in run.metrics or label in base_metrics}  # type: ignore[operator]
    curves = {}
    for j, label in enumerate(run.labels):
        known = ~np.isnan(run.truth[:, j])
        if label in run.metrics:
            curves[label] = (run.truth[known, j].astype(int), run.candidate[known, j])
    by_source = Counter(e.source for e in examples)
    site = {
        "labels": len(examples),
        "labels_until": labels_until,
        "by_source": dict(sorted(by_source.items())),
        "folds": FOLDS,
        "comparisons": {label: c.as_json() for label, c in run.comparisons.items()},
        "thresholds_from": run.thresholds_from,
        "metrics_from": {label: "site labels, out of fold" if label in run.metrics else "base model, public held-out"
                         for label in metrics},
        "seconds": run.seconds,
    }
    return TrainingResult(
        model=run.model, labels=run.labels, thresholds=run.thresholds, threshold_notes={}, metrics=metrics,
        sources=list(base_card.get("data", [])) + describe_sources([], examples),  # type: ignore[call-overload]
        seed=seed, parent=parent, training_seconds=run.seconds, peak_memory_mb=round(peak_memory_mb(), 1),
        split={"site_labels": len(examples), "folds": FOLDS, "thresholds_picked_on": run.thresholds_from},
        validation=[], plots=render_curves(curves, run.thresholds) if curves else {}, base=base, site=site,
    )


def _metrics_from_card(figures: Mapping[str, object]) -> LabelMetrics:
    return LabelMetrics(**{name: float("nan") if value is None else value  # type: ignore[arg-type]
                           for name, value in figures.items()})
