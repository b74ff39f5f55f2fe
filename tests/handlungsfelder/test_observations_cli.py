"""CLI: import-observations, export-observations (values and template), example-data."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import fastexcel
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.observation import Observation
from workbench.store import ObservationStore

CATALOGUES = Path(__file__).parent / "data" / "store_catalogues"
HEADER = "Träger;Indikator-ID;Stichtag;Wert;Notiz;Quelle;Erfasst von;Kommentar"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(CATALOGUES))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "env.sqlite"))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def csv_file(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8-sig")
    return path


def test_import_then_reimport_then_correction(env):
    path = csv_file(env / "werte.csv", "teststadt;anzahl-kurse;31.12.2025;4;;Bericht;;",
                    "teststadt;anteil-a2;31.12.2025;12,5;;Bericht;;")
    first = run("import-observations", str(path), "--user", "Frau Maier")
    assert first.exit_code == 0, first.output
    assert "2 Werte gelesen, 2 neu gespeichert" in first.stdout
    again = run("import-observations", str(path), "--user", "Frau Maier")
    assert "0 neu gespeichert" in again.stdout and "2 unverändert" in again.stdout

    csv_file(path, "teststadt;anzahl-kurse;31.12.2025;5;;Bericht;;Korrektur",
             "teststadt;anteil-a2;31.12.2025;12,5;;Bericht;;")
    third = run("import-observations", str(path), "--user", "Herr Roth")
    assert "1 neu gespeichert" in third.stdout

    store = ObservationStore(env / "env.sqlite")  # WORKBENCH_DB was used
    hist = store.history(indicator_id="anzahl-kurse")
    assert hist["version"].to_list() == [1, 2]
    assert hist["entered_by"].to_list() == ["Frau Maier", "Herr Roth"]


def test_bad_file_exits_1_with_every_problem_and_stores_nothing(env):
    db = env / "explicit.sqlite"
    path = csv_file(env / "fehler.csv", "teststadt;anzahl-kurse;31.12.2025;-1;;;;",
                    "teststadt;gibtsnicht;31.12.2025;1;;;;",
                    "teststadt;anteil-a2;31.12.2025;12,5;;;;")
    result = run("import-observations", str(path), "--db", str(db))
    assert result.exit_code == 1
    assert "nichts gespeichert" in result.stderr
    assert "fehler.csv, Zeile 2, Spalte „Wert“: Wert „-1“" in result.stderr
    assert "fehler.csv, Zeile 3, Spalte „Indikator-ID“: Wert „gibtsnicht“" in result.stderr
    assert ObservationStore(db).count() == 0


def test_real_process_no_traceback(env):
    """The installed entry point, as a user runs it: German message, exit 1, no traceback."""
    script = Path(sys.executable).parent / "workbench"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "workbench.cli"]
    bad = csv_file(env / "kaputt.csv", "teststadt;anzahl-kurse;2025-12-31;zwei;;;;")
    for target, expected in ((env / "gibtsnicht.xlsx", "Datei existiert nicht"),
                             (bad, "kaputt.csv, Zeile 2, Spalte „Wert“: Wert „zwei“")):
        proc = subprocess.run([*command, "import-observations", str(target)],
                              capture_output=True, text=True, timeout=60, env=os.environ.copy())
        assert proc.returncode == 1
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
    assert ObservationStore().count() == 0


def test_export_xlsx_and_csv(env):
    store = ObservationStore()
    store.record(Observation("teststadt", "anzahl-kurse", dt.date(2025, 12, 31), 4, entered_by="a",
                             source="Bericht"))
    store.record(Observation("teststadt", "anzahl-kurse", dt.date(2025, 12, 31), 5, entered_by="a",
                             source="Bericht", comment="Korrektur"))
    xlsx = run("export-observations", "--out", str(env / "out.xlsx"))
    assert xlsx.exit_code == 0, xlsx.output
    assert "1 aktuelle Werte exportiert" in xlsx.stdout
    sheets = fastexcel.read_excel(env / "out.xlsx")
    assert sheets.load_sheet("Verlauf", header_row=3).to_polars().height == 2

    hist = run("export-observations", "--format", "csv", "--history", "--traeger", "teststadt",
               "--out", str(env / "verlauf.csv"))
    assert hist.exit_code == 0, hist.output
    lines = (env / "verlauf.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[3] for line in lines[1:]] == ["4", "5"]

    wrong = run("export-observations", "--format", "csv", "--out", str(env / "x.xlsx"))
    assert wrong.exit_code == 1 and "passt nicht" in wrong.stderr


def test_export_template(env):
    result = run("export-observations", "--template", "teststadt", "--out",
                 str(env / "vorlage.xlsx"))
    assert result.exit_code == 0, result.output
    assert "4 Indikatoren" in result.stdout
    frame = fastexcel.read_excel(env / "vorlage.xlsx").load_sheet("Messwerte").to_polars()
    assert frame["Indikator-ID"].to_list() == ["anzahl-kurse", "anteil-a2", "konzept-liegt-vor",
                                               "erfahrungen"]
    unknown = run("export-observations", "--template", "nirgendwo", "--out",
                  str(env / "v.xlsx"))
    assert unknown.exit_code == 1 and "Kein Maßnahmenkatalog für „nirgendwo“" in unknown.stderr


def test_example_data(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_CATALOGUE_DIR", raising=False)  # shipped catalogues
    db = tmp_path / "beispiel.sqlite"
    first = run("example-data", "--as-of", "31.12.2025", "--db", str(db))
    assert first.exit_code == 0, first.output
    n = ObservationStore(db).count()
    assert n > 0 and f"{n} Beispielwerte neu gespeichert" in first.stdout.replace(".", "")
    current = ObservationStore(db).current()
    assert current["is_example"].all()
    assert current["period"].max() <= dt.date(2025, 12, 31)
    again = run("example-data", "--as-of", "31.12.2025", "--db", str(db))
    assert "0 Beispielwerte neu gespeichert" in again.stdout
    assert ObservationStore(db).count() == n
    bad = run("example-data", "--as-of", "2025-13-01", "--db", str(db))
    assert bad.exit_code == 1 and "--as-of" in bad.stderr
