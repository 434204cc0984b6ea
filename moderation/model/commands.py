"""The training library's commands (``train``, ``evaluate``, ``models``, ``score``) wired to this app.

The library defines them without knowing the app; this module hands them the
app's registry, its moderators' decisions and its configured base data, and
adds the shadow commands, which need the database, to the ``models`` group.
So training never imports the web app.
"""
from __future__ import annotations

import click
from flask import Flask, current_app

from training.cli import make_commands
from training.datasets import Dataset, register_source

from ..queue.decisions import decisions_dataset, training_examples
from .retrain import load_training_data
from .shadow import shadow_command, shadow_report_command


def _base_data() -> list[Dataset]:
    """The configured TRAINING_DATA that exists, saying what was skipped."""
    datasets, notes = load_training_data(list(current_app.config["TRAINING_DATA"]))
    for note in notes:
        click.echo(f"Note: {note}")
    return datasets


def register_commands(app: Flask) -> None:
    register_source("decisions", decisions_dataset)
    model_commands = make_commands(
        get_registry=lambda: current_app.extensions["moderation.scorer"].registry,
        get_decisions=lambda: training_examples(current_app.config["DECISION_WEIGHT"]),
        get_base_data=_base_data,
    )
    for command in model_commands:
        app.cli.add_command(command)
    models = next(c for c in model_commands if isinstance(c, click.Group) and c.name == "models")
    models.add_command(shadow_command)
    models.add_command(shadow_report_command)
