"""Zensus 2022 table 1000A-0000 "Bevölkerung kompakt" as GENESIS "CSV (flat)".

Format: UTF-8 with BOM, separator ``;``, one value per row, 14 fixed columns. Municipal rows
have ``1_variable_code = GEOGM4`` and the 12-digit ARS in ``1_variable_attribute_code``; one
Germany row (``GEODL1`` / ``DG``) closes the file – it is checked to exist (a file cut short
lacks it) and then excluded so sums are not doubled.

Returned schema (:data:`SCHEMA`): ``ars`` 12 digits, ``ags`` 8 digits (ARS[0:5] + ARS[9:12]),
``name``, ``population`` (persons), ``reference_date`` 2022-05-15, ``quality`` (``value_q``,
``e`` = endgültig).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from workbench.loaders._common import (
    LINE,
    Collector,
    check_duplicates,
    check_key,
    check_schema,
    check_separator,
    decode,
    read_bytes,
    split_lines,
    split_rows,
    to_int,
)

SCHEMA: dict[str, pl.DataType] = {
    "ars": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "population": pl.Int64(),
    "reference_date": pl.Date(),
    "quality": pl.String(),
}

COLUMNS = (
    "statistics_code",
    "statistics_label",
    "time_code",
    "time_label",
    "time",
    "1_variable_code",
    "1_variable_label",
    "1_variable_attribute_code",
    "1_variable_attribute_label",
    "value",
    "value_unit",
    "value_variable_code",
    "value_variable_label",
    "value_q",
)
REFERENCE_DATE = dt.date(2022, 5, 15)
MUNICIPAL_CODE = "GEOGM4"
GERMANY_CODE = "GEODL1"
QUALITY_CODES = ("e", "p", "r", "s")  # endgültig, vorläufig, revidiert, geschätzt


def load_zensus_flat(path: str | Path) -> pl.DataFrame:
    """Load a Zensus 2022 1000A-0000 flat CSV (all Germany or a row-filtered extract)."""
    col = Collector(path)
    text = decode(read_bytes(col), col, "utf-8")
    lines = split_lines(text)
    header = lines[0]
    if not check_separator(header, 1, col, ";", "statistics_code;statistics_label;…"):
        raise col.fail()
    found = [c.strip().strip('"') for c in header.split(";")]
    if found != list(COLUMNS):
        missing = [c for c in COLUMNS if c not in found]
        extra = [c for c in found if c not in COLUMNS]
        col.add(
            1,
            None,
            ";".join(found),
            "GENESIS-Flat-Kopfzeile mit den Spalten "
            + ";".join(COLUMNS)
            + (f" – fehlt: {', '.join(missing)}" if missing else "")
            + (f" – unbekannt: {', '.join(extra)}" if extra else ""),
        )
        raise col.fail()
    if len(lines) < 2:
        col.file_problem("Datenzeilen nach der Kopfzeile – Datei enthält nur die Kopfzeile")
        raise col.fail()
    rows = split_rows(lines[1:], 2, COLUMNS, col)

    code = rows["1_variable_code"]
    other = rows.filter(~code.is_in([MUNICIPAL_CODE, GERMANY_CODE]))
    col.rows(
        other,
        "1_variable_code",
        "1_variable_code",
        f"{MUNICIPAL_CODE} (Gemeinde) oder {GERMANY_CODE}",
    )
    germany = rows.filter(code == GERMANY_CODE)
    muni = rows.filter(code == MUNICIPAL_CODE)
    # The complete table ends with the Germany row; a regional extract (all rows in one Land,
    # e.g. *_08118.csv) legitimately has none. Rows from several Länder without it = cut off.
    several_laender = muni["1_variable_attribute_code"].str.slice(0, 2).n_unique() > 1
    if germany.is_empty() and several_laender:
        col.file_problem(
            "Deutschland-Zeile (1_variable_code GEODL1) am Dateiende – fehlt (Datei abgeschnitten?)"
        )

    for column, expected in (
        ("statistics_code", "1000A"),
        ("time", "2022-05-15"),
        ("value_unit", "Anzahl"),
        ("value_variable_code", "PRS018"),
    ):
        wrong = muni.filter(pl.col(column) != expected)
        col.rows(wrong, column, column, f"„{expected}“")
    col.rows(
        muni.filter(~pl.col("value_q").is_in(QUALITY_CODES)),
        "value_q",
        "value_q",
        "Qualitätskennzeichen e, p, r oder s",
    )

    ars = check_key(muni, "1_variable_attribute_code", col, lengths=(12,), what="ARS")
    population = to_int(muni, "value", col, markers=(), required=True)
    out = pl.DataFrame(
        {
            "ars": ars,
            "ags": ars.str.slice(0, 5) + ars.str.slice(9, 3),
            "name": muni["1_variable_attribute_label"].str.strip_chars(),
            "population": population,
            "reference_date": pl.Series([REFERENCE_DATE] * muni.height, dtype=pl.Date),
            "quality": muni["value_q"],
            LINE: muni[LINE],
        }
    )
    check_duplicates(out, ["ars"], col, display="1_variable_attribute_code")
    col.raise_if_any()
    return check_schema(out.drop(LINE), SCHEMA, col.file)
