"""AZR / 12521-0041 / Fortschreibung / Mikrozensus records of Kreis 08118 (31.12.2025)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from workbench.exceptions import DataValidationError
from workbench.loaders.azr import SCHEMA, load_azr_records
from workbench.loaders.detect import detect_format

PATH = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "raw"
    / "azr_2025"
    / "kreis_08118_records_31122025.json"
)


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return load_azr_records(PATH)


def value(df: pl.DataFrame, dataset: str, category: str, year: int = 2025) -> float:
    rows = df.filter(
        (pl.col("dataset") == dataset) & (pl.col("category") == category) & (pl.col("year") == year)
    )
    assert rows.height == 1, (dataset, category, year)
    return rows["value"][0]


def test_schema_and_sources(records):
    assert dict(records.schema) == SCHEMA
    assert set(records["dataset"]) == {
        "azr",
        "herkunftsgruppen",
        "fortschreibung_alter",
        "mikrozensus",
    }
    assert records["ags"].unique().to_list() == ["08118"]
    src = dict(records.select("dataset", "source").unique().iter_rows())
    assert src["azr"] == (
        "Statistisches Bundesamt, Migration, Integration, Regionen (Ausländerzentralregister)"
    )
    assert "GENESIS 12521-0041" in src["herkunftsgruppen"]
    assert "GENESIS 12411-03-03-4-B (Bevölkerungsfortschreibung)" in src["fortschreibung_alter"]
    assert "12211-0503" in src["mikrozensus"]
    concept = dict(records.select("dataset", "concept").unique().iter_rows())
    assert concept == {
        "azr": "AZR",
        "herkunftsgruppen": "AZR",
        "fortschreibung_alter": "Fortschreibung",
        "mikrozensus": "Mikrozensus",
    }
    dated = records.filter(pl.col("dataset") != "mikrozensus")
    assert dated["reference_date"].unique().to_list() == [dt.date(2025, 12, 31)]
    assert records.filter(pl.col("dataset") == "mikrozensus")["reference_date"].null_count() == 10
    assert set(records["unit"]) == {"Anzahl", "Prozent", "Tausend"}


def test_golden_values(records):
    assert value(records, "azr", "foreign_total") == 118_840
    assert value(records, "azr", "permission_pending") == 2_385
    assert value(records, "azr", "tolerated") == 1_295
    assert value(records, "azr", "resident_25_years_or_more") == 43_355
    assert value(records, "azr", "turkey") == 18_465
    turkey = records.filter(pl.col("category") == "turkey")
    assert turkey["label"].to_list() == ["Türkei"]
    assert value(records, "herkunftsgruppen", "insgesamt") == 118_840
    assert value(records, "fortschreibung_alter", "population") == 534_454
    assert value(records, "fortschreibung_alter", "foreign") == 107_946
    assert value(records, "fortschreibung_alter", "foreign_share") == 20.2
    ages = records.filter(
        pl.col("category").str.ends_with("_auslaender")
        & pl.col("category").str.starts_with("alter_")
        & (pl.col("unit") == "Anzahl")
    )
    assert ages.height == 21 and ages["value"].sum() == 107_946
    shares = [
        round(value(records, "mikrozensus", "migrationshintergrund_anteil", y), 1)
        for y in range(2021, 2026)
    ]
    assert shares == [41.1, 40.1, 41.8, 42.4, 41.6]
    assert detect_format(PATH) == "azr_records"


def _problems(tmp_path: Path, text: str) -> list:
    path = tmp_path / "kreis_08118_records_31122025.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_azr_records(path)
    return info.value.problems


def test_bad_json_value_and_key(tmp_path):
    text = PATH.read_text(encoding="utf-8")
    lines = text.split("\n")
    (p,) = _problems(tmp_path, text.replace('"tolerated": 1295.0', '"tolerated": 1295.0,,'))
    assert p.row == next(i for i, ln in enumerate(lines) if '"tolerated": 1295.0' in ln) + 1
    assert "gültiges JSON" in p.expected
    (p,) = _problems(tmp_path, text.replace('"turkey": 18465.0', '"turkey": "18.465"'))
    assert (p.column, p.value, p.expected) == ("turkey", "'18.465'", "Zahl")
    assert p.row == next(i for i, ln in enumerate(lines) if '"turkey": 18465.0' in ln) + 1
    (p,) = _problems(tmp_path, text.replace("docs/data/district-timeseries.json", "x.json"))
    assert p.column is None and "district-azr" in p.expected and p.row is not None
    (p,) = _problems(tmp_path, text.replace("reference_date 2025-12-31)", ")", 1))
    assert p.column == "reference_date" and "Stichtag" in p.expected


def test_empty_and_not_an_object(tmp_path):
    (p,) = _problems(tmp_path, "")
    assert p.expected == "Datei ist leer"
    (p,) = _problems(tmp_path, json.dumps([1, 2]))
    assert (p.row, p.value) == (1, "list")
