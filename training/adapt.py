"""The site layer: learn a site from its own labels without drowning them in public data.

Added to the 111,000 public examples as weighted rows, 200 decisions barely
move a model: measured on OLID as a new site, +0.005 ROC AUC (weighted 10),
and weighting them higher (30) did not help. Here the base model stays as it was fitted, and the
site's labels fit a *residual*: a logistic regression on the base model's own
features whose offset is the base model's calibrated log-odds, with an L2
penalty that pulls every residual weight to zero, that is, toward the base
model. Few labels move the score only where they agree with each other;
many labels move it as far as the site needs.

The residual is then folded into the calibrated logistic regression's
weights (both are linear in the same features), so the adapted model is an
ordinary fitted pipeline: the same file format, the same fast scorer and the
same explanations, with the site's terms among the reasons.

The steps are separate (:func:`prepare` the labels once, :func:`fit_layer` on
any subset of them, :func:`layer_scores` for the rest, :func:`fold_in`) so that
cross-validating a site layer (:mod:`.site`) transforms the comments once and
refits only the residual, which takes well under a second per fit.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.pipeline import Pipeline

from .datasets import Example
from .pipeline import label_matrix

#: L2 strength of the residual per unit of (mean-1) decision weight. Measured on
#: OLID as a new site, 200 decisions, three draws (ROC AUC from a start of 0.740),
#: with a free intercept: 1.0 → 0.758, 0.3 → 0.763, 0.1 → 0.768, 0.03 → 0.772,
#: 0.01 → 0.774, 0.003 → 0.774. Without it (as now): 0.01 → 0.777, 0.001 → 0.777,
#: and only 0.001 lets 25 decisions about a new spam word move its score by 0.2.
SITE_PENALTY = 0.001
#: A label needs this many site labels of each class before it gets a residual.
MIN_PER_CLASS = 5


@dataclass(frozen=True)
class SiteData:
    """A site's labelled comments as the base model sees them, computed once and fitted on many times."""

    labels: tuple[str, ...]
    #: Per label, the features that label is fitted on (:meth:`PerLabelClassifier.sees`), one row per example.
    features: dict[str, sp.csr_matrix]
    #: The base model's calibrated log-odds, shape (n, labels).
    base: np.ndarray
    #: 1.0/0.0 where an example knows the label, NaN where not, shape (n, labels).
    truth: np.ndarray
    weight: np.ndarray
    #: Per label, the calibration slope that turns a residual weight into a model weight (see :func:`fold_in`).
    slope: np.ndarray

    def __len__(self) -> int:
        return len(self.weight)


def prepare(model: Pipeline, examples: Sequence[Example]) -> SiteData:
    """Transform the examples once: their features per label and the base model's log-odds."""
    classify = model.named_steps["classify"]
    posts = model.named_steps["clean"].transform([e.post for e in examples])
    features = model.named_steps["features"].transform(posts).tocsr()
    labels = tuple(classify.labels)
    per_label, base, slopes = {}, np.zeros((len(examples), len(labels))), np.zeros(len(labels))
    for j, label in enumerate(labels):
        pair = classify.estimators_[j].calibrated_classifiers_[0]
        slopes[j], offset = -pair.calibrators[0].a_, -pair.calibrators[0].b_
        per_label[label] = sp.csr_matrix(classify.sees(label, features))
        base[:, j] = slopes[j] * (per_label[label] @ pair.estimator.coef_.ravel() + pair.estimator.intercept_[0]) \
            + offset
    return SiteData(labels, per_label, base, label_matrix(examples, labels),
                    np.array([e.weight for e in examples], dtype=float), slopes)


def fit_layer(data: SiteData, rows: np.ndarray | None = None, *,
              penalty: float = SITE_PENALTY) -> dict[str, np.ndarray]:
    """The residual weights of each label that ``rows`` (default: all) teach enough of.

    Labels without ``MIN_PER_CLASS`` examples of each class, or whose
    calibration ignores the model, get none: the base model stands for them.
    """
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    layer = {}
    for j, label in enumerate(data.labels):
        known = rows[~np.isnan(data.truth[rows, j])]
        y = data.truth[known, j]
        if len(known) == 0 or min(y.sum(), len(y) - y.sum()) < MIN_PER_CLASS or data.slope[j] <= 1e-6:
            continue
        weight = data.weight[known]
        layer[label] = fit_residual(data.features[label][known], y, data.base[known, j],
                                    weight / weight.mean(), penalty)
    return layer


