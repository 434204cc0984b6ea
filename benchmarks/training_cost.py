"""Wall time and peak memory of training, each in a fresh child process.

``site``: what a newsroom's server runs, ``flask --app moderation train
--decisions`` with 2,000 site labels (a fresh instance: the shipped model
active, 2,000 labelled comments of the news split imported as the site's
history): load the labels and the base, fit the site layer, cross-validate it
against the active model, save. Targets: ≤ 30 s and ≤ 1 GB.

``full``: the base model on everything (the project corpus and all of
../shared/datasets), as the default model is built: load, fit, measure, save.
Targets: ≤ 90 s and ≤ 2 GB peak.

    .venv/bin/python benchmarks/training_cost.py [site] [full]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, load_sets, target

CHILD = """
import json, os, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[1])
started = time.perf_counter()
from training.datasets import load
from training.default_model import specs
from training.registry import Registry
from training.train import train
datasets = [load(spec) for spec in specs()]
loaded = time.perf_counter()
result = train(datasets, seed=0)
with tempfile.TemporaryDirectory() as root:
    Registry(Path(root)).save(result)
print(json.dumps({"load_seconds": loaded - started, "train_seconds": result.training_seconds,
                  "examples": sum(len(d.examples) for d in datasets)}))
"""
SITE_LABELS = 2000


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def full() -> None:
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    peak_mb = child_peak_mb()
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"full: the base on everything ({figures['examples']:,} examples): {wall:.1f} s wall, start to saved "
          f"version (loading {figures['load_seconds']:.1f} s, train() {figures['train_seconds']:.1f} s) "
          f"{target(wall, 90, higher=False)}")
    print(f"full: peak memory (child's max RSS): {peak_mb:,.0f} MB {target(peak_mb, 2048, higher=False)}")


def add_history(instance: Path, site: list, first: int, last: int) -> None:
    """Labelled comments ``first`` to ``last`` of the news split, imported as the site's history."""
    from moderation import create_app
    from moderation.extensions import db
    from moderation.model.store import seed
    from moderation.models import Article, Comment, ImportedComment, Status

    app = create_app({"SECRET_KEY": "benchmark"}, instance_path=str(instance))
    with app.app_context():
        db.create_all()
        seed()  # the shipped model, as init-db puts it in the database
        article = db.session.get(Article, 1) or Article(slug="history", title="History", body="Imported.")
        db.session.add(article)
        db.session.flush()
        for i, e in enumerate(site[first:last], first):
            status = Status.REJECTED if e.labels["toxic"] else Status.PUBLISHED
            comment = Comment(article_id=article.id, author=f"Reader {i}", email=f"r{i}@example.org", text=e.text,
                              ip_hash="", status=status, routed_status=status, route_rule="import.wxr",
                              route_reason="imported")
            db.session.add(comment)
            db.session.add(ImportedComment(origin="wxr", external_id=str(i), comment=comment,
                                           label="toxic" if e.labels["toxic"] else "ok"))
        db.session.commit()
        db.engine.dispose()


def train_decisions(instance: Path, *extra: str) -> tuple[float, float, str]:
    """``flask train --decisions`` in a child process: wall seconds, the child's peak RSS (MB), its output."""
    env = {**os.environ, "MODERATION_INSTANCE_PATH": str(instance), "MODERATION_SECRET_KEY": "benchmark"}
    env.pop("DATABASE_URL", None)
    before = child_peak_mb()
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-m", "flask", "--app", "moderation", "train", "--decisions", *extra],
                           cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if child.returncode:
        sys.exit(f"train --decisions failed:\n{child.stdout}\n{child.stderr}")
    return wall, max(before, child_peak_mb()), child.stdout


def site() -> None:
    """A site's first run, on its first 1,000 labels, promoted; then 1,000 more labels and the run measured:
    2,000 labels against an active site model, the costlier case (its layer is refitted in every fold too)."""
    sets = load_sets("civil", "corpus")
    news = sets["civil"].examples + [e for e in sets["corpus"].examples if not e.labels.get("toxic")]
    random.Random(0).shuffle(news)
    with tempfile.TemporaryDirectory(prefix="site-cost-") as tmp:
        instance = Path(tmp) / "instance"
        add_history(instance, news, 0, SITE_LABELS // 2)
        wall, peak_mb, _ = train_decisions(instance, "--promote")
        print(f"site: first run, {SITE_LABELS // 2:,} labels against the shipped model: {wall:.1f} s wall")
        add_history(instance, news, SITE_LABELS // 2, SITE_LABELS)
        wall, peak_mb, output = train_decisions(instance)
    print("\n".join(line for line in output.splitlines() if not line.startswith("[")))
    print(f"site: flask train --decisions with {SITE_LABELS:,} site labels, against the active site model that "
          f"learnt the first {SITE_LABELS // 2:,}: {wall:.1f} s wall, command start to saved and measured candidate "
          f"{target(wall, 30, higher=False)}")
    print(f"site: peak memory (the children's max RSS): {peak_mb:,.0f} MB {target(peak_mb, 1024, higher=False)}")
    print("(the figures of the labels mean little here: the shipped model was trained on the news split)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", choices=("site", "full"), help="default: both")
    runs = parser.parse_args().runs or ["site", "full"]
    if "site" in runs:
        site()
    if "full" in runs:
        full()


if __name__ == "__main__":
    main()
