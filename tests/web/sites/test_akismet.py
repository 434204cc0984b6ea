"""The Akismet-compatible API, driven by the real ``akismet`` client from PyPI and by plain form posts."""
from __future__ import annotations

import akismet
import httpx
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import ApiKey, CheckedComment, Moderator, SiteLabel
from moderation.queue.decisions import training_examples
from moderation.sites.api_keys import create_key
from tests.conftest import limited_app, login

SITE = "https://news.example.org"
LINK_SPAM = "spamword: cheap pills at http://pills.example.com and http://more-pills.example.com"
CLEAN = "The council should publish the full budget before the vote, not after it."


@pytest.fixture
def key(app: Flask) -> str:
    return create_key(SITE)[1]


def client_for(app: Flask, key: str, site: str = SITE) -> akismet.SyncClient:
    """The PyPI client, unchanged, talking to the app in-process instead of rest.akismet.com."""
    http = httpx.Client(transport=httpx.WSGITransport(app=app), headers={"User-Agent": akismet.USER_AGENT})
    return akismet.SyncClient(config=akismet.Config(key=key, url=site), http_client=http)


def test_real_client_checks_and_reports_and_the_model_page_counts_it(
        app: Flask, client: FlaskClient, key: str, admin: Moderator) -> None:
    with client_for(app, key) as akismet_client:  # entering verifies the key
        assert akismet_client.verify_key()
        spam = akismet_client.comment_check("203.0.113.7", comment_content=LINK_SPAM, comment_author="Pills",
                                            comment_type="comment", permalink=f"{SITE}/budget")
        ham = akismet_client.comment_check("203.0.113.8", comment_content=CLEAN, comment_author="Ann",
                                           comment_author_email="ann@example.org")
        assert spam == akismet.CheckResponse.DISCARD  # spam that the policy sends straight to spam
        assert ham == akismet.CheckResponse.HAM
        assert akismet_client.submit_ham("203.0.113.8", comment_content=CLEAN, comment_author="Ann")

    checks = db.session.scalars(sa.select(CheckedComment).order_by(CheckedComment.id)).all()
    assert [(c.spam, c.discard, c.api_key.site_url) for c in checks] == [(True, True, SITE), (False, False, SITE)]
    assert checks[0].scores == {"spam": 0.99, "toxic": 0.05} and checks[0].model_version == "stub-1"
    label = db.session.scalar(sa.select(SiteLabel))
    assert label.checked_comment_id == checks[1].id and label.label == "ok"
    assert [(e.text, e.labels, e.source) for e in training_examples(10.0)] == [
        (CLEAN, {"spam": False, "toxic": False}, "decisions")]

    login(client, admin.email)
    page = client.get("/admin/model").get_data(as_text=True)
    assert SITE in page and '<td class="labels-ok">1</td>' in page
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "cheap pills" in audit and "true, discard" in audit


def test_real_client_is_refused_with_a_wrong_key_or_another_site(app: Flask, key: str) -> None:
    with pytest.raises(akismet.APIKeyError):
        akismet.SyncClient.validated_client(config=akismet.Config(key="not-a-key", url=SITE),
                                            http_client=httpx.Client(transport=httpx.WSGITransport(app=app)))
    assert not client_for(app, key, "https://other.example.org").verify_key()
    with pytest.raises(akismet.APIKeyError):
        client_for(app, "wrong").comment_check("203.0.113.7", comment_content=CLEAN)


def form(key: str, **fields: str) -> dict[str, str]:
    return {"api_key": key, "blog": SITE + "/", "user_ip": "198.51.100.4", **fields}


def test_held_spam_is_true_without_discard(client: FlaskClient, key: str) -> None:
    response = client.post("/1.1/comment-check", data=form(key, comment_content="buynow and save"))
    assert response.get_data(as_text=True) == "true"
    assert "X-akismet-pro-tip" not in response.headers
    assert response.headers["X-Moderation-Spam"] == "0.60"
    assert response.mimetype == "text/plain"


def test_toxic_is_a_header_unless_the_site_asks(app: Flask, client: FlaskClient, key: str) -> None:
    plain = client.post("/1.1/comment-check", data=form(key, comment_content="you idiot"))
    assert plain.get_data(as_text=True) == "false"
    assert plain.headers["X-Moderation-Toxic"] == "0.70"
    asked = client.post("/1.1/comment-check", data=form(key, comment_content="you idiot", blog_moderate_toxic="1"))
    assert asked.get_data(as_text=True) == "true"
    toxic_key = create_key(SITE, moderate_toxic=True)[1]
    by_key = client.post("/1.1/comment-check", data=form(toxic_key, comment_content="you idiot"))
    assert by_key.get_data(as_text=True) == "true"
    # Its site reports it: filed as toxic, the risk it was answered for.
    client.post("/1.1/submit-spam", data=form(toxic_key, comment_content="you idiot"))
    assert db.session.scalar(sa.select(SiteLabel.label)) == "toxic"


def test_honeypot_and_failures(client: FlaskClient, key: str) -> None:
    trapped = client.post("/1.1/comment-check", data=form(key, comment_content=CLEAN,
                                                           honeypot_field_name="hp", hp="filled"))
    assert trapped.get_data(as_text=True) == "true" and trapped.headers["X-akismet-pro-tip"] == "discard"
    failed = client.post("/1.1/comment-check", data=form(key, comment_content="explode"))
    assert failed.status_code == 503 and "X-akismet-error" in failed.headers
    assert db.session.scalar(sa.select(CheckedComment.spam).order_by(CheckedComment.id.desc()).limit(1)) is None


