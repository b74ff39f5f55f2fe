"""Zensus 2022 immigration history per municipality (the 39 of Kreis 08118)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.exceptions import DataValidationError
from workbench.loaders.detect import detect_format
from workbench.loaders.zensus_einwanderung import SCHEMA, load_zensus2022_einwanderung

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
PATH = (
    RAW
    / "zensus2022_einwanderungsgeschichte"
    / "zensus2022-einwanderungsgeschichte-gemeinden-LB_subset.csv"
)


def test_golden_sums():
    df = load_zensus2022_einwanderung(PATH)
    assert dict(df.schema) == SCHEMA
    assert df.height == 39
    assert df["population"].sum() == 528_576
    assert df["foreigners"].sum() == 97_824
    assert df["reference_date"].unique().to_list() == [dt.date(2022, 5, 15)]
    assert df["ags"].str.starts_with("08118").all()
    assert detect_format(PATH) == "zensus2022_einwanderung"


def test_bad_rows(tmp_path):
    text = PATH.read_text(encoding="utf-8")
    bad = tmp_path / "zensus2022-einwanderungsgeschichte-gemeinden-LB_subset.csv"
    bad.write_text(
        text.replace("08118001,Affalterbach,4304,", "8118001,Affalterbach,4304,").replace(
            ",4304,3838,466,", ",4304,3838,4x66,"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_zensus2022_einwanderung(bad)
    problems = {(p.row, p.column, p.value) for p in info.value.problems}
    assert (2, "ags", "8118001") in problems
    assert (2, "foreign", "4x66") in problems
    assert all(p.file == bad.name and p.expected for p in info.value.problems)


def test_parts_beyond_tolerance(tmp_path):
    bad = tmp_path / "z.csv"
    bad.write_text(
        PATH.read_text(encoding="utf-8").replace(",4304,3838,466,", ",4304,3838,566,"),
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_zensus2022_einwanderung(bad)
    (p,) = info.value.problems
    assert (p.row, p.column) == (2, "population") and "höchstens 10 Personen" in p.expected


def test_validate_cli_on_the_new_files(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(tmp_path / "user"))
    paths = [
        PATH,
        RAW / "statistik_bw",
        RAW / "azr_2025" / "kreis_08118_records_31122025.json",
    ]
    result = CliRunner().invoke(main, ["validate", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert len([ln for ln in result.output.splitlines() if ln.startswith("OK")]) == 4
