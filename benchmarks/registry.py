"""What the model registry in the database costs: a new server's first load, a promotion's way to other servers.

Two apps on one database, each with its own instance folder, stand for two
servers (DATABASE_URL, else SQLite in a temporary folder). It times loading
the shipped model on a server whose cache is empty (fetched from the
database, checked, written to the cache, loaded), then on one whose cache
has it; counts the database queries of 1,000 ``Scorer.model()`` calls (one
per comment); and, for a promotion made on one server, how long until the
other server's scorer returns the promoted version (the poll, plus fetching
and loading it there).

    .venv/bin/python benchmarks/registry.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from common import ROOT  # noqa: F401  (puts the project on sys.path)

from moderation import create_app
from moderation.extensions import db
from moderation.model.scoring import ALIAS_POLL_SECONDS, Scorer
from moderation.model.store import make_registry, seed
from tests.model_versions import NEVER, threshold_variant


def server(tmp: Path, name: str, url: str | None):
    config = {"SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    if url:
        config["SQLALCHEMY_DATABASE_URI"] = url
    return create_app(config, instance_path=str(tmp / name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = server(Path(tmp), "a", None)
        url = a.config["SQLALCHEMY_DATABASE_URI"]
        with a.app_context():
            db.drop_all()
            db.create_all()
            active = seed()
            registry_a = make_registry(a)
            variants = [threshold_variant(registry_a, active, f"20990101-00000{i}-be4c11", toxic=NEVER)
                        for i in range(args.rounds)]
            size = len(registry_a.store.file(active, "model.skops")) / 1e6
        print(f"database: {sa.make_url(url).get_backend_name()}; model {active}, model.skops {size:.1f} MB")

        cold, warm = [], []
        for i in range(args.rounds):
            b = server(Path(tmp), f"b{i}", url)
            with b.app_context():
                start = time.perf_counter()
                make_registry(b).load(active)
                cold.append(time.perf_counter() - start)
                start = time.perf_counter()
                make_registry(b).load(active)
                warm.append(time.perf_counter() - start)
        print(f"first load on a new server (from the database)   median {statistics.median(cold):6.2f} s")
        print(f"load from the server's cache                     median {statistics.median(warm):6.2f} s")

        b = server(Path(tmp), "b", url)
        with b.app_context():
            scorer_b = Scorer(make_registry(b))
            scorer_b.model()
            queries: list[str] = []
            sa.event.listen(db.engine, "before_cursor_execute", lambda *x: queries.append(x[2]))
            start = time.perf_counter()
            for _ in range(1000):
                scorer_b.model()
            took = time.perf_counter() - start
            print(f"1,000 Scorer.model() calls (one per comment):      {len(queries)} queries, "
                  f"{took / 1000 * 1e6:.1f} µs each (alias read at most every {ALIAS_POLL_SECONDS:g} s)")
            pickup = []
            for variant in variants:
                with a.app_context():
                    registry_a.promote(variant)
                start = time.perf_counter()
                while scorer_b.model().version != variant:
                    time.sleep(0.01)
                pickup.append(time.perf_counter() - start)
            print(f"promotion on A until B scores with it            median {statistics.median(pickup):6.2f} s, "
                  f"max {max(pickup):.2f} s over {len(pickup)}")


if __name__ == "__main__":
    main()
