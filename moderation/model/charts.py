"""The site-learning chart of the Model page as plain geometry: points, an interval per point, axis ticks.

Drawn as inline SVG by the template (no script, no image request, readable
without colour): the page shows how the site ROC AUC of the serving model moved
as the site gave labels, each point with its 95% interval.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .site_learning import Point

WIDTH, HEIGHT, MARGIN = 560, 220, 40


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    #: The interval's ends on the y axis (the same as ``y`` where none was measured).
    y_low: float
    y_high: float
    point: Point


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    marks: list[Mark]
    #: (y, label) for the horizontal grid lines.
    ticks: list[tuple[float, str]]
    polyline: str


def auc_chart(points: Sequence[Point]) -> Chart | None:
    """The points placed by order (one step per promotion) on a ROC AUC axis fitted to their intervals."""
    if not points:
        return None
    values = [v for p in points for v in (p.auc, p.low, p.high) if v is not None]
    bottom = max(0.0, (int(min(values) * 20) - 1) / 20)
    top = min(1.0, (int(max(values) * 20) + 1) / 20)
    span = top - bottom or 0.05

    def y(value: float) -> float:
        return round(HEIGHT - MARGIN - (value - bottom) / span * (HEIGHT - 2 * MARGIN), 1)

    step = (WIDTH - 2 * MARGIN) / max(len(points) - 1, 1)
    marks = [Mark(round(MARGIN + i * step, 1), y(p.auc), y(p.low if p.low is not None else p.auc),
                  y(p.high if p.high is not None else p.auc), p) for i, p in enumerate(points)]
    ticks = [(y(bottom + i * span / 4), f"{bottom + i * span / 4:.2f}") for i in range(5)]
    return Chart(WIDTH, HEIGHT, marks, ticks, " ".join(f"{m.x},{m.y}" for m in marks))
