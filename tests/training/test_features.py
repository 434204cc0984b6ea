"""Features that need no fitting: cleaning, the comment's shape, abusive words."""
from __future__ import annotations

from training.features import LINK_TOKEN, SHAPE_FEATURES, clean, comment_shape
from training.lexicon import abuse_counts


def test_clean_makes_sources_alike() -> None:
    assert clean("RT @someone: Tom &amp; Jerry\ufeff").split() == [":", "Tom", "&", "Jerry"]
    assert clean("see http://x.co/a and www.y.org and shop.example.com!").split() == \
        ["see", LINK_TOKEN, "and", LINK_TOKEN, "and", LINK_TOKEN]
    assert clean("mail me at joe@example.org").split() == ["mail", "me", "at", LINK_TOKEN]


def test_comment_shape_signals() -> None:
    shape = dict(zip(SHAPE_FEATURES, comment_shape(clean("CALL US NOW!!! +44 20 7946 0958 http://x.com $$$")), strict=True))
    assert shape["links"] > 0 and shape["phone number"] == 1.0 and shape["capital letters"] == 1.0
    assert shape["exclamation marks"] > 0 and shape["money symbols"] > 0 and shape["repeated characters"] > 0
    calm = dict(zip(SHAPE_FEATURES, comment_shape("ok, see you at the station"), strict=True))
    assert calm["links"] == calm["phone number"] == calm["capital letters"] == 0.0


def test_abusive_words_are_counted_and_aimed() -> None:
    assert abuse_counts("You are a pathetic idiot.") == (5, 2, 1)
    assert abuse_counts("They are vermin and should be shut out") == (8, 2, 1)
    assert abuse_counts("The minister's plan is stupid") == (5, 1, 0)
    assert abuse_counts("A calm, clear report on the harbour bridge") == (8, 0, 0)
    shape = dict(zip(SHAPE_FEATURES, comment_shape("you absolute clown"), strict=True))
    assert shape["abusive words"] > 0 and shape["abuse aimed at someone"] > 0
