"""Fixtures shared by every test: an app on a fresh database, clients, moderators, a stub model.

The database is SQLite in a temporary instance folder, or PostgreSQL when
DATABASE_URL is set (``.ci/run`` runs the suite a second time that way); each
test starts from empty tables either way.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from moderation import create_app
from moderation.comments.policy import Thresholds
from moderation.extensions import db
from moderation.model.scoring import Scored, with_overrides
from moderation.models import Article, Moderator, Role
from training.datasets import Post

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PASSWORD = "correct horse battery staple"


class StubScorer:
    """Deterministic scores from marker words, so web tests can steer routing.

    ``spamword`` → spam 0.99 (spam folder), ``buynow`` → spam 0.6 (held),
    ``idiot`` → toxic 0.7 (held) and likely an insult, ``explode`` → the model fails; anything else scores 0.05.
    """

    version = "stub-1"
    THRESHOLDS = {"spam": Thresholds(0.5, 0.95), "toxic": Thresholds(0.5, 0.9)}

    class Registry:
        def active_version(self) -> str:
            return "stub-1"

    def __init__(self) -> None:
        self.registry = self.Registry()

    def score(self, comment: str | Post) -> Scored:
        from moderation.model.scoring import ScoringUnavailable

        lowered = (comment.text if isinstance(comment, Post) else comment).lower()
        if "explode" in lowered:
            raise ScoringUnavailable("stub model failure")
        spam = 0.99 if "spamword" in lowered else 0.6 if "buynow" in lowered else 0.05
        toxic = 0.7 if "idiot" in lowered else 0.05
        explanation = {"spam": [["spamword", 2.0]] if spam > 0.5 else [], "toxic": [["idiot", 1.5]] if toxic > 0.5 else []}
        kinds = {"insult": 0.9, "threat": 0.1} if toxic > 0.5 else {"insult": 0.2, "threat": 0.1}
        return Scored(self.version, {"spam": spam, "toxic": toxic}, explanation, self.THRESHOLDS, kinds)

    def score_batch(self, texts: list[str]) -> tuple[str, list[dict[str, float]]]:
        return self.version, [self.score(text).scores for text in texts]

    def thresholds(self, overrides: dict[str, dict[str, float]]) -> dict[str, Thresholds]:
        return with_overrides(self.THRESHOLDS, overrides)


class SentClient(FlaskClient):
    """A test client that reads each response to its end and closes it, as a WSGI server does once it is sent.

    What a view leaves for after the response (``call_on_close``: a new comment's follow-up) then runs
    before the test's next line, as it would on a server before the reader's next request.
    """

    def open(self, *args: object, buffered: bool = True, **kwargs: object):  # type: ignore[override]
        return super().open(*args, buffered=buffered, **kwargs)


def make_app(tmp_path: Path, **config: object) -> Flask:
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False}
    settings.update(config)
    app = create_app(settings, instance_path=str(tmp_path / "instance"))
    app.test_client_class = SentClient

    @app.before_request
    def fresh_g() -> None:
        """Tests hold an app context open, which requests then share: give each request a clean ``g``
        (CSRF token, signed-in user) as production does, so two clients never see each other's."""
        for key in list(vars(g)):
            g.pop(key)

    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


@contextmanager
def limited_app(tmp_path: Path, **config: object) -> Iterator[tuple[FlaskClient, Article]]:
    """An app with its comment rate limit on (2 per minute unless given), in its context, with one article."""
    app = make_app(tmp_path, **{"RATELIMIT_ENABLED": True, "COMMENT_RATE_LIMIT": "2 per minute", **config})
    app.extensions["moderation.scorer"] = StubScorer()
    with app.app_context():
        article = Article(slug="a", title="A", body="Body.")
        db.session.add(article)
        db.session.commit()
        yield app.test_client(), article
        db.session.remove()


def empty_database(app: Flask) -> None:
    """No tables at all, as before the first ``init-db``."""
    import sqlalchemy as sa

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app with a stub model; tests of the real model use ``real_model_app``."""
    app = make_app(tmp_path)
    app.extensions["moderation.scorer"] = StubScorer()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()  # its pooled connections close now, not when the app is garbage-collected


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def article(app: Flask) -> Article:
    a = Article(slug="budget-vote", title="Parliament votes on the budget",
                body="The vote was close.\n\nMore debate is expected.")
    db.session.add(a)
    db.session.commit()
    return a


def make_moderator(email: str, role: Role = Role.MODERATOR) -> Moderator:
    m = Moderator(email=email, password_hash="", role=role)
    m.set_password(PASSWORD)
    db.session.add(m)
    db.session.commit()
    return m


@pytest.fixture
def moderator(app: Flask) -> Moderator:
    return make_moderator("mod@example.org")


@pytest.fixture
def admin(app: Flask) -> Moderator:
    return make_moderator("admin@example.org", Role.ADMIN)


_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def csrf_token(client: FlaskClient, url: str) -> str:
    """The token a browser would have: read from the form on the page."""
    return csrf_from(client.get(url).get_data(as_text=True))


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


def post_comment(client: FlaskClient, article: Article, **fields: str):
    """Post the comment form the way a browser does, CSRF token included."""
    data = {"comment": "A thoughtful comment.", "author": "Ann Reader", "email": "ann@example.org", "url": ""}
    data.update(fields)
    data.setdefault("csrf_token", csrf_token(client, f"/articles/{article.slug}"))
    return client.post(f"/articles/{article.slug}/comments", data=data)


def postgres_url() -> str | None:
    return os.environ.get("DATABASE_URL")


def redis_url() -> str | None:
    """The Redis tests may use (``TEST_REDIS_URL``, else database 0 on 127.0.0.1:6379), or None if none answers."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url
