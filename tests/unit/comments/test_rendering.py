from __future__ import annotations

from moderation.comments.rendering import comment_html, highlight


def test_script_is_text() -> None:
    html = comment_html('<script>alert("x")</script>')
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_line_breaks_and_paragraphs_kept() -> None:
    assert comment_html("one\ntwo\n\nthree") == "<p>one<br>\ntwo</p><p>three</p>"


def test_links_are_clickable_and_marked_user_content() -> None:
    html = comment_html("see https://example.org/a?b=1&c=2.")
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">' in html
    assert html.endswith("</a>.</p>")


def test_www_links_get_a_scheme() -> None:
    assert 'href="http://www.example.org"' in comment_html("www.example.org")


def test_hostile_url_cannot_break_out_of_the_attribute() -> None:
    html = comment_html('http://x.example/"onmouseover="alert(1)')
    assert 'onmouseover="' not in html
    assert comment_html("javascript:alert(1)") == "<p>javascript:alert(1)</p>"  # text, not a link


def test_long_links_are_shortened_for_display_only() -> None:
    url = "https://example.org/" + "a" * 100
    html = comment_html(url)
    assert f'href="{url}"' in html and "…</a>" in html


def test_highlight_marks_whole_words_only() -> None:
    html = str(highlight("Only an idiot would want <that>", ["an", "idiot"]))
    assert "<mark>an</mark> <mark>idiot</mark>" in html and "w<mark>" not in html and "&lt;that&gt;" in html
