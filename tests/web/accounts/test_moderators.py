"""Admins manage moderator accounts: add with a one-time password, reset it, switch accounts off."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.accounts.moderators import AccountError, set_active
from moderation.extensions import db
from moderation.models import Moderator, Role
from tests.conftest import csrf_token, login

PAGE = "/admin/moderators"


def one_time_password(html: str) -> str:
    match = re.search(r'class="one-time-password">([^<]+)<', html)
    assert match, "no one-time password on the page"
    return match.group(1)


def add(client: FlaskClient, email: str, **extra: str):
    return client.post(PAGE, data={"email": email, "csrf_token": csrf_token(client, PAGE), **extra})


def test_added_moderator_signs_in_once_then_chooses_a_password(app: Flask, client: FlaskClient,
                                                                admin: Moderator) -> None:
    login(client, admin.email)
    response = add(client, "New.Mod@Example.org")
    assert response.status_code == 200
    password = one_time_password(response.get_data(as_text=True))
    account = db.session.scalar(sa.select(Moderator).where(Moderator.email == "new.mod@example.org"))
    assert account is not None and account.role == Role.MODERATOR and account.must_change_password
    assert password not in account.password_hash
    assert password not in client.get(PAGE).get_data(as_text=True)  # shown once

    newcomer = app.test_client()
    assert login(newcomer, "new.mod@example.org", password).status_code == 302
    assert "/auth/password" in newcomer.get("/moderation/").headers["Location"]


def test_a_bad_email_keeps_what_was_typed(client: FlaskClient, admin: Moderator) -> None:
    login(client, admin.email)
    response = add(client, "not-an-address", admin="y")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="not-an-address"' in html and "valid email" in html
    assert db.session.scalar(sa.select(sa.func.count(Moderator.id))) == 1


def test_reset_password_replaces_the_old_one(app: Flask, client: FlaskClient, admin: Moderator,
                                             moderator: Moderator) -> None:
    login(client, admin.email)
    response = client.post(f"/admin/moderators/{moderator.id}/password",
                           data={"csrf_token": csrf_token(client, PAGE)})
    password = one_time_password(response.get_data(as_text=True))
    other = app.test_client()
    assert login(other, moderator.email).status_code == 401  # the old password is refused
    assert login(other, moderator.email, password).status_code == 302


def test_switching_off_ends_access_at_once(app: Flask, client: FlaskClient, admin: Moderator,
                                           moderator: Moderator) -> None:
    theirs = app.test_client()
    login(theirs, moderator.email)
    assert theirs.get("/moderation/").status_code == 200
    login(client, admin.email)
    client.post(f"/admin/moderators/{moderator.id}/active", data={"csrf_token": csrf_token(client, PAGE)})
    db.session.refresh(moderator)
    assert not moderator.active
    assert "/auth/login" in theirs.get("/moderation/").headers["Location"]  # their session is over
    assert login(app.test_client(), moderator.email).status_code == 401  # and they cannot sign in


def test_the_last_admin_and_yourself_stay_on(client: FlaskClient, admin: Moderator, moderator: Moderator) -> None:
    login(client, admin.email)
    assert f"/admin/moderators/{admin.id}/active" not in client.get(PAGE).get_data(as_text=True)
    with pytest.raises(AccountError, match="your own"):
        set_active(admin, False, admin)
    with pytest.raises(AccountError, match="At least one admin"):
        set_active(admin, False, moderator)
    second = Moderator(email="second@example.org", password_hash="x", role=Role.ADMIN)
    db.session.add(second)
    db.session.commit()
    set_active(admin, False, second)  # with another admin active, it may go
    assert not admin.active
