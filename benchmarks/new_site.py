"""Learning a new site: how much k moderator decisions from a source improve the model there.

The starting model is the default recipe trained WITHOUT the new source. Then
k labelled examples of that source go in as moderator decisions, weighted like
the app's (``DECISION_WEIGHT``), through ``train(extra=...)``: the same path
as real decisions, held-out split included. ROC AUC is measured on the rest
of the source, the same examples for every k; each k > 0 is averaged over
three draws of the decisions.

Target: where the start is below 0.75 (OLID for toxicity), 200 decisions add
≥ 0.10 ROC AUC. YouTube spam is run too, as a site whose spam the public data
half knows.
"""
from __future__ import annotations

import argparse
import random

from common import load_sets, mean, roc_auc, target

from training.datasets import Dataset, Example
from training.train import train

DECISION_WEIGHT = 10.0  # as moderation/config.py
POOL = 500
STEPS = (0, 50, 100, 200, 500)
DRAWS = (0, 1, 2)
SCENARIOS = {"olid": "toxic", "youtube": "spam", "corpus": "toxic"}


def learning_curve(sets: dict[str, Dataset], new_source: str, label: str) -> None:
    base = [d for name, d in sets.items() if name != new_source]
    new = list(sets[new_source].examples)
    random.Random(0).shuffle(new)
    pool, rest = new[:POOL], new[POOL:]
    print(f"new site: {new_source} ({label}); start model trained on {', '.join(n for n in sets if n != new_source)}; "
          f"measured on {len(rest):,} {new_source} examples never used as decisions")
    figures: dict[int, float] = {}
    for k in STEPS:
        aucs = []
        for draw in DRAWS if k else (0,):
            chosen = random.Random(draw).sample(pool, k)
            decisions = [Example(e.text, e.labels, "decisions", DECISION_WEIGHT) for e in chosen]
            aucs.append(roc_auc(train(base, extra=decisions, seed=0).model, rest, label))
        figures[k] = mean(aucs)
        spread = f" (draws {', '.join(f'{a:.3f}' for a in aucs)})" if len(aucs) > 1 else ""
        print(f"  k={k:>3} decisions: ROC AUC {figures[k]:.3f}  {figures[k] - figures[0]:+.3f}{spread}", flush=True)
    gain = figures[200] - figures[0]
    if figures[0] < 0.75:
        print(f"  start {figures[0]:.3f} (< 0.75); gain after 200 decisions {gain:+.3f} {target(gain, 0.10)}")
    else:
        print(f"  start {figures[0]:.3f} (not below 0.75: outside the target's case); gain after 200 {gain:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                        help=f"new sites to simulate, of {', '.join(sorted(SCENARIOS))} (default: olid youtube)")
    sources = parser.parse_args().sources or ["olid", "youtube"]
    if unknown := sorted(set(sources) - set(SCENARIOS)):
        parser.error(f"unknown source {', '.join(unknown)}; choose from {', '.join(sorted(SCENARIOS))}")
    sets = load_sets()
    for source in sources:
        if source in sets:
            learning_curve(sets, source, SCENARIOS[source])


if __name__ == "__main__":
    main()
