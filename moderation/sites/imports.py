"""Importing the comments a site already has: WordPress (WXR) and Disqus XML exports.

Parsing is pure (bytes in, ``ParsedExport`` out) so odd files are tested
without a database; ``import_parsed`` then stores what was parsed. Imported
comments keep the status the old site gave them (its past decisions): they are
scored, when a model is active, only so the queue and exports show the scores,
never re-routed. Each one is remembered by its origin id
(``ImportedComment``), so importing the same file twice adds nothing.
"""
from __future__ import annotations

import codecs
import html
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.entities import html5
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import click
import sqlalchemy as sa
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Flask, current_app

from training.datasets import wxr_namespace

from ..comments import similarity
from ..comments.articles import slugify
from ..comments.submit import hash_ip
from ..comments.thread_cache import thread_changed
from ..extensions import db
from ..model.scoring import ScoringUnavailable, get_scorer
from ..models import Article, Comment, ImportedComment, ImportRun, Status, utcnow
from ..queue.decisions import given

Origin = Literal["wxr", "disqus"]
ORIGIN_NAMES: dict[str, str] = {"wxr": "WordPress", "disqus": "Disqus"}
#: The status an imported comment teaches, with ``--labels``: the old site's clear verdicts. What its removed
#: comments (WordPress trash, Disqus deleted) teach depends on how the site used removal: ``--rejected-as``.
IMPORT_LABELS: dict[Status, str] = {Status.PUBLISHED: "ok", Status.SPAM: "spam"}
#: ``--rejected-as``: removed comments are toxic, or spam, or wait for a moderator's label ("review").
REJECTED_AS = ("toxic", "spam", "review")
#: The ``ImportedComment.external_id`` column: a longer id is skipped, never cut (two cut ids could collide).
EXTERNAL_ID_LENGTH = 300
#: Comments written to the database at a time: fewer round trips, bounded memory.
FLUSH_EVERY = 500


class ImportFormatError(ValueError):
    """The file as a whole cannot be imported (not XML, a DTD, not this kind of export)."""


@dataclass(frozen=True)
class ParsedPost:
    key: str
    slug: str
    title: str
    body: str
    published_at: datetime | None
    comments_open: bool


@dataclass(frozen=True)
class ParsedComment:
    external_id: str
    post_key: str
    parent_id: str | None
    author: str
    email: str
    url: str
    ip: str
    text: str
    created_at: datetime | None
    status: Status
    #: The status as the old site called it ("approved", "hold", "isSpam"), for the route reason.
    source_status: str
    #: A deleted comment kept only as the "comment deleted" placeholder its replies hang from (no text, no author).
    deleted: bool = False


@dataclass
class ParsedExport:
    origin: Origin
    posts: list[ParsedPost]
    comments: list[ParsedComment]
    #: reason -> count, for what the file holds but cannot become a comment.
    skipped: Counter[str] = field(default_factory=Counter)
    #: Notes on the file as a whole (bad bytes repaired).
    notes: list[str] = field(default_factory=list)


# --- reading the XML safely --------------------------------------------------------------

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
#: Named HTML entities are not XML: an export that uses them outside CDATA gets them as characters.
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
#: What "Latin-1" means on the web (the WHATWG encoding standard): Windows-1252's curly quotes included.
_ENCODING_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}


