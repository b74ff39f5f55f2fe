"""Loaders on the real shipped files. Expected numbers come from data/SOURCES.md and the
publishers (cross-checked between independent files where possible), not from loader output."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from workbench.loaders import LOADERS, load_any
from workbench.loaders.geo import kreis_geojson, load_boundaries
from workbench.loaders.gerda import SCHEMA as GERDA_SCHEMA
from workbench.loaders.gerda import load_gerda_census
from workbench.loaders.gv_isys import SCHEMA as GV_SCHEMA
from workbench.loaders.gv_isys import gemeinden, load_gv_isys
from workbench.loaders.inkar import load_inkar_covariates
from workbench.loaders.municipal_series import (
    SCHEMA as MUNI_SCHEMA,
)
from workbench.loaders.municipal_series import (
    load_municipal_series,
    write_templates,
)
from workbench.loaders.published import load_published_figures
from workbench.loaders.regionalatlas import (
    load_regionalatlas_arcgis,
    load_regionalatlas_timeseries,
)
from workbench.loaders.regionalstatistik import load_12411_0015, load_12411_03_03_4
from workbench.loaders.zensus import SCHEMA as ZENSUS_SCHEMA
from workbench.loaders.zensus import load_zensus_flat

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
TEMPLATES = RAW.parent / "templates"
GV = RAW / "destatis_gv_auszug"

# Kreis 08118 totals per GV file (SOURCES.md, "Check" line) and population reference date.
GV_FILES = {
    "31122009_Auszug_GV.xlsx": (dt.date(2009, 12, 31), 516_874),
    "31122010_Auszug_GV.xls": (dt.date(2010, 12, 31), 517_985),
    "31122013_Auszug_GV.xlsx": (dt.date(2013, 12, 31), 521_633),
    "31122016_Auszug_GV.xlsx": (dt.date(2016, 12, 31), 537_902),
    "31122017_Auszug_GV.xlsx": (dt.date(2017, 12, 31), 542_630),
    "31122021_Auszug_GV.xlsx": (dt.date(2021, 12, 31), 544_679),
    "31122023_Auszug_GV.xlsx": (dt.date(2023, 12, 31), 553_689),
    # Gebietsstand 31.12.2024, population still 31.12.2023.
    "AuszugGV4QAktuell_2024.xlsx": (dt.date(2023, 12, 31), 553_689),
}
SACHSENHEIM = "08118076"


@pytest.fixture(scope="session")
def gv_frames() -> dict[str, pl.DataFrame]:
    return {name: load_gv_isys(GV / name) for name in GV_FILES}


@pytest.fixture(scope="session")
def zensus() -> pl.DataFrame:
    return load_zensus_flat(RAW / "zensus2022" / "1000A-0000_de_flat.csv")


@pytest.fixture(scope="session")
def gerda() -> pl.DataFrame:
    return load_gerda_census(RAW / "gerda" / "gerda_census_2022_municipalities.csv")


# ---------------------------------------------------------------- GV-ISys


@pytest.mark.parametrize("name", list(GV_FILES))
def test_gv_kreis_has_39_municipalities_and_published_total(gv_frames, name):
    df = gv_frames[name]
    ref, total = GV_FILES[name]
    assert dict(df.schema) == GV_SCHEMA
    kreis = gemeinden(df, "08118")
    assert kreis.height == 39
    assert kreis["ags"].str.len_chars().unique().to_list() == [8]
    assert kreis["ars"].str.len_chars().unique().to_list() == [12]
    assert kreis["population"].sum() == total
    assert kreis["population"].null_count() == 0
    assert (kreis["population_male"] + kreis["population_female"] == kreis["population"]).all()
    assert df["reference_date"].unique().to_list() == [ref]


def test_gv_key_levels_and_leading_zeros(gv_frames):
    df = gv_frames["31122023_Auszug_GV.xlsx"]
    land = df.filter(pl.col("satzart") == "10")
    assert land["ags"].sort().to_list() == [f"{i:02d}" for i in range(1, 17)]
    kreis = df.filter(pl.col("ags") == "08118")
    assert kreis["satzart"].to_list() == ["40"]
    sachsenheim = df.filter(pl.col("ags") == SACHSENHEIM)
    assert sachsenheim["ars"].to_list() == ["081180076076"]
    assert sachsenheim["name"].to_list() == ["Sachsenheim, Stadt"]
    # Seed/SOURCES: GV 31.12.2023 Sachsenheim 19,480 residents.
    assert sachsenheim["population"].to_list() == [19_480]
    assert sachsenheim["postcode"].to_list() == ["74343"]  # Sachsenheim's PLZ (seed impressum)
    lon, lat = sachsenheim["lon"][0], sachsenheim["lat"][0]
    assert 8.9 < lon < 9.2 and 48.9 < lat < 49.1  # decimal-comma text parsed


def test_gv_germany_total_2023_matches_destatis(gv_frames):
    # Destatis: 84,669,326 inhabitants on 31.12.2023 (Zensus-2011 basis).
    df = gv_frames["31122023_Auszug_GV.xlsx"]
    assert df.filter(pl.col("satzart") == "60")["population"].sum() == 84_669_326


def test_gv_2024_file_repeats_2023_population(gv_frames):
    a = gemeinden(gv_frames["31122023_Auszug_GV.xlsx"]).select("ags", "population")
    b = gemeinden(gv_frames["AuszugGV4QAktuell_2024.xlsx"]).select("ags", "population")
    assert a.sort("ags").equals(b.sort("ags"))


def test_gv_2016_slash_marker_and_stuck_footnote(gv_frames):
    df = gv_frames["31122016_Auszug_GV.xlsx"]
    kerken = df.filter((pl.col("satzart") == "60") & (pl.col("ags") == "05154028"))
    assert kerken["name"].to_list() == ["Kerken"]  # "Kerken4)" in the file
    assert kerken["population"].to_list() == [None]  # "/" in the file
    assert kerken["area_km2"].to_list() == [58.17]
    assert not df["name"].str.contains(r"\d\)$").any()


def test_gv_xls_2010_keys_are_text_not_floats(gv_frames):
    df = gv_frames["31122010_Auszug_GV.xls"]
    asperg = df.filter(pl.col("ags") == "08118003")
    assert asperg["population"].to_list() == [13_126]
    assert not df["ars"].drop_nulls().str.contains(r"\.").any()


def test_gv_municipalities_match_zensus_register(gv_frames, zensus):
    z = set(zensus.filter(pl.col("ags").str.starts_with("08118"))["ags"])
    for df in gv_frames.values():
        assert set(gemeinden(df)["ags"]) == z


# ---------------------------------------------------------------- Zensus / GERDA


def test_zensus_all_germany(zensus):
    assert dict(zensus.schema) == ZENSUS_SCHEMA
    assert zensus.height == 10_786
    assert zensus["ars"].n_unique() == 10_786
    assert zensus["reference_date"].unique().to_list() == [dt.date(2022, 5, 15)]
    assert "DG" not in zensus["ars"].to_list()
    # AGS = ARS[0:5] + ARS[9:12], e.g. Erdmannhausen 081185005014 -> 08118014
    erd = zensus.filter(pl.col("ars") == "081185005014")
    assert erd["ags"].to_list() == ["08118014"] and erd["name"].to_list() == ["Erdmannhausen"]


def test_zensus_kreis_total_and_extract(zensus):
    kreis = zensus.filter(pl.col("ags").str.starts_with("08118"))
    assert kreis.height == 39
    assert kreis["population"].sum() == 528_576
    extract = load_zensus_flat(RAW / "zensus2022" / "1000A-0000_de_flat_08118.csv")
    assert extract.sort("ars").equals(kreis.sort("ars"))


def test_gerda_shares_and_population_match_zensus(gerda, zensus):
    assert dict(gerda.schema) == GERDA_SCHEMA
    assert gerda.height == 10_786
    assert gerda["share_foreign"].null_count() == 344  # suppressed small municipalities
    sachsenheim = gerda.filter(pl.col("ags") == SACHSENHEIM)
    assert sachsenheim["share_foreign"].to_list() == [16.7]
    assert sachsenheim["population"].to_list() == [18_303]
    joined = gerda.join(zensus, on="ags", how="inner", suffix="_z")
    assert joined.height == 10_786
    assert (joined["population"] == joined["population_z"]).all()
    kreis = load_gerda_census(RAW / "gerda" / "gerda_census_2022_municipalities_08118.csv")
    assert kreis.height == 39 and kreis["share_foreign"].null_count() == 0
    assert not any("under18" in c or "65plus" in c for c in gerda.columns)


# ---------------------------------------------------------------- INKAR / Regionalatlas


def test_inkar_kreis_series():
    df = load_inkar_covariates(RAW / "gerda" / "gerda_inkar_county_covariates_1995-2022.csv")
    assert df.height == 11_200 and df["ags"].n_unique() == 400
    lb = df.filter(pl.col("ags") == "08118").sort("year")
    assert lb["year"].to_list() == list(range(1995, 2023))
    by_year = dict(zip(lb["year"].to_list(), lb["share_foreign"].to_list(), strict=True))
    assert by_year[2015] == 16.32 and by_year[2022] == 20.03  # SOURCES.md
    assert lb["reference_date"][0] == dt.date(1995, 12, 31)


def test_regionalatlas_timeseries_values():
    df = load_regionalatlas_timeseries(
        RAW / "regionalatlas" / "ai0208_timeseries_states_bw-kreise.json"
    )
    assert df.height == (16 + 44) * 14
    get = {(r[0], r[1]): r[2] for r in df.select("ags", "year", "share").iter_rows()}
    assert get[("08118", 2023)] == 20.0
    assert get[("08", 2023)] == 18.0
    assert get[("08118", 2011)] == 13.8 and get[("08", 2015)] == 13.9
    assert set(df.filter(pl.col("ags") == "08")["level"]) == {"Land"}
    assert set(df.filter(pl.col("ags") == "08118")["level"]) == {"Kreis"}


def test_regionalatlas_arcgis_rounds_and_agrees_with_timeseries():
    arc = load_regionalatlas_arcgis(RAW / "regionalatlas" / "states_2023_ai0208_arcgis.json")
    assert arc.height == 16 and set(arc["year"]) == {2023}
    assert arc.filter(pl.col("ags") == "02")["share"].to_list() == [18.9]  # 18.899999…
    ts = load_regionalatlas_timeseries(
        RAW / "regionalatlas" / "ai0208_timeseries_states_bw-kreise.json"
    )
    ts23 = ts.filter((pl.col("level") == "Land") & (pl.col("year") == 2023)).sort("ags")
    assert arc.sort("ags")["share"].to_list() == ts23["share"].to_list()


# ---------------------------------------------------------------- Regionalstatistik


def test_12411_03_03_4_counts_2011():
    df = load_12411_03_03_4(RAW / "regionalstatistik" / "12411-03-03-4_31122011_kreise.csv")
    total = df.filter(pl.col("age_group") == "Insgesamt")
    lb = total.filter(pl.col("ags") == "08118").row(0, named=True)
    assert (lb["total"], lb["foreigners"]) == (512_086, 70_918)
    assert lb["level"] == "Kreis" and lb["name"] == "Ludwigsburg, Landkreis"
    assert lb["german"] + lb["foreigners"] == lb["total"]
    bw = total.filter(pl.col("ags") == "08").row(0, named=True)
    assert (bw["total"], bw["foreigners"], bw["level"]) == (10_512_441, 1_153_846, "Land")
    assert total.filter(pl.col("ags") == "DG")["level"].to_list() == ["Deutschland"]
    assert df["reference_date"].unique().to_list() == [dt.date(2011, 12, 31)]
    # "-" markers (Berlin-Neukölln) become null, not 0
    assert df.filter(pl.col("ags") == "11008008")["total"].to_list() == [None, None]
    # Kreis 2011 total agrees with the other GENESIS table
    k15 = load_12411_0015(RAW / "regionalstatistik" / "12411-0015_kreise_2009-2016.csv")
    v = k15.filter((pl.col("ags") == "08118") & (pl.col("reference_date") == dt.date(2011, 12, 31)))
    assert v["population"].to_list() == [512_086]


def test_12411_0015_long_format(gv_frames):
    df = load_12411_0015(RAW / "regionalstatistik" / "12411-0015_kreise_2009-2016.csv")
    lb = df.filter(pl.col("ags") == "08118").sort("reference_date")
    assert lb["reference_date"].to_list() == [dt.date(y, 12, 31) for y in range(2009, 2017)]
    # 2009/2010/2013/2016 agree with the municipal sums of the GV files
    for name in (
        "31122009_Auszug_GV.xlsx",
        "31122010_Auszug_GV.xls",
        "31122013_Auszug_GV.xlsx",
        "31122016_Auszug_GV.xlsx",
    ):
        ref, total = GV_FILES[name]
        assert lb.filter(pl.col("reference_date") == ref)["population"].to_list() == [total]
    dissolved = df.filter((pl.col("ags") == "03152") & (pl.col("reference_date").dt.year() == 2016))
    assert dissolved["population"].to_list() == [None]  # "-": Kreis dissolved in 2016


# ---------------------------------------------------------------- published, user series, geo


def test_published_figures_are_consistent_with_gv(gv_frames):
    pub = load_published_figures()
    kreis = pub.filter(
        (pl.col("ags") == "08118") & (pl.col("reference_date") == dt.date(2023, 12, 31))
    )
    row = kreis.row(0, named=True)
    assert (row["foreigners"], row["share"], row["change_points"], row["since_year"]) == (
        119_120,
        21.51,
        4.45,
        2015,
    )
    assert row["source_register"] == "Ausländerzentralregister"
    gv_total = gemeinden(gv_frames["31122023_Auszug_GV.xlsx"])["population"].sum()
    assert row["population"] == gv_total
    assert round(row["foreigners"] / row["population"] * 100, 2) == row["share"]
    sach = pub.filter(pl.col("ags") == SACHSENHEIM).row(0, named=True)
    assert (sach["population"], sach["foreigners"], sach["share"]) == (19_641, 3_630, 18.48)
    assert sach["reference_date"] == dt.date(2024, 7, 31)


def test_municipal_series_example_and_templates(tmp_path):
    ex = load_municipal_series(TEMPLATES / "gemeinde_bevoelkerung_nationalitaet_beispiel.csv")
    assert dict(ex.schema) == MUNI_SCHEMA
    assert ex.select("ags", "population", "foreigners").rows() == [(SACHSENHEIM, 19_641, 3_630)]
    csv_path, xlsx_path = write_templates(tmp_path)
    assert load_municipal_series(csv_path).height == 0
    assert load_municipal_series(xlsx_path).height == 0
    # the shipped template equals a freshly written one (the script documents how it was made)
    shipped = TEMPLATES / "gemeinde_bevoelkerung_nationalitaet_vorlage.csv"
    assert shipped.read_text(encoding="utf-8") == csv_path.read_text(encoding="utf-8")


def test_municipal_series_xlsx_with_excel_cells(tmp_path):
    """An xlsx as Excel users produce it: AGS as number (leading zero lost), date cells."""
    path = tmp_path / "reihe.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    date_fmt = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, ["Bevölkerung nach Nationalität, Stand 2024"])
    sheet.write_row(
        2, 0, ["AGS", "Gemeinde", "Stichtag", "Bevölkerung insgesamt", "Ausländer", "Quelle"]
    )
    sheet.write_number(3, 0, 8118076)
    sheet.write_string(3, 1, "Sachsenheim")
    sheet.write_datetime(3, 2, dt.datetime(2023, 12, 31), date_fmt)
    sheet.write_number(3, 3, 19480)
    sheet.write_number(3, 4, 3500)
    sheet.write_string(3, 5, "Melderegister")
    sheet.write_string(4, 0, "08118003")
    sheet.write_string(4, 1, "Asperg")
    sheet.write_string(4, 2, "31.12.2023")
    sheet.write_number(4, 3, 13_700)
    sheet.write_string(4, 4, ".")  # unknown / secret
    book.close()
    df = load_municipal_series(path)
    assert df.rows() == [
        (SACHSENHEIM, "Sachsenheim", dt.date(2023, 12, 31), 19_480, 3_500, "Melderegister"),
        ("08118003", "Asperg", dt.date(2023, 12, 31), 13_700, None, None),
    ]


def test_municipal_series_latin1_with_markers_and_thousands(tmp_path):
    text = (
        "Statistisches Landesamt Baden-Württemberg\n"
        "Bevölkerung nach Nationalität - Gemeinden\n"
        "AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle\n"
        "08118076;Sachsenheim;31.12.2022;19.210;3.301;StaLa BW\n"
        "08118076;Sachsenheim;31.12.2023;19.480;-;StaLa BW\n"
        "__________\n"
        "Quelle: Statistisches Landesamt Baden-Württemberg\n"
    )
    path = tmp_path / "stala.csv"
    path.write_bytes(text.encode("latin-1"))
    df = load_municipal_series(path)
    assert df["population"].to_list() == [19_210, 19_480]
    assert df["foreigners"].to_list() == [3_301, None]
    assert df["source_note"].to_list() == ["StaLa BW", "StaLa BW"]


def test_boundaries():
    kreis = kreis_geojson()
    ags = {f["properties"]["AGS"] for f in kreis["features"]}
    assert len(ags) == 39 and all(a.startswith("08118") and len(a) == 8 for a in ags)
    assert all("destatis" not in f["properties"] for f in kreis["features"])
    bw = load_boundaries()
    assert len(bw["features"]) == 1_106 - 3  # GF==2 dropped
    assert ags <= {f["properties"]["AGS"] for f in bw["features"]}


def test_zensus_and_geo_cover_the_same_39(zensus):
    geo = {f["properties"]["AGS"] for f in kreis_geojson()["features"]}
    assert geo == set(zensus.filter(pl.col("ags").str.starts_with("08118"))["ags"])


def test_load_any_dispatches_by_content(tmp_path):
    src = RAW / "zensus2022" / "1000A-0000_de_flat_08118.csv"
    neutral = tmp_path / "download.csv"
    neutral.write_bytes(src.read_bytes())
    assert load_any(neutral).height == 39
    assert set(LOADERS) >= {"gv_isys", "zensus_flat", "gerda_census", "inkar", "municipal_series"}
