"""Real model versions for shadow and regression tests, made in a fraction of a second.

Training even a tiny model takes tens of seconds on a busy machine, so these
tests use the shipped default model as the active version and derive a
candidate from it by copying the version with other thresholds in its card:
the same fitted pipeline (the card's hash still matches the model file), a
routing that differs predictably. ``lenient`` never holds a comment for
toxicity, so it publishes the insults the shipped model holds.
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

import moderation.config
from moderation.model.scoring import Scorer
from training.registry import MODEL_FILE, Registry

#: Scores never reach these: the label stops holding anything.
NEVER = {"review": 1.01, "high": 1.01}
TOXIC = "you are an idiot and a disgrace"
CLEAN = "the harbour photos are lovely"


def shipped_registry(app: Flask, root: Path) -> Registry:
    """A registry holding the shipped default model, active, served to ``app`` by a real Scorer."""
    registry = Registry(root)
    registry.ensure_seeded(moderation.config.DEFAULT_MODEL_DIR)
    assert registry.active_version() is not None, "the shipped default model is missing"
    app.extensions["moderation.scorer"] = Scorer(registry)
    return registry


def threshold_variant(registry: Registry, source: str, name: str, **thresholds: dict[str, float]) -> str:
    """Add version ``source`` again as ``name`` (YYYYMMDD-HHMMSS-xxxxxx) with some labels' thresholds replaced.

    Written through the registry's store, so it works on a folder registry and on the app's database one.
    """
    card = json.loads(json.dumps(registry.card(source)))
    card["version"] = name
    card["parent"] = source
    card["created"] = "2099-01-01T00:00:00+00:00"
    for label, values in thresholds.items():
        card["thresholds"][label] = values
    files = {file: registry.store.file(source, file) for file in [MODEL_FILE, *card.get("plots", [])]}
    registry.store.add(name, card, files)
    return name


def lenient_variant(registry: Registry) -> str:
    active = registry.active_version()
    assert active is not None
    return threshold_variant(registry, active, "20990101-000000-1e1e1e", toxic=NEVER)
