"""Model versions: written once, loaded safely, one of them active.

Where versions live is a :class:`VersionStore`. Without one, the registry's
folder is the store, laid out as::

    20250101-120000-a1b2c3/   one folder per version, never changed once written
        model.skops           the fitted pipeline (skops: no code runs on load)
        card.json             data, metrics, thresholds, library versions, content hash
        roc.png  pr.png       held-out curves
    active                    the active version's name: one small file, replaced atomically
    history.jsonl             every promotion and rollback, for the next rollback

The app hands the registry a store in its database instead (so every server
sees the same versions and the same ``active`` alias), and the folder becomes
this machine's cache of it: a version is fetched once, written into a hidden
temporary folder and renamed into place, so a reader never sees half a
version. Either way, loading checks the model file against the card's hash
before skops reads a byte of it (a cached copy that fails is fetched again),
then refuses any type that is not on :data:`ALLOWED_TYPES`.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Protocol

import skops.io
from sklearn.pipeline import Pipeline

from .compiled import CompiledModel
from .evaluate import Thresholds
from .features import Comment
from .pipeline import model_labels
from .train import TrainingResult

MODEL_FILE = "model.skops"
CARD_FILE = "card.json"
ACTIVE_FILE = "active"
HISTORY_FILE = "history.jsonl"
#: Scored once at load, so a model that cannot score is refused before it serves.
PROBE_TEXT = "Thanks for the article! More at www.example.com, you idiot."
VERSION_RE = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")

#: Types a model file may hold beyond those skops trusts by default: the
#: pipeline's own steps and the scikit-learn internals they keep. Exact names,
#: not prefixes: numpy and scipy hold functions nobody should find in a model.
ALLOWED_TYPES = frozenset({
    "training.pipeline.TextCleaner",
    "training.pipeline.CommentShape",
    "training.pipeline.PostText",
    "training.pipeline.CommenterFields",
    "training.meaning.MeaningVectors",
    "training.pipeline.PerLabelClassifier",
    "training.kinds.KindClassifier",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.model_selection._split.StratifiedKFold",
})


class RegistryError(Exception):
    """A registry request that cannot be met: unknown version, nothing to roll back to."""


class ModelLoadError(RegistryError):
    """A version's model cannot be used: missing, corrupt, changed since written, or unsafe."""


@dataclass(frozen=True)
class VersionInfo:
    version: str
    created: str | None
    parent: str | None
    active: bool
    roc_auc: dict[str, float | None]


class LoadedModel:
    """A version ready to score: its card, thresholds and the fast scoring path of its pipeline."""

    def __init__(self, version: str, pipeline: Pipeline, card: dict[str, object]) -> None:
        self.version = version
        self.pipeline = pipeline
        self.card = card
        self.labels = model_labels(pipeline)
        self.thresholds = {label: Thresholds(float(t["review"]), float(t["high"]))
                           for label, t in card["thresholds"].items()}
        self._compiled = CompiledModel(pipeline)

    def score(self, comment: Comment) -> dict[str, float]:
        return self._compiled.score(comment)

    def score_batch(self, comments: Sequence[Comment]) -> list[dict[str, float]]:
        return self._compiled.score_batch(comments)

    def explain(self, comment: Comment, k: int = 5) -> dict[str, list[tuple[str, float]]]:
        return self._compiled.explain(comment, k)

    def kinds(self, comment: Comment) -> dict[str, float]:
        return self._compiled.kinds(comment)


class VersionStore(Protocol):
    """Where versions and the ``active`` alias are kept; the registry checks and caches what it reads.

    Versions are immutable once added. Moving the alias is a compare-and-set:
    ``activate`` refuses when the alias no longer names ``replacing``, so two
    admins promoting at once cannot lose one another's change unnoticed.
    """

    def names(self) -> list[str]:
        """Every version's name, in no particular order."""
        ...

    def card(self, version: str) -> dict[str, object]:
        """The version's card; RegistryError when there is no such version."""
        ...

    def file(self, version: str, name: str) -> bytes:
        """One of the version's files (``model.skops``, a plot); RegistryError when missing."""
        ...

    def add(self, version: str, card: Mapping[str, object], files: Mapping[str, bytes]) -> None:
        """Keep a new version (its card and files); adding a version that exists changes nothing."""
        ...

    def active(self) -> str | None:
        ...

    def promotions(self) -> list[str]:
        """The stack of active versions: a promotion pushed, a rollback popped."""
        ...

    def activate(self, version: str, action: str, replacing: str | None) -> None:
        """Point ``active`` at ``version`` and record ``action``, only if it still names ``replacing``."""
        ...


