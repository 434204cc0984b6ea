"""Comment text to HTML: escaped, line breaks kept, links clickable and marked as user content.

Written by hand rather than with a sanitizer because comments are plain text,
not HTML: nothing a reader types is ever interpreted as markup. Only the URLs
we find become tags, and we build those tags ourselves.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from markupsafe import Markup, escape

from .policy import URL_RE

LINK_REL = "nofollow ugc noopener"
_TRAILING = ".,;:!?)]}'\""
_DISPLAY_MAX = 60


def link(href: str, label: str | None = None) -> Markup:
    """An outbound link a search engine will not credit and a new page cannot control."""
    if not href.lower().startswith(("http://", "https://")):
        href = "http://" + href
    return Markup('<a href="{}" rel="{}">{}</a>').format(href, LINK_REL, label or href)


def _split_trailing(url: str) -> tuple[str, str]:
    """Keep sentence punctuation out of a link: "see example.com." links example.com."""
    end = len(url)
    while end and url[end - 1] in _TRAILING:
        if url[end - 1] == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break
        end -= 1
    return url[:end], url[end:]


def _linkify(line: str) -> Markup:
    out = Markup()
    pos = 0
    for match in URL_RE.finditer(line):
        url, tail = _split_trailing(match.group())
        label = url if len(url) <= _DISPLAY_MAX else url[: _DISPLAY_MAX - 1] + "…"
        out += escape(line[pos : match.start()]) + link(url, label) + escape(tail)
        pos = match.end()
    return out + escape(line[pos:])


@lru_cache(maxsize=4096)
def comment_html(text: str) -> Markup:
    """Paragraphs for blank lines, <br> for single line breaks.

    Cached by text (a comment's text never changes once stored): rendering is
    about half the cost of an article page with 200 comments.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_linkify(line) for line in p.split("\n")))
        for p in paragraphs
    )


def highlight(text: str, terms: list[str]) -> Markup:
    """Comment text with the terms behind its score marked; the text is escaped piece by piece."""
    wanted = sorted({t for t in terms if t and len(t.strip()) > 1}, key=len, reverse=True)
    if not wanted:
        return comment_html(text)
    # Whole words only: the term "an" marks "an", not the middle of "want".
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in wanted) + r")(?!\w)", re.IGNORECASE)
    return marked(text, [m.span() for m in pattern.finditer(text)])


def marked(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """Text with the given character spans in <mark>, line breaks kept; overlapping spans keep the first."""
    out = Markup()
    pos = 0
    for start, end in sorted(spans):
        if start < pos or end <= start:
            continue
        out += escape(text[pos:start]) + Markup("<mark>{}</mark>").format(text[start:end])
        pos = end
    out += escape(text[pos:])
    return Markup("<p>{}</p>").format(Markup("<br>\n").join(out.split("\n")))
