"""Import/export of observations: German CSV/xlsx, every bad row reported, nothing stored from
a bad file, idempotent re-import, atomic export, template from the catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import polars as pl
import pytest
import xlsxwriter

from workbench import catalogue, observations_io
from workbench.exceptions import DataValidationError
from workbench.observation import Observation
from workbench.observations_io import (
    TEMPLATE_COLUMNS,
    export_observations,
    import_observations,
    parse_date,
    parse_number,
    read_observations,
    write_template,
)
from workbench.store import ObservationStore

CATALOGUES = Path(__file__).parent / "data" / "store_catalogues"
PROJECT = Path(__file__).resolve().parents[2]
HEADER = ";".join(TEMPLATE_COLUMNS)


@pytest.fixture(autouse=True)
def catalogue_dir(monkeypatch):
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(CATALOGUES))


@pytest.fixture
def store(tmp_path) -> ObservationStore:
    return ObservationStore(tmp_path / "obs.sqlite")


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


GOOD = [
    HEADER,
    "teststadt;anzahl-kurse;31.12.2025;1234;;VHS-Bericht 2025;Frau Maier;",
    "teststadt;anteil-a2;2025-12-31;12,5 %;;Kursstatistik;;geschätzt von Kursleitung",
    "teststadt;konzept-liegt-vor;31.12.2025;ja;Beschluss GR 12/2025;Protokoll;;",
    "teststadt;erfahrungen;31.12.2025;;Kurse sehr gut besucht;;;",
    "teststadt;anzahl-kurse;31.12.2024;3;;VHS-Bericht 2024;;",
]


def test_parse_number_and_date():
    assert parse_number("12,5") == 12.5
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("1.234") == 1234.0  # German thousands separator
    assert parse_number("-3") == -3.0
    assert parse_number("12.5") is None  # decimal point in a German CSV: ambiguous
    assert parse_number("12.5", excel=True) == 12.5  # xlsx numeric cell
    assert parse_number("vier") is None
    assert parse_date("31.12.2025") == dt.date(2025, 12, 31)
    assert parse_date("2025-12-31") == dt.date(2025, 12, 31)
    assert parse_date("2025-12-31 00:00:00") == dt.date(2025, 12, 31)
    assert parse_date("31.13.2025") is None
    assert parse_date("2025-12-31 12:30:00") == dt.date(2025, 12, 31)  # Excel date-time cell


def test_good_csv_is_stored_in_one_transaction(store, tmp_path):
    path = write_csv(tmp_path / "messwerte.csv", GOOD)
    result = import_observations(path, store, user="Importeur")
    assert (result.rows, result.new_versions, result.unchanged) == (5, 5, 0)

    hist = store.history()
    assert hist.height == 5
    assert hist["entered_at"].n_unique() == 1  # one transaction, one timestamp
    got = {(r["indicator_id"], r["period"]): r for r in hist.iter_rows(named=True)}
    k = got[("anzahl-kurse", dt.date(2025, 12, 31))]
    assert (k["value"], k["entered_by"], k["source"]) == (1234.0, "Frau Maier", "VHS-Bericht 2025")
    a = got[("anteil-a2", dt.date(2025, 12, 31))]
    assert (a["value"], a["entered_by"], a["comment"]) == (12.5, "Importeur",
                                                           "geschätzt von Kursleitung")
    m = got[("konzept-liegt-vor", dt.date(2025, 12, 31))]
    assert (m["value"], m["note"]) == (1.0, "Beschluss GR 12/2025")
    q = got[("erfahrungen", dt.date(2025, 12, 31))]
    assert (q["value"], q["note"], q["source"]) == (None, "Kurse sehr gut besucht",
                                                    "Import messwerte.csv")
    assert not any(hist["is_example"])
    batch = store.batches().row(0, named=True)
    assert (batch["file_name"], batch["entered_by"], batch["new_versions"]) == (
        "messwerte.csv", "Importeur", 5)


def test_reimport_is_idempotent_and_changed_value_is_a_new_version(store, tmp_path):
    path = write_csv(tmp_path / "m.csv", GOOD)
    import_observations(path, store, user="u")
    again = import_observations(path, store, user="u")
    assert (again.new_versions, again.unchanged) == (0, 5)
    assert store.count() == 5

    changed = [*GOOD]
    changed[1] = changed[1].replace("1234", "1235")
    result = import_observations(write_csv(tmp_path / "m2.csv", changed), store, user="u")
    assert (result.new_versions, result.unchanged) == (1, 4)
    hist = store.history("teststadt", "anzahl-kurse", dt.date(2025, 12, 31))
    assert hist["version"].to_list() == [1, 2]
    assert hist["value"].to_list() == [1234.0, 1235.0]


BAD_ROWS = {  # {d}: a Stichtag unique per row, so rows never collide as duplicates
    "unknown Träger": ("nirgendwo;anzahl-kurse;{d};4;;;;", "Träger", "Maßnahmenkatalog"),
    "unknown indicator": ("teststadt;anzahl-kurze;{d};4;;;;", "Indikator-ID", "Katalog"),
    "bad date": ("teststadt;anzahl-kurse;31.02.2025;4;;;;", "Stichtag", "Datum"),
    "missing date": ("teststadt;anzahl-kurse;;4;;;;", "Stichtag", "Datum"),
    "non-numeric": ("teststadt;anzahl-kurse;{d};vier;;;;", "Wert", "Zahl"),
    "decimal point": ("teststadt;anteil-a2;{d};12.5;;;;", "Wert", "Dezimalkomma"),
    "negative count": ("teststadt;anzahl-kurse;{d};-2;;;;", "Wert", "ganze Zahl ≥ 0"),
    "fractional count": ("teststadt;anzahl-kurse;{d};2,5;;;;", "Wert", "ganze Zahl"),
    "share > 100": ("teststadt;anteil-a2;{d};100,1;;;;", "Wert", "zwischen 0 und 100"),
    "milestone": ("teststadt;konzept-liegt-vor;{d};vielleicht;;;;", "Wert", "ja oder nein"),
    "qualitative without note": ("teststadt;erfahrungen;{d};3;;;;", "Notiz", "Notiz"),
}


def bad_line(kind: str, day: int = 1) -> str:
    return BAD_ROWS[kind][0].format(d=f"{day:02d}.01.2025")


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_each_bad_row_kind_is_reported_and_nothing_stored(store, tmp_path, kind):
    _, column, expected = BAD_ROWS[kind]
    line = bad_line(kind)
    store.record(Observation("teststadt", "anzahl-kurse", dt.date(2020, 12, 31), 1, entered_by="a",
                             source="vorher"))
    before = store.history()
    path = write_csv(tmp_path / "bad.csv", [GOOD[0], GOOD[1], line, GOOD[2]])
    with pytest.raises(DataValidationError) as err:
        import_observations(path, store, user="u")
    problems = err.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert (p.file, p.row, p.column) == ("bad.csv", 3, column)
    assert expected in p.expected
    assert store.history().equals(before)  # the good rows of the file were not stored either


def test_every_bad_row_is_reported_in_one_pass(store, tmp_path):
    lines = [HEADER, *(bad_line(k, i) for i, k in enumerate(BAD_ROWS, 1)), GOOD[1],
             GOOD[1].replace("1234", "5")]  # last: duplicate key of the row before
    with pytest.raises(DataValidationError) as err:
        import_observations(write_csv(tmp_path / "bad.csv", lines), store)
    rows = [p.row for p in err.value.problems]
    n = len(BAD_ROWS)
    assert rows == [*range(2, 2 + n), 2 + n + 1]  # every bad row, in file order
    assert "schon in Zeile" in err.value.problems[-1].expected
    assert "Zeile 2" in str(err.value) and "Spalte „Träger“" in str(err.value)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "Datei ist leer"),
        (b"\xef\xbb\xbf\r\n \r\n", "Datei ist leer"),
        ("Träger,Indikator-ID,Stichtag,Wert\nteststadt,anzahl-kurse,31.12.2025,4\n".encode(),
         "Semikolon"),
        ("Träger;Indikator-ID;Stichtag;Notiz\nteststadt;anzahl-kurse;31.12.2025;x\n".encode(),
         "Pflichtspalte „Wert“ fehlt"),
        (b"Name;Zahl\na;1\n", "Kopfzeile"),
        (f"{HEADER}\n".encode(), "keine Messwerte"),
    ],
    ids=["empty", "bom-only", "comma-separator", "missing-column", "no-header", "no-rows"],
)
def test_file_level_problems(store, tmp_path, content, expected):
    path = tmp_path / "datei.csv"
    path.write_bytes(content)
    with pytest.raises(DataValidationError) as err:
        import_observations(path, store)
    assert expected in str(err.value)
    assert err.value.problems[0].file == "datei.csv"
    assert store.count() == 0


def test_row_with_more_cells_than_the_header(store, tmp_path):
    lines = [HEADER, "teststadt;anzahl-kurse;31.12.2025;4;Kurs A;Kurs B;Bericht;Frau M;ok;x",
             'teststadt;anteil-a2;31.12.2025;4;"Kurs A;Kurs B";Bericht;Frau M;ok']
    with pytest.raises(DataValidationError) as err:
        import_observations(write_csv(tmp_path / "breit.csv", lines), store)
    assert [(p.row, p.value) for p in err.value.problems] == [(2, "ok;x")]
    assert "Anführungszeichen" in err.value.problems[0].expected
    assert store.count() == 0


def test_encodings_and_tab_separator(store, tmp_path):
    cp1252 = write_csv(tmp_path / "win.csv", GOOD[:2], encoding="cp1252")
    assert cp1252.read_bytes()[:2] == b"Tr"  # no BOM, "ä" as one byte
    assert len(read_observations(cp1252).rows) == 1
    tab = tmp_path / "unicode.txt"
    tab.write_bytes(("\r\n".join(line.replace(";", "\t") for line in GOOD[:3])).encode("utf-16"))
    assert [r.observation.value for r in read_observations(tab).rows] == [1234.0, 12.5]


def test_xlsx_import_with_note_rows_typed_cells_and_excel_row_numbers(store, tmp_path):
    path = tmp_path / "erfasst.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Messwerte")
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write(0, 0, "Erfassung Teststadt 2025")  # note row above the header
    ws.write_row(2, 0, [*TEMPLATE_COLUMNS, "Handlungsfeld", "Eigene Spalte"])
    ws.write_row(3, 0, ["teststadt", "anzahl-kurse"])
    ws.write_datetime(3, 2, dt.datetime(2025, 12, 31), date_fmt)
    ws.write_number(3, 3, 17)
    ws.write_row(4, 0, ["teststadt", "anteil-a2", "31.12.2025", 12.25])
    ws.write_row(5, 0, ["teststadt", "anteil-a2", "30.06.2025", "33,5"])
    ws.write_row(6, 0, ["teststadt", "konzept-liegt-vor"])  # untouched template row
    wb.close()
    result = import_observations(path, store, user="u")
    assert (result.rows, result.skipped_empty) == (3, 1)
    assert result.ignored_columns == ["Eigene Spalte"]
    cur = store.current()
    assert sorted(zip(cur["indicator_id"], cur["period"], cur["value"], strict=True)) == [
        ("anteil-a2", dt.date(2025, 6, 30), 33.5),
        ("anteil-a2", dt.date(2025, 12, 31), 12.25),
        ("anzahl-kurse", dt.date(2025, 12, 31), 17.0),
    ]

    bad = tmp_path / "fehler.xlsx"
    wb = xlsxwriter.Workbook(bad)
    ws = wb.add_worksheet("Messwerte")
    ws.write_row(1, 0, TEMPLATE_COLUMNS)
    ws.write_row(2, 0, ["teststadt", "anzahl-kurse", "31.12.2025", 4.5])
    ws.write_row(3, 0, ["teststadt", "anteil-a2", "31.12.2025", 140])
    wb.close()
    with pytest.raises(DataValidationError) as err:
        import_observations(bad, store)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "Wert"), (4, "Wert")]
    assert store.count() == 3


def test_not_an_excel_file(store, tmp_path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataValidationError, match="xlsx-Datei"):
        import_observations(path, store)


def _fill(store: ObservationStore) -> None:
    store.record(Observation("teststadt", "anzahl-kurse", dt.date(2025, 12, 31), 3, entered_by="a",
                             source="Bericht"))
    store.record(Observation("teststadt", "anzahl-kurse", dt.date(2025, 12, 31), 4, entered_by="b",
                             source="Bericht", comment="korrigiert"))
    store.record(Observation("teststadt", "anteil-a2", dt.date(2025, 12, 31), 12.5,
                             entered_by="Beispiel", source="Beispieldaten", is_example=True))
    store.record(Observation("teststadt", "erfahrungen", dt.date(2025, 12, 31), None,
                             "gut; sehr gut", entered_by="a", source="Protokoll"))


def test_export_xlsx_sheets_note_and_roundtrip(store, tmp_path):
    _fill(store)
    out = export_observations(tmp_path / "export.xlsx", store)
    reader = fastexcel.read_excel(out)
    assert reader.sheet_names == ["Aktuelle Werte", "Verlauf"]
    cur = reader.load_sheet("Aktuelle Werte", header_row=3).to_polars()
    hist = reader.load_sheet("Verlauf", header_row=3).to_polars()
    assert cur.height == 3 and hist.height == 4
    assert cur.columns[:8] == TEMPLATE_COLUMNS
    note = reader.load_sheet("Aktuelle Werte", header_row=None, n_rows=2,
                             dtypes="string").to_polars()
    text = " ".join(str(v) for v in note.row(0) + note.row(1) if v)
    assert "Quelle: workbench-Messwertspeicher obs.sqlite" in text
    assert "1 von 3 Werten sind Beispieldaten" in text
    assert sorted(cur["Beispieldaten"].to_list()) == ["ja", "nein", "nein"]
    assert "Sprachkurse anbieten" in cur["Maßnahme"].to_list()

    # The export re-imports into an empty store with the same current values and flags.
    fresh = ObservationStore(tmp_path / "fresh.sqlite")
    import_observations(out, fresh, user="u")
    cols = ["traeger_id", "indicator_id", "period", "value", "note", "source", "is_example"]
    assert fresh.current().select(cols).equals(store.current().select(cols))


def test_export_csv_current_and_history_roundtrip(store, tmp_path):
    _fill(store)
    out = export_observations(tmp_path / "cur.csv", store)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(HEADER)
    assert "teststadt;anteil-a2;31.12.2025;12,5;" in text
    assert '"gut; sehr gut"' in text
    hist = export_observations(tmp_path / "hist.csv", store, history=True)
    assert len(hist.read_text(encoding="utf-8-sig").splitlines()) == 1 + 4

    fresh = ObservationStore(tmp_path / "fresh.sqlite")
    import_observations(out, fresh, user="u")
    cols = ["traeger_id", "indicator_id", "period", "value", "note", "source", "is_example"]
    assert fresh.current().select(cols).equals(store.current().select(cols))
    only = export_observations(tmp_path / "none.csv", store, traeger_id="anderswo")
    assert only.read_text(encoding="utf-8-sig").splitlines() == [
        ";".join(observations_io.EXPORT_COLUMNS)]


def test_export_is_atomic(store, tmp_path, monkeypatch):
    _fill(store)
    out = tmp_path / "export.xlsx"
    out.write_bytes(b"old content")

    def broken(path, *args, **kwargs):
        Path(path).write_bytes(b"half written")
        raise OSError("Datenträger voll")

    monkeypatch.setattr(observations_io, "_write_xlsx", broken)
    with pytest.raises(OSError):
        export_observations(out, store)
    assert out.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir() if "export" in p.name) == ["export.xlsx"]


def test_template_from_catalogue(store, tmp_path):
    path = write_template("teststadt", tmp_path / "vorlage.xlsx")
    frame = fastexcel.read_excel(path).load_sheet("Messwerte").to_polars()
    indicators = catalogue.indicators_frame(catalogue.load_catalogue("teststadt"))
    assert frame.columns[:8] == TEMPLATE_COLUMNS
    assert frame["Indikator-ID"].to_list() == indicators["indicator_id"].to_list()
    assert set(frame["Träger"].to_list()) == {"teststadt"}
    assert frame["Indikator"].to_list() == indicators["indicator"].to_list()
    assert "Hinweise" in fastexcel.read_excel(path).sheet_names

    with pytest.raises(DataValidationError, match="keine Messwerte"):
        import_observations(path, store)  # untouched template: nothing to import

    # Filling in one row of the CSV template imports exactly that row.
    csv_path = write_template("teststadt", tmp_path / "vorlage.csv")
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(";")
    assert cells[1] == "anzahl-kurse"
    cells[2], cells[3] = "31.12.2025", "8"
    lines[1] = ";".join(cells)
    result = import_observations(write_csv(tmp_path / "ausgefuellt.csv", lines), store, user="u")
    assert (result.rows, result.skipped_empty) == (1, len(indicators) - 1)
    assert store.current()["value"].to_list() == [8.0]


def test_shipped_templates_match_the_sachsenheim_catalogue(monkeypatch):
    monkeypatch.delenv("WORKBENCH_CATALOGUE_DIR")
    templates = PROJECT / "data" / "templates"
    csv_text = (templates / "messwerte_vorlage.csv").read_bytes()
    assert csv_text.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for umlauts
    frame = pl.read_csv(csv_text, separator=";", infer_schema=False)
    xlsx = fastexcel.read_excel(templates / "messwerte_vorlage.xlsx").load_sheet(
        "Messwerte", dtypes="string").to_polars()
    ids = catalogue.indicators_frame(catalogue.load_catalogue("sachsenheim"))["indicator_id"]
    for shipped in (frame, xlsx):
        assert shipped.columns[:8] == TEMPLATE_COLUMNS
        assert shipped["Indikator-ID"].to_list() == ids.to_list()
