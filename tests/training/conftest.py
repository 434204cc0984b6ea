"""Small synthetic comments and one model trained on them, shared by the training tests.

Real data lives in ../shared/datasets and takes tens of seconds to fit; these
few hundred generated comments fit in about a second and still separate
clearly, which is what behaviour tests need.
"""
from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner, Result

from training.cli import make_commands
from training.datasets import Dataset, Example
from training.registry import Registry
from training.site import candidate_result, learn
from training.train import TrainingResult, train

SPAM = [
    "buy cheap followers now at http://cheap-followers.example.com",
    "check out my channel and subscribe please!!!",
    "WIN FREE MONEY call 555-123-4567 now",
    "cheap watches $$$ free shipping www.watches.biz",
    "earn $500 a day from home, click http://bit.ly/xyz",
    "subscribe to my channel for free gift cards",
]
HAM = [
    "I agree with the council about the new library",
    "the article misses the point about bus fares",
    "thanks for the clear explanation of the budget",
    "my neighbour said the road works end in May",
    "interesting interview, I would like to read more",
    "the photos of the harbour are lovely",
]
TOXIC = [
    "you are an idiot and a disgrace",
    "shut up you stupid troll",
    "what a pathetic moron wrote this garbage",
    "idiots like you should never comment",
    "stupid worthless article by a clown",
    "get lost you pathetic loser",
]
FILLER = ["today", "really", "honestly", "again", "here", "as usual", "folks", "everyone"]


def vary(rng: random.Random, text: str) -> str:
    """A template with a filler word or two, so no two comments are identical."""
    words = text.split()
    for _ in range(rng.randint(1, 2)):
        words.insert(rng.randint(0, len(words)), rng.choice(FILLER))
    return " ".join(words)


def synthetic_datasets(n: int = 60, seed: int = 0) -> list[Dataset]:
    """A spam source that knows only spam, a toxicity source that knows only toxicity, a site that knows both."""
    rng = random.Random(seed)
    spam_source = [Example(vary(rng, rng.choice(SPAM)), {"spam": True}, "videos") for _ in range(n)]
    spam_source += [Example(vary(rng, rng.choice(HAM)), {"spam": False}, "videos") for _ in range(n)]
    toxic_source = [Example(vary(rng, rng.choice(TOXIC)), {"toxic": True}, "tweets") for _ in range(n)]
    toxic_source += [Example(vary(rng, rng.choice(HAM)), {"toxic": False}, "tweets") for _ in range(n)]
    site = [Example(vary(rng, rng.choice(SPAM)), {"spam": True, "toxic": False}, "site") for _ in range(n // 3)]
    site += [Example(vary(rng, rng.choice(TOXIC)), {"spam": False, "toxic": True}, "site") for _ in range(n // 3)]
    site += [Example(vary(rng, rng.choice(HAM)), {"spam": False, "toxic": False}, "site") for _ in range(n // 3)]
    return [Dataset("videos", spam_source, sha256="a" * 64), Dataset("tweets", toxic_source, sha256="b" * 64),
            Dataset("site", site, sha256="c" * 64)]


@pytest.fixture(scope="session")
def datasets() -> list[Dataset]:
    return synthetic_datasets()


@pytest.fixture(scope="session")
def trained(datasets: list[Dataset]) -> TrainingResult:
    return train(datasets, seed=0)


@pytest.fixture(scope="session")
def saved_registry(tmp_path_factory: pytest.TempPathFactory, trained: TrainingResult) -> tuple[Path, str]:
    """A registry holding one saved version, written once per session; copy it before changing it."""
    root = tmp_path_factory.mktemp("registry-template")
    return root, Registry(root).save(trained)


@pytest.fixture
def registry(tmp_path: Path, saved_registry: tuple[Path, str]) -> Registry:
    """A fresh registry per test, holding the session's version (not yet active)."""
    root = tmp_path / "models"
    shutil.copytree(saved_registry[0], root)
    return Registry(root)


@pytest.fixture
def version(saved_registry: tuple[Path, str]) -> str:
    return saved_registry[1]


DECISIONS = [Example(text, {"spam": True, "toxic": False}, "decisions", 10.0) for text in SPAM] + \
    [Example(text, {"spam": False, "toxic": False}, "decisions", 10.0) for text in HAM]


@pytest.fixture
def data_spec(tmp_path: Path) -> str:
    """A small corpus in the project's CSV format (text,label,topic), as a ``csv:`` spec."""
    rng = random.Random(1)
    folder = tmp_path / "data"
    folder.mkdir()
    rows = [(vary(rng, rng.choice(texts)), label) for texts, label in ((SPAM, "spam"), (TOXIC, "toxic"), (HAM, "ok"))
            for _ in range(40)]
    with open(folder / "corpus-test.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label", "topic"])
        writer.writerows((text, label, "town") for text, label in rows)
    return f"csv:{folder}"


def site_learner(registry: Registry) -> Callable[[str | None], tuple[str, list[str]]]:
    """What the app hands ``train --decisions``, with ``DECISIONS`` as the site's labels."""
    def learn_site(base: str | None) -> tuple[str, list[str]]:
        base = base or registry.active_version()
        loaded = registry.load(base)
        run = learn(loaded.pipeline, DECISIONS, np.zeros(len(DECISIONS), dtype=bool), loaded.thresholds)
        version = registry.save(candidate_result(run, DECISIONS, base=base, base_card=loaded.card,
                                                 parent=registry.active_version(), labels_until=None))
        return version, [f"Site candidate {version}"]
    return learn_site


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    """Runs a model command against a registry in ``tmp_path/models``, as ``flask --app moderation`` would."""
    registry = Registry(tmp_path / "models")
    group = click.Group("flask", commands=make_commands(lambda: registry, learn_site=site_learner(registry)))
    runner = CliRunner()
    return lambda *args: runner.invoke(group, list(args))
