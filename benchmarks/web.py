"""Web path figures: reading a 200-comment thread and posting comments, in-process.

Prints requests per second for the article page with 200 published comments
(Isso serves such a page at about 28 requests/s, see ../shared/docs/style.md)
and for posting a comment through the whole submit path with the real default
model (validate, score with explanation, route, store). SQLite in a temporary
instance folder; one process, no network, so the figures are the app's own cost.

    .venv/bin/python benchmarks/web.py [--comments 200] [--seconds 5]
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time

from moderation import create_app
from moderation.extensions import db
from moderation.models import Article, Comment, Status


def seed_thread(n: int) -> Article:
    article = Article(slug="bench", title="Benchmark article", body="One paragraph.\n\nAnother.")
    db.session.add(article)
    db.session.flush()
    rng = random.Random(0)
    made: list[Comment] = []
    for i in range(n):
        parent = rng.choice(made) if made and rng.random() < 0.5 and len(made) > 3 else None
        if parent is not None and parent.depth >= 5:
            parent = None
        c = Comment(article_id=article.id, parent=parent, depth=parent.depth + 1 if parent else 1,
                    author=f"Reader {i}", email=f"r{i}@example.org", ip_hash="x",
                    text=f"Comment {i} with a link https://example.org/{i} and\ntwo lines.",
                    status=Status.PUBLISHED, routed_status=Status.PUBLISHED,
                    route_rule="bench", route_reason="bench", scores={"spam": 0.01, "toxic": 0.01})
        db.session.add(c)
        made.append(c)
    db.session.commit()
    return article


def rate(fn, seconds: float) -> tuple[float, int]:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(count)
        count += 1
    return count / (time.perf_counter() - start), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "COMMENTS_PER_PAGE": 1000},
                         instance_path=instance)
        with app.app_context():
            db.create_all()
            article = seed_thread(args.comments)
            client = app.test_client()
            assert client.get("/articles/bench").status_code == 200

            def read(_: int) -> None:
                assert client.get("/articles/bench").status_code == 200

            def post(i: int) -> None:
                response = client.post("/articles/bench/comments", data={
                    "comment": f"Interesting point number {i}, thanks for the report.",
                    "author": "Bench", "email": f"bench{i}@example.org"})
                assert response.status_code == 302, response.status_code

            per_second, n = rate(read, args.seconds)
            print(f"read article with {args.comments} comments: {per_second:7.1f} requests/s ({n} requests)")
            per_second, n = rate(post, args.seconds)
            print(f"post a comment (score + route + store): {per_second:7.1f} requests/s ({n} requests)")
            statuses = db.session.execute(
                db.select(Comment.status, db.func.count()).where(Comment.author == "Bench").group_by(Comment.status)
            ).all()
            print("  posted comments routed:", {s.value: c for s, c in statuses})
            del article


if __name__ == "__main__":
    main()
