"""Scoring and explaining one comment fast, from a fitted pipeline's own objects.

:class:`CompiledModel` scores one comment with the same fitted objects as the
pipeline, without scikit-learn's per-call input validation, which on its own
would cost more than the submit path's 1 ms budget; and it explains a score by
the words, shape signals and commenter fields that pushed it up.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.special import expit
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from .datasets import Post
from .features import (
    LINK_DISPLAY,
    LINK_TOKEN,
    SHAPE_FEATURES,
    Comment,
    as_post,
    clean,
    comment_shape,
    commenter_tokens,
    describe_token,
)
from .meaning import MeaningVectors
from .pipeline import model_kinds, model_labels


class CompiledModel:
    """A fitted pipeline's own objects and arrays, arranged to score one comment fast.

    ``Pipeline.predict_proba`` validates its input at every step, about 1 ms for
    one comment. This reads the same hashers, IDF vectors, weights and
    calibration, so it cannot disagree with the pipeline (a test checks both
    agree); only batches go through ``predict_proba``.
    """

    def __init__(self, model: Pipeline) -> None:
        self.model = model
        self.labels = model_labels(model)
        union: FeatureUnion = model.named_steps["features"]
        words, chars = union.named_transformers["words"], union.named_transformers["chars"]
        self._word_hash: HashingVectorizer = words.named_steps["hash"]
        self._char_hash: HashingVectorizer = chars.named_steps["hash"]
        self._word_idf = words.named_steps["tfidf"].idf_
        self._char_idf = chars.named_steps["tfidf"].idf_
        self._char_offset = self._word_hash.n_features
        self._shape_offset = self._char_offset + self._char_hash.n_features
        # Models written before the meaning block have none: its width is then 0.
        self._meaning: MeaningVectors | None = union.named_transformers.get("meaning")
        self._meaning_offset = self._shape_offset + len(SHAPE_FEATURES)
        self._commenter_offset = self._meaning_offset + (self._meaning.dim if self._meaning is not None else 0)
        self._commenter_hasher = union.named_transformers["commenter"].hasher()
        weights, self._intercept, self._slope, self._offset = model.named_steps["classify"].linear_parts()
        self._weights = np.ascontiguousarray(weights)
        kinds = model_kinds(model)
        self.kind_names: tuple[str, ...] = kinds.kinds_ if kinds is not None else ()
        kind_weights, self._kind_intercept = kinds.linear_parts() if kinds is not None else (np.zeros((0, 0)),
                                                                                              np.zeros(0))
        self._kind_weights = np.ascontiguousarray(kind_weights)
        self._word_grams = self._word_hash.build_analyzer()
        self._char_grams = self._char_hash.build_analyzer()
        self._char_preprocess = self._char_hash.build_preprocessor()
        self._shape_mean = union.named_transformers["shape"].mean_
        self._word_hasher = _hasher_like(self._word_hash)
        self._char_hasher = _hasher_like(self._char_hash)
        self._last: tuple[Post, _Row] | None = None

    def score(self, comment: Comment) -> dict[str, float]:
        """P(label) for one comment, equal to the pipeline's ``predict_proba``."""
        return dict(zip(self.labels, self._proba(self._row(comment)).tolist(), strict=True))

    def kinds(self, comment: Comment) -> dict[str, float]:
        """P(kind | toxic) for one comment; empty for a model without kinds (:func:`model_kinds`)."""
        if not self.kind_names:
            return {}
        p = expit(self._linear(self._row(comment), self._kind_weights) + self._kind_intercept)
        return dict(zip(self.kind_names, p.tolist(), strict=True))

    def score_batch(self, comments: Sequence[Comment]) -> list[dict[str, float]]:
        proba = self.model.predict_proba(list(comments)) if len(comments) else np.empty((0, len(self.labels)))
        return [dict(zip(self.labels, row, strict=True)) for row in proba.tolist()]

    def explain(self, comment: Comment, k: int = 5) -> dict[str, list[tuple[str, float]]]:
        """Per label, up to ``k`` terms that raised its calibrated log-odds most, with how much.

        A word collects its own weight, the weight of the character n-grams
        inside it and that of its word pieces' vectors (:mod:`.meaning`); a
        shape signal is named ("links", "capital letters") when the comment has
        more of it than a typical one, and so is a commenter field ("website .xyz").
        Only terms that pushed the score *up* are listed: they are the reasons.
        """
        row = self._row(comment)
        terms: dict[str, np.ndarray] = {}

        grams = list(dict.fromkeys(self._word_grams(row.text)))
        if grams:
            contribution = row.word_values[:, None] * self._weights[row.word_idx]
            at = np.searchsorted(row.word_idx, _bucket_of(self._word_hasher, grams))
            for gram, c in zip(grams, contribution[at], strict=True):
                _add(terms, gram.replace(LINK_TOKEN, LINK_DISPLAY), c)

        if row.char_words:
            per_word = row.char_per_word
            at = np.searchsorted(row.char_idx, per_word.indices)
            owner = np.repeat(np.arange(len(row.char_words)), np.diff(per_word.indptr))
            # A gram's weight is shared among its occurrences in the whole comment.
            share = per_word.data * row.char_freq[owner] / row.char_counts[at]
            contribution = (row.char_values[at] * share)[:, None] * self._weights[row.char_idx[at] + self._char_offset]
            by_word = np.zeros((len(row.char_words), len(self.labels)))
            np.add.at(by_word, owner, contribution)
            for word, c in zip(row.char_words, by_word, strict=True):
                _add(terms, _display_word(word), c)

        if row.meaning_ids:
            # Each piece adds its vector over the mean's divisor; it counts for the word it sits in.
            per_piece = self._meaning.vectors()[row.meaning_ids] @ self._weights[self._meaning_offset:
                                                                                 self._commenter_offset]
            for word, c in zip(row.meaning_words, per_piece / row.meaning_norm, strict=True):
                _add(terms, _display_word(word.lower()), c)

        # A shape signal is a reason only where the comment has more of it than usual:
        # "no capital letters" is not something a moderator can see in the text.
        shape_weights = self._weights[self._shape_offset:self._meaning_offset]
        for name, value, weights in zip(SHAPE_FEATURES, row.shape, shape_weights, strict=True):
            if value > 0:
                _add(terms, name, value * weights)
        if row.commenter_tokens:
            at = _bucket_of(self._commenter_hasher, row.commenter_tokens) + self._commenter_offset
            for token, weights in zip(row.commenter_tokens, self._weights[at], strict=True):
                _add(terms, describe_token(token), weights)

        names = list(terms)
        logit = np.array([terms[n] for n in names]) * self._slope if names else np.empty((0, len(self.labels)))
        result = {}
        for j, label in enumerate(self.labels):
            order = np.argsort(-logit[:, j], kind="stable")[:k]
            result[label] = [(names[i], round(float(logit[i, j]), 4)) for i in order if logit[i, j] > 0]
        return result

    def _row(self, comment: Comment) -> _Row:
        """The comment's features, reused when ``explain`` follows ``score`` for the same comment.

        One entry, replaced in a single assignment, so threads sharing the
        model at worst compute a row twice.
        """
        post = as_post(comment)
        last = self._last
        if last is not None and last[0] == post:
            return last[1]
        row = _Row(self, post)
        self._last = (post, row)
        return row

    def _proba(self, row: _Row) -> np.ndarray:
        return expit(self._slope * (self._linear(row, self._weights) + self._intercept) + self._offset)

    def _linear(self, row: _Row, weights: np.ndarray) -> np.ndarray:
        """``x·weights`` for the row's features, one value per column of ``weights`` (n_features, k)."""
        return (row.word_values @ weights[row.word_idx]
                + row.char_values @ weights[row.char_idx + self._char_offset]
                + row.shape @ weights[self._shape_offset:self._meaning_offset]
                + row.meaning @ weights[self._meaning_offset:self._commenter_offset]
                + row.commenter_values @ weights[row.commenter_idx + self._commenter_offset])