def decode_xml(raw: bytes) -> tuple[str, int]:
    """The file as text in its declared encoding (UTF-8 when none); bad bytes become U+FFFD and are counted.

    The XML declaration is removed, since the text is no longer in those bytes.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        raw = raw.removeprefix(codecs.BOM_UTF8)
        match = _ENCODING.match(raw)
        encoding = match.group(1).decode("ascii") if match else "utf-8"
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            encoding = "utf-8"
        encoding = _ENCODING_ALIASES.get(encoding, encoding)
    text = raw.decode(encoding, errors="replace")
    repaired = text.count("\ufffd") - raw.count("\ufffd".encode())
    return _DECLARATION.sub("", text, count=1), max(repaired, 0)


def _html_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group()
    char = html5.get(name + ";")
    return "".join(f"&#{ord(c)};" for c in char) if char else match.group()


def parse_xml(raw: bytes) -> tuple[Element, int]:
    """The root element and the count of repaired bytes; a DOCTYPE or ENTITY is refused.

    defusedxml refuses any DTD, wherever it hides (an entity declared in one can
    expand without bound or read local files); text in CDATA is just text.
    """
    text, repaired = decode_xml(raw)
    text = _ENTITY.sub(_html_entity, text)
    try:
        return fromstring(text, forbid_dtd=True), repaired
    except DefusedXmlException as exc:
        raise ImportFormatError("DOCTYPE and ENTITY declarations are refused (they can expand without bound)") from exc
    except ParseError as exc:
        raise ImportFormatError(f"not well-formed XML: {exc}") from exc


class _TextExtractor(HTMLParser):
    """Comment HTML as the plain text this app stores: paragraphs and line breaks kept, links as text and URL."""

    _BLOCKS = {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._link_start: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._link_start.append(len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._href:
            href, start = self._href.pop(), self._link_start.pop()
            label = "".join(self.parts[start:]).strip()
            if href and href.startswith(("http://", "https://")) and href not in label:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_BREAK = re.compile(r"<br\s*/?>[ \t]*\n?", re.IGNORECASE)


def html_to_text(markup: str | None) -> str:
    """WordPress and Disqus store comments as HTML; this app stores what a reader would read."""
    if not markup:
        return ""
    parser = _TextExtractor()
    # WordPress shows a bare newline as a line break, so "<br />" and the newline after it are one break.
    parser.feed(_BREAK.sub("\n", markup.replace("\r\n", "\n")))
    parser.close()
    paragraphs = re.split(r"\n\s*\n", "".join(parser.parts))
    cleaned = ("\n".join(" ".join(line.split()) for line in p.strip().split("\n")) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p).replace("\x00", "")


def _plain(text: str | None, limit: int) -> str:
    """A one-line field (name, email, URL): entities decoded, whitespace collapsed, cut to the column."""
    return " ".join(html.unescape(text or "").replace("\x00", "").split())[:limit]


def _date(value: str | None) -> datetime | None:
    """Naive UTC, like every timestamp in the database; None for WordPress's "0000-00-00" and garbage."""
    text = (value or "").strip()
    if not text or text.startswith("0000"):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _slug(*candidates: str, fallback: str) -> str:
    """The first candidate that gives a slug; a title of only non-Latin letters gives none, so the id does."""
    for candidate in candidates:
        if candidate.strip() and slugify(candidate) != "article":
            return slugify(candidate)
    return fallback


# --- WordPress ---------------------------------------------------------------------------

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
WXR_STATUSES: dict[str, tuple[Status, str]] = {
    "1": (Status.PUBLISHED, "approved"),
    "0": (Status.PENDING, "hold"),
    "spam": (Status.SPAM, "spam"),
    "trash": (Status.REJECTED, "trash"),
    "post-trashed": (Status.REJECTED, "trash"),
}
_POST_TYPES = ("post", "page")


def _link_slug(link: str) -> str:
    """The slug an item's link names: its last path segment, or ``p-4`` for WordPress's ``?p=4``."""
    parts = urlsplit(link)
    segments = [s for s in parts.path.split("/") if s]
    if segments and not segments[-1].isdigit():
        return unquote(segments[-1]).rsplit(".", 1)[0]
    query = dict(p.partition("=")[::2] for p in parts.query.split("&") if p)
    return f"p-{query['p']}" if query.get("p") else ""


def parse_wxr(raw: bytes) -> ParsedExport:
    """Posts and their comments from a WordPress export (Tools → Export, WXR 1.0 to 1.2, http or https namespace)."""
    root, repaired = parse_xml(raw)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ImportFormatError("not a WordPress export (no <rss><channel>)")
    wp = wxr_namespace(root)
    if wp is None:
        raise ImportFormatError("not a WordPress export (no element in the wp namespace, "
                                "http(s)://wordpress.org/export/1.0/ to 1.2/)")
    site = (channel.findtext(f"{wp}base_blog_url") or channel.findtext(f"{wp}base_site_url")
            or channel.findtext("link") or "").strip().rstrip("/")
    parsed = ParsedExport("wxr", [], [])
    if repaired:
        parsed.notes.append(f"{repaired} invalid bytes replaced by U+FFFD")
    seen_posts: set[str] = set()
    claimed: set[str] = set()
    for position, item in enumerate(channel.iter("item"), 1):
        post_id = (item.findtext(f"{wp}post_id") or "").strip()
        comments = item.findall(f"{wp}comment")
        post_type = (item.findtext(f"{wp}post_type") or "post").strip()
        status = (item.findtext(f"{wp}status") or "publish").strip()
        if post_type not in _POST_TYPES or status != "publish":
            parsed.skipped[f"item not a published post ({post_type}, {status})"] += 1
            parsed.skipped["comment on an item not imported"] += len(comments)
            continue
        title = _plain(item.findtext("title"), 300) or f"Post {post_id or position}"
        link = (item.findtext("link") or "").strip()
        slug = _slug(unquote(item.findtext(f"{wp}post_name") or ""), _link_slug(link), title,
                     fallback=f"post-{post_id or position}")
        key = post_id or link or slug
        if key in seen_posts:
            parsed.skipped["post listed twice in the file"] += 1
        else:
            seen_posts.add(key)
            parsed.posts.append(ParsedPost(
                key=key, slug=slug, title=title,
                body=html_to_text(item.findtext(_CONTENT)),
                published_at=_date(item.findtext(f"{wp}post_date_gmt")) or _date(item.findtext(f"{wp}post_date")),
                comments_open=(item.findtext(f"{wp}comment_status") or "open").strip() == "open",
            ))
        _wxr_comments(comments, wp, site, key, parsed, claimed)
    return parsed


