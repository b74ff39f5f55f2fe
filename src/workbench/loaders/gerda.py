"""Zensus 2022 municipal indicators from the GERDA R package, converted to CSV as published.

Format: UTF-8, separator ``,``, names quoted when they contain a comma, empty cell = missing,
``population_census22`` written as float (``4304.0``), shares in percent with 1 decimal.

Returned schema (:data:`SCHEMA`): ``ags`` 8 digits, ``name``, ``population`` (Int64),
``share_foreign`` and ``share_migration_bg`` (percent 0–100, nullable: suppressed for small
municipalities), ``reference_date`` 2022-05-15. The age-share columns are deliberately not
exposed: their values do not match their labels (see the ``notes`` in
``data/raw/gerda/gerda_census_2022_municipalities.csv.provenance.json``).
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
    decode,
    read_bytes,
    read_comma_csv,
    to_float,
    to_int,
)

SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "population": pl.Int64(),
    "share_foreign": pl.Float64(),
    "share_migration_bg": pl.Float64(),
    "reference_date": pl.Date(),
}

COLUMNS = (
    "ags",
    "municipality_name",
    "population_census22",
    "share_foreign_census22",
    "share_migration_bg_census22",
)
REFERENCE_DATE = dt.date(2022, 5, 15)
PERCENT = "Anteil in Prozent zwischen 0 und 100"


def load_gerda_census(path: str | Path) -> pl.DataFrame:
    """Load ``gerda_census_2022_municipalities*.csv`` (all Germany or a Kreis extract)."""
    col = Collector(path)
    text = decode(read_bytes(col), col, "utf-8")
    rows = read_comma_csv(text, col, COLUMNS, "ags,municipality_name,population_census22,…")
    ags = check_key(rows, "ags", col, lengths=(8,))
    population = to_int(
        rows, "population_census22", col, markers=(), allow_float_zero=True, required=True
    )
    share_foreign = to_float(
        rows, "share_foreign_census22", col, markers=(), lo=0, hi=100, range_text=PERCENT
    )
    share_mbg = to_float(
        rows, "share_migration_bg_census22", col, markers=(), lo=0, hi=100, range_text=PERCENT
    )
    out = pl.DataFrame(
        {
            "ags": ags,
            "name": rows["municipality_name"].str.strip_chars(),
            "population": population,
            "share_foreign": share_foreign,
            "share_migration_bg": share_mbg,
            "reference_date": pl.Series([REFERENCE_DATE] * rows.height, dtype=pl.Date),
            LINE: rows[LINE],
        }
    )
    check_duplicates(out, ["ags"], col)
    col.raise_if_any()
    return check_schema(out.drop(LINE), SCHEMA, col.file)


CODEBOOK_SCHEMA: dict[str, pl.DataType] = {
    "variable": pl.String(),
    "label": pl.String(),
    "unit": pl.String(),
}


def load_codebook(path: str | Path) -> pl.DataFrame:
    """Load a GERDA codebook CSV (``variable,label,unit,…``); used for validation only."""
    col = Collector(path)
    text = decode(read_bytes(col), col, "utf-8")
    rows = read_comma_csv(text, col, ("variable", "label", "unit"), "variable,label,unit,…")
    empty = rows.filter(pl.col("variable").is_null())
    col.rows(empty, "variable", "variable", "Variablenname (Pflichtfeld ist leer)")
    col.raise_if_any()
    return check_schema(rows.select("variable", "label", "unit"), CODEBOOK_SCHEMA, col.file)
