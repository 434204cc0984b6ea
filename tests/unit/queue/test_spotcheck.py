"""Spot-check sampling and the Wilson interval (pure functions)."""
from __future__ import annotations

import pytest

from moderation.queue.spotcheck import in_sample, wilson


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),   # Newcombe (1998), Statistics in Medicine 17:857, example (i)
    (15, 148, 0.0624, 0.1605),   # Newcombe (1998), example (ii)
    (0, 20, 0.0, 0.1611),        # Newcombe (1998), example (iii)
    (1, 29, 0.0061, 0.1718),     # Newcombe (1998), example (iv)
    (5, 10, 0.2366, 0.7634),
])
def test_wilson_interval_matches_published_values(k: int, n: int, low: float, high: float) -> None:
    assert wilson(k, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_without_checks_says_nothing_and_refuses_nonsense() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_sample_is_about_the_share_and_the_same_everywhere() -> None:
    drawn = [i for i in range(1, 20001) if in_sample(i, 0.01, b"key")]
    assert 150 <= len(drawn) <= 250  # 200 expected; binomial sd 14
    assert drawn == [i for i in range(1, 20001) if in_sample(i, 0.01, b"key")]
    assert drawn != [i for i in range(1, 20001) if in_sample(i, 0.01, b"other key")]
    assert not any(in_sample(i, 0.0, b"key") for i in range(1, 1000))
    assert all(in_sample(i, 1.0, b"key") for i in range(1, 1000))
