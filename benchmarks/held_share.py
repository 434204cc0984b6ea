"""What a newsroom sees at the shipped thresholds: clean comments held, toxic comments caught.

A model that holds a third of ordinary comments gets switched off, however
good its ROC AUC. This takes the comments the shipped default model never
trained on (its held-out part: the same seeded split ``train`` made) and
routes them by the model's own review thresholds: a comment is *held* when any
label reaches its ``review`` threshold, as :mod:`moderation.comments.policy` does
before its word lists and link rules.

- news comments: the project corpus's clean comments (held share) and Civil
  Comments' toxic ones plus the corpus's (caught share);
- discussion comments from another site: Wikipedia talk, clean and toxic.

Where the rows name their kind of toxicity (Civil's spans: the corpus's ``kind``
column is not read as kinds, see benchmarks/README.md), the caught share is also
printed per kind: a threat let through costs more than an insult.

Target: on news comments, ≤ 10% of clean comments held with ≥ 80% of toxic ones caught.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from common import ROOT, shipped_model, target

from training.datasets import Example, load
from training.default_model import SEED, specs
from training.kinds import KINDS, PARENT
from training.train import VALIDATION_FRACTION, split


def held(model_scores: list[dict[str, float]], thresholds: dict[str, float]) -> np.ndarray:
    return np.array([any(s[label] >= t for label, t in thresholds.items()) for s in model_scores])


def report(name: str, examples: Sequence[Example], scores: list[dict[str, float]],
           thresholds: dict[str, float], goals: tuple[float, float] | None = None) -> None:
    flagged = held(scores, thresholds)
    toxic = np.array([bool(e.labels.get("toxic")) for e in examples])
    clean = np.array([not any(e.labels.get(label) for label in ("toxic", "spam")) for e in examples])
    held_clean, caught = flagged[clean].mean(), flagged[toxic].mean()
    line = f"  {name:<34} clean held {held_clean:6.1%} of {clean.sum():>5,}   toxic caught {caught:6.1%} of {toxic.sum():>5,}"
    if goals:
        line += f"  held {target(held_clean, goals[0], higher=False)}, caught {target(caught, goals[1])}"
    print(line)
    for kind in KINDS:
        if (rows := np.array([bool(e.labels.get(f"{PARENT}.{kind}")) for e in examples])).any():
            print(f"    {kind.replace('_', ' '):<32} toxic caught {flagged[rows].mean():6.1%} of {rows.sum():>5,}")


def main() -> None:
    os.chdir(ROOT)  # the recipe's paths are relative to the repository
    model = shipped_model()
    # The same examples in the same order as training.default_model.build, so the seeded split is the model's own.
    examples = [e for spec in specs() for e in load(spec).examples]
    thresholds = {label: t.review for label, t in model.thresholds.items()}
    print(f"model {model.version}; review thresholds "
          + ", ".join(f"{label} {t:.3f}" for label, t in thresholds.items()))
    print(f"held-out part of the training split ({VALIDATION_FRACTION:.0%} of each source, seed 0):")
    held_out = split(examples, VALIDATION_FRACTION, SEED)[1]
    news = [e for e in held_out if e.source.startswith(("csv:", "civil:"))]
    report("news comments (corpus + Civil)", news, model.score_batch([e.text for e in news]), thresholds,
           goals=(0.10, 0.80))
    if wiki := [e for e in held_out if e.source.startswith("wikitalk:")]:
        report("Wikipedia talk comments", wiki, model.score_batch([e.text for e in wiki]), thresholds)


if __name__ == "__main__":
    main()
