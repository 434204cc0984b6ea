"""Model versions on disk: written once, loaded safely, one of them active.

Layout of the registry root (``instance/models/`` in the app)::

    20250101-120000-a1b2c3/   one folder per version, never changed once written
        model.skops           the fitted pipeline (skops: no code runs on load)
        card.json             data, metrics, thresholds, library versions, content hash
        roc.png  pr.png       held-out curves
    active                    the active version's name: one small file, replaced atomically
    history.jsonl             every promotion and rollback, for the next rollback

A version is written into a hidden temporary folder and renamed into place,
so a reader never sees half a version. Loading checks the model file against
the card's hash before skops reads a byte of it, then refuses any type that is
not on :data:`ALLOWED_TYPES`.
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
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path

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


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def versions(self) -> list[VersionInfo]:
        """All versions, oldest first.

        Ordered by the card's creation time (to the microsecond, since two
        versions can share the second in their names), then by name.
        """
        active = self.active_version()
        infos = []
        for folder in self._version_folders():
            try:
                card = self.card(folder.name)
            except RegistryError:
                card = {}
            infos.append(VersionInfo(
                version=folder.name,
                created=card.get("created"),
                parent=card.get("parent"),
                active=folder.name == active,
                roc_auc={label: m.get("roc_auc") for label, m in card.get("metrics", {}).items()},
            ))
        return sorted(infos, key=lambda info: (str(info.created or ""), info.version))

    def card(self, version: str) -> dict[str, object]:
        path = self._folder(version) / CARD_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegistryError(f"unknown model version {version}") from None
        except (OSError, ValueError) as exc:
            raise RegistryError(f"the card of version {version} cannot be read: {exc}") from exc

    def plot(self, version: str, name: str) -> bytes:
        """A curve image the version's card lists (``roc.png``, ``pr.png``)."""
        if name not in self.card(version).get("plots", []):
            raise RegistryError(f"version {version} has no plot {name!r}")
        try:
            return (self._folder(version) / name).read_bytes()
        except OSError as exc:
            raise RegistryError(f"version {version}: cannot read {name}: {exc.strerror}") from exc

    def save(self, result: TrainingResult) -> str:
        """Write a new version and return its name; it is not made active."""
        self.root.mkdir(parents=True, exist_ok=True)
        created = datetime.now(UTC)
        version = f"{created:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.root))
        try:
            skops.io.dump(result.model, staging / MODEL_FILE, compression=zipfile.ZIP_DEFLATED)
            for name, png in result.plots.items():
                (staging / name).write_bytes(png)
            card = _card(result, version, created, _sha256((staging / MODEL_FILE).read_bytes()))
            (staging / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
            staging.chmod(0o755)
            staging.rename(self.root / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def active_version(self) -> str | None:
        """The active version's name, from one small file (the app calls this per request)."""
        try:
            name = (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def load(self, version: str | None = None) -> LoadedModel:
        """The version (default: the active one), verified against its card before anything is unpickled."""
        version = version or self.active_version()
        if version is None:
            raise ModelLoadError("no active model version")
        try:
            card = self.card(version)
            data = (self._folder(version) / MODEL_FILE).read_bytes()
        except RegistryError as exc:
            raise ModelLoadError(str(exc)) from exc
        except OSError as exc:
            raise ModelLoadError(f"model {version}: cannot read {MODEL_FILE}: {exc.strerror}") from exc
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
            model = LoadedModel(version, pipeline, card)
            # A model fitted by older code can load yet not fit today's features: find out here, not per comment.
            model.explain(PROBE_TEXT)
            model.kinds(PROBE_TEXT)
            return model
        except ModelLoadError:
            raise
        except Exception as exc:  # skops and numpy raise many kinds on a broken file
            raise ModelLoadError(f"model {version} cannot be loaded: {type(exc).__name__}: {exc}") from exc

    def promote(self, version: str) -> None:
        """Make ``version`` active once it loads; otherwise raise and keep the active one."""
        self.load(version)
        if version != self.active_version():
            self._activate(version, "promote")

    def rollback(self) -> str:
        """Re-activate the version that was active before the current one, and return it."""
        stack = self._promotions()
        if len(stack) < 2:
            raise RegistryError("no earlier active version to roll back to")
        previous = stack[-2]
        self.load(previous)
        self._activate(previous, "rollback")
        return previous

    def ensure_seeded(self, default_dir: Path) -> str | None:
        """Copy the newest version shipped in ``default_dir`` into an empty registry and activate it.

        Does nothing (returns None) if the registry has any version or nothing
        is shipped. A shipped model that does not load raises ModelLoadError.
        """
        if any(self._version_folders()):
            return None
        shipped = sorted(p for p in Path(default_dir).glob("*") if VERSION_RE.match(p.name) and p.is_dir())
        if not shipped:
            return None
        source = shipped[-1]
        Registry(source.parent).load(source.name)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{source.name}-", dir=self.root))
        try:
            shutil.copytree(source, staging, dirs_exist_ok=True)
            staging.chmod(0o755)
            staging.rename(self.root / source.name)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (self.root / source.name).is_dir():  # else another process seeded it first
                raise
        if self.active_version() is None:
            self.promote(source.name)
        return source.name

    def _folder(self, version: str) -> Path:
        if not VERSION_RE.match(version):
            raise RegistryError(f"unknown model version {version!r} (expected YYYYMMDD-HHMMSS-xxxxxx)")
        return self.root / version

    def _version_folders(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in self.root.iterdir() if VERSION_RE.match(p.name) and p.is_dir()]

    def _promotions(self) -> list[str]:
        """The stack of active versions: a promotion pushes, a rollback pops."""
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

    def _activate(self, version: str, action: str) -> None:
        entry = {"action": action, "version": version, "previous": self.active_version(),
                 "at": datetime.now(UTC).isoformat(timespec="seconds")}
        staging = self.root / f".{ACTIVE_FILE}-{secrets.token_hex(4)}"
        staging.write_text(version + "\n", encoding="utf-8")
        os.replace(staging, self.root / ACTIVE_FILE)
        with open(self.root / HISTORY_FILE, "a", encoding="utf-8") as history:
            history.write(json.dumps(entry) + "\n")


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
