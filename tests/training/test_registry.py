"""The registry: versions written once, loaded only when intact and safe, promoted and rolled back atomically."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from training.registry import ModelLoadError, Registry, RegistryError
from training.train import TrainingResult

CARD_KEYS = {"version", "created", "parent", "seed", "training_seconds", "peak_memory_mb", "python",
             "sklearn", "skops", "tokenizers", "content_sha256", "labels", "thresholds", "data", "metrics", "plots"}


def test_a_saved_version_has_model_card_and_plots(registry: Registry, version: str) -> None:
    folder = registry.root / version
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.skops", "pr.png", "roc.png"]
    card = registry.card(version)
    assert CARD_KEYS <= set(card)
    assert card["version"] == version and card["labels"] == ["spam", "toxic"]
    assert card["created"].endswith("+00:00") and card["plots"] == ["pr.png", "roc.png"]
    for t in card["thresholds"].values():
        assert 0 < t["review"] <= t["high"] < 1
    assert {"n", "positives", "roc_auc", "pr_auc", "precision", "recall"} <= set(card["metrics"]["spam"])
    assert [d["name"] for d in card["data"]] == ["videos", "tweets", "site"]
    assert not [p for p in registry.root.iterdir() if p.name.startswith(".")]


def test_a_new_registry_is_empty(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "nothing-yet")
    assert registry.versions() == [] and registry.active_version() is None
    with pytest.raises(ModelLoadError, match="no active model"):
        registry.load()


def test_loaded_model_scores_and_explains(registry: Registry, version: str) -> None:
    model = registry.load(version)
    assert model.version == version and model.labels == ("spam", "toxic")
    assert model.thresholds["spam"].review == registry.card(version)["thresholds"]["spam"]["review"]
    scores = model.score("subscribe to my channel http://spam.example.com")
    assert set(scores) == {"spam", "toxic"} and scores["spam"] > 0.5
    assert model.score_batch(["subscribe to my channel http://spam.example.com"])[0] == pytest.approx(scores)
    assert model.explain("you stupid idiot", k=2)["toxic"]


def test_a_changed_byte_is_refused(registry: Registry, version: str) -> None:
    path = registry.root / version / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match the content_sha256"):
        registry.load(version)


def test_a_missing_model_file_is_refused(registry: Registry, version: str) -> None:
    (registry.root / version / "model.skops").unlink()
    with pytest.raises(ModelLoadError, match=version):
        registry.load(version)


def test_untrusted_types_are_refused_even_with_a_matching_hash(registry: Registry, version: str) -> None:
    """A file whose card was rewritten to match still cannot smuggle in a function like os.system."""
    path = registry.root / version / "model.skops"
    skops.io.dump(Pipeline([("run", FunctionTransformer(os.system))]), path, compression=zipfile.ZIP_DEFLATED)
    card_path = registry.root / version / "card.json"
    card = json.loads(card_path.read_text())
    card["content_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="not allowed: .*system"):
        registry.load(version)


def test_unknown_and_malformed_versions(registry: Registry) -> None:
    with pytest.raises(ModelLoadError, match="unknown model version"):
        registry.load("20990101-000000-abcdef")
    with pytest.raises(RegistryError, match="unknown model version"):
        registry.card("../../etc")


def test_promote_and_rollback(registry: Registry, version: str, trained: TrainingResult) -> None:
    second = registry.save(trained)
    registry.promote(version)
    registry.promote(second)
    assert registry.active_version() == second
    assert [v.version for v in registry.versions() if v.active] == [second]
    assert registry.rollback() == version and registry.active_version() == version
    with pytest.raises(RegistryError, match="no earlier active version"):
        registry.rollback()
    history = [json.loads(line) for line in (registry.root / "history.jsonl").read_text().splitlines()]
    assert [(h["action"], h["version"]) for h in history] == \
        [("promote", version), ("promote", second), ("rollback", version)]


def test_promoting_a_corrupt_version_keeps_the_active_one(registry: Registry, version: str,
                                                          trained: TrainingResult) -> None:
    broken = registry.save(trained)
    registry.promote(version)
    (registry.root / broken / "model.skops").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError):
        registry.promote(broken)
    assert registry.active_version() == version


def test_rollback_to_a_version_that_broke_since_is_refused(registry: Registry, version: str,
                                                           trained: TrainingResult) -> None:
    second = registry.save(trained)
    registry.promote(version)
    registry.promote(second)
    (registry.root / version / "model.skops").write_bytes(b"")
    with pytest.raises(ModelLoadError):
        registry.rollback()
    assert registry.active_version() == second


def test_ensure_seeded(tmp_path: Path, saved_registry: tuple[Path, str]) -> None:
    shipped_root, shipped = saved_registry
    shipped_dir = tmp_path / "default_model"
    shutil.copytree(shipped_root / shipped, shipped_dir / shipped)
    registry = Registry(tmp_path / "instance" / "models")
    assert registry.ensure_seeded(shipped_dir) == shipped
    assert registry.active_version() == shipped and registry.load().version == shipped
    assert registry.ensure_seeded(shipped_dir) is None  # not empty any more: nothing happens
    assert len(registry.versions()) == 1
    assert Registry(tmp_path / "other").ensure_seeded(tmp_path / "nothing-shipped") is None


def test_ensure_seeded_refuses_a_broken_shipped_model(tmp_path: Path, saved_registry: tuple[Path, str]) -> None:
    shipped_root, shipped = saved_registry
    shipped_dir = tmp_path / "default_model"
    shutil.copytree(shipped_root / shipped, shipped_dir / shipped)
    (shipped_dir / shipped / "model.skops").write_bytes(b"broken")
    registry = Registry(tmp_path / "models")
    with pytest.raises(ModelLoadError):
        registry.ensure_seeded(shipped_dir)
    assert registry.versions() == [] and registry.active_version() is None


def test_models_commands(cli, registry: Registry, version: str, trained: TrainingResult) -> None:
    second = registry.save(trained)
    assert cli("models", "promote", version).exit_code == 0
    result = cli("models", "promote", second)
    assert result.exit_code == 0 and second in result.output
    listing = cli("models", "list").output.splitlines()
    assert listing[0].startswith(f"  {version}") and listing[1].startswith(f"* {second}")
    result = cli("models", "rollback")
    assert result.exit_code == 0 and f"Active version: {version}" in result.output
    result = cli("models", "rollback")
    assert result.exit_code == 1 and result.output.startswith("Error: no earlier active version")
    result = cli("models", "promote", "not-a-version")
    assert result.exit_code == 1 and "unknown model version" in result.output


def test_corrupt_model_is_a_one_line_error(cli, registry: Registry, version: str) -> None:
    registry.promote(version)
    (registry.root / version / "model.skops").write_bytes(b"garbage")
    result = cli("score", "hello")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "does not match the content_sha256" in result.output


def test_score_command(cli, registry: Registry, version: str) -> None:
    registry.promote(version)
    result = cli("score", "buy cheap followers now http://spam.example.com")
    assert result.exit_code == 0, result.output
    assert f"Model {version}" in result.output
    assert "spam:" in result.output and "toxic:" in result.output and "review at" in result.output
    assert "followers" in result.output or "cheap" in result.output
