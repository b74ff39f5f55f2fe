"""The population model on the real raw files in data/raw (facts from SOURCES.md and the seeds)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench import metrics, paths, population
from workbench.exceptions import DataValidationError
from workbench.population import (
    SCHEMA,
    SOURCES,
    load_population,
    series,
    validate_population,
)
from workbench.population import build as population_build
from workbench.region import UnknownMunicipalityError, municipalities
from workbench.region import resolve as resolve_municipality

GOLDEN = Path(__file__).parent / "golden"
ZENSUS_DAY = dt.date(2022, 5, 15)
SACHSENHEIM = "08118076"


@pytest.fixture(scope="module")
def pop() -> pl.DataFrame:
    """Built from the raw files (parquet cache off), so the build path runs every session."""
    saved = os.environ.get("WORKBENCH_POPULATION_CACHE")
    os.environ["WORKBENCH_POPULATION_CACHE"] = "0"
    population_build._build.cache_clear()
    try:
        return load_population()
    finally:
        population_build._build.cache_clear()
        if saved is None:
            del os.environ["WORKBENCH_POPULATION_CACHE"]
        else:
            os.environ["WORKBENCH_POPULATION_CACHE"] = saved


def one(pop: pl.DataFrame, **where) -> dict:
    rows = pop.filter(*[pl.col(k) == v for k, v in where.items()])
    assert rows.height == 1, f"expected one row for {where}, got {rows.height}"
    return rows.row(0, named=True)


def test_schema_and_invariants(pop):
    assert dict(pop.schema) == SCHEMA
    assert pop.filter(pl.col("foreigners") > pl.col("population")).height == 0
    assert pop.filter((pl.col("share") < 0) | (pl.col("share") > 100)).height == 0
    assert not pop.select(pl.struct("ags", "reference_date", "source").is_duplicated().any()).item()
    assert set(pop["source"]) <= set(SOURCES)


def test_39_municipalities(pop):
    gemeinden = pop.filter(pl.col("level") == "Gemeinde")["ags"].unique()
    assert gemeinden.len() == 39
    assert gemeinden.str.contains(r"^08118\d{3}$").all()
    register = municipalities()
    assert register.height == 39
    assert set(register["ags"]) == set(gemeinden)
    row = register.filter(pl.col("ags") == SACHSENHEIM).row(0, named=True)
    assert (row["name"], row["is_stadt"], row["population"]) == ("Sachsenheim", True, 19_480)
    assert register.filter(~pl.col("is_stadt"))["name"].str.contains("Stadt").sum() == 0


def test_kreis_figures_from_sources_md(pop):
    assert one(pop, ags="08118", source="zensus2022")["population"] == 528_576
    assert one(pop, ags="08118", source="gv_isys", year=2023)["population"] == 553_689
    r2011 = one(pop, ags="08118", source="regionalstatistik2011")
    assert (r2011["foreigners"], r2011["population"]) == (70_918, 512_086)
    land2011 = one(pop, ags="08", source="regionalstatistik2011")
    assert (land2011["foreigners"], land2011["population"]) == (1_153_846, 10_512_441)
    assert one(pop, ags="08118", source="regionalatlas", year=2023)["share"] == 20.0
    assert one(pop, ags="08", source="regionalatlas", year=2023)["share"] == 18.0
    assert one(pop, ags="08118", source="inkar", year=2022)["share"] == 20.03


def test_gv_totals_per_date_without_double_counting_the_2024_extract(pop):
    gv = pop.filter((pl.col("ags") == "08118") & (pl.col("source") == "gv_isys"))
    totals = dict(zip(gv["year"], gv["population"], strict=True))
    # SOURCES.md: 516,874 (2009) … 553,689 (2023); AuszugGV4QAktuell_2024 repeats 2023.
    assert totals == {2009: 516_874, 2010: 517_985, 2013: 521_633, 2016: 537_902,
                      2017: 542_630, 2021: 544_679, 2023: 553_689}


def test_sachsenheim_zensus_share_and_kreis_average(pop):
    assert one(pop, ags=SACHSENHEIM, source="zensus2022")["share"] == 16.7
    kreis = one(pop, ags="08118", source="zensus2022")
    # Exact Zensus 2022 count of the 39 municipalities (table on immigration history):
    # 97,824 / 528,576 = 18.51 % – official, not rebuilt from rounded shares.
    assert (kreis["foreigners"], kreis["population"]) == (97_824, 528_576)
    assert round(kreis["share"], 2) == 18.51
    assert kreis["status"] == "amtlich"
    # The Land value is still computed from rounded municipal shares: marked as such.
    assert one(pop, ags="08", source="zensus2022")["status"] == "geschätzt"
    assert metrics.gaps(pop, SACHSENHEIM, ZENSUS_DAY, "zensus2022")["gap_kreis"] < 0


def test_published_azr_figure(pop):
    azr = one(pop, ags="08118", source="landratsamt_azr")
    assert (azr["foreigners"], azr["population"]) == (119_120, 553_689)
    assert round(100 * azr["foreigners"] / azr["population"], 2) == 21.51
    assert azr["share"] == 21.51
    sachsenheim = one(pop, ags=SACHSENHEIM, source="stadt_sachsenheim")
    assert (sachsenheim["foreigners"], sachsenheim["population"]) == (3_630, 19_641)


def test_estimates_are_marked_and_follow_the_documented_method(pop):
    estimates = pop.filter(pl.col("source") == "schaetzung_zensus_regionalatlas")
    assert estimates.height > 0
    assert set(estimates["status"]) == {"geschätzt"}
    # nothing estimated is called official
    assert set(pop.filter(pl.col("status") == "geschätzt")["source"]) == {
        "schaetzung_zensus_regionalatlas", "zensus2022"}
    # Between Zensus 2011 and Zensus 2022 the ratio municipality/Kreis moves linearly, then
    # one common factor per date makes the Kreis add up: the ratio of two municipalities'
    # estimates is the ratio of their unscaled values (hand computation from the anchors).
    day = dt.date(2016, 12, 31)
    kreis_2016 = one(pop, ags="08118", source="regionalatlas", year=2016)["share"]  # 16.8
    z11_kreis = 100 * 69_623 / 509_871
    z22_kreis = 100 * 97_824 / 528_576

    def unscaled(ags: str) -> float:
        s11 = one(pop, ags=ags, source="zensus2011")["share"]
        s22 = one(pop, ags=ags, source="zensus2022")["share"]
        r0, r1 = s11 / z11_kreis, s22 / z22_kreis
        weight = (day - dt.date(2011, 5, 9)).days / (ZENSUS_DAY - dt.date(2011, 5, 9)).days
        return (r0 + (r1 - r0) * weight) * kreis_2016

    a = one(estimates, ags=SACHSENHEIM, reference_date=day)
    b = one(estimates, ags="08118046", reference_date=day)  # Kornwestheim
    assert a["share"] / b["share"] == pytest.approx(unscaled(SACHSENHEIM) / unscaled("08118046"))
    # 31.12.2016 has a GV-ISys total on the same (Zensus 2011) basis: the count is given.
    gv = one(pop, ags=SACHSENHEIM, source="gv_isys", year=2016)["population"]
    assert a["population"] == gv
    assert a["foreigners"] == round(gv * a["share"] / 100)
    assert a["basis"] == "Zensus 2011" and a["band"] > 0


def test_estimate_error_against_independent_spot_checks(pop):
    """Official points replace the earlier spot checks; the estimate lands inside its band."""
    kornwestheim = one(pop, ags="08118046", source="zensus2011")
    # Zensus 2011 (09.05.2011), table 12111-01-01-5: 6,048 / 30,901 = 19.6 % (the press
    # reported 6,060 – another table of the same census; the share is the same).
    assert (kornwestheim["foreigners"], kornwestheim["population"]) == (6_048, 30_901)
    assert round(kornwestheim["share"], 1) == 19.6
    freudental = metrics.key_figures(pop, "08118019")
    assert freudental["change_start_source"] == "zensus2011"
    # Official 7.0 % (Zensus 2011) → 13.9 % (Statistik BW, Stand 2025): +6.9 points; the
    # latest value is the estimate for 31.12.2025, within its band of that.
    assert abs(freudental["change_points"] - 6.9) <= freudental["latest_band"]
    assert freudental["change_break"] is True
    sachsenheim = one(pop, ags=SACHSENHEIM, source="statistik_bw")
    assert sachsenheim["share"] == 18.6


def test_series_never_mixes_sources(pop):
    for ags in pop["ags"].unique():
        s = series(pop, ags)
        assert s["source"].n_unique() == 1, ags
        assert s["reference_date"].is_sorted()
    assert series(pop, "08118")["source"][0] == "regionalatlas"
    assert series(pop, SACHSENHEIM)["source"][0] == "schaetzung_zensus_regionalatlas"
    assert series(pop, "08118", "inkar").height == 28


def test_overview_matches_golden_file(pop):
    golden = pl.read_csv(GOLDEN / "overview_08118.csv", schema_overrides={"ags": pl.String})
    table = metrics.overview_table(pop)
    assert table.height == 39
    # Latest: the estimate for 31.12.2025 (the Kreis Fortschreibung of that day exists).
    assert set(table["latest_status"]) == {"geschätzt"}
    assert set(table["latest_date"]) == {dt.date(2025, 12, 31)}
    got = table.select(golden.columns).sort("ags")
    assert_frame_equal(got, golden.sort("ags"), check_dtypes=False, abs_tol=1e-6)


def test_user_series_replaces_estimates(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(user))
    before = load_population()
    assert before.filter(pl.col("source") == "user_series").height == 0
    assert load_population() is before  # cached: nothing changed
    (user / "sachsenheim.csv").write_text(
        "AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle\n"
        "08118076;Sachsenheim;31.12.2023;19.480;3.500;Export statistik-bw.de\n"
        "08118076;Sachsenheim;31.12.2025;19.600;3.600;Export statistik-bw.de\n",
        encoding="utf-8",
    )
    after = load_population()
    user_rows = after.filter(pl.col("source") == "user_series")
    assert user_rows.height == 2
    assert set(user_rows["status"]) == {"amtlich"}
    assert user_rows["share"].to_list() == pytest.approx([100 * 3500 / 19480, 100 * 3600 / 19600])
    est = after.filter((pl.col("source") == "schaetzung_zensus_regionalatlas")
                       & (pl.col("ags") == SACHSENHEIM))
    assert dt.date(2023, 12, 31) not in est["reference_date"].to_list()
    assert dt.date(2025, 12, 31) not in est["reference_date"].to_list()
    assert dt.date(2021, 12, 31) in est["reference_date"].to_list()  # other dates stay
    # The user's official values are anchors: the estimate between them agrees with them
    # (31.12.2022 lies between Zensus 2022 and the user's 31.12.2023 value).
    between = one(est, reference_date=dt.date(2022, 12, 31))["share"]
    assert min(16.7, 100 * 3500 / 19480) - 1 < between < max(16.7, 100 * 3500 / 19480) + 1
    # other municipalities keep their estimates
    assert one(after, ags="08118046", source="schaetzung_zensus_regionalatlas",
               year=2023)["status"] == "geschätzt"
    assert series(after, SACHSENHEIM)["source"][0] == "user_series"
    row = metrics.overview_table(after).filter(pl.col("ags") == SACHSENHEIM).row(0, named=True)
    assert (row["latest_status"], row["latest_source"]) == ("amtlich", "user_series")
    assert row["share_latest"] == pytest.approx(100 * 3600 / 19600)


def test_validation_reports_row_column_and_value(pop):
    bad = pop.head(3).with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(10**9).otherwise(pl.col("foreigners"))
        .alias("foreigners"),
        pl.when(pl.int_range(pl.len()) == 2).then(101.0).otherwise(pl.col("share"))
        .alias("share"),
    )
    with pytest.raises(DataValidationError) as info:
        validate_population(bad)
    text = str(info.value)
    assert "Zeile 2" in text and "foreigners" in text and "1000000000" in text
    assert "Zeile 3" in text and "Anteil zwischen 0 und 100" in text
    with pytest.raises(DataValidationError, match="höchstens eine Zeile"):
        validate_population(pl.concat([pop.head(1), pop.head(1)]))
    with pytest.raises(DataValidationError, match="Spalten"):
        validate_population(pop.drop("status"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sachsenheim", ("08118076", "Sachsenheim")),
        ("Sachsenheim, Stadt", ("08118076", "Sachsenheim")),
        ("08118067", ("08118067", "Schwieberdingen")),
        ("8118076", ("08118076", "Sachsenheim")),
        ("Bietigheim-Bissingen", ("08118079", "Bietigheim-Bissingen")),
        ("bietigheim bissingen", ("08118079", "Bietigheim-Bissingen")),
        ("MÖGLINGEN", ("08118051", "Möglingen")),
        ("Moeglingen", ("08118051", "Möglingen")),
    ],
)
def test_resolve_municipality(query, expected):
    assert resolve_municipality(query) == expected


def test_resolve_municipality_suggests_close_matches():
    with pytest.raises(UnknownMunicipalityError) as info:
        resolve_municipality("Sachsnheim")
    assert "Unbekannte Gemeinde „Sachsnheim“" in str(info.value)
    assert "Meinten Sie: Sachsenheim" in str(info.value)
    with pytest.raises(UnknownMunicipalityError, match="8-stellige Gemeindeschlüssel"):
        resolve_municipality("Stuttgart")
    with pytest.raises(UnknownMunicipalityError):
        resolve_municipality("08111000")


def test_citations_are_german_and_mark_estimates():
    assert population.citation("zensus2022", dt.date(2022, 5, 15)).endswith("Stand 15.05.2022")
    assert population.citation("schaetzung_zensus_regionalatlas").endswith("– geschätzt")
    for info in SOURCES.values():
        assert info.status in ("amtlich", "geschätzt")


def test_all_germany_metrics_agree_with_the_kreis_model(pop):
    from workbench.loaders.gerda import load_gerda_census
    from workbench.loaders.zensus import load_zensus_flat

    raw = paths.raw_dir()
    zensus = load_zensus_flat(raw / "zensus2022" / "1000A-0000_de_flat.csv")
    gerda = load_gerda_census(raw / "gerda" / "gerda_census_2022_municipalities.csv")
    assert zensus.height == 10_786
    germany = metrics.rank_and_gap_by_kreis(
        zensus.join(gerda.select("ags", pl.col("share_foreign").alias("share")), on="ags",
                    how="left")
    )
    ours = germany.filter(pl.col("kreis") == "08118").select("ags", "rank", "gap_kreis")
    model = metrics.overview_table(pop).select("ags", "rank", "gap_kreis")
    # Ranks agree exactly; gaps within the rounding of the municipal shares (±0,05 points):
    # the model uses the exact Zensus Kreis count, the all-Germany path the rounded shares.
    assert_frame_equal(ours.sort("ags"), model.sort("ags"), check_dtypes=False, abs_tol=0.05)
    assert (ours.sort("ags")["gap_kreis"] - model.sort("ags")["gap_kreis"]).abs().max() > 0


def test_parquet_cache_round_trip_and_corrupt_file(tmp_path, monkeypatch, pop):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    population_build._build.cache_clear()
    built = load_population()
    files = list(tmp_path.glob("population-08118-*.parquet"))
    assert len(files) == 1
    assert_frame_equal(built, pop)
    population_build._build.cache_clear()
    assert_frame_equal(load_population(), pop)  # read back from parquet
    files[0].write_bytes(b"not parquet")
    population_build._build.cache_clear()
    assert_frame_equal(load_population(), pop)  # rebuilt, not crashed
    assert files[0].read_bytes()[:4] == b"PAR1"  # and the cache is repaired
    population_build._build.cache_clear()


def test_model_for_another_bw_kreis():
    """Reports for municipalities outside 08118 build the model of their own Kreis."""
    boeblingen = load_population(kreis="08115")
    assert boeblingen.filter(pl.col("level") == "Gemeinde")["ags"].n_unique() == 26
    assert set(boeblingen.filter(pl.col("level") == "Kreis")["name"]) == {"Landkreis Böblingen"}
    assert not set(boeblingen["source"]) & set(population.PUBLISHED_SOURCES)  # 08118 only
    ags = boeblingen.filter(pl.col("level") == "Gemeinde")["ags"].sort()[0]
    text = metrics.summary_text(boeblingen, ags)
    assert "Städten und Gemeinden im Landkreis Böblingen" in text
    assert "Im Landkreis Böblingen lag der Anteil" in text


def test_model_keeps_municipalities_dissolved_since_with_their_extract_name():
    """Gutsbezirk Münsingen (08415086) is in the 2009/2010 extracts only; its rows keep a name."""
    reutlingen = load_population(kreis="08415")
    gone = reutlingen.filter(pl.col("ags") == "08415086")
    assert gone.height >= 1
    assert gone["name"].null_count() == 0
    assert all("Münsingen" in name for name in gone["name"])
