"""What a model is: one scikit-learn ``Pipeline`` from a comment to P(label).

The pipeline is ``clean → features → classify``:

- ``clean`` is :func:`.features.clean` as a step, so serving can never skip it.
- ``features`` joins hashed word 1–2-grams and character 2–5-grams, TF-IDF
  weighted, with the comment's shape (:func:`.features.comment_shape`), the
  mean of its word-piece vectors (:mod:`.meaning`: what it says, for words no
  training source used), and hashed tokens of the commenter's fields
  (:func:`.features.commenter_tokens`).
  Hashing keeps the model a fixed few megabytes however much data it sees,
  and fitting fast; explanations stay
  readable because they hash the comment's *own* n-grams to find their weights.
- ``classify`` fits one calibrated logistic regression per label, each on the
  rows where that label is known (a YouTube ham comment says nothing about
  toxicity), and beside them the kinds of toxicity (:mod:`.kinds`), which
  never change the labels' own fit.

Model files name the classes of their steps by module path (``training.pipeline.TextCleaner``),
so the steps are defined here and nowhere else: moving one would make every saved version unloadable.
:class:`.compiled.CompiledModel` scores one comment with the same fitted objects, fast.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from .datasets import LABELS, Example, Post
from .features import SHAPE_FEATURES, Comment, clean, comment_shape, commenter_tokens
from .kinds import PARENT, KindClassifier, fit_kinds, kind_matrix
from .meaning import MeaningVectors

#: Hash buckets per n-gram kind: 2**18 keeps a label's weights at 1 MB each
#: (float32) and measured no worse than 2**20 on cross-source AUC.
WORD_BUCKETS = 2**18
CHAR_BUCKETS = 2**18
#: The labels the commenter's fields may inform (see :class:`PerLabelClassifier`).
FIELD_LABELS: tuple[str, ...] = ("spam",)
#: Inverse regularisation of each label's logistic regression (scikit-learn's ``C``).
DEFAULT_C = 10.0
#: Folds for the out-of-fold scores the sigmoid calibration is fitted on.
CALIBRATION_FOLDS = 3
#: A public source counts as at most this many examples, so 25,000 tweets do
#: not drown 400 comments from one YouTube channel, and 200 moderator decisions
#: (weighted up) can still move the model. Measured: +0.004 mean AUC when
#: leaving one YouTube channel out.
SOURCE_CAP = 500


class TextCleaner(TransformerMixin, BaseEstimator):
    """:func:`clean` as a pipeline step, so serving can never skip it; every comment leaves it as a :class:`Post`."""

    def fit(self, X: Iterable[Comment], y: object = None) -> TextCleaner:
        return self

    def transform(self, X: Iterable[Comment]) -> list[Post]:
        # Plain text, the common case in batches, skips dataclasses.replace (about 5 µs a comment).
        return [Post(clean(c)) if isinstance(c, str) else replace(c, text=clean(c.text)) for c in X]


class PostText(TransformerMixin, BaseEstimator):
    """The cleaned text of each :class:`Post`, for the n-gram steps."""

    def fit(self, X: Iterable[Post], y: object = None) -> PostText:
        return self

    def transform(self, X: Iterable[Post]) -> list[str]:
        return [post.text for post in X]


class CommenterFields(TransformerMixin, BaseEstimator):
    """:func:`commenter_tokens`, hashed: a fixed small block whatever names and domains appear."""

    def __init__(self, buckets: int = 2**14) -> None:
        self.buckets = buckets

    def fit(self, X: Iterable[Post], y: object = None) -> CommenterFields:
        return self

    def transform(self, X: Iterable[Post]) -> sp.csr_matrix:
        return self.hasher().transform([commenter_tokens(post) for post in X])

    def hasher(self) -> FeatureHasher:
        return FeatureHasher(n_features=self.buckets, input_type="string", alternate_sign=False, dtype=np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([f"commenter{i}" for i in range(self.buckets)], dtype=object)


class CommentShape(TransformerMixin, BaseEstimator):
    """:func:`comment_shape` for each comment, centred on the training mean.

    Centring makes a signal's contribution mean "more than a typical comment"
    (every comment has a length; only a long one should be a reason).
    """

    def fit(self, X: Iterable[Post], y: object = None) -> CommentShape:
        self.mean_ = self._measure(X).mean(axis=0)
        return self

    def transform(self, X: Iterable[Post]) -> sp.csr_matrix:
        return sp.csr_matrix(self._measure(X) - self.mean_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(SHAPE_FEATURES, dtype=object)

    @staticmethod
    def _measure(X: Iterable[Post]) -> np.ndarray:
        return np.array([comment_shape(post.text) for post in X], dtype=np.float32).reshape(-1, len(SHAPE_FEATURES))


class PerLabelClassifier(BaseEstimator):
    """One sigmoid-calibrated logistic regression per label, fitted where that label is known.

    ``Y`` is a float array (n, len(labels)) with NaN for "unknown", because
    every public data set labels only some of the labels.

    The last ``field_columns`` features (the commenter's fields) are seen only
    by ``field_labels``: a keyword-stuffed name is evidence of spam, but a name
    says nothing about abuse, and the few toxic rows with fields would teach
    "Kev is toxic".

    ``kinds_`` is the :class:`~.kinds.KindClassifier` fitted from ``kind_targets``,
    after the labels and on the features as ``PARENT`` sees them, or None.
    """

    def __init__(self, labels: Sequence[str] = LABELS, C: float = DEFAULT_C,
                 folds: int = CALIBRATION_FOLDS, seed: int = 0, field_columns: int = 0,
                 field_labels: Sequence[str] = FIELD_LABELS) -> None:
        self.labels = labels
        self.C = C
        self.folds = folds
        self.seed = seed
        self.field_columns = field_columns
        self.field_labels = field_labels

    def sees(self, label: str, X: sp.spmatrix) -> sp.csr_matrix:
        """``X`` as ``label`` is fitted on it: without the commenter's fields unless it is a field label.

        Zeroed rather than dropped, so every label's weights keep the same
        length; a zero column is never weighted by the fit.
        """
        if label in self.field_labels or not self.field_columns:
            return X
        keep = np.ones(X.shape[1], dtype=X.dtype)
        keep[-self.field_columns:] = 0
        return sp.csr_matrix(X @ sp.diags(keep))

    def fit(self, X: sp.spmatrix, Y: np.ndarray, sample_weight: np.ndarray | None = None,
            kind_targets: np.ndarray | None = None) -> PerLabelClassifier:
        """Fit each label, then the kinds from ``kind_targets`` (:func:`~.kinds.kind_matrix`) if given."""
        Y = np.asarray(Y, dtype=float)
        if Y.ndim != 2 or Y.shape[1] != len(self.labels):
            raise ValueError(f"Y must have shape (n, {len(self.labels)}), got {Y.shape}")
        weight = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.estimators_: list[CalibratedClassifierCV] = []
        for j, label in enumerate(self.labels):
            known = ~np.isnan(Y[:, j])
            y = Y[known, j].astype(int)
            counts = np.bincount(y, minlength=2)
            if counts.min() < self.folds:
                raise ValueError(f"label {label!r} needs at least {self.folds} positive and negative "
                                 f"examples, got {counts[1]} positive and {counts[0]} negative")
            w = weight[known]
            estimator = CalibratedClassifierCV(
                LogisticRegression(C=self.C, max_iter=1000),
                method="sigmoid",
                cv=StratifiedKFold(self.folds, shuffle=True, random_state=self.seed),
                ensemble=False,
            )
            # Mean weight 1, so that C regularises the same whatever the weights' scale.
            estimator.fit(self.sees(label, X[known]), y, sample_weight=w / w.mean())
            self.estimators_.append(estimator)
        self.kinds_ = None if kind_targets is None else fit_kinds(self.sees(PARENT, X), kind_targets, weight)
        return self

    def predict_proba(self, X: sp.spmatrix) -> np.ndarray:
        """P(label) for each row: shape (n, len(labels))."""
        return np.column_stack([e.predict_proba(X)[:, 1] for e in self.estimators_])

    def linear_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(weights (n_features, L), intercept, slope, offset)``: P = expit(slope·(x·w + b) + offset).

        Reads the single fitted pair that ``ensemble=False`` keeps; a test checks
        the result against :meth:`predict_proba`, which guards these attributes.
        """
        pairs = [e.calibrated_classifiers_[0] for e in self.estimators_]
        weights = np.column_stack([p.estimator.coef_.ravel() for p in pairs])
        intercept = np.array([p.estimator.intercept_[0] for p in pairs])
        slope = -np.array([p.calibrators[0].a_ for p in pairs])
        offset = -np.array([p.calibrators[0].b_ for p in pairs])
        return weights, intercept, slope, offset


def _hashed(buckets: int, **options: object) -> Pipeline:
    return Pipeline([
        ("text", PostText()),
        ("hash", HashingVectorizer(n_features=buckets, alternate_sign=False, norm=None,
                                   dtype=np.float32, **options)),
        ("tfidf", TfidfTransformer(sublinear_tf=True)),
    ])


def build_pipeline(labels: Sequence[str] = LABELS, *, seed: int = 0) -> Pipeline:
    """The unfitted model; :func:`fit_pipeline` is how it is fitted."""
    return Pipeline([
        ("clean", TextCleaner()),
        ("features", FeatureUnion([
            ("words", _hashed(WORD_BUCKETS, ngram_range=(1, 2))),
            ("chars", _hashed(CHAR_BUCKETS, analyzer="char_wb", ngram_range=(2, 5))),
            ("shape", CommentShape()),
            ("meaning", MeaningVectors()),
            ("commenter", CommenterFields()),
        ])),
        ("classify", PerLabelClassifier(tuple(labels), seed=seed, field_columns=CommenterFields().buckets)),
    ])


def label_matrix(examples: Sequence[Example], labels: Sequence[str] = LABELS) -> np.ndarray:
    """Known labels as 1.0/0.0, unknown as NaN: shape (n, len(labels))."""
    return np.array([[float(e.labels[label]) if label in e.labels else np.nan for label in labels]
                     for e in examples], dtype=float).reshape(len(examples), len(labels))


def sample_weights(examples: Sequence[Example]) -> np.ndarray:
    """``Example.weight`` times the source's share under ``SOURCE_CAP``."""
    sizes = Counter(e.source for e in examples)
    return np.array([e.weight * min(1.0, SOURCE_CAP / sizes[e.source]) for e in examples])


def fit_pipeline(examples: Sequence[Example], labels: Sequence[str] = LABELS, *, seed: int = 0) -> Pipeline:
    """A fitted model with its kinds of toxicity: moderator decisions count through their ``weight``."""
    pipeline = build_pipeline(labels, seed=seed)
    pipeline.fit([e.post for e in examples], label_matrix(examples, labels),
                 classify__sample_weight=sample_weights(examples), classify__kind_targets=kind_matrix(examples))
    return pipeline


def model_labels(model: Pipeline) -> tuple[str, ...]:
    return tuple(model.named_steps["classify"].labels)


def model_kinds(model: Pipeline) -> KindClassifier | None:
    """The model's kinds of toxicity; None for a model without them, as every file written before them."""
    return getattr(model.named_steps["classify"], "kinds_", None)


def kind_proba(model: Pipeline, comments: Sequence[Comment]) -> np.ndarray:
    """P(kind | toxic) of many comments, shape (n, kinds), for measuring; `CompiledModel.kinds` serves one."""
    classify, kinds = model.named_steps["classify"], model_kinds(model)
    if kinds is None:
        return np.empty((len(comments), 0))
    features = model.named_steps["features"].transform(model.named_steps["clean"].transform(comments))
    return kinds.predict_proba(classify.sees(PARENT, features))
