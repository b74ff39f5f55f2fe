"""workbench.tabular_write: German CSV and xlsx for Excel."""

from __future__ import annotations

import datetime as dt

import fastexcel
import polars as pl

from workbench.excel_safety import EXCEL_MAX_CELL_CHARS
from workbench.tabular_write import (
    csv_cell,
    de_number,
    frame_csv_bytes,
    frame_xlsx_bytes,
    write_csv,
    write_xlsx,
)


def test_cells_german_and_safe():
    assert de_number(12.5) == "12,5"
    assert de_number(1234.0) == "1234"
    assert de_number(None) == ""
    assert csv_cell(dt.date(2025, 12, 31)) == "31.12.2025"
    assert csv_cell(dt.datetime(2025, 12, 31, 8, 5, 1)) == "31.12.2025 08:05:01"
    assert csv_cell("=SUMME(A1)") == "'=SUMME(A1)"
    assert csv_cell(-3) == -3
    assert csv_cell(True, number=True) == "1"


def test_write_csv_bom_semicolon_crlf_and_reports_long_cells(tmp_path):
    path = tmp_path / "x.csv"
    long = "a" * (EXCEL_MAX_CELL_CHARS + 1)
    over = write_csv(path, [{"Wert": 2.5, "Notiz": "@x"}, {"Wert": 3, "Notiz": long}],
                     ["Wert", "Notiz"], number_columns=frozenset({"Wert"}))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfWert;Notiz\r\n2,5;'@x\r\n3;")
    assert len(raw.decode("utf-8-sig").splitlines()[2]) == len(long) + 2  # complete, not cut
    assert [(c.row, c.column) for c in over] == [(3, "Notiz")]


def test_write_xlsx_cuts_long_cells_and_lists_them(tmp_path):
    path = tmp_path / "x.xlsx"
    long = "b" * (EXCEL_MAX_CELL_CHARS + 10)
    cuts = write_xlsx(path, [("Blatt", ["Hinweis"], [{"A": 1.5, "B": long}])], ["A", "B"],
                      notes_sheet=["Hinweise", "Zeile"])
    assert len(cuts) == 1 and cuts[0].column == "B"
    book = fastexcel.read_excel(path)
    assert book.sheet_names == ["Blatt", "Hinweise", "Gekürzt"]
    frame = book.load_sheet("Blatt", header_row=None).to_polars()
    assert frame.row(0)[0] == "Hinweis"
    assert frame.row(1)[0].startswith("Gekürzt")
    assert frame.row(3)[:2] == ("A", "B")


def test_frame_csv_bytes():
    frame = pl.DataFrame({"Gemeinde": ["+Test", "Ort"], "Anteil": [12.345, None],
                          "Stichtag": [dt.date(2025, 12, 31), None], "n": [1200, 3]})
    text = frame_csv_bytes(frame, "Quelle: X").decode("utf-8")
    assert text == ("\ufeffGemeinde;Anteil;Stichtag;n\n'+Test;12,35;31.12.2025;1200\n"
                    "Ort;;;3\nQuelle: X\n")


def test_frame_xlsx_bytes(tmp_path):
    frame = pl.DataFrame({"Gemeinde": ["Ort"], "Anteil": [12.5]})
    path = tmp_path / "f.xlsx"
    path.write_bytes(frame_xlsx_bytes(frame, "Quelle: X", "Tabelle"))
    sheet = fastexcel.read_excel(path).load_sheet("Tabelle", header_row=None).to_polars()
    assert sheet.row(0) == ("Gemeinde", "Anteil")
    data = fastexcel.read_excel(path).load_sheet("Tabelle", n_rows=1).to_polars()
    assert data.to_dicts() == [{"Gemeinde": "Ort", "Anteil": 12.5}]  # a number, not text
    assert sheet.row(3)[0] == "Quelle: X"
