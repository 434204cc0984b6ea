"""The routing policy as a table: each rule and each threshold, and their order."""
from __future__ import annotations

import pytest

from moderation.comments.policy import Settings, Signals, Thresholds, count_links, route
from moderation.models import Status

T = {"spam": Thresholds(review=0.5, high=0.95), "toxic": Thresholds(review=0.4, high=0.9)}
S = Settings(thresholds=T, max_links=2, moderation_words=("refund",), block_words=("casino",))
LOW = {"spam": 0.1, "toxic": 0.1}


def sig(text: str = "A fair point about the budget.", **kw: object) -> Signals:
    return Signals(text=text, author="Ann", email="ann@example.org", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scores", "signals", "settings", "status", "rule"),
    [
        (LOW, sig(), S, Status.PUBLISHED, "threshold.below_review"),
        ({"spam": 0.49, "toxic": 0.39}, sig(), S, Status.PUBLISHED, "threshold.below_review"),
        ({"spam": 0.5, "toxic": 0.1}, sig(), S, Status.PENDING, "threshold.spam.review"),
        ({"spam": 0.1, "toxic": 0.4}, sig(), S, Status.PENDING, "threshold.toxic.review"),
        ({"spam": 0.1, "toxic": 0.95}, sig(), S, Status.PENDING, "threshold.toxic.high"),
        ({"spam": 0.95, "toxic": 0.1}, sig(), S, Status.SPAM, "threshold.spam.high"),
        ({"spam": 0.7, "toxic": 0.8}, sig(), S, Status.PENDING, "threshold.toxic.review"),
        (None, sig(), S, Status.PENDING, "scoring.failed"),
        (LOW, sig(honeypot=True), S, Status.SPAM, "rule.honeypot"),
        (LOW, sig(banned=True), S, Status.SPAM, "rule.banned"),
        (LOW, sig("Win at the CASINO tonight"), S, Status.SPAM, "rule.block_word"),
        (None, sig("casino"), S, Status.SPAM, "rule.block_word"),
        (LOW, sig("I want a refund for my subscription"), S, Status.PENDING, "rule.moderation_word"),
        (LOW, sig(article_hold_all=True), S, Status.PENDING, "rule.hold_all"),
        (LOW, sig("see http://a.example http://b.example http://c.example"), S, Status.PENDING, "rule.links"),
        (LOW, sig("see http://a.example and www.b.example"), S, Status.PUBLISHED, "threshold.below_review"),
        ({"spam": 0.6, "toxic": 0.1}, sig(author_has_approved=True), S, Status.PUBLISHED, "rule.trusted_author"),
        ({"spam": 0.1, "toxic": 0.95}, sig(author_has_approved=True), S, Status.PENDING, "threshold.toxic.high"),
        ({"spam": 0.6, "toxic": 0.1}, sig(author_has_approved=True),
         Settings(thresholds=T, trust_approved_authors=False), Status.PENDING, "threshold.spam.review"),
        ({"spam": 0.99, "toxic": 0.1}, sig(author_has_approved=True), S, Status.SPAM, "threshold.spam.high"),
        ({"spam": 0.99, "toxic": 0.1}, sig(article_hold_all=True), S, Status.SPAM, "threshold.spam.high"),
        (LOW, sig(), Settings(thresholds={}), Status.PUBLISHED, "threshold.below_review"),
    ],
)
def test_route_table(scores, signals, settings, status, rule) -> None:
    result = route(scores, signals, settings)
    assert (result.status, result.rule) == (status, rule)
    assert result.reason


def test_reason_names_score_and_threshold() -> None:
    result = route({"spam": 0.97, "toxic": 0.0}, sig(), S)
    assert result.reason == "spam score 0.97 is at or above 0.95"


def test_words_match_author_fields_too() -> None:
    assert route(LOW, Signals(text="hello", author="Casino King"), S).rule == "rule.block_word"


def test_count_links() -> None:
    assert count_links("a https://x.example/p?q=1 b www.y.example c http://z.example.") == 3
    assert count_links("no links, just example dot com") == 0

