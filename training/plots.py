"""ROC and precision-recall curves of a model on its held-out examples, as PNG bytes for its card.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas rather
than ``pyplot``: no global state and no display, so training can run inside a
web worker or a job queue.
"""
from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from .evaluate import Thresholds

#: File names of the plots in a version folder, as listed in its card.
ROC_PLOT = "roc.png"
PR_PLOT = "pr.png"

Curves = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""Per label: (0/1 truth, scores) over the held-out examples that know the label."""


def render_curves(curves: Curves, thresholds: Mapping[str, Thresholds]) -> dict[str, bytes]:
    """``{file name: PNG}`` for the ROC and PR plots, with each label's operating points marked."""
    roc, roc_ax = _figure("ROC (held-out)", "false positive rate", "true positive rate")
    pr, pr_ax = _figure("Precision-recall (held-out)", "recall", "precision")
    for label, (truth, scores) in curves.items():
        if not 0 < truth.sum() < len(truth):
            continue
        fpr, tpr, _ = roc_curve(truth, scores)
        precision, recall, _ = precision_recall_curve(truth, scores)
        line, = roc_ax.plot(fpr, tpr, label=label)
        pr_ax.plot(recall, precision, label=label, color=line.get_color())
        for name, cut in (("review", thresholds[label].review), ("high", thresholds[label].high)):
            flagged = scores >= cut
            recall_at = flagged[truth == 1].mean()
            _mark(roc_ax, name, (flagged[truth == 0].mean(), recall_at), line.get_color())
            if flagged.any():
                _mark(pr_ax, name, (recall_at, truth[flagged].mean()), line.get_color())
    roc_ax.plot([0, 1], [0, 1], ":", color="grey")
    for ax in (roc_ax, pr_ax):
        ax.legend(loc="lower right" if ax is roc_ax else "lower left")
    return {ROC_PLOT: _png(roc), PR_PLOT: _png(pr)}


def _figure(title: str, xlabel: str, ylabel: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(4.5, 4), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    return figure, ax


def _mark(ax: Axes, name: str, point: tuple[float, float], color: str) -> None:
    ax.plot(*point, "o", color=color)
    ax.annotate(name, point, fontsize=7, xytext=(4, -10), textcoords="offset points")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
