"""Akismet-compatible API figures: ``comment-check`` requests per second, in-process, with the real default model.

Each request goes the whole way: key lookup, validation, scoring with
explanation, routing, storing the check and answering, through the Flask test
client (no network), on SQLite in a temporary instance folder. Also prints the
answers given, so a change that turns every answer to ``true`` shows.

    .venv/bin/python benchmarks/akismet.py [--seconds 5]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter

from moderation import create_app
from moderation.extensions import db
from moderation.model.store import seed
from moderation.sites.api_keys import create_key

SITE = "https://www.example-news.org"
TEXTS = [
    "Interesting point number {i}, thanks for the report on the council budget.",
    "Buy cheap pills now {i}!!! http://pills.example.com best price, click here",
    "I disagree with the mayor on item {i}, but the article explains the trade-offs well.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"RATELIMIT_ENABLED": False}, instance_path=instance)
        with app.app_context():
            db.create_all()
            seed()  # the shipped model, as init-db puts it in the database
            key = create_key(SITE)[1]
            client = app.test_client()
            answers: Counter[str] = Counter()

            def check(i: int) -> None:
                response = client.post("/1.1/comment-check", data={
                    "api_key": key, "blog": SITE, "user_ip": f"203.0.113.{i % 250}", "comment_type": "comment",
                    "comment_author": f"Reader {i}", "comment_content": TEXTS[i % len(TEXTS)].format(i=i)})
                assert response.status_code == 200, response.status_code
                answers[response.get_data(as_text=True) + ("/discard" if "X-akismet-pro-tip" in response.headers
                                                           else "")] += 1

            check(0)
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                check(count)
                count += 1
            per_second = count / (time.perf_counter() - start)
            print(f"comment-check (key, score + explain, route, store, answer): {per_second:7.1f} requests/s "
                  f"({count} requests)")
            print("  answers:", dict(sorted(answers.items())))


if __name__ == "__main__":
    main()
