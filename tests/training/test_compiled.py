"""The compiled scorer: the pipeline's scores one comment at a time, and the reasons behind them."""
from __future__ import annotations

import numpy as np

from training.compiled import CompiledModel, explain
from training.features import LINK_DISPLAY, SHAPE_FEATURES
from training.train import TrainingResult

from .test_pipeline import OBVIOUS_HAM, OBVIOUS_SPAM, OBVIOUS_TOXIC


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
