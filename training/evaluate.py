"""How good a model is on labelled examples, in the figures routing depends on.

Besides the threshold-free ROC AUC and PR AUC, every label reports precision
and recall at the model's own thresholds: "flagged" means a score at or above
``review`` (the comment waits for a moderator), and the ``_high`` pair is the
same at ``high`` (near-certain: spam goes straight to the spam folder).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from .datasets import Example
from .features import Comment
from .pipeline import label_matrix


@dataclass(frozen=True)
class Thresholds:
    """Below ``review`` a label lets a comment through; at or above ``high`` it is near-certain."""

    review: float
    high: float


@dataclass(frozen=True)
class LabelMetrics:
    """One label on one set of examples; NaN where the data cannot tell (no positives)."""

    n: int
    positives: int
    roc_auc: float
    pr_auc: float
    precision: float
    recall: float
    precision_high: float
    recall_high: float

    def as_json(self) -> dict[str, int | float | None]:
        """The issue's per-label JSON object (``precision``/``recall`` at ``review``), NaN as null."""
        return {name: None if isinstance(value, float) and math.isnan(value) else value
                for name, value in self.__dict__.items()}


class Scoring(Protocol):
    """What evaluation needs of a model: a :class:`training.registry.LoadedModel` has it."""

    version: str
    labels: tuple[str, ...]
    thresholds: Mapping[str, Thresholds]

    def score_batch(self, comments: Sequence[Comment]) -> list[dict[str, float]]: ...


def label_metrics(truth: np.ndarray, scores: np.ndarray, thresholds: Thresholds) -> LabelMetrics:
    """Metrics of one label from 0/1 ``truth`` and ``scores`` over the examples that know the label."""
    truth = np.asarray(truth, dtype=int)
    scores = np.asarray(scores, dtype=float)
    positives = int(truth.sum())
    both = 0 < positives < len(truth)
    return LabelMetrics(
        n=len(truth),
        positives=positives,
        roc_auc=float(roc_auc_score(truth, scores)) if both else math.nan,
        pr_auc=float(average_precision_score(truth, scores)) if positives else math.nan,
        **_at("", truth, scores >= thresholds.review),
        **_at("_high", truth, scores >= thresholds.high),
    )


def _at(suffix: str, truth: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    hits = int((flagged & (truth == 1)).sum())
    return {
        f"precision{suffix}": hits / flagged.sum() if flagged.any() else math.nan,
        f"recall{suffix}": hits / truth.sum() if truth.any() else math.nan,
    }


def evaluate(model: Scoring, examples: Sequence[Example]) -> dict[str, LabelMetrics]:
    """Each of the model's labels on the examples that know it."""
    scores = model.score_batch([e.post for e in examples])
    truth = label_matrix(examples, model.labels)
    result = {}
    for j, label in enumerate(model.labels):
        known = ~np.isnan(truth[:, j])
        result[label] = label_metrics(truth[known, j], np.array([s[label] for s in scores])[known],
                                      model.thresholds[label])
    return result


def compare(a: Scoring, b: Scoring, examples: Sequence[Example]) -> dict[str, dict[str, LabelMetrics]]:
    """Two versions on the same examples, keyed by version (for :func:`format_table`)."""
    return {a.version: evaluate(a, examples), b.version: evaluate(b, examples)}


def metrics_json(version: str, metrics: Mapping[str, LabelMetrics]) -> dict[str, object]:
    """The JSON shape the issue fixes: ``{"model": VERSION, "labels": {label: {...}}}``."""
    return {"model": version, "labels": {label: m.as_json() for label, m in metrics.items()}}


_COLUMNS = ("label", "model", "examples", "positives", "ROC AUC", "PR AUC",
            "precision", "recall", "prec@high", "rec@high")


def format_table(results: Mapping[str, Mapping[str, LabelMetrics]], key: str = "model") -> str:
    """A plain-text table, one row per label and model version: ``{version: {label: metrics}}``.

    ``key`` names the second column when the rows are something else (data sets, say).
    """
    rows = [(_COLUMNS[0], key, *_COLUMNS[2:])]
    labels = list(dict.fromkeys(label for metrics in results.values() for label in metrics))
    for label in labels:
        for version, metrics in results.items():
            if label in metrics:
                m = metrics[label]
                rows.append((label, version, str(m.n), str(m.positives),
                             *(_figure(v) for v in (m.roc_auc, m.pr_auc, m.precision, m.recall,
                                                    m.precision_high, m.recall_high))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(cell.rjust(w) if i > 1 else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
                     for row in rows)


def _figure(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"
