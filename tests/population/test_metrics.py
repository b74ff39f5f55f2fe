"""Metrics on small hand-made frames; every expected value is computed by hand in the comment."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import metrics
from workbench.population import SCHEMA

D = dt.date


def frame(rows: list[tuple]) -> pl.DataFrame:
    """rows: (level, ags, name, date, population, foreigners, share, source, status)."""
    data = [
        dict(zip(
            ["level", "ags", "name", "reference_date", "population", "foreigners", "share",
             "source", "status"], r, strict=True), year=r[3].year)
        for r in rows
    ]
    df = pl.DataFrame(data)
    # basis/band: null unless a test sets them (the model fills them; these frames are small).
    return df.select(
        [pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
         for c, t in SCHEMA.items()]
    )


@pytest.fixture
def mini() -> pl.DataFrame:
    """A Kreis with three municipalities, Zensus shares, estimates and Regionalatlas series."""
    z = D(2022, 5, 15)
    rows = [
        ("Gemeinde", "08118001", "Aheim", z, 1000, None, 10.0, "zensus2022", "amtlich"),
        ("Gemeinde", "08118076", "Sachsenheim", z, 2000, None, 16.7, "zensus2022", "amtlich"),
        ("Gemeinde", "08118048", "Ludwigsburg", z, 3000, None, 33.4, "zensus2022", "amtlich"),
        ("Kreis", "08118", "Landkreis Ludwigsburg", z, 6000, 1234, 18.5, "zensus2022",
         "geschätzt"),
        ("Land", "08", "Baden-Württemberg", z, 60000, None, 16.6, "zensus2022", "geschätzt"),
        ("Gemeinde", "08118076", "Sachsenheim", D(2021, 12, 31), 1900, 300, 15.0,
         "schaetzung_zensus_regionalatlas", "geschätzt"),
        ("Gemeinde", "08118076", "Sachsenheim", D(2023, 12, 31), 2000, 340, 17.0,
         "schaetzung_zensus_regionalatlas", "geschätzt"),
        ("Gemeinde", "08118001", "Aheim", D(2023, 12, 31), 1100, 121, 11.0,
         "schaetzung_zensus_regionalatlas", "geschätzt"),
        ("Gemeinde", "08118076", "Sachsenheim", D(2023, 12, 31), 2000, None, None, "gv_isys",
         "amtlich"),
        ("Gemeinde", "08118001", "Aheim", D(2023, 12, 31), 1100, None, None, "gv_isys",
         "amtlich"),
        ("Gemeinde", "08118048", "Ludwigsburg", D(2023, 12, 31), 3100, None, None, "gv_isys",
         "amtlich"),
        ("Kreis", "08118", "Landkreis Ludwigsburg", D(2022, 12, 31), None, None, 19.4,
         "regionalatlas", "amtlich"),
        ("Kreis", "08118", "Landkreis Ludwigsburg", D(2023, 12, 31), None, None, 20.0,
         "regionalatlas", "amtlich"),
        ("Land", "08", "Baden-Württemberg", D(2023, 12, 31), None, None, 18.0,
         "regionalatlas", "amtlich"),
    ]
    return frame(rows)


def test_foreign_share_of_published_kreis_figure():
    # 119 120 / 553 689 = 0.215138… -> 21.51 %
    assert round(metrics.foreign_share(119_120, 553_689), 2) == 21.51
    assert metrics.foreign_share(None, 10) is None
    assert metrics.foreign_share(5, 0) is None


def test_with_share_fills_only_missing_shares(mini):
    f = frame([
        ("Kreis", "08118", "K", D(2011, 12, 31), 512_086, 70_918, None, "regionalstatistik2011",
         "amtlich"),
        ("Kreis", "08118", "K", D(2012, 12, 31), None, None, 14.3, "regionalatlas", "amtlich"),
    ])
    out = metrics.with_share(f)
    # 70 918 / 512 086 = 13.849 %
    assert out.get_column("share").round(2).to_list() == [13.85, 14.3]


def test_change_points_between_years():
    s = frame([
        ("Kreis", "08118", "K", D(y, 12, 31), None, None, v, "regionalatlas", "amtlich")
        for y, v in [(2011, 13.8), (2015, 16.3), (2023, 20.0)]
    ])
    assert metrics.change_points(s, 2015, 2023) == pytest.approx(3.7)
    assert metrics.change_points(s) == pytest.approx(6.2)  # first to last
    with pytest.raises(KeyError):
        metrics.change_points(s, 2014, 2023)


def test_series_with_two_sources_is_rejected(mini):
    mixed = mini.filter(pl.col("ags") == "08118076", pl.col("share").is_not_null())
    with pytest.raises(ValueError, match="source"):
        metrics.change_points(mixed)


def test_growth_absolute_and_percent():
    s = frame([
        ("Gemeinde", "08118001", "A", D(2021, 12, 31), 1000, 120, None, "user_series", "amtlich"),
        ("Gemeinde", "08118001", "A", D(2023, 12, 31), 1000, 150, None, "user_series", "amtlich"),
    ])
    g = metrics.growth(s)
    # 150 - 120 = 30; 30 / 120 = 25 %
    assert (g.absolute, g.percent) == (30, pytest.approx(25.0))
    assert (g.start, g.end) == (D(2021, 12, 31), D(2023, 12, 31))


def test_rank_in_kreis_highest_share_is_one_and_ties_share_a_rank():
    z = D(2022, 5, 15)
    f = frame([
        ("Gemeinde", f"0811800{i}", n, z, 100, None, s, "zensus2022", "amtlich")
        for i, (n, s) in enumerate([("A", 10.0), ("B", 20.0), ("C", 20.0), ("D", 5.0)])
    ] + [("Gemeinde", "08119001", "Other Kreis", z, 100, None, 99.0, "zensus2022", "amtlich")])
    ranks = metrics.rank_in_kreis(f, z, "zensus2022")
    assert dict(zip(ranks["name"], ranks["rank"], strict=True)) == {
        "B": 1, "C": 1, "A": 3, "D": 4}
    assert ranks["n"].unique().to_list() == [4]


def test_gaps_to_kreis_and_land(mini):
    g = metrics.gaps(mini, "08118076", D(2022, 5, 15), "zensus2022")
    # 16.7 - 18.5 = -1.8 ; 16.7 - 16.6 = +0.1
    assert g["gap_kreis"] == pytest.approx(-1.8)
    assert g["gap_land"] == pytest.approx(0.1)
    # no Land value in the estimate source -> None rather than a cross-source gap
    g = metrics.gaps(mini, "08118076", 2023, "schaetzung_zensus_regionalatlas")
    assert g["gap_kreis"] is None and g["gap_land"] is None


def test_linear_projection_exact_line_to_2029():
    s = frame([
        ("Kreis", "08118", "K", D(y, 12, 31), None, None, v, "regionalatlas", "amtlich")
        for y, v in [(2020, 10.0), (2021, 12.0), (2022, 14.0)]
    ])
    p = metrics.project(s)
    # +2 points a year: 2023 -> 16, …, 2029 -> 28
    assert p["year"].to_list() == list(range(2023, 2030))
    assert p["share"].to_list() == pytest.approx([16, 18, 20, 22, 24, 26, 28])
    assert set(p["status"]) == {"Projektion"}
    assert p.schema == s.schema


def test_linear_projection_least_squares_by_hand():
    s = frame([
        ("Kreis", "08118", "K", D(y, 12, 31), None, None, v, "regionalatlas", "amtlich")
        for y, v in [(2020, 1.0), (2021, 3.0), (2022, 2.0)]
    ])
    # x̄ = 2021, ȳ = 2; Sxy = (-1)(-1) + 0 + (1)(0) = 1; Sxx = 2 -> slope 0.5
    slope, _ = metrics.linear_fit(s)
    assert slope == pytest.approx(0.5)
    # 2029: 2 + 0.5 × (2029 - 2021) = 6
    assert metrics.project(s)["share"][-1] == pytest.approx(6.0)
    # only from 2021: line through (2021, 3) and (2022, 2) -> 2029: 2 - 7 = -5 -> clipped to 0
    assert metrics.project(s, since=2021)["share"][-1] == 0.0


def test_summary_text_names_zensus_comparison_rank_and_estimate(mini):
    text = metrics.summary_text(mini, "08118076")
    assert (
        "Der Ausländeranteil in Sachsenheim liegt mit 16,7 % (Zensus 2022) unter dem "
        "Kreisdurchschnitt von 18,5 %." in text
    )
    # shares 33.4 > 16.7 > 10.0
    assert "Platz 2 von 3" in text
    assert "Zum 31.12.2023 beträgt der Anteil (geschätzt) 17,0 %, rund 340 Personen." in text
    assert "Seit 2021 ist er um 2,0 Prozentpunkte gestiegen (geschätzt)." in text
    assert "bei 20,0 %, in Baden-Württemberg bei 18,0 % (Regionalatlas)" in text
    # projection of the estimate: +1 point a year from 2023 -> 2029: 23 %
    assert "etwa 23,0 % (Projektion" in text


def test_summary_text_over_kreis_average(mini):
    text = metrics.summary_text(mini, "08118048")
    assert "liegt mit 33,4 % (Zensus 2022) über dem Kreisdurchschnitt von 18,5 %" in text
    assert "Platz 1 von 3" in text


def test_key_figures(mini):
    f = metrics.key_figures(mini, "08118076")
    assert f["population"] == 2000 and f["population_date"] == D(2023, 12, 31)
    assert f["gap_kreis"] == pytest.approx(-1.8)
    assert (f["rank"], f["n"]) == (2, 3)
    assert f["series_source"] == "schaetzung_zensus_regionalatlas"
    assert f["series_status"] == "geschätzt"


def test_overview_table(mini):
    t = metrics.overview_table(mini)
    assert t["name"].to_list() == ["Aheim", "Ludwigsburg", "Sachsenheim"]
    row = t.row(2, named=True)
    assert row["population"] == 2000
    assert row["rank"] == 2
    assert row["gap_kreis"] == pytest.approx(-1.8)
    assert row["share_latest"] == pytest.approx(17.0)
    assert row["latest_status"] == "geschätzt"
    # Ludwigsburg has no estimate rows -> null latest share, not a value from another source
    assert t.row(1, named=True)["share_latest"] is None


def test_overview_table_user_rows_count_only_for_their_own_date(mini):
    def latest(extra: list[tuple]) -> tuple:
        t = metrics.overview_table(pl.concat([mini, frame(extra)]))
        row = t.filter(pl.col("ags") == "08118076").row(0, named=True)
        return row["share_latest"], row["latest_status"], row["latest_date"]

    older = ("Gemeinde", "08118076", "Sachsenheim", D(2022, 12, 31), 2000, 350, 17.5,
             "user_series", "amtlich")
    # An older official user row never stands in for the later (2023) estimate ...
    assert latest([older]) == (17.0, "geschätzt", D(2023, 12, 31))
    # ... on the same date the official value wins ...
    same = (*older[:3], D(2023, 12, 31), *older[4:])
    assert latest([same]) == (17.5, "amtlich", D(2023, 12, 31))
    # ... and a later one is the latest value.
    later = (*older[:3], D(2024, 12, 31), *older[4:])
    assert latest([later]) == (17.5, "amtlich", D(2024, 12, 31))


def test_german_sort_order():
    f = pl.DataFrame({"name": ["Ludwigsburg", "Löchgau", "Affalterbach"]})
    assert f.sort(metrics.german_sort_key("name"))["name"].to_list() == [
        "Affalterbach", "Löchgau", "Ludwigsburg"]


def test_rank_and_gap_by_kreis_for_several_kreise():
    f = pl.DataFrame({
        "ags": ["08118001", "08118002", "08118003", "09162000", "09162001"],
        "population": [1000, 3000, 500, 100, 100],
        "share": [10.0, 20.0, None, 5.0, 5.0],
    })
    out = metrics.rank_and_gap_by_kreis(f)
    # 08118: (100 + 600) / (1000 + 3000) = 17.5 %; the suppressed municipality is left out
    assert out["kreis_share"].to_list() == [17.5, 17.5, 17.5, 5.0, 5.0]
    assert out["rank"].to_list() == [2, 1, None, 1, 1]
    assert out["n"].to_list() == [2, 2, 2, 2, 2]
    assert out["gap_kreis"].to_list()[:2] == [-7.5, 2.5]
    assert out["foreigners"].to_list() == [100, 600, None, 5, 5]
