"""First-run content: three demo articles and a few readers' comments on them.

The comments go through :func:`moderation.comments.submit.submit` like any reader's,
so the shipped model scores and routes them: a first run shows published
comments and replies on the article pages and something waiting in the
moderator queue, decided by the same path as real traffic.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .comments.articles import import_article
from .comments.submit import Client, Draft, SubmitError, submit
from .models import Article, Comment

DEMO_DIR = Path(__file__).parent / "demo_articles"
DEMO_COMMENTS = DEMO_DIR / "comments.csv"
#: A documentation address (RFC 5737): demo comments come from no real reader.
DEMO_CLIENT = Client(ip="192.0.2.1", user_agent="demo content")


@dataclass
class DemoContent:
    articles: list[Article]
    comments: list[Comment]
    skipped: list[str]


def import_demo_content() -> DemoContent:
    """Import the demo articles, then post the demo comments in file order (replies after their parents)."""
    articles = {path.stem: import_article(path.read_text("utf-8")) for path in sorted(DEMO_DIR.glob("*.txt"))}
    posted: dict[str, Comment] = {}
    skipped: list[str] = []
    with open(DEMO_COMMENTS, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parent = posted.get(row["reply_to"]) if row["reply_to"] else None
            if row["reply_to"] and parent is None:
                skipped.append(f"{row['key']} (its parent was not posted)")
                continue
            draft = Draft(text=row["text"], author=row["author"], email=row["email"],
                          parent_id=parent.id if parent else None)
            try:
                posted[row["key"]] = submit(articles[row["article"]], draft, DEMO_CLIENT)
            except SubmitError as exc:  # e.g. a reply to a comment the model held
                skipped.append(f"{row['key']} ({exc.message})")
    return DemoContent(list(articles.values()), list(posted.values()), skipped)