def _wxr_comments(comments: list[Element], wp: str, site: str, post_key: str, parsed: ParsedExport,
                  claimed: set[str]) -> None:
    """One post's comments; a reply names its parent by the id it has in this post.

    Comment ids are unique in a WordPress site, so ``site#id`` names a comment
    across imports. Files written by other tools (Isso's WordPress test file)
    repeat an id under another post: there it is a different comment, imported
    under that post as ``site#post#id``, and its replies find it by the id they
    name, looked up in their own post first.
    """
    local: dict[str, str] = {}
    accepted: list[tuple[str, Element, str]] = []
    for comment in comments:
        def text(name: str, comment: Element = comment) -> str:
            return comment.findtext(f"{wp}{name}") or ""

        comment_id = text("comment_id").strip()
        kind = text("comment_type").strip()
        body = html_to_text(text("comment_content"))
        if kind in ("pingback", "trackback"):
            parsed.skipped[kind] += 1
        elif not comment_id:
            parsed.skipped["no comment id"] += 1
        elif comment_id in local:
            parsed.skipped["duplicate in the file"] += 1
        elif text("comment_approved").strip() not in WXR_STATUSES:
            parsed.skipped[f"unknown status {text('comment_approved').strip()[:20]!r}"] += 1
        elif not body:
            parsed.skipped["empty"] += 1
        else:
            external = f"{site}#{comment_id}"
            if external in claimed:
                external = f"{site}#{post_key}#{comment_id}"
            claimed.add(external)
            local[comment_id] = external
            accepted.append((external, comment, body))
    for external, comment, body in accepted:
        def field(name: str, comment: Element = comment) -> str:
            return comment.findtext(f"{wp}{name}") or ""

        parent = field("comment_parent").strip()
        status, source_status = WXR_STATUSES[field("comment_approved").strip()]
        parsed.comments.append(ParsedComment(
            external_id=external, post_key=post_key,
            parent_id=local.get(parent, f"{site}#{parent}") if parent not in ("", "0") else None,
            author=_plain(field("comment_author"), 100) or "Anonymous",
            email=_plain(field("comment_author_email"), 254).lower(),
            url=_plain(field("comment_author_url"), 200), ip=_plain(field("comment_author_IP"), 64),
            text=body, created_at=_date(field("comment_date_gmt")) or _date(field("comment_date")),
            status=status, source_status=source_status,
        ))


# --- Disqus ------------------------------------------------------------------------------

_DSQ = "{http://disqus.com}"
_DSQ_ID = "{http://disqus.com/disqus-internals}id"


def _flag(element: Element, name: str, default: bool = False) -> bool:
    value = (element.findtext(f"{_DSQ}{name}") or "").strip().lower()
    return value == "true" if value else default


def _thread_slug(link: str, title: str, thread_id: str) -> str:
    """The last path segment of the article's URL (usually the CMS's own slug), else its title."""
    segments = [s for s in urlsplit(link).path.split("/") if s]
    last = unquote(segments[-1]).rsplit(".", 1)[0] if segments else ""
    return _slug("" if last.isdigit() else last, title, fallback=f"thread-{thread_id}")


def disqus_status(element: Element) -> tuple[Status, str]:
    """Deleted wins over spam (a moderator removed it), then spam, then not yet approved."""
    if _flag(element, "isDeleted"):
        return Status.REJECTED, "isDeleted"
    if _flag(element, "isSpam"):
        return Status.SPAM, "isSpam"
    if not _flag(element, "isApproved", default=True):
        return Status.PENDING, "not isApproved"
    return Status.PUBLISHED, "approved"


