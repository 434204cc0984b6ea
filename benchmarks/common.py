"""What the benchmark scripts share: where the data lives, loading it, scoring a fitted pipeline.

Benchmarks print figures; they are not tests. Run them from the repository
root, e.g. ``.venv/bin/python benchmarks/quality.py`` (see README.md).
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing

from training.datasets import Dataset, Example, load  # noqa: E402
from training.default_model import CORPUS, DEFAULT_DIR, SHARED_DATASETS  # noqa: E402
from training.pipeline import model_labels  # noqa: E402
from training.registry import LoadedModel, Registry  # noqa: E402

SPECS = {
    "corpus": f"csv:{CORPUS}",
    "youtube": f"youtube:{SHARED_DATASETS / 'youtube-spam'}",
    "sms": f"sms:{SHARED_DATASETS / 'sms-spam'}",
    "olid": f"olid:{SHARED_DATASETS / 'olid'}",
    "davidson": f"davidson:{SHARED_DATASETS / 'davidson-hate-offensive'}",
    "civil": f"civil:{SHARED_DATASETS / 'toxic-spans-civil'}",
    "stormfront": f"stormfront:{SHARED_DATASETS / 'stormfront-hate'}",
    "hatexplain": f"hatexplain:{SHARED_DATASETS / 'hatexplain'}",
    "wikitalk": f"wikitalk:{SHARED_DATASETS / 'wiki-talk-cat'}",
}


def load_sets(*names: str) -> dict[str, Dataset]:
    """The named data sets (all of them by default); the corpus is left out, with a note, until it exists."""
    wanted = names or tuple(SPECS)
    if "corpus" in wanted and not any(CORPUS.glob("*.csv")):
        print(f"note: no corpus files in {CORPUS} yet: corpus figures are missing")
        wanted = tuple(n for n in wanted if n != "corpus")
    return {name: load(SPECS[name]) for name in wanted}


def by_source(examples: Sequence[Example]) -> dict[str, list[Example]]:
    groups: dict[str, list[Example]] = {}
    for e in examples:
        groups.setdefault(e.source, []).append(e)
    return groups


def roc_auc(model: Pipeline, examples: Sequence[Example], label: str) -> float:
    """ROC AUC of ``label`` over the examples that know it (NaN without both classes)."""
    known = [e for e in examples if label in e.labels]
    truth = [e.labels[label] for e in known]
    if len(set(truth)) < 2:
        return float("nan")
    column = model_labels(model).index(label)
    return float(roc_auc_score(truth, model.predict_proba([e.post for e in known])[:, column]))


def shipped_model() -> LoadedModel:
    """The default model as the app seeds it (build it with ``python -m training.default_model``)."""
    versions = sorted(p.name for p in DEFAULT_DIR.glob("2*") if p.is_dir())
    if not versions:
        sys.exit(f"no default model in {DEFAULT_DIR}: run python -m training.default_model first")
    return Registry(DEFAULT_DIR).load(versions[-1])


def target(value: float, goal: float, higher: bool = True) -> str:
    """'(target ≥ goal: met)' or '... MISSED', so every printed figure says where it stands."""
    met = value >= goal if higher else value <= goal
    return f"(target {'≥' if higher else '≤'} {goal:g}: {'met' if met else 'MISSED'})"


def mean(values: Sequence[float]) -> float:
    return float(np.nanmean(values))
