"""The shipped model, rebuilt reproducibly: ``python -m training.default_model``.

Trains with seed 0 on the project's own corpus (``training/data``) and every
public data set in ``../shared/datasets`` beside the repository, then writes
the version into ``training/default_model/<version>/`` in place of the
previous one. On first run the app copies it into its empty registry and
makes it active (:meth:`training.registry.Registry.ensure_seeded`).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .datasets import load
from .evaluate import format_table
from .registry import VERSION_RE, Registry
from .train import train

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "training" / "data"
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_DIR = Path(__file__).resolve().parent / "default_model"
SEED = 0


def specs() -> list[str]:
    """The data the shipped model learns from, relative to the repository root as the card records them.

    The corpus is left out (with a warning) only while its files do not exist yet.
    """
    shared = os.path.relpath(SHARED_DATASETS, ROOT)
    public = [f"youtube:{shared}/youtube-spam", f"sms:{shared}/sms-spam", f"olid:{shared}/olid",
              f"davidson:{shared}/davidson-hate-offensive", f"civil:{shared}/toxic-spans-civil",
              f"stormfront:{shared}/stormfront-hate", f"hatexplain:{shared}/hatexplain",
              f"wikitalk:{shared}/wiki-talk-cat"]
    if any(CORPUS.glob("*.csv")):
        return [f"csv:{CORPUS.relative_to(ROOT)}", *public]
    print(f"warning: no corpus files in {CORPUS}; building without the project corpus", file=sys.stderr)
    return public


def build(target: Path = DEFAULT_DIR) -> str:
    """Train and write the default version into ``target``, removing older versions there.

    Reads :func:`specs`, so it runs from the repository root (:func:`main` goes there).
    """
    datasets = [load(spec) for spec in specs()]
    result = train(datasets, seed=SEED, progress=lambda step, fraction: print(f"[{fraction:4.0%}] {step}"))
    version = Registry(target).save(result)
    for old in target.iterdir():
        if VERSION_RE.match(old.name) and old.name != version:
            shutil.rmtree(old)
    print(format_table({version: result.metrics}))
    return version


def main() -> None:
    os.chdir(ROOT)
    version = build()
    size = (DEFAULT_DIR / version / "model.skops").stat().st_size
    print(f"Default model {version} written to {DEFAULT_DIR / version} (model.skops {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
