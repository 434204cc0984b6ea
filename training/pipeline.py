"""What a model is: one scikit-learn ``Pipeline`` from a comment to P(label), and its reasons.

A comment is its text, or a :class:`Post`: the text with the commenter's
name, website and email, which carry most of the signal for blog comment spam
(a keyword-stuffed name, a commercial website). Sources without those fields
pass plain text and teach the text alone.

The pipeline is ``clean → features → classify``:

- ``clean`` undoes what differs between sources but says nothing about spam or
  toxicity (HTML entities, zero-width characters, tweet mentions) and turns
  every link into one token, so a model fitted on tweets and YouTube comments
  reads a news comment the same way.
- ``features`` joins hashed word 1–2-grams and character 2–5-grams, TF-IDF
  weighted, with a few signals about the comment's shape (links, capitals,
  repeated characters, phone numbers, abusive words from :mod:`.lexicon`...),
  the mean of its word-piece vectors (:mod:`.meaning`: what it says, for words
  no training source used), and hashed tokens of the commenter's fields
  (:func:`commenter_tokens`).
  Hashing keeps the model a fixed few megabytes however much data it sees,
  and fitting fast; explanations stay
  readable because they hash the comment's *own* n-grams to find their weights.
- ``classify`` fits one calibrated logistic regression per label, each on the
  rows where that label is known (a YouTube ham comment says nothing about
  toxicity), and beside them the kinds of toxicity (:mod:`.kinds`), which
  never change the labels' own fit.

:class:`CompiledModel` scores one comment with the same fitted objects without
scikit-learn's per-call input validation, which on its own would cost more than
the submit path's 1 ms budget.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from math import log1p

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from .datasets import LABELS, Example, Post
from .kinds import PARENT, KindClassifier, fit_kinds, kind_matrix
from .lexicon import abuse_counts
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

#: Every link becomes this one word: what matters is that there is a link, and
#: a moderator reads it back as "<link>".
LINK_TOKEN = "weblink"
LINK_DISPLAY = "<link>"

_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_TOKEN = re.compile(r"\S+")
# Checked per whitespace-separated token, so the cost stays linear in the comment's length.
# Top-level domains that are also English words ("in", "me", "us") are left out:
# "over.In the end" is a missing space, not a link.
_DOMAIN = r"\w\.(?:com|net|org|info|biz|io|ly|tv|co|uk|ru|pl|ro|de)"
_LINKISH = re.compile(rf"^\W*(?:https?://|www\.)|{_DOMAIN}(?:\W|$)", re.IGNORECASE)
#: Anywhere in a comment, what a link-ish token needs: a comment without it has no link to replace.
_LINK_CANDIDATE = re.compile(rf"https?://|www\.|{_DOMAIN}", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+|^\s*RT\b")
_REPEAT = re.compile(r"(.)\1{2,}")
_PHONE = re.compile(r"\+?\(?\d(?:[\s.()-]{0,2}\d){6,}")
_MONEY = re.compile(r"[$£€¥₹]")


#: What the pipeline takes: plain text (a source without commenter fields) or a :class:`Post`.
Comment = str | Post


def as_post(comment: Comment) -> Post:
    return comment if isinstance(comment, Post) else Post(comment)


def clean(text: str) -> str:
    """Remove what tells sources apart rather than spam from ham; links become ``LINK_TOKEN``."""
    text = _INVISIBLE.sub("", html.unescape(text))
    if _LINK_CANDIDATE.search(text):  # most comments have none; checking every token costs a call each
        text = _TOKEN.sub(lambda m: f" {LINK_TOKEN} " if _LINKISH.search(m.group()) else m.group(), text)
    return _MENTION.sub(" ", text)


#: The comment-shape signals, named for the moderator reading an explanation.
SHAPE_FEATURES: tuple[str, ...] = (
    "links", "capital letters", "repeated characters", "length", "digits",
    "phone number", "exclamation marks", "money symbols",
    "abusive words", "share of abusive words", "abuse aimed at someone",
)


def comment_shape(text: str) -> list[float]:
    """The ``SHAPE_FEATURES`` of a cleaned comment, each scaled to roughly [0, 1].

    Capitals count only from 8 letters on: "OK" is not shouting.
    """
    words = text.replace(LINK_TOKEN, "")
    letters = sum(map(str.isalpha, words))
    upper = sum(map(str.isupper, words))
    n_words, abusive, aimed = abuse_counts(words)
    return [
        log1p(text.count(LINK_TOKEN)),
        upper / letters if letters >= 8 else 0.0,
        log1p(len(_REPEAT.findall(text))),
        log1p(len(text)) / 8,
        sum(map(str.isdigit, text)) / max(len(text), 1),
        1.0 if _PHONE.search(text) else 0.0,
        log1p(text.count("!")),
        log1p(len(_MONEY.findall(text))),
        log1p(abusive),
        abusive / max(n_words, 1),
        log1p(aimed),
    ]


_WORDS = re.compile(r"[^\W\d_]{2,}")
#: Free mail providers: an address there says nothing about a business behind it.
FREE_MAIL = frozenset("gmail.com googlemail.com yahoo.com yahoo.co.uk hotmail.com hotmail.co.uk outlook.com "
                      "live.com msn.com aol.com icloud.com me.com mail.com gmx.com gmx.net proton.me "
                      "protonmail.com yandex.com yandex.ru mail.ru web.de".split())


def commenter_tokens(post: Post) -> list[str]:
    """The commenter's fields as tokens a linear model can weigh: evidence only, never absence.

    Words of the name ("author:deals"), the website's top-level domain and the
    words of its host and path, and an email domain that is not a free mail
    provider. Nothing is emitted for what a commenter left out or for what many
    honest readers have (no website, a gmail address, a website at all, a site
    named after themselves, a name of three words: each of these, learned from
    the corpus's spammers, sent honest readers to the spam folder): only a few training
    sources have fields, and a token every comment carries would act as "looks
    like that source" and shift every score by that source's share of spam or
    abuse. A plain-text comment yields no token at all.
    """
    author = [w.lower() for w in _WORDS.findall(post.author)]
    tokens = [f"author:{w}" for w in author]
    site = post.website.lower().strip()
    if site:
        host, _, path = re.sub(r"^[a-z]+://", "", site).removeprefix("www.").partition("/")
        host = host.split(":")[0]
        name, _, tld = host.rpartition(".")
        tokens.append(f"website-tld:{tld}")
        # The TLD has its own token; as a word too it would count twice.
        site_words = set(_WORDS.findall(name.replace("-", " ").replace(".", " "))) | set(_WORDS.findall(path))
        tokens += [f"website-word:{w}" for w in sorted(site_words)]
        if path.strip("/"):
            tokens.append("website:path")
    domain = post.email.lower().rpartition("@")[2].strip()
    if domain and domain not in FREE_MAIL:
        tokens += [f"email-domain:{domain}", f"email-tld:{domain.rsplit('.', 1)[-1]}"]
    return list(dict.fromkeys(tokens))  # each once: a name that says "deals deals" is no more a name


def describe_token(token: str) -> str:
    """How a moderator reads a commenter token in an explanation."""
    kind, _, value = token.partition(":")
    return {"author": f"name “{value}”",
            "website": "a website with a path" if value == "path" else token,
            "website-tld": f"website .{value}", "website-word": f"website “{value}”", "email-domain": f"email @{value}",
            "email-tld": f"email .{value}"}.get(kind, token)


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
    """P(kind | toxic) of many comments, shape (n, kinds): for measuring; :meth:`CompiledModel.kinds` serves one."""
    classify, kinds = model.named_steps["classify"], model_kinds(model)
    if kinds is None:
        return np.empty((len(comments), 0))
    features = model.named_steps["features"].transform(model.named_steps["clean"].transform(comments))
    return kinds.predict_proba(classify.sees(PARENT, features))


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
