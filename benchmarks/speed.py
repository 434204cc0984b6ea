"""Scoring speed of the shipped model on ONE core: one comment with its explanation, then a batch.

Targets (issue "The classifier"): ≤ 1 ms median for one comment with its
explanation, in-process; ≥ 5,000 comments/s in batches.
"""
from __future__ import annotations

import os

# Before numpy is imported: its thread pools would otherwise use every core.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
os.sched_setaffinity(0, {0})

import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from common import load_sets, shipped_model, target  # noqa: E402

SINGLE = 3000
BATCH = 20000


def main() -> None:
    model = shipped_model()
    texts = [e.text for d in load_sets().values() for e in d.examples]
    random.Random(0).shuffle(texts)
    print(f"model {model.version}; pinned to core {sorted(os.sched_getaffinity(0))}; "
          f"{len(texts):,} real comments to draw from")

    for text in texts[:200]:  # warm caches and lazy imports
        model.score(text), model.explain(text, k=5)
    latencies = []
    for text in texts[:SINGLE]:
        started = time.perf_counter()
        model.score(text)
        model.explain(text, k=5)
        latencies.append((time.perf_counter() - started) * 1000)
    median, p95 = np.median(latencies), np.percentile(latencies, 95)
    print(f"one comment + explanation: median {median:.3f} ms, p95 {p95:.3f} ms over {SINGLE:,} comments "
          f"{target(median, 1.0, higher=False)}")
    scoring_only = []
    for text in texts[:SINGLE]:
        started = time.perf_counter()
        model.score(text)
        scoring_only.append((time.perf_counter() - started) * 1000)
    print(f"one comment, score only: median {np.median(scoring_only):.3f} ms")

    batch = (texts * (BATCH // len(texts) + 1))[:BATCH]
    started = time.perf_counter()
    model.score_batch(batch)
    rate = BATCH / (time.perf_counter() - started)
    print(f"batch of {BATCH:,}: {rate:,.0f} comments/s on one core {target(rate, 5000)}")


if __name__ == "__main__":
    main()
