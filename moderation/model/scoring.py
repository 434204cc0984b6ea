"""The classifier as the app sees it: the active model version, loaded once per process.

Promotion moves the registry's ``active`` alias (a row every server reads);
``Scorer.model`` asks for it at most once every ``ALIAS_POLL_SECONDS``, so a
comment costs no query for it, and reloads only when it names another
version: every process of every server picks up a promotion or a rollback
within about that long, without a restart (this process's own promotions at
once). If the new version cannot be loaded the previous one keeps serving; if
none can, or the registry itself cannot be read (which version is active is
then unknown), scoring raises ``ScoringUnavailable`` and the submit path holds
the comment for a human. The last such failure is kept on the scorer so the
admin Model page can say why comments are held. A version in shadow is loaded
and cached the same way, by ``Scorer.shadow_model``.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from training.evaluate import Thresholds
from training.features import Comment
from training.registry import LoadedModel, ModelLoadError, Registry

from ..models import utcnow

log = logging.getLogger(__name__)

#: How many terms per label a moderator sees as the reason for a score.
EXPLAIN_TERMS = 5
#: How old an answer to "which version is active?" may be: the delay before a promotion made on
#: another server scores here (plus loading it), against one small query per process this often.
ALIAS_POLL_SECONDS = 1.0


class ScoringUnavailable(RuntimeError):
    """No model could score the comment: the caller must hold it, never publish it."""


@dataclass(frozen=True)
class Scored:
    version: str
    scores: dict[str, float]
    explanation: dict[str, list[tuple[str, float]]]
    #: The thresholds of the model that gave these scores, so routing never mixes two versions.
    thresholds: dict[str, Thresholds]
    #: P(kind | toxic) per kind of toxicity (:mod:`training.kinds`); empty for a model without kinds.
    kinds: dict[str, float] = field(default_factory=dict)


def with_overrides(thresholds: Mapping[str, Thresholds],
                   overrides: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
    """A model's thresholds with the site's configured overrides (``THRESHOLDS``) applied."""
    return {label: Thresholds(review=float(overrides.get(label, {}).get("review", t.review)),
                              high=float(overrides.get(label, {}).get("high", t.high)))
            for label, t in thresholds.items()}


@dataclass(frozen=True)
class ScoringFailure:
    """Why this process held the last comment it could not score, for the admin Model page."""

    at: datetime
    reason: str


class Scorer:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._model: LoadedModel | None = None
        self._shadow: LoadedModel | None = None
        self._lock = threading.Lock()
        #: Its own lock, so loading a shadow never delays loading a newly promoted active model.
        self._shadow_lock = threading.Lock()
        #: Set when scoring fails (comments are then held), cleared by the next success.
        self.last_failure: ScoringFailure | None = None

    def model(self) -> LoadedModel:
        """The active model, reloaded when the registry's alias has moved."""
        try:
            active = self.registry.active_version(max_age=ALIAS_POLL_SECONDS)
        except (OSError, SQLAlchemyError) as exc:
            raise ScoringUnavailable(f"the model registry cannot be read: {exc}") from exc
        current = self._model
        if current is not None and current.version == active:
            return current
        if active is None:
            raise ScoringUnavailable("no active model version")
        with self._lock:
            if self._model is None or self._model.version != active:
                try:
                    self._model = self.registry.load(active)
                except ModelLoadError as exc:
                    log.error("model %s cannot be loaded, keeping %s: %s", active,
                              self._model.version if self._model else "none", exc)
                    if self._model is None:
                        raise ScoringUnavailable(str(exc)) from exc
            return self._model

    def shadow_model(self, version: str) -> LoadedModel:
        """The shadow version (see :mod:`.shadow`), loaded once per process like the active one.

        Kept until another version is asked for; raises ``ModelLoadError`` when
        it cannot be loaded, which the shadow's caller logs and moves on from.
        """
        current = self._shadow
        if current is not None and current.version == version:
            return current
        with self._shadow_lock:
            if self._shadow is None or self._shadow.version != version:
                self._shadow = self.registry.load(version)
            return self._shadow

    def score(self, comment: Comment) -> Scored:
        """Scores and reasons for plain text, or for a :class:`~training.datasets.Post` with the commenter's fields."""
        try:
            model = self.model()
            try:
                scores = model.score(comment)
                explanation = model.explain(comment, k=EXPLAIN_TERMS)
                kinds = model.kinds(comment)
            except Exception as exc:  # a model bug must hold the comment, not lose it
                raise ScoringUnavailable(f"model {model.version} failed: {exc}") from exc
        except ScoringUnavailable as exc:
            self.last_failure = ScoringFailure(utcnow(), str(exc))
            raise
        self.last_failure = None
        return Scored(model.version, {k: float(v) for k, v in scores.items()}, explanation, dict(model.thresholds),
                      kinds)

    def score_batch(self, texts: Sequence[str]) -> tuple[str, list[dict[str, float]]]:
        """Scores without explanations, many texts per model call: for imports, where speed matters more."""
        model = self.model()
        try:
            scores = model.score_batch(list(texts))
        except Exception as exc:  # same contract as score(): the caller decides what no score means
            raise ScoringUnavailable(f"model {model.version} failed: {exc}") from exc
        return model.version, [{k: float(v) for k, v in s.items()} for s in scores]

    def thresholds(self, overrides: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
        """The active model's thresholds with the site's configured overrides applied."""
        return with_overrides(self.model().thresholds, overrides)


def get_scorer() -> Scorer:
    return current_app.extensions["moderation.scorer"]
