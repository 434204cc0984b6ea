"""The model commands, as plain click commands the web app registers under ``flask --app moderation``.

They are defined here, next to what they manage, and take the registry and
the moderators' decisions as callables, so the training library never imports
the app and the commands can be tested with a temporary registry.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from .datasets import Dataset, load
from .evaluate import LabelMetrics, compare, evaluate, format_table, metrics_json
from .registry import LoadedModel, Registry, RegistryError
from .train import train


@contextmanager
def _as_message() -> Iterator[None]:
    """Show an expected failure (bad spec, unknown version, corrupt model) as one line, exit 1."""
    try:
        yield
    except (RegistryError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _report(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Say what each data set gave, whichever way it was loaded."""
    for dataset in datasets:
        click.echo(f"Loaded {dataset.name}: {len(dataset.examples):,} examples"
                   + (f", skipped {sum(dataset.skipped.values()):,}" if dataset.skipped else ""))
    return list(datasets)


def _load_data(specs: Sequence[str]) -> list[Dataset]:
    return _report([load(spec) for spec in specs])


def _refit_base(registry: Registry, datasets: Sequence[Dataset], seed: int) -> str:
    """Fit, save and report a new base model; returns its version."""
    parent = registry.active_version()
    result = train(datasets, seed=seed, parent=parent,
                   progress=lambda step, fraction: click.echo(f"[{fraction:4.0%}] {step}"))
    version = registry.save(result)
    model = registry.load(version)
    click.echo(f"\nNew base version {version}: {result.training_seconds:.1f} s, "
               f"peak memory {result.peak_memory_mb:.0f} MB")
    results: dict[str, dict[str, LabelMetrics]] = {version: result.metrics}
    if parent:
        try:
            results = compare(model, registry.load(parent), result.validation)
            click.echo(f"Held-out examples, new version against the active {parent}:")
        except RegistryError as exc:
            click.echo(f"(the active version cannot be compared: {exc})")
    click.echo(format_table(results))
    click.echo("Thresholds:\n" + _thresholds_text(model))
    return version


def _thresholds_text(model: LoadedModel) -> str:
    lines = []
    for label, t in model.thresholds.items():
        note = model.card["thresholds"][label].get("note")
        lines.append(f"  {label}: review at {t.review:.3f}, high at {t.high:.3f}" + (f" ({note})" if note else ""))
    return "\n".join(lines)


#: What the app gives ``train --decisions``: learn the site over a base (the active model's when None),
#: save the candidate, and return its version and the lines that say how it measured.
LearnSite = Callable[[str | None], tuple[str, list[str]]]


