"""The model as a function: calibrated scores, labels learned only where known, weights."""
from __future__ import annotations

import numpy as np
import pytest

from training.datasets import Dataset, Example
from training.pipeline import PerLabelClassifier, fit_pipeline, label_matrix
from training.train import TrainingResult

OBVIOUS_SPAM = "buy cheap followers now, subscribe to my channel http://spam.example.com"
OBVIOUS_HAM = "I agree with the council about the library"
OBVIOUS_TOXIC = "you stupid idiot, shut up"


def examples_of(datasets: list[Dataset]) -> list[Example]:
    return [e for d in datasets for e in d.examples]


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
