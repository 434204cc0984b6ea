"""Moderator accounts: hashed passwords, sign-in, one-time passwords, rate limits, the CLI."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Comment, Moderator, Role
from tests.conftest import PASSWORD, csrf_token, empty_database, login, make_app


def test_passwords_are_hashed(moderator: Moderator) -> None:
    assert PASSWORD not in moderator.password_hash
    assert moderator.check_password(PASSWORD) and not moderator.check_password("wrong")


def test_login_and_logout(client: FlaskClient, moderator: Moderator) -> None:
    response = login(client, moderator.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/moderation/")
    assert client.get("/moderation/").status_code == 200
    token = csrf_token(client, "/")
    client.post("/auth/logout", data={"csrf_token": token})
    assert client.get("/moderation/").status_code == 302


def test_wrong_password_is_refused(client: FlaskClient, moderator: Moderator) -> None:
    response = login(client, moderator.email, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 302


def test_login_without_csrf_is_refused(client: FlaskClient, moderator: Moderator) -> None:
    response = client.post("/auth/login", data={"email": moderator.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/moderation/").status_code == 302


def test_next_cannot_leave_the_site(client: FlaskClient, moderator: Moderator) -> None:
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"email": moderator.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/moderation/"


def test_login_is_rate_limited(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [login(client, "nobody@example.org", "guess").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_one_time_password_must_be_changed(app: Flask, client: FlaskClient) -> None:
    empty_database(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["quickstart", "--no-serve"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    assert login(client, "admin@localhost", password).status_code == 302
    response = client.get("/moderation/")
    assert response.status_code == 302 and "/auth/password" in response.headers["Location"]
    token = csrf_token(client, "/auth/password")
    client.post("/auth/password", data={"password": "a much better passphrase", "confirm": "a much better passphrase",
                                        "csrf_token": token})
    assert client.get("/moderation/").status_code == 200
    # A second quickstart creates no second account and prints no password.
    again = runner.invoke(args=["quickstart", "--no-serve"])
    assert "password:" not in again.output
    assert db.session.scalar(sa.select(sa.func.count(Moderator.id))) == 1


def test_quickstart_imports_demo_articles_once(app: Flask, client: FlaskClient) -> None:
    empty_database(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["quickstart", "--no-serve"])
    assert "Demo comments, scored and routed by the model: 1 pending, 10 published" in first.output
    runner.invoke(args=["quickstart", "--no-serve"])
    html = client.get("/").get_data(as_text=True)
    assert html.count('class="teaser"') == 3
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 11  # not posted twice


def test_create_moderator_reads_stdin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-moderator", "Chief@Example.org", "--admin"], input="s3cret-enough-pass\n")
    assert result.exit_code == 0, result.output
    m = db.session.scalar(sa.select(Moderator).where(Moderator.email == "chief@example.org"))
    assert m is not None and m.role == Role.ADMIN and m.check_password("s3cret-enough-pass")
    short = runner.invoke(args=["create-moderator", "x@example.org"], input="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output
