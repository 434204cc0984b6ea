"""Learning a new site: how far k of its own labels take the model there, against the site's ceiling.

The starting model is the default recipe's data WITHOUT the new source. Then k
labelled examples of that source arrive as the site's labels (imports,
decisions) and are learned as the app learns them: a site layer over the
fitted base (:mod:`training.adapt`, what ``train --decisions`` and the Retrain
button fit). ROC AUC is measured on the rest of the source, the same examples
for every k; each k below the whole pool is averaged over three draws.

The ceiling is the source's own 5-fold ROC AUC, a model fitted on 80% of the
source alone and measured on the rest (``toxic_recipes.py --in-source``).

The gated run is how the app learns over time: labels arrive in one order,
and at each k a candidate is trained on all of them so far, measured against
the active model on those labels out of fold (:func:`training.site.learn`),
and promoted only when :func:`training.site.gate` lets it. Printed: what the
gate did at each k and the active model's ROC AUC on the held-out rest.

Targets (issue "The model learns each site"), for sources starting below 0.80:
at k = 1,000 the sources close on average at least half of the gap between
their start and their ceiling; at k = 2,000 each is within 0.03 of its
ceiling; the gated model is never worse than the start.

Scenarios: ``olid`` (tweets), ``news`` (Civil Comments news comments, all
toxic, with the project corpus's clean comments), ``hatexplain`` (tweets and
Gab posts), ``davidson`` (tweets), ``wikitalk`` (toxic), ``youtube`` (spam).

    .venv/bin/python benchmarks/new_site.py [olid news hatexplain davidson]
"""
from __future__ import annotations

import argparse
import random

import numpy as np
from common import load_sets, mean, roc_auc, target
from toxic_recipes import Features, in_source

from training.adapt import adapt
from training.datasets import Dataset, Example
from training.evaluate import Thresholds
from training.pipeline import fit_pipeline
from training.site import gate, learn

POOL = 2000
STEPS = (0, 200, 500, 1000, 2000)
DRAWS = (0, 1, 2)
SCENARIOS = {"olid": "toxic", "news": "toxic", "hatexplain": "toxic", "davidson": "toxic", "wikitalk": "toxic",
             "youtube": "spam"}
#: Thresholds for the gated run's candidates before the site has its own (the routing is not measured here).
PLACEHOLDER = {"spam": Thresholds(0.5, 0.99), "toxic": Thresholds(0.5, 0.99)}


def site_examples(sets: dict[str, Dataset], new_source: str, label: str) -> tuple[list[Example], list[Dataset]]:
    """The new site's examples that know ``label``, and the data the start model may use (everything else)."""
    if new_source == "news":
        # Civil Comments are all toxic: the site's clean comments are the corpus's, and the corpus leaves the base.
        site = sets["civil"].examples + [e for e in sets["corpus"].examples if not e.labels.get("toxic")]
        base = [d for name, d in sets.items() if name not in ("civil", "corpus")]
    else:
        site, base = list(sets[new_source].examples), [d for name, d in sets.items() if name != new_source]
    return [e for e in site if label in e.labels], base


def as_labels(examples: list[Example]) -> list[Example]:
    return [Example(e.text, e.labels, "decisions", 1.0) for e in examples]