def make_commands(get_registry: Callable[[], Registry],
                  get_base_data: Callable[[], list[Dataset]] = list,
                  learn_site: LearnSite | None = None) -> list[click.Command]:
    """``train``, ``evaluate``, ``models`` (list, promote, rollback, export, import) and ``score``.

    ``get_base_data`` gives the public data a full refit reads when no ``--data``
    is named (the app passes its configured TRAINING_DATA); ``learn_site`` is how
    ``train --decisions`` learns the site, exactly as the admin page's Retrain
    button does (the app passes its site learning; the library knows no site).
    """

    data_option = click.option("--data", "specs", multiple=True, metavar="FORMAT:PATH",
                               help="A labelled data set, e.g. csv:training/data (repeatable); refits the base.")
    model_option = click.option("--model", "version", metavar="VERSION",
                                help="A model version (default: the active one).")

    @click.command("train")
    @data_option
    @click.option("--decisions", is_flag=True,
                  help="Learn this site from its own labels (decisions, imports, reports): a site layer over the "
                       "base model, in seconds, with no public data.")
    @click.option("--full", is_flag=True,
                  help="Refit the base model from public data first (--data, else the configured base data): "
                       "slow, and only where the public data sets are.")
    @click.option("--promote", is_flag=True, help="Make the new version active if it loads.")
    @click.option("--seed", type=int, default=0, show_default=True, help="Seed of the held-out split.")
    def train_command(specs: tuple[str, ...], decisions: bool, full: bool, promote: bool, seed: int) -> None:
        """Train a new model version: a site layer (--decisions), a new base (--full, --data), or both."""
        if not specs and not decisions and not full:
            raise click.UsageError("Give --decisions (learn this site), or --full or --data FORMAT:PATH "
                                   "(refit the base model).")
        if decisions and learn_site is None:
            raise click.UsageError("--decisions needs the app's site labels.")
        with _as_message():
            registry = get_registry()
            version = None
            if specs or full:
                version = _refit_base(registry, _load_data(specs) if specs else _report(get_base_data()), seed)
            if learn_site is not None and decisions:
                version, lines = learn_site(version)
                for line in lines:
                    click.echo(line)
            if promote and version is not None:
                registry.promote(version)
                click.echo(f"Active version: {version}")

    @click.command("evaluate")
    @data_option
    @model_option
    @click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                  help="Also write the metrics to FILE as JSON.")
    def evaluate_command(specs: tuple[str, ...], version: str | None, json_file: Path | None) -> None:
        """Measure a model version on labelled data: per label AUCs, precision and recall at its thresholds."""
        if not specs:
            raise click.UsageError("Give at least one --data FORMAT:PATH.")
        with _as_message():
            examples = [e for d in _load_data(specs) for e in d.examples]
            model = get_registry().load(version)
            metrics = evaluate(model, examples)
        click.echo(format_table({model.version: metrics}))
        click.echo("Thresholds:\n" + _thresholds_text(model))
        if json_file is not None:
            with _as_message():
                json_file.write_text(json.dumps(metrics_json(model.version, metrics), indent=2) + "\n",
                                     encoding="utf-8")

    @click.group("models")
    def models() -> None:
        """List model versions, promote one, roll back, or move one between installations."""

    @models.command("list")
    def list_command() -> None:
        """Every version, oldest first; * marks the active one."""
        with _as_message():
            infos = get_registry().versions()
        if not infos:
            click.echo("No model versions.")
        for info in infos:
            aucs = "  ".join(f"{label} AUC {'n/a' if auc is None else f'{auc:.3f}'}"
                             for label, auc in info.roc_auc.items())
            click.echo(f"{'*' if info.active else ' '} {info.version}  {info.created or 'card unreadable'}"
                       f"  {aucs}" + (f"  (from {info.parent})" if info.parent else ""))

    @models.command("promote")
    @click.argument("version")
    def promote_command(version: str) -> None:
        """Make VERSION active, after checking that it loads."""
        with _as_message():
            get_registry().promote(version)
        click.echo(f"Active version: {version}")

    @models.command("rollback")
    def rollback_command() -> None:
        """Re-activate the version that was active before the current one."""
        with _as_message():
            version = get_registry().rollback()
        click.echo(f"Active version: {version}")

    @models.command("export")
    @click.argument("version")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    def export_command(version: str, directory: Path) -> None:
        """Write VERSION (model, card, plots) as DIRECTORY/VERSION, for ``models import`` elsewhere."""
        with _as_message():
            folder = get_registry().export(version, directory)
        click.echo(f"Exported {version} to {folder}")

    @models.command("import")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def import_command(directory: Path) -> None:
        """Add the version exported as DIRECTORY (named after the version) once it loads; it is not made active."""
        with _as_message():
            version = get_registry().import_folder(directory)
        click.echo(f"{version} is in the registry; make it active with: models promote {version}")

    @click.command("score")
    @click.argument("text")
    @model_option
    def score_command(text: str, version: str | None) -> None:
        """Score TEXT as a comment: each label's probability, its thresholds and the reasons."""
        with _as_message():
            model = get_registry().load(version)
        scores = model.score(text)
        reasons = model.explain(text)
        click.echo(f"Model {model.version}")
        for label in model.labels:
            t = model.thresholds[label]
            band = "high" if scores[label] >= t.high else "review" if scores[label] >= t.review else "below review"
            terms = ", ".join(f"{term} (+{weight:.2f})" for term, weight in reasons[label]) or "none"
            click.echo(f"  {label}: {scores[label]:.3f}  [{band}; review at {t.review:.3f}, high at {t.high:.3f}]"
                       f"\n    reasons: {terms}")

    return [train_command, evaluate_command, models, score_command]
