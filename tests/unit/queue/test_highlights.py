"""What the queue marks in a comment's text: only on flagged labels, only what pushed them, links as links."""
from __future__ import annotations

from moderation.comments.policy import Thresholds
from moderation.comments.rendering import highlight
from moderation.models import Comment
from moderation.queue.highlights import abusive_words_in, highlight_terms, links_in

LIMITS = {"spam": Thresholds(0.5, 0.99), "toxic": Thresholds(0.3, 0.9)}


def test_only_the_flagged_label_and_its_strong_terms() -> None:
    comment = Comment(text="You idiot, I want calm", scores={"spam": 0.02, "toxic": 0.6},
                      explanation={"spam": [["want", 0.3]],
                                   "toxic": [["abusive words", 2.0], ["idiot", 1.8], ["an", 0.3], ["calm", -0.2]]})
    # "want" pushes spam, which is below its threshold; "an" is a tenth of the push; "calm" pulls down.
    assert highlight_terms(comment, LIMITS) == ["idiot"]


def test_below_every_threshold_nothing_is_marked() -> None:
    calm = Comment(text="thanks", scores={"spam": 0.1, "toxic": 0.05},
                   explanation={"spam": [["thanks", 0.2]], "toxic": [["thanks", 0.1]]})
    assert highlight_terms(calm, LIMITS) == []
    assert highlight_terms(Comment(text="x", scores=None, explanation=None), LIMITS) == []


def test_link_spam_marks_the_links_not_the_filler() -> None:
    text = "Great article! Get free money at http://cheap-pills.example.com/buy, or visit win-big.ru today"
    # The default model's own explanation of this text (k=5).
    comment = Comment(text=text, scores={"spam": 0.99, "toxic": 0.0}, explanation={
        "spam": [["links", 9.17], ["<link>", 4.04], ["free", 1.50], ["visit", 1.39], ["article", 1.29]],
        "toxic": [["get free", 0.24]]})
    terms = highlight_terms(comment, LIMITS)
    assert terms == ["http://cheap-pills.example.com/buy", "win-big.ru"]
    html = str(highlight(text, terms))
    assert "<mark>http://cheap-pills.example.com/buy</mark>," in html and "<mark>win-big.ru</mark>" in html
    assert "<mark>free</mark>" not in html and "<mark>article</mark>" not in html


def test_links_and_abusive_words_are_found_as_the_model_sees_them() -> None:
    assert links_in("see (www.example.org). Over.In the end, https://x.io/a?b=1!") == [
        "www.example.org", "https://x.io/a?b=1"]
    assert abusive_words_in("What a MORON, a class act") == ["MORON"]
