"""The reader's path in: a comment form or JSON post becomes a stored comment with its status.

Here: ``submit`` (validate, screen, store), ``writes`` (how that path writes),
``followups`` (a new comment's work after the response), ``screening`` (the model's scores
and the site's rules), ``policy`` (routing), ``wordlists``, ``similarity``
(near-duplicates), ``threads`` and ``thread_cache`` (what a reader sees),
``rendering`` (text to safe HTML), ``articles``, ``reports`` and
``report_weights`` (readers' reports), ``edits`` (authors' edits within the
window); the article pages (``views``), reports, edits and deletions
(``reader_views``) and the public JSON API (``api_views``).

May import: the shared core (``moderation.config``, ``extensions``, ``models``,
``forms``), ``training``, and the plain functions of other areas: the model's
scorer and thresholds, the queue's spot-check draw. Never another area's views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The article pages and the JSON API, the comment-text filters every template uses, ``import-article``,
    the follow-ups' sweep."""
    from . import api_views, articles, followups, reader_views, views
    from .rendering import comment_html, highlight, link

    app.register_blueprint(views.bp)
    app.register_blueprint(reader_views.bp)
    app.register_blueprint(api_views.bp)
    app.add_template_filter(comment_html, "comment_html")
    app.add_template_filter(highlight, "highlight")
    app.add_template_filter(lambda url, label: link(url, label), "comment_link")
    articles.register_commands(app)
    followups.init_app(app)
