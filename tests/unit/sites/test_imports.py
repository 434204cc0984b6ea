"""Parsing exports without a database: odd encodings, entities, CDATA, threads, hostile XML."""
from __future__ import annotations

from pathlib import Path

import pytest

from moderation.models import Status
from moderation.sites.imports import (
    ImportFormatError,
    ParsedComment,
    decode_xml,
    html_to_text,
    parents_first,
    parse_disqus,
    parse_wxr,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def wxr(comments: str, encoding: str = "UTF-8", prolog: str = "") -> str:
    return f"""<?xml version="1.0" encoding="{encoding}"?>{prolog}
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><link>https://site.example</link><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Post</title><wp:post_id>1</wp:post_id><wp:post_name>post</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>{comments}</item></channel></rss>"""


def comment(cid: str, content: str, approved: str = "1", parent: str = "0", author: str = "A") -> str:
    return (f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author>{author}</wp:comment_author>"
            f"<wp:comment_content>{content}</wp:comment_content><wp:comment_approved>{approved}</wp:comment_approved>"
            f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>")


def test_wordpress_file_statuses_threads_and_reasons() -> None:
    parsed = parse_wxr((DATA / "wordpress.xml").read_bytes())
    assert [p.slug for p in parsed.posts] == ["council-approves-tram", "about"]
    assert parsed.posts[1].comments_open is False
    by_id = {c.external_id.rsplit("#", 1)[1]: c for c in parsed.comments}
    assert {k: c.status for k, c in by_id.items()} == {
        "1": Status.PUBLISHED, "2": Status.PUBLISHED, "3": Status.PENDING, "4": Status.SPAM,
        "5": Status.REJECTED, "6": Status.PUBLISHED}
    assert by_id["3"].parent_id == by_id["2"].external_id and by_id["2"].parent_id == by_id["1"].external_id
    assert by_id["1"].email == "ann@example.org"
    assert by_id["1"].text == "Finally! The café owners on Mill Street & the school will be glad.\nTen years late, though."
    assert by_id["2"].author == "René Müller"  # named HTML entity outside CDATA, numeric one too
    assert by_id["2"].text == "The depot is the expensive part — see the report (https://example.org/report)."
    assert parsed.skipped == {"pingback": 1, "empty": 1, "duplicate in the file": 1,
                              "item not a published post (attachment, inherit)": 1,
                              "item not a published post (post, draft)": 1, "comment on an item not imported": 1}


def test_disqus_file_statuses_threads_and_reasons() -> None:
    parsed = parse_disqus((DATA / "disqus.xml").read_bytes())
    assert [(p.slug, p.comments_open) for p in parsed.posts] == [
        ("harbour-bridge-closes", True), ("letters-the-bridge-again", False)]
    by_id = {c.external_id: c for c in parsed.comments}
    assert {k: c.status for k, c in by_id.items()} == {
        "7001": Status.PUBLISHED, "7002": Status.PUBLISHED, "7003": Status.PUBLISHED, "7004": Status.SPAM,
        "7005": Status.REJECTED, "7006": Status.PENDING, "7007": Status.PUBLISHED}
    assert (by_id["7003"].parent_id, by_id["7002"].parent_id) == ("7002", "7001")
    assert by_id["7001"].text == "How long will it be closed?\n\nMy commute & my kids' school run depend on it — seriously."
    assert by_id["7002"].author == "Guest Reader" and by_id["7002"].email == ""
    assert parsed.skipped == {"duplicate in the file": 1, "empty": 1, "thread not in the file": 1}


def test_latin1_declared_file_is_read_in_its_encoding() -> None:
    # 0xE9 is "é" in Latin-1; 0x93/0x94 are Windows-1252's curly quotes, which "Latin-1" files use.
    raw = wxr(comment("1", "Caf\xe9 \x93ouvert\x94", author="Ren\xe9")).encode("latin-1").replace(
        b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    parsed = parse_wxr(raw)
    assert parsed.comments[0].text == "Café “ouvert”"
    assert parsed.comments[0].author == "René"
    assert parsed.notes == []


def test_invalid_utf8_bytes_are_replaced_and_counted() -> None:
    raw = wxr(comment("1", "good \xff\xfe bytes".encode("latin-1").decode("latin-1"))).encode("utf-8")
    raw = raw.replace("\xff\xfe".encode(), b"\xff\xfe")
    parsed = parse_wxr(raw)
    assert parsed.comments[0].text == "good \ufffd\ufffd bytes"
    assert parsed.notes == ["2 invalid bytes replaced by U+FFFD"]


def test_cdata_and_entities() -> None:
    parsed = parse_wxr(wxr(comment("1", "<![CDATA[<p>x &lt; y &hellip;</p><p>&nbsp;two</p>]]>")
                           + comment("2", "5 &gt; 3 &amp;&amp; &eacute;t&eacute;")).encode())
    assert [c.text for c in parsed.comments] == ["x < y …\n\ntwo", "5 > 3 && été"]


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE rss [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    '<!-- <x --> <!DOCTYPE rss SYSTEM "file:///etc/passwd">',
])
def test_dtd_and_entities_are_refused(prolog: str) -> None:
    with pytest.raises(ImportFormatError, match="DOCTYPE"):
        parse_wxr(wxr(comment("1", "&b;"), prolog=prolog).encode())


@pytest.mark.parametrize("raw,message", [
    (b"", "not well-formed"), (b"<rss><channel>", "not well-formed"), (b"\x00\x01binary", "not well-formed"),
    (b"<html><body>hi</body></html>", "not a WordPress export"),
])
def test_unusable_files_say_why(raw: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        parse_wxr(raw)


def test_a_wordpress_file_is_not_a_disqus_export() -> None:
    with pytest.raises(ImportFormatError, match="not a Disqus export"):
        parse_disqus((DATA / "wordpress.xml").read_bytes())


def test_decode_xml_drops_the_declaration() -> None:
    text, repaired = decode_xml('<?xml version="1.0" encoding="utf-16"?><a>é</a>'.encode("utf-16"))
    assert (text, repaired) == ("<a>é</a>", 0)


def test_html_to_text_keeps_paragraphs_and_link_targets() -> None:
    assert html_to_text('<p>One<br />\ntwo</p><p>See <a href="https://x.example/a">this</a> '
                        '<a href="https://y.example">https://y.example</a></p><script>x</script>') == \
        "One\ntwo\n\nSee this (https://x.example/a) https://y.example\n\nx"


def _c(cid: str, parent: str | None) -> ParsedComment:
    return ParsedComment(cid, "p", parent, "a", "", "", "", "t", None, Status.PUBLISHED, "approved")


def test_parents_first_orders_replies_after_parents_and_cuts_loops() -> None:
    ordered, cut = parents_first([_c("3", "2"), _c("2", "1"), _c("1", None), _c("9", "404")])
    order = [c.external_id for c in ordered]
    assert order.index("1") < order.index("2") < order.index("3") and "9" in order and cut == 0
    ordered, cut = parents_first([_c("a", "b"), _c("b", "a")])
    assert sorted(c.external_id for c in ordered) == ["a", "b"] and cut == 1
    assert sum(c.parent_id is None for c in ordered) == 1


def test_a_post_without_latin_letters_in_its_name_gets_its_id_as_slug() -> None:
    raw = wxr(comment("1", "hi")).replace("<wp:post_name>post</wp:post_name>",
                                          "<wp:post_name>%e6%97%a5%e6%9c%ac</wp:post_name>")
    raw = raw.replace("<title>Post</title>", "<title>日本</title>")
    assert [p.slug for p in parse_wxr(raw.encode()).posts] == ["post-1"]


@pytest.mark.parametrize("namespace", [f"{scheme}://wordpress.org/export/{version}/"
                                       for scheme in ("http", "https") for version in ("1.0", "1.1", "1.2")])
def test_every_published_form_of_the_wp_namespace_is_a_wordpress_export(namespace: str) -> None:
    raw = wxr(comment("1", "Hello")).replace("http://wordpress.org/export/1.2/", namespace).encode()
    parsed = parse_wxr(raw)
    assert [c.text for c in parsed.comments] == ["Hello"] and [p.slug for p in parsed.posts] == ["post"]


def test_a_file_in_no_wp_namespace_is_refused_with_the_forms_named() -> None:
    raw = wxr(comment("1", "Hello")).replace("http://wordpress.org/export/1.2/", "http://example.org/export/").encode()
    with pytest.raises(ImportFormatError, match=r"http\(s\)://wordpress.org/export/1.0/ to 1.2/"):
        parse_wxr(raw)


def test_the_excerpt_namespace_is_not_taken_for_the_wp_one() -> None:
    raw = (DATA / "wordpress-com.xml").read_bytes()
    parsed = parse_wxr(raw)
    assert len(parsed.comments) == 5 and parsed.posts[0].slug == "ferry-timetable-changes"


def test_a_reply_names_its_parent_within_its_own_post() -> None:
    parsed = parse_wxr((DATA / "isso-wordpress.xml").read_bytes())
    by_text = {c.text: c for c in parsed.comments}
    # No site URL in this file, so ids are "#11"; the repeat is scoped by its post, here named by its link.
    assert by_text["First on this one."].external_id == "#http://example.tld/?p=4#11"
    assert by_text["A reply to the first one here."].parent_id == by_text["First on this one."].external_id
    assert by_text["Will the fish van still come?"].external_id == "#11"
    assert len({c.external_id for c in parsed.comments}) == 4


def test_a_deleted_disqus_post_with_replies_is_a_placeholder_without_text_or_author() -> None:
    raw = (DATA / "disqus.xml").read_text().replace("<message><![CDATA[<p>How long will it be closed?</p>",
                      "<isDeleted>true</isDeleted><message><![CDATA[<p>How long will it be closed?</p>")
    parsed = parse_disqus(raw.encode())
    first = next(c for c in parsed.comments if c.external_id == "7001")
    assert first.deleted and (first.text, first.author, first.email, first.ip) == ("", "", "", "")
    assert next(c for c in parsed.comments if c.external_id == "7002").parent_id == "7001"
