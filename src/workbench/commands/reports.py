"""``workbench reports``: render the per-municipality reports (and the Kreis overview)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workbench.commands.options import kreis_option


def _formats(value: str) -> tuple[str, ...]:
    from workbench.reports.render import FORMATS

    items = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [v for v in items if v not in FORMATS]
    if unknown or not items:
        raise click.BadParameter(
            f"unbekanntes Format {', '.join(unknown) or '(leer)'}; erlaubt: {', '.join(FORMATS)}"
        )
    return items


@click.command("reports")
@click.option("--municipality", "-m", "municipalities", multiple=True, metavar="NAME_ODER_AGS",
              help="Gemeinde (Name oder AGS); mehrfach angeben für mehrere.")
@click.option("--all", "all_", is_flag=True,
              help="Alle Städte und Gemeinden des Kreises (mit PDF zusätzlich der "
                   "Integrationsbericht des Kreises als eine PDF-Datei).")
@kreis_option
@click.option("--year", "-y", type=int, default=None,
              help="Berichtsjahr (Standard: letztes abgeschlossenes Kalenderjahr).")
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Ausgabeverzeichnis (index.html, Berichte, manifest.json).")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Parallele Arbeitsprozesse (je einer mit warmem Kernel).")
@click.option("--format", "formats", default="html,pdf,ipynb", show_default=True,
              help="Ausgabeformate, kommagetrennt: html, pdf, ipynb.")
@click.option("--rerun-failed", is_flag=True,
              help="Nur Berichte neu erstellen, die zuletzt fehlgeschlagen sind (manifest.json).")
@click.option("--only-outdated", is_flag=True,
              help="Nur fehlgeschlagene oder veraltete Berichte (Daten/Code/Parameter geändert).")
@click.option("--kreisbericht/--no-kreisbericht", "kreis", default=None,
              help="Kreisübersicht erzeugen (Standard: ja bei --all, sonst nein).")
@click.option("--no-kreis", "no_kreis", is_flag=True, hidden=True,
              help="Frühere Schreibweise von --no-kreisbericht.")
@click.option("--dask", "dask_address", metavar="ADRESSE",
              help="Auf einem Dask-Cluster rechnen, z. B. tcp://scheduler:8786 "
                   "(braucht pip install \"workbench[dask]\").")
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Anderes Datenverzeichnis (Standard: data/ des Projekts).")
@click.option("--quiet", "-q", is_flag=True, help="Keinen Fortschrittsbalken anzeigen.")
def reports(municipalities: tuple[str, ...], all_: bool, year: int | None, out_dir: Path,
            workers: int, formats: str, rerun_failed: bool, only_outdated: bool,
            kreis: bool | None, no_kreis: bool, dask_address: str | None, data_dir: Path | None,
            quiet: bool, kreis_ags: str) -> None:
    """Berichte je Gemeinde erzeugen: ausgeführtes Notebook, HTML (offline) und PDF.

    \b
    Beispiele:
      workbench reports --all --out output/berichte
      workbench reports -m Sachsenheim -m 08118048 --out /tmp/b --format html
      workbench reports --all --out output/berichte --only-outdated
      workbench reports -m Sachsenheim --year 2023 --out /tmp/b2023
      workbench reports --kreis 08115 --all --out output/berichte-boeblingen

    Ohne --year gilt das letzte abgeschlossene Kalenderjahr (ein zeitgesteuerter Lauf
    erzeugt ab Januar das neue Berichtsjahr).
    """
    from workbench.exceptions import MissingExtraError, escape_lines
    from workbench.ids import InvalidIdError
    from workbench.region import UnknownMunicipalityError
    from workbench.reports.export import OutputWriteError
    from workbench.reports.plan import default_report_year, plan_jobs
    from workbench.reports.runner import run_batch

    if no_kreis:
        kreis = False
    if not municipalities and not all_ and not kreis:
        raise click.UsageError("Bitte --municipality NAME (mehrfach möglich), --all oder "
                               "--kreisbericht angeben.")
    if rerun_failed and only_outdated:
        raise click.UsageError("--rerun-failed und --only-outdated schließen sich aus.")
    fmt = _formats(formats)
    if year is None:
        year = default_report_year()
        if not quiet:
            click.echo(f"Berichtsjahr {year} (letztes abgeschlossenes Kalenderjahr)")
    try:
        jobs = plan_jobs(municipalities, all_municipalities=all_, year=year,
                         kreis=all_ if kreis is None else kreis, kreis_ags=kreis_ags,
                         data_dir=data_dir)
    except (UnknownMunicipalityError, InvalidIdError) as exc:
        raise click.BadParameter(escape_lines(exc), param_hint="--municipality") from exc
    mode = "failed" if rerun_failed else "outdated" if only_outdated else "all"
    try:
        from workbench import region

        result = run_batch(jobs, out_dir, formats=fmt, workers=workers, mode=mode,
                           dask_address=dask_address, progress=not quiet, data_dir=data_dir,
                           title=f"Integrationsberichte {region.kreis_name(kreis_ags)}",
                           kreis_pdf=all_)
    except OutputWriteError as exc:
        raise click.ClickException(f"Ausgabeverzeichnis nicht nutzbar: {exc}") from exc
    except MissingExtraError as exc:
        raise click.ClickException(str(exc)) from exc
    # Error texts may quote file contents: control characters shown as escapes.
    click.echo(escape_lines(result.summary()))
    if result.failed or result.errors:
        sys.exit(1)
