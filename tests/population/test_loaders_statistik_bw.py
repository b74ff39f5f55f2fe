"""Statistik BW chart CSVs: foreign share per municipality ("Stand 2025") and naturalisations."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench.exceptions import DataValidationError
from workbench.loaders.detect import detect_format
from workbench.loaders.statistik_bw import (
    EINBUERGERUNGEN_SCHEMA,
    SCHEMA,
    load_statistik_bw_einbuergerungen,
    load_statistik_bw_shares,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "raw" / "statistik_bw"
SHARES = RAW / "stala-auslaenderanteil-gemeinden-2025.csv"
NATURALISATIONS = RAW / "stala-einbuergerungen-2000-2025.csv"


def test_shares_golden_values():
    df = load_statistik_bw_shares(SHARES)
    assert dict(df.schema) == SCHEMA
    assert "reference_date" not in df.columns  # no Stichtag is published: none is invented
    assert df.height == 1_103
    assert df["share"].is_not_null().sum() == 1_101
    assert df.filter(pl.col("marker") == "-").height == 2
    share = dict(df.select("ags", "share").iter_rows())
    assert share["08118076"] == 18.6  # Sachsenheim
    assert share["08118048"] == 24.2  # Ludwigsburg
    assert df.filter(pl.col("name").str.starts_with("Kornwestheim"))["share"].to_list() == [26.2]
    assert df.filter(pl.col("name") == "Freudental")["share"].to_list() == [13.9]
    assert df["stand"].unique().to_list() == ["2025"]
    assert (df["ags"].str.len_chars() == 8).all()
    assert (df["share"].min(), df["share"].max(), df["share"].median()) == (0.3, 35.4, 12.4)
    assert detect_format(SHARES) == "statistik_bw_shares"


def test_shares_with_bom_and_windows_1252(tmp_path):
    text = SHARES.read_text(encoding="utf-8")
    bom = tmp_path / "a.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ansi = tmp_path / "b.csv"
    ansi.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    expected = load_statistik_bw_shares(SHARES)
    assert load_statistik_bw_shares(bom).equals(expected)
    assert load_statistik_bw_shares(ansi).equals(expected)
    assert detect_format(bom) == detect_format(ansi) == "statistik_bw_shares"


def _damaged(tmp_path: Path, old: str, new: str) -> list:
    path = tmp_path / "stala-auslaenderanteil-gemeinden-2025.csv"
    text = SHARES.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_statistik_bw_shares(path)
    return info.value.problems


def test_shares_bad_value_key_and_title(tmp_path):
    lines = SHARES.read_text(encoding="utf-8").split("\n")
    row = next(i for i, ln in enumerate(lines) if ln.startswith('"08118076"')) + 1
    (p,) = _damaged(
        tmp_path,
        '"08118076";"Sachsenheim, Stadt";"18,6"',
        '"08118076";"Sachsenheim, Stadt";"18,6 %"',
    )
    assert (p.file, p.row, p.column, p.value) == (
        "stala-auslaenderanteil-gemeinden-2025.csv",
        row,
        "in %",
        "18,6 %",
    )
    assert "Dezimalkomma" in p.expected
    (p,) = _damaged(tmp_path, '"08118076";', '"8118076";')
    assert (p.row, p.column, p.value) == (row, "Regionalschlüssel", "8118076")
    assert "8 Ziffern" in p.expected
    (p,) = _damaged(
        tmp_path,
        '"08118076";"Sachsenheim, Stadt";"18,6"',
        '"08118076";"Sachsenheim, Stadt";"180,6"',
    )
    assert (p.row, p.column) == (row, "in %") and "100" in p.expected
    (p,) = _damaged(tmp_path, "Anteil Ausländer/-innen 2025", "Ausländeranteil")
    assert (p.row, p.column, p.value) == (1, None, "Ausländeranteil")
    assert "Titelzeile" in p.expected


def test_shares_empty_and_other_format(tmp_path):
    empty = tmp_path / "leer.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_statistik_bw_shares(empty)
    assert info.value.problems[0].expected == "Datei ist leer"
    other = tmp_path / "anders.csv"
    other.write_text("Anteil Ausländer/-innen 2025\nAGS,Name,Wert\n08118076,Sachsenheim,18.6\n")
    with pytest.raises(DataValidationError) as info:
        load_statistik_bw_shares(other)
    p = info.value.problems[0]
    assert p.row == 2 and "Semikolon" in p.expected


def test_naturalisations():
    df = load_statistik_bw_einbuergerungen(NATURALISATIONS)
    assert dict(df.schema) == EINBUERGERUNGEN_SCHEMA
    assert df["year"].to_list() == list(range(2000, 2026))
    values = dict(df.select("year", "naturalisations").iter_rows())
    assert (values[2000], values[2024], values[2025]) == (29_071, 37_806, 39_790)
    assert detect_format(NATURALISATIONS) == "statistik_bw_einbuergerungen"


def test_naturalisations_bad_cell(tmp_path):
    path = tmp_path / "stala-einbuergerungen-2000-2025.csv"
    path.write_bytes(NATURALISATIONS.read_bytes().replace(b"2016;17791", b"2016;17.791,0"))
    with pytest.raises(DataValidationError) as info:
        load_statistik_bw_einbuergerungen(path)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (18, "Einbürgerungen", "17.791,0")
    assert "ganze Zahl" in p.expected
