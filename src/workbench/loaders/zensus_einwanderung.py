"""Zensus 2022 (15.05.2022): population by nationality and immigration history per municipality.

``zensus2022-einwanderungsgeschichte-gemeinden-*.csv`` (comma-separated, UTF-8, names with a
comma quoted) with the columns ``ags,name,population,german,foreign,
immigration_history_total,immigrated,descendants,one_parent,without_immigration_history``.
:func:`load_zensus2022_einwanderung` returns :data:`SCHEMA` (counts Int64).

Zensus 2022 results are disclosure-controlled, so ``german + foreigners`` may miss
``population`` by a few persons (shipped subset: at most 6); the check allows
:data:`TOLERANCE` persons. Persons with and without immigration history need not add up to the
population (persons without information), so that sum is not checked.
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
    text_col,
    to_int,
)

REFERENCE_DATE = dt.date(2022, 5, 15)
TOLERANCE = 10
# file column -> output column
COLUMNS: dict[str, str] = {
    "population": "population",
    "german": "german",
    "foreign": "foreigners",
    "immigration_history_total": "immigration_history",
    "immigrated": "immigrated",
    "descendants": "descendants",
    "one_parent": "one_parent_immigrated",
    "without_immigration_history": "without_immigration_history",
}
SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    **{c: pl.Int64() for c in COLUMNS.values()},
}


def load_zensus2022_einwanderung(path: str | Path) -> pl.DataFrame:
    """Zensus 2022 counts per municipality incl. immigration history (:data:`SCHEMA`)."""
    col = Collector(path)
    text = decode(read_bytes(col), col, "utf-8")
    col.raise_if_any()
    rows = read_comma_csv(text, col, ["ags", "name", *COLUMNS], "ags,name,population,…")
    ags = check_key(rows, "ags", col, lengths=[8], what="Gemeindeschlüssel (AGS)")
    out = pl.DataFrame(
        {
            "ags": ags,
            "name": text_col(rows, "name"),
            "reference_date": pl.Series([REFERENCE_DATE] * rows.height, dtype=pl.Date),
            **{
                new: to_int(rows, old, col, markers=(), required=True)
                for old, new in COLUMNS.items()
            },
            LINE: rows[LINE],
        }
    )
    gap = (pl.col("german") + pl.col("foreigners") - pl.col("population")).abs()
    off = out.filter((gap > TOLERANCE).fill_null(False))
    for line, g, f, p in off.select(LINE, "german", "foreigners", "population").rows():
        col.add(
            line,
            "population",
            f"german + foreign = {g + f}, population = {p}",
            f"german + foreign gleich population bis auf höchstens {TOLERANCE} Personen "
            "(Geheimhaltungsverfahren im Zensus 2022)",
        )
    check_duplicates(out, ["ags"], col, display="ags")
    col.raise_if_any()
    return check_schema(out.select(*SCHEMA), SCHEMA, col.file)
