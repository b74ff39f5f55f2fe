"""Municipal population by nationality, as a user exports it (StaLa BW, GENESIS, register).

This is the format for the *real* yearly municipal series that no shipped file contains. A
file placed in ``data/user/`` (:func:`workbench.paths.user_dir`) replaces the estimates.

Accepted input:

* CSV – separator ``;``, UTF-8 or Latin-1/Windows-1252 (detected), decimal comma, optional
  title lines before the header, optional footer (``__________`` or free-text lines), markers
  ``-`` ``.`` ``x`` ``/`` for "no value", thousands dots (``19.641``) tolerated;
* xlsx – first sheet with the same header (numbers/dates as Excel cells are fine; an AGS
  stored as a number loses its leading zero and is padded back to 8 digits).

Header (German, exactly these names; ``Quelle`` optional)::

    AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle

Returned schema (:data:`SCHEMA`): ``ags`` (8 digits), ``name``, ``reference_date``,
``population`` Int64, ``foreigners`` Int64, ``source_note`` (``Quelle`` or null).

Checks: AGS well-formed and inside ``kreis`` (default 08118; for 08118 also one of the 39
known municipalities), dates 01.01.1990..today (:class:`workbench.tabular.Limits`), counts
non-negative integers (at most 18 digits), foreigners ≤ population, no AGS+Stichtag twice;
where the file has the columns ``Deutsche`` or ``männlich``/``weiblich``: Deutsche +
Ausländer = Insgesamt and männlich + weiblich = Insgesamt, exactly (register counts, no
tolerance). xlsx files are read by :mod:`workbench.tabular` (hidden sheets with data,
formulas without results, error cells, merged cells below the header are refused).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.exceptions import DataValidationError
from workbench.fsutil import atomic_write
from workbench.loaders._common import (
    LINE,
    Collector,
    check_date_range,
    check_duplicates,
    check_key,
    check_not_greater,
    check_schema,
    decode,
    parse_german_dates,
    read_bytes,
    read_semicolon_table,
    text_col,
    to_int,
)

SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    "population": pl.Int64(),
    "foreigners": pl.Int64(),
    "source_note": pl.String(),
}

HEADER = ("AGS", "Gemeinde", "Stichtag", "Bevölkerung insgesamt", "Ausländer", "Quelle")
REQUIRED = HEADER[:5]
# Column names seen in real exports, mapped to the template names.
ALIASES = {
    "Bevölkerung": "Bevölkerung insgesamt",
    "Einwohner": "Bevölkerung insgesamt",
    "Einwohner insgesamt": "Bevölkerung insgesamt",
    "Insgesamt": "Bevölkerung insgesamt",
    "Ausländer insgesamt": "Ausländer",
    "Ausländer(innen)": "Ausländer",
    "Ausländerinnen und Ausländer": "Ausländer",
    "Nichtdeutsche": "Ausländer",
    "Gemeindeschlüssel": "AGS",
    "Gemeindename": "Gemeinde",
    "Datum": "Stichtag",
}
TEMPLATE_NAME = "gemeinde_bevoelkerung_nationalitaet_vorlage"


def _canonical(cells: list[str]) -> list[str]:
    return [ALIASES.get(c, c) for c in cells]


def _is_header(cells: list[str]) -> bool:
    names = _canonical(cells)
    return names[:1] == ["AGS"] and "Stichtag" in names


def known_ags(kreis: str, data_dir: Path | None = None) -> set[str] | None:
    """The municipalities of ``kreis`` per the shipped Zensus 2022 extract (08118 only) of
    ``data_dir`` (default: the settings' data directory)."""
    from workbench.paths import raw_dir

    if kreis != "08118":
        return None
    raw = Path(data_dir) / "raw" if data_dir else raw_dir()
    extract = raw / "zensus2022" / "1000A-0000_de_flat_08118.csv"
    if not extract.exists():
        return None
    from workbench.loaders.zensus import load_zensus_flat

    return set(load_zensus_flat(extract)["ags"].to_list())


def _read_xlsx(col: Collector) -> tuple[list[str], pl.DataFrame]:
    from workbench import tabular

    try:
        book = tabular.read_workbook_sheet(col.path, 0)
        book.raise_errors()
    except DataValidationError as exc:
        col.problems.extend(exc.problems)
        raise col.fail() from None
    sheet = book.to_frame()
    if sheet.is_empty():
        col.file_problem("Kopfzeile „" + ";".join(HEADER) + "“ im ersten Tabellenblatt – "
                         "das Blatt ist leer")
        raise col.fail()
    header_idx = None
    for i, row in enumerate(sheet.head(20).iter_rows()):
        cells = [("" if c is None else str(c)).strip() for c in row]
        if _is_header(cells):
            header_idx = i
            break
    if header_idx is None:
        col.file_problem("Kopfzeile „" + ";".join(HEADER) + "“ im ersten Tabellenblatt")
        raise col.fail()
    merged = book.merged_problems(header_idx + 2)
    if merged:
        col.problems.extend(merged)
        raise col.fail()
    names = [("" if c is None else str(c)).strip() for c in sheet.row(header_idx)]
    body = sheet.slice(header_idx + 1).with_row_index(LINE, offset=header_idx + 2)
    body = body.with_columns(pl.col(LINE).cast(pl.Int64))
    keep = [c for c, n in zip(sheet.columns, names, strict=True) if n]
    body = body.select(*keep, LINE).rename(
        {c: n for c, n in zip(sheet.columns, names, strict=True) if n}
    )
    nonempty = pl.any_horizontal(
        [
            pl.col(n).is_not_null() & (pl.col(n).str.strip_chars() != "")
            for n in body.columns
            if n != LINE
        ]
    )
    body = body.filter(nonempty)
    # A numeric AGS cell drops its leading zero (8118067): pad, since the cell type proves it.
    if "AGS" in body.columns:
        ags = body["AGS"].str.strip_chars().str.replace(r"\.0+$", "")
        body = body.with_columns(
            pl.when(ags.str.contains(r"^\d{7}$")).then(ags.str.zfill(8)).otherwise(ags).alias("AGS")
        )
    return names, body


def load_municipal_series(path: str | Path, *, kreis: str | None = "08118",
                          data_dir: Path | None = None) -> pl.DataFrame:
    """Load a user's municipal series (CSV or xlsx) into :data:`SCHEMA`.

    ``kreis`` restricts the AGS to that Kreis/Land prefix (``None``: any German AGS);
    ``data_dir``: whose Zensus extract lists the Kreis' municipalities (default: settings').
    """
    col = Collector(path)
    if col.path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        if not col.path.exists():
            col.file_problem("vorhandene Datei – Datei nicht gefunden")
            raise col.fail()
        names, rows = _read_xlsx(col)
    else:
        text = decode(read_bytes(col), col, "auto")
        names, rows = read_semicolon_table(
            col, text, _is_header, ";".join(HEADER), allow_empty=True
        )
    canonical = _canonical(names)
    rows = rows.rename(
        {n: c for n, c in zip(names, canonical, strict=False) if n in rows.columns and n != c}
    )
    display = {c: n for n, c in zip(names, canonical, strict=False)}
    missing = [c for c in REQUIRED if c not in rows.columns]
    for name in missing:
        col.add(None, name, None, f"Spalte „{name}“ (Kopfzeile: {';'.join(HEADER)}) – fehlt")
    if missing:
        raise col.fail()

    allowed = known_ags(kreis, data_dir) if kreis else None
    ags = check_key(
        rows, "AGS", col, lengths=(8,), display=display["AGS"], prefix=kreis, allowed=allowed
    )
    dates = parse_german_dates(rows, "Stichtag", col, display=display["Stichtag"])
    population = to_int(
        rows,
        "Bevölkerung insgesamt",
        col,
        display=display["Bevölkerung insgesamt"],
        thousands_dot=True,
        allow_float_zero=True,
        required=True,
    )
    foreigners = to_int(
        rows,
        "Ausländer",
        col,
        display=display["Ausländer"],
        thousands_dot=True,
        allow_float_zero=True,
    )
    source = (
        text_col(rows, "Quelle")
        if "Quelle" in rows.columns
        else pl.Series([None] * rows.height, dtype=pl.String)
    )
    out = pl.DataFrame(
        {
            "ags": ags,
            "name": text_col(rows, "Gemeinde"),
            "reference_date": dates,
            "population": population,
            "foreigners": foreigners,
            "source_note": source,
            LINE: rows[LINE],
        }
    )
    check_not_greater(
        out,
        "foreigners",
        "population",
        col,
        display_part=display["Ausländer"],
        display_whole=display["Bevölkerung insgesamt"],
    )
    _check_parts(rows, out, col, display)
    check_date_range(out, "reference_date", col, display=display["Stichtag"], user=True)
    check_duplicates(
        out, ["ags", "reference_date"], col, display=f"{display['AGS']} + {display['Stichtag']}"
    )
    col.raise_if_any()
    return check_schema(out.drop(LINE), SCHEMA, col.file)


# Optional part columns of real exports; when present the parts must add up to the total
# exactly (register and Fortschreibung counts are exact; no Zensus-style tolerance here).
PART_COLUMNS = {
    "Deutsche": ("Deutsche", "Deutsche insgesamt"),
    "männlich": ("männlich", "Männlich", "Bevölkerung männlich", "Einwohner männlich"),
    "weiblich": ("weiblich", "Weiblich", "Bevölkerung weiblich", "Einwohner weiblich"),
}


def _check_parts(rows: pl.DataFrame, out: pl.DataFrame, col: Collector, display: dict) -> None:
    """Deutsche + Ausländer = Insgesamt and männlich + weiblich = Insgesamt where the file has
    those columns (rows with a marker or empty cell in any part are not checked)."""
    found = {
        key: next((n for n in names if n in rows.columns), None)
        for key, names in PART_COLUMNS.items()
    }
    parts = {
        key: to_int(rows, name, col, display=name, thousands_dot=True, allow_float_zero=True)
        for key, name in found.items()
        if name is not None
    }
    total = display["Bevölkerung insgesamt"]
    work = out.select("population", "foreigners", LINE).with_columns(
        **{f"_{k}": v for k, v in parts.items()}
    )
    pairs = []
    if "Deutsche" in parts:
        pairs.append(("_Deutsche", "foreigners", f"{found['Deutsche']} + {display['Ausländer']}"))
    if "männlich" in parts and "weiblich" in parts:
        pairs.append(("_männlich", "_weiblich", f"{found['männlich']} + {found['weiblich']}"))
    for a, b, label in pairs:
        bad = work.filter((pl.col(a) + pl.col(b) != pl.col("population")).fill_null(False))
        for line, pop, va, vb in bad.select(LINE, "population", a, b).iter_rows():
            col.add(line, total, pop, f"Summe {label} = {total} – gefunden: {va} + {vb} = "
                    f"{va + vb}, nicht {pop}")


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


def template_csv() -> str:
    """The empty CSV template: header only (UTF-8, ``;``)."""
    return ";".join(HEADER) + "\n"


def write_templates(directory: str | Path | None = None) -> list[Path]:
    """Write ``<TEMPLATE_NAME>.csv`` and ``.xlsx`` (xlsxwriter) into ``directory``.

    The xlsx formats the AGS column as text (keeps leading zeros), the Stichtag as date and the
    counts as integers, with a second sheet "Hinweise" explaining the columns.
    """
    import io

    import xlsxwriter

    from workbench.paths import templates_dir

    directory = Path(directory) if directory else templates_dir()
    csv_path = directory / f"{TEMPLATE_NAME}.csv"
    with atomic_write(csv_path, "wb") as fh:
        fh.write(template_csv().encode("utf-8"))

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "dd.mm.yyyy"})
    count = book.add_format({"num_format": "#,##0"})
    sheet = book.add_worksheet("Gemeindereihe")
    for i, name in enumerate(HEADER):
        sheet.write_string(0, i, name, bold)
    sheet.set_column(0, 0, 12, text)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 12, date)
    sheet.set_column(3, 4, 22, count)
    sheet.set_column(5, 5, 50)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("Hinweise")
    for i, line in enumerate(TEMPLATE_NOTES):
        notes.write_string(i, 0, line)
    notes.set_column(0, 0, 110)
    book.close()
    xlsx_path = directory / f"{TEMPLATE_NAME}.xlsx"
    with atomic_write(xlsx_path, "wb") as fh:
        fh.write(buf.getvalue())
    return [csv_path, xlsx_path]


