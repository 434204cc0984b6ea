"""Recipe variants for toxic, each on every left-out source, in one fast harness.

``cross_source.py`` measures the shipped recipe end to end; this one measures
*changes* to it quickly. Features are built once (the pipeline's cleaning,
hashed word 1–2-grams and character 2–5-grams, shape signals, meaning
vectors), and each fold fits only the TF-IDF weights and a logistic
regression: the sigmoid calibration is monotonic, so ROC AUC is the same
without it. Variants:

- ``recipe``: the shipped recipe (C = 10, all features);
- ``no-meaning``: the recipe without the meaning vectors (:mod:`training.meaning`);
- ``meaning×2``, ``meaning×0.5``: the meaning block scaled, which weighs it against the n-grams;
- ``c1``: the same with C = 1;
- ``words+chars``: a words-only and a chars-only model, standardised log-odds averaged;
- ``recipe+chars``: the recipe averaged with a chars-only model.

``--in-source NAME`` prints instead the 5-fold ROC AUC inside one source: how
much its own labels teach, the ceiling a left-out figure is read against.

    .venv/bin/python benchmarks/toxic_recipes.py [--variants recipe c1 ...] [--in-source hatexplain]
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp
from common import load_sets, mean
from cross_source import TOXIC_SOURCES
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from training.datasets import Post
from training.features import clean, comment_shape
from training.meaning import MeaningVectors
from training.pipeline import CHAR_BUCKETS, DEFAULT_C, WORD_BUCKETS, sample_weights

TOXIC_SETS = ("corpus", "civil", "olid", "davidson", "stormfront", "hatexplain", "wikitalk")


class Features:
    """Every toxic-labelled example of the toxic sets, featurised once."""

    def __init__(self) -> None:
        examples = [(name, e) for name, d in load_sets(*TOXIC_SETS).items() for e in d.examples if "toxic" in e.labels]
        texts = [clean(e.post.text) for _, e in examples]
        self.set = np.array([name for name, _ in examples])
        self.y = np.array([float(e.labels["toxic"]) for _, e in examples])
        self.weight = sample_weights([e for _, e in examples])
        hashed = dict(alternate_sign=False, norm=None, dtype=np.float32)
        self.blocks = {
            "words": HashingVectorizer(n_features=WORD_BUCKETS, ngram_range=(1, 2), **hashed).transform(texts).tocsr(),
            "chars": HashingVectorizer(n_features=CHAR_BUCKETS, analyzer="char_wb", ngram_range=(2, 5),
                                       **hashed).transform(texts).tocsr(),
        }
        self.shape = np.array([comment_shape(t) for t in texts], dtype=np.float32)
        self.meaning = MeaningVectors().fit().transform([Post(t) for t in texts]).toarray()

    def folds(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """``(source, train rows, test rows)`` as ``cross_source.py`` leaves each source out."""
        for held in TOXIC_SOURCES:
            if held == "news":
                test = (self.set == "civil") | ((self.set == "corpus") & (self.y == 0))
                train = ~np.isin(self.set, ("civil", "corpus"))
            else:
                test = self.set == held
                train = ~test
            yield held, np.flatnonzero(train), np.flatnonzero(test)

    def matrices(self, train: np.ndarray, test: np.ndarray, blocks: tuple[str, ...],
                 meaning: float = 1.0) -> tuple[sp.csr_matrix, ...]:
        """TF-IDF fitted on the training rows, the shape signals centred on their mean, meaning × ``meaning``."""
        fit, apply = [], []
        for name in blocks:
            tfidf = TfidfTransformer(sublinear_tf=True).fit(self.blocks[name][train])
            fit.append(tfidf.transform(self.blocks[name][train]))
            apply.append(tfidf.transform(self.blocks[name][test]))
        centre = self.shape[train].mean(axis=0)
        fit.append(sp.csr_matrix(self.shape[train] - centre))
        apply.append(sp.csr_matrix(self.shape[test] - centre))
        if meaning:
            fit.append(sp.csr_matrix(self.meaning[train] * meaning))
            apply.append(sp.csr_matrix(self.meaning[test] * meaning))
        return sp.hstack(fit).tocsr(), sp.hstack(apply).tocsr()

    def log_odds(self, train: np.ndarray, test: np.ndarray, blocks: tuple[str, ...], C: float = DEFAULT_C,
                 weighted: bool = True, meaning: float = 1.0) -> np.ndarray:
        X, X_test = self.matrices(train, test, blocks, meaning)
        w = self.weight[train] if weighted else np.ones(len(train))
        model = LogisticRegression(C=C, max_iter=1000).fit(X, self.y[train], sample_weight=w / w.mean())
        scores = model.decision_function(X_test)
        return (scores - scores.mean()) / scores.std()


Variant = Callable[[Features, np.ndarray, np.ndarray], np.ndarray]
VARIANTS: dict[str, Variant] = {
    "recipe": lambda f, tr, te: f.log_odds(tr, te, ("words", "chars")),
    "no-meaning": lambda f, tr, te: f.log_odds(tr, te, ("words", "chars"), meaning=0.0),
    "meaning×2": lambda f, tr, te: f.log_odds(tr, te, ("words", "chars"), meaning=2.0),
    "meaning×0.5": lambda f, tr, te: f.log_odds(tr, te, ("words", "chars"), meaning=0.5),
    "c1": lambda f, tr, te: f.log_odds(tr, te, ("words", "chars"), C=1.0),
    "words+chars": lambda f, tr, te: (f.log_odds(tr, te, ("words",), meaning=0.0)
                                      + f.log_odds(tr, te, ("chars",), meaning=0.0)),
    "recipe+chars": lambda f, tr, te: (f.log_odds(tr, te, ("words", "chars"))
                                       + f.log_odds(tr, te, ("chars",), meaning=0.0)),
}


def in_source(features: Features, name: str) -> float:
    """5-fold ROC AUC inside one source (``news``: Civil Comments with the corpus's clean comments)."""
    rows = next(test for held, _, test in features.folds() if held == name) if name == "news" \
        else np.flatnonzero(features.set == name)
    scores = np.zeros(len(rows))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(rows, features.y[rows]):
        scores[test] = features.log_odds(rows[train], rows[test], ("words", "chars"), weighted=False)
    return float(roc_auc_score(features.y[rows], scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=tuple(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--in-source", choices=(*TOXIC_SETS, "news"), help="5-fold ROC AUC inside one source instead")
    args = parser.parse_args()
    features = Features()
    if args.in_source:
        print(f"{args.in_source}: ROC AUC inside the source (5-fold) {in_source(features, args.in_source):.3f}")
        return
    for variant in args.variants:
        figures = {held: roc_auc_score(features.y[test], VARIANTS[variant](features, train, test))
                   for held, train, test in features.folds()}
        print(f"{variant:<13}", " ".join(f"{h}={v:.3f}" for h, v in figures.items()),
              f"| mean {mean(list(figures.values())):.3f} worst {min(figures.values()):.3f}", flush=True)


if __name__ == "__main__":
    main()
