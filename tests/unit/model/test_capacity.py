"""Capacity thresholds (pure): the equal-recall rule, the load it counts, and its limits."""
from __future__ import annotations

import pytest

from moderation.comments.policy import Thresholds
from moderation.model.capacity import RecallCurve, excluded_by_spam_folder, suggest

CARD = {"spam": Thresholds(0.5, 0.95), "toxic": Thresholds(0.5, 0.9)}
METRICS = {"spam": {"recall": 0.9, "recall_high": 0.5}, "toxic": {"recall": 0.9, "recall_high": 0.5}}
#: 14 days: 10 toxic (0.8) and 10 spammy (0.7) comments a day among 100 clean ones.
SCORES = ([{"spam": 0.05, "toxic": 0.8}] * 140 + [{"spam": 0.7, "toxic": 0.05}] * 140
          + [{"spam": 0.05, "toxic": 0.05}] * 1400)


def test_recall_curve_goes_through_the_cards_two_measured_points() -> None:
    curve = RecallCurve.from_card(Thresholds(0.5, 0.9), {"recall": 0.9, "recall_high": 0.5})
    assert curve is not None
    assert curve.recall_at(0.5) == pytest.approx(0.9)
    assert curve.recall_at(0.9) == pytest.approx(0.5)
    assert curve.recall_at(0.7) == pytest.approx(0.7)
    assert curve.recall_at(0.0) == 1.0 and curve.recall_at(1.0) == 0.0
    for recall in (0.95, 0.9, 0.7, 0.5, 0.2):
        assert curve.recall_at(curve.threshold_for(recall)) == pytest.approx(recall)
    assert RecallCurve.from_card(Thresholds(0.5, 0.9), {"recall": 0.9}) is None


def test_budget_spread_for_equal_recall_across_labels() -> None:
    # Toxic comments (0.8) are held from recall 0.6 on, spammy ones (0.7) from recall 0.722:
    # 10 a day buys only the toxic ones, so both labels stop just below recall 0.722.
    s = suggest(10, SCORES, 0, 14.0, CARD, CARD, METRICS)
    assert not s.over_budget
    assert s.current_per_day == pytest.approx(20.0)
    assert s.expected_per_day == pytest.approx(10.0)
    spam, toxic = s.labels
    assert spam.current == 0.5 and spam.current_recall == pytest.approx(0.9)
    assert 0.7 < spam.review < 0.7001
    assert toxic.review == pytest.approx(0.6778, abs=1e-3)
    assert spam.recall == pytest.approx(toxic.recall, abs=1e-6)
    assert spam.missed == pytest.approx(1 - 0.7222, abs=1e-3)


def test_a_comment_flagged_by_two_labels_is_reviewed_once() -> None:
    both = [{"spam": 0.7, "toxic": 0.8}] * 140 + [{"spam": 0.05, "toxic": 0.05}] * 1400
    s = suggest(10, both, 0, 14.0, CARD, CARD, METRICS)
    # Counted per label they would be 20 a day; once each, 10 fit, and recall climbs until the
    # clean comments (0.05) would come in too.
    assert s.expected_per_day == pytest.approx(10.0)
    assert [label.recall for label in s.labels] == pytest.approx([0.99, 0.99], abs=1e-6)
    assert all(0.05 < label.review < 0.0501 for label in s.labels)


def test_fixed_load_uses_the_budget_first() -> None:
    s = suggest(11, SCORES, 14, 14.0, CARD, CARD, METRICS)
    assert s.fixed_per_day == pytest.approx(1.0)
    assert s.expected_per_day == pytest.approx(11.0)
    assert 0.7 < s.labels[0].review < 0.7001


def test_room_for_everything_reviews_everything() -> None:
    s = suggest(1000, SCORES, 0, 14.0, CARD, CARD, METRICS)
    assert [label.review for label in s.labels] == [0.0, 0.0]
    assert s.expected_per_day == pytest.approx(120.0)


def test_over_budget_stops_at_the_high_thresholds_and_says_so() -> None:
    hot = [{"spam": 0.05, "toxic": 0.99}] * 1400
    s = suggest(10, hot, 0, 14.0, CARD, CARD, METRICS)
    assert s.over_budget
    assert [label.review for label in s.labels] == [0.95, 0.9]
    assert s.expected_per_day == pytest.approx(100.0)
    assert any("Even the highest" in note for note in s.notes)


def test_a_label_without_held_out_recall_keeps_its_threshold() -> None:
    s = suggest(10, SCORES, 0, 14.0, CARD, CARD, {"spam": METRICS["spam"]})
    assert s.labels[1].review == 0.5 and s.labels[1].recall is None and s.labels[1].missed is None
    assert any("toxic" in note for note in s.notes)


def test_spam_folder_comments_are_not_the_queues() -> None:
    assert excluded_by_spam_folder({"spam": 0.96}, CARD)
    assert not excluded_by_spam_folder({"spam": 0.94, "toxic": 0.99}, CARD)


@pytest.mark.parametrize(("per_day", "days"), [(0, 14.0), (10, 0.0)])
def test_nonsense_inputs_are_refused(per_day: int, days: float) -> None:
    with pytest.raises(ValueError):
        suggest(per_day, SCORES, 0, days, CARD, CARD, METRICS)
