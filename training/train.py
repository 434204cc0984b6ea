"""Fit a model, measure it on held-out examples and pick its routing thresholds.

The examples are split per source and label combination (seeded), the model
is fitted on the larger part, and everything the card says (metrics, curves,
thresholds) is measured on the held-out part. The model is *not* refitted on
all data afterwards: the shipped model is exactly the one that was measured,
its thresholds were picked on its own held-out scores, and training stays
within its time budget. This is the base model; a site's own labels are not
mixed into it but learnt as a layer over it and measured on the site
(:mod:`.site`).
"""
from __future__ import annotations

import hashlib
import json
import math
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from sklearn.pipeline import Pipeline

from .datasets import LABELS, Dataset, Example
from .evaluate import LabelMetrics, Thresholds, label_metrics
from .pipeline import fit_pipeline, label_matrix
from .plots import render_curves

#: Share of every source held out for metrics and thresholds.
VALIDATION_FRACTION = 0.2
#: Thresholds are picked on the held-out comments of these sources whenever they hold both
#: classes: comments under articles and in discussions, like the site's own. Tweets' toxic
#: posts are harder to tell apart, and a threshold that catches them would hold a third of a
#: news site's ordinary comments. Metrics on the card still cover every source.
SITE_LIKE_SOURCES = ("csv:", "civil:", "wikitalk:", "wxr:", "decisions")
#: ``review`` is the highest score that still sends this share of a label's positives to a
#: moderator. Toxic is held less eagerly: a threshold for 95% recall held 3.5% of the held-out
#: clean news comments against 0.8% at 90% (``benchmarks/held_share.py``), and readers switch
#: off a model that makes ordinary comments wait; spam is cheap to review and costly to publish.
REVIEW_RECALL: Mapping[str, float] = MappingProxyType({"spam": 0.95, "toxic": 0.9})
#: ``high`` is the lowest score above which flagged comments are this precise...
HIGH_PRECISION = 0.99
#: ...counting only thresholds that flag at least this many held-out comments.
HIGH_MIN_FLAGGED = 10
#: Used for ``high`` when the held-out data cannot show ``HIGH_PRECISION``.
HIGH_FALLBACK = 0.99
#: Thresholds stay strictly inside (0, 1); calibrated spam scores crowd near 1, so the top bound is close to it.
THRESHOLD_BOUNDS = (1e-5, 1 - 1e-5)

Progress = Callable[[str, float], None]


@dataclass
class TrainingResult:
    """A fitted model and everything its card records; :meth:`Registry.save` writes it."""

    model: Pipeline
    labels: tuple[str, ...]
    thresholds: dict[str, Thresholds]
    threshold_notes: dict[str, str]
    metrics: dict[str, LabelMetrics]
    sources: list[dict[str, object]]
    seed: int
    parent: str | None
    training_seconds: float
    peak_memory_mb: float
    split: dict[str, object]
    validation: list[Example] = field(repr=False)
    plots: dict[str, bytes] = field(repr=False)
    #: The version whose public-data fit this model carries (None: this one's own, a full fit).
    base: str | None = None
    #: What a site candidate learnt from the site's labels and how it measured there (:mod:`.site`).
    site: dict[str, object] | None = None


def train(
    datasets: Sequence[Dataset],
    *,
    seed: int = 0,
    progress: Progress | None = None,
    parent: str | None = None,
    review_recall: Mapping[str, float] = REVIEW_RECALL,
    high_precision: float = HIGH_PRECISION,
) -> TrainingResult:
    """Fit a base model on ``datasets``, then measure it and pick thresholds on their held-out part."""
    report = progress or (lambda step, fraction: None)
    started = time.perf_counter()
    fit_part, held_out = split([e for d in datasets for e in d.examples], VALIDATION_FRACTION, seed)
    labels = LABELS

    report(f"fitting on {len(fit_part):,} examples ({len(held_out):,} held out)", 0.05)
    model = fit_pipeline(fit_part, labels, seed=seed)

    report("scoring the held-out examples", 0.85)
    scores = model.predict_proba([e.post for e in held_out])
    truth = label_matrix(held_out, labels)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    thresholds, notes, metrics = {}, {}, {}
    site_like = np.array([e.source.startswith(SITE_LIKE_SOURCES) for e in held_out])
    for j, label in enumerate(labels):
        known = ~np.isnan(truth[:, j])
        curves[label] = (truth[known, j].astype(int), scores[known, j])
        picked_on = known & site_like if len(set(truth[known & site_like, j])) == 2 else known
        thresholds[label], notes[label] = pick_thresholds(truth[picked_on, j].astype(int), scores[picked_on, j],
                                                          review_recall[label], high_precision)
        metrics[label] = label_metrics(*curves[label], thresholds[label])

    report("drawing the curves", 0.95)
    plots = render_curves(curves, thresholds)
    report("done", 1.0)
    return TrainingResult(
        model=model,
        labels=labels,
        thresholds=thresholds,
        threshold_notes={label: note for label, note in notes.items() if note},
        metrics=metrics,
        sources=describe_sources(datasets, ()),
        seed=seed,
        parent=parent,
        training_seconds=round(time.perf_counter() - started, 2),
        peak_memory_mb=round(peak_memory_mb(), 1),
        split={"validation_fraction": VALIDATION_FRACTION, "fitted_on": len(fit_part),
               "held_out": len(held_out), "refit_on_all": False,
               "review_recall_target": dict(review_recall), "high_precision_target": high_precision,
               "thresholds_picked_on": list(SITE_LIKE_SOURCES)},
        validation=held_out,
        plots=plots,
    )


