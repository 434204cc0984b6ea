"""Kinds of toxicity on held-out Civil Comments: per kind ROC AUC, precision and recall at the cut-off.

Fits the default recipe's model on its data minus the same seeded held-out
part ``train`` keeps (:func:`training.train.split`), then scores the held-out
toxic Civil comments, the only held-out rows whose kinds are known
(:mod:`training.kinds`). Also prints precision and recall at other cut-offs,
which is how ``KIND_CUTOFFS`` was picked, and how long fitting the kinds takes.
"""
from __future__ import annotations

import os
import time

import numpy as np
from common import ROOT
from sklearn.metrics import roc_auc_score

from training.datasets import load
from training.default_model import SEED, specs
from training.kinds import KIND_CUTOFFS, KINDS, PARENT, fit_kinds, kind_matrix
from training.pipeline import fit_pipeline, kind_proba, model_kinds, sample_weights
from training.train import VALIDATION_FRACTION, split

SWEEP = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def main() -> None:
    os.chdir(ROOT)
    examples = [e for spec in specs() for e in load(spec).examples]
    fit_part, held_out = split(examples, VALIDATION_FRACTION, SEED)
    started = time.perf_counter()
    model = fit_pipeline(fit_part, seed=SEED)
    print(f"fitted on {len(fit_part):,} examples in {time.perf_counter() - started:.0f} s")

    kinds = model_kinds(model)
    assert kinds is not None, "the default recipe's data annotates no kind"
    truth_of = dict(zip(KINDS, range(len(KINDS)), strict=True))

    known_fit = [e for e, row in zip(fit_part, kind_matrix(fit_part), strict=True) if not np.isnan(row).all()]
    features = model.named_steps["features"].transform(model.named_steps["clean"].transform([e.post for e in known_fit]))
    X = model.named_steps["classify"].sees(PARENT, features)
    started = time.perf_counter()
    fit_kinds(X, kind_matrix(known_fit), sample_weights(known_fit))
    print(f"fitting the kinds alone: {time.perf_counter() - started:.1f} s on {len(known_fit):,} toxic rows")

    civil = [e for e in held_out if e.source.startswith("civil:")]
    truth = kind_matrix(civil)
    proba = kind_proba(model, [e.post for e in civil])
    print(f"held out: {len(civil):,} toxic Civil comments")
    print(f"{'kind':<16} {'positives':>9} {'ROC AUC':>8} {'cut-off':>8} {'precision':>9} {'recall':>7} {'shown':>6}")
    for j, kind in enumerate(kinds.kinds_):
        y = truth[:, truth_of[kind]].astype(int)
        cutoff = KIND_CUTOFFS[kind]
        shown = proba[:, j] >= cutoff
        precision = y[shown].mean() if shown.any() else float("nan")
        print(f"{kind:<16} {y.sum():>9,} {roc_auc_score(y, proba[:, j]):>8.3f} {cutoff:>8.2f} "
              f"{precision:>9.1%} {y[shown].sum() / max(y.sum(), 1):>7.1%} {shown.sum():>6,}")
        sweep = [f"{c:.1f}: {y[proba[:, j] >= c].mean() if (proba[:, j] >= c).any() else float('nan'):.0%}"
                 f"/{y[proba[:, j] >= c].sum() / max(y.sum(), 1):.0%}" for c in SWEEP]
        print(f"{'':<16} precision/recall at " + ", ".join(sweep))


if __name__ == "__main__":
    main()