def parse_disqus(raw: bytes) -> ParsedExport:
    """Threads and posts from a Disqus export (Admin → Community → Export): flat, linked by ``dsq:id``."""
    root, repaired = parse_xml(raw)
    if root.tag != f"{_DSQ}disqus":
        raise ImportFormatError("not a Disqus export (the root is not <disqus xmlns=\"http://disqus.com\">)")
    parsed = ParsedExport("disqus", [], [])
    if repaired:
        parsed.notes.append(f"{repaired} invalid bytes replaced by U+FFFD")
    threads: set[str] = set()
    for thread in root.findall(f"{_DSQ}thread"):
        thread_id = (thread.get(_DSQ_ID) or "").strip()
        if not thread_id or thread_id in threads:
            parsed.skipped["thread without id or listed twice"] += 1
            continue
        threads.add(thread_id)
        title = _plain(thread.findtext(f"{_DSQ}title"), 300)
        link = (thread.findtext(f"{_DSQ}link") or "").strip()
        parsed.posts.append(ParsedPost(
            key=thread_id, slug=_thread_slug(link, title, thread_id), title=title or link[:300] or f"Thread {thread_id}",
            body=html_to_text(thread.findtext(f"{_DSQ}message")),
            published_at=_date(thread.findtext(f"{_DSQ}createdAt")), comments_open=not _flag(thread, "isClosed"),
        ))
    seen: set[str] = set()
    posts = root.findall(f"{_DSQ}post")
    # A deleted post that others replied to stays as a placeholder, as Isso imports it: its replies keep their place.
    replied_to = {_ref(post, "parent") for post in posts}
    for post in posts:
        post_id = (post.get(_DSQ_ID) or "").strip()
        thread_id = _ref(post, "thread")
        parent = _ref(post, "parent")
        placeholder = _flag(post, "isDeleted") and post_id in replied_to
        body = "" if placeholder else html_to_text(post.findtext(f"{_DSQ}message"))
        author = post.find(f"{_DSQ}author")

        def who(name: str, limit: int, author: Element | None = author) -> str:
            return _plain(author.findtext(f"{_DSQ}{name}") if author is not None else "", limit)

        if not post_id:
            parsed.skipped["no dsq:id"] += 1
        elif post_id in seen:
            parsed.skipped["duplicate in the file"] += 1
        elif thread_id not in threads:
            parsed.skipped["thread not in the file"] += 1
        elif not body and not placeholder:
            parsed.skipped["empty"] += 1
        else:
            seen.add(post_id)
            status, source_status = disqus_status(post)
            parsed.comments.append(ParsedComment(
                external_id=post_id, post_key=thread_id, parent_id=parent or None,
                author="" if placeholder else who("name", 100) or who("username", 100) or "Anonymous",
                email="" if placeholder else who("email", 254).lower(), url="",
                ip="" if placeholder else _plain(post.findtext(f"{_DSQ}ipAddress"), 64), text=body,
                created_at=_date(post.findtext(f"{_DSQ}createdAt")), status=status, source_status=source_status,
                deleted=placeholder,
            ))
    return parsed


def _ref(post: Element, name: str) -> str:
    """The ``dsq:id`` a post's ``<thread>`` or ``<parent>`` names, or ""."""
    ref = post.find(f"{_DSQ}{name}")
    return (ref.get(_DSQ_ID) or "").strip() if ref is not None else ""


PARSERS = {"wxr": parse_wxr, "disqus": parse_disqus}


def parents_first(comments: list[ParsedComment]) -> tuple[list[ParsedComment], int]:
    """The comments ordered so every parent comes before its replies, and how many loops were cut.

    A reply may come before its parent in a file; a parent chain that loops
    back on itself (a corrupt export) is cut, and its first comment becomes top level.
    """
    by_id = {c.external_id: c for c in comments}
    placed: set[str] = set()
    ordered: list[ParsedComment] = []
    remaining = sorted(comments, key=lambda c: (c.created_at or datetime.max, c.external_id))
    cut = 0
    while remaining:
        waiting = []
        for c in remaining:
            if c.parent_id is None or c.parent_id not in by_id or c.parent_id in placed:
                ordered.append(c)
                placed.add(c.external_id)
            else:
                waiting.append(c)
        if len(waiting) == len(remaining):  # only loops are left: cut one and go on
            waiting[0] = replace(waiting[0], parent_id=None)
            cut += 1
        remaining = waiting
    return ordered, cut


# --- storing -----------------------------------------------------------------------------

