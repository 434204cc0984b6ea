"""The app with the stub model, for tests that serve it from real gunicorn workers (``tests.stub_app:create()``).

Configured by the environment like production (``MODERATION_INSTANCE_PATH``, ``DATABASE_URL``, ...).
"""
from __future__ import annotations

from flask import Flask

from moderation import create_app
from tests.conftest import StubScorer


def create() -> Flask:
    app = create_app()
    app.extensions["moderation.scorer"] = StubScorer()
    return app