class FolderStore:
    """Versions as folders in ``root``, the alias as a file: one machine's registry with no database."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir() if VERSION_RE.match(p.name) and p.is_dir()]

    def card(self, version: str) -> dict[str, object]:
        path = self.root / version / CARD_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegistryError(f"unknown model version {version}") from None
        except (OSError, ValueError) as exc:
            raise RegistryError(f"the card of version {version} cannot be read: {exc}") from exc

    def file(self, version: str, name: str) -> bytes:
        try:
            return (self.root / version / name).read_bytes()
        except OSError as exc:
            raise RegistryError(f"version {version}: cannot read {name}: {exc.strerror}") from exc

    def add(self, version: str, card: Mapping[str, object], files: Mapping[str, bytes]) -> None:
        if (self.root / version).is_dir():
            return
        write_version(self.root, version, card, files)

    def active(self) -> str | None:
        try:
            name = (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def promotions(self) -> list[str]:
        stack: list[str] = []
        try:
            lines = (self.root / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except ValueError:
                raise RegistryError(f"{HISTORY_FILE} line {number} is not JSON") from None
            if entry.get("action") == "promote":
                stack.append(entry["version"])
            elif stack:
                stack.pop()
        return stack

    def activate(self, version: str, action: str, replacing: str | None) -> None:
        # One machine, one admin at a time: the check is not atomic across processes, the file replace is.
        if self.active() != replacing:
            raise RegistryError(f"the active version changed meanwhile (now {self.active()}); try again")
        entry = {"action": action, "version": version, "previous": replacing,
                 "at": datetime.now(UTC).isoformat(timespec="seconds")}
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".{ACTIVE_FILE}-{secrets.token_hex(4)}"
        staging.write_text(version + "\n", encoding="utf-8")
        os.replace(staging, self.root / ACTIVE_FILE)
        with open(self.root / HISTORY_FILE, "a", encoding="utf-8") as history:
            history.write(json.dumps(entry) + "\n")


def write_version(root: Path, version: str, card: Mapping[str, object], files: Mapping[str, bytes]) -> Path:
    """Write a version folder under ``root`` all at once (staged, then renamed), and return it.

    If another process wrote the same version first, its folder is kept: versions never change.
    """
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        (staging / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)
        staging.rename(root / version)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (root / version).is_dir():
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root / version


class Registry:
    """The versions of a :class:`VersionStore`, checked before use.

    ``root`` is the store itself when no store is given (a plain folder, as
    the training commands use it); with a store, ``root`` is this machine's
    cache of the versions it has loaded.
    """

    def __init__(self, root: Path, store: VersionStore | None = None) -> None:
        self.root = Path(root)
        self.store: VersionStore = store if store is not None else FolderStore(self.root)
        self._caches = store is not None
        #: (monotonic time read, name): the alias as last read, for callers that accept a slightly old answer.
        self._alias: tuple[float, str | None] | None = None

    def versions(self) -> list[VersionInfo]:
        """All versions, oldest first.

        Ordered by the card's creation time (to the microsecond, since two
        versions can share the second in their names), then by name.
        """
        active = self.active_version()
        infos = []
        for name in self.store.names():
            try:
                card = self.card(name)
            except RegistryError:
                card = {}
            infos.append(VersionInfo(
                version=name,
                created=card.get("created"),
                parent=card.get("parent"),
                active=name == active,
                roc_auc={label: m.get("roc_auc") for label, m in card.get("metrics", {}).items()},
            ))
        return sorted(infos, key=lambda info: (str(info.created or ""), info.version))

    def card(self, version: str) -> dict[str, object]:
        return self.store.card(_checked_name(version))

    def plot(self, version: str, name: str) -> bytes:
        """A curve image the version's card lists (``roc.png``, ``pr.png``)."""
        if name not in self.card(version).get("plots", []):
            raise RegistryError(f"version {version} has no plot {name!r}")
        return self.store.file(version, name)

    def save(self, result: TrainingResult) -> str:
        """Write a new version and return its name; it is not made active."""
        created = datetime.now(UTC)
        version = f"{created:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        data = skops.io.dumps(result.model, compression=zipfile.ZIP_DEFLATED)
        card = _card(result, version, created, _sha256(data))
        self.store.add(version, card, {MODEL_FILE: data, **result.plots})
        if self._caches:
            write_version(self.root, version, card, {MODEL_FILE: data})
        return version

    def active_version(self, max_age: float = 0.0) -> str | None:
        """The active version's name.

        ``max_age`` (seconds) lets a caller on a hot path (the scorer, once per
        comment) take the answer read up to that long ago instead of asking the
        store again; this registry's own promotions and rollbacks are seen at once.
        """
        cached = self._alias
        if cached is not None and time.monotonic() - cached[0] < max_age:
            return cached[1]
        name = self.store.active()
        self._alias = (time.monotonic(), name)
        return name

    def load(self, version: str | None = None) -> LoadedModel:
        """The version (default: the active one), verified against its card before anything is unpickled."""
        version = version or self.active_version()
        if version is None:
            raise ModelLoadError("no active model version")
        try:
            card = self.card(version)
            data = self._model_bytes(version, card)
        except RegistryError as exc:
            raise ModelLoadError(str(exc)) from exc
        return _verified_model(version, card, data)

    def promote(self, version: str) -> None:
        """Make ``version`` active once it loads; otherwise raise and keep the active one."""
        self.load(version)
        current = self.active_version()
        if version != current:
            self._activate(version, "promote", current)

    def rollback(self) -> str:
        """Re-activate the version that was active before the current one, and return it."""
        stack = self.store.promotions()
        if len(stack) < 2:
            raise RegistryError("no earlier active version to roll back to")
        previous = stack[-2]
        self.load(previous)
        self._activate(previous, "rollback", stack[-1])
        return previous

    def export(self, version: str, destination: Path) -> Path:
        """Write ``version`` (checked first) as a folder ``destination/VERSION`` that :meth:`import_folder` reads."""
        card = self.card(version)
        target = Path(destination) / version
        if target.exists():
            raise RegistryError(f"{target} exists already")
        data = self._model_bytes(version, card)
        _verified_model(version, card, data)
        plots = {name: self.store.file(version, name) for name in card.get("plots", [])}
        return write_version(Path(destination), version, card, {MODEL_FILE: data, **plots})

    def import_folder(self, folder: Path) -> str:
        """Add the version in ``folder`` (as written by :meth:`export`) once it loads; it is not made active.

        Importing a version that is here already with the same model changes
        nothing; the same name with another model is refused.
        """
        source = FolderStore(Path(folder).parent)
        card = source.card(Path(folder).name)
        version = _checked_name(str(card.get("version", "")))
        if version != Path(folder).name:
            raise RegistryError(f"{folder}: the card names version {version}; the folder must have that name")
        data = source.file(version, MODEL_FILE)
        _verified_model(version, card, data)
        if version in self.store.names():
            if self.card(version).get("content_sha256") != card.get("content_sha256"):
                raise RegistryError(f"another model named {version} is here already")
            return version
        plots = {name: source.file(version, name) for name in card.get("plots", [])}
        self.store.add(version, card, {MODEL_FILE: data, **plots})
        return version

    def ensure_seeded(self, default_dir: Path) -> str | None:
        """Fill an empty store, make a version active and return its name; a store with versions is left alone.

        With a separate store, the versions of a folder registry from before
        the store (this machine's folder, with its ``active`` file) are moved
        in with their promotions, so the active model and rollback stay as
        they were. Otherwise the newest version shipped in ``default_dir`` is
        copied in and activated.
        Returns None when there is nothing to add. A shipped model that does
        not load raises ModelLoadError.
        """
        if self.store.names():
            return None
        if self._caches and FolderStore(self.root).active() is not None:  # a cache never has an alias file
            return self._adopt(Registry(self.root))
        shipped = sorted(p for p in Path(default_dir).glob("*") if VERSION_RE.match(p.name) and p.is_dir())
        if not shipped:
            return None
        version = self.import_folder(shipped[-1])  # checked: it loads and scores
        if self.active_version() is None:
            self._activate(version, "promote", None)
        return version

    def _adopt(self, local: Registry) -> str | None:
        """Copy every version of ``local`` into this registry's store, and replay its promotions."""
        for version in local.store.names():
            card = local.card(version)
            files = {name: local.store.file(version, name) for name in [MODEL_FILE, *card.get("plots", [])]}
            self.store.add(version, card, files)
        for version in local.store.promotions():
            self._activate(version, "promote", self.active_version())
        active = local.active_version()
        if active is not None and active != self.active_version():
            self._activate(active, "promote", self.active_version())
        return self.active_version()

    def _model_bytes(self, version: str, card: Mapping[str, object]) -> bytes:
        """The model file; with a store, from this machine's cache when its hash is right, else fetched and cached."""
        if not self._caches:
            return self.store.file(version, MODEL_FILE)
        cached = self.root / version / MODEL_FILE
        try:
            data = cached.read_bytes()
            if _sha256(data) == card.get("content_sha256"):
                return data
        except OSError:
            pass
        data = self.store.file(version, MODEL_FILE)
        if _sha256(data) == card.get("content_sha256"):
            shutil.rmtree(self.root / version, ignore_errors=True)  # a missing or damaged copy
            write_version(self.root, version, card, {MODEL_FILE: data})
        return data

    def _activate(self, version: str, action: str, replacing: str | None) -> None:
        self.store.activate(version, action, replacing)
        self._alias = (time.monotonic(), version)