class _Row:
    """One comment's feature values, block by block, as the pipeline computes them."""

    def __init__(self, compiled: CompiledModel, post: Post) -> None:
        self.text = clean(post.text)
        self.commenter_tokens = commenter_tokens(post)
        if self.commenter_tokens:
            fields = compiled._commenter_hasher.transform([self.commenter_tokens])
            self.commenter_idx, self.commenter_values = fields.indices, fields.data
        else:
            self.commenter_idx, self.commenter_values = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        words = compiled._word_hash.transform([self.text])
        self.word_idx, self.word_values = words.indices, _tfidf(words.indices, words.data, compiled._word_idf)
        # Character n-grams never cross a space (char_wb): the comment's counts are the sum of its words',
        # each word hashed once, which also tells explain() which words a gram came from.
        counted = Counter(compiled._char_preprocess(self.text).split())
        self.char_words = list(counted)
        self.char_freq = np.array(list(counted.values()), dtype=np.float32)
        if self.char_words:
            self.char_per_word = compiled._char_hasher.transform([compiled._char_grams(w) for w in self.char_words])
            grams = self.char_per_word
            self.char_idx, inverse = np.unique(grams.indices, return_inverse=True)
            totals = np.bincount(inverse, weights=grams.data * np.repeat(self.char_freq, np.diff(grams.indptr)))
            self.char_counts = totals.astype(np.float32)
        else:
            self.char_idx, self.char_counts = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        self.char_values = _tfidf(self.char_idx, self.char_counts, compiled._char_idf)
        self.shape = np.array(comment_shape(self.text), dtype=np.float32) - compiled._shape_mean
        meaning = compiled._meaning
        if meaning is None:
            self.meaning_ids, self.meaning_words, self.meaning_norm = [], [], 1.0
            self.meaning = np.empty(0, dtype=np.float32)
        else:
            self.meaning_ids, self.meaning_words = meaning.pieces(self.text)
            self.meaning, self.meaning_norm = meaning.embed_pieces(self.meaning_ids)


def _tfidf(indices: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """``TfidfTransformer(sublinear_tf=True)`` on one row's sorted ``indices`` and their ``counts``: the values."""
    values = (np.log(counts) + 1) * idf[indices]
    norm = np.sqrt(values @ values)
    return values / norm if norm else values


def _hasher_like(vectorizer: HashingVectorizer) -> FeatureHasher:
    """The hashing ``vectorizer`` applies to its n-grams (it is documented as analyzer + FeatureHasher)."""
    return FeatureHasher(n_features=vectorizer.n_features, input_type="string",
                         alternate_sign=vectorizer.alternate_sign, dtype=vectorizer.dtype)


def _bucket_of(hasher: FeatureHasher, grams: list[str]) -> np.ndarray:
    return hasher.transform([[g] for g in grams]).indices


def _add(terms: dict[str, np.ndarray], name: str, contribution: np.ndarray) -> None:
    terms[name] = terms[name] + contribution if name in terms else np.asarray(contribution, dtype=float)


def _display_word(word: str) -> str:
    core = word.strip(".,;:!?\"'()[]{}*-") or word
    return LINK_DISPLAY if core == LINK_TOKEN else core


def explain(model: Pipeline, comment: Comment, k: int = 5) -> dict[str, list[tuple[str, float]]]:
    """See :meth:`CompiledModel.explain`; compile once and reuse it when explaining many."""
    return CompiledModel(model).explain(comment, k)
