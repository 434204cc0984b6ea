"""Review thresholds from the moderators' capacity: "we can review about N comments a day".

Pure functions (no Flask, no database): the caller hands in the scores of the
comments of a recent window, how many of them rules would hold anyway, and the
active model's held-out figures; ``suggest`` returns one review threshold per
label, the daily load they would have produced over that window, and the share
of each label's flagged comments they would let through unseen.

The rule, and why:

* A comment lands in the queue when any label's score reaches that label's
  review threshold, so the load of a set of thresholds is counted on the
  window's comments as the union over labels (a comment flagged twice is
  reviewed once), plus the comments rules hold whatever the thresholds are
  (links, moderated words, articles that hold everything, scoring failures).
  Comments the spam folder takes (spam score at or above its *high*
  threshold) are not in the queue and not counted; suggestions never move
  the *high* thresholds, and never put a review threshold above its label's.
* The budget is spread so that **every label keeps the same held-out recall**,
  the highest that fits in N a day. Maximising the *total* of flagged comments
  caught would need how common each label is on this site, which nothing here
  measures without bias (moderators' labels come from comments the model chose
  to hold); equal recall needs only the held-out curves, and it never buys a
  little spam recall by letting most toxic comments through.
* Recall at a threshold comes from the model card. Cards store held-out recall
  at two operating points (the card's review and high thresholds), not whole
  curves, so recall in between is interpolated linearly through (0, 1),
  (review, recall), (high, recall_high) and (1, 0). It is an estimate, and the
  page says so.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from training.evaluate import Thresholds

#: Days of stored scores a suggestion looks at.
WINDOW_DAYS = 14
#: The label whose high threshold sends a comment to the spam folder instead of the queue (see policy.route).
SPAM_FOLDER_LABEL = "spam"
_BISECTIONS = 40


@dataclass(frozen=True)
class RecallCurve:
    """Held-out recall as a function of the review threshold, through the card's two measured points."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    @classmethod
    def from_card(cls, thresholds: Thresholds, metrics: Mapping[str, Any]) -> RecallCurve | None:
        """None when the card lacks either measured recall."""
        recall, recall_high = metrics.get("recall"), metrics.get("recall_high")
        if not isinstance(recall, int | float) or not isinstance(recall_high, int | float):
            return None
        low, high = sorted((float(thresholds.review), float(thresholds.high)))
        first = min(1.0, max(0.0, float(recall)))
        second = min(first, max(0.0, float(recall_high)))  # recall never grows with the threshold
        return cls((0.0, low, high, 1.0), (1.0, first, second, 0.0))

    def recall_at(self, threshold: float) -> float:
        return float(np.interp(threshold, self.xs, self.ys))

    def threshold_for(self, recall: float) -> float:
        """The highest threshold whose recall is at least ``recall`` (the fewest reviews for it)."""
        xs, ys = self.xs, self.ys
        for i in range(len(xs) - 1, 0, -1):
            if ys[i] >= recall:
                return xs[i]
            if ys[i - 1] >= recall:
                return xs[i - 1] + (recall - ys[i - 1]) * (xs[i] - xs[i - 1]) / (ys[i] - ys[i - 1])
        return xs[0]


@dataclass(frozen=True)
class LabelSuggestion:
    label: str
    current: float
    review: float
    #: Held-out recall (share of this label's flagged comments held or sent to spam) now and suggested.
    current_recall: float | None
    recall: float | None

    @property
    def missed(self) -> float | None:
        """The expected share of this label's flagged comments published unseen."""
        return None if self.recall is None else 1.0 - self.recall

    @property
    def current_missed(self) -> float | None:
        return None if self.current_recall is None else 1.0 - self.current_recall


@dataclass(frozen=True)
class Suggestion:
    per_day: int
    days: float
    #: Comments in the window whose routing the review thresholds decide.
    comments: int
    #: Comments a day that rules hold whatever the thresholds.
    fixed_per_day: float
    current_per_day: float
    expected_per_day: float
    labels: list[LabelSuggestion]
    #: True when even the highest thresholds allowed load the queue beyond N a day.
    over_budget: bool
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for entry, label in zip(data["labels"], self.labels, strict=True):
            entry["missed"], entry["current_missed"] = label.missed, label.current_missed
        return data


def excluded_by_spam_folder(scores: Mapping[str, float], thresholds: Mapping[str, Thresholds]) -> bool:
    """Whether the spam folder takes this comment before any review threshold is looked at."""
    spam = thresholds.get(SPAM_FOLDER_LABEL)
    return spam is not None and scores.get(SPAM_FOLDER_LABEL, 0.0) >= spam.high


def _load(matrix: np.ndarray, review: np.ndarray) -> int:
    return int(np.count_nonzero((matrix >= review).any(axis=1))) if matrix.size else 0


def suggest(
    per_day: int,
    scores: Sequence[Mapping[str, float]],
    fixed: int,
    days: float,
    current: Mapping[str, Thresholds],
    card_thresholds: Mapping[str, Thresholds],
    card_metrics: Mapping[str, Mapping[str, Any]],
) -> Suggestion:
    """Review thresholds that would have held about ``per_day`` comments a day over the window.

    ``scores``: the window's comments that the review thresholds route (not the spam folder's,
    not those rules hold); ``fixed``: those rules hold; ``days``: the window's length;
    ``current``: the thresholds in force; ``card_*``: the active model's card, whose thresholds
    are where its held-out recall was measured.
    """
    if per_day < 1:
        raise ValueError("per_day must be at least 1")
    if days <= 0:
        raise ValueError("days must be positive")
    labels = list(current)
    notes: list[str] = []
    curves: dict[str, RecallCurve] = {}
    for label in labels:
        curve = RecallCurve.from_card(card_thresholds[label], card_metrics.get(label, {})) \
            if label in card_thresholds else None
        if curve is None:
            notes.append(f"The model card has no held-out recall for {label}: its threshold is left as it is.")
        else:
            curves[label] = curve
    matrix = np.array([[s.get(label, 0.0) for label in labels] for s in scores], dtype=float).reshape(-1, len(labels))
    budget = per_day * days - fixed

    def thresholds_for(recall: float) -> np.ndarray:
        return np.array([min(curves[label].threshold_for(recall), current[label].high) if label in curves
                         else current[label].review for label in labels])

    low, high = 0.0, 1.0
    over_budget = _load(matrix, thresholds_for(0.0)) > budget
    if not over_budget:
        if _load(matrix, thresholds_for(1.0)) <= budget:
            low = 1.0
        else:
            for _ in range(_BISECTIONS):
                middle = (low + high) / 2
                if _load(matrix, thresholds_for(middle)) <= budget:
                    low = middle
                else:
                    high = middle
    else:
        notes.append("Even the highest review thresholds hold more than that: "
                     "the suggestion is the fewest reviews the model's high thresholds allow.")
    review = thresholds_for(low)
    now = np.array([current[label].review for label in labels])
    suggestions = [
        LabelSuggestion(
            label=label, current=float(now[i]), review=float(review[i]),
            current_recall=curves[label].recall_at(now[i]) if label in curves else None,
            recall=curves[label].recall_at(review[i]) if label in curves else None,
        )
        for i, label in enumerate(labels)
    ]
    return Suggestion(
        per_day=per_day, days=days, comments=len(scores), fixed_per_day=fixed / days,
        current_per_day=(_load(matrix, now) + fixed) / days,
        expected_per_day=(_load(matrix, review) + fixed) / days,
        labels=suggestions, over_budget=over_budget, notes=notes,
    )
