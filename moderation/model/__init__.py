"""The classifier inside the app: which version scores, with which thresholds, and how the next one is chosen.

Here: ``scoring`` (the active version, loaded once per process), ``kinds``,
``thresholds`` and ``capacity`` (the thresholds in force; suggesting them from
a daily capacity), ``shadow`` (a candidate scoring beside the active model),
``regressions`` (past overrides as test cases), ``site_learning`` (a site
candidate from the site's labels, measured and gated), ``retrain`` (training
jobs: the Retrain button's and the automatic ones), ``jobs`` (where they run:
an RQ worker, or a subprocess on one machine), ``store`` (the registry's
versions and ``active`` alias in the database), ``commands`` (the training library's commands wired to this
app); the Model page (``views``).

May import: the shared core, ``training``, and the plain functions of other
areas (the comments' screening and policy, the queue's decisions as labels).
Never another area's views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The scorer, the Model page, the model and job commands; the shadow listens to new comments' follow-ups, site
    learning to new labels.

    Nothing here touches the database: the registry's tables may not exist
    yet, so ``init-db`` and ``quickstart`` seed it (:func:`.store.seed`).
    """
    from ..comments.followups import following_up
    from ..queue.decisions import labels_given
    from . import commands, jobs, retrain, shadow, thresholds, views
    from .scoring import Scorer
    from .store import make_registry

    app.extensions["moderation.scorer"] = Scorer(make_registry(app))
    app.register_blueprint(views.bp)
    jobs.init_app(app, runner=retrain.run_job)
    retrain.register_commands(app)
    thresholds.register_commands(app)
    commands.register_commands(app)
    following_up.connect(shadow.on_following_up)
    labels_given.connect(retrain.on_labels_given)
