"""``workbench validate PATH...`` – check data files, report every problem in German.

Directories are searched recursively (hidden files and ``*.provenance.json`` skipped unless
``--provenance`` is given). Per file one line ``OK <Format>, N Zeilen`` or the problems with
file, row, column, value found and what was expected. Exit code 0 when every file is valid,
1 otherwise. Never shows a traceback: unexpected errors become a problem of that file.
"""

from __future__ import annotations

from pathlib import Path

import click

from workbench.exceptions import MAX_SHOWN, Problem, format_problems
from workbench.formatting import fmt_int
from workbench.loaders.detect import FORMAT_LABELS
from workbench.paths import user_dir
from workbench.validation import ValidationResult, validate_path

PROVENANCE_SUFFIX = ".provenance.json"
# Only these are picked up when a directory is searched (READMEs, notes etc. are not data).
DATA_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".xls", ".json", ".geojson"}


def expand(paths: list[Path], include_provenance: bool = False) -> list[Path]:
    """Files to check: given files as they are, directories recursively and sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if not child.is_file() or any(p.startswith((".", "~$")) for p in rel.parts):
                    continue
                if child.suffix.lower() not in DATA_SUFFIXES:
                    continue
                if child.name.endswith(PROVENANCE_SUFFIX) and not include_provenance:
                    continue
                files.append(child)
        else:
            files.append(path)
    return files


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report(result: ValidationResult, limit: int) -> None:
    label = FORMAT_LABELS.get(result.format or "", result.format or "Format unbekannt")
    name = _display(result.path)
    if result.ok:
        rows = f", {fmt_int(result.rows)} Zeilen" if result.rows is not None else ""
        click.echo(f"OK      {name}: {label}{rows}")
        return
    n = len(result.problems)
    click.secho(f"FEHLER  {name}: {label} – {fmt_int(n)} Problem{'e' if n != 1 else ''}", fg="red")
    for line in format_problems(result.problems, limit):
        click.echo(f"        {line}")


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--provenance",
    "include_provenance",
    is_flag=True,
    help="Auch die Herkunftsnachweise (*.provenance.json) selbst prüfen.",
)
@click.option(
    "--max-problems",
    default=MAX_SHOWN,
    show_default=True,
    type=click.IntRange(min=1),
    help="Höchstens so viele Probleme je Datei anzeigen.",
)
@click.option("--no-checksum", is_flag=True, help="Prüfsummen (sha256) nicht vergleichen.")
def validate(
    paths: tuple[Path, ...], include_provenance: bool, max_problems: int, no_checksum: bool
) -> None:
    """Dateien prüfen: Format erkennen, laden, jeden Fehler mit Zeile und Spalte melden.

    Ohne PATH werden data/raw, data/published und data/user geprüft.
    """
    if not paths:
        from workbench.paths import data_dir, raw_dir

        paths = tuple(p for p in (raw_dir(), data_dir() / "published", user_dir()) if p.exists())
    files = expand(list(paths), include_provenance)
    user = user_dir().resolve()
    missing = [p for p in paths if not p.exists()]
    failed = 0
    for path in missing:
        click.secho(f"FEHLER  {_display(path)}: Datei oder Verzeichnis existiert nicht", fg="red")
        failed += 1
    for path in files:
        try:
            in_user_dir = path.resolve().is_relative_to(user)
            result = validate_path(
                path,
                check_checksum=not no_checksum,
                fallback_format="municipal_series" if in_user_dir else None,
            )
        except Exception as exc:  # noqa: BLE001 - validate_path should not raise; belt and braces
            result = ValidationResult(
                path=path,
                format=None,
                problems=[
                    Problem(path.name, None, None, f"{type(exc).__name__}: {exc}", "lesbare Datei")
                ],
            )
        _report(result, max_problems)
        failed += 0 if result.ok else 1
    total = len(files) + len(missing)
    if total == 0:
        click.echo("Keine Dateien gefunden.")
    summary = f"{fmt_int(total)} Datei{'en' if total != 1 else ''} geprüft"
    if failed:
        click.secho(f"{summary}, {fmt_int(failed)} mit Problemen.", fg="red")
        raise SystemExit(1)
    click.echo(f"{summary}, alle in Ordnung.")
