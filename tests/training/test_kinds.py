"""Kinds of toxicity: learned only where a source annotates them, never touching the toxic label, read back safely."""
from __future__ import annotations

import copy
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from training.compiled import CompiledModel
from training.datasets import Dataset, Example
from training.kinds import KINDS, kind_matrix, likely
from training.pipeline import build_pipeline, fit_pipeline, kind_proba, label_matrix, model_kinds, sample_weights
from training.registry import Registry
from training.train import TrainingResult

from .conftest import HAM, vary

INSULTS = ["you are a pathetic idiot", "what a stupid moron you are", "you clown, nobody cares what you think",
           "shut up you worthless loser"]
THREATS = ["I will find you and hurt you", "someone should shoot you", "we will burn your house down",
           "watch your back, I know where you live"]
#: Toxic in the news source's eyes, yet neither an insult nor a threat.
OTHER_TOXIC = ["this garbage policy is a damn disgrace", "what a load of crap from the council"]
CLEAR_INSULT = "you stupid moron, what a pathetic idiot"
CLEAR_THREAT = "I know where you live and I will hurt you"


def news(n: int = 40, seed: int = 0) -> Dataset:
    """A source like Civil Comments: kinds marked as sub-labels on its toxic comments, absent where none was found."""
    rng = random.Random(seed)
    rows = [Example(vary(rng, rng.choice(INSULTS)), {"toxic": True, "toxic.insult": True}, "news") for _ in range(n)]
    rows += [Example(vary(rng, rng.choice(THREATS)), {"toxic": True, "toxic.threat": True}, "news") for _ in range(n)]
    rows += [Example(vary(rng, rng.choice(OTHER_TOXIC)), {"toxic": True}, "news") for _ in range(n)]
    rows += [Example(vary(rng, rng.choice(HAM)), {"toxic": False}, "news") for _ in range(n)]
    return Dataset("news", rows, sha256="d" * 64)


@pytest.fixture(scope="session")
def examples(datasets: list[Dataset]) -> list[Example]:
    return [e for d in [*datasets, news()] for e in d.examples]


@pytest.fixture(scope="session")
def with_kinds(examples: list[Example]) -> Pipeline:
    return fit_pipeline(examples)


def test_kind_matrix_knows_a_kind_only_on_toxic_rows_of_a_source_that_annotates_it() -> None:
    rows = [Example("a", {"toxic": True, "toxic.insult": True}, "news"),
            Example("b", {"toxic": True}, "news"),                      # looked at, no kind found
            Example("c", {"toxic": False}, "news"),                     # not toxic: no kind to learn
            Example("d", {"toxic": True, "toxic.hate": True}, "forum")]  # another scheme: unknown
    Y = kind_matrix(rows)
    insult, threat = KINDS.index("insult"), KINDS.index("threat")
    assert Y.shape == (4, len(KINDS))
    assert Y[0, insult] == 1.0 and Y[1, insult] == 0.0
    assert np.isnan(Y[0, threat]) and np.isnan(Y[1, threat])  # "news" never marks a threat here
    assert np.isnan(Y[2]).all() and np.isnan(Y[3]).all()


def test_a_clear_insult_is_an_insult_and_a_clear_threat_a_threat(with_kinds: Pipeline) -> None:
    compiled = CompiledModel(with_kinds)
    assert compiled.kind_names == ("insult", "threat")  # the kinds the data has both classes of
    insult, threat = compiled.kinds(CLEAR_INSULT), compiled.kinds(CLEAR_THREAT)
    assert insult["insult"] > 0.5 > insult["threat"] and threat["threat"] > 0.5 > threat["insult"]
    assert likely(insult) == ["insult"]
    assert likely(threat) == []  # threats are not shown yet: see KIND_CUTOFFS


def test_likely_names_kinds_above_their_cut_off_in_plain_words() -> None:
    assert likely({"insult": 0.9, "identity_attack": 0.99, "threat": 0.99, "obscene": 0.1}) == ["insult"]
    assert likely({"insult": 0.5}) == []


def test_the_fast_path_agrees_with_the_kind_model(with_kinds: Pipeline) -> None:
    texts = [CLEAR_INSULT, CLEAR_THREAT, "", "the harbour photos are lovely"]
    expected = kind_proba(with_kinds, texts)
    compiled = CompiledModel(with_kinds)
    got = np.array([list(compiled.kinds(text).values()) for text in texts])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_kinds_leave_the_labels_fit_untouched(examples: list[Example], with_kinds: Pipeline) -> None:
    without = build_pipeline()
    without.fit([e.post for e in examples], label_matrix(examples), classify__sample_weight=sample_weights(examples))
    assert model_kinds(without) is None
    for mine, theirs in zip(with_kinds.named_steps["classify"].linear_parts(),
                            without.named_steps["classify"].linear_parts(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_model_without_kinds_names_none(trained: TrainingResult) -> None:
    assert model_kinds(trained.model) is None  # the synthetic sets annotate no kind
    assert CompiledModel(trained.model).kinds(CLEAR_THREAT) == {}
    assert likely({}) == []


def test_kinds_are_saved_and_an_older_file_without_them_still_loads(
        tmp_path: Path, trained: TrainingResult, with_kinds: Pipeline) -> None:
    registry = Registry(tmp_path / "models")
    current = registry.load(registry.save(replace(trained, model=with_kinds)))
    assert current.kinds(CLEAR_THREAT)["threat"] > 0.5

    older = copy.deepcopy(with_kinds)
    del older.named_steps["classify"].kinds_  # what a file written before kinds holds
    loaded = registry.load(registry.save(replace(trained, model=older)))
    assert loaded.kinds(CLEAR_THREAT) == {}
    assert loaded.score(CLEAR_THREAT) == current.score(CLEAR_THREAT)
