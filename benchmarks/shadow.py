"""What shadow mode costs a reader who posts, and what its report and the override check cost an admin.

Posts comments through the whole submit path (the article form, in-process,
SQLite in a temporary folder) with the shipped default model active: first
with no shadow, then with a shadow version (the shipped model with other
thresholds). For each post it times the request until its response is ready
(what the reader waits for) and, separately, closing the response, which is
when the shadow scores and stores its opinion. Then it times loading a shadow
version in a fresh process's scorer (paid once per worker, after a response),
building the Model page's shadow report, and routing past overrides with two
models (the training job's check).

    .venv/bin/python benchmarks/shadow.py [--posts 300]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

from common import ROOT  # noqa: F401  (puts the project on sys.path)

from moderation import create_app
from moderation.extensions import db
from moderation.model import regressions, shadow
from moderation.model.scoring import Scorer, get_scorer
from moderation.model.store import seed
from moderation.models import Article, Comment, Moderator, Role
from moderation.queue.decisions import decide
from tests.model_versions import NEVER, threshold_variant

TEXTS = ["Interesting point number {i}, thanks for the report.",
         "You are an idiot, number {i}, and this article is garbage.",
         "The council should publish the budget figures, point {i}.",
         "Buy cheap watches now at www.cheap-watches-{i}.biz"]


def post_many(client, article: Article, n: int, start: int) -> tuple[list[float], list[float]]:
    """Milliseconds until each response was ready, and to close it (the after-response work)."""
    ready, closing = [], []
    for i in range(start, start + n):
        t0 = time.perf_counter()
        response = client.post(f"/articles/{article.slug}/comments", data={
            "comment": TEXTS[i % len(TEXTS)].format(i=i), "author": "Bench", "email": f"bench{i}@example.org"})
        t1 = time.perf_counter()
        response.close()
        t2 = time.perf_counter()
        assert response.status_code == 302, response.status_code
        ready.append((t1 - t0) * 1000)
        closing.append((t2 - t1) * 1000)
    return ready, closing


def line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    return (f"{name:<46} median {statistics.median(ordered):6.2f} ms   "
            f"p95 {ordered[int(0.95 * (len(ordered) - 1))]:6.2f} ms")


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}, instance_path=instance)
        with app.app_context():
            db.create_all()
            seed()  # the shipped model, as init-db puts it in the database
            article = Article(slug="bench", title="Benchmark article", body="One paragraph.")
            admin = Moderator(email="admin@example.org", password_hash="", role=Role.ADMIN)
            db.session.add_all([article, admin])
            db.session.commit()
            registry = get_scorer().registry
            active = registry.active_version()
            candidate = threshold_variant(registry, active, "20990101-000000-be4c11", toxic=NEVER)
            client = app.test_client()
            post_many(client, article, 20, 0)  # warm up: the active model is loaded, caches filled

            ready, closing = post_many(client, article, args.posts, 100)
            print(f"{args.posts} posts each, active model {active}")
            print(line("no shadow: response ready", ready))
            print(line("no shadow: after the response", closing))

            load_ms = timed(lambda: Scorer(registry).shadow_model(candidate))
            shadow.start(candidate, admin)
            ready, closing = post_many(client, article, args.posts, 100_000)
            print(line("shadow set: response ready", ready))
            print(line("shadow set: after the response (shadow scores)", closing))
            print(f"{'loading the shadow version in a fresh worker':<46} {load_ms:8.1f} ms (once per process)")

            period = shadow.current_period()
            assert period is not None
            comments = db.session.scalars(db.select(Comment).join(Comment.article).where(Article.slug == "bench")
                                          .order_by(Comment.id.desc()).limit(args.posts)).all()
            insults = 0
            for c in comments:  # moderators approve the civil templates and let every other insult pass
                insults += c.text.startswith("You")
                civil = c.text.startswith(("Interesting", "The council")) or (c.text.startswith("You") and insults % 2)
                decide(c.id, "approve" if civil else "reject", admin, seen_status=c.status)
            result = shadow.report(period)
            print(f"{'shadow report over ' + str(result.comments) + ' comments':<46} "
                  f"{timed(lambda: shadow.report(period)):8.1f} ms  ({result.differ} differ; "
                  f"{result.decided} decided: active agrees {result.active_agrees}, "
                  f"shadow {result.shadow_agrees})")
            cases = regressions.override_cases()
            models = registry.load(candidate), registry.load(active)
            print(f"{'override check, ' + str(len(cases)) + ' cases, two models':<46} "
                  f"{timed(lambda: regressions.compare_models(*models)):8.1f} ms")


if __name__ == "__main__":
    main()
