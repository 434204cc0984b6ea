"""The review thresholds in force, and suggesting and applying them from the moderators' capacity.

Thresholds come from three places, later wins: the model card, the site's
``THRESHOLDS`` setting, and review thresholds applied from the Model page.
Applied ones belong to the model version they were computed for (another
version's scores are not on the same scale), so promoting a new model returns
to its card's thresholds until a new suggestion is applied for it. Each applied
change is a ``ThresholdChange`` row: who, when, which label, from what to what,
for which capacity; the latest row per label is the one in force.

Every comment is routed with these thresholds, so the submit path keeps them per
worker and model version (:func:`kept_overrides`) under the newest change's id,
which it reads in a query it makes anyway (:func:`stamp`): applying a change
raises that id, and every worker sees it on its next comment.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app
from flask.cli import AppGroup

from training.evaluate import Thresholds
from training.registry import RegistryError

from ..extensions import db
from ..models import Comment, Moderator, Status, ThresholdChange, utcnow
from . import capacity
from .scoring import ScoringUnavailable, get_scorer, with_overrides


class NoActiveModel(RuntimeError):
    """There is no active model card to measure recall with."""


def applied(version: str) -> dict[str, float]:
    """Review thresholds applied from the Model page for this model version, by label."""
    rows = db.session.execute(
        sa.select(ThresholdChange.label, ThresholdChange.review_after)
        .where(ThresholdChange.model_version == version).order_by(ThresholdChange.id)
    )
    return {label: review for label, review in rows}


def overrides(version: str | None) -> dict[str, dict[str, float]]:
    """The site's ``THRESHOLDS`` with the review thresholds applied for ``version`` on top."""
    merged = {label: dict(values) for label, values in current_app.config["THRESHOLDS"].items()}
    for label, review in (applied(version) if version else {}).items():
        merged.setdefault(label, {})["review"] = review
    return merged


def in_force() -> dict[str, Thresholds]:
    """The active model's thresholds as routing uses them now; none when no model can be read."""
    scorer = get_scorer()
    try:
        return scorer.thresholds(overrides(scorer.registry.active_version()))
    except (ScoringUnavailable, OSError):
        return {}


def stamp() -> sa.ScalarSelect[int]:
    """The newest applied change's id (0 before the first), as a column for a query the caller makes anyway.

    Changes are an audit log, never edited or deleted, so the id names the state
    of all of them.
    """
    return sa.select(sa.func.coalesce(sa.func.max(ThresholdChange.id), 0)).scalar_subquery()


def kept_overrides(version: str, changes_stamp: int) -> dict[str, dict[str, float]]:
    """:func:`overrides` for ``version``, read once per worker until :func:`stamp` moves; never mutate it."""
    kept: dict[str, tuple[int, dict[str, dict[str, float]]]] = current_app.extensions.setdefault(
        "moderation.thresholds", {})
    hit = kept.get(version)
    if hit is not None and hit[0] == changes_stamp:
        return hit[1]
    merged = overrides(version)
    kept[version] = (changes_stamp, merged)
    return merged


def history(limit: int = 20) -> list[ThresholdChange]:
    return list(db.session.scalars(
        sa.select(ThresholdChange).options(so.joinedload(ThresholdChange.moderator))
        .order_by(ThresholdChange.id.desc()).limit(limit)
    ))


def _active_card() -> tuple[str, dict[str, Any]]:
    registry = get_scorer().registry
    try:
        version = registry.active_version()
        card = registry.card(version) if version else None
    except (OSError, RegistryError, AttributeError) as exc:
        raise NoActiveModel(f"the active model's card cannot be read: {exc}") from exc
    if not version or not isinstance(card, dict):
        raise NoActiveModel("no model is active")
    return version, card


def _card_thresholds(card: Mapping[str, Any]) -> dict[str, Thresholds]:
    return {label: Thresholds(review=float(t["review"]), high=float(t["high"]))
            for label, t in (card.get("thresholds") or {}).items()}


