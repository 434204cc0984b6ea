"""Near-duplicate comments: MinHash signatures over character shingles, LSH band keys, groups.

A spam wave with small edits, or one rant pasted under ten articles, should
reach a moderator as one decision, not fifty. Each comment's text is
normalised (folded like the word lists, punctuation and spacing collapsed),
cut into overlapping 5-character shingles and summarised by a 64-value
MinHash signature: the share of equal values between two signatures
estimates the Jaccard similarity of their shingle sets. The signature is cut
into 16 bands of 4 values; each band's hash is stored in an indexed table, so
the comments sharing a band with a new one (candidates, likely above about
0.5 similarity) are an indexed lookup, whatever the size of the database. A
band key is stored once per group, by the first comment of the group that had
it: a copy that joins a group adds only the keys its group lacks, so a wave of
thousands of copies costs a lookup what one copy does, and the table grows with
the distinct texts rather than the comments.

A new comment joins the group of a candidate whose estimated similarity
reaches ``SAME_GROUP`` (merging the groups when it is near several: copies
edited apart can start two groups before one bridges them), and starts its
own group otherwise. Grouping happens once, at submit time (:func:`near` reads,
:func:`index` writes): grouping the queue is then a GROUP BY. Cost per comment is
measured by ``benchmarks/similarity.py``.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Comment, CommentBand, CommentSignature, Decision, Moderator, Status
from .wordlists import fold

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
#: Estimated Jaccard similarity from which a comment joins a group. A 150-character comment with three
#: words changed scores about 0.7; two unrelated real comments of 50+ characters rarely reach 0.5
#: (measured by ``benchmarks/similarity.py``).
SAME_GROUP = 0.5
#: Shorter texts group only when equal once normalised: "you are so right" and "you are so wrong"
#: share half their shingles, and one decision must never cover both.
FUZZY_MIN_LENGTH = 50
#: Most candidate rows (key, comment) read per new comment: a bound for keys many groups share.
CANDIDATES = 256

_PRIME = np.uint64(4294967291)  # the largest prime below 2**32: every hash value fits in 32 bits
_rng = np.random.default_rng(20261126)  # fixed: signatures are stored and compared across processes
_A = _rng.integers(1, 2**31, PERMUTATIONS, dtype=np.uint64)  # a * x < 2**63 for 32-bit x: no overflow
_B = _rng.integers(0, 2**32, PERMUTATIONS, dtype=np.uint64)
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Lower-case letters and digits, accents and look-alikes folded, separated by single spaces."""
    return " ".join(_NOT_WORD.sub(" ", fold(text)[0]).split())


