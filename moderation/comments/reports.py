"""Readers report published comments; the reports hide a comment, send it back to Pending, and wait for a moderator.

A reader is their browser's signed ``reader`` cookie, or their IP hash when they
come without one; each may report a comment once (a second report is thanked and
not stored, so nobody learns a count). Weighing the reports (the reporter's
record, one vote per network) is :mod:`.report_weights`; here are the database
steps: filing a report and what it sets off, a moderator's decision settling
them, and what the queue, training and the Model page read back.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..forms import FieldError
from ..model.thresholds import in_force
from ..models import Comment, Decision, Report, Status, utcnow
from . import report_weights
from .report_weights import REASONS, Filed
from .thread_cache import thread_changed

#: The reader cookie: a random id signed with the app's secret, so nobody can pose as another reader.
READER_COOKIE = "reader"
READER_COOKIE_SECONDS = 365 * 24 * 3600
NOTE_MAX_LENGTH = 300


class ReportError(FieldError):
    """A report that cannot be taken; ``field`` names the form field to show it at."""


@dataclass(frozen=True)
class Reader:
    id: str
    ip_hash: str
    network: str
    #: No valid cookie came with the request: told apart from other readers by the IP hash alone.
    new: bool


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="report-reader")


def reader_cookie(reader: Reader) -> str:
    return _serializer().dumps(reader.id)


def network_hash(ip: str) -> str:
    """A keyed hash of the address's /24 (IPv4) or /48 (IPv6): the reports of one network count once."""
    try:
        address = ipaddress.ip_address(ip)
        prefix = 24 if address.version == 4 else 48
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    except ValueError:
        network = ip
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"network:{network}".encode(), hashlib.sha256).hexdigest()[:32]


def reader_from(cookie: str | None, ip: str, ip_hash: str) -> Reader:
    """The reader a request comes from: the id their cookie carries, or a new one."""
    try:
        reader_id = str(_serializer().loads(cookie)) if cookie else ""
    except BadSignature:
        reader_id = ""
    new = not reader_id
    return Reader(reader_id or secrets.token_hex(16), ip_hash, network_hash(ip), new)


def file_report(comment: Comment, reason: str, note: str, reader: Reader) -> Report | None:
    """Store a report and act on it; None when this reader had already reported the comment (thanked all the same)."""
    if comment.status != Status.PUBLISHED or comment.deleted_at is not None:
        raise ReportError(None, "This comment is no longer published, so there is nothing to report.")
    if reason not in REASONS:
        raise ReportError("reason", "Please choose why this comment should not be here.")
    note = " ".join(note.split())[:NOTE_MAX_LENGTH]
    if reason == "other" and not note:
        raise ReportError("note", "Please say in a few words what is wrong with it.")
    same = Report.ip_hash == reader.ip_hash if reader.new else Report.reader == reader.id
    if db.session.scalar(sa.select(sa.exists().where(Report.comment_id == comment.id, same))):
        return None
    report = Report(comment_id=comment.id, reason=reason, note=note, reader=reader.id, ip_hash=reader.ip_hash,
                    network=reader.network)
    db.session.add(report)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same reader's second click won the race: one report stays
        db.session.rollback()
        return None
    _act_on(comment)
    db.session.commit()
    return report


def _act_on(comment: Comment) -> None:
    """Past its note point, the comment goes back to Pending; with enough reporters, it is hidden from readers."""
    points = report_weights.note_points({label: t.review for label, t in in_force().items()},
                                        current_app.config["REPORT_NOTE_SHARE"])
    if report_weights.past_note_point(comment.scores, points):
        moved = db.session.scalar(
            sa.update(Comment).where(Comment.id == comment.id, Comment.status == Status.PUBLISHED)
            .values(status=Status.PENDING).returning(Comment.id).execution_options(synchronize_session=False))
        if moved is not None:
            thread_changed(comment.article_id)
            db.session.expire(comment, ["status"])
            return
    if comment.hidden_at is None:
        found = summaries([comment.id]).get(comment.id)
        if found is not None and found.reporters >= current_app.config["REPORT_HIDE_AFTER"]:
            comment.hidden_at = utcnow()
            thread_changed(comment.article_id)


def resolve(decisions: Iterable[Decision]) -> None:
    """A moderator's decision settles the open reports on its comment; the caller has flushed it and commits.

    Kept (published): the reports are dismissed. Rejected or spam: upheld.
    Back to pending settles nothing. Either way the comment is no longer hidden:
    a moderator has seen it, and its status now says who may.
    """
    decisions = [d for d in decisions if d.to_status != Status.PENDING]
    reported = set(db.session.scalars(sa.select(Report.comment_id).where(
        Report.comment_id.in_([d.comment_id for d in decisions]), Report.state == "open"))) if decisions else set()
    now = utcnow()
    for decision in decisions:
        if decision.comment_id not in reported:
            continue
        state = "dismissed" if decision.to_status == Status.PUBLISHED else "upheld"
        db.session.execute(sa.update(Report).where(Report.comment_id == decision.comment_id, Report.state == "open")
                           .values(state=state, resolved_at=now, decision_id=decision.id)
                           .execution_options(synchronize_session=False))
    if reported:
        db.session.execute(sa.update(Comment).where(Comment.id.in_(reported)).values(hidden_at=None)
                           .execution_options(synchronize_session=False))