def suggest(per_day: int) -> tuple[str, capacity.Suggestion]:
    """The active model version and the thresholds that would have held about ``per_day`` a day
    over the last ``capacity.WINDOW_DAYS`` days of stored scores.

    The window is shorter when the site is younger (from its first comment in it,
    at least one day), so a new site is not credited with two empty weeks.
    Comments held by a rule (any rule but a threshold) count as a fixed load;
    comments rules sent to spam and those the spam folder's threshold takes are
    left out, as they never reach the queue.
    """
    version, card = _active_card()
    card_thresholds = _card_thresholds(card)
    current = with_overrides(card_thresholds, overrides(version))
    now = utcnow()
    since = now - timedelta(days=capacity.WINDOW_DAYS)
    rows = db.session.execute(
        sa.select(Comment.scores, Comment.routed_status, Comment.route_rule, Comment.created_at, Comment.model_version)
        .where(Comment.created_at >= since, Comment.created_at <= now)
    ).all()
    scores: list[Mapping[str, float]] = []
    fixed = 0
    for row in rows:
        by_rule = not row.route_rule.startswith("threshold.") and row.route_rule != "rule.trusted_author"
        if by_rule and row.routed_status == Status.PENDING:
            fixed += 1
        elif not (by_rule and row.routed_status == Status.SPAM) and row.scores \
                and not capacity.excluded_by_spam_folder(row.scores, current):
            scores.append(row.scores)
    first = min((row.created_at for row in rows), default=now)
    days = min(float(capacity.WINDOW_DAYS), max(1.0, (now - first).total_seconds() / 86400))
    suggestion = capacity.suggest(per_day, scores, fixed, days, current, card_thresholds,
                                  card.get("metrics") or {})
    other_versions = sum(1 for row in rows if row.scores and row.model_version != version)
    if other_versions:
        suggestion.notes.append(f"{other_versions} of the window's comments were scored by another model version, "
                                "whose scores may not be on the same scale.")
    return version, suggestion


def apply(per_day: int, moderator: Moderator) -> tuple[str, capacity.Suggestion, list[ThresholdChange]]:
    """Compute the suggestion now and put it in force for the active version; one audit row per changed label."""
    version, suggestion = suggest(per_day)
    changes = [
        ThresholdChange(moderator_id=moderator.id, model_version=version, label=s.label,
                        review_before=s.current, review_after=s.review, per_day=per_day)
        for s in suggestion.labels if abs(s.review - s.current) > 1e-9
    ]
    db.session.add_all(changes)
    db.session.commit()
    return version, suggestion, changes


def format_suggestion(version: str, suggestion: capacity.Suggestion) -> str:
    """The suggestion as the command line prints it."""
    lines = [
        f"Model {version}; {suggestion.comments} scored comments over {suggestion.days:.1f} days; "
        f"capacity {suggestion.per_day} a day.",
        f"Queue now: {suggestion.current_per_day:.1f} a day; suggested: {suggestion.expected_per_day:.1f} a day "
        f"(of which {suggestion.fixed_per_day:.1f} held by rules whatever the thresholds).",
        f"{'label':<8} {'review now':>10} {'suggested':>10} {'recall now':>10} {'recall':>8} {'unseen':>8}",
    ]
    for s in suggestion.labels:
        lines.append(f"{s.label:<8} {s.current:>10.3f} {s.review:>10.3f} {_share(s.current_recall):>10} "
                     f"{_share(s.recall):>8} {_share(s.missed):>8}")
    lines.append("Recall: held-out, interpolated between the two operating points the model card measured. "
                 "Unseen: the expected share of that label's flagged comments published without review.")
    lines.extend(suggestion.notes)
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


thresholds_cli = AppGroup("thresholds", help="Review thresholds from the moderators' capacity.")


@thresholds_cli.command("suggest")
@click.option("--per-day", type=click.IntRange(min=1), required=True, help="Comments the moderators can review a day.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the suggestion as JSON to this file.")
def suggest_command(per_day: int, json_path: Path | None) -> None:
    """Print the review thresholds that would hold about N comments a day (applies nothing)."""
    try:
        version, suggestion = suggest(per_day)
    except NoActiveModel as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_suggestion(version, suggestion))
    if json_path is not None:
        json_path.write_text(json.dumps({"model_version": version, **suggestion.as_json()}, indent=2) + "\n",
                             encoding="utf-8")
        click.echo(f"Written to {json_path}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(thresholds_cli)
