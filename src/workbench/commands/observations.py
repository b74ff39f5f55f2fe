"""``workbench import-observations`` / ``export-observations`` / ``example-data``.

German messages; bad input exits with status 1 and the list of problems, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import click

from workbench.exceptions import (
    AccessDeniedError,
    DataValidationError,
    escape_control,
    format_problems,
)
from workbench.formatting import fmt_date, fmt_int


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(escape_control(line), err=True)  # values from files: no raw ESC/controls
    raise SystemExit(1)


def _open_store(db: Path | None):
    from workbench.store import ObservationStore

    try:
        return ObservationStore(db)
    except (sqlite3.DatabaseError, RuntimeError, OSError) as exc:
        _fail([f"Messwertspeicher {db or ''} kann nicht geöffnet werden: {exc}"])


_DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite-Datei des Messwertspeichers (Standard: $WORKBENCH_DB bzw. "
    "data/store/observations.sqlite).",
)


@click.command("import-observations")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_DB_OPTION
@click.option("--user", default=None,
              help="Wer importiert (Standard: angemeldeter Benutzer). Unter dem Hub wird immer "
              "der angemeldete Hub-Benutzer gespeichert.")
def import_observations(file: Path, db: Path | None, user: str | None) -> None:
    """Messwerte aus einer Excel- (.xlsx) oder CSV-Datei (Vorlage) importieren.

    Die Datei wird vollständig geprüft; enthält sie Fehler, wird nichts gespeichert.
    """
    from workbench import observations_io

    store = _open_store(db)
    try:
        result = observations_io.import_observations(file, store, user=user)
    except DataValidationError as exc:
        n = len(exc.problems)
        _fail(
            [
                f"Import abgebrochen – nichts gespeichert. {fmt_int(n)} Problem"
                f"{'e' if n != 1 else ''} in {escape_control(file.name)}:",
                *("  " + line for line in format_problems(exc.problems, limit=200)),
            ]
        )
    except sqlite3.DatabaseError as exc:
        _fail([f"Import abgebrochen – nichts gespeichert (Datenbankfehler: {exc})"])
    except AccessDeniedError as exc:  # a PermissionError: before OSError
        _fail([f"Import abgebrochen – nichts gespeichert. {exc}"])
    except OSError as exc:
        _fail([f"Import abgebrochen – nichts gespeichert: {file} nicht lesbar ({exc.strerror})"])
    except MemoryError:
        _fail([f"Import abgebrochen – nichts gespeichert: {file.name} ist zu groß für den "
               "Arbeitsspeicher (Grenzen: docs/eingabedaten-grenzen.md)"])
    click.echo(
        f"{escape_control(result.file)}: {fmt_int(result.rows)} Werte gelesen, "
        f"{fmt_int(result.new_versions)} neu gespeichert (neue Werte oder Korrekturen), "
        f"{fmt_int(result.unchanged)} unverändert, {fmt_int(result.skipped_empty)} leere "
        "Vorlagenzeilen übersprungen."
    )
    if result.ignored_columns:
        click.echo("Hinweis: Spalten ignoriert: "
                   + ", ".join(escape_control(c) for c in result.ignored_columns))
    if result.markers:
        shown = ", ".join(f"Zeile {r} „{m}“" for r, m in result.markers[:10])
        extra = len(result.markers) - 10
        more = f" und {fmt_int(extra)} weitere" if extra > 0 else ""
        click.echo(f"Hinweis: {fmt_int(len(result.markers))} Zeile(n) mit Kennzeichen statt "
                   f"Wert (x . - / = kein Wert) nicht gespeichert: {shown}{more}")
    click.echo(f"Messwertspeicher: {escape_control(store.path)}")


@click.command("export-observations")
@click.option("--traeger", default=None, help="Nur diesen Träger exportieren (Kennung).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="Dateiformat (Standard: aus der Dateiendung von --out).")
@click.option("--history", is_flag=True, default=False,
              help="CSV: alle Versionen statt nur aktueller Werte (xlsx enthält immer beides).")
@click.option("--template", "template", default=None, metavar="TRAEGER",
              help="Leere Erfassungsvorlage für diesen Träger schreiben statt Werte.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Zieldatei (.xlsx oder .csv).")
@_DB_OPTION
def export_observations(traeger: str | None, fmt: str | None, history: bool,
                        template: str | None, out: Path, db: Path | None) -> None:
    """Messwerte (oder eine Erfassungsvorlage) nach Excel/CSV exportieren."""
    from workbench import catalogue, observations_io
    from workbench.ids import InvalidIdError, check_traeger_id

    for given in (traeger, template):
        if given is not None:
            try:
                check_traeger_id(given)
            except InvalidIdError as exc:
                _fail([str(exc)])
    if fmt is not None and out.suffix.lower() not in ("", f".{fmt}"):
        _fail([f"--out {out.name} passt nicht zu --format {fmt} (Endung .{fmt} erwartet)"])
    if out.suffix.lower() not in (".xlsx", ".csv"):
        if fmt is None:
            _fail([f"--out {out.name}: Endung .xlsx oder .csv erwartet"])
        out = out.with_suffix(f".{fmt}")
    if template is not None:
        if template not in catalogue.list_traeger():
            have = ", ".join(catalogue.list_traeger()) or "keine"
            _fail([f"Kein Maßnahmenkatalog für „{template}“ (vorhanden: {have})"])
        try:
            path = observations_io.write_template(template, out)
        except catalogue.CatalogueError as exc:
            _fail([str(exc)])
        except OSError as exc:
            _fail([f"Vorlage nicht geschrieben: {out} ({exc.strerror})"])
        n = len(observations_io.template_rows(template))
        click.echo(f"Vorlage für „{template}“ mit {fmt_int(n)} Indikatoren geschrieben: {path}")
        return
    store = _open_store(db)
    notices: list[str] = []
    try:
        path = observations_io.export_observations(out, store, traeger_id=traeger, fmt=fmt,
                                                   history=history, notices=notices)
    except OSError as exc:
        _fail([f"Export nicht geschrieben: {out} ({exc.strerror}); eine vorhandene Datei "
               "bleibt unverändert"])
    for line in notices:  # what Excel's limits cut (or would cut), German
        click.echo(escape_control(line), err=True)
    current = store.current(traeger)
    if traeger is not None and current.height == 0:
        click.echo(f"Hinweis: keine Werte für Träger „{traeger}“ im Messwertspeicher "
                   f"{store.path}", err=True)
    n_example = int(current["is_example"].sum()) if current.height else 0
    click.echo(
        f"{fmt_int(current.height)} aktuelle Werte"
        + (f" (davon {fmt_int(n_example)} Beispieldaten)" if n_example else "")
        + f" exportiert: {path}"
    )


@click.command("example-data")
@click.option("--as-of", "as_of", default=None, metavar="DATUM",
              help="Stichtag der Beispieldaten (31.12.2025 oder 2025-12-31; Standard: heute).")
@_DB_OPTION
def example_data(as_of: str | None, db: Path | None) -> None:
    """Beispieldaten (keine amtlichen Werte) in den Messwertspeicher laden."""
    from workbench.observations_io import parse_date

    day = dt.date.today()
    if as_of is not None:
        parsed = parse_date(as_of)
        if parsed is None:
            _fail([f"--as-of „{as_of}“: Datum wie 31.12.2025 oder 2025-12-31 erwartet"])
        day = parsed
    try:
        from workbench.examples import load_examples_into
    except ImportError:
        _fail(["Beispieldaten sind in dieser Version nicht verfügbar (workbench.examples fehlt)."])
    store = _open_store(db)
    try:
        n = load_examples_into(store, day)
    except DataValidationError as exc:
        _fail(["Beispieldaten passen nicht zum Katalog:", *format_problems(exc.problems)])
    except AccessDeniedError as exc:
        _fail([str(exc)])
    click.echo(
        f"{fmt_int(n)} Beispielwerte neu gespeichert (Beispieldaten, keine amtlichen Werte; "
        f"Stand {fmt_date(day)}; bereits vorhandene, unveränderte Werte werden nicht erneut "
        f"gespeichert): {store.path}"
    )
