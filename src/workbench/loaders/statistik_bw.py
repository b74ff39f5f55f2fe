"""Statistisches Landesamt Baden-Württemberg: the CSV files behind its charts.

* :func:`load_statistik_bw_shares` – ``stala-auslaenderanteil-gemeinden-2025.csv``: title line
  ``Anteil Ausländer/-innen 2025``, header ``"Regionalschlüssel";"Gemeinde";"in %"``, ``;``,
  decimal comma, quoted cells, ``-`` for the unincorporated areas (gemeindefreie Gebiete).
  Schema :data:`SCHEMA`. The file states only the year ("Stand"), **no Stichtag**: ``stand`` is
  that year as text and there is deliberately no ``reference_date`` column.
* :func:`load_statistik_bw_einbuergerungen` – ``stala-einbuergerungen-2000-2025.csv``:
  ``Jahr;"Einbürgerungen"``, one row per calendar year, Land Baden-Württemberg.
  Schema :data:`EINBUERGERUNGEN_SCHEMA`.

Encoding: UTF-8 with or without BOM, else Windows-1252 (files re-saved by Excel).
"""

from __future__ import annotations

import re
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
    read_semicolon_table,
    split_lines,
    text_col,
    to_float,
    to_int,
)

SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "share": pl.Float64(),
    "marker": pl.String(),
    "stand": pl.String(),
}
EINBUERGERUNGEN_SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "year": pl.Int32(),
    "naturalisations": pl.Int64(),
}
SHARE_HEADER = ("Regionalschlüssel", "Gemeinde", "in %")
_TITLE = re.compile(r"^Anteil Ausländer.*?(\d{4})\s*$")


def _text(col: Collector) -> str:
    return decode(read_bytes(col), col, "auto")


def load_statistik_bw_shares(path: str | Path) -> pl.DataFrame:
    """Foreign share (%) per BW municipality from Statistik BW's chart CSV (:data:`SCHEMA`)."""
    col = Collector(path)
    text = _text(col)
    lines = split_lines(text)
    title = lines[0].strip().strip(";").strip().strip('"').strip()
    m = _TITLE.match(title)
    if m is None:
        col.add(1, None, title, "Titelzeile „Anteil Ausländer/-innen JJJJ“ (Jahr des Stands)")
        raise col.fail()
    stand = m.group(1)
    second = lines[1] if len(lines) > 1 else ""
    if tuple(c.strip().strip('"') for c in second.split(";")) != SHARE_HEADER:
        found = " – gefunden: Komma als Trennzeichen" if "," in second and ";" not in second else ""
        col.add(
            2,
            None,
            second,
            'Kopfzeile „"Regionalschlüssel";"Gemeinde";"in %"“ mit Semikolon als Trennzeichen'
            + found,
        )
        raise col.fail()
    header, rows = read_semicolon_table(
        col, text, lambda cells: tuple(cells[:3]) == SHARE_HEADER, ";".join(SHARE_HEADER)
    )
    if tuple(header) != SHARE_HEADER:
        col.add(2, None, ";".join(header), "genau die Spalten " + ";".join(SHARE_HEADER))
        raise col.fail()
    ags = check_key(
        rows, "Regionalschlüssel", col, lengths=[8], prefix="08", what="Gemeindeschlüssel (AGS)"
    )
    name = text_col(rows, "Gemeinde")
    col.rows(rows.filter(name.is_null()), "Gemeinde", "Gemeinde", "Name der Gemeinde (leer)")
    cell = rows["in %"].str.strip_chars()
    share = to_float(
        rows,
        "in %",
        col,
        decimal_comma=True,
        markers=("-",),
        required=False,
        lo=0,
        hi=100,
        range_text="Anteil in Prozent zwischen 0 und 100",
    )
    out = pl.DataFrame(
        {
            "ags": ags,
            "name": name,
            "share": share,
            "marker": pl.select(pl.when(cell == "-").then(cell).otherwise(None)).to_series(),
            "stand": pl.Series([stand] * rows.height, dtype=pl.String),
            LINE: rows[LINE],
        }
    )
    empty = out.filter(((cell == "") | cell.is_null()).fill_null(True))
    col.rows(
        empty.with_columns(pl.lit("").alias("_v")), "in %", "_v", "Anteil oder Kennzeichen „-“"
    )
    check_duplicates(out, ["ags"], col, display="Regionalschlüssel")
    col.raise_if_any()
    return check_schema(out.select(*SCHEMA), SCHEMA, col.file)


def load_statistik_bw_einbuergerungen(path: str | Path) -> pl.DataFrame:
    """Naturalisations per calendar year, Land BW (:data:`EINBUERGERUNGEN_SCHEMA`)."""
    col = Collector(path)
    text = _text(col)

    def is_header(cells: list[str]) -> bool:
        return len(cells) >= 2 and cells[0] == "Jahr" and cells[1].startswith("Einbürgerungen")

    header, rows = read_semicolon_table(col, text, is_header, "Jahr;Einbürgerungen")
    rows.columns = ["Jahr", "Einbürgerungen", *rows.columns[2:]]
    year = rows["Jahr"].str.strip_chars()
    col.rows(
        rows.filter(~year.str.contains(r"^(19|20)\d{2}$").fill_null(False)),
        "Jahr",
        "Jahr",
        "Kalenderjahr JJJJ",
    )
    count = to_int(rows, "Einbürgerungen", col, markers=(), required=True)
    out = pl.DataFrame(
        {
            "ags": pl.Series(["08"] * rows.height, dtype=pl.String),
            "name": pl.Series(["Baden-Württemberg"] * rows.height, dtype=pl.String),
            "year": year.cast(pl.Int32, strict=False),
            "naturalisations": count,
            LINE: rows[LINE],
        }
    )
    check_duplicates(out, ["year"], col, display="Jahr")
    col.raise_if_any()
    return check_schema(out.select(*EINBUERGERUNGEN_SCHEMA), EINBUERGERUNGEN_SCHEMA, col.file)
