"""Provenance files beside every raw file, with checksums that catch any changed byte."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from workbench.exceptions import DataValidationError
from workbench.provenance import (
    checksum_problems,
    provenance_path,
    read_provenance,
    sha256_file,
    source_label,
    verify_checksums,
)

DATA = Path(__file__).resolve().parents[2] / "data"
RAW = DATA / "raw"
SUFFIX = ".provenance.json"


def data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(SUFFIX))


def test_every_raw_file_has_complete_provenance():
    files = data_files(RAW) + [DATA / "published" / "published_figures.csv"]
    assert len(files) >= 22
    for path in files:
        meta = read_provenance(path)
        assert meta["file"] == path.name
        assert meta["publisher"] and meta["title"] and meta["short_title"]
        assert meta["licence"] in {
            "dl-de/by-2-0",
            "MIT",
            "Zitat mit Quellenangabe",
            "Vervielfältigung mit Quellenangabe gestattet",
        }
        # Two data intakes: 21.11.2026 and 02.12.2026 (data/SOURCES.md).
        assert meta["retrieved"] in {"2026-11-21", "2026-12-02"}
        # A file whose Stichtag the publisher does not state says so instead of a date.
        assert meta["reference_dates"] or meta["reference_date_note"]
        for value in meta["reference_dates"]:
            assert dt.date(1950, 1, 1) <= dt.date.fromisoformat(value) <= dt.date(2025, 12, 31)
        origin = meta["origin"]
        assert origin["repository"] and origin["path"]
        if path.is_relative_to(RAW):
            assert len(origin["commit"]) == 40
        assert meta["sha256"] == sha256_file(path)


def test_verify_checksums_on_shipped_data():
    assert verify_checksums() == []


def test_gv_2024_provenance_names_population_date():
    meta = read_provenance(RAW / "destatis_gv_auszug" / "AuszugGV4QAktuell_2024.xlsx")
    assert meta["reference_dates"] == ["2023-12-31"]
    assert "31.12.2024" in meta["reference_date_note"]


@pytest.fixture()
def copy_tree(tmp_path: Path) -> Path:
    dst = tmp_path / "raw" / "zensus2022"
    dst.mkdir(parents=True)
    for name in ("1000A-0000_de_flat_08118.csv", "1000A-0000_de_flat_08118.csv" + SUFFIX):
        shutil.copyfile(RAW / "zensus2022" / name, dst / name)
    return tmp_path / "raw"


def test_changed_byte_is_detected(copy_tree: Path):
    assert verify_checksums(copy_tree) == []
    target = copy_tree / "zensus2022" / "1000A-0000_de_flat_08118.csv"
    raw = bytearray(target.read_bytes())
    pos = raw.index(b"Sachsenheim") + 2
    raw[pos] ^= 0x01  # one bit in one byte
    target.write_bytes(bytes(raw))
    problems = verify_checksums(copy_tree)
    assert len(problems) == 1
    assert problems[0].file == target.name
    assert "verändert" in problems[0].expected
    assert checksum_problems(target) == problems


def test_missing_and_orphan_provenance(copy_tree: Path):
    target = copy_tree / "zensus2022" / "1000A-0000_de_flat_08118.csv"
    extra = copy_tree / "zensus2022" / "neu.csv"
    extra.write_text("x\n", encoding="utf-8")
    problems = verify_checksums(copy_tree)
    assert [p.file for p in problems] == ["neu.csv"]
    assert "fehlt" in problems[0].expected
    target.unlink()
    problems = verify_checksums(copy_tree)
    assert {p.file for p in problems} == {"neu.csv", target.name + SUFFIX}


def test_broken_provenance_file(copy_tree: Path):
    prov = provenance_path(copy_tree / "zensus2022" / "1000A-0000_de_flat_08118.csv")
    meta = json.loads(prov.read_text(encoding="utf-8"))
    del meta["publisher"]
    meta["sha256"] = "xyz"
    prov.write_text(json.dumps(meta), encoding="utf-8")
    problems = verify_checksums(copy_tree)
    assert {p.column for p in problems} == {"publisher", "sha256"}


def test_read_provenance_missing(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        read_provenance(path)
    assert "Herkunftsnachweis" in info.value.problems[0].expected


def test_source_label_german_citation():
    assert source_label(RAW / "zensus2022" / "1000A-0000_de_flat.csv") == (
        "Statistische Ämter des Bundes und der Länder, Zensus 2022, Tabelle 1000A-0000, "
        "Stichtag 15.05.2022; dl-de/by-2-0"
    )
    ts = source_label(RAW / "regionalatlas" / "ai0208_timeseries_states_bw-kreise.json")
    assert ts.endswith("Stichtage 31.12.2011–31.12.2024; dl-de/by-2-0")
    assert "Regionalatlas" in ts
    gv = source_label(RAW / "destatis_gv_auszug" / "31122023_Auszug_GV.xlsx")
    assert gv.startswith("Statistisches Bundesamt (Destatis), Gemeindeverzeichnis")
    assert "Stichtag 31.12.2023" in gv
