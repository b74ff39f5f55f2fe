"""``workbench run``: the main run on the shipped data.

Check the data, build the population model, print the overview, render all reports, then serve
the dashboards. Each step is one function called from :func:`run_steps`.
"""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from workbench.commands.options import kreis_option
from workbench.formatting import fmt_int


def validate_inputs(paths: list[Path] | None = None) -> bool:
    """Validate every input file (data/raw, data/published, data/user); print German results.

    Returns True when all files are valid. Uses ``workbench.validation.validate_path`` (format
    detection, loader, sha256 against the provenance files).
    """
    from workbench.commands.validate import expand
    from workbench.exceptions import format_problems
    from workbench.loaders.detect import FORMAT_LABELS
    from workbench.paths import data_dir, raw_dir, user_dir
    from workbench.validation import validate_path

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


def build_population(kreis: str | None = None) -> pl.DataFrame:
    """Build (and validate) the population model of a Kreis; print what it holds."""
    from workbench.commands.population import _load_or_exit

    pop = _load_or_exit(None, kreis)
    estimated = pop.filter(pl.col("status") == "geschätzt").height
    click.echo(
        f"Bevölkerungsmodell: {fmt_int(pop.height)} Zeilen aus "
        f"{fmt_int(pop.get_column('source').n_unique())} Quellen, davon {fmt_int(estimated)} "
        "geschätzt."
    )
    return pop


def print_summary(pop: pl.DataFrame, kreis: str | None = None) -> None:
    from workbench import metrics
    from workbench.commands.population import format_overview

    click.echo()
    click.echo(format_overview(metrics.overview_table(pop, kreis), pop, kreis))


def render_reports(year: int, out_dir: Path | None = None, kreis: str | None = None) -> bool:
    """All municipal reports of the Kreis + the Kreis overview; PDFs only where Chromium is
    installed."""
    from workbench.reports.pdf import chromium_path
    from workbench.reports.render import FORMATS
    from workbench.reports.runner import render_all

    formats = list(FORMATS)
    if not Path(chromium_path()).exists():
        formats = [f for f in formats if f != "pdf"]
        click.secho(f"Hinweis: {chromium_path()} fehlt – Berichte ohne PDF "
                    "(apt-get install chromium).", fg="yellow")
    result = render_all(year, out_dir, formats=formats, kreis_ags=kreis)
    click.echo(result.summary())
    return not result.failed


def serve_dashboards(port: int | None = None, kreis: str | None = None) -> None:
    """Serve the Voila dashboards (prints their URLs) until Ctrl+C."""
    from workbench.dashboards.server import DEFAULT_PORT, serve
    from workbench.settings import KREIS_ENV

    env = {KREIS_ENV: kreis} if kreis else None
    serve(port=port or DEFAULT_PORT, block=True, env=env)


def run_steps(*, year: int | None = None, reports: bool = True, serve: bool = True,
              port: int | None = None, kreis: str | None = None) -> int:
    """All steps of the main run in order for one Kreis (default Landkreis Ludwigsburg);
    returns the exit code (0 = everything fine)."""
    from workbench import region

    kreis = kreis or region.KREIS_AGS
    click.secho("1. Daten prüfen", bold=True)
    if not validate_inputs():
        click.secho("Abbruch: Bitte die gemeldeten Dateien korrigieren und erneut starten.",
                    fg="red")
        return 1
    click.secho("2. Bevölkerungsmodell aufbauen", bold=True)
    pop = build_population(kreis)
    name = region.kreis_name(kreis)
    click.secho(f"3. Übersicht der Städte und Gemeinden – {name}", bold=True)
    print_summary(pop, kreis)
    code = 0
    if reports:
        if year is None:
            from workbench.reports.plan import default_report_year

            year = default_report_year()
        n = region.municipalities(kreis=kreis).height
        what = (f"{n} Gemeinden + Kreisübersicht" if n > 1
                else f"{name}: Stadt und Kreis in einem Bericht")
        click.secho(f"4. Berichte {year} erzeugen ({what})", bold=True)
        if not render_reports(year, kreis=kreis):
            code = 1
    if serve:
        click.secho("5. Dashboards starten", bold=True)
        serve_dashboards(port, kreis)
    return code


@click.command("run")
@click.option("--year", type=int, default=None,
              help="Berichtsjahr (Standard: letztes abgeschlossenes Jahr).")
@click.option("--no-reports", is_flag=True, help="Keine Berichte erzeugen.")
@click.option("--no-serve", is_flag=True, help="Dashboards nicht starten.")
@click.option("--port", type=int, default=None, help="Port der Dashboards.")
@kreis_option
def run(year: int | None, no_reports: bool, no_serve: bool, port: int | None,
        kreis_ags: str) -> None:
    """Hauptlauf: Daten prüfen, Übersicht ausgeben, Berichte erzeugen, Dashboards starten.

    \b
    Beispiele:
      workbench run                   Landkreis Ludwigsburg (Standard)
      workbench run --kreis 08115     Landkreis Böblingen
      workbench run --kreis 08111     Stadtkreis Stuttgart
    """
    raise SystemExit(run_steps(year=year, reports=not no_reports, serve=not no_serve, port=port,
                               kreis=kreis_ags))
