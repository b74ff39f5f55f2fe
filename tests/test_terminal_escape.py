"""Values from files never reach the terminal raw: ANSI/ESC, C0/C1 and bidi controls are
shown as visible escapes in every CLI echo."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.exceptions import escape_control, escape_lines

CATALOGUES = Path(__file__).parent / "handlungsfelder" / "data" / "store_catalogues"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x00")


def _clean(text: str) -> bool:
    return not any(ch in text for ch in RAW)


def test_escape_control():
    assert escape_control("Möglingen – 12,5 %") == "Möglingen – 12,5 %"
    assert escape_control("a\x1b[31mb") == "a\\x1b[31mb"
    assert escape_control("x\x07\x00\x7f\x9b") == "x\\x07\\x00\\x7f\\x9b"
    assert escape_control("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert escape_control("abc\u202edef") == "abc\\u202edef"
    assert escape_lines("Zeile 1\n\x1b]0;Titel\x07") == "Zeile 1\n\\x1b]0;Titel\\x07"


@pytest.fixture
def catalogue_dir(monkeypatch):
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(CATALOGUES))


def test_import_problems_and_file_name_are_escaped(tmp_path, catalogue_dir):
    bad = tmp_path / "mess\x1b[31mwerte.csv"
    bad.write_text(
        "Träger;Indikator-ID;Stichtag;Wert;Notiz\n"
        "\x1b[31m\x07teststadt;anzahl-kurse;31.12.2025;\x1b[2J3;\n",
        encoding="utf-8")
    result = CliRunner().invoke(main, ["import-observations", str(bad),
                                       "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1
    assert _clean(result.output), repr(result.output)
    assert "mess\\x1b[31mwerte.csv" in result.output
    assert "\\x1b[31m\\x07teststadt" in result.output


def test_ignored_column_names_are_escaped(tmp_path, catalogue_dir):
    good = tmp_path / "ok.csv"
    good.write_text(
        "Träger;Indikator-ID;Stichtag;Wert;\x1b[31mRot\u202e\n"
        "teststadt;anzahl-kurse;31.12.2025;3;x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import-observations", str(good),
                                       "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 0, result.output
    assert _clean(result.output), repr(result.output)
    assert "Spalten ignoriert: \\x1b[31mRot\\u202e" in result.output


@pytest.mark.parametrize("bad", ["./sachsenheim", "../x", "/etc/passwd", "sach\x00senheim",
                                 "Sachsenheim", "\x1b[2Jsachsenheim"])
def test_hostile_traeger_ids_refused_by_export(tmp_path, bad):
    for option in ("--template", "--traeger"):
        result = CliRunner().invoke(main, ["export-observations", option, bad, "--out",
                                           str(tmp_path / "v.xlsx"),
                                           "--db", str(tmp_path / "s.sqlite")])
        assert result.exit_code == 1
        assert "Ungültige Träger-Kennung" in result.output
        assert _clean(result.output), repr(result.output)
        assert "traeger:" not in result.output  # no YAML content quoted
        assert not (tmp_path / "v.xlsx").exists()


def test_catalogue_loader_refuses_paths_without_quoting_files(tmp_path):
    from workbench import catalogue
    from workbench.ids import InvalidIdError

    secret = tmp_path / "geheim.yaml"
    secret.write_text("passwort: streng-geheim\n", encoding="utf-8")
    for bad in ("./sachsenheim", f"../{tmp_path.name}/geheim", str(secret.with_suffix("")),
                "sachsenheim\x00", "a" * 65, ""):
        with pytest.raises(InvalidIdError) as info:
            catalogue.load_catalogue(bad)
        assert "streng-geheim" not in str(info.value)
        assert _clean(str(info.value))
    assert "sachsenheim" in catalogue.list_traeger()


def test_new_catalogue_error_is_escaped(tmp_path):
    result = CliRunner().invoke(main, ["new-catalogue", "\x1b[2JNirgendwo",
                                       "--ziel", str(tmp_path / "x.yaml")])
    assert result.exit_code == 1
    assert _clean(result.output) and "\\x1b[2JNirgendwo" in result.output