@dataclass
class ImportReport:
    origin: str
    articles_created: int = 0
    articles_existing: int = 0
    imported: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    #: Replies whose parent is neither in the file nor imported before: stored as top-level comments.
    orphans: int = 0
    #: Replies nested deeper than COMMENT_MAX_DEPTH: attached to the deepest allowed ancestor.
    flattened: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    #: What removed comments were labelled as (``--rejected-as``), or None.
    rejected_as: str | None = None
    scored: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the command prints: counts first, then every reason something was skipped or changed."""
        total = sum(self.imported.values())
        out = [f"Articles: {self.articles_created} created, {self.articles_existing} already here.",
               f"Imported {total} comment{'' if total == 1 else 's'}"
               + (": " + ", ".join(f"{n} {s}" for s, n in sorted(self.imported.items())) if total else "") + "."]
        if self.orphans:
            out.append(f"Attached to the top level (parent missing): {self.orphans}.")
        if self.flattened:
            out.append(f"Attached higher up (nested deeper than the site allows): {self.flattened}.")
        taught = {label: n for label, n in self.labels.items() if label != "review"}
        if taught:
            out.append("Training labels recorded (source import:" + self.origin + "): "
                       + ", ".join(f"{n} {label}" for label, n in sorted(taught.items()))
                       + (f" (removed comments as {self.rejected_as})"
                          if self.rejected_as in taught else "") + ".")
        if self.labels["review"]:
            out.append(f"Removed comments waiting for a moderator's label (queue tab To label): "
                       f"{self.labels['review']}.")
        if total:
            out.append(f"Scored by the active model (status kept): {self.scored} of {total}.")
        skipped = sum(self.skipped.values())
        out.append(f"Skipped {skipped}" + (": " + "; ".join(f"{reason} {n}" for reason, n in
                                                            sorted(self.skipped.items())) if skipped else "") + ".")
        return out + [f"Note: {note}." for note in self.notes]


def _article(post: ParsedPost, report: ImportReport) -> Article:
    """The article with the post's slug, created when missing; an existing one is left as it is."""
    slug = post.slug[:200]
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is not None:
        report.articles_existing += 1
        return article
    article = Article(slug=slug, title=post.title, body=post.body, comments_open=post.comments_open,
                      published_at=post.published_at or utcnow())
    db.session.add(article)
    db.session.flush()
    report.articles_created += 1
    return article


def _scores(texts: list[str], enabled: bool) -> tuple[str | None, list[dict[str, float] | None]]:
    """Scores only, one model call per batch (explanations would cost ten times more); none without a model."""
    if not enabled or not texts:
        return None, [None] * len(texts)
    try:
        version, scores = get_scorer().score_batch(texts)
    except ScoringUnavailable:
        return None, [None] * len(texts)
    return version, list(scores)


