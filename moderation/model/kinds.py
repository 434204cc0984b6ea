"""The kinds of toxicity behind a held comment ("likely: insult, threat"), stored with it and read back.

They are kept in the comment's ``explanation`` JSON under ``KINDS_KEY``, in the
shape of the per-label reasons (a list of ``[name, number]``), so no migration
is needed. Nothing that routes reads them: routing, queue order and capacity
read ``scores``, and the text marks (:mod:`moderation.queue.highlights`) read only the
explanation's labels that have thresholds, which ``KINDS_KEY`` never is.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.evaluate import Thresholds
from training.kinds import PARENT, likely

from ..models import Comment
from .scoring import Scored

KINDS_KEY = f"{PARENT}.kinds"


def stored_explanation(scored: Scored) -> dict[str, list[list[Any]]]:
    """``Comment.explanation`` for ``scored``: the reasons per label and, when the model has kinds, P(kind | toxic)."""
    stored: dict[str, list[list[Any]]] = {label: [list(t) for t in reasons]
                                          for label, reasons in scored.explanation.items()}
    if scored.kinds:
        stored[KINDS_KEY] = [[kind, round(p, 4)] for kind, p in scored.kinds.items()]
    return stored


def likely_kinds(comment: Comment, thresholds: Mapping[str, Thresholds]) -> list[str]:
    """The kinds to name for ``comment``, in plain words; none unless its toxic score reached review.

    P(kind | toxic) means nothing for a comment that is not toxic, so a
    comment held only for spam or links shows no kind.
    """
    limit = thresholds.get(PARENT)
    if limit is None or (comment.scores or {}).get(PARENT, 0.0) < limit.review:
        return []
    return likely({kind: float(p) for kind, p in (comment.explanation or {}).get(KINDS_KEY, [])})
