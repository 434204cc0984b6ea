"""The one hot insert of the submit path: the ORM (add, flush, commit) against SQLAlchemy Core (INSERT … RETURNING).

Both write the same comment row, one per transaction, as ``submit.store``
does; rounds alternate so drift on a busy machine hits both alike. SQLite in a
temporary folder, or the PostgreSQL database in DATABASE_URL (EMPTIED).

    .venv/bin/python benchmarks/hot_insert.py [--rows 2000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import common  # noqa: F401  (puts the repository root on sys.path)
import sqlalchemy as sa

from moderation import create_app
from moderation.extensions import db
from moderation.models import Article, Comment, Status


def row(article: Article, n: int) -> dict[str, object]:
    return dict(article_id=article.id, depth=1, author="Reader", email=f"r{n}@example.org", url=None,
                text=f"Comment {n} about the harbour bridge closure.", ip_hash="x" * 32, user_agent="bench",
                status=Status.PUBLISHED, routed_status=Status.PUBLISHED, route_rule="threshold.spam.low",
                route_reason="scores below every threshold", scores={"spam": 0.01, "toxic": 0.02},
                explanation={"spam": [["bridge", -0.1]]}, model_version="v")


def orm(article: Article, n: int) -> int:
    comment = Comment(**row(article, n))
    db.session.add(comment)
    db.session.flush()
    db.session.commit()
    return comment.id


INSERT = sa.insert(Comment.__table__).returning(Comment.__table__.c.id)


def core(article: Article, n: int) -> int:
    new_id = db.session.execute(INSERT, row(article, n)).scalar_one()
    db.session.commit()
    return new_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"SECRET_KEY": "bench"}, instance_path=instance)
        with app.app_context():
            db.drop_all()
            db.create_all()
            article = Article(slug="a", title="A", body="B")
            db.session.add(article)
            db.session.commit()
            print(f"database: {db.engine.url.get_backend_name()}, {args.rows} rows a round, one per transaction")
            times: dict[str, list[float]] = {"ORM": [], "Core": []}
            n = 0
            for _ in range(args.rounds):
                for name, insert in (("ORM", orm), ("Core", core)):
                    start = time.perf_counter()
                    for _ in range(args.rows):
                        insert(article, n)
                        n += 1
                    times[name].append(1000 * (time.perf_counter() - start) / args.rows)
            for name, ms in times.items():
                print(f"  {name:<5} {' / '.join(f'{t:.3f}' for t in ms)} ms a comment (median {statistics.median(ms):.3f})")
            gain = 1 - statistics.median(times["Core"]) / statistics.median(times["ORM"])
            print(f"  Core saves {gain:.0%} of the insert")


if __name__ == "__main__":
    main()
