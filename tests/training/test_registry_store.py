"""A registry over a shared store: each machine caches what it loads, checks it, and sees the same active version.

The shared store here is a folder (``FolderStore``) standing for the app's
database; each ``Registry`` with its own cache folder stands for one server.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from training.registry import MODEL_FILE, FolderStore, ModelLoadError, Registry, RegistryError
from training.train import TrainingResult


@pytest.fixture
def shared(tmp_path: Path, saved_registry: tuple[Path, str]) -> FolderStore:
    """The store every server reads, holding the session's version (not yet active)."""
    shutil.copytree(saved_registry[0], tmp_path / "shared")
    return FolderStore(tmp_path / "shared")


def server(tmp_path: Path, name: str, store: FolderStore) -> Registry:
    return Registry(tmp_path / name / "models", store)


def test_a_version_saved_on_one_server_loads_on_another_from_its_own_cache(
        tmp_path: Path, shared: FolderStore, trained: TrainingResult) -> None:
    a, b = server(tmp_path, "a", shared), server(tmp_path, "b", shared)
    version = a.save(trained)
    assert version in shared.names()
    assert (a.root / version / MODEL_FILE).exists()  # the saving server keeps a copy
    assert not (b.root / version).exists()
    assert b.load(version).version == version
    cached = b.root / version / MODEL_FILE
    assert cached.read_bytes() == shared.file(version, MODEL_FILE)
    assert not [p for p in b.root.iterdir() if p.name.startswith(".")]  # no half-written folder left
    # From now on B needs only its cache for the model file.
    (shared.root / version / MODEL_FILE).unlink()
    assert b.load(version).version == version
    assert {v.version for v in b.versions()} == set(shared.names())


def test_a_damaged_cached_copy_is_fetched_again(tmp_path: Path, shared: FolderStore, version: str) -> None:
    b = server(tmp_path, "b", shared)
    b.load(version)
    cached = b.root / version / MODEL_FILE
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0x01
    cached.write_bytes(bytes(data))
    assert b.load(version).version == version
    assert cached.read_bytes() == shared.file(version, MODEL_FILE)


def test_a_damaged_stored_file_is_refused_not_cached(tmp_path: Path, shared: FolderStore, version: str) -> None:
    (shared.root / version / MODEL_FILE).write_bytes(b"changed in the store")
    b = server(tmp_path, "b", shared)
    with pytest.raises(ModelLoadError, match="does not match the content_sha256"):
        b.load(version)
    assert not (b.root / version / MODEL_FILE).exists()


def test_every_server_sees_a_promotion_and_its_own_at_once(tmp_path: Path, shared: FolderStore, version: str,
                                                            trained: TrainingResult) -> None:
    a, b = server(tmp_path, "a", shared), server(tmp_path, "b", shared)
    second = a.save(trained)
    a.promote(version)
    assert b.active_version(max_age=60) == version
    a.promote(second)
    assert a.active_version(max_age=60) == second  # its own promotion, without asking the store
    assert b.active_version(max_age=60) == version  # B accepted an answer up to a minute old...
    assert b.active_version() == second  # ...and a fresh read sees the promotion
    assert b.rollback() == version and a.active_version() == version


def test_a_promotion_based_on_an_old_answer_is_refused(tmp_path: Path, shared: FolderStore, version: str,
                                                       trained: TrainingResult) -> None:
    """Two admins at once: the alias moves only from the version the mover saw, so no change is lost unnoticed."""
    a, b = server(tmp_path, "a", shared), server(tmp_path, "b", shared)
    second = a.save(trained)
    a.promote(version)
    b.promote(second)
    with pytest.raises(RegistryError, match="changed meanwhile"):
        shared.activate(version, "promote", replacing=version)  # what A would do, having seen `version` active
    assert a.active_version() == second


def test_export_and_import_move_a_version_between_installations(tmp_path: Path, shared: FolderStore,
                                                                 version: str) -> None:
    here = server(tmp_path, "a", shared)
    elsewhere = Registry(tmp_path / "elsewhere")
    folder = here.export(version, tmp_path / "moved")
    assert folder == tmp_path / "moved" / version
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.skops", "pr.png", "roc.png"]
    assert elsewhere.import_folder(folder) == version
    assert elsewhere.active_version() is None  # imported, not promoted
    assert elsewhere.load(version).card["content_sha256"] == here.card(version)["content_sha256"]
    assert elsewhere.plot(version, "roc.png") == here.plot(version, "roc.png")
    assert elsewhere.import_folder(folder) == version  # again: nothing changes
    with pytest.raises(RegistryError, match="exists already"):
        here.export(version, tmp_path / "moved")


def test_import_refuses_a_changed_or_misnamed_folder(tmp_path: Path, shared: FolderStore, version: str) -> None:
    folder = server(tmp_path, "a", shared).export(version, tmp_path / "moved")
    target = Registry(tmp_path / "elsewhere")
    renamed = folder.rename(folder.with_name("20990101-000000-abcdef"))
    with pytest.raises(RegistryError, match="the folder must have that name"):
        target.import_folder(renamed)
    folder = renamed.rename(folder)
    (folder / MODEL_FILE).write_bytes(b"not the model the card describes")
    with pytest.raises(ModelLoadError, match="does not match the content_sha256"):
        target.import_folder(folder)
    assert target.versions() == []


def test_seeding_a_store_adopts_the_folder_registry_of_an_older_installation(
        tmp_path: Path, saved_registry: tuple[Path, str], trained: TrainingResult) -> None:
    """An installation from before the shared store keeps its active version and can still roll back."""
    old = Registry(tmp_path / "instance" / "models")  # the folder registry as it was
    shutil.copytree(saved_registry[0], old.root, dirs_exist_ok=True)
    first = saved_registry[1]
    second = old.save(trained)
    old.promote(first)
    old.promote(second)
    store = FolderStore(tmp_path / "database")
    registry = Registry(old.root, store)
    assert registry.ensure_seeded(tmp_path / "nothing-shipped") == second
    assert set(store.names()) == {first, second} and store.active() == second
    assert registry.rollback() == first
    assert registry.ensure_seeded(tmp_path / "nothing-shipped") is None  # seeded: left alone


def test_a_cache_without_an_active_version_is_seeded_from_the_shipped_model(
        tmp_path: Path, shared: FolderStore, version: str, saved_registry: tuple[Path, str]) -> None:
    """A server's cache of an old database is no registry of its own: a new database gets the shipped model."""
    cache = Registry(tmp_path / "instance" / "models", shared)
    cache.load(version)  # the server's copy: the model file and its card, no alias
    shipped = tmp_path / "default_model"
    shutil.copytree(saved_registry[0] / version, shipped / version)
    card = json.loads((shipped / version / "card.json").read_text())
    assert card["version"] == version
    store = FolderStore(tmp_path / "new-database")
    assert Registry(cache.root, store).ensure_seeded(shipped) == version
    assert store.active() == version


def test_models_export_and_import_commands(tmp_path: Path, cli, registry: Registry, version: str) -> None:
    result = cli("models", "export", version, str(tmp_path / "out"))
    assert result.exit_code == 0 and f"Exported {version}" in result.output
    assert cli("models", "export", "20990101-000000-abcdef", str(tmp_path / "out")).exit_code == 1
    shutil.rmtree(registry.root / version)
    result = cli("models", "import", str(tmp_path / "out" / version))
    assert result.exit_code == 0 and f"models promote {version}" in result.output
    assert registry.load(version).version == version
    result = cli("models", "import", str(tmp_path / "out"))
    assert result.exit_code == 1 and result.output.startswith("Error:")
