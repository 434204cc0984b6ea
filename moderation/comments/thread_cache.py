"""Rendered threads, kept by each worker until the thread changes.

Rendering 200 comments is most of the cost of an article page, and in a
traffic spike thousands of readers ask for the same page between two changes
to it. So each worker keeps the HTML (and the API's JSON) of the threads it
served, keyed by the article's ``thread_version``: a counter in the database
that every change to what readers see raises in the same transaction
(:func:`thread_changed`, called where comments are published and decided).
Every worker reads the counter with the article, so all of them see a change
at once, with no cache server and nothing to expire.

A reader with a held comment of their own on the article sees a thread that
no one else sees ("awaiting moderation"), and so does an author who may still
edit or delete a comment (the links are theirs alone): theirs is rendered for
them and never kept, so the copy others get never shows it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, render_template
from markupsafe import Markup

from ..extensions import db
from ..models import Article, Comment
from .threads import HELD, thread_page

#: Rendered threads each worker keeps (a 200-comment page is about 100 kB).
KEPT = 128

T = TypeVar("T")


class _Kept:
    """Per app (so two apps in one process, as in tests, never share copies), least recently used first out."""

    def __init__(self) -> None:
        self.items: OrderedDict[Hashable, object] = OrderedDict()
        self.lock = threading.Lock()


def thread_changed(article_id: int) -> None:
    """Raise the article's thread version in the current transaction: kept copies of its thread are stale."""
    db.session.execute(_BUMP, {"article_id": article_id})


#: Core and built once: it runs with every published comment, and nothing in the session is synchronised.
_BUMP = (sa.update(Article.__table__).where(Article.__table__.c.id == sa.bindparam("article_id"))
         .values(thread_version=Article.__table__.c.thread_version + 1))


def has_held_own(article: Article, own_ids: Collection[int]) -> bool:
    """Whether the reader has a held comment on this article, which only they may see."""
    if not own_ids:
        return False
    return db.session.scalar(
        sa.select(Comment.id).where(
            Comment.article_id == article.id, Comment.id.in_(own_ids), Comment.status.in_(HELD)
        ).limit(1)
    ) is not None


def kept(key: Hashable, render: Callable[[], T]) -> T:
    """The copy kept under ``key``, or ``render()``'s result, kept from now on.

    ``key`` must hold the article's ``thread_version`` as read with the article,
    before the comments: what is kept is then never older than its key says.
    """
    store: _Kept = current_app.extensions.setdefault("moderation.thread_cache", _Kept())
    with store.lock:
        if key in store.items:
            store.items.move_to_end(key)
            return store.items[key]  # type: ignore[return-value]
    value = render()  # outside the lock: two threads may each render the same copy, never a wrong one
    with store.lock:
        store.items[key] = value
        while len(store.items) > KEPT:
            store.items.popitem(last=False)
    return value


@dataclass(frozen=True)
class RenderedThread:
    html: Markup
    #: Published comments on the article, for the page's heading.
    count: int


def rendered_thread(article: Article, own_ids: Collection[int], page: int, per_page: int,
                    editable: Collection[int] = ()) -> RenderedThread:
    """The thread's HTML for this reader: the kept copy, unless they have a held comment of their own here
    or comments they may still edit (``editable``, from :func:`.edits.editable`)."""
    own = own_ids if has_held_own(article, own_ids) else ()

    def render() -> RenderedThread:
        thread = thread_page(article, own, page, per_page)
        html = render_template("comments/_thread.html", article=article, thread=thread, editable=set(editable),
                               max_depth=current_app.config["COMMENT_MAX_DEPTH"])
        return RenderedThread(Markup(html), thread.count)

    if own or editable:
        return render()
    return kept(("page", article.id, article.thread_version, article.comments_open, page, per_page), render)