def learning_curve(sets: dict[str, Dataset], new_source: str, label: str, ceiling: float | None) -> dict[str, float]:
    site, base_sets = site_examples(sets, new_source, label)
    random.Random(0).shuffle(site)
    pool, rest = site[:POOL], site[POOL:]
    steps = [k for k in STEPS if k <= len(pool)]
    print(f"new site: {new_source} ({label}); start model trained on "
          f"{', '.join(d.name.split(':')[0] for d in base_sets)}; measured on {len(rest):,} examples never used "
          f"as labels" + (f"; ceiling (5-fold in-source) {ceiling:.3f}" if ceiling is not None else ""), flush=True)
    base = fit_pipeline([e for d in base_sets for e in d.examples])
    figures: dict[int, float] = {}
    for k in steps:
        aucs = []
        for draw in DRAWS if 0 < k < len(pool) else (0,):
            order = list(pool)
            random.Random(draw).shuffle(order)
            aucs.append(roc_auc(adapt(base, as_labels(order[:k])) if k else base, rest, label))
        figures[k] = mean(aucs)
        spread = f" (draws {', '.join(f'{a:.3f}' for a in aucs)})" if len(aucs) > 1 else ""
        closed = (f", {(figures[k] - figures[0]) / (ceiling - figures[0]):.0%} of the gap to the ceiling"
                  if ceiling is not None and k and ceiling > figures[0] else "")
        print(f"  k={k:>4} labels: ROC AUC {figures[k]:.3f}  {figures[k] - figures[0]:+.3f}{closed}{spread}",
              flush=True)
    gated = gated_run(base, pool, rest, label, steps, figures[0])
    result = {"start": figures[0], **{f"k{k}": v for k, v in figures.items()}, "gated_worst": min(gated)}
    if ceiling is not None:
        result["ceiling"] = ceiling
    return result


def gated_run(base, pool: list[Example], rest: list[Example], label: str, steps: list[int],
              start: float) -> list[float]:
    """Labels arrive in pool order; at each k a candidate meets the gate against the active model."""
    labels = as_labels(pool)
    active, known = base, 0  # the active model and how many of the labels it learnt from
    figures = []
    for k in steps[1:]:
        run = learn(base, labels[:k], np.arange(k) < known, PLACEHOLDER)
        verdict = gate(run.comparisons, 0, 0)
        if verdict.passed:
            active, known = run.model, k
        figures.append(roc_auc(active, rest, label))
        print(f"  gated, k={k:>4}: {'promoted' if verdict.passed else 'kept the active model'} "
              f"({verdict.reason}); active model ROC AUC {figures[-1]:.3f} ({figures[-1] - start:+.3f}); "
              f"site run {run.seconds:.1f} s", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                        help=f"new sites to simulate, of {', '.join(sorted(SCENARIOS))} "
                             "(default: olid news hatexplain davidson)")
    sources = parser.parse_args().sources or ["olid", "news", "hatexplain", "davidson"]
    if unknown := sorted(set(sources) - set(SCENARIOS)):
        parser.error(f"unknown source {', '.join(unknown)}; choose from {', '.join(sorted(SCENARIOS))}")
    sets = load_sets()
    toxic = [s for s in sources if SCENARIOS[s] == "toxic"]
    features = Features() if toxic else None
    results = {}
    for source in sources:
        ceiling = in_source(features, source) if features is not None and SCENARIOS[source] == "toxic" else None
        results[source] = learning_curve(sets, source, SCENARIOS[source], ceiling)

    print("\nsummary (sources whose start is below 0.80, against their ceiling)")
    below = {s: r for s, r in results.items() if r["start"] < 0.80 and "ceiling" in r}
    closed = [(r["k1000"] - r["start"]) / (r["ceiling"] - r["start"]) for r in below.values() if "k1000" in r]
    for source, r in below.items():
        at_2000 = r.get("k2000")
        print(f"  {source}: start {r['start']:.3f}, ceiling {r['ceiling']:.3f}, k=1000 {r.get('k1000', float('nan')):.3f}, "
              f"k=2000 {at_2000 if at_2000 is not None else float('nan'):.3f}"
              + (f" (ceiling − 0.03 = {r['ceiling'] - 0.03:.3f}) {target(at_2000, r['ceiling'] - 0.03)}"
                 if at_2000 is not None else "")
              + f"; gated worst {r['gated_worst']:.3f} {target(r['gated_worst'], r['start'])}")
    if closed:
        print(f"  mean share of the gap closed at k=1000: {mean(closed):.0%} {target(mean(closed), 0.5)}")


if __name__ == "__main__":
    main()
