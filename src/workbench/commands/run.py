"""``workbench run``: the main run – check the data, build the population model, print the overview.

Kept as small steps in :func:`run_steps` so later steps (reports, dashboards) are added as one
function each.
"""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from workbench.formatting import fmt_int


def validate_inputs(paths: list[Path] | None = None) -> bool:
    """Validate every input file (data/raw, data/published, data/user); print German results.

    Returns True when all files are valid. Uses ``workbench.validation.validate_path`` (format
    detection, loader, sha256 against the provenance files).
    """
    from workbench.commands.validate import expand
    from workbench.paths import data_dir, raw_dir, user_dir
    from workbench.validation import FORMAT_LABELS, format_problems, validate_path

    roots = paths or [p for p in (raw_dir(), data_dir() / "published", user_dir()) if p.exists()]
    files = expand(roots)
    failed = 0
    for path in files:
        result = validate_path(path)
        if result.ok:
            continue
        failed += 1
        label = FORMAT_LABELS.get(result.format or "", "Format unbekannt")
        click.secho(f"FEHLER  {path.name}: {label}", fg="red")
        for line in format_problems(result.problems):
            click.echo(f"        {line}")
    if failed:
        click.secho(f"{fmt_int(len(files))} Dateien geprüft, {fmt_int(failed)} mit Problemen.",
                    fg="red")
        return False
    click.echo(f"{fmt_int(len(files))} Dateien geprüft, alle in Ordnung.")
    return True


def build_population() -> pl.DataFrame:
    """Build (and validate) the population model; print what it holds."""
    from workbench.commands.population import _load_or_exit

    pop = _load_or_exit(None)
    estimated = pop.filter(pl.col("status") == "geschätzt").height
    click.echo(
        f"Bevölkerungsmodell: {fmt_int(pop.height)} Zeilen aus "
        f"{fmt_int(pop.get_column('source').n_unique())} Quellen, davon {fmt_int(estimated)} "
        "geschätzt."
    )
    return pop


def print_summary(pop: pl.DataFrame) -> None:
    from workbench import metrics
    from workbench.commands.population import format_overview

    click.echo()
    click.echo(format_overview(metrics.overview_table(pop), pop))


def run_steps() -> int:
    """All steps of the main run in order; returns the exit code (0 = everything fine)."""
    click.secho("1. Daten prüfen", bold=True)
    if not validate_inputs():
        click.secho("Abbruch: Bitte die gemeldeten Dateien korrigieren und erneut starten.",
                    fg="red")
        return 1
    click.secho("2. Bevölkerungsmodell aufbauen", bold=True)
    pop = build_population()
    click.secho("3. Übersicht der Städte und Gemeinden", bold=True)
    print_summary(pop)
    return 0


@click.command("run")
def run() -> None:
    """Hauptlauf: Daten prüfen, Bevölkerungsmodell aufbauen, Übersicht ausgeben."""
    raise SystemExit(run_steps())
