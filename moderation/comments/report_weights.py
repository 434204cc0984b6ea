"""How much readers' reports count: pure functions, so the weighting is tested without a database.

A report's weight is its reporter's record: ``(upheld + 1) / (upheld + dismissed + 1)``
over their earlier reports on other comments, so a new reporter counts fully and one
whose reports keep being dismissed counts for less (three dismissed, none upheld:
a quarter). Reports from one network (the same IP hash, or the same /24 or /48)
count once, at the weight of the best-regarded reporter among them: a brigade from
one place is one reporter however many reports it files. The sum over networks is
the comment's *reporters*; it hides the comment at ``REPORT_HIDE_AFTER`` and adds
to the weight of the label a moderator gives it.

The Reported tab's risk combines the model's highest score with that evidence:
each network's weight times its reason's weight (abuse and spam 1, "other" 0.6,
off-topic 0.4) halves what is left of the chance that the comment is fine, so one
full report on a comment the model scored 0.1 gives 0.55, three give 0.89.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The reasons a reader can give, as the report form shows them.
REASONS: dict[str, str] = {
    "spam": "Spam",
    "abusive": "Abusive or hateful",
    "offtopic": "Off-topic",
    "other": "Something else",
}
#: How strongly each reason suggests the comment should go: the queue exists for abuse and spam.
REASON_WEIGHTS: dict[str, float] = {"spam": 1.0, "abusive": 1.0, "other": 0.6, "offtopic": 0.4}


@dataclass(frozen=True)
class Filed:
    """What the weighting needs to know of one report."""

    id: int
    comment_id: int
    reader: str
    ip_hash: str
    network: str
    reason: str
    #: "open", "upheld" or "dismissed"
    state: str


def credibility(report: Filed, history: Iterable[Filed]) -> float:
    """The reporter's record on *other* comments: the same reader cookie or the same IP hash is the same reporter."""
    upheld = dismissed = 0
    for past in history:
        if past.comment_id == report.comment_id or not (past.reader == report.reader or past.ip_hash == report.ip_hash):
            continue
        upheld += past.state == "upheld"
        dismissed += past.state == "dismissed"
    return (upheld + 1) / (upheld + dismissed + 1)


def by_network(reports: Iterable[Filed], weights: Mapping[int, float]) -> dict[str, tuple[float, str]]:
    """Each network's one vote: the highest-weighted of its reports, with that report's reason."""
    votes: dict[str, tuple[float, str]] = {}
    for report in reports:
        weight = weights.get(report.id, 1.0)
        if report.network not in votes or weight > votes[report.network][0]:
            votes[report.network] = (weight, report.reason)
    return votes


def reporters(reports: Iterable[Filed], weights: Mapping[int, float]) -> float:
    """Distinct reporters, each network once and each as much as its record says."""
    return sum(weight for weight, _ in by_network(reports, weights).values())


def risk(model_risk: float, reports: Iterable[Filed], weights: Mapping[int, float]) -> float:
    """The Reported tab's order: the model's score pushed up by each network's report (see the module's doc)."""
    evidence = sum(weight * REASON_WEIGHTS.get(reason, REASON_WEIGHTS["other"])
                   for weight, reason in by_network(reports, weights).values())
    return 1.0 - (1.0 - min(max(model_risk, 0.0), 1.0)) * 0.5 ** evidence


def note_points(review: Mapping[str, float], share: float) -> dict[str, float]:
    """Per label, the score above which one report sends a published comment back to Pending."""
    return {label: share * threshold for label, threshold in review.items()}


def past_note_point(scores: Mapping[str, float] | None, points: Mapping[str, float]) -> str | None:
    """The label whose score is at or above its note point, the highest such score first; None if none."""
    over = sorted(((score, label) for label, score in (scores or {}).items()
                   if label in points and score >= points[label]), reverse=True)
    return over[0][1] if over else None
