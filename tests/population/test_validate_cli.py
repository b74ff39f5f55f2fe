"""``workbench validate`` through click's CliRunner and once as a real subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from workbench.cli import main
from workbench.commands.validate import DATA_SUFFIXES

DATA = Path(__file__).resolve().parents[2] / "data"
RAW = DATA / "raw"
HEADER = "AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle"


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_shipped_raw_data_passes():
    result = run(RAW)
    assert result.exit_code == 0, result.output
    files = [
        p
        for p in RAW.rglob("*")
        if p.is_file()
        and not p.name.endswith(".provenance.json")
        and p.suffix.lower() in DATA_SUFFIXES  # LICENSE/README beside the data are not data
    ]
    ok_lines = [ln for ln in result.output.splitlines() if ln.startswith("OK")]
    assert len(ok_lines) == len(files)
    assert any("1000A-0000_de_flat.csv" in ln and "10.786 Zeilen" in ln for ln in ok_lines)
    assert "alle in Ordnung" in result.output


def test_bad_file_lists_every_problem_and_exits_1(tmp_path: Path):
    bad = tmp_path / "gemeindereihe.csv"
    bad.write_text(
        "\n".join(
            [
                HEADER,
                "08118076;Sachsenheim;31.12.2023;19480;zwölf;",
                "08118003;Asperg;31.12.2023;-5;0;",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    good = tmp_path / "ok.csv"
    shutil.copyfile(RAW / "zensus2022" / "1000A-0000_de_flat_08118.csv", good)
    result = run(tmp_path)
    assert result.exit_code == 1
    out = result.output
    assert "Traceback" not in out
    assert "gemeindereihe.csv, Zeile 2, Spalte „Ausländer“: Wert „zwölf“" in out
    assert (
        "gemeindereihe.csv, Zeile 3, Spalte „Bevölkerung insgesamt“: Wert „-5“ – erwartet: "
        "nicht-negative ganze Zahl" in out
    )
    assert "OK" in out and "ok.csv" in out
    assert "2 Dateien geprüft, 1 mit Problemen." in out


def test_checksum_mismatch_is_reported(tmp_path: Path):
    name = "1000A-0000_de_flat_08118.csv"
    for n in (name, name + ".provenance.json"):
        shutil.copyfile(RAW / "zensus2022" / n, tmp_path / n)
    (tmp_path / name).write_bytes((tmp_path / name).read_bytes().replace(b"18303", b"18304"))
    result = run(tmp_path / name)
    assert result.exit_code == 1
    assert "verändert" in result.output
    # provenance files are skipped in directories unless asked for
    assert "1 Datei geprüft" in run(tmp_path).output
    with_prov = run("--provenance", tmp_path)
    assert "2 Dateien geprüft" in with_prov.output
    assert "Herkunftsnachweis (provenance.json)" in with_prov.output


def test_unexpected_exception_becomes_a_problem(tmp_path: Path, monkeypatch):
    from workbench import loaders

    def boom(path):
        raise RuntimeError("kaputt")

    monkeypatch.setitem(loaders.LOADERS, "zensus_flat", boom)
    path = tmp_path / "z.csv"
    shutil.copyfile(RAW / "zensus2022" / "1000A-0000_de_flat_08118.csv", path)
    result = run(path)
    assert result.exit_code == 1
    assert "RuntimeError: kaputt" in result.output
    assert "Traceback" not in result.output


def test_missing_path_and_empty_file(tmp_path: Path):
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"")
    result = run(empty, tmp_path / "gibt_es_nicht.csv")
    assert result.exit_code == 1
    assert "leer.csv: Datei ist leer" in result.output
    assert "existiert nicht" in result.output


def test_real_subprocess(tmp_path: Path):
    bad = tmp_path / "reihe.csv"
    bad.write_text(HEADER + "\n08118076;Sachsenheim;31.12.2023;100;200;\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "validate", str(bad), str(RAW / "zensus2022")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "reihe.csv, Zeile 2, Spalte „Ausländer“: Wert „200“" in proc.stdout
    assert "OK" in proc.stdout and "10.786 Zeilen" in proc.stdout
    assert proc.stderr == ""


def test_user_dir_files_are_checked_as_municipal_series(tmp_path: Path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(user))
    (user / "LIESMICH.md").write_text("Notizen\n", encoding="utf-8")  # not data: skipped
    (user / "export.csv").write_text(
        "Schlüssel;Name;Datum;Einwohner\n08118076;Sachsenheim;31.12.2023;19480\n", encoding="utf-8"
    )
    result = run(user)
    assert result.exit_code == 1
    assert "LIESMICH" not in result.output
    assert "Gemeindereihe Bevölkerung nach Nationalität" in result.output
    assert (
        "Kopfzeile „AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle“" in result.output
    )
    assert "1 Datei geprüft" in result.output
