"""Exporting every comment, so no site is locked in: JSON (everything this app knows) or WordPress WXR.

JSON carries each comment's status, thread, scores, route and decisions.
WXR is what WordPress, Disqus and most comment systems import; the statuses
map back to WordPress's (published → approved, pending → hold, spam → spam,
rejected → trash) and this app's scores and decisions ride along as
``wp:commentmeta``, which WordPress keeps. ``import-comments wxr`` reads it back
with the same threads and statuses.
"""
from __future__ import annotations

import html
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from ..extensions import db
from ..models import Article, Comment, Decision, ImportedComment, Status, utcnow

FORMAT_VERSION = "comment-moderation-export/1"
WXR_STATUS = {Status.PUBLISHED: "1", Status.PENDING: "0", Status.SPAM: "spam", Status.REJECTED: "trash"}
_NS = {"wp": "http://wordpress.org/export/1.2/", "content": "http://purl.org/rss/1.0/modules/content/",
       "dc": "http://purl.org/dc/elements/1.1/"}


def _articles(slug: str | None) -> list[Article]:
    query = sa.select(Article).order_by(Article.published_at, Article.id)
    if slug is not None:
        query = query.where(Article.slug == slug)
    articles = list(db.session.scalars(query))
    if slug is not None and not articles:
        raise LookupError(f"no article with the slug {slug!r}")
    return articles


def _comments(article: Article) -> list[Comment]:
    return list(db.session.scalars(
        sa.select(Comment).where(Comment.article_id == article.id).order_by(Comment.created_at, Comment.id)))