def shingles(norm: str) -> set[str]:
    """The 5-character pieces of a normalised text (the whole of it when shorter)."""
    if len(norm) <= SHINGLE:
        return {norm} if norm else set()
    return {norm[i : i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (64 uint32 values), or None for a text with no letters or digits."""
    pieces = shingles(normalise(text))
    if not pieces:
        return None
    hashes = np.fromiter((zlib.crc32(p.encode()) for p in pieces), dtype=np.uint64, count=len(pieces))
    return ((_A[:, None] * hashes[None, :] + _B[:, None]) % _PRIME).min(axis=1).astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    """One key per band: a 63-bit hash of the band's number and values (fits a signed BIGINT)."""
    keys = set()
    for band in range(BANDS):
        digest = hashlib.blake2b(bytes([band]) + sig[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8)
        keys.add(int.from_bytes(digest.digest(), "big") >> 1)
    return sorted(keys)


def similarity(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of a comment's shingle set to another's, or to each row of a matrix of them."""
    return np.mean(others == sig, axis=-1)


def _unpack(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=np.uint32)


@dataclass(frozen=True)
class Near:
    """A new comment's signature and band keys, the groups of the comments it is near, and which of its keys
    those groups already have."""

    signature: np.ndarray
    keys: list[int]
    groups: frozenset[int]
    indexed: frozenset[int]


def near(text: str) -> Near | None:
    """Find the groups a new comment's text is near: reads only, before the comment is written.

    On SQLite the first write takes the database's one write lock until the
    commit, so the lookup and the comparisons happen before it and the lock is
    held for the inserts alone. Two near copies posted at the same instant can
    then each start a group, as on PostgreSQL, where neither saw the other's
    uncommitted row anyway; the next copy near both merges them (:func:`index`).
    None for a text with no letters or digits.
    """
    sig = signature(text)
    if sig is None:
        return None
    needed = SAME_GROUP if len(normalise(text)) >= FUZZY_MIN_LENGTH else 1.0
    keys = band_keys(sig)
    rows = db.session.execute(_NEAREST[len(keys)], {f"key{i}": key for i, key in enumerate(keys)}).all()
    candidates = {comment_id: (group, raw) for _, comment_id, group, raw in rows}
    groups: frozenset[int] = frozenset()
    if candidates:
        scores = similarity(sig, np.stack([_unpack(raw) for _, raw in candidates.values()]))
        groups = frozenset(group for (group, _), score in zip(candidates.values(), scores, strict=True)
                           if score >= needed)
    return Near(sig, keys, groups, frozenset(key for key, _, group, _ in rows if group in groups))


def _nearest(count: int) -> sa.Select[tuple[int, int, int, bytes]]:
    """The candidates: each comment holding one of ``count`` keys, with its group and signature.

    One equality look-up per key on the primary key, whatever the planner
    knows: as one ``IN`` list (with ``ORDER BY comment_id`` and the limit) a
    PostgreSQL without fresh statistics walked the comment_id index or the
    whole table (12,000 rows read for 13 found). Built once per number of keys:
    composing it per comment cost more Python than running it.
    """
    bands = sa.union_all(*(sa.select(CommentBand.key, CommentBand.comment_id)
                           .where(CommentBand.key == sa.bindparam(f"key{i}")) for i in range(count))).subquery()
    return (sa.select(bands.c.key, bands.c.comment_id, CommentSignature.group_id, CommentSignature.signature)
            .join(CommentSignature, CommentSignature.comment_id == bands.c.comment_id)
            .limit(CANDIDATES))


_NEAREST = {count: _nearest(count) for count in range(1, BANDS + 1)}


def index(comment_id: int, found: Near | None) -> None:
    """Store a stored comment's signature, in the group ``near`` found, and the band keys that group lacks;
    the caller commits.

    Three statements at most, so a writer holds SQLite's lock briefly: merging
    the groups the comment bridges (a wave that started twice), its signature,
    and its new band keys.
    """
    if found is None:
        return
    group_id = min(found.groups, default=comment_id)
    if len(found.groups) > 1:
        db.session.execute(sa.update(CommentSignature).where(CommentSignature.group_id.in_(found.groups - {group_id}))
                           .values(group_id=group_id).execution_options(synchronize_session=False))
    db.session.execute(_INSERT_SIGNATURE, {"comment_id": comment_id, "group_id": group_id,
                                           "signature": found.signature.tobytes()})
    if new := [{"key": key, "comment_id": comment_id} for key in found.keys if key not in found.indexed]:
        db.session.execute(_INSERT_BAND, new)


# Core: nothing reads these rows back. The keys go as one executemany of a cached statement: a multi-row
# VALUES is compiled again on every call (0.31 against 0.06 ms on SQLite, 0.49 against 0.35 ms on
# PostgreSQL, where SQLAlchemy sends the executemany as one statement).
_INSERT_SIGNATURE = sa.insert(CommentSignature.__table__)
_INSERT_BAND = sa.insert(CommentBand.__table__)


@dataclass(frozen=True)
class PastDecision:
    """A decided comment near a held one, and what the last moderator did with it."""

    comment: Comment
    similarity: float
    action: str
    label: str | None
    moderator: str


#: How many recently decided comments a held one is compared with.
RECENT_DECIDED = 2000
#: Below this estimated similarity a decided comment is not shown as a precedent: it shares only common phrases.
#: On real comments (``benchmarks/similarity.py``) the nearest decided comment agreed on the label 66% of the
#: time from 0.125 (no better than the commonest label), 80% from 0.25 and 93% from 0.5. A TF-IDF character
#: cosine did a little better on unrelated comments (71% at equal coverage) but needs a fitted vocabulary.
MIN_PRECEDENT = 0.25


@dataclass(frozen=True)
class _Decided:
    """The signatures of the latest ``RECENT_DECIDED`` decided comments, one row each, and the stamp they match."""

    stamp: tuple[int | None, int]
    ids: np.ndarray
    matrix: np.ndarray


_DECIDED = "moderation.decided_signatures"


def _decided_stamp() -> tuple[int | None, int]:
    """Changes whenever the decided set can: a decision adds a row (the max id), an erasure detaches the
    decisions of its comments (the count of attached ones). One aggregate over decisions, not 2,000 rows."""
    latest, attached = db.session.execute(
        sa.select(sa.func.max(Decision.id), sa.func.count(Decision.comment_id))).one()
    return latest, attached


def _decided() -> _Decided:
    """The decided comments' matrix, rebuilt only when the stamp moved.

    Kept per process on the app, so each worker rebuilds on its next queue view
    after any worker's decision. The stamp is read first: a decision made while
    the rows are read makes the kept matrix newer than its stamp, never older.
    Two threads may both rebuild after a decision; the last one's matrix is kept.
    """
    stamp = _decided_stamp()
    kept = current_app.extensions.get(_DECIDED)
    if kept is not None and kept.stamp == stamp:
        return kept
    rows = db.session.execute(
        sa.select(CommentSignature.comment_id, CommentSignature.signature)
        .join(Comment, Comment.id == CommentSignature.comment_id)
        .where(Comment.decided_at.is_not(None), Comment.status != Status.PENDING)
        .order_by(Comment.decided_at.desc(), Comment.id.desc()).limit(RECENT_DECIDED)
    ).all()
    matrix = np.stack([_unpack(row.signature) for row in rows]) if rows else np.empty((0, PERMUTATIONS), np.uint32)
    current_app.extensions[_DECIDED] = kept = _Decided(stamp, np.array([row.comment_id for row in rows]), matrix)
    return kept


def similar_decisions(comments: Sequence[Comment], limit: int = 3) -> dict[int, list[PastDecision]]:
    """Per comment, up to ``limit`` decided comments nearest to it, most similar first.

    Compared by signature with the latest ``RECENT_DECIDED`` decided comments,
    in one matrix operation per queue page; the comments themselves are excluded.
    """
    wanted = {c.id: c for c in comments}
    own = {cid: _unpack(raw) for cid, raw in db.session.execute(
        sa.select(CommentSignature.comment_id, CommentSignature.signature)
        .where(CommentSignature.comment_id.in_(wanted))
    )} if wanted else {}
    if not own:
        return {}
    decided = _decided()
    if not len(decided.ids):
        return {}
    nearest: dict[int, list[tuple[int, float]]] = {}
    for cid, sig in own.items():
        scores = similarity(sig, decided.matrix)
        scores[decided.ids == cid] = -1.0
        order = np.argsort(-scores, kind="stable")[:limit]
        nearest[cid] = [(int(decided.ids[i]), float(scores[i])) for i in order if scores[i] >= MIN_PRECEDENT]
    return _with_decisions(nearest)


def _with_decisions(nearest: dict[int, list[tuple[int, float]]]) -> dict[int, list[PastDecision]]:
    ids = {pid for pairs in nearest.values() for pid, _ in pairs}
    if not ids:
        return {}
    latest = sa.select(sa.func.max(Decision.id)).where(Decision.comment_id.in_(ids)).group_by(Decision.comment_id)
    rows = db.session.execute(
        sa.select(Decision, Comment, Moderator.email)
        .join(Comment, Comment.id == Decision.comment_id).join(Moderator, Moderator.id == Decision.moderator_id)
        .where(Decision.id.in_(latest))
    ).all()
    by_comment = {comment.id: (decision, comment, email) for decision, comment, email in rows}
    return {
        cid: [PastDecision(by_comment[pid][1], score, by_comment[pid][0].action, by_comment[pid][0].label,
                           by_comment[pid][2]) for pid, score in pairs if pid in by_comment]
        for cid, pairs in nearest.items()
    }
