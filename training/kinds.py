"""What kind of toxicity a comment shows: P(kind | toxic) for insult, threat, identity attack, obscene.

A moderator who sees "toxic 0.91" still has to find out what is wrong; "likely:
insult, threat" says it. The kinds come from the Civil Comments re-annotation
(:func:`.datasets._civil`), whose annotators marked spans of each type on
comments already rated toxic, so the model is conditional: it is fitted on
toxic rows only and says which kind a comment is *if* it is toxic. Whether it
is toxic at all stays the ``toxic`` label's job, and the kinds never route.

Which rows teach a kind: a source *annotates* a kind when any of its rows
carries the sub-label ``toxic.<kind>``. There, a toxic row without it is a
negative (Civil's annotators looked for every type and marked spans only where
they found one). In a source that never mentions a kind, the kind is unknown,
not absent: Stormfront's ``toxic.hate`` or OLID's ``toxic.targeted`` are other
schemes, and a tweet from Davidson says nothing about threats. Rows that are not
toxic teach no kind.

One plain logistic regression per kind on the pipeline's features, as the
``toxic`` label sees them: it is fitted once (no calibration folds), which keeps
training a few seconds longer only, and scoring a few weights per term.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from .datasets import Example

#: The label the kinds refine; the kinds see the features as it does.
PARENT = "toxic"
#: The kinds, as in the sub-labels ``toxic.<kind>``; a moderator reads them with spaces for underscores.
KINDS: tuple[str, ...] = ("insult", "threat", "identity_attack", "obscene")
#: A kind is shown when P(kind | toxic) is at least its cut-off: per kind, the cut-off on held-out Civil
#: comments (``benchmarks/kinds.py``) where at least half the comments shown have the kind, keeping the
#: most recall. Insult 0.6: 73% precision, 52% recall (half of all toxic Civil comments are insults).
#: Identity attack (68 held out) reached 47% at best (at 0.2, 10% recall), threat (23) 25% and obscene
#: (103) 23%, so they are not shown (a cut-off above 1) until a better kind model: a wrong "threat"
#: misleads more than none.
KIND_CUTOFFS: Mapping[str, float] = MappingProxyType({"insult": 0.6, "threat": 1.01, "identity_attack": 1.01,
                                                      "obscene": 1.01})
#: Inverse regularisation of each kind's logistic regression. Measured with ``benchmarks/kinds.py``
#: (ROC AUC on held-out Civil, C = 10 → 1): insult 0.717 → 0.740, identity attack 0.813 → 0.799,
#: threat 0.882 → 0.886, obscene 0.872 → 0.895; fitting the kinds 13.5 s on a quiet machine, where
#: C = 10 took 205 s on a loaded one (its optimiser needs many more steps).
KIND_C = 1.0
#: A kind is fitted only with this many known examples of each class; otherwise the model has no such kind.
MIN_PER_CLASS = 5


def kind_matrix(examples: Sequence[Example]) -> np.ndarray:
    """Per toxic row and kind: 1.0, 0.0, or NaN where the row's source does not annotate the kind (module docstring)."""
    annotated: defaultdict[str, set[str]] = defaultdict(set)
    for e in examples:
        annotated[e.source].update(k for k in KINDS if f"{PARENT}.{k}" in e.labels)
    return np.array([[float(e.labels.get(f"{PARENT}.{k}", False))
                      if e.labels.get(PARENT) is True and k in annotated[e.source] else np.nan for k in KINDS]
                     for e in examples], dtype=float).reshape(len(examples), len(KINDS))


class KindClassifier(BaseEstimator):
    """One logistic regression per kind, each fitted where the kind is known; ``kinds_`` are those it could fit."""

    def __init__(self, kinds: Sequence[str] = KINDS, C: float = KIND_C) -> None:
        self.kinds = kinds
        self.C = C

    def fit(self, X: sp.spmatrix, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> KindClassifier:
        Y = np.asarray(Y, dtype=float)
        weight = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        fitted: list[str] = []
        self.estimators_: list[LogisticRegression] = []
        for j, kind in enumerate(self.kinds):
            known = ~np.isnan(Y[:, j])
            y = Y[known, j].astype(int)
            if np.bincount(y, minlength=2).min() < MIN_PER_CLASS:
                continue
            w = weight[known]
            self.estimators_.append(LogisticRegression(C=self.C, max_iter=1000).fit(X[known], y,
                                                                                    sample_weight=w / w.mean()))
            fitted.append(kind)
        self.kinds_ = tuple(fitted)
        return self

    def predict_proba(self, X: sp.spmatrix) -> np.ndarray:
        """P(kind | toxic) for each row and fitted kind: shape (n, len(kinds_))."""
        weights, intercept = self.linear_parts()
        return expit(X @ weights + intercept)

    def linear_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(weights (n_features, K), intercept (K,))``: P = expit(x·w + b)."""
        weights = np.column_stack([e.coef_.ravel() for e in self.estimators_])
        return weights, np.array([e.intercept_[0] for e in self.estimators_])


def fit_kinds(X: sp.spmatrix, Y: np.ndarray, sample_weight: np.ndarray) -> KindClassifier | None:
    """``KINDS`` fitted from ``Y`` (:func:`kind_matrix`), or None when none has enough known examples."""
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2 or Y.shape[1] != len(KINDS):
        raise ValueError(f"kind targets must have shape (n, {len(KINDS)}), got {Y.shape}")
    model = KindClassifier(KINDS).fit(X, Y, sample_weight)
    return model if model.kinds_ else None


def likely(kinds: Mapping[str, float]) -> list[str]:
    """The kinds at or above their cut-off, most likely first, as a moderator reads them ("identity attack")."""
    return [kind.replace("_", " ") for kind, p in sorted(kinds.items(), key=lambda kp: -kp[1])
            if p >= KIND_CUTOFFS.get(kind, 1.0)]