def _decisions(comment_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    by_comment: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not comment_ids:
        return by_comment
    rows = db.session.scalars(
        sa.select(Decision).options(so.joinedload(Decision.moderator))
        .where(Decision.comment_id.in_(comment_ids)).order_by(Decision.id))
    for d in rows:
        by_comment[d.comment_id].append({
            "at": _iso(d.created_at), "moderator": d.moderator.email, "action": d.action,
            "from": d.from_status.value, "to": d.to_status.value, "label": d.label,
            "model_version": d.model_version, "scores": d.scores,
        })
    return by_comment


def _origins(comment_ids: list[int]) -> dict[int, dict[str, str]]:
    if not comment_ids:
        return {}
    rows = db.session.execute(sa.select(ImportedComment.comment_id, ImportedComment.origin, ImportedComment.external_id)
                              .where(ImportedComment.comment_id.in_(comment_ids)))
    return {cid: {"origin": origin, "external_id": external} for cid, origin, external in rows}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() + "Z" if when else None


def _comment_json(c: Comment, decisions: list[dict[str, Any]], origin: dict[str, str] | None) -> dict[str, Any]:
    return {
        "id": c.id, "parent_id": c.parent_id, "depth": c.depth, "author": c.author, "email": c.email, "url": c.url,
        "ip_hash": c.ip_hash, "text": c.text, "created_at": _iso(c.created_at), "status": c.status.value,
        "routed_status": c.routed_status.value, "route_rule": c.route_rule, "route_reason": c.route_reason,
        "scores": c.scores, "model_version": c.model_version, "decided_at": _iso(c.decided_at),
        "decisions": decisions, "imported_from": origin,
    }


def export_json(slug: str | None = None) -> dict[str, Any]:
    """Every comment of every article (or one), with what the model and the moderators said about it."""
    out: list[dict[str, Any]] = []
    for article in _articles(slug):
        comments = _comments(article)
        ids = [c.id for c in comments]
        decisions, origins = _decisions(ids), _origins(ids)
        out.append({
            "slug": article.slug, "title": article.title, "body": article.body,
            "published_at": _iso(article.published_at), "comments_open": article.comments_open,
            "comments": [_comment_json(c, decisions.get(c.id, []), origins.get(c.id)) for c in comments],
        })
    return {"format": FORMAT_VERSION, "exported_at": _iso(utcnow()), "articles": out}


def _sub(parent: ET.Element, tag: str, text: object = "") -> ET.Element:
    prefix, _, name = tag.rpartition(":")
    element = ET.SubElement(parent, f"{{{_NS[prefix]}}}{name}" if prefix else name)
    element.text = "" if text is None else str(text)
    return element


def _wp_date(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else "0000-00-00 00:00:00"


def _html(text: str) -> str:
    """Plain text as the HTML WordPress stores: escaped, newlines kept (WordPress shows them as breaks)."""
    return html.escape(text, quote=False)


def export_wxr(slug: str | None = None, site_url: str | None = None) -> bytes:
    """A WXR 1.2 file of the articles as posts and their comments, UTF-8."""
    for prefix, uri in _NS.items():
        ET.register_namespace(prefix, uri)
    site = (site_url or current_app.config.get("BASE_URL") or "http://localhost").rstrip("/")
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", "Comments exported from the comment moderation service")
    _sub(channel, "link", site)
    _sub(channel, "wp:wxr_version", "1.2")
    _sub(channel, "wp:base_site_url", site)
    _sub(channel, "wp:base_blog_url", site)
    for article in _articles(slug):
        item = _sub(channel, "item")
        _sub(item, "title", article.title)
        _sub(item, "link", f"{site}/articles/{article.slug}")
        _sub(item, "content:encoded", "".join(f"<p>{_html(p)}</p>\n" for p in article.paragraphs))
        _sub(item, "wp:post_id", article.id)
        _sub(item, "wp:post_date_gmt", _wp_date(article.published_at))
        _sub(item, "wp:comment_status", "open" if article.comments_open else "closed")
        _sub(item, "wp:post_name", article.slug)
        _sub(item, "wp:status", "publish")
        _sub(item, "wp:post_type", "post")
        comments = _comments(article)
        decisions = _decisions([c.id for c in comments])
        for c in comments:
            element = _sub(item, "wp:comment")
            for tag, value in (
                ("comment_id", c.id), ("comment_author", c.author), ("comment_author_email", c.email),
                ("comment_author_url", c.url or ""), ("comment_author_IP", ""),
                ("comment_date", _wp_date(c.created_at)), ("comment_date_gmt", _wp_date(c.created_at)),
                ("comment_content", _html(c.text)), ("comment_approved", WXR_STATUS[c.status]),
                ("comment_type", "comment"), ("comment_parent", c.parent_id or 0), ("comment_user_id", 0),
            ):
                _sub(element, f"wp:{tag}", value)
            meta: dict[str, str | None] = {
                "moderation_status": c.status.value, "moderation_ip_hash": c.ip_hash,
                "moderation_route": c.route_rule, "moderation_model_version": c.model_version,
                "moderation_scores": json.dumps(c.scores) if c.scores is not None else None,
                "moderation_decisions": json.dumps(decisions[c.id]) if decisions.get(c.id) else None,
            }
            for key, text in meta.items():
                if text:
                    entry = _sub(element, "wp:commentmeta")
                    _sub(entry, "wp:meta_key", key)
                    _sub(entry, "wp:meta_value", text)
    ET.indent(rss, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="utf-8") + b"\n"


def register_commands(app: Flask) -> None:
    @app.cli.command("export-comments")
    @click.option("--article", "slug", help="Only this article's comments (its slug).")
    @click.option("--format", "fmt", type=click.Choice(["json", "wxr"]), required=True)
    @click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
                  help="Write to this file instead of standard output.")
    def export_comments(slug: str | None, fmt: str, output: Path | None) -> None:
        """Write every comment with its status, thread, scores and decisions (JSON), or as a WordPress export (WXR)."""
        try:
            if fmt == "json":
                data = (json.dumps(export_json(slug), ensure_ascii=False, indent=1) + "\n").encode()
            else:
                data = export_wxr(slug)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        if output is None:
            click.echo(data, nl=False)
        else:
            output.write_bytes(data)
            click.echo(f"Wrote {len(data):,} bytes to {output}.", err=True)
