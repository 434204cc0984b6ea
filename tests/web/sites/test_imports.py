"""``import-comments``: threads and statuses land in the database, twice without duplicates, labels reach training."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.comments.submit import hash_ip
from moderation.extensions import db
from moderation.models import Article, Comment, ImportedComment, Moderator, Status
from moderation.queue.decisions import decide, training_examples
from tests.conftest import login

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["import-comments", *args])
    assert result.exit_code == 0, result.output
    return result.output


def comments_by_text(slug: str) -> dict[str, Comment]:
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    assert article is not None, slug
    return {c.text[:20]: c for c in db.session.scalars(
        sa.select(Comment).where(Comment.article_id == article.id))}


def test_wordpress_import_keeps_threads_statuses_and_authors(app: Flask) -> None:
    output = run(app, "wxr", str(DATA / "wordpress.xml"))
    assert "Articles: 2 created, 0 already here." in output
    assert "Imported 6 comments: 1 pending, 3 published, 1 rejected, 1 spam." in output
    assert "Attached to the top level (parent missing): 1." in output
    assert "pingback 1" in output and "empty 1" in output and "duplicate in the file 1" in output
    by_text = comments_by_text("council-approves-tram")
    top = by_text["Finally! The café ow"]
    reply = by_text["The depot is the exp"]
    third = by_text["Both of you are righ"]
    assert (top.parent_id, reply.parent_id, third.parent_id) == (None, top.id, reply.id)
    assert (top.depth, reply.depth, third.depth) == (1, 2, 3)
    assert {c.status for c in by_text.values()} == {Status.PUBLISHED, Status.PENDING, Status.SPAM, Status.REJECTED}
    assert by_text["You are all idiots."].status == Status.REJECTED
    assert by_text["Replying to a commen"].parent_id is None
    assert top.author == "Ann Reader" and top.email == "ann@example.org" and top.url == "https://ann.example.org"
    assert top.ip_hash == hash_ip("203.0.113.1") and "203.0.113.1" not in top.ip_hash
    assert top.created_at.isoformat() == "2024-03-04T09:00:00"
    assert top.route_rule == "import.wxr" and top.routed_status == Status.PUBLISHED
    assert top.scores is not None and top.model_version == "stub-1"  # scored, but the status is the old site's
    spam = by_text["Buy cheap pills now "]
    assert spam.status == Status.SPAM and "WordPress, where it was spam" in spam.route_reason


def test_importing_twice_adds_nothing_and_says_so(app: Flask) -> None:
    for origin, name in (("wxr", "wordpress.xml"), ("disqus", "disqus.xml")):
        run(app, origin, str(DATA / name))
        count = db.session.scalar(sa.select(sa.func.count(Comment.id)))
        output = run(app, origin, str(DATA / name))
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == count
        assert "Imported 0 comments." in output and "imported before" in output
        assert "0 created" in output
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 6 + 7
    assert db.session.scalar(sa.select(sa.func.count(ImportedComment.id))) == 6 + 7


def test_disqus_import_keeps_threads_and_statuses(app: Flask) -> None:
    output = run(app, "disqus", str(DATA / "disqus.xml"))
    assert "Imported 7 comments: 1 pending, 4 published, 1 rejected, 1 spam." in output
    assert "thread not in the file 1" in output
    by_text = comments_by_text("harbour-bridge-closes")
    first, second, third = (by_text["How long will it be "], by_text["Six weeks, says the "],
                            by_text["Three deep: the ferr"])
    assert (second.parent_id, third.parent_id, third.depth) == (first.id, second.id, 3)
    assert by_text["Cheap flights! Visit"].status == Status.SPAM
    assert by_text["Removed by a moderat"].status == Status.REJECTED
    letters = comments_by_text("letters-the-bridge-again")
    assert letters["Waiting for approval"].status == Status.PENDING
    assert letters["My parent was never "].parent_id is None
    assert db.session.scalar(sa.select(Article.comments_open).where(Article.slug == "letters-the-bridge-again")) is False


def test_a_reply_to_a_comment_imported_earlier_finds_its_parent(app: Flask, tmp_path: Path) -> None:
    raw = (DATA / "disqus.xml").read_text()
    first_half = raw.replace('<post dsq:id="7003">', '<post dsq:id="x7003">')  # leave the reply out under another id
    (tmp_path / "a.xml").write_text(first_half)
    run(app, "disqus", str(tmp_path / "a.xml"))
    only_reply = raw.split("<!-- Posts")[0] + raw[raw.index('<post dsq:id="7003">'):raw.index('<post dsq:id="7001">')]
    (tmp_path / "b.xml").write_text(only_reply + "</disqus>")
    output = run(app, "disqus", str(tmp_path / "b.xml"))
    assert "Imported 1 comment: 1 published." in output and "parent missing" not in output
    by_text = comments_by_text("harbour-bridge-closes")
    assert by_text["Three deep: the ferr"].parent_id == by_text["Six weeks, says the "].id


def test_threads_deeper_than_the_site_allows_attach_higher(app: Flask) -> None:
    app.config["COMMENT_MAX_DEPTH"] = 2
    output = run(app, "disqus", str(DATA / "disqus.xml"))
    assert "nested deeper than the site allows): 1." in output
    by_text = comments_by_text("harbour-bridge-closes")
    assert by_text["Three deep: the ferr"].parent_id == by_text["How long will it be "].id
    assert max(c.depth for c in by_text.values()) == 2


def test_bad_files_fail_with_a_message_and_store_nothing(app: Flask, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>')
    result = app.test_cli_runner().invoke(args=["import-comments", "wxr", str(bomb)])
    assert result.exit_code == 1 and "DOCTYPE and ENTITY declarations are refused" in result.output
    result = app.test_cli_runner().invoke(args=["import-comments", "disqus", str(DATA / "wordpress.xml")])
    assert result.exit_code == 1 and "not a Disqus export" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 0


def test_labels_reach_training_apart_from_decisions(app: Flask, admin: Moderator, client: FlaskClient) -> None:
    run(app, "wxr", str(DATA / "wordpress.xml"))
    assert training_examples(10.0) == []  # no --labels, no labels
    output = run(app, "wxr", str(DATA / "wordpress.xml"), "--labels")  # added on a second run, nothing else
    assert "Training labels recorded (source import:wxr): 3 ok, 1 spam." in output
    output = run(app, "disqus", str(DATA / "disqus.xml"), "--labels")
    assert "Training labels recorded (source import:disqus): 4 ok, 1 spam." in output
    examples = training_examples(10.0)
    assert {e.source for e in examples} == {"import:wxr", "import:disqus"}
    assert all(e.weight == app.config["IMPORT_LABEL_WEIGHT"] for e in examples)
    spam = next(e for e in examples if e.text.startswith("Buy cheap pills"))
    assert spam.labels == {"spam": True, "toxic": False}

    # A moderator's decision on an imported comment replaces its import label.
    comment = db.session.scalar(sa.select(Comment).where(Comment.text.startswith("Buy cheap pills")))
    decide(comment.id, "approve", admin, seen_status=Status.SPAM)
    examples = training_examples(10.0)
    assert [e.source for e in examples if e.text.startswith("Buy cheap pills")] == ["decisions"]
    assert len(examples) == 3 + 1 + 4 + 1

    login(client, admin.email)
    page = client.get("/admin/model").get_data(as_text=True)
    # Counted by source and kind (fine, spam, toxic, waiting): the spam label became the moderator's "fine".
    assert "<tr><td>import:wxr</td><td>3</td><td>0</td><td>0</td><td>0</td></tr>" in page
    assert "<tr><td>import:disqus</td><td>4</td><td>1</td><td>0</td><td>0</td></tr>" in page
    assert "<tr><td>decisions</td><td>1</td><td>0</td><td>0</td><td>0</td></tr>" in page


def test_an_id_too_long_for_the_column_is_skipped_not_cut(app: Flask, tmp_path: Path) -> None:
    raw = (DATA / "disqus.xml").read_text().replace('dsq:id="7004"', f'dsq:id="{"7" * 301}"')
    (tmp_path / "long.xml").write_text(raw)
    output = run(app, "disqus", str(tmp_path / "long.xml"))
    assert "Imported 6 comments" in output and "id longer than 300 characters 1" in output


def test_a_wordpress_com_export_with_the_https_namespace_imports_with_its_threads(
        app: Flask, client: FlaskClient) -> None:
    output = run(app, "wxr", str(DATA / "wordpress-com.xml"))
    assert "Articles: 1 created" in output and "Imported 5 comments: 4 published, 1 spam." in output
    assert "item not a published post (nav_menu_item, publish) 1" in output
    by_text = comments_by_text("ferry-timetable-changes")
    first, second, third = (by_text["Depth 01: has anyone"], by_text["Reply depth 02: they"],
                            by_text["Depth 03, the author"])
    assert (first.parent_id, second.parent_id, third.parent_id) == (None, first.id, second.id)
    assert first.author == "John Κώστας Doe Τάδε" and first.ip_hash == ""
    assert by_text["The 6:40 is too earl"].text == ("The 6:40 is too early for the school run.\n\n"
                                                   "Could the council ask again (https://council.example.org/ferry)?")
    page = client.get("/articles/ferry-timetable-changes").get_data(as_text=True)
    assert page.index("Depth 01") < page.index("Reply depth 02") < page.index("Depth 03")
    assert "Cheap ferry tickets" not in page


def test_comment_ids_repeated_under_another_post_are_imported_under_each(app: Flask) -> None:
    output = run(app, "wxr", str(DATA / "isso-wordpress.xml"))
    assert "Imported 4 comments: 4 published." in output and "duplicate" not in output
    market = comments_by_text("market-day")
    assert market["Will the fish van st"].parent_id == market["Saturday suits us be"].id
    other = comments_by_text("p-4")
    assert other["A reply to the first"].parent_id == other["First on this one."].id
    assert "Imported 0 comments" in run(app, "wxr", str(DATA / "isso-wordpress.xml"))  # twice adds nothing


def test_a_deleted_disqus_parent_keeps_its_reply_threaded(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    raw = (DATA / "disqus.xml").read_text().replace("</disqus>", """
  <post dsq:id="7010"><id/><message><![CDATA[]]></message><createdAt>2024-03-10T12:00:00Z</createdAt>
    <isDeleted>true</isDeleted><isSpam>false</isSpam>
    <author><email>gone@example.org</email><name>Gone</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>203.0.113.10</ipAddress><thread dsq:id="5001"/></post>
  <post dsq:id="7011"><id/><message><![CDATA[<p>Replying to something since deleted.</p>]]></message>
    <createdAt>2024-03-10T13:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email>keeps@example.org</email><name>Keeps</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>203.0.113.11</ipAddress><thread dsq:id="5001"/><parent dsq:id="7010"/></post>
</disqus>""")
    (tmp_path / "deleted.xml").write_text(raw)
    output = run(app, "disqus", str(tmp_path / "deleted.xml"))
    assert "1 deleted, kept as a placeholder" in output
    assert "Attached to the top level (parent missing): 1." in output  # 7007's, as before: not the new reply
    ids = {row.external_id: row.comment for row in db.session.scalars(sa.select(ImportedComment))}
    placeholder, reply = ids["7010"], ids["7011"]
    assert reply.parent_id == placeholder.id and reply.depth == 2
    assert placeholder.deleted_at is not None and (placeholder.text, placeholder.author, placeholder.email) == (
        "", "", "")
    assert ids["7005"].deleted_at is None  # deleted without replies: kept as a rejected comment, as before
    page = client.get("/articles/harbour-bridge-closes").get_data(as_text=True)
    assert "Comment deleted" in page and "Replying to something since deleted." in page
