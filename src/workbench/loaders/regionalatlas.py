"""Regionalatlas Deutschland, indicator AI0208 "Anteil der ausländischen Bevölkerung (%)".

Two JSON formats:

* :func:`load_regionalatlas_timeseries` – ``{"years": [...], "states": {"08": [...]},
  "districts": {"08118": [...]}}``: one value per year (1 decimal, ``null`` = missing).
* :func:`load_regionalatlas_arcgis` – the raw ArcGIS FeatureCollection of the
  ``stba/regionalatlas`` service (``properties.ags`` / ``properties.ai0208``, floats such as
  ``18.899999999999999`` rounded to 1 decimal). The year comes from the file name
  (``states_2023_…``) or the ``year`` argument.

Returned schema (:data:`SCHEMA`): ``level`` ("Land"/"Kreis"), ``ags`` (2 or 5 digits), ``year``
Int32, ``reference_date`` (31.12.year), ``share`` Float64 (percent 0–100; null = missing).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from workbench.loaders._common import (
    LINE,
    Collector,
    check_date_range,
    check_duplicates,
    check_schema,
    decode,
    read_bytes,
)

SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(),
    "ags": pl.String(),
    "year": pl.Int32(),
    "reference_date": pl.Date(),
    "share": pl.Float64(),
}
INDICATOR = "ai0208"
PERCENT = "Anteil in Prozent zwischen 0 und 100 oder null"


def _read_json(col: Collector) -> object:
    text = decode(read_bytes(col), col, "utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        col.add(
            exc.lineno,
            None,
            text[max(0, exc.pos - 30) : exc.pos + 10],
            f"gültiges JSON (Spalte {exc.colno}: {exc.msg}; Datei abgeschnitten?)",
        )
        raise col.fail() from None


def _finish(records: list[tuple], col: Collector) -> pl.DataFrame:
    frame = pl.DataFrame(
        records,
        schema={
            "level": pl.String,
            "ags": pl.String,
            "year": pl.Int32,
            "share": pl.Float64,
            LINE: pl.Int64,
        },
        orient="row",
    )
    frame = frame.with_columns(
        pl.date(pl.col("year"), 12, 31).alias("reference_date"),
        pl.col("share").round(1),
    )
    out_of_range = frame.filter((pl.col("share") < 0) | (pl.col("share") > 100))
    for level, ags, year, share in out_of_range.select("level", "ags", "year", "share").iter_rows():
        col.add(None, f"{level} {ags}, {year}", share, PERCENT)
    check_date_range(frame, "reference_date", col, display="years")
    check_duplicates(frame, ["ags", "year"], col, display="ags + Jahr")
    col.raise_if_any()
    return check_schema(frame.select(*SCHEMA), SCHEMA, col.file)


def _number(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def load_regionalatlas_timeseries(path: str | Path) -> pl.DataFrame:
    """Load the AI0208 time series JSON (Länder under ``states``, Kreise under ``districts``)."""
    col = Collector(path)
    data = _read_json(col)
    if not isinstance(data, dict) or "years" not in data:
        col.file_problem("JSON-Objekt mit den Schlüsseln „years“, „states“, „districts“")
        raise col.fail()
    years = data["years"]
    if not isinstance(years, list) or not years or not all(isinstance(y, int) for y in years):
        col.add(None, "years", json.dumps(years)[:60], "Liste von Jahreszahlen")
        raise col.fail()
    if "states" not in data and "districts" not in data:
        col.file_problem("Schlüssel „states“ und/oder „districts“")
        raise col.fail()
    records: list[tuple] = []
    for key, level, width in (("states", "Land", 2), ("districts", "Kreis", 5)):
        block = data.get(key, {})
        if not isinstance(block, dict):
            col.add(None, key, type(block).__name__, "Objekt {Schlüssel: [Werte je Jahr]}")
            continue
        for ags, values in block.items():
            if not (isinstance(ags, str) and ags.isdigit() and len(ags) == width):
                col.add(None, key, ags, f"{width}-stelliger Schlüssel aus Ziffern")
                continue
            if not isinstance(values, list) or len(values) != len(years):
                col.add(
                    None,
                    f"{key}.{ags}",
                    json.dumps(values)[:60],
                    f"Liste mit {len(years)} Werten (je Jahr einer)",
                )
                continue
            for year, value in zip(years, values, strict=True):
                if not _number(value):
                    col.add(None, f"{key}.{ags}", value, "Zahl oder null")
                    value = None
                records.append((level, ags, year, value, None))
    col.raise_if_any()
    return _finish(records, col)


def load_regionalatlas_arcgis(path: str | Path, year: int | None = None) -> pl.DataFrame:
    """Load a raw Regionalatlas ArcGIS query response (FeatureCollection) for AI0208."""
    col = Collector(path)
    if year is None:
        m = re.search(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)", Path(path).name)
        if m is None:
            col.file_problem(
                "Jahr im Dateinamen (z. B. states_2023_ai0208_arcgis.json) oder als Argument"
            )
            raise col.fail()
        year = int(m.group(1))
    data = _read_json(col)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        col.file_problem("GeoJSON-FeatureCollection mit „features“ (ArcGIS-Antwort)")
        raise col.fail()
    records: list[tuple] = []
    for i, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        where = f"features[{i}]"
        if not isinstance(props, dict) or "ags" not in props or INDICATOR not in props:
            col.add(None, where, json.dumps(props)[:60], f"properties mit „ags“ und „{INDICATOR}“")
            continue
        ags, value = str(props["ags"]), props[INDICATOR]
        if not (ags.isdigit() and len(ags) in (2, 5)):
            col.add(None, f"{where}.ags", ags, "Schlüssel aus 2 (Land) oder 5 (Kreis) Ziffern")
            continue
        if not _number(value):
            col.add(None, f"{where}.{INDICATOR}", value, "Zahl oder null")
            continue
        records.append(("Land" if len(ags) == 2 else "Kreis", ags, year, value, None))
    col.raise_if_any()
    return _finish(records, col)
