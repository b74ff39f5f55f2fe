"""Regionaldatenbank loader on the 23 shipped tables and on damaged copies of them.

Expected numbers come from data/SOURCES.md (Zensus 2011 by municipality), not from loader output.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.exceptions import DataValidationError
from workbench.loaders import LOADERS
from workbench.loaders.detect import detect_format
from workbench.loaders.regionaldatenbank import (
    SCHEMA,
    ZENSUS_SCHEMA,
    ZENSUS_TOLERANCE,
    available_tables,
    find_table,
    load_regionaldatenbank,
    load_zensus2011_gemeinden,
    table_code,
)

DATA = Path(__file__).resolve().parents[2] / "data"
RDB = DATA / "raw" / "regionaldatenbank_2018"
TABLES = sorted(p.name for p in RDB.glob("*.csv"))
ZENSUS = RDB / "12111-01-01-5_00.csv"


@pytest.fixture(scope="module")
def zensus() -> pl.DataFrame:
    return load_zensus2011_gemeinden(ZENSUS)


def test_all_23_tables_ship():
    assert len(TABLES) == 23


@pytest.mark.parametrize("name", TABLES)
def test_every_table_parses(name):
    path = RDB / name
    df = load_regionaldatenbank(path)
    assert dict(df.schema) == SCHEMA
    assert df.height > 1000
    assert df["table"].n_unique() == 1
    assert df["table"][0] == table_code(path) == name.split("_")[0].removesuffix(".csv")
    assert df["title"][0] and "regionale Tiefe" not in df["title"][0]
    assert df["year"].null_count() == 0
    assert df["variable"].null_count() == 0 and (df["variable"] != "").all()
    assert set(df["marker"].drop_nulls().unique()) <= {"-", ".", "x", "/", "..."}
    # "-" is "nichts vorhanden" = 0, every other marker leaves the value empty.
    assert (df.filter(pl.col("marker") == "-")["value"] == 0).all()
    assert df.filter(pl.col("marker").is_in([".", "x", "/", "..."]))["value"].null_count() == (
        df.filter(pl.col("marker").is_in([".", "x", "/", "..."])).height
    )
    assert df.filter(pl.col("marker").is_null())["value"].null_count() == 0
    assert df.filter(pl.col("ags") == "DG")["level"].unique().to_list() == ["Deutschland"]
    assert set(df["level"].unique()) <= {
        "Deutschland",
        "Land",
        "Regierungsbezirk",
        "Kreis",
        "Gemeindeverband",
        "Gemeinde",
    }
    assert df["level"].null_count() == 0
    kreis = df.filter(pl.col("ags") == "08118")
    assert kreis.height > 0
    assert kreis["name"][0].startswith("Ludwigsburg")  # indentation stripped
    assert detect_format(path) in {"regionaldatenbank", "regionaldatenbank_zensus2011"}


def test_shapes_of_time_and_units():
    naturalisations = load_regionaldatenbank(RDB / "12511-01-01-4.csv")  # ISO-8859-1
    assert naturalisations["year"].unique().sort().to_list() == list(range(2011, 2017))
    assert naturalisations["reference_date"].null_count() == naturalisations.height
    assert "Staatenlos, unbekannt, ungeklärt, ohne Angabe" in naturalisations["variable"]
    employees = load_regionaldatenbank(RDB / "13111-02-02-5_00.csv")  # date above the header
    assert employees["reference_date"].unique().to_list() == [dt.date(2015, 6, 30)]
    assert employees["unit"].unique().to_list() == ["Anzahl"]  # from "(Anzahl)" in the title
    unemployed = load_regionaldatenbank(RDB / "13211-01-03-5_00.csv")  # "Jahr: 2016"
    assert unemployed["year"].unique().to_list() == [2016]
    quotas = load_regionaldatenbank(RDB / "13211-02-05-4_00.csv")  # Anzahl and Prozent
    row = quotas.filter(
        (pl.col("ags") == "08118")
        & (pl.col("year") == 2016)
        & (pl.col("variable") == "Arbeitslosenquote bez. auf alle zivile Erwerbsp. | Ausländer")
    )
    assert row["unit"].to_list() == ["Prozent"] and row["value"][0] > 0
    ages = load_regionaldatenbank(RDB / "12411-03-03-4_00.csv")  # date + age group in rows
    lb = ages.filter(
        (pl.col("ags") == "08118")
        & (pl.col("variable") == "Ausländer(innen) | Insgesamt | Insgesamt")
    )
    assert lb["value"].to_list() == [87_136.0]
    assert lb["reference_date"].to_list() == [dt.date(2015, 12, 31)]
    atlas = load_regionaldatenbank(RDB / "AI002-1_00.csv")
    share = atlas.filter(
        (pl.col("ags") == "08118")
        & (pl.col("variable") == "Anteil Ausländer an der Gesamtbevölkerung")
        & (pl.col("year") == 2011)
    )
    assert share["value"].to_list() == [13.8] and share["unit"].to_list() == ["Prozent"]


def test_levels_by_key_structure():
    df = load_regionaldatenbank(ZENSUS).filter(pl.col("variable") == "Insgesamt | Insgesamt")
    level = dict(df.select("ags", "level").iter_rows())
    assert level["DG"] == "Deutschland"
    assert level["08"] == "Land"
    assert level["081"] == "Regierungsbezirk"
    assert level["08118"] == "Kreis"
    assert level["08118076"] == "Gemeinde"
    assert level["03151401"] == "Gemeindeverband"  # Samtgemeinde Boldecker Land
    assert level["03151401002"] == "Gemeinde"
    assert level["0713101"] == "Gemeindeverband"  # Verbandsgemeinde Adenau
    assert level["0713101001"] == "Gemeinde"


def test_variable_rule_drops_constant_header_lines():
    df = load_regionaldatenbank(ZENSUS)
    assert df["variable"].unique(maintain_order=True).to_list() == [
        "Insgesamt | Insgesamt",
        "Insgesamt | männlich",
        "Insgesamt | weiblich",
        "Deutsche | Insgesamt",
        "Deutsche | männlich",
        "Deutsche | weiblich",
        "Ausländer(innen) | Insgesamt",
        "Ausländer(innen) | männlich",
        "Ausländer(innen) | weiblich",
    ]
    assert df["unit"].unique().to_list() == ["Anzahl"]


# ---------------------------------------------------------------- Zensus 2011 golden values


def test_zensus2011_golden_values(zensus):
    assert dict(zensus.schema) == ZENSUS_SCHEMA
    rows = {r["ags"]: r for r in zensus.iter_rows(named=True)}
    assert (rows["08118"]["foreigners"], rows["08118"]["population"]) == (69_623, 509_871)
    assert (rows["08118076"]["foreigners"], rows["08118076"]["population"]) == (2_024, 17_178)
    freudental = zensus.filter(pl.col("name") == "Freudental")
    assert freudental.select("ags", "foreigners", "population").rows() == [("08118016", 166, 2_359)]
    assert zensus["reference_date"].unique().to_list() == [dt.date(2011, 5, 9)]


def test_zensus2011_kreis_08118_is_sum_of_its_39_municipalities(zensus):
    gem = zensus.filter((pl.col("level") == "Gemeinde") & pl.col("ags").str.starts_with("08118"))
    assert gem.height == 39
    kreis = zensus.filter(pl.col("ags") == "08118")
    for column in ZENSUS_SCHEMA:
        if ZENSUS_SCHEMA[column] == pl.Int64():
            assert gem[column].sum() == kreis[column][0], column


def test_zensus2011_every_bw_kreis_equals_sum_of_its_municipalities(zensus):
    bw = zensus.filter(pl.col("ags").str.starts_with("08"))
    kreise = bw.filter(pl.col("level") == "Kreis")
    sums = (
        bw.filter(pl.col("level") == "Gemeinde")
        .group_by(pl.col("ags").str.slice(0, 5).alias("kreis"))
        .agg(pl.col("population", "german", "foreigners").sum(), pl.len().alias("n"))
    )
    joined = kreise.join(sums, left_on="ags", right_on="kreis", suffix="_sum")
    assert kreise.height == 44
    # The 9 Stadtkreise have no municipality rows (they are one municipality each).
    assert joined.height == 35
    for column in ("population", "german", "foreigners"):
        assert (joined[column] == joined[f"{column}_sum"]).all(), column


def test_zensus2011_parts_within_disclosure_tolerance(zensus):
    gap = (zensus["german"] + zensus["foreigners"] - zensus["population"]).abs()
    assert gap.max() <= ZENSUS_TOLERANCE == 10  # documented tolerance
    assert gap.max() > 0  # the published table really is perturbed


def test_zensus2011_kreis_table():
    kreise = load_zensus2011_gemeinden(RDB / "12111-01-01-4_00.csv")
    row = kreise.filter(pl.col("ags") == "08118")
    assert row.select("foreigners", "population").rows() == [(69_623, 509_871)]


def test_zensus_loader_refuses_other_tables():
    with pytest.raises(DataValidationError) as info:
        load_zensus2011_gemeinden(RDB / "13211-01-03-5_00.csv")
    p = info.value.problems[0]
    assert (p.file, p.row) == ("13211-01-03-5_00.csv", 1)
    assert "12111-01-01-5" in p.expected


# ---------------------------------------------------------------- damaged files


def _lines(name: str = "12111-01-01-5_00.csv") -> list[str]:
    return (RDB / name).read_text(encoding="utf-8").split("\n")


def _write(tmp_path: Path, lines: list[str], name: str = "12111-01-01-5_00.csv", **kw) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding=kw.get("encoding", "utf-8"))
    return path


def _problems(path: Path, loader=load_regionaldatenbank):
    with pytest.raises(DataValidationError) as info:
        loader(path)
    assert "Traceback" not in str(info.value)
    return info.value.problems


def test_truncated_header(tmp_path):
    lines = _lines()
    lines[8] = ";;Insgesamt;männlich;weiblich;Insgesamt"  # line 9 cut after 6 fields
    problems = _problems(_write(tmp_path, lines))
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.row, p.column) == ("12111-01-01-5_00.csv", 9, "Spalte 7")
    assert "Kopfzeile mit 11 Feldern" in p.expected and "abgeschnitten" in p.expected


def test_file_cut_inside_the_header(tmp_path):
    problems = _problems(_write(tmp_path, _lines()[:8]))
    assert [(p.row, p.column) for p in problems] == [(8, None), (9, None)]
    assert "Fußzeile" in problems[0].expected
    assert "Datenzeilen" in problems[1].expected and "abgeschnitten" in problems[1].expected


def test_missing_footer_and_cut_last_row(tmp_path):
    lines = _lines()
    footer = next(i for i, ln in enumerate(lines) if ln.startswith("__________"))
    lines = lines[:footer]
    lines[-1] = lines[-1][:-9]  # the last data row loses its last fields
    path = _write(tmp_path, lines)
    problems = _problems(path)
    assert [p.row for p in problems] == [footer, footer]
    assert "Fußzeile ab „__________“" in problems[0].expected
    assert problems[0].column is None
    cut = problems[1]
    assert cut.column == "Ausländer(innen) | Insgesamt"  # first missing column
    assert "11 Felder" in cut.expected and "abgeschnitten" in cut.expected


def test_non_numeric_cell(tmp_path):
    lines = _lines()
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118076;"))
    cells = lines[idx].split(";")
    cells[8] = "zwei tausend"
    cells[2] = "17.178"
    lines[idx] = ";".join(cells)
    problems = _problems(_write(tmp_path, lines))
    assert [(p.row, p.column, p.value) for p in problems] == [
        (idx + 1, "Insgesamt | Insgesamt", "17.178"),
        (idx + 1, "Ausländer(innen) | Insgesamt", "zwei tausend"),
    ]
    assert problems[1].expected.startswith("Zahl (Dezimalkomma, z. B. 13,7) oder Kennzeichen")
    assert "Dezimalpunkt statt Komma" in problems[0].expected
    assert problems[0].file == "12111-01-01-5_00.csv"
    assert "Zeile" in str(problems[0]) and "Spalte „Insgesamt | Insgesamt“" in str(problems[0])


def test_wrong_key(tmp_path):
    lines = _lines()
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118076;"))
    lines[idx] = "8118076" + lines[idx][8:]  # leading zero lost (Excel)
    problems = _problems(_write(tmp_path, lines))
    assert len(problems) == 1
    p = problems[0]
    assert (p.row, p.column, p.value) == (idx + 1, "Regionalschlüssel", "8118076")
    assert "führender Null" in p.expected


def test_mixed_encoding(tmp_path):
    lines = _lines()
    idx = next(i for i, ln in enumerate(lines) if "ü" in ln and ln.startswith("08118"))
    path = tmp_path / "12111-01-01-5_00.csv"
    raw = [ln.encode("utf-8") for ln in lines]
    raw[idx] = lines[idx].encode("latin-1")  # one line re-saved as Latin-1
    path.write_bytes(b"\n".join(raw))
    problems = _problems(path)
    assert len(problems) == 1
    p = problems[0]
    assert (p.row, p.column) == (idx + 1, None)
    assert "UTF-8" in p.expected and "ISO-8859-1" in p.expected and "gemischte" in p.expected


def test_utf16_and_double_encoded(tmp_path):
    path = tmp_path / "12111-01-01-5_00.csv"
    path.write_bytes("\n".join(_lines()[:30]).encode("utf-16"))
    p = _problems(path)[0]
    assert (p.row, p.value) == (1, "UTF-16") and "UTF-8 oder ISO-8859-1" in p.expected
    latin = (RDB / "12511-01-01-4.csv").read_bytes().decode("latin-1")
    double = tmp_path / "12511-01-01-4.csv"
    double.write_bytes(latin.encode("utf-8").decode("latin-1").encode("utf-8"))
    p = _problems(double)[0]
    assert p.row == 2 and "doppelt kodiert" in p.expected and "UTF-8" in p.expected


def test_latin1_and_bom_variants_read_the_same(tmp_path):
    original = load_regionaldatenbank(RDB / "12511-01-01-4.csv")
    text = (RDB / "12511-01-01-4.csv").read_bytes().decode("latin-1")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_regionaldatenbank(bom).equals(original)
    cp = tmp_path / "cp.csv"
    cp.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    assert load_regionaldatenbank(cp).equals(original)


def test_empty_file_and_other_format(tmp_path):
    empty = tmp_path / "12111-01-01-5_00.csv"
    empty.write_bytes(b"")
    p = _problems(empty)[0]
    assert (p.file, p.row, p.column) == ("12111-01-01-5_00.csv", None, None)
    assert p.expected == "Datei ist leer"
    other = tmp_path / "anderes.csv"
    shutil.copyfile(DATA / "raw" / "zensus2022" / "1000A-0000_de_flat_08118.csv", other)
    p = _problems(other)[0]
    assert (p.file, p.row, p.column) == ("anderes.csv", 1, None)
    assert "GENESIS-Tabelle: <Tabellencode>" in p.expected and "UTF-8" in p.expected


def test_missing_file(tmp_path):
    p = _problems(tmp_path / "fehlt.csv")[0]
    assert "nicht gefunden" in p.expected


def test_duplicate_key(tmp_path):
    lines = _lines("12111-01-01-4_00.csv")
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118;"))
    lines.insert(idx + 1, lines[idx])
    problems = _problems(_write(tmp_path, lines, "12111-01-01-4_00.csv"))
    assert {(p.row, p.column, p.value) for p in problems} == {
        (idx + 2, "Regionalschlüssel", "08118")
    }
    assert f"schon in Zeile {idx + 1}" in problems[0].expected


def test_zensus_tolerance_violation(tmp_path):
    lines = _lines("12111-01-01-4_00.csv")
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118;"))
    cells = lines[idx].split(";")
    cells[8] = str(int(cells[8]) + 500)  # foreigners +500: Deutsche + Ausländer ≠ Insgesamt
    lines[idx] = ";".join(cells)
    problems = _problems(_write(tmp_path, lines, "12111-01-01-4_00.csv"), load_zensus2011_gemeinden)
    assert [(p.row, p.column) for p in problems] == [(idx + 1, "Insgesamt | Insgesamt")]
    assert "höchstens 10 Personen" in problems[0].expected


# ---------------------------------------------------------------- find_table


def _data_dir(tmp_path: Path) -> Path:
    shipped = tmp_path / "data" / "raw" / "regionaldatenbank_2018"
    shipped.mkdir(parents=True)
    for name in ("12511-01-01-4.csv", "13211-01-03-5_00.csv"):
        shutil.copyfile(RDB / name, shipped / name)
    (tmp_path / "data" / "user").mkdir()
    return tmp_path / "data"


def test_find_table_prefers_newer_user_export(tmp_path):
    data = _data_dir(tmp_path)
    shipped = data / "raw" / "regionaldatenbank_2018" / "13211-01-03-5_00.csv"
    assert find_table("13211-01-03-5", data) == shipped
    text = shipped.read_text(encoding="utf-8").replace("Jahr: 2016", "Jahr: 2024")
    newer = data / "user" / "13211-01-03-5_2024.csv"
    newer.write_text(text, encoding="utf-8")
    older = data / "user" / "13211-01-03-5_2010.csv"
    older.write_text(text.replace("Jahr: 2024", "Jahr: 2010"), encoding="utf-8")
    os.utime(older, (newer.stat().st_mtime + 100, newer.stat().st_mtime + 100))
    assert find_table("13211-01-03-5", data) == newer  # latest year wins over mtime
    df = load_regionaldatenbank(find_table("13211-01-03-5", data))
    assert df["year"].unique().to_list() == [2024]
    tables = available_tables(data)
    assert tables == {
        "12511-01-01-4": data / "raw" / "regionaldatenbank_2018" / "12511-01-01-4.csv",
        "13211-01-03-5": newer,
    }


def test_find_table_sees_a_user_export_rewritten_in_place(tmp_path):
    """The scan of a file's latest year is cached on the file's stats: rewriting the older
    export with newer content (same name) makes it the winner at once."""
    data = _data_dir(tmp_path)
    shipped = data / "raw" / "regionaldatenbank_2018" / "13211-01-03-5_00.csv"
    text = shipped.read_text(encoding="utf-8")
    a = data / "user" / "a.csv"
    b = data / "user" / "b.csv"
    a.write_text(text.replace("Jahr: 2016", "Jahr: 2020"), encoding="utf-8")
    b.write_text(text.replace("Jahr: 2016", "Jahr: 2022"), encoding="utf-8")
    os.utime(a, (b.stat().st_mtime + 100, b.stat().st_mtime + 100))
    assert find_table("13211-01-03-5", data) == b
    a.write_text(text.replace("Jahr: 2016", "Jahr: 2024") + "\n", encoding="utf-8")
    assert find_table("13211-01-03-5", data) == a


def test_find_table_same_content_newest_mtime_and_env(tmp_path, monkeypatch):
    data = _data_dir(tmp_path)
    user = tmp_path / "eigene"
    user.mkdir()
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(data))
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(user))
    a = user / "a.csv"
    b = user / "b.csv"
    for p in (a, b):
        shutil.copyfile(RDB / "12511-01-01-4.csv", p)
    os.utime(a, (1_700_000_000, 1_700_000_000))
    assert find_table("12511-01-01-4") == b
    with pytest.raises(FileNotFoundError, match="Keine Regionaldatenbank-Tabelle 99999-01-01-4"):
        find_table("99999-01-01-4")


def test_table_code_reads_first_line(tmp_path):
    assert table_code(RDB / "12511-01-01-4.csv") == "12511-01-01-4"
    other = tmp_path / "x.csv"
    other.write_text("a;b\n", encoding="utf-8")
    assert table_code(other) is None
    assert table_code(tmp_path / "fehlt.csv") is None


# ---------------------------------------------------------------- CLI


def test_validate_cli_on_every_table(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(tmp_path / "user"))
    result = CliRunner().invoke(main, ["validate", str(RDB)])
    assert result.exit_code == 0, result.output
    ok = [ln for ln in result.output.splitlines() if ln.startswith("OK")]
    assert len(ok) == 23
    assert any("12111-01-01-5_00.csv" in ln and "Zensus 2011" in ln for ln in ok)


def test_loaders_registry():
    assert LOADERS["regionaldatenbank"].__name__ == "load_regionaldatenbank"
    assert LOADERS["regionaldatenbank_zensus2011"].__name__ == "load_zensus2011_gemeinden"
    # The legacy 12411 files keep their own loaders.
    legacy = DATA / "raw" / "regionalstatistik"
    assert detect_format(legacy / "12411-03-03-4_31122011_kreise.csv") == (
        "regionalstatistik_12411_03_03_4"
    )
    assert detect_format(legacy / "12411-0015_kreise_2009-2016.csv") == (
        "regionalstatistik_12411_0015"
    )
    assert detect_format(RDB / "12411-03-03-4_00.csv") == "regionaldatenbank"
    assert detect_format(ZENSUS) == "regionaldatenbank_zensus2011"
