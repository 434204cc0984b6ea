"""Quality per data set, on held-out examples, of the model the default recipe trains.

Trains exactly as ``python -m training.default_model`` does (everything, seed
0, 20% of each source held out) and breaks the held-out metrics down by data
set, at the thresholds the training picked.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from common import load_sets

from training.evaluate import evaluate, format_table
from training.registry import Registry
from training.train import train


def main() -> None:
    sets = load_sets()
    result = train(list(sets.values()), seed=0)
    with tempfile.TemporaryDirectory() as root:
        registry = Registry(Path(root))
        model = registry.load(registry.save(result))
    set_of = {id(e): name for name, d in sets.items() for e in d.examples}
    held_out: dict[str, list] = {}
    for e in result.validation:
        held_out.setdefault(set_of[id(e)], []).append(e)
    per_set = {name: {label: m for label, m in evaluate(model, examples).items() if m.n}
               for name, examples in held_out.items()}
    print(f"held-out examples of each data set ({result.split['held_out']:,} in all), "
          f"model trained on {result.split['fitted_on']:,}:")
    print(format_table(per_set, key="data set"))
    print("all held-out together:")
    print(format_table({"all": result.metrics}, key="data set"))
    for label, t in result.thresholds.items():
        note = result.threshold_notes.get(label, "")
        print(f"thresholds {label}: review {t.review:.3f}, high {t.high:.3f} {note}".rstrip())


if __name__ == "__main__":
    main()
