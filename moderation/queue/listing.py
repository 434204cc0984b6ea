"""What the moderator queue shows: tabs, counts, filters, sort orders and pages, as plain functions.

Risk and uncertainty orders are computed in Python over (id, scores) pairs of
the filtered set, because JSON arithmetic differs between SQLite and
PostgreSQL; only the comments of the requested page are then loaded whole.

Near-duplicates (``similarity.py``) with the same status take one row: the
group's first comment stands for the others, and a decision on it covers them.

The Reported tab lists published comments with reports no moderator has
settled; its risk order is the reports' (:func:`moderation.comments.report_weights.risk`).
Comments their authors deleted are in no tab.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from training.evaluate import Thresholds

from ..comments import reports
from ..extensions import db
from ..models import Comment, CommentSignature, Decision, ImportedComment, Status, as_id
from . import spotcheck

TABS: dict[str, Status | None] = {
    "pending": Status.PENDING,
    #: Published comments readers reported that no moderator has kept or removed yet.
    "reported": Status.PUBLISHED,
    "spam": Status.SPAM,
    "rejected": Status.REJECTED,
    "approved": Status.PUBLISHED,
    "all": None,
    #: Published comments drawn for a spot-check that nobody has labelled yet (see spotcheck.py).
    "spotcheck": Status.PUBLISHED,
    #: An old site's removed comments imported with ``--rejected-as review``, waiting for a label.
    "to-label": None,
}
#: The tab's own order when the URL names none: what the model is least sure of first, in To label.
DEFAULT_SORT = {"to-label": "uncertainty"}
SORTS = ("risk", "uncertainty", "newest", "oldest")
PER_PAGE = 25


@dataclass(frozen=True)
class QueueQuery:
    tab: str = "pending"
    sort: str = "risk"
    article_id: int | None = None
    author: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> QueueQuery:
        tab = args.get("tab", "pending")
        sort = args.get("sort") or DEFAULT_SORT.get(tab, "risk")
        article = args.get("article", "")
        page = args.get("page", "1")
        return cls(
            tab=tab if tab in TABS else "pending",
            sort=sort if sort in SORTS else "risk",
            article_id=as_id(article),
            author=args.get("author", "").strip()[:254],
            page=int(page) if page.isdigit() and int(page) > 0 else 1,
        )

    def params(self, **changes: object) -> dict[str, object]:
        """URL parameters for this view, with changes (for tab links, pages, redirects)."""
        values: dict[str, object] = {"tab": self.tab, "sort": self.sort, "article": self.article_id,
                                     "author": self.author or None, "page": self.page}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", 1) or k == "tab"}


@dataclass(frozen=True)
class Group:
    """The near-duplicates a queue row stands for, besides its own comment."""

    group_id: int
    others: int
    #: The newest member when the page was drawn: a decision never covers a copy the moderator was not shown.
    up_to: int
    samples: list[Comment]


@dataclass(frozen=True)
class QueuePage:
    comments: list[Comment]
    page: int
    pages: int
    total: int
    #: comment id -> its group, for rows that stand for near-duplicates
    groups: dict[int, Group] = field(default_factory=dict)


def counts() -> dict[str, int]:
    by_status = dict(db.session.execute(sa.select(Comment.status, sa.func.count())
                                        .where(Comment.deleted_at.is_(None)).group_by(Comment.status)).all())
    result = {tab: by_status.get(status, 0) for tab, status in TABS.items() if status is not None}
    result["all"] = sum(by_status.values())
    for tab, condition in _TAB_CONDITIONS.items():
        status = [Comment.status == TABS[tab]] if TABS[tab] is not None else []
        result[tab] = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(
            *status, Comment.deleted_at.is_(None), condition())) or 0
    return result


def to_label() -> sa.ColumnElement[bool]:
    """Imported for a moderator to label ("review") and not labelled since."""
    return sa.and_(
        Comment.id.in_(sa.select(ImportedComment.comment_id).where(ImportedComment.label == "review")),
        ~sa.exists().where(Decision.comment_id == Comment.id, Decision.label.is_not(None)),
    )


#: The tabs that are a part of a status's comments (or of all), by the condition they add.
_TAB_CONDITIONS = {"spotcheck": spotcheck.unchecked, "reported": reports.with_open_reports, "to-label": to_label}


def _filters(query: QueueQuery) -> list[sa.ColumnElement[bool]]:
    conditions = [Comment.deleted_at.is_(None)]
    status = TABS[query.tab]
    if status is not None:
        conditions.append(Comment.status == status)
    if query.tab in _TAB_CONDITIONS:
        conditions.append(_TAB_CONDITIONS[query.tab]())
    if query.article_id is not None:
        conditions.append(Comment.article_id == query.article_id)
    if query.author:
        pattern = "%" + query.author.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(sa.or_(sa.func.lower(Comment.author).like(pattern, escape="\\"),
                                 Comment.email.like(pattern, escape="\\")))
    return conditions


def risk(scores: Mapping[str, float] | None) -> float:
    return max((scores or {}).values(), default=0.0)


def uncertainty(scores: Mapping[str, float] | None, thresholds: Mapping[str, Thresholds]) -> float:
    """Distance to the nearest review threshold: small means the model could go either way."""
    if not scores:
        return 0.0
    return min((abs(s - thresholds[label].review) if label in thresholds else abs(s - 0.5))
               for label, s in scores.items())


def fetch(query: QueueQuery, thresholds: Mapping[str, Thresholds]) -> QueuePage:
    """One page of the tab. Age orders page in SQL; risk and uncertainty are computed from the
    stored scores (JSON, which no SQL dialect here orders portably), reading only ids and scores."""
    conditions = [*_filters(query), _first_of_group(_filters(query))]
    total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(query.page, pages)
    if query.sort in ("newest", "oldest"):
        order = (Comment.created_at, Comment.id)
        ids = list(db.session.scalars(
            sa.select(Comment.id).where(*conditions)
            .order_by(*(c.desc() for c in order) if query.sort == "newest" else order)
            .offset((page - 1) * PER_PAGE).limit(PER_PAGE)
        ))
    else:
        rows = db.session.execute(sa.select(Comment.id, Comment.scores, Comment.created_at).where(*conditions)).all()
        if query.sort == "risk" and query.tab == "reported":
            reported = reports.summaries([r.id for r in rows])
            rows.sort(key=lambda r: (-(reported[r.id].risk if r.id in reported else risk(r.scores)), r.created_at))
        elif query.sort == "risk":
            rows.sort(key=lambda r: (-risk(r.scores), r.created_at))
        else:
            rows.sort(key=lambda r: (uncertainty(r.scores, thresholds), r.created_at))
        ids = [r.id for r in rows[(page - 1) * PER_PAGE : page * PER_PAGE]]
    loaded = {c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(ids)))} if ids else {}
    comments = [loaded[i] for i in ids]
    return QueuePage(comments, page, pages, total, _groups(comments, _filters(query)))


_GROUP_SAMPLES = 3


def _first_of_group(conditions: list[sa.ColumnElement[bool]]) -> sa.ColumnElement[bool]:
    """Only the first comment of each near-duplicate group and status in the filtered set (others are their own)."""
    firsts = (
        sa.select(sa.func.min(Comment.id))
        .outerjoin(CommentSignature, CommentSignature.comment_id == Comment.id)
        .where(*conditions)
        .group_by(sa.func.coalesce(CommentSignature.group_id, Comment.id), Comment.status)
        .correlate(None)
    )
    return Comment.id.in_(firsts)


def _groups(comments: list[Comment], conditions: list[sa.ColumnElement[bool]]) -> dict[int, Group]:
    keys = dict(db.session.execute(
        sa.select(CommentSignature.comment_id, CommentSignature.group_id)
        .where(CommentSignature.comment_id.in_([c.id for c in comments]))
    ).all()) if comments else {}
    if not keys:
        return {}
    sizes = {(g, status): (n, last) for g, status, n, last in db.session.execute(
        sa.select(CommentSignature.group_id, Comment.status, sa.func.count(), sa.func.max(Comment.id))
        .join(Comment, Comment.id == CommentSignature.comment_id)
        .where(*conditions, CommentSignature.group_id.in_(set(keys.values())))
        .group_by(CommentSignature.group_id, Comment.status)
    )}
    rows = {c.id: (keys[c.id], c.status) for c in comments if c.id in keys}
    shown = {cid: key for cid, key in rows.items() if sizes.get(key, (1, cid))[0] > 1}
    samples = _samples(conditions, set(shown.values()), list(shown)) if shown else {}
    return {cid: Group(group, sizes[group, status][0] - 1, sizes[group, status][1], samples.get((group, status), []))
            for cid, (group, status) in shown.items()}


def _samples(conditions: list[sa.ColumnElement[bool]], wanted: set[tuple[int, Status]],
             shown: list[int]) -> dict[tuple[int, Status], list[Comment]]:
    """The first few members of each (group, status) besides the row's own comment, oldest first: one
    ranked query for the page instead of one per group row."""
    rank = sa.func.row_number().over(partition_by=(CommentSignature.group_id, Comment.status), order_by=Comment.id)
    ranked = (
        sa.select(Comment.id, CommentSignature.group_id, rank.label("rank"))
        .join(CommentSignature, CommentSignature.comment_id == Comment.id)
        .where(*conditions, CommentSignature.group_id.in_({group for group, _ in wanted}), Comment.id.not_in(shown))
        .subquery()
    )
    samples: dict[tuple[int, Status], list[Comment]] = defaultdict(list)
    for comment, group in db.session.execute(
        sa.select(Comment, ranked.c.group_id).join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rank <= _GROUP_SAMPLES).order_by(Comment.id)
    ):
        if (group, comment.status) in wanted:
            samples[group, comment.status].append(comment)
    return samples


def group_members(query: QueueQuery, group_id: int, status: Status, up_to: int) -> list[int]:
    """The comments a decision on a group row covers: the group's members with the status the moderator saw,
    in the same tab and filters, none newer than the page showed."""
    return list(db.session.scalars(
        sa.select(Comment.id).join(CommentSignature, CommentSignature.comment_id == Comment.id)
        .where(*_filters(query), CommentSignature.group_id == group_id, Comment.status == status,
               Comment.id <= up_to)
        .order_by(Comment.id)
    ))