@pytest.mark.parametrize("missing", ["api_key", "blog", "user_ip"])
def test_missing_fields_are_400_with_an_akismet_error(client: FlaskClient, key: str, missing: str) -> None:
    data = form(key, comment_content=CLEAN)
    del data[missing]
    response = client.post("/1.1/comment-check", data=data)
    assert response.status_code == 400
    assert response.headers["X-akismet-error"] == f"Missing required field: {missing}."


def test_verify_key_answers(client: FlaskClient, key: str) -> None:
    assert client.post("/1.1/verify-key", data={"key": key, "blog": SITE}).get_data(as_text=True) == "valid"
    assert client.post("/1.1/verify-key", data={"api_key": key, "blog": SITE + "/news/"}).get_data(as_text=True) == "valid"
    wrong = client.post("/1.1/verify-key", data={"key": key, "blog": "not a url"})
    assert wrong.get_data(as_text=True) == "invalid" and "X-akismet-debug-help" in wrong.headers
    assert client.post("/1.1/verify-key", data={"blog": SITE}).status_code == 400


def test_unmatched_report_is_stored_and_test_reports_are_not(client: FlaskClient, key: str) -> None:
    ok = client.post("/1.1/submit-spam", data=form(key, comment_content="never checked", comment_author="X"))
    assert ok.get_data(as_text=True) == "Thanks for making the web a better place."
    client.post("/1.1/submit-ham", data=form(key, comment_content="a test", is_test="true"))
    assert client.post("/1.1/submit-ham", data=form(key)).get_data(as_text=True) == ok.get_data(as_text=True)
    rows = db.session.execute(sa.select(CheckedComment.text, CheckedComment.checked, SiteLabel.label)
                              .join(SiteLabel, SiteLabel.checked_comment_id == CheckedComment.id)).all()
    assert rows == [("never checked", False, "spam")]


def test_revoked_key_is_invalid_and_checks_are_csrf_exempt(app: Flask, client: FlaskClient) -> None:
    row, key = create_key(SITE)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/1.1/comment-check", data=form(key, comment_content=CLEAN)).get_data(as_text=True) == "false"
    from moderation.sites.api_keys import revoke

    revoke(row.id)
    assert client.post("/1.1/comment-check", data=form(key, comment_content=CLEAN)).get_data(as_text=True) == "invalid"


def test_rate_limit_is_per_key(tmp_path) -> None:
    with limited_app(tmp_path, AKISMET_RATE_LIMIT="2 per minute") as (client, _):
        first, second = create_key(SITE)[1], create_key(SITE)[1]
        for _ in range(2):
            assert client.post("/1.1/comment-check", data=form(first, comment_content=CLEAN)).status_code == 200
        limited = client.post("/1.1/comment-check", data=form(first, comment_content=CLEAN))
        assert limited.status_code == 429 and "X-akismet-error" in limited.headers
        assert client.post("/1.1/comment-check", data=form(second, comment_content=CLEAN)).status_code == 200


def test_cli_creates_a_key_printed_last_and_stored_hashed(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["create-api-key", "https://www.Example.org/blog/"])
    assert result.exit_code == 0, result.output
    key = result.output.split()[-1]
    row = db.session.scalar(sa.select(ApiKey))
    assert row.site_url == "https://www.example.org" and key not in row.key_hash and len(row.key_hash) == 64
    assert app.test_cli_runner().invoke(args=["create-api-key", "ftp://x"]).exit_code != 0


def test_admin_page_creates_shows_once_lists_and_revokes(client: FlaskClient, admin: Moderator,
                                                         moderator: Moderator) -> None:
    from tests.conftest import csrf_token

    login(client, moderator.email)
    assert client.get("/admin/api-keys").status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/moderation/")})
    login(client, admin.email)
    bad = client.post("/admin/api-keys", data={"site_url": "nonsense", "csrf_token": csrf_token(client, "/admin/api-keys")})
    assert bad.status_code == 400 and "http://" in bad.get_data(as_text=True)
    page = client.post("/admin/api-keys", data={"site_url": SITE, "csrf_token": csrf_token(client, "/admin/api-keys")})
    html = page.get_data(as_text=True)
    shown = html.split('<code class="api-key">')[1].split("<")[0]
    assert client.post("/1.1/verify-key", data={"key": shown, "blog": SITE}).get_data(as_text=True) == "valid"
    listing = client.get("/admin/api-keys").get_data(as_text=True)
    assert shown not in listing and f"{shown[:6]}…" in listing
    row = db.session.scalar(sa.select(ApiKey))
    no_token = client.post(f"/admin/api-keys/{row.id}/revoke")
    assert no_token.status_code == 400
    client.post(f"/admin/api-keys/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/admin/api-keys")})
    assert client.post("/1.1/verify-key", data={"key": shown, "blog": SITE}).get_data(as_text=True) == "invalid"


def test_real_client_with_the_shipped_model(tmp_path) -> None:
    """The same questions answered by the shipped default model rather than the stub."""
    from moderation.model.store import seed
    from tests.conftest import make_app

    app = make_app(tmp_path)
    with app.app_context():
        seed()  # the shipped model into the database, as init-db does
        key = create_key(SITE)[1]
        with client_for(app, key) as akismet_client:
            spam = akismet_client.comment_check(
                "203.0.113.9", comment_content="Buy cheap viagra pills now!!! Click http://pills.example.com for "
                                               "free money, best casino bonus, subscribe to my channel")
            ham = akismet_client.comment_check("203.0.113.9", comment_content=CLEAN)
        assert spam in (akismet.CheckResponse.SPAM, akismet.CheckResponse.DISCARD)
        assert ham == akismet.CheckResponse.HAM
        db.session.remove()