def import_parsed(parsed: ParsedExport, *, labels: bool = False, rejected_as: str | None = None,
                  score: bool = True, filename: str = "") -> ImportReport:
    """Store what was parsed: new articles, then comments parents first; all in one transaction.

    A comment imported before (same origin and id) is skipped; with ``labels``
    it still gets the label it lacked, so ``--labels`` can be added on a second run.
    With ``labels``, removed comments are labelled ``rejected_as`` (none when it is None); "review" ones
    wait in the queue's To label tab, near-duplicates grouped, so a wave takes one decision.
    """
    if rejected_as is not None and rejected_as not in REJECTED_AS:
        raise ValueError(f"rejected_as must be one of {', '.join(REJECTED_AS)}")
    verdicts = {**IMPORT_LABELS, **({Status.REJECTED: rejected_as} if rejected_as else {})} if labels else {}
    report = ImportReport(parsed.origin, skipped=Counter(parsed.skipped), notes=list(parsed.notes),
                          rejected_as=rejected_as if labels else None)
    run = ImportRun(origin=parsed.origin, filename=filename[:300], rejected_as=rejected_as if labels else None)
    db.session.add(run)
    articles = {post.key: _article(post, report) for post in parsed.posts}
    before = {row.external_id: row for row in db.session.scalars(
        sa.select(ImportedComment).where(ImportedComment.origin == parsed.origin))}
    ordered, cut = parents_first(parsed.comments)
    report.orphans += cut
    max_depth = current_app.config["COMMENT_MAX_DEPTH"]
    stored: dict[str, Comment] = {}
    to_group: list[Comment] = []
    version, scores = _scores([item.text for item in ordered if item.external_id not in before
                               and len(item.external_id) <= EXTERNAL_ID_LENGTH and not item.deleted], score)
    fresh = iter(scores)
    for item in ordered:
        if len(item.external_id) > EXTERNAL_ID_LENGTH:
            report.skipped["id longer than 300 characters"] += 1
            continue
        label = verdicts.get(item.status)
        previous = before.get(item.external_id)
        if previous is not None:
            report.skipped["imported before"] += 1
            if label and previous.label is None:
                previous.label, previous.run = label, run
                report.labels[label] += 1
            stored[item.external_id] = previous.comment
            continue
        article = articles[item.post_key]
        parent = None
        if item.parent_id:
            parent = stored.get(item.parent_id) or (before[item.parent_id].comment if item.parent_id in before else None)
        if item.parent_id and (parent is None or parent.article_id != article.id):
            parent = None
            report.orphans += 1
        if parent is not None and parent.depth >= max_depth:
            while parent.depth >= max_depth and parent.parent is not None:
                parent = parent.parent
            report.flattened += 1
        item_scores = None if item.deleted else next(fresh)
        report.scored += item_scores is not None
        comment = Comment(
            article_id=article.id, parent=parent, depth=parent.depth + 1 if parent else 1,
            author=item.author, email=item.email, url=item.url or None, text=item.text,
            ip_hash=hash_ip(item.ip) if item.ip else "", user_agent="",
            created_at=item.created_at or utcnow(), status=item.status, routed_status=item.status,
            route_rule=f"import.{parsed.origin}",
            route_reason=f"imported from {ORIGIN_NAMES[parsed.origin]}, where it was {item.source_status}",
            scores=item_scores, model_version=version if item_scores is not None else None,
            deleted_at=(item.created_at or utcnow()) if item.deleted else None,
        )
        db.session.add(comment)
        db.session.add(ImportedComment(origin=parsed.origin, external_id=item.external_id,
                                       comment=comment, label=label, run=run))
        if label == "review":
            to_group.append(comment)
        stored[item.external_id] = comment
        report.imported["deleted, kept as a placeholder" if item.deleted else item.status.value] += 1
        if sum(report.imported.values()) % FLUSH_EVERY == 0:
            db.session.flush()
        if label:
            report.labels[label] += 1
    db.session.flush()
    for comment in to_group:
        similarity.index(comment.id, similarity.near(comment.text))
    for article_id in {c.article_id for c in stored.values()}:
        thread_changed(article_id)
    run.comments, run.labels = sum(report.imported.values()), dict(report.labels)
    db.session.commit()
    if any(label != "review" for label in report.labels):
        given()
    return report


def import_file(origin: str, raw: bytes, *, labels: bool = False, rejected_as: str | None = None,
                score: bool = True, filename: str = "") -> ImportReport:
    if origin not in PARSERS:
        raise ImportFormatError(f"unknown format {origin!r}; use one of {', '.join(PARSERS)}")
    return import_parsed(PARSERS[origin](raw), labels=labels, rejected_as=rejected_as, score=score,
                         filename=filename)


def register_commands(app: Flask) -> None:
    @app.cli.command("import-comments")
    @click.argument("origin", type=click.Choice(sorted(PARSERS)))
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--labels", is_flag=True,
                  help="Record imported approved and spam comments as training labels (source import:FORMAT).")
    @click.option("--rejected-as", type=click.Choice(REJECTED_AS),
                  help="With --labels: what the old site's removed comments (trash, deleted) were: toxic, spam, "
                       "or review (a moderator labels them in the queue's To label tab).")
    @click.option("--no-scores", is_flag=True, help="Do not score imported comments (their status is kept anyway).")
    def import_comments(origin: str, path: Path, labels: bool, rejected_as: str | None, no_scores: bool) -> None:
        """Import a WordPress (wxr) or Disqus export's articles and comments; running it twice adds nothing."""
        if rejected_as and not labels:
            raise click.UsageError("--rejected-as says what removed comments teach: use it with --labels.")
        started = time.perf_counter()
        try:
            report = import_file(origin, path.read_bytes(), labels=labels, rejected_as=rejected_as,
                                 score=not no_scores, filename=path.name)
        except ImportFormatError as exc:
            raise click.ClickException(f"{path}: {exc}") from None
        for line in report.lines():
            click.echo(line)
        seconds = time.perf_counter() - started
        total = sum(report.imported.values())
        click.echo(f"Took {seconds:.1f} s ({total / seconds:,.0f} comments/s)." if total else
                   f"Took {seconds:.1f} s.")
