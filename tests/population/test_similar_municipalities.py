"""Vergleich mit ähnlich großen Gemeinden (metrics.similar_municipalities)."""

from __future__ import annotations

import polars as pl
import pytest

from workbench import metrics, population


def test_size_classes_have_no_gaps():
    assert metrics.size_class(0)[2] == "unter 2.000 Einwohnern"
    assert metrics.size_class(1_999)[0] == 0 and metrics.size_class(2_000)[0] == 2_000
    assert metrics.size_class(19_999)[1] == 20_000
    assert metrics.size_class(633_484)[2] == "100.000 und mehr Einwohnern"
    with pytest.raises(ValueError, match="keine Größenklasse"):
        metrics.size_class(-1)


def test_similar_municipalities_on_a_small_frame():
    shares = pl.DataFrame({
        "ags": ["08118001", "08118002", "08118003", "08115001", "08115002", "08118004"],
        "kreis": ["08118", "08118", "08118", "08115", "08115", "08118"],
        "share": [10.0, 20.0, 30.0, 40.0, 5.0, 50.0],
        "size": [3_000.0, 4_000.0, 4_500.0, 2_500.0, 3_500.0, 60_000.0],
    })
    f = metrics.similar_municipalities(shares, "08118002")
    assert f["class_label"] == "2.000 bis unter 5.000 Einwohnern"
    assert (f["kreis_n"], f["kreis_median"], f["kreis_rank"]) == (3, 20.0, 2)
    assert (f["land_n"], f["land_median"], f["land_rank"]) == (5, 20.0, 3)
    assert metrics.similar_municipalities(shares, "08999999") is None


def test_zensus2022_shares_are_the_estimates_zensus_2022_anchors():
    """The reports' light path gives exactly the anchors of the full estimate."""
    from polars.testing import assert_frame_equal

    anchors = population.estimation_inputs().anchors.filter(
        pl.col("reference_date") == population.ZENSUS2022_DATE)
    shares = population.zensus2022_shares()
    assert shares.height > 1000
    assert_frame_equal(shares.sort("ags"), anchors.sort("ags"))


def test_similar_municipalities_on_the_zensus_2022_values():
    anchors = population.zensus2022_shares()
    f = metrics.similar_municipalities(anchors, "08118016")  # Freudental, 2 644 inhabitants
    same = anchors.filter((pl.col("size") >= 2_000) & (pl.col("size") < 5_000))
    in_kreis = same.filter(pl.col("kreis") == "08118")
    assert f["land_n"] == same.height > 300
    assert f["kreis_n"] == in_kreis.height
    own = anchors.filter(pl.col("ags") == "08118016")["share"][0]
    assert f["kreis_rank"] == in_kreis.filter(pl.col("share") > own).height + 1
    assert f["land_median"] == pytest.approx(same["share"].median())
