"""Every check of the validation layer, on small files crafted in tmp_path from the real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from workbench.exceptions import DataValidationError, Problem, format_problems
from workbench.loaders.detect import detect_format
from workbench.loaders.gerda import load_gerda_census
from workbench.loaders.gv_isys import load_gv_isys, read_gv_sheet
from workbench.loaders.municipal_series import load_municipal_series
from workbench.loaders.regionalatlas import load_regionalatlas_arcgis, load_regionalatlas_timeseries
from workbench.loaders.regionalstatistik import load_12411_0015, load_12411_03_03_4
from workbench.loaders.zensus import load_zensus_flat
from workbench.validation import validate_path

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
ZENSUS_08118 = RAW / "zensus2022" / "1000A-0000_de_flat_08118.csv"
ZENSUS_ALL = RAW / "zensus2022" / "1000A-0000_de_flat.csv"
R03 = RAW / "regionalstatistik" / "12411-03-03-4_31122011_kreise.csv"
R15 = RAW / "regionalstatistik" / "12411-0015_kreise_2009-2016.csv"
GERDA_08118 = RAW / "gerda" / "gerda_census_2022_municipalities_08118.csv"
TS = RAW / "regionalatlas" / "ai0208_timeseries_states_bw-kreise.json"
ARCGIS = RAW / "regionalatlas" / "states_2023_ai0208_arcgis.json"
GV2023 = RAW / "destatis_gv_auszug" / "31122023_Auszug_GV.xlsx"
HEADER = "AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle"


def problems_of(loader, path, **kw) -> list[Problem]:
    with pytest.raises(DataValidationError) as info:
        loader(path, **kw)
    assert info.value.problems, "DataValidationError without problems"
    return info.value.problems


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def muni(tmp_path: Path, *rows: str, name: str = "reihe.csv") -> Path:
    return write(tmp_path, name, "\n".join([HEADER, *rows]) + "\n")


# ---------------------------------------------------------------- Problem / error


def test_problem_str_is_german_with_file_row_column_value_expected():
    p = Problem(
        "31122023_Auszug_GV.xlsx", 57, "Bevölkerung insgesamt", "-12", "nicht-negative ganze Zahl"
    )
    assert str(p) == (
        "31122023_Auszug_GV.xlsx, Zeile 57, Spalte „Bevölkerung insgesamt“: "
        "Wert „-12“ – erwartet: nicht-negative ganze Zahl"
    )
    assert str(Problem("a.csv", None, None, None, "Datei ist leer")) == "a.csv: Datei ist leer"


def test_error_lists_problems_and_caps_display():
    problems = [Problem("a.csv", i, "x", str(i), "Zahl") for i in range(1, 41)]
    err = DataValidationError(problems)
    assert len(err.problems) == 40
    text = str(err)
    assert text.startswith("40 Probleme in den Eingabedaten gefunden:")
    assert "Zeile 25," in text and "Zeile 26," not in text
    assert "… und 15 weitere Probleme" in text
    assert len(format_problems(problems, limit=5)) == 6


# ---------------------------------------------------------------- encoding


def test_latin1_file_where_utf8_expected_reports_each_line(tmp_path):
    text = ZENSUS_08118.read_bytes().decode("utf-8-sig")
    path = write(tmp_path, "zensus_latin1.csv", text, "latin-1")
    problems = problems_of(load_zensus_flat, path)
    expected_lines = [i for i, line in enumerate(text.split("\n"), start=1) if not line.isascii()]
    enc = [p for p in problems if "UTF-8-kodierter Text" in p.expected]
    assert [p.row for p in enc] == expected_lines
    assert any("0xF6" in (p.value or "") for p in enc)  # ö of "Bevölkerung"


def test_utf8_file_where_latin1_expected(tmp_path):
    text = R15.read_bytes().decode("latin-1")
    path = write(tmp_path, "12411-0015.csv", text, "utf-8")
    problems = problems_of(load_12411_0015, path)
    first_non_ascii = next(i for i, ln in enumerate(text.split("\n"), start=1) if not ln.isascii())
    assert problems[0].row == first_non_ascii
    assert "Latin-1" in problems[0].expected and "UTF-8" in problems[0].expected


# ---------------------------------------------------------------- separator, columns, empty


def test_wrong_separator_comma(tmp_path):
    text = ZENSUS_08118.read_text(encoding="utf-8-sig").replace(";", ",")
    problems = problems_of(load_zensus_flat, write(tmp_path, "z.csv", text))
    assert problems[0].row == 1 and "Semikolon" in problems[0].expected
    assert "Komma" in problems[0].expected
    m = problems_of(
        load_municipal_series, write(tmp_path, "m.csv", HEADER.replace(";", ",") + "\n")
    )
    assert "Semikolon" in m[0].expected


def test_renamed_and_missing_columns(tmp_path):
    text = ZENSUS_08118.read_text(encoding="utf-8-sig").replace(";value;", ";wert;", 1)
    problems = problems_of(load_zensus_flat, write(tmp_path, "z.csv", text))
    assert "fehlt: value" in problems[0].expected and "unbekannt: wert" in problems[0].expected

    lines = GERDA_08118.read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("share_foreign_census22", "share_foreigners")
    problems = problems_of(
        load_gerda_census, write(tmp_path, "g.csv", "\n".join([header, *lines[1:]]))
    )
    assert [p.column for p in problems] == ["share_foreign_census22"]

    path = write(
        tmp_path,
        "m.csv",
        "AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Quelle\n"
        "08118076;Sachsenheim;31.12.2023;19480;x\n",
    )
    assert [p.column for p in problems_of(load_municipal_series, path)] == ["Ausländer"]


@pytest.mark.parametrize(
    "loader",
    [
        load_zensus_flat,
        load_gerda_census,
        load_12411_03_03_4,
        load_municipal_series,
        load_regionalatlas_timeseries,
    ],
)
def test_empty_file(tmp_path, loader):
    path = write(tmp_path, "leer.csv", "")
    problems = problems_of(loader, path)
    assert [p.expected for p in problems] == ["Datei ist leer"]
    assert validate_path(path).problems[0].expected == "Datei ist leer"


def test_header_only(tmp_path):
    header = ZENSUS_08118.read_text(encoding="utf-8-sig").splitlines()[0]
    problems = problems_of(load_zensus_flat, write(tmp_path, "z.csv", header + "\n"))
    assert "nur die Kopfzeile" in problems[0].expected


# ---------------------------------------------------------------- truncation


def test_truncated_zensus_mid_row(tmp_path):
    raw = ZENSUS_ALL.read_bytes()
    cut = raw[: raw.index(b"\n", 50_000) + 40]  # 40 bytes into the next row
    path = tmp_path / "1000A-0000_de_flat.csv"
    path.write_bytes(cut)
    problems = problems_of(load_zensus_flat, path)
    last_line = cut.count(b"\n") + 1
    assert any(p.row == last_line and "Felder" in p.expected for p in problems)
    assert any(p.row is None and "Deutschland-Zeile" in p.expected for p in problems)


def test_truncated_genesis_without_footer(tmp_path):
    lines = R03.read_bytes().split(b"\n")
    path = tmp_path / "12411-03-03-4.csv"
    path.write_bytes(b"\n".join(lines[:500]) + b"\n")
    problems = problems_of(load_12411_03_03_4, path)
    assert any("Fußzeile" in p.expected for p in problems)


def test_truncated_json(tmp_path):
    raw = TS.read_text(encoding="utf-8")
    path = write(tmp_path, "ts.json", raw[: len(raw) // 2])
    problems = problems_of(load_regionalatlas_timeseries, path)
    assert "gültiges JSON" in problems[0].expected


def test_truncated_xlsx(tmp_path):
    path = tmp_path / "31122023_Auszug_GV.xlsx"
    path.write_bytes(GV2023.read_bytes()[:200_000])
    problems = problems_of(load_gv_isys, path)
    assert "Excel" in problems[0].expected
    result = validate_path(path)
    assert not result.ok and result.format == "gv_isys"


# ---------------------------------------------------------------- values


def test_duplicate_keys(tmp_path):
    path = muni(
        tmp_path,
        "08118076;Sachsenheim;31.12.2023;19480;3500;",
        "08118003;Asperg;31.12.2023;13700;2000;",
        "08118076;Sachsenheim;31.12.2023;19481;3501;",
    )
    problems = problems_of(load_municipal_series, path)
    assert [(p.row, p.column) for p in problems] == [(4, "AGS + Stichtag")]
    assert "schon in Zeile 2" in problems[0].expected
    assert problems[0].value == "08118076 / 31.12.2023"

    lines = ZENSUS_08118.read_text(encoding="utf-8-sig").splitlines()
    path = write(tmp_path, "z.csv", "\n".join([*lines, lines[5]]) + "\n")
    problems = problems_of(load_zensus_flat, path)
    assert [p.row for p in problems] == [len(lines) + 1]


def test_non_numeric_values_but_markers_allowed(tmp_path):
    path = muni(
        tmp_path,
        "08118076;Sachsenheim;31.12.2021;19000;-;",
        "08118076;Sachsenheim;31.12.2022;19100;.;",
        "08118076;Sachsenheim;31.12.2023;19480;x;",
        "08118003;Asperg;31.12.2023;13700;zwölf;",
    )
    problems = problems_of(load_municipal_series, path)
    assert [(p.row, p.column, p.value) for p in problems] == [(5, "Ausländer", "zwölf")]

    lines = R03.read_bytes().decode("latin-1").split("\n")
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118;") and "Insgesamt;" in ln)
    lines[idx] = lines[idx].replace(";70918;", ";7o918;")
    path = write(tmp_path, "12411-03-03-4.csv", "\n".join(lines), "latin-1")
    problems = problems_of(load_12411_03_03_4, path)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (idx + 1, "Ausländer(innen)/Insgesamt", "7o918")
    ]


def _gv_copy_with(tmp_path: Path, change) -> tuple[Path, int]:
    """A GV-ISys workbook in the real layout: first 400 rows of the 2023 file, one cell changed."""
    sheet = read_gv_sheet(GV2023).head(400)
    rows = [list(r) for r in sheet.iter_rows()]
    excel_row = change(rows)
    path = tmp_path / "31122023_Auszug_GV.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Inhalt").write_string(0, 0, "Gemeinden in Deutschland")
    data = book.add_worksheet("Onlineprodukt_Gemeinden31122023")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                data.write_string(r, c, value)
    book.close()
    return path, excel_row


def test_gv_negative_count_reports_excel_row(tmp_path):
    def negate(rows):
        i = next(i for i, r in enumerate(rows) if i >= 56 and r[0] == "60")
        rows[i][9] = "-12"
        return i + 1

    path, excel_row = _gv_copy_with(tmp_path, negate)
    problems = problems_of(load_gv_isys, path)
    assert str(problems[0]) == (
        f"31122023_Auszug_GV.xlsx, Zeile {excel_row}, Spalte „Bevölkerung insgesamt“: "
        "Wert „-12“ – erwartet: nicht-negative ganze Zahl"
    )


def test_gv_untouched_copy_loads(tmp_path):
    path, _ = _gv_copy_with(tmp_path, lambda rows: 0)
    df = load_gv_isys(path)
    assert df["reference_date"][0] == dt.date(2023, 12, 31)
    assert df.filter(pl.col("ags") == "01001000")["population"].to_list() == [92_667]


def test_foreigners_greater_than_population(tmp_path):
    path = muni(tmp_path, "08118076;Sachsenheim;31.12.2023;19480;19481;")
    problems = problems_of(load_municipal_series, path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "Ausländer", "19481")]
    assert "Bevölkerung insgesamt" in problems[0].expected


def test_negative_count_in_user_series(tmp_path):
    problems = problems_of(
        load_municipal_series, muni(tmp_path, "08118076;Sachsenheim;31.12.2023;-12;0;")
    )
    assert (problems[0].column, problems[0].value) == ("Bevölkerung insgesamt", "-12")
    assert problems[0].expected == "nicht-negative ganze Zahl"


def test_share_outside_0_100(tmp_path):
    lines = GERDA_08118.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    header = lines[0].split(",")
    cells[header.index("share_foreign_census22")] = "120.5"
    path = write(tmp_path, "g.csv", "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    problems = problems_of(load_gerda_census, path)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "share_foreign_census22", "120.5")
    ]

    data = json.loads(ARCGIS.read_text(encoding="utf-8"))
    data["features"][7]["properties"]["ai0208"] = 150
    path = write(tmp_path, "states_2023_x.json", json.dumps(data))
    problems = problems_of(load_regionalatlas_arcgis, path)
    assert problems[0].value == "150.0" and "0 und 100" in problems[0].expected


def test_malformed_and_foreign_ags(tmp_path):
    path = muni(
        tmp_path,
        "8118076;Sachsenheim;31.12.2023;19480;3500;",  # leading zero lost
        "0811807X;Sachsenheim;31.12.2023;19480;3500;",  # non-digit
        "08111000;Stuttgart;31.12.2023;600000;150000;",  # other Kreis
        "08118999;Nirgendwo;31.12.2023;100;1;",
    )  # not a municipality of 08118
    problems = problems_of(load_municipal_series, path)
    assert [(p.row, p.value) for p in problems] == [
        (2, "8118076"),
        (3, "0811807X"),
        (4, "08111000"),
        (5, "08118999"),
    ]
    assert "führender Null" in problems[0].expected
    assert "08118" in problems[2].expected
    assert "Gemeindeverzeichnis" in problems[3].expected
    # Without the Kreis restriction only the malformed keys remain.
    problems = problems_of(load_municipal_series, path, kreis=None)
    assert [p.row for p in problems] == [2, 3]


def test_reference_dates_out_of_range(tmp_path):
    future = dt.date.today().year + 1
    path = muni(
        tmp_path,
        "08118076;Sachsenheim;31.12.1949;10000;100;",
        f"08118076;Sachsenheim;31.12.{future};20000;4000;",
        "08118076;Sachsenheim;31.13.2023;20000;4000;",
    )
    problems = problems_of(load_municipal_series, path)
    assert [(p.row, p.value) for p in problems] == [
        (4, "31.13.2023"),
        (2, "31.12.1949"),
        (3, f"31.12.{future}"),
    ]


def test_all_problems_reported_not_just_first(tmp_path):
    rows = [
        f"08118076;Sachsenheim;{i % 28 + 1:02d}.01.{2000 + i // 28};-{i + 1};0;" for i in range(40)
    ]
    problems = problems_of(load_municipal_series, muni(tmp_path, *rows))
    assert len(problems) == 40
    assert [p.row for p in problems] == list(range(2, 42))


def test_short_row_in_genesis_table(tmp_path):
    lines = R15.read_bytes().decode("latin-1").split("\n")
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118;"))
    lines[idx] = lines[idx].rsplit(";", 2)[0]
    problems = problems_of(
        load_12411_0015, write(tmp_path, "12411-0015.csv", "\n".join(lines), "latin-1")
    )
    assert [p.row for p in problems] == [idx + 1]
    assert "10 Felder" in problems[0].expected and "8 Felder" in problems[0].expected


# ---------------------------------------------------------------- detection


REAL_FORMATS = {
    "destatis_gv_auszug/31122010_Auszug_GV.xls": "gv_isys",
    "destatis_gv_auszug/31122023_Auszug_GV.xlsx": "gv_isys",
    "zensus2022/1000A-0000_de_flat_08118.csv": "zensus_flat",
    "gerda/gerda_census_2022_municipalities_08118.csv": "gerda_census",
    "gerda/gerda_inkar_county_covariates_1995-2022.csv": "inkar",
    "gerda/gerda_census_2022_codebook.csv": "codebook",
    "regionalatlas/ai0208_timeseries_states_bw-kreise.json": "regionalatlas_timeseries",
    "regionalatlas/states_2023_ai0208_arcgis.json": "regionalatlas_arcgis",
    "regionalstatistik/12411-03-03-4_31122011_kreise.csv": "regionalstatistik_12411_03_03_4",
    "regionalstatistik/12411-0015_kreise_2009-2016.csv": "regionalstatistik_12411_0015",
    "geo/gemeinden_simplify200_08118.geojson": "geojson",
    "../published/published_figures.csv": "published_figures",
    "../templates/gemeinde_bevoelkerung_nationalitaet_beispiel.csv": "municipal_series",
    "../templates/gemeinde_bevoelkerung_nationalitaet_vorlage.xlsx": "municipal_series",
}


@pytest.mark.parametrize("rel", list(REAL_FORMATS))
def test_detect_format_by_content_not_name(tmp_path, rel):
    src = (RAW / rel).resolve()
    neutral = tmp_path / ("datei" + "".join(src.suffixes[-1:]))
    shutil.copyfile(src, neutral)
    assert detect_format(neutral) == REAL_FORMATS[rel]


def test_validate_path_result(tmp_path):
    ok = validate_path(ZENSUS_08118)
    assert ok.ok and ok.rows == 39 and ok.format == "zensus_flat"
    unknown = write(tmp_path, "notiz.txt", "Hallo\n")
    res = validate_path(unknown)
    assert not res.ok and res.format is None and "Format nicht erkannt" in res.problems[0].expected
    bad = muni(tmp_path, "08118076;Sachsenheim;31.12.2023;-1;0;", name="gemeindereihe.csv")
    res = validate_path(bad)
    assert res.format == "municipal_series" and len(res.problems) == 1


def test_last_row_with_commas_is_not_taken_for_a_footer(tmp_path):
    path = muni(
        tmp_path,
        "08118076;Sachsenheim;31.12.2023;19480;3500;",
        "08118003,Asperg,31.12.2023,13700,2000,",
    )
    problems = problems_of(load_municipal_series, path)
    assert [p.row for p in problems] == [3]
    assert "6 Felder" in problems[0].expected
    # free-text notes after the data are a footer
    ok = write(
        tmp_path,
        "mit_fuss.csv",
        HEADER + "\n08118076;Sachsenheim;31.12.2023;19480;3500;\n\nQuelle: Melderegister\n",
    )
    assert load_municipal_series(ok).height == 1


def test_gv_wrong_header_cell(tmp_path):
    def rename(rows):
        rows[2][9] = "Menschen"
        return 3

    path, excel_row = _gv_copy_with(tmp_path, rename)
    problems = problems_of(load_gv_isys, path)
    assert [(p.row, p.column, p.value) for p in problems] == [(excel_row, "J", "Menschen")]
    assert "Bevölkerung/Einwohner" in problems[0].expected


def test_12411_foreigners_greater_than_total(tmp_path):
    lines = R03.read_bytes().decode("latin-1").split("\n")
    idx = next(i for i, ln in enumerate(lines) if ln.startswith("08118;") and "Insgesamt;" in ln)
    lines[idx] = lines[idx].replace(";70918;", ";612086;")
    path = write(tmp_path, "12411-03-03-4.csv", "\n".join(lines), "latin-1")
    problems = problems_of(load_12411_03_03_4, path)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (idx + 1, "Ausländer(innen)/Insgesamt", "612086")
    ]