def split(examples: Sequence[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """``(fit, held_out)``, stratified by source and by which labels are known and set.

    Per source, so that every source (and the site's own decisions) is
    measured; a stratum of one example stays in the fitting part.
    """
    strata: defaultdict[tuple[object, ...], list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        strata[(e.source, *(e.labels.get(label) for label in LABELS))].append(i)
    rng = np.random.default_rng(seed)
    held: set[int] = set()
    for key in sorted(strata, key=repr):
        members = strata[key]
        held.update(rng.permutation(members)[:round(len(members) * fraction)].tolist())
    return ([e for i, e in enumerate(examples) if i not in held],
            [e for i, e in enumerate(examples) if i in held])


def pick_thresholds(truth: np.ndarray, scores: np.ndarray, review_recall: float,
                    high_precision: float) -> tuple[Thresholds, str]:
    """``review`` for recall, ``high`` for precision on held-out scores; a note when a target is out of reach."""
    low, top = THRESHOLD_BOUNDS
    positives = np.sort(scores[truth == 1])[::-1]
    if len(positives) == 0 or len(positives) == len(scores):
        return Thresholds(0.5, HIGH_FALLBACK), "no held-out examples of both classes: default thresholds"
    review = float(np.clip(positives[math.ceil(review_recall * len(positives)) - 1], low, top))

    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(truth[order])
    flagged = np.arange(1, len(scores) + 1)
    # A cut can only fall between distinct scores: look at the last position of each score.
    last = np.r_[scores[order][1:] != scores[order][:-1], True]
    ok = last & (flagged >= HIGH_MIN_FLAGGED) & (hits / flagged >= high_precision)
    if ok.any():
        high = float(np.clip(scores[order][np.flatnonzero(ok)[-1]], low, top))
        note = ""
    else:
        high = HIGH_FALLBACK
        best = (hits / flagged)[last & (flagged >= min(HIGH_MIN_FLAGGED, len(scores)))].max()
        note = (f"{high_precision:.0%} precision not reached on held-out data (best {best:.1%}); "
                f"high set to {HIGH_FALLBACK}")
    return Thresholds(review, max(high, review)), note


def describe_sources(datasets: Sequence[Dataset], extra: Sequence[Example]) -> list[dict[str, object]]:
    """What the card says about each data source: name, hash, size, positives, skipped rows."""
    described = [_source(d.name, d.sha256, d.examples, d.skipped) for d in datasets]
    if extra:
        described.append(_source("decisions", _examples_sha256(extra), extra, Counter()))
    return described


def _source(name: str, sha256: str, examples: Sequence[Example], skipped: Counter[str]) -> dict[str, object]:
    return {
        "name": name,
        "sha256": sha256,
        "examples": len(examples),
        "positives": {label: sum(1 for e in examples if e.labels.get(label) is True)
                      for label in LABELS if any(label in e.labels for e in examples)},
        "skipped": dict(skipped),
    }


def _examples_sha256(examples: Sequence[Example]) -> str:
    """A stable hash of examples that have no file, so a card still pins down its data."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(json.dumps([e.text, dict(sorted(e.labels.items())), e.source, e.weight]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def peak_memory_mb() -> float:
    """This process's peak resident memory so far (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
