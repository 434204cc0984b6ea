"""The reader's path: reading an article, posting comments and replies, and every way a post can be refused."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.models import Article, Comment, Status
from tests.conftest import SHARED, csrf_token, limited_app, make_app, post_comment


def comments() -> list[Comment]:
    return list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))


def page(client: FlaskClient, article: Article, **params: object) -> str:
    return client.get(f"/articles/{article.slug}", query_string=params).get_data(as_text=True)


def test_article_page_shows_body_and_leave_a_reply(client: FlaskClient, article: Article) -> None:
    html = page(client, article)
    assert "<h1>Parliament votes on the budget</h1>" in html
    assert "<p>The vote was close.</p>" in html
    assert "Leave a Reply" in html
    assert 'name="comment"' in html and 'name="author"' in html and 'name="email"' in html
    assert 'name="url"' in html and 'name="comment_parent"' in html


def test_index_lists_articles_with_counts(client: FlaskClient, article: Article) -> None:
    post_comment(client, article)
    html = client.get("/").get_data(as_text=True)
    assert "Parliament votes on the budget" in html and "1 comment<" in html


def test_clean_comment_is_published_and_shown(client: FlaskClient, article: Article) -> None:
    response = post_comment(client, article, comment="Good reporting, thanks.")
    assert response.status_code == 302
    [c] = comments()
    assert response.headers["Location"].endswith(f"#comment-{c.id}")
    assert (c.status, c.route_rule, c.model_version) == (Status.PUBLISHED, "threshold.below_review", "stub-1")
    assert c.scores == {"spam": 0.05, "toxic": 0.05}
    html = page(client, article)
    assert "Good reporting, thanks." in html and "1 thought on" in html
    assert "ann@example.org" not in html  # the email is never shown


def test_held_comment_is_visible_only_to_its_author(app: Flask, client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="You idiot, read the bill.")
    [c] = comments()
    assert c.status == Status.PENDING
    mine = page(client, article)
    assert "You idiot, read the bill." in mine and "Your comment is awaiting moderation." in mine
    stranger = app.test_client()
    other = page(stranger, article)
    assert "You idiot" not in other and "awaiting moderation" not in other


def test_spam_goes_to_the_spam_folder_kept(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="spamword deals at http://x.example")
    [c] = comments()
    assert c.status == Status.SPAM and c.text == "spamword deals at http://x.example"
    assert "Your comment is awaiting moderation." in page(client, article)


def test_scoring_failure_holds_the_comment(client: FlaskClient, article: Article) -> None:
    response = post_comment(client, article, comment="This will explode the stub model.")
    assert response.status_code == 302
    [c] = comments()
    assert (c.status, c.route_rule, c.scores) == (Status.PENDING, "scoring.failed", None)


def test_no_model_at_all_holds_the_comment(tmp_path: Path) -> None:
    app = make_app(tmp_path, MODELS_DIR="no-models-here")
    app.extensions["moderation.scorer"].registry.root.joinpath("active").unlink(missing_ok=True)
    with app.app_context():
        a = Article(slug="a", title="A", body="Body.")
        db.session.add(a)
        db.session.commit()
        post_comment(app.test_client(), a, comment="Hello there.")
        [c] = comments()
        assert (c.status, c.route_rule) == (Status.PENDING, "scoring.failed")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"comment": ""}, "comment", "Please type a comment."),
        ({"comment": "   \n  "}, "comment", "This field cannot be only spaces."),
        ({"comment": "x" * 5001}, "comment", "Comments are limited to 5,000 characters."),
        ({"author": ""}, "author", "Please give a name."),
        ({"author": "n" * 101}, "author", "Names are limited to 100 characters."),
        ({"email": ""}, "email", "Please give an email address; it is never shown."),
        ({"email": "not-an-email"}, "email", "Please give a valid email address."),
        ({"url": "javascript:alert(1)"}, "url", "Please give a full web address"),
    ],
)
def test_validation_errors_keep_what_was_typed(client: FlaskClient, article: Article, fields, field, message) -> None:
    typed = {"comment": "My carefully written <b>point</b>", "author": "Ann & Co", "email": "ann@example.org",
             "url": "https://ann.example"}
    typed.update(fields)
    response = post_comment(client, article, **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert comments() == []
    for name, value in typed.items():
        if name != field and value:
            from markupsafe import escape
            assert str(escape(value)) in html, name


def test_csrf_is_required_and_the_text_survives(client: FlaskClient, article: Article) -> None:
    response = post_comment(client, article, comment="Written slowly, posted late.", csrf_token="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "form had expired" in html and "Written slowly, posted late." in html
    assert comments() == []


def test_honeypot_goes_to_spam(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="Nice!", website_confirm="http://bot.example")
    [c] = comments()
    assert (c.status, c.route_rule) == (Status.SPAM, "rule.honeypot")


def test_duplicate_is_refused_with_a_message(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="Same thing twice.")
    response = post_comment(client, article, comment="Same thing twice.")
    assert response.status_code == 400
    assert "already said that" in response.get_data(as_text=True)
    assert len(comments()) == 1


def test_duplicate_means_same_text_same_email_same_article(client: FlaskClient, article: Article) -> None:
    other = Article(slug="other", title="Another story", body="More.")
    db.session.add(other)
    db.session.commit()
    post_comment(client, article, comment="Great piece.")
    assert post_comment(client, article, comment="Great piece!").status_code == 302
    assert post_comment(client, article, comment="Great piece.", email="someone.else@example.org").status_code == 302
    assert post_comment(client, other, comment="Great piece.").status_code == 302
    assert post_comment(client, article, comment="  Great piece.\r\n").status_code == 400  # the same once tidied
    assert len(comments()) == 4


def test_closed_article_refuses_comments(client: FlaskClient, article: Article) -> None:
    article.comments_open = False
    db.session.commit()
    assert "Comments are closed." in page(client, article)
    token = csrf_token(client, "/auth/login")
    response = client.post(f"/articles/{article.slug}/comments",
                           data={"comment": "hi", "author": "A", "email": "a@example.org", "csrf_token": token})
    assert response.status_code == 400 and comments() == []


def test_hold_all_article_holds_clean_comments(client: FlaskClient, article: Article) -> None:
    article.hold_all = True
    db.session.commit()
    post_comment(client, article, comment="Perfectly civil.")
    assert comments()[0].route_rule == "rule.hold_all"


def test_xss_is_escaped_and_links_are_nofollow(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment='<script>alert(1)</script> see https://ok.example/x',
                 author='<img src=x onerror=alert(1)>', url="https://author.example")
    html = page(client, article)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert '<a href="https://ok.example/x" rel="nofollow ugc noopener">' in html
    assert '<a href="https://author.example" rel="nofollow ugc noopener">&lt;img src=x onerror=alert(1)&gt;</a>' in html


def test_replies_nest_and_stop_at_max_depth(app: Flask, client: FlaskClient, article: Article) -> None:
    app.config["COMMENT_MAX_DEPTH"] = 3
    parent_id = ""
    for level in range(1, 4):
        post_comment(client, article, comment=f"Level {level} says hi.", comment_parent=parent_id)
        parent_id = str(comments()[-1].id)
    depths = [c.depth for c in comments()]
    assert depths == [1, 2, 3]
    html = page(client, article)
    assert html.count('class="children"') == 2
    assert html.count('class="comment-reply-link"') == 2  # none under the deepest
    response = post_comment(client, article, comment="Too deep.", comment_parent=parent_id)
    assert response.status_code == 400 and "as deep as it can go" in response.get_data(as_text=True)


def test_reply_to_a_held_or_foreign_comment_is_refused(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="idiot take")
    held = comments()[0]
    response = post_comment(client, article, comment="replying", comment_parent=str(held.id))
    assert response.status_code == 400 and "not available" in response.get_data(as_text=True)
    response = post_comment(client, article, comment="replying", comment_parent="abc")
    assert response.status_code == 400


def test_replytocom_link_prefills_parent(client: FlaskClient, article: Article) -> None:
    post_comment(client, article, comment="Top level.")
    c = comments()[0]
    html = page(client, article, replytocom=c.id)
    assert f'id="comment_parent" name="comment_parent" type="hidden" value="{c.id}"' in html
    assert 'class="reply-to-author">Ann Reader<' in html


def test_comments_are_oldest_first_and_paginated(app: Flask, client: FlaskClient, article: Article) -> None:
    app.config["COMMENTS_PER_PAGE"] = 2
    for n in range(5):
        post_comment(client, article, comment=f"Comment number {n}.", email=f"r{n}@example.org")
    first = page(client, article)
    assert first.index("Comment number 0.") < first.index("Comment number 1.")
    assert "Comment number 2." not in first and "Page 1 of 3" in first
    assert "Comment number 4." in page(client, article, cpage=3)
    # The redirect after posting lands on the page where the new comment is.
    response = post_comment(client, article, comment="Comment number 5.", email="r5@example.org")
    assert "cpage=3" in response.headers["Location"]
    # A reply lands on its thread's page, however many pages came after it.
    first_comment = comments()[0]
    response = post_comment(client, article, comment="A reply to the first.", email="r6@example.org",
                            comment_parent=str(first_comment.id))
    assert response.headers["Location"].endswith(f"/articles/{article.slug}#comment-{comments()[-1].id}")


def test_remember_me_sets_cookies_only_with_consent(client: FlaskClient, article: Article) -> None:
    response = post_comment(client, article, comment="No consent.")
    assert not any(h.startswith("comment_author") for h in response.headers.getlist("Set-Cookie"))
    response = post_comment(client, article, comment="With consent.", remember="y", author="Bo")
    cookies = "\n".join(response.headers.getlist("Set-Cookie"))
    assert "comment_author=Bo" in cookies and "comment_author_email=ann@example.org" in cookies
    assert 'value="Bo"' in page(client, article)


def test_rate_limit_keeps_the_text(tmp_path: Path) -> None:
    with limited_app(tmp_path) as (client, a):
        for n in range(2):
            assert post_comment(client, a, comment=f"Post {n}.").status_code == 302
        response = post_comment(client, a, comment="The third, too fast.")
        assert response.status_code == 429
        html = response.get_data(as_text=True)
        assert "faster than we allow" in html and "The third, too fast." in html
        assert len(comments()) == 2


def test_oversized_request_is_a_413_with_a_message(client: FlaskClient, article: Article) -> None:
    response = client.post(f"/articles/{article.slug}/comments", data={"comment": "x" * 200_000})
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/articles/nope", "/articles/../../etc/passwd", "/nothing"])
def test_unknown_pages_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_security_headers(client: FlaskClient, article: Article) -> None:
    response = client.get(f"/articles/{article.slug}")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self' covers it
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.skipif(not (SHARED / "reference" / "seed-article.txt").exists(), reason="../shared not beside the repo")
def test_import_article_command(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["import-article", str(SHARED / "reference" / "seed-article.txt")])
    assert result.exit_code == 0, result.output
    slug = "syrian-leader-bashar-assad-meets-in-moscow-with-putin"
    html = client.get(f"/articles/{slug}").get_data(as_text=True)
    assert "<h1>Syrian Leader Bashar Assad Meets in Moscow with Putin</h1>" in html
    assert html.count("Leave a Reply") == 1  # the form heading, not body text
    assert "© 2006-2016 Mideast Time." in html.split("Leave a Reply")[1]
