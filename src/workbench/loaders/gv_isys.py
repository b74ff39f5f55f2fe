"""Destatis GV-ISys "Gemeinden in Deutschland nach Fläche, Bevölkerung und Postleitzahl".

Reads the original ``*_Auszug_GV.xlsx`` / ``.xls`` files as published (sheet 0 ``Inhalt``,
sheet 1 the data with 6 header rows, footnote rows after the data). Handled variations:
"Einwohner" (2009) vs "Bevölkerung", "Regionalschlüssel (RS)" vs "ARS", 16 vs 20 columns,
keys as text (``'08'``, ``'1'``) or as floats in the old .xls (``8.0``), coordinates with decimal
comma or point, ``/`` markers (2016), names with footnote digits stuck to them (``Kerken4)``).

Returned schema (:data:`SCHEMA`), one row per territorial unit:

* ``satzart`` "10" Land, "20" Regierungsbezirk, "30" Region, "40" Kreis, "50" Gemeindeverband,
  "60" Gemeinde
* ``ars`` Land 2, RB 3, Kreis 5, Gemeindeverband 9, Gemeinde 12 digits
* ``ags`` Land 2, RB 3, Kreis 5, Gemeinde 8 (Land+RB+Kreis+Gem); null for Region/Verband
* ``name``, ``area_km2``, ``population``, ``population_male``, ``population_female``,
  ``postcode``, ``lon``, ``lat`` (null where the file has no value). Only Gemeinde rows (60)
  carry these values in the files; for Kreis/Land totals sum the municipalities.
* ``reference_date`` – the *population* reference date from the header (the 2024 file has
  Gebietsstand 31.12.2024 but population 31.12.2023).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from workbench import tabular
from workbench.exceptions import DataValidationError
from workbench.loaders._common import (
    LINE,
    Collector,
    check_date_range,
    check_duplicates,
    check_not_greater,
    check_schema,
    to_float,
    to_int,
)

SCHEMA: dict[str, pl.DataType] = {
    "satzart": pl.String(),
    "ars": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "area_km2": pl.Float64(),
    "population": pl.Int64(),
    "population_male": pl.Int64(),
    "population_female": pl.Int64(),
    "postcode": pl.String(),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "reference_date": pl.Date(),
}

SATZARTEN = ("10", "20", "30", "40", "50", "60")
HEADER_ROWS = 6
# Fixed column positions of the GV-ISys layout (identical 2009–2024).
POS = {
    "satzart": 0,
    "land": 2,
    "rb": 3,
    "kreis": 4,
    "vb": 5,
    "gem": 6,
    "name": 7,
    "area": 8,
    "pop": 9,
    "male": 10,
    "female": 11,
    "plz": 13,
    "lon": 14,
    "lat": 15,
}
WIDTH = {"land": 2, "rb": 1, "kreis": 2, "vb": 4, "gem": 3}
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _cell(frame: pl.DataFrame, row: int, col: int) -> str:
    if row >= frame.height or col >= frame.width:
        return ""
    value = frame[row, col]
    return "" if value is None else str(value).strip()


def _check_header(head: pl.DataFrame, col: Collector) -> None:
    """The GV-ISys header: row 3 titles, row 4 key parts and sex split."""
    expectations = [
        (2, POS["satzart"], lambda s: s.startswith("Satz"), "Satz-art"),
        (
            2,
            POS["land"],
            lambda s: "Regionalschlüssel" in s or "ARS" in s,
            "Regionalschlüssel (RS/ARS)",
        ),
        (2, POS["name"], lambda s: s.startswith("Gemeindename"), "Gemeindename"),
        (2, POS["area"], lambda s: s.startswith("Fläche"), "Fläche km2"),
        (
            2,
            POS["pop"],
            lambda s: s.startswith(("Bevölkerung", "Einwohner")),
            "Bevölkerung/Einwohner",
        ),
        (3, POS["land"], lambda s: s == "Land", "Land"),
        (3, POS["rb"], lambda s: s == "RB", "RB"),
        (3, POS["kreis"], lambda s: s == "Kreis", "Kreis"),
        (3, POS["vb"], lambda s: s == "VB", "VB"),
        (3, POS["gem"], lambda s: s == "Gem", "Gem"),
        (3, POS["pop"], lambda s: s == "insgesamt", "insgesamt"),
        (3, POS["male"], lambda s: s == "männlich", "männlich"),
        (3, POS["female"], lambda s: s == "weiblich", "weiblich"),
    ]
    for row, pos, ok, text in expectations:
        value = _cell(head, row, pos)
        if not ok(value):
            col.add(row + 1, _column_letter(pos), value, f"Kopfzelle „{text}“ (GV-ISys-Layout)")


def _column_letter(pos: int) -> str:
    return chr(ord("A") + pos)


def _reference_date(head: pl.DataFrame, col: Collector) -> dt.date | None:
    """Population Stichtag: the date under "Bevölkerung" (row 5), else the title date."""
    for row, pos in ((4, POS["pop"]), (4, POS["area"]), (0, 0)):
        m = _DATE.search(_cell(head, row, pos))
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    col.add(1, None, _cell(head, 0, 0), "Titel mit Stichtag „am TT.MM.JJJJ“")
    return None


def _key(series: pl.Series, width: int) -> pl.Series:
    """Normalise a key part: text or float (``8.0``) → zero-padded digits; empty → null."""
    s = series.cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "")
    s = pl.select(pl.when(s == "").then(None).otherwise(s)).to_series()
    return s.str.zfill(width)


# Error cells (#N/A) are tolerated only in the coordinate columns: the 2009 file has 24 of
# them there (municipalities without coordinates); they become null like an empty cell.
ERROR_CELLS_ALLOWED = {POS["lon"] + 1, POS["lat"] + 1}


def _read_sheet(path: str | Path) -> tabular.XlsxSheet:
    """The data sheet (the second sheet, after „Inhalt“) read by :mod:`workbench.tabular`."""
    sheet = tabular.read_workbook_sheet(Path(path), 1)
    sheet.raise_errors(ERROR_CELLS_ALLOWED)
    return sheet


def read_gv_sheet(path: str | Path) -> pl.DataFrame:
    """All cells of the data sheet as strings (``None`` for empty), row index = Excel row - 1."""
    return _read_sheet(path).to_frame()


def load_gv_isys(path: str | Path) -> pl.DataFrame:
    """Load one GV-ISys Auszug file (xlsx or the old .xls) into :data:`SCHEMA`."""
    col = Collector(path)
    if not col.path.exists():
        col.file_problem("vorhandene Datei – Datei nicht gefunden")
        raise col.fail()
    try:
        book = _read_sheet(col.path)
    except DataValidationError as exc:
        col.problems.extend(exc.problems)
        raise col.fail() from None
    sheet = book.to_frame()
    if sheet.height <= HEADER_ROWS or sheet.width <= POS["lat"]:
        col.file_problem(
            f"Datenblatt mit {HEADER_ROWS} Kopfzeilen und mindestens {POS['lat'] + 1} Spalten – "
            f"gefunden: {sheet.height} Zeilen, {sheet.width} Spalten"
        )
        raise col.fail()
    head = sheet.head(HEADER_ROWS)
    _check_header(head, col)
    ref = _reference_date(head, col)
    if col.problems:
        raise col.fail()

    cols = sheet.columns
    body = sheet.slice(HEADER_ROWS).with_row_index(LINE, offset=HEADER_ROWS + 1)
    body = body.with_columns(pl.col(LINE).cast(pl.Int64))
    satz = body[cols[POS["satzart"]]].cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "")
    is_data = satz.str.contains(r"^\d+$").fill_null(False)
    if not is_data.any():
        col.file_problem("Datenzeilen mit Satzart 10–60 – keine gefunden")
        raise col.fail()
    last = int(body.filter(is_data)[LINE].max())  # type: ignore[arg-type]
    col.problems.extend(book.merged_problems(HEADER_ROWS + 1, last))
    # Anything non-empty in column A before the last data row must be a Satzart; after it
    # come the footnotes ("1) Abweichungen …", copyright), which are skipped.
    body = body.with_columns(satz.alias("_satz"))
    stray = body.filter(
        (pl.col(LINE) <= last)
        & pl.col("_satz").is_not_null()
        & (pl.col("_satz") != "")
        & ~pl.col("_satz").is_in(SATZARTEN)
    )
    col.rows(stray, "Satz-art", "_satz", "Satzart 10, 20, 30, 40, 50 oder 60")
    rows = body.filter(pl.col("_satz").is_in(SATZARTEN))

    parts = {k: _key(rows[cols[POS[k]]], w) for k, w in WIDTH.items()}
    # Areas without Regierungsbezirk can leave RB empty (2010: deutsch-luxemburgisches
    # Hoheitsgebiet); the ARS then carries "0" there, as in the other years.
    parts["rb"] = parts["rb"].fill_null("0")
    rows = rows.with_columns(**{f"_{k}": v for k, v in parts.items()})
    key_cols = rows.select(LINE, "_satz", *[f"_{k}" for k in WIDTH])
    need = {
        "10": ("land",),
        "20": ("land", "rb"),
        "30": ("land", "rb", "kreis"),
        "40": ("land", "rb", "kreis"),
        "50": ("land", "rb", "kreis", "vb"),
        "60": ("land", "rb", "kreis", "vb", "gem"),
    }
    for satzart, parts_needed in need.items():
        for part in parts_needed:
            # Parts are zero-padded by _key, so a well-formed part has exactly WIDTH digits
            # (the Region number of Satzart 30 sits in the Kreis column).
            bad = key_cols.filter(
                (pl.col("_satz") == satzart)
                & ~pl.col(f"_{part}").str.contains(rf"^\d{{{WIDTH[part]}}}$").fill_null(False)
            )
            col.rows(
                bad,
                {"land": "Land", "rb": "RB", "kreis": "Kreis", "vb": "VB", "gem": "Gem"}[part],
                f"_{part}",
                f"{WIDTH[part]}-stelliger Schlüsselteil aus Ziffern (Satzart {satzart})",
            )

    L, R, K, V, G = (pl.col(f"_{k}") for k in ("land", "rb", "kreis", "vb", "gem"))
    s = pl.col("_satz")
    ars = (
        pl.when(s == "10")
        .then(L)
        .when(s == "20")
        .then(L + R)
        .when(s == "30")
        .then(L + R + K.str.strip_chars_start("0"))
        .when(s == "40")
        .then(L + R + K)
        .when(s == "50")
        .then(L + R + K + V)
        .otherwise(L + R + K + V + G)
    )
    ags = (
        pl.when(s == "10")
        .then(L)
        .when(s == "20")
        .then(L + R)
        .when(s == "40")
        .then(L + R + K)
        .when(s == "60")
        .then(L + R + K + G)
        .otherwise(None)
    )
    name = (
        rows[cols[POS["name"]]]
        .cast(pl.String)
        .str.strip_chars()
        .str.replace(r"(\D)\d+\)$", "$1")  # stuck footnote reference: "Kerken4)" -> "Kerken"
        .str.strip_chars()
    )
    label = {
        "area": "Fläche km2",
        "pop": "Bevölkerung insgesamt",
        "male": "Bevölkerung männlich",
        "female": "Bevölkerung weiblich",
    }
    work = rows.rename(
        {cols[POS[k]]: k for k in ("area", "pop", "male", "female", "plz", "lon", "lat")}
    )
    area = to_float(
        work,
        "area",
        col,
        display=label["area"],
        decimal_comma=True,
        lo=0,
        range_text="nicht-negative Fläche",
    )
    pops = {
        k: to_int(work, k, col, display=label[k], allow_float_zero=True)
        for k in ("pop", "male", "female")
    }
    lon = to_float(work, "lon", col, display="Längengrad", decimal_comma=True, lo=-180, hi=180)
    lat = to_float(work, "lat", col, display="Breitengrad", decimal_comma=True, lo=-90, hi=90)
    plz = _key(work["plz"], 5)
    out = rows.select(
        pl.col("_satz").alias("satzart"),
        ars.alias("ars"),
        ags.alias("ags"),
        LINE,
    ).with_columns(
        name.alias("name"),
        area.alias("area_km2"),
        pops["pop"].alias("population"),
        pops["male"].alias("population_male"),
        pops["female"].alias("population_female"),
        plz.alias("postcode"),
        lon.alias("lon"),
        lat.alias("lat"),
        pl.lit(ref, dtype=pl.Date).alias("reference_date"),
    )
    for part in ("population_male", "population_female"):
        check_not_greater(
            out,
            part,
            "population",
            col,
            display_part=label[
                "male" if part.endswith("male") and "female" not in part else "female"
            ],
            display_whole=label["pop"],
        )
    sex_sum = out.filter(
        (pl.col("population_male") + pl.col("population_female") != pl.col("population")).fill_null(
            False
        )
    )
    col.rows(
        sex_sum.with_columns(pl.col("population").cast(pl.String).alias("_v")),
        label["pop"],
        "_v",
        "Summe aus männlich und weiblich",
    )
    # From 2016 on, gemeindefreie Gebiete spanning several Reisegebiete are listed once per
    # Reisegebiet with otherwise identical values: keep one. Differing duplicates are errors.
    out = out.unique(subset=[c for c in SCHEMA], keep="first", maintain_order=True)
    check_duplicates(
        out.filter(pl.col("satzart") != "30"), ["satzart", "ars"], col, display="Regionalschlüssel"
    )
    check_date_range(out.head(1), "reference_date", col, display="Stichtag")
    col.raise_if_any()
    return check_schema(out.select(*SCHEMA), SCHEMA, col.file)


def gemeinden(df: pl.DataFrame, kreis: str = "08118") -> pl.DataFrame:
    """Municipality rows (Satzart 60) of a Kreis (or Land: any key prefix) of a GV frame."""
    return df.filter((pl.col("satzart") == "60") & pl.col("ags").str.starts_with(kreis))