TEMPLATE_NOTES = (
    "Vorlage: Bevölkerung nach Nationalität je Gemeinde und Stichtag",
    "",
    "AGS – 8-stelliger amtlicher Gemeindeschlüssel mit führender Null, z. B. 08118067 (als Text).",
    "Gemeinde – Name der Gemeinde, z. B. Sachsenheim.",
    "Stichtag – Datum als TT.MM.JJJJ, z. B. 31.12.2023.",
    "Bevölkerung insgesamt – Einwohnerinnen und Einwohner (ganze Zahl).",
    "Ausländer – Personen ohne deutsche Staatsangehörigkeit (ganze Zahl).",
    "Quelle – z. B. „Statistisches Landesamt BW, Tabelle …, abgerufen am …“ oder „Melderegister“.",
    "",
    "Fehlende Werte: „-“ (nichts vorhanden), „.“ (unbekannt/geheim), „x“ oder leer lassen.",
    "Jede Kombination aus AGS und Stichtag nur einmal. Ausländer ≤ Bevölkerung insgesamt.",
    "Datei als .xlsx oder als CSV (Trennzeichen Semikolon) in den Ordner data/user/ legen;",
    "dann mit „workbench validate data/user“ prüfen.",
)


if __name__ == "__main__":  # python -m workbench.loaders.municipal_series [DIR]
    import sys

    for written in write_templates(sys.argv[1] if len(sys.argv) > 1 else None):
        print(written)
