"""Wall time and peak memory of training on everything, in a fresh child process.

Everything = the project corpus and all of ../shared/datasets, as the default
model is built: load, fit, measure, save. Targets: ≤ 90 s and ≤ 2 GB peak on
the 2-core machine the issue names.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

from common import ROOT, target

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


def main() -> None:
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"training on everything ({figures['examples']:,} examples): {wall:.1f} s wall, start to saved version "
          f"(loading {figures['load_seconds']:.1f} s, train() {figures['train_seconds']:.1f} s) {target(wall, 90, higher=False)}")
    print(f"peak memory (child's max RSS): {peak_mb:,.0f} MB {target(peak_mb, 2048, higher=False)}")


if __name__ == "__main__":
    main()
