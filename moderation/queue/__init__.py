"""The moderators' work: the queue and its decisions, and everything a decision touches.

Here: ``listing`` (tabs, filters, sorts, pages), ``decisions`` (the status
change, its audit record and the labels it gives; bans), ``spotcheck``,
``highlights`` (what the queue marks in a text), ``erasure``, ``tokens`` (the
moderation API's bearer tokens); the queue (``views``), the settings pages
(``settings_views``), the moderation API (``api_views``), tokens, the audit
log and erasure pages.

May import: the shared core, ``training``, and the plain functions of other
areas (the comments' thread cache and near-duplicate groups, the model's
scorer, thresholds and kinds). Never another area's views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The queue, settings, moderation API, token, audit and erasure pages, and ``erase``."""
    from . import api_views, audit_views, erasure, erasure_views, settings_views, token_views, views

    for module in (views, settings_views, api_views, token_views, audit_views, erasure_views):
        app.register_blueprint(module.bp)
    erasure.register_commands(app)
