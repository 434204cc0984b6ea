"""The stack floor: a bare comment form on our stack, for ``load.py --floor``.

Why it exists: the issue's targets (POST c=8 ≥ 1.5× Isso on SQLite, ≥ 1.0× on
PostgreSQL) are only worth reading against what the fixed stack itself allows.
This app does only what any comment form on Flask + Flask-WTF + SQLAlchemy under
gunicorn's sync workers must do on this machine: render a form with its CSRF
token into the session, validate the post (CSRF included), insert one row with
the ORM, commit and redirect. No model, no scoring, no follow-ups, no rate limits,
no thread page: its POST throughput is the ceiling ours can approach, not reach.

Its article page carries the token exactly as ours does (``name="csrf_token"
type="hidden" value="..."``) and takes the same form fields, so ``load.py``'s
wrk script for our app drives it unchanged.

    FLOOR_DATABASE_URL=sqlite:////tmp/floor.sqlite3 gunicorn --chdir benchmarks 'floor_app:create_app()'

``FLOOR_DATABASE_URL`` is an SQLAlchemy URL (``postgresql+psycopg://...`` for
PostgreSQL), SQLite in the temporary folder when unset; the app keeps to its own
table, ``floor_comments``. ``FLOOR_SECRET_KEY`` signs sessions: every worker needs
the same one, since a reader's token may come from one worker and its post go to another.
"""
from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, redirect, url_for
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wtforms import StringField, TextAreaField
from wtforms.validators import URL, Email, InputRequired, Length, Optional

# The floor pays for SQLite what ours pays: importing moderation registers its "connect" listener, which
# sets our pragmas (WAL, synchronous=NORMAL, foreign keys, busy timeout), on every engine.
from moderation import _sqlite_pragmas  # noqa: F401

PAGE = """<!doctype html>
<title>{{ slug }}</title>
<h1>{{ slug }}</h1>
<form method="post" action="{{ url_for('post_comment', slug=slug) }}">
  {{ form.csrf_token }}
  <p>{{ form.comment.label }} {{ form.comment(rows=8) }}</p>
  <p>{{ form.author.label }} {{ form.author() }}</p>
  <p>{{ form.email.label }} {{ form.email(type="email") }}</p>
  <p>{{ form.url.label }} {{ form.url(type="url") }}</p>
  <p><button type="submit">Post Comment</button></p>
</form>
"""


class Base(DeclarativeBase):
    pass


#: Its own metadata: creating or dropping the floor's table never touches our app's.
db = SQLAlchemy(model_class=Base)


class FloorComment(db.Model):  # type: ignore[name-defined,misc]
    """One stored comment; the index on the slug is what any thread page needs to find its comments."""

    __tablename__ = "floor_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_slug: Mapped[str] = mapped_column(String(200), index=True)
    author: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC).replace(tzinfo=None))  # as ours


class CommentForm(FlaskForm):
    """The fields a reader fills in, with the checks any comment form makes; CSRF is FlaskForm's own."""

    comment = TextAreaField("Comment", validators=[InputRequired(), Length(max=5000)])
    author = StringField("Name", validators=[InputRequired(), Length(max=100)])
    email = StringField("Email", validators=[InputRequired(), Length(max=254), Email(check_deliverability=False)])
    url = StringField("Website", validators=[Optional(), Length(max=200), URL()])


def create_app(database_url: str | None = None) -> Flask:
    """The floor app on ``database_url`` (else FLOOR_DATABASE_URL), its table created if missing."""
    app = Flask(__name__)
    default = f"sqlite:///{Path(tempfile.gettempdir()) / 'floor.sqlite3'}"
    app.config.update(
        SECRET_KEY=os.environ.get("FLOOR_SECRET_KEY", "floor-benchmark"),
        SQLALCHEMY_DATABASE_URI=database_url or os.environ.get("FLOOR_DATABASE_URL") or default,
        WTF_CSRF_TIME_LIMIT=None,  # as ours: a token lasts as long as the session
    )
    db.init_app(app)
    with app.app_context():
        db.create_all()
    page = app.jinja_env.from_string(PAGE)  # compiled once, not per request

    @app.get("/articles/<slug>")
    def article(slug: str) -> str:
        return page.render(slug=slug, form=CommentForm())

    @app.post("/articles/<slug>/comments")
    def post_comment(slug: str) -> Response | tuple[str, int]:
        form = CommentForm()
        if not form.validate():
            return page.render(slug=slug, form=form), 400
        comment = FloorComment(article_slug=slug, author=form.author.data, email=form.email.data,
                               text=form.comment.data)
        db.session.add(comment)
        db.session.flush()  # the id now: read after the commit, it would cost a SELECT to refresh the row
        comment_id = comment.id
        db.session.commit()
        return redirect(url_for("article", slug=slug, _anchor=f"comment-{comment_id}"))

    return app
