"""The moderator's queue page with many past decisions: time and SQL statements per view, in-process.

Seeds a SQLite database with ``--decided`` decided comments (signatures
indexed, one Decision each, as the queue's precedents read them) and a page of
held comments, a few of them near-duplicate groups, then times GET
/moderation/ through the Flask test client with a stub model (the scorer's
cost is not the queue's). Prints the median (wall and CPU) of ``--views`` views after
one warm-up, the statements the median view ran, and the time of a view right
after a new decision (the precedents' index is rebuilt then).

    .venv/bin/python benchmarks/queue_page.py [--decided 2000] [--views 30]
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.comments import similarity
from moderation.comments.policy import Thresholds
from moderation.extensions import db
from moderation.model.scoring import Scored, with_overrides
from moderation.models import Article, Comment, Decision, Moderator, Role, Status, utcnow
from moderation.queue.decisions import decide

WORDS = ("council budget vote bridge mayor tickets concert weather regatta replica watches prices shop "
         "delivery quality customers election consultants money tunnel article reply thanks agree wrong "
         "right town river school road traffic parking library park museum festival market").split()
PASSWORD = "benchmark password"


class Scorer:
    """Fixed scores and thresholds: the queue page asks the scorer for thresholds only."""

    version = "bench"
    THRESHOLDS = {"spam": Thresholds(0.5, 0.95), "toxic": Thresholds(0.5, 0.9)}

    class Registry:
        def active_version(self) -> str:
            return "bench"

    registry = Registry()

    def thresholds(self, overrides: dict[str, dict[str, float]]) -> dict[str, Thresholds]:
        return with_overrides(self.THRESHOLDS, overrides)

    def score(self, text: object) -> Scored:
        return Scored(self.version, {"spam": 0.6, "toxic": 0.05}, {}, self.THRESHOLDS)


def text(rng: random.Random, words: int = 25) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + f" {rng.randrange(10**6)}"


def add_comment(article: Article, body: str, status: Status, n: int) -> Comment:
    comment = Comment(article_id=article.id, author=f"Reader {n}", email=f"r{n}@example.org", ip_hash="x",
                      text=body, status=status, routed_status=Status.PENDING, route_rule="threshold.spam",
                      route_reason="bench", scores={"spam": 0.6, "toxic": 0.05}, model_version="bench")
    db.session.add(comment)
    db.session.flush()
    similarity.index(comment.id, similarity.near(body))
    return comment


def seed(decided: int, moderator: Moderator) -> None:
    rng = random.Random(0)
    article = Article(slug="bench", title="Benchmark article", body="One paragraph.")
    db.session.add(article)
    db.session.flush()
    for n in range(decided):
        comment = add_comment(article, text(rng), Status.REJECTED, n)
        comment.decided_at = utcnow()
        db.session.add(Decision(comment_id=comment.id, moderator_id=moderator.id, action="reject",
                                from_status=Status.PENDING, to_status=Status.REJECTED, label="spam"))
    for n in range(30):  # a page of held comments: 25 rows, five of them groups of three
        body = text(rng)
        for copy in range(3 if n % 6 == 0 else 1):
            add_comment(article, body + f" copy {copy}" if copy else body, Status.PENDING, decided + n * 3 + copy)
    db.session.commit()


def timed(fn: Callable[[], object], statements: list[str]) -> tuple[float, float, int]:
    """Wall and CPU milliseconds (CPU is steadier on a machine shared with training), and statements run."""
    statements.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, len(statements)


def run(app: Flask, client: FlaskClient, views: int, statements: list[str]) -> None:
    def view() -> None:
        assert client.get("/moderation/").status_code == 200

    html = client.get("/moderation/").get_data(as_text=True)
    rows, groups, precedents = (html.count(marker) for marker in ('<li class="queue-item', 'class="similar-count"',
                                                                  'class="precedents"'))
    print(f"page: {rows} rows, {groups} of them groups, {precedents} with precedents")
    figures = [timed(view, statements) for _ in range(views)]
    walls, cpus = sorted(f[0] for f in figures), sorted(f[1] for f in figures)
    print(f"queue page, {views} views: median {statistics.median(walls):.1f} ms wall "
          f"(p90 {walls[int(0.9 * len(walls))]:.1f}), {statistics.median(cpus):.1f} ms CPU, "
          f"{figures[0][2]} SQL statements per view")
    with app.app_context():
        moderator = db.session.scalar(sa.select(Moderator))
        pending = db.session.scalar(sa.select(Comment.id).where(Comment.status == Status.PENDING)
                                    .order_by(Comment.id.desc()).limit(1))
        decide(pending, "approve", moderator, seen_status=Status.PENDING)
    wall, cpu, count = timed(view, statements)
    print(f"first view after a new decision: {wall:.1f} ms wall, {cpu:.1f} ms CPU, {count} SQL statements")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decided", type=int, default=2000)
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
                         instance_path=folder)
        app.extensions["moderation.scorer"] = Scorer()
        statements: list[str] = []
        with app.app_context():
            db.create_all()
            moderator = Moderator(email="bench@example.org", password_hash="", role=Role.MODERATOR)
            moderator.set_password(PASSWORD)
            db.session.add(moderator)
            db.session.commit()
            seed(args.decided, moderator)
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        client.post("/auth/login", data={"email": "bench@example.org", "password": PASSWORD})
        run(app, client, args.views, statements)


if __name__ == "__main__":
    main()