def layer_scores(data: SiteData, layer: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """P(label) of ``rows`` with the site layer on the base model, shape (len(rows), labels)."""
    z = data.base[rows].copy()
    for j, label in enumerate(data.labels):
        if label in layer:
            z[:, j] += data.features[label][rows] @ layer[label]
    return expit(z)


def fold_in(model: Pipeline, layer: dict[str, np.ndarray], slope: np.ndarray) -> Pipeline:
    """A copy of ``model`` whose labels carry their residual in the calibrated regression's own weights."""
    adapted = copy.deepcopy(model)
    classify = adapted.named_steps["classify"]
    for j, label in enumerate(classify.labels):
        if label in layer:
            estimator = classify.estimators_[j].calibrated_classifiers_[0].estimator
            estimator.coef_ = estimator.coef_ + (layer[label] / slope[j]).astype(estimator.coef_.dtype)[None, :]
    return adapted


def adapt(model: Pipeline, decisions: Sequence[Example], *, penalty: float = SITE_PENALTY) -> Pipeline:
    """A copy of ``model`` whose labels carry a residual fitted on ``decisions``.

    Labels without ``MIN_PER_CLASS`` decisions of each class are left as they are.
    """
    if not decisions:
        return copy.deepcopy(model)
    data = prepare(model, decisions)
    return fold_in(model, fit_layer(data, penalty=penalty), data.slope)


def fit_residual(X: sp.csr_matrix, y: np.ndarray, base: np.ndarray, weight: np.ndarray,
                 penalty: float) -> np.ndarray:
    """``beta`` minimising weighted log-loss of ``expit(base + X·beta) + penalty/2·|beta|²``.

    No intercept of its own: decisions are mostly about comments the model
    held, so their share of spam and abuse is far above the site's, and a free
    intercept would learn that share and raise every comment's score. Terms
    move only as far as the decisions about them agree.
    """
    # A feature no site comment has gets no gradient from the loss, so its weight stays at zero: optimise
    # only the features the comments have (about a seventh of them for 2,000 comments), the same minimum.
    present = np.unique(X.indices)
    full = np.zeros(X.shape[1])
    X = X[:, present]
    X_t = X.T.tocsr()

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = base + X @ beta
        # log(1 + e^z) - y·z, computed stably.
        value = float(weight @ (np.logaddexp(0.0, z) - y * z)) + penalty / 2 * float(beta @ beta)
        grad = X_t @ (weight * (expit(z) - y)) + penalty * beta
        return value, grad

    curvature: dict[str, np.ndarray] = {}

    def hessian_times(beta: np.ndarray, p: np.ndarray) -> np.ndarray:
        # Newton-CG asks many products at one beta: the weights of the curvature are computed once for it.
        if "at" not in curvature or not np.array_equal(curvature["at"], beta):
            p_hat = expit(base + X @ beta)
            curvature.update(at=beta.copy(), w=weight * p_hat * (1 - p_hat))
        return X_t @ (curvature["w"] * (X @ p)) + penalty * p

    # Newton-CG with Hessian-vector products: about 18 steps where L-BFGS-B took 170, and L-BFGS-B's own
    # bookkeeping on 80,000 weights cost more than the loss itself (measured on 2,000 comments: 1.6 s against
    # 5 to 30 s, the same held-out ROC AUC). Newton-CG stops when the mean change of a weight falls below
    # xtol; at 1e-3 it stopped after one step on OLID (held-out ROC AUC 0.755 against 0.798), at 1e-4 and
    # 1e-5 it converges (0.7975 both, 18 steps).
    full[present] = minimize(loss, np.zeros(len(present)), jac=True, hessp=hessian_times, method="Newton-CG",
                             options={"xtol": 1e-5}).x
    return full
