"""The word-piece vectors: words used alike lie close, a comment's vector is their mean, old models still score."""
from __future__ import annotations

import copy

import numpy as np
import skops.io

from training import meaning as meaning_module
from training.compiled import CompiledModel
from training.datasets import Dataset
from training.features import SHAPE_FEATURES
from training.meaning import MeaningVectors
from training.pipeline import CHAR_BUCKETS, WORD_BUCKETS, build_pipeline, label_matrix, sample_weights
from training.registry import ALLOWED_TYPES
from training.train import TrainingResult

from .test_pipeline import examples_of


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_words_used_alike_lie_close() -> None:
    """The shipped table carries meaning: insults sit with insults, not with umbrellas."""
    meaning = MeaningVectors().fit()
    idiot, moron, umbrella = (meaning.embed(w) for w in ("idiot", "moron", "umbrella"))
    assert cosine(idiot, moron) > cosine(idiot, umbrella) + 0.2
    threat, menace, recipe = (meaning.embed(t) for t in ("I will hurt you", "you will regret this", "a cake recipe"))
    assert cosine(threat, menace) > cosine(threat, recipe)


def test_a_comment_is_the_unit_mean_of_its_known_pieces() -> None:
    meaning = MeaningVectors().fit()
    text = "Unbelievable, Minister!"
    ids, words = meaning.pieces(text)
    assert set(words) == {"Unbelievable,", "Minister!"}
    assert ids == [i for i in meaning._tokenizer().encode(text, add_special_tokens=False).ids if i != meaning._unknown]
    expected = meaning.vectors()[ids].sum(axis=0)
    assert np.allclose(meaning.embed(text), expected / np.linalg.norm(expected), atol=1e-6)
    assert not meaning.embed("").any() and not meaning.embed("   ").any()


def test_pieces_remembered_per_word_are_the_tokenizers_pieces_of_the_whole_comment(monkeypatch) -> None:
    """Words are tokenized once and remembered; what a comment gets must not depend on what came before."""
    monkeypatch.setattr(meaning_module, "CACHED_WORDS", 4)
    meaning = MeaningVectors().fit()
    texts = ["Café au lait, s'il vous plaît!", "日本語のテキスト mixed with English", "don't—ever—again...",
             "CAPITALS and capitals", "x" * 150, "tab\tseparated\nlines  and  spaces", "Café again, naïve résumé"]
    for text in texts * 2:
        expected = [i for i in meaning._tokenizer().encode(text, add_special_tokens=False).ids if i != meaning._unknown]
        assert meaning.pieces(text)[0] == expected, text
    assert len(meaning._words) <= 4
    long_word = "y" * (meaning_module.CACHED_WORD_CHARS + 1)
    assert meaning.pieces(f"short {long_word}")[1][0] == "short"
    assert "short" in meaning._words and long_word not in meaning._words  # long words never fill the memory


def test_the_model_file_keeps_codes_not_caches(tmp_path) -> None:
    meaning = MeaningVectors().fit()
    meaning.embed("warm the caches")
    path = tmp_path / "meaning.skops"
    skops.io.dump(meaning, path)
    loaded = skops.io.load(path, trusted=sorted(ALLOWED_TYPES))
    assert not {"_vectors", "_tok", "_words"} & set(loaded.__dict__)
    assert np.array_equal(loaded.embed("warm the caches"), meaning.embed("warm the caches"))


def test_a_model_without_the_meaning_block_still_scores_and_explains(datasets: list[Dataset]) -> None:
    """Versions written before the block exist in every registry; they must keep serving unchanged."""
    pipeline = build_pipeline(("spam", "toxic"))
    union = pipeline.named_steps["features"]
    union.transformer_list = [(name, step) for name, step in union.transformer_list if name != "meaning"]
    examples = examples_of(datasets)
    pipeline.fit([e.post for e in examples], label_matrix(examples, ("spam", "toxic")),
                 classify__sample_weight=sample_weights(examples))
    compiled = CompiledModel(pipeline)
    comment = "you stupid idiot, buy followers at http://x.example.com"
    expected = pipeline.predict_proba([comment])[0]
    assert np.allclose(list(compiled.score(comment).values()), expected, atol=1e-6)
    assert "idiot" in dict(compiled.explain(comment)["toxic"])


def test_the_vectors_share_of_a_score_is_credited_to_the_comments_own_words(trained: TrainingResult) -> None:
    """With every weight but the meaning block's zeroed, the reasons are still words of the comment."""
    model = copy.deepcopy(trained.model)
    start = WORD_BUCKETS + CHAR_BUCKETS + len(SHAPE_FEATURES)
    for estimator in model.named_steps["classify"].estimators_:
        coef = estimator.calibrated_classifiers_[0].estimator.coef_
        coef[:, :start] = 0
        coef[:, start + MeaningVectors().fit().dim:] = 0
    comment = "Honestly, you absolute muppet, nobody asked!"
    compiled = CompiledModel(model)
    assert np.allclose(list(compiled.score(comment).values()), model.predict_proba([comment])[0], atol=1e-6)
    reasons = [name for label in ("spam", "toxic") for name, _ in compiled.explain(comment, k=10)[label]]
    assert reasons and set(reasons) <= {"honestly", "you", "absolute", "muppet", "nobody", "asked"}
