"""What the queue marks in a comment's text: the words behind the label that held it."""
from __future__ import annotations

from moderation.models import Comment
from moderation.policy import Thresholds
from moderation.queue import highlight_terms


def test_highlight_terms_are_the_words_behind_the_holding_label() -> None:
    comment = Comment(scores={"spam": 0.02, "toxic": 0.6},
                      explanation={"spam": [["want", 0.3]], "toxic": [["abusive words", 2.0], ["idiot", 1.8],
                                                                   ["<link>", 0.5], ["calm", -0.2]]})
    limits = {"spam": Thresholds(0.5, 0.99), "toxic": Thresholds(0.3, 0.9)}
    assert highlight_terms(comment, limits) == ["idiot"]
    calm = Comment(scores={"spam": 0.1, "toxic": 0.05}, explanation={"spam": [["thanks", 0.2]], "toxic": []})
    assert highlight_terms(calm, limits) == ["thanks"]  # nothing held it: its riskiest label