# --- reading reports back: the queue, training, the Model page -------------------------------


@dataclass(frozen=True)
class Reported:
    """A comment's open reports as the queue shows them."""

    reports: list[Report]
    #: Distinct reporters, weighed (:func:`.report_weights.reporters`).
    reporters: float
    #: The Reported tab's order (:func:`.report_weights.risk`).
    risk: float


def _filed(report: Report) -> Filed:
    return Filed(report.id, report.comment_id, report.reader, report.ip_hash, report.network, report.reason,
                 report.state)


def _weights(reports: Sequence[Filed], session: so.Session) -> dict[int, float]:
    """Each report's weight from its reporter's resolved reports (one query for all of them)."""
    if not reports:
        return {}
    readers, ips = {r.reader for r in reports}, {r.ip_hash for r in reports}
    history = [_filed(r) for r in session.scalars(sa.select(Report).where(
        Report.state != "open", sa.or_(Report.reader.in_(readers), Report.ip_hash.in_(ips))))]
    return {r.id: report_weights.credibility(r, history) for r in reports}


def summaries(comment_ids: Collection[int]) -> dict[int, Reported]:
    """The open reports of these comments, weighed, oldest first."""
    if not comment_ids:
        return {}
    rows = db.session.execute(
        sa.select(Report, Comment.scores).join(Comment, Comment.id == Report.comment_id)
        .where(Report.comment_id.in_(comment_ids), Report.state == "open").order_by(Report.id)
    ).all()
    weights = _weights([_filed(r) for r, _ in rows], db.session)
    grouped: dict[int, list[Report]] = defaultdict(list)
    scores: dict[int, dict[str, float] | None] = {}
    for report, comment_scores in rows:
        grouped[report.comment_id].append(report)
        scores[report.comment_id] = comment_scores
    result = {}
    for comment_id, reports in grouped.items():
        filed = [_filed(r) for r in reports]
        model_risk = max((scores[comment_id] or {}).values(), default=0.0)
        result[comment_id] = Reported(reports, report_weights.reporters(filed, weights),
                                      report_weights.risk(model_risk, filed, weights))
    return result


def with_open_reports() -> sa.ColumnElement[bool]:
    """A condition on ``Comment``: it has a report no moderator has settled."""
    return sa.exists().where(Report.comment_id == Comment.id, Report.state == "open")


def label_readers(session: so.Session) -> dict[int, float]:
    """Decision id -> the weighed readers whose reports it settled (0 for dismissed ones, whose readers were wrong).

    Read with the session training reads decisions with, which may be another
    database's; one older than reports has none.
    """
    if not sa.inspect(session.get_bind()).has_table(Report.__tablename__):
        return {}
    everything = [(_filed(r), r.decision_id) for r in session.scalars(sa.select(Report).where(Report.state != "open"))]
    history = [f for f, _ in everything]
    by_decision: dict[int, list[Filed]] = defaultdict(list)
    for filed, decision_id in everything:
        if decision_id is not None:
            by_decision[decision_id].append(filed)
    result = {}
    for decision_id, filed in by_decision.items():
        upheld = [f for f in filed if f.state == "upheld"]
        weights = {f.id: report_weights.credibility(f, history) for f in upheld}
        result[decision_id] = report_weights.reporters(upheld, weights)
    return result


@dataclass(frozen=True)
class Week:
    week: str
    upheld_after_published: int
    dismissed: int


@dataclass(frozen=True)
class ReportSummary:
    open: int
    upheld: int
    dismissed: int
    hidden: int
    #: Comments the model published that a moderator then removed on a reader's report.
    published_then_upheld: int
    weeks: list[Week]


def summary(weeks: int = 12) -> ReportSummary:
    """Reports as a source of disagreement with the model, for the Model page."""
    states = dict(db.session.execute(sa.select(Report.state, sa.func.count(Report.id)).group_by(Report.state)).all())
    hidden = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.hidden_at.is_not(None))) or 0
    rows = db.session.execute(
        sa.select(Report.comment_id, Report.state, sa.func.max(Report.resolved_at), Comment.routed_status)
        .join(Comment, Comment.id == Report.comment_id)
        .where(Report.state != "open").group_by(Report.comment_id, Report.state, Comment.routed_status)
    ).all()
    by_week: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    published_then_upheld = 0
    for _, state, resolved, routed in rows:
        key = _week(resolved)
        if state == "upheld" and routed == Status.PUBLISHED:
            published_then_upheld += 1
            by_week[key][0] += 1
        elif state == "dismissed":
            by_week[key][1] += 1
    return ReportSummary(states.get("open", 0), states.get("upheld", 0), states.get("dismissed", 0), hidden,
                         published_then_upheld,
                         [Week(w, *counts) for w, counts in sorted(by_week.items(), reverse=True)[:weeks]])


def _week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"
