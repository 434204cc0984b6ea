"""MinHash signatures: near copies look alike, unrelated texts do not, disguises do not matter."""
from __future__ import annotations

from moderation.comments.similarity import BANDS, PERMUTATIONS, band_keys, normalise, signature, similarity

ADVERT = ("Make money fast from home! I earned $5000 last month working only two hours a day. "
          "Visit http://cash-now.example.com for details, it really works.")
EDITED = ("Make money fast from home!! I earned $4000 last month working just two hours a day. "
          "Visit http://cash-now.example.com for the details, it really works")
OTHER = "The budget vote was a disgrace; the minister should have listened to the committee before tabling it."


def test_normalise_folds_case_accents_spacing_and_punctuation() -> None:
    assert normalise("  Héllo,\u200b WORLD!!  ｆｏｏ_bar ") == "hello world foo bar"


def test_near_copies_are_similar_and_share_a_band() -> None:
    a, b, c = signature(ADVERT), signature(EDITED), signature(OTHER)
    assert a is not None and b is not None and c is not None
    assert len(a) == PERMUTATIONS and len(band_keys(a)) == BANDS
    assert similarity(a, b) >= 0.6 and similarity(a, c) <= 0.1
    assert set(band_keys(a)) & set(band_keys(b))
    assert not set(band_keys(a)) & set(band_keys(c))


def test_signature_ignores_disguises_and_is_reproducible() -> None:
    assert (signature("FREE MONEY at home") == signature("free  money, at home!")).all()
    assert (signature(ADVERT) == signature(ADVERT)).all()
    assert signature("!!! ???") is None
