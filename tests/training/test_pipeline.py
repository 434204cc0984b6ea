"""The model as a function: calibrated scores, labels learned only where known, weights, reasons."""
from __future__ import annotations

import numpy as np
import pytest

from training.datasets import Dataset, Example
from training.lexicon import abuse_counts
from training.pipeline import (
    LINK_DISPLAY,
    LINK_TOKEN,
    SHAPE_FEATURES,
    CompiledModel,
    PerLabelClassifier,
    clean,
    comment_shape,
    explain,
    fit_pipeline,
    label_matrix,
)
from training.train import TrainingResult

OBVIOUS_SPAM = "buy cheap followers now, subscribe to my channel http://spam.example.com"
OBVIOUS_HAM = "I agree with the council about the library"
OBVIOUS_TOXIC = "you stupid idiot, shut up"


def examples_of(datasets: list[Dataset]) -> list[Example]:
    return [e for d in datasets for e in d.examples]


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


def test_label_matrix_marks_unknown_labels_nan() -> None:
    Y = label_matrix([Example("a", {"spam": True}, "s"), Example("b", {"toxic": False, "toxic.insult": False}, "t")])
    assert Y[0, 0] == 1.0 and np.isnan(Y[0, 1])
    assert np.isnan(Y[1, 0]) and Y[1, 1] == 0.0


def test_probabilities_are_meaningful(trained: TrainingResult) -> None:
    proba = trained.model.predict_proba([OBVIOUS_SPAM, OBVIOUS_HAM, OBVIOUS_TOXIC, ""])
    assert proba.shape == (4, 2)
    assert ((proba >= 0) & (proba <= 1)).all()
    spam, toxic = proba[:, 0], proba[:, 1]
    assert spam[0] > 0.5 > spam[1] and spam[0] > spam[2]
    assert toxic[2] > 0.5 > toxic[1] and toxic[2] > toxic[0]


def test_unknown_labels_are_left_out_of_that_label_fit() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((40, 5))
    Y = np.column_stack([np.tile([0.0, 1.0], 20), np.tile([1.0, 0.0], 20)])
    Y[20:, 1] = np.nan  # rows 20+ say nothing about the second label...
    X_noise = X.copy()
    X_noise[20:] = rng.random((20, 5)) * 100  # ...so whatever they hold cannot change its fit
    a = PerLabelClassifier(("spam", "toxic")).fit(X, Y)
    b = PerLabelClassifier(("spam", "toxic")).fit(X_noise, Y)
    weights_a, weights_b = a.linear_parts()[0], b.linear_parts()[0]
    np.testing.assert_allclose(weights_a[:, 1], weights_b[:, 1])
    assert not np.allclose(weights_a[:, 0], weights_b[:, 0])


def test_a_label_without_both_classes_is_an_error() -> None:
    Y = np.column_stack([np.tile([0.0, 1.0], 10), np.zeros(20)])
    with pytest.raises(ValueError, match="'toxic' needs at least 3 positive"):
        PerLabelClassifier(("spam", "toxic")).fit(np.eye(20), Y)


def test_sample_weights_change_the_fit(datasets: list[Dataset]) -> None:
    examples = examples_of(datasets)
    disputed = "subscribe to my channel for the council budget"
    plain = fit_pipeline(examples + [Example(disputed, {"spam": False, "toxic": False}, "decisions")])
    weighted = fit_pipeline(examples + [Example(disputed, {"spam": False, "toxic": False}, "decisions", 50.0)])
    before, after = (m.predict_proba([disputed])[0, 0] for m in (plain, weighted))
    assert after < before - 0.05


def test_compiled_model_agrees_with_the_pipeline(trained: TrainingResult) -> None:
    texts = [OBVIOUS_SPAM, OBVIOUS_HAM, OBVIOUS_TOXIC, "", "   ", "Ünïcödé ✓ 🙂", "a" * 3000,
             "CALL 555 123 4567 NOW!!! www.win.biz"]
    compiled = CompiledModel(trained.model)
    expected = trained.model.predict_proba(texts)
    got = np.array([[compiled.score(t)[label] for label in compiled.labels] for t in texts])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    batch = compiled.score_batch(texts)
    np.testing.assert_allclose([[s[label] for label in compiled.labels] for s in batch], expected)


def test_explanations_name_what_is_in_the_comment(trained: TrainingResult) -> None:
    reasons = explain(trained.model, OBVIOUS_SPAM, k=3)
    assert set(reasons) == {"spam", "toxic"}
    assert 1 <= len(reasons["spam"]) <= 3
    weights = [w for _, w in reasons["spam"]]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    readable = OBVIOUS_SPAM.lower()
    for term, _ in reasons["spam"]:
        assert term in SHAPE_FEATURES or term == LINK_DISPLAY or term in readable, term
    assert any(term in readable for term, _ in reasons["spam"])
    toxic_terms = [term for term, _ in explain(trained.model, OBVIOUS_TOXIC)["toxic"]]
    assert {"stupid", "idiot"} & set(toxic_terms)


def test_explaining_an_empty_comment_gives_no_terms(trained: TrainingResult) -> None:
    reasons = explain(trained.model, "")
    assert all(isinstance(terms, list) for terms in reasons.values())
    assert all(term in SHAPE_FEATURES for terms in reasons.values() for term, _ in terms)


def test_abusive_words_are_counted_and_aimed() -> None:
    assert abuse_counts("You are a pathetic idiot.") == (5, 2, 1)
    assert abuse_counts("They are vermin and should be shut out") == (8, 2, 1)
    assert abuse_counts("The minister's plan is stupid") == (5, 1, 0)
    assert abuse_counts("A calm, clear report on the harbour bridge") == (8, 0, 0)
    shape = dict(zip(SHAPE_FEATURES, comment_shape("you absolute clown"), strict=True))
    assert shape["abusive words"] > 0 and shape["abuse aimed at someone"] > 0
