"""Learning a new site: how much k moderator decisions from a source improve the model there.

The starting model is the default recipe's data WITHOUT the new source. Then
k labelled examples of that source arrive as moderator decisions and are
learned as the app learns them (:func:`training.adapt.adapt`, a residual over
the fitted base, which is what ``train(extra=...)`` does). ROC AUC is
measured on the rest of the source, the same examples for every k; each k > 0
is averaged over three draws of the decisions.

At k = 200 the same decisions are also tried the older ways, refitting on
everything: mixed into the data as rows weighted 10 (the app's old
``DECISION_WEIGHT``) and 30, and with recency weighting (the newest half
counted three times the oldest).

Target: where the start is below 0.75, 200 decisions add ≥ 0.08 ROC AUC.
Scenarios: ``olid`` (tweets, toxic), ``news`` (Civil Comments news comments,
all toxic, with the project corpus's clean comments: the toxic-spans/corpus
split), ``wikitalk`` (toxic), ``hatexplain`` (toxic: tweets and Gab posts, the worst
left-out source), ``youtube`` (spam).
"""
from __future__ import annotations

import argparse
import random

from common import load_sets, mean, roc_auc, target

from training.adapt import adapt
from training.datasets import Dataset, Example
from training.pipeline import fit_pipeline

POOL = 500
STEPS = (0, 50, 100, 200, 500)
DRAWS = (0, 1, 2)
SCENARIOS = {"olid": "toxic", "youtube": "spam", "news": "toxic", "wikitalk": "toxic", "hatexplain": "toxic"}


def site_examples(sets: dict[str, Dataset], new_source: str) -> tuple[list[Example], list[Dataset]]:
    """The new site's examples and the data the start model may use (everything else)."""
    if new_source == "news":
        # Civil Comments are all toxic: the site's clean comments are the corpus's, and the corpus leaves the base.
        site = sets["civil"].examples + [e for e in sets["corpus"].examples if not e.labels.get("toxic")]
        return site, [d for name, d in sets.items() if name not in ("civil", "corpus")]
    return list(sets[new_source].examples), [d for name, d in sets.items() if name != new_source]


def as_decisions(examples: list[Example], weight: float = 1.0) -> list[Example]:
    return [Example(e.text, e.labels, "decisions", weight) for e in examples]


def learning_curve(sets: dict[str, Dataset], new_source: str, label: str) -> None:
    new, base_sets = site_examples(sets, new_source)
    random.Random(0).shuffle(new)
    pool, rest = new[:POOL], new[POOL:]
    base_examples = [e for d in base_sets for e in d.examples]
    print(f"new site: {new_source} ({label}); start model trained on {', '.join(d.name.split(':')[0] for d in base_sets)}; "
          f"measured on {len(rest):,} examples never used as decisions", flush=True)
    base = fit_pipeline(base_examples)
    figures: dict[int, float] = {}
    for k in STEPS:
        aucs = []
        for draw in DRAWS if k else (0,):
            chosen = as_decisions(random.Random(draw).sample(pool, k))
            aucs.append(roc_auc(adapt(base, chosen) if k else base, rest, label))
        figures[k] = mean(aucs)
        spread = f" (draws {', '.join(f'{a:.3f}' for a in aucs)})" if len(aucs) > 1 else ""
        print(f"  k={k:>3} decisions: ROC AUC {figures[k]:.3f}  {figures[k] - figures[0]:+.3f}{spread}", flush=True)
    gain = figures[200] - figures[0]
    if figures[0] < 0.75:
        print(f"  start {figures[0]:.3f} (< 0.75); gain after 200 decisions {gain:+.3f} {target(gain, 0.08)}")
    else:
        print(f"  start {figures[0]:.3f} (not below 0.75: outside the target's case); gain after 200 {gain:+.3f}")

    chosen = random.Random(0).sample(pool, 200)
    older = {
        "as rows weighted 10": as_decisions(chosen, 10.0),
        "as rows weighted 30": as_decisions(chosen, 30.0),
        "as rows, recency-weighted": [Example(e.text, e.labels, "decisions", 10.0 * (3.0 if i >= 100 else 1.0))
                                      for i, e in enumerate(chosen)],
    }
    for name, decisions in older.items():
        auc = roc_auc(fit_pipeline(base_examples + decisions), rest, label)
        print(f"  k=200, {name} (draw 0): ROC AUC {auc:.3f}  {auc - figures[0]:+.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                        help=f"new sites to simulate, of {', '.join(sorted(SCENARIOS))} (default: olid news)")
    sources = parser.parse_args().sources or ["olid", "news"]
    if unknown := sorted(set(sources) - set(SCENARIOS)):
        parser.error(f"unknown source {', '.join(unknown)}; choose from {', '.join(sorted(SCENARIOS))}")
    sets = load_sets()
    for source in sources:
        learning_curve(sets, source, SCENARIOS[source])


if __name__ == "__main__":
    main()
