"""Routing policy: model scores and site rules in, a status and its reason out.

Pure functions only, so every rule can be checked in a table-driven unit test
without a database or a model. The order of the rules is the policy: hard
signals (honeypot, bans, block list) first, then "no scores, no publishing",
then near-certain spam, then the rules that only ever *hold* a comment, and
the model thresholds last.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from training.evaluate import Thresholds

from ..models import Status
from .wordlists import word_list

__all__ = ["Route", "Settings", "Signals", "Thresholds", "count_links", "route"]

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    thresholds: Mapping[str, Thresholds]
    max_links: int = 2
    moderation_words: Sequence[str] = ()
    block_words: Sequence[str] = ()
    trust_approved_authors: bool = True


@dataclass(frozen=True)
class Signals:
    """What the policy knows about a comment besides its scores."""

    text: str
    author: str = ""
    email: str = ""
    url: str = ""
    honeypot: bool = False
    banned: bool = False
    author_has_approved: bool = False
    article_hold_all: bool = False


@dataclass(frozen=True)
class Route:
    status: Status
    rule: str
    reason: str


def count_links(text: str) -> int:
    return len(URL_RE.findall(text))


def route(scores: Mapping[str, float] | None, signals: Signals, settings: Settings) -> Route:
    """Decide where a comment goes; ``scores`` is None when the model could not score it."""
    fields = (signals.text, signals.author, signals.email, signals.url)
    if signals.honeypot:
        return Route(Status.SPAM, "rule.honeypot", "the hidden honeypot field was filled in")
    if signals.banned:
        return Route(Status.SPAM, "rule.banned", "the author's email or IP is banned")
    if word := word_list(settings.block_words).first(*fields):
        return Route(Status.SPAM, "rule.block_word", f"contains the blocked word {word!r}")
    if scores is None:
        return Route(Status.PENDING, "scoring.failed", "the classifier could not score it")

    spam = settings.thresholds.get("spam")
    if spam is not None and scores.get("spam", 0.0) >= spam.high:
        return Route(
            Status.SPAM,
            "threshold.spam.high",
            f"spam score {scores['spam']:.2f} is at or above {spam.high:.2f}",
        )
    if signals.article_hold_all:
        return Route(Status.PENDING, "rule.hold_all", "this article holds every comment")
    if word := word_list(settings.moderation_words).first(*fields):
        return Route(Status.PENDING, "rule.moderation_word", f"contains the moderated word {word!r}")
    links = count_links(signals.text)
    if links > settings.max_links:
        return Route(
            Status.PENDING, "rule.links", f"{links} links, more than {settings.max_links}"
        )
    return _route_by_scores(scores, signals, settings)


def _route_by_scores(scores: Mapping[str, float], signals: Signals, settings: Settings) -> Route:
    # Highest risk first, so the reason names the label that mattered most.
    flagged = sorted(
        (
            (scores[label], label, t)
            for label, t in settings.thresholds.items()
            if label in scores and scores[label] >= t.review
        ),
        reverse=True,
    )
    if not flagged:
        return Route(Status.PUBLISHED, "threshold.below_review", "every score is below its review threshold")
    score, label, t = flagged[0]
    borderline = all(s < th.high for s, _, th in flagged)
    if borderline and settings.trust_approved_authors and signals.author_has_approved:
        return Route(
            Status.PUBLISHED,
            "rule.trusted_author",
            f"{label} score {score:.2f} is borderline and the author has an approved comment",
        )
    level = "high" if score >= t.high else "review"
    return Route(
        Status.PENDING,
        f"threshold.{label}.{level}",
        f"{label} score {score:.2f} is at or above {getattr(t, level):.2f}",
    )