def _checked_name(version: str) -> str:
    if not VERSION_RE.match(version):
        raise RegistryError(f"unknown model version {version!r} (expected YYYYMMDD-HHMMSS-xxxxxx)")
    return version


def _verified_model(version: str, card: Mapping[str, object], data: bytes) -> LoadedModel:
    """The model in ``data`` once its hash matches the card, it holds only allowed types, and it scores."""
    if _sha256(data) != card.get("content_sha256"):
        raise ModelLoadError(f"model {version}: {MODEL_FILE} does not match the content_sha256 "
                             "of its card (corrupt or changed since it was written)")
    try:
        found = skops.io.get_untrusted_types(data=data)
        unsafe = sorted(set(found) - ALLOWED_TYPES)
        if unsafe:
            raise ModelLoadError(f"model {version} holds types that are not allowed: {', '.join(unsafe)}")
        pipeline = skops.io.loads(data, trusted=found)
        if not isinstance(pipeline, Pipeline):
            raise ModelLoadError(f"model {version} is a {type(pipeline).__name__}, not a Pipeline")
        model = LoadedModel(version, pipeline, dict(card))
        # A model fitted by older code can load yet not fit today's features: find out here, not per comment.
        model.explain(PROBE_TEXT)
        model.kinds(PROBE_TEXT)
        return model
    except ModelLoadError:
        raise
    except Exception as exc:  # skops and numpy raise many kinds on a broken file
        raise ModelLoadError(f"model {version} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _card(result: TrainingResult, version: str, created: datetime, content_sha256: str) -> dict[str, object]:
    return {
        "version": version,
        "created": created.isoformat(timespec="microseconds"),
        "parent": result.parent,
        "seed": result.seed,
        "training_seconds": result.training_seconds,
        "peak_memory_mb": result.peak_memory_mb,
        "python": platform.python_version(),
        "sklearn": package_version("scikit-learn"),
        "skops": package_version("skops"),
        # The meaning block reads word pieces as this version of the tokenizer splits them.
        "tokenizers": package_version("tokenizers"),
        "content_sha256": content_sha256,
        "labels": list(result.labels),
        "thresholds": {label: {"review": t.review, "high": t.high,
                               **({"note": result.threshold_notes[label]}
                                  if label in result.threshold_notes else {})}
                       for label, t in result.thresholds.items()},
        "data": result.sources,
        "split": result.split,
        "metrics": {label: m.as_json() for label, m in result.metrics.items()},
        "plots": sorted(result.plots),
        "base": result.base,
        **({"site": result.site} if result.site is not None else {}),
    }
