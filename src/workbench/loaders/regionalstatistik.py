"""Regionaldatenbank / GENESIS-Online CSV exports (Latin-1, ``;``, title lines, footer).

Both tables share the GENESIS "CSV" layout: ISO-8859-1, separator ``;``, a block of title and
header lines, the data rows, then a footer starting with ``__________`` (notes, copyright).
Markers ``-`` (nichts vorhanden), ``.`` (unbekannt/geheim), ``x`` (gesperrt), ``/`` become null.

* :func:`load_12411_03_03_4` – 12411-03-03-4 "Bevölkerung nach Geschlecht, Nationalität und
  Altersgruppen", one Stichtag (title line ``Stichtag: 31.12.2011``). Schema
  :data:`SCHEMA_03_03_4`.
* :func:`load_12411_0015` – 12411-0015 "Bevölkerung: Kreise, Stichtag", one column per Stichtag,
  returned long. Schema :data:`SCHEMA_0015`.

``level`` is derived from the key: ``DG`` Deutschland, 2 digits Land, 3 Regierungsbezirk
(or NUTS-2 region), 5 Kreis, 8 Gemeinde (Berlin districts).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from workbench.loaders._common import (
    LINE,
    Collector,
    check_date_range,
    check_duplicates,
    check_not_greater,
    check_schema,
    check_separator,
    decode,
    read_bytes,
    split_lines,
    split_rows,
    to_int,
)

FOOTER = "__________"

COUNT_COLUMNS = (
    "total",
    "total_male",
    "total_female",
    "german",
    "german_male",
    "german_female",
    "foreigners",
    "foreigners_male",
    "foreigners_female",
)
# Column labels as the file shows them (two header lines combined), for messages.
COUNT_LABELS = {
    "total": "Insgesamt/Insgesamt",
    "total_male": "Insgesamt/männlich",
    "total_female": "Insgesamt/weiblich",
    "german": "Deutsche/Insgesamt",
    "german_male": "Deutsche/männlich",
    "german_female": "Deutsche/weiblich",
    "foreigners": "Ausländer(innen)/Insgesamt",
    "foreigners_male": "Ausländer(innen)/männlich",
    "foreigners_female": "Ausländer(innen)/weiblich",
}

SCHEMA_03_03_4: dict[str, pl.DataType] = {
    "level": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "age_group": pl.String(),
    **{c: pl.Int64() for c in COUNT_COLUMNS},
    "reference_date": pl.Date(),
}

SCHEMA_0015: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    "population": pl.Int64(),
}

_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")


def _level_expr(col: str = "ags") -> pl.Expr:
    n = pl.col(col).str.len_chars()
    return (
        pl.when(pl.col(col) == "DG")
        .then(pl.lit("Deutschland"))
        .when(n == 2)
        .then(pl.lit("Land"))
        .when(n == 3)
        .then(pl.lit("Regierungsbezirk"))
        .when(n == 5)
        .then(pl.lit("Kreis"))
        .when(n == 8)
        .then(pl.lit("Gemeinde"))
        .otherwise(None)
    )


def _read_genesis(col: Collector, table: str, n_header: int) -> tuple[list[str], int, int]:
    """Decode, check the title line and find the data block. Returns lines, start, end index."""
    text = decode(read_bytes(col), col, "latin-1")
    lines = split_lines(text)
    if not lines[0].startswith(f"GENESIS-Tabelle: {table}"):
        col.add(1, None, lines[0], f"Titelzeile „GENESIS-Tabelle: {table}“")
        raise col.fail()
    if len(lines) <= n_header:
        col.file_problem(
            f"{n_header} Titel-/Kopfzeilen und Datenzeilen – Datei endet vorher (abgeschnitten?)"
        )
        raise col.fail()
    end = next((i for i, ln in enumerate(lines) if ln.startswith(FOOTER)), None)
    if end is None:
        col.file_problem(
            f"Fußzeile ab „{FOOTER}“ (Erläuterungen, Copyright) – fehlt (Datei abgeschnitten?)"
        )
        end = len(lines)
    header = lines[n_header - 1]
    check_separator(header, n_header, col, ";", ";;…")
    return lines, n_header, end


def _key_problems(rows: pl.DataFrame, col: Collector) -> None:
    bad = rows.filter(
        ~(pl.col("ags").str.contains(r"^(DG|\d{2}|\d{3}|\d{5}|\d{8})$").fill_null(False))
    )
    col.rows(
        bad, "Schlüssel", "ags", "Regionalschlüssel DG oder 2, 3, 5 bzw. 8 Ziffern (z. B. 08118)"
    )


def load_12411_03_03_4(path: str | Path) -> pl.DataFrame:
    """Load GENESIS 12411-03-03-4 (population by sex, nationality, age group; one Stichtag)."""
    col = Collector(path)
    lines, start, end = _read_genesis(col, "12411-03-03-4", 7)
    date_line = next((ln for ln in lines[:start] if ln.startswith("Stichtag")), "")
    m = _DATE.search(date_line)
    if m is None:
        col.add(5, None, lines[4] if len(lines) > 4 else "", "Titelzeile „Stichtag: TT.MM.JJJJ“")
        raise col.fail()
    ref = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    h1 = [c.strip() for c in lines[start - 2].split(";")[3:]]
    h2 = [c.strip() for c in lines[start - 1].split(";")[3:]]
    want1 = ["Insgesamt"] * 3 + ["Deutsche"] * 3 + ["Ausländer(innen)"] * 3
    want2 = ["Insgesamt", "männlich", "weiblich"] * 3
    if h1 != want1:
        col.add(start - 1, None, ";".join(h1), "Kopfzeile " + ";".join(want1))
    if h2 != want2:
        col.add(start, None, ";".join(h2), "Kopfzeile " + ";".join(want2))
    if col.problems and h1 != want1:
        raise col.fail()
    columns = ("ags", "name", "age_group", *COUNT_COLUMNS)
    rows = split_rows(lines[start:end], start + 1, columns, col)
    rows = rows.with_columns(pl.col("ags").str.strip_chars())
    _key_problems(rows, col)
    counts = {c: to_int(rows, c, col, display=COUNT_LABELS[c]) for c in COUNT_COLUMNS}
    out = pl.DataFrame(
        {
            "ags": rows["ags"],
            "name": rows["name"].str.strip_chars(),
            "age_group": rows["age_group"].str.strip_chars(),
            **counts,
            LINE: rows[LINE],
        }
    ).with_columns(_level_expr().alias("level"), pl.lit(ref).alias("reference_date"))
    check_not_greater(
        out,
        "foreigners",
        "total",
        col,
        display_part="Ausländer(innen)/Insgesamt",
        display_whole="Insgesamt/Insgesamt",
    )
    check_not_greater(
        out,
        "german",
        "total",
        col,
        display_part="Deutsche/Insgesamt",
        display_whole="Insgesamt/Insgesamt",
    )
    check_date_range(out, "reference_date", col, display="Stichtag")
    check_duplicates(out, ["ags", "age_group"], col, display="Schlüssel + Altersgruppe")
    col.raise_if_any()
    return check_schema(out.select(*SCHEMA_03_03_4), SCHEMA_03_03_4, col.file)


def load_12411_0015(path: str | Path) -> pl.DataFrame:
    """Load GENESIS 12411-0015 (population per Kreis, one column per 31.12.), long format."""
    col = Collector(path)
    lines, start, end = _read_genesis(col, "12411-0015", 6)
    date_cells = [c.strip() for c in lines[start - 1].split(";")[2:]]
    dates: list[dt.date] = []
    for cell in date_cells:
        m = _DATE.fullmatch(cell)
        if m is None:
            col.add(start, None, cell, "Stichtag als TT.MM.JJJJ in der Kopfzeile")
            continue
        dates.append(dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    if not dates or len(dates) != len(date_cells):
        raise col.fail()
    value_cols = [f"v{i}" for i in range(len(dates))]
    rows = split_rows(lines[start:end], start + 1, ("ags", "name", *value_cols), col)
    rows = rows.with_columns(pl.col("ags").str.strip_chars())
    _key_problems(rows, col)
    wide = rows.select(
        "ags",
        pl.col("name").str.strip_chars(),
        LINE,
        *[
            to_int(rows, v, col, display=f"{d:%d.%m.%Y}")
            for v, d in zip(value_cols, dates, strict=True)
        ],
    )
    check_duplicates(wide, ["ags"], col, display="Schlüssel")
    long = wide.unpivot(
        index=["ags", "name", LINE], on=value_cols, variable_name="_v", value_name="population"
    )
    mapping = pl.DataFrame({"_v": value_cols, "reference_date": dates})
    long = long.join(mapping, on="_v", how="left").sort(LINE, "reference_date")
    check_date_range(
        mapping.with_columns(pl.lit(start).alias(LINE)), "reference_date", col, display="Stichtag"
    )
    col.raise_if_any()
    out = long.select("ags", "name", "reference_date", "population")
    return check_schema(out, SCHEMA_0015, col.file)
