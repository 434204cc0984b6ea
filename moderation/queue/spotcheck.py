"""Spot-checks: a random share of the comments the model published unseen, for a moderator to look at.

Every other label comes from a comment the model chose to hold, so none of
them says how much slips through. A uniform sample of the published ones does:
the share of checked comments a moderator says should have been held estimates
the share of all auto-published comments that should have been, with a Wilson
interval, and the marks are training labels free of that selection bias.

The sample is drawn **at submit time**, when the comment is stored: a keyed
hash (HMAC with the secret key) of the comment's id, read as a number in
[0, 1), below ``SPOTCHECK_SHARE``. Why this way:

* Unbiased: the id says nothing about the text, scores or author, and without
  the key nobody can tell (or steer) which comments are checked.
* Deterministic: every worker computes the same answer, and a test can too.
* Stored (a ``SpotCheck`` row): the population the estimate speaks for is
  fixed when the comment is published, so changing the share later widens or
  narrows future sampling without redrawing the past, and the queue's tab is a
  plain indexed join rather than a hash over every published comment per page.

A sampled comment's *mark* is its latest labelled decision, from the tab
(fine, or removed as spam or toxic) or from any other tab, so a comment taken
down after a complaint still counts: the sample was drawn before anyone knew.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Comment, Decision, SpotCheck, Status
from .decisions import latest_labelled_decisions

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054


def in_sample(comment_id: int, share: float, key: bytes) -> bool:
    """Whether a comment id falls in a ``share`` sample: uniform, keyed, the same in every process."""
    if share <= 0:
        return False
    digest = hmac.new(key, f"spotcheck:{comment_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def sample(comment: Comment) -> None:
    """Add a published-unseen comment to the spot-check sample if its id is drawn; the caller commits.

    Needs the comment's id, so the caller flushes it first.
    """
    if comment.routed_status != Status.PUBLISHED:
        return
    config = current_app.config
    if in_sample(comment.id, float(config["SPOTCHECK_SHARE"]), config["SECRET_KEY"].encode()):
        db.session.add(SpotCheck(comment_id=comment.id))


def _latest_labels() -> sa.Subquery:
    """The latest labelled decision of each sampled comment."""
    return (sa.select(Decision.comment_id, Decision.label)
            .join(SpotCheck, SpotCheck.comment_id == Decision.comment_id)
            .where(Decision.id.in_(latest_labelled_decisions())).subquery())


def unchecked() -> sa.ColumnElement[bool]:
    """Comments of the sample no moderator has labelled yet (the queue's Spot-check tab)."""
    labelled = sa.exists().where(Decision.comment_id == Comment.id, Decision.label.is_not(None))
    return sa.and_(Comment.id.in_(sa.select(SpotCheck.comment_id)), ~labelled)


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion: sound with few trials and at 0 or 1, unlike p ± z·se."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Estimate:
    sampled: int
    checked: int
    #: Checked comments a moderator labelled spam or toxic.
    should_have_been_held: int
    share: float | None
    low: float
    high: float


def estimate() -> Estimate:
    """The share of auto-published comments that should have been held, from the marks so far."""
    marks = _latest_labels()
    sampled = db.session.scalar(sa.select(sa.func.count()).select_from(SpotCheck)) or 0
    checked, bad = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.case((marks.c.label != "ok", 1))))
    .select_from(marks)).one()
    low, high = wilson(bad, checked)
    return Estimate(sampled, checked, bad, bad / checked if checked else None, low, high)
