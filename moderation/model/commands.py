"""The training library's commands (``train``, ``evaluate``, ``models``, ``score``) wired to this app.

The library defines them without knowing the app; this module hands them the
app's registry, its site learning (``train --decisions``) and its configured
base data (``train --full``), and adds the shadow commands, which need the
database, to the ``models`` group. So training never imports the web app.
"""
from __future__ import annotations

import time

import click
from flask import Flask, current_app

from training.cli import make_commands
from training.datasets import Dataset, register_source
from training.train import peak_memory_mb

from ..queue.decisions import decisions_dataset
from .retrain import load_training_data
from .shadow import shadow_command, shadow_report_command
from .site_learning import learn_site


def _base_data() -> list[Dataset]:
    """The configured TRAINING_DATA that exists, saying what was skipped."""
    datasets, notes = load_training_data(list(current_app.config["TRAINING_DATA"]))
    for note in notes:
        click.echo(f"Note: {note}")
    return datasets


def _learn_site(base: str | None) -> tuple[str, list[str]]:
    """``train --decisions``: the Retrain button's site candidate, with what it measured, for the terminal."""
    started, peak = time.perf_counter(), peak_memory_mb()
    found = learn_site(lambda step, fraction: click.echo(f"[{fraction:4.0%}] {step}"), base)
    c = found.comparison
    lines = [f"\nSite candidate {found.version}: {found.labels:,} labels "
             f"({', '.join(f'{n:,} {s}' for s, n in sorted(c['labels_by_source'].items()))}), "
             f"{time.perf_counter() - started:.1f} s, peak memory {max(peak, peak_memory_mb()):.0f} MB",
             f"Measured on the site's labels, out of fold, against {found.compared_with}:"]
    for label, m in sorted(c["site"].items()):
        lines.append(f"  {label}: ROC AUC {m['candidate_auc']:.3f} (95% {m['auc_low']:.3f}-{m['auc_high']:.3f}) "
                     f"against {m['active_auc']:.3f}; gain {m['gain_low']:+.3f} to {m['gain_high']:+.3f} "
                     f"({m['labelled']:,} labelled, {m['positives']:,} {label})")
    lines.append("Review thresholds: " + "; ".join(f"{label} from {where}"
                                                    for label, where in sorted(c["thresholds_from"].items())))
    lines.append(f"Gate: {'passed' if found.passed else 'not passed'}: {found.reason}")
    return found.version, lines


def register_commands(app: Flask) -> None:
    register_source("decisions", decisions_dataset)
    model_commands = make_commands(
        get_registry=lambda: current_app.extensions["moderation.scorer"].registry,
        get_base_data=_base_data,
        learn_site=_learn_site,
    )
    for command in model_commands:
        app.cli.add_command(command)
    models = next(c for c in model_commands if isinstance(c, click.Group) and c.name == "models")
    models.add_command(shadow_command)
    models.add_command(shadow_report_command)
