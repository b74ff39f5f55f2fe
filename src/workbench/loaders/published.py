"""Figures published by the Landkreis and the municipalities (seeds), as a small sourced table.

File: ``data/published/published_figures.csv`` – official German CSV style: UTF-8, separator
``;``, decimal comma, dates ``TT.MM.JJJJ``, empty cell = not published. The note column may
text containing ``;`` is quoted (``"…; …"``).

Returned schema (:data:`SCHEMA`): ``ags``, ``name``, ``level``, ``reference_date``,
``population``/``foreigners`` (Int64, null if not published), ``share`` (%), ``change_points``
(percentage points), ``since_year`` (base year of the change), ``publisher``, ``document``,
``source_register`` (e.g. Ausländerzentralregister, Melderegister), ``note``.

Consistency check: where population, foreigners and share are all given, the share must equal
foreigners/population within rounding (0,01 points).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.loaders._common import (
    LINE,
    Collector,
    check_date_range,
    check_key,
    check_not_greater,
    check_schema,
    decode,
    parse_german_dates,
    read_bytes,
    split_lines,
    split_rows,
    text_col,
    to_float,
    to_int,
)

SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "level": pl.String(),
    "reference_date": pl.Date(),
    "population": pl.Int64(),
    "foreigners": pl.Int64(),
    "share": pl.Float64(),
    "change_points": pl.Float64(),
    "since_year": pl.Int32(),
    "publisher": pl.String(),
    "document": pl.String(),
    "source_register": pl.String(),
    "note": pl.String(),
}
COLUMNS = tuple(SCHEMA)
LEVELS = ("Land", "Kreis", "Gemeinde")


def default_path() -> Path:
    from workbench.paths import data_dir

    return data_dir() / "published" / "published_figures.csv"


def load_published_figures(path: str | Path | None = None) -> pl.DataFrame:
    """Load the published-figures table (default: ``data/published/published_figures.csv``)."""
    col = Collector(path or default_path())
    text = decode(read_bytes(col), col, "utf-8")
    lines = split_lines(text)
    header = [c.strip() for c in lines[0].split(";")]
    if header != list(COLUMNS):
        col.add(1, None, lines[0], "Kopfzeile " + ";".join(COLUMNS))
        raise col.fail()
    rows = split_rows(lines[1:], 2, COLUMNS, col)
    ags = check_key(rows, "ags", col, lengths=(2, 5, 8))
    level = rows["level"].str.strip_chars()
    col.rows(
        rows.filter(~level.is_in(LEVELS).fill_null(False)),
        "level",
        "level",
        "Land, Kreis oder Gemeinde",
    )
    out = pl.DataFrame(
        {
            "ags": ags,
            "name": text_col(rows, "name"),
            "level": level,
            "reference_date": parse_german_dates(rows, "reference_date", col),
            "population": to_int(rows, "population", col, thousands_dot=True),
            "foreigners": to_int(rows, "foreigners", col, thousands_dot=True),
            "share": to_float(
                rows,
                "share",
                col,
                decimal_comma=True,
                lo=0,
                hi=100,
                range_text="Anteil in Prozent zwischen 0 und 100",
            ),
            "change_points": to_float(
                rows,
                "change_points",
                col,
                decimal_comma=True,
                lo=-100,
                hi=100,
                range_text="Veränderung in Prozentpunkten (−100 bis 100)",
            ),
            "since_year": to_int(rows, "since_year", col).cast(pl.Int32),
            "publisher": text_col(rows, "publisher"),
            "document": text_col(rows, "document"),
            "source_register": text_col(rows, "source_register"),
            "note": text_col(rows, "note"),
            LINE: rows[LINE],
        }
    )
    for required in ("publisher", "document"):
        col.rows(
            out.filter(pl.col(required).is_null()),
            required,
            required,
            "Angabe (Pflichtfeld: Quelle)",
        )
    check_not_greater(
        out, "foreigners", "population", col, display_part="foreigners", display_whole="population"
    )
    inconsistent = out.filter(
        (
            (pl.col("foreigners") / pl.col("population") * 100 - pl.col("share")).abs() > 0.01
        ).fill_null(False)
    )
    col.rows(
        inconsistent.with_columns(pl.col("share").cast(pl.String).alias("_v")),
        "share",
        "_v",
        "Anteil = foreigners / population × 100 (auf 0,01 Punkte gerundet)",
    )
    check_date_range(out, "reference_date", col)
    col.raise_if_any()
    return check_schema(out.drop(LINE), SCHEMA, col.file)
