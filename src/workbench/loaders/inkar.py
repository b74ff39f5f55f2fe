"""INKAR (BBSR) county covariates 1995–2022 as shipped by GERDA (``share_foreign`` only).

Format: UTF-8 CSV, separator ``,``, ``county_code`` 5-digit text, ``year``, then 30 indicators;
empty cell = missing. ``share_foreign`` is INKAR ``a_ausl_bev`` (foreigners among residents, %,
2 decimals), on 2021 Kreis boundaries, reference 31.12. of the year.

Returned schema (:data:`SCHEMA`): ``ags`` (5-digit Kreis), ``year`` Int32, ``reference_date``
(31.12.year), ``share_foreign`` Float64 (percent 0–100).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.loaders._common import (
    LINE,
    Collector,
    check_date_range,
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
    "year": pl.Int32(),
    "reference_date": pl.Date(),
    "share_foreign": pl.Float64(),
}

COLUMNS = ("county_code", "year", "share_foreign")


def load_inkar_covariates(path: str | Path) -> pl.DataFrame:
    """Load ``gerda_inkar_county_covariates_1995-2022.csv`` (foreign share per Kreis and year)."""
    col = Collector(path)
    text = decode(read_bytes(col), col, "utf-8")
    rows = read_comma_csv(text, col, COLUMNS, "county_code,year,…")
    ags = check_key(rows, "county_code", col, lengths=(5,), what="Kreisschlüssel")
    year = to_int(rows, "year", col, markers=(), required=True)
    share = to_float(
        rows,
        "share_foreign",
        col,
        markers=(),
        lo=0,
        hi=100,
        range_text="Anteil in Prozent zwischen 0 und 100",
    )
    out = pl.DataFrame(
        {"ags": ags, "year": year.cast(pl.Int32), "share_foreign": share, LINE: rows[LINE]}
    )
    out = out.with_columns(pl.date(pl.col("year"), 12, 31).alias("reference_date")).select(
        "ags", "year", "reference_date", "share_foreign", LINE
    )
    check_date_range(out, "reference_date", col, display="year")
    check_duplicates(out, ["ags", "year"], col, display="county_code + year")
    col.raise_if_any()
    return check_schema(out.drop(LINE), SCHEMA, col.file)
