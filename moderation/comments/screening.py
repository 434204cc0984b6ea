"""Screening a post: the active model's scores and the site's rules, the two things routing reads.

A comment posted here (:mod:`.submit`), a comment another site asks about
(:mod:`moderation.sites.site_checks`), a shadow model's view of a new comment
(:mod:`moderation.model.shadow`) and a candidate's view of a past override
(:mod:`moderation.model.regressions`) are all routed by :func:`.policy.route`
with scores and :class:`.policy.Settings` from here, so they cannot drift apart.
"""
from __future__ import annotations

import logging

from flask import current_app

from training.datasets import Post

from ..model.scoring import Scored, ScoringUnavailable, get_scorer, with_overrides
from ..model.thresholds import kept_overrides, overrides
from .policy import Settings

log = logging.getLogger(__name__)


def score(post: Post) -> Scored | None:
    """The model reads the whole comment: the commenter's name, website and email carry blog spam's signal."""
    try:
        return get_scorer().score(post)
    except ScoringUnavailable as exc:
        log.error("scoring failed, holding the comment: %s", exc)
        return None


def settings(scored: Scored | None, thresholds_stamp: int | None = None) -> Settings:
    """The site's rules, with the thresholds of the model that scored (none when scoring failed).

    With ``thresholds_stamp`` (read by :func:`.submit.look_up`) the applied thresholds
    come from this worker's kept copy, otherwise from the database.
    """
    config = current_app.config
    thresholds = {}
    if scored is not None:
        site = (overrides(scored.version) if thresholds_stamp is None
                else kept_overrides(scored.version, thresholds_stamp))
        thresholds = with_overrides(scored.thresholds, site)
    return Settings(
        thresholds=thresholds,
        max_links=config["MAX_LINKS"],
        moderation_words=tuple(config["MODERATION_WORDS"]),
        block_words=tuple(config["BLOCK_WORDS"]),
        trust_approved_authors=config["TRUST_APPROVED_AUTHORS"],
    )
