"""Training: the held-out split, thresholds, the metrics and their JSON, and the train/evaluate commands."""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from training.datasets import Dataset, Example
from training.evaluate import compare, evaluate, format_table, metrics_json
from training.registry import Registry
from training.train import TrainingResult, describe_sources, pick_thresholds, split

from .conftest import HAM, SPAM, synthetic_datasets


def test_split_holds_out_a_share_of_every_source(datasets: list[Dataset]) -> None:
    examples = [e for d in datasets for e in d.examples]
    fit, held = split(examples, 0.2, seed=0)
    assert len(fit) + len(held) == len(examples)
    sizes, held_sizes = Counter(e.source for e in examples), Counter(e.source for e in held)
    for source, n in sizes.items():
        assert held_sizes[source] == pytest.approx(0.2 * n, abs=2)
    assert split(examples, 0.2, seed=0)[1] == held
    assert split(examples, 0.2, seed=1)[1] != held


def test_thresholds_are_ordered(trained: TrainingResult) -> None:
    for label in ("spam", "toxic"):
        t = trained.thresholds[label]
        assert 0 < t.review <= t.high < 1


def test_review_threshold_keeps_the_recall_target() -> None:
    rng = np.random.default_rng(0)
    truth = np.r_[np.ones(200), np.zeros(800)].astype(int)
    scores = np.clip(np.r_[rng.normal(0.8, 0.1, 200), rng.normal(0.2, 0.1, 800)], 0, 1)
    thresholds, note = pick_thresholds(truth, scores, review_recall=0.95, high_precision=0.99)
    assert (scores[truth == 1] >= thresholds.review).mean() >= 0.95
    flagged = scores >= thresholds.high
    assert truth[flagged].mean() >= 0.99 and note == ""


def test_unreachable_precision_is_noted() -> None:
    truth = np.tile([0, 1], 50)
    scores = np.linspace(0.01, 0.99, 100)
    thresholds, note = pick_thresholds(truth, scores, review_recall=0.95, high_precision=0.99)
    assert thresholds.high >= 0.99 and "not reached" in note
    assert 0 < thresholds.review <= thresholds.high < 1


def test_training_records_its_data(trained: TrainingResult) -> None:
    names = [s["name"] for s in trained.sources]
    assert names == ["videos", "tweets", "site"]
    videos = trained.sources[0]
    assert videos["examples"] == 120 and videos["positives"] == {"spam": 60}
    assert trained.split["fitted_on"] + trained.split["held_out"] == sum(s["examples"] for s in trained.sources)
    assert set(trained.plots) == {"roc.png", "pr.png"}
    assert all(png.startswith(b"\x89PNG") for png in trained.plots.values())


def test_decisions_are_recorded_as_a_source(datasets: list[Dataset]) -> None:
    decisions = [Example(text, {"spam": True, "toxic": False}, "decisions", 10.0) for text in SPAM] + \
                [Example(text, {"spam": False, "toxic": False}, "decisions", 10.0) for text in HAM]
    described = describe_sources(datasets, decisions)[-1]
    assert described["name"] == "decisions" and described["examples"] == 12
    assert described["positives"] == {"spam": 6, "toxic": 0} and len(described["sha256"]) == 64


def test_evaluate_json_shape(registry: Registry, version: str) -> None:
    model = registry.load(version)
    spam_only = synthetic_datasets(seed=7)[0].examples  # knows spam, never toxicity
    metrics = evaluate(model, spam_only + [Example("a calm remark", {"toxic": False}, "x")])
    shape = metrics_json(model.version, metrics)
    assert shape["model"] == version and set(shape["labels"]) == {"spam", "toxic"}
    spam, toxic = shape["labels"]["spam"], shape["labels"]["toxic"]
    assert {"n", "positives", "roc_auc", "pr_auc", "precision", "recall"} <= set(spam)
    assert spam["n"] == 120 and spam["positives"] == 60 and spam["roc_auc"] > 0.9
    assert toxic["n"] == 1 and toxic["positives"] == 0
    assert toxic["roc_auc"] is None and toxic["pr_auc"] is None and toxic["recall"] is None
    assert json.loads(json.dumps(shape)) == shape
    assert math.isnan(metrics["toxic"].roc_auc)


def test_compare_and_format_table(registry: Registry, version: str, trained: TrainingResult) -> None:
    other = registry.save(trained)
    a, b = registry.load(version), registry.load(other)
    results = compare(a, b, trained.validation)
    assert list(results) == [version, other]
    table = format_table(results)
    assert table.splitlines()[0].split()[:4] == ["label", "model", "examples", "positives"]
    assert sum(version in line for line in table.splitlines()) == 2
    assert "n/a" not in table


def test_train_command(cli, data_spec: str, tmp_path: Path) -> None:
    result = cli("train", "--data", data_spec, "--promote", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "New base version" in result.output and "ROC AUC" in result.output and "review at" in result.output
    registry = Registry(tmp_path / "models")
    assert registry.active_version() == registry.versions()[0].version
    assert registry.card(registry.active_version())["seed"] == 3

    site = cli("train", "--decisions")
    assert site.exit_code == 0, site.output
    site_version = registry.versions()[-1]
    assert "Site candidate" in site.output and len(registry.versions()) == 2  # no new base: the active one's
    assert registry.card(site_version.version)["base"] == registry.active_version()

    again = cli("train", "--data", data_spec, "--decisions")
    assert again.exit_code == 0, again.output
    assert "against the active" in again.output and "Site candidate" in again.output
    new_base, newest = registry.versions()[-2:]
    assert not newest.active and newest.parent == registry.active_version()
    card = registry.card(newest.version)
    assert card["base"] == new_base.version and card["site"]["labels"] == 12
    assert card["data"][-1]["name"] == "decisions"


@pytest.mark.parametrize("args", [["--data", "nosuchformat:somewhere"], ["--data", "csv:/no/such/folder"], []])
def test_train_command_errors_are_one_line(cli, args: list[str]) -> None:
    result = cli("train", *args)
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: ")


def test_evaluate_command_writes_json(cli, data_spec: str, registry: Registry, version: str, tmp_path: Path) -> None:
    registry.promote(version)
    out = tmp_path / "metrics.json"
    result = cli("evaluate", "--data", data_spec, "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.output
    shape = json.loads(out.read_text())
    assert shape["model"] == version and set(shape["labels"]) == {"spam", "toxic"}
    missing = cli("evaluate", "--data", data_spec, "--model", "20990101-000000-abcdef")
    assert missing.exit_code == 1 and "unknown model version" in missing.output
