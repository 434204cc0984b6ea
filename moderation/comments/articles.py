"""Articles: parsing the plain-text article format and importing it."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..models import Article

COMMENT_HEADING = "leave a reply"
_FOOTER_RE = re.compile(r"^(©|\(c\)|copyright\b)", re.IGNORECASE)


class ArticleFormatError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    paragraphs: list[str]
    footer: str | None


def parse_article(text: str) -> ParsedArticle:
    """First line the title, blank-line separated paragraphs; the trailing
    "Leave a Reply" heading and a copyright footer are page furniture, not body text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").strip()
    if not text:
        raise ArticleFormatError("the file is empty")
    first, _, rest = text.partition("\n")
    title = " ".join(first.split())
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", rest) if b.strip()]
    footer = None
    while blocks and (_FOOTER_RE.match(blocks[-1]) or blocks[-1].lower() == COMMENT_HEADING):
        if _FOOTER_RE.match(blocks[-1]):
            footer = blocks[-1]
        blocks.pop()
    paragraphs = [b for b in blocks if b and b.lower() != COMMENT_HEADING]
    if not paragraphs:
        raise ArticleFormatError("the article has a title but no paragraphs")
    return ParsedArticle(title=title[:300], paragraphs=paragraphs, footer=footer)


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80] or "article"


def import_article(text: str) -> Article:
    """Store a parsed article; the same title imported twice updates the first."""
    parsed = parse_article(text)
    slug = slugify(parsed.title)
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None:
        article = Article(slug=slug, title=parsed.title, body="")
        db.session.add(article)
    article.title = parsed.title
    article.body = "\n\n".join(parsed.paragraphs)
    article.footer = parsed.footer
    db.session.commit()
    return article


@click.command("import-article")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_article_command(path: Path) -> None:
    """Import a plain-text article: title line, blank-line separated paragraphs."""
    try:
        article = import_article(path.read_bytes().decode("utf-8", errors="replace"))
    except ArticleFormatError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    click.echo(f"Imported “{article.title}” at /articles/{article.slug}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(import_article_command)
