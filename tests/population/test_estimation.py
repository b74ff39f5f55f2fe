"""Model v2 of the municipal estimate: anchors kept, sums to the Kreis, honest backtest."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from workbench import estimation, population

D = dt.date


def _anchors(rows: list[tuple[str, dt.date, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"ags": a, "kreis": a[:5], "reference_date": d, "share": s, "size": z}
         for a, d, s, z in rows], schema=estimation.ANCHOR_SCHEMA)


def _kreis(rows: list[tuple[dt.date, float]], kreis: str = "08999") -> pl.DataFrame:
    return pl.DataFrame([{"kreis": kreis, "reference_date": d, "share": s} for d, s in rows],
                        schema=estimation.KREIS_SCHEMA)


def _weights(pop: dict[str, float], days: list[dt.date]) -> pl.DataFrame:
    return pl.DataFrame([{"ags": a, "reference_date": d, "population": p}
                         for a, p in pop.items() for d in days],
                        schema=estimation.WEIGHT_SCHEMA)


TOY_DAYS = [D(y, 12, 31) for y in range(2011, 2026)]
TOY_KREIS = _kreis([(D(2011, 5, 9), 10.0), *[(D(y, 12, 31), 10.0 + 0.5 * (y - 2011))
                                                for y in range(2011, 2026)],
                    (D(2022, 5, 15), 15.2)])
TOY_ANCHORS = _anchors([
    ("08999001", D(2011, 5, 9), 5.0, 1000), ("08999001", D(2022, 5, 15), 8.0, 1000),
    ("08999001", D(2024, 12, 31), 9.0, 1000),
    ("08999002", D(2011, 5, 9), 15.0, 1000), ("08999002", D(2022, 5, 15), 22.4, 1000),
    ("08999002", D(2024, 12, 31), 24.0, 1000),
])
TOY_BAND = estimation.Band(((2.6, 1.5), (11.0, 3.0)))


def test_estimate_never_replaces_an_official_point_and_sums_to_the_kreis() -> None:
    est = estimation.estimate(TOY_ANCHORS, TOY_KREIS, _weights({"08999001": 1000,
                                                                "08999002": 1000}, TOY_DAYS),
                              TOY_DAYS, estimation.Extrapolation(), TOY_BAND)
    # 31.12.2024 is an official date for both: no estimate there.
    assert D(2024, 12, 31) not in est.get_column("reference_date").to_list()
    for day, part in est.group_by("reference_date"):
        kreis = estimation.kreis_at(TOY_KREIS, "08999", day[0])
        assert part.get_column("share").mean() == pytest.approx(kreis, abs=1e-9)
    # Bands grow with the distance to the nearest anchor and come from the band model.
    assert est.get_column("band").min() == pytest.approx(1.5)
    mid = est.filter(pl.col("reference_date") == D(2016, 12, 31)).get_column("band")[0]
    nearest = min(estimation.years_between(D(2011, 5, 9), D(2016, 12, 31)),
                  estimation.years_between(D(2016, 12, 31), D(2022, 5, 15)))
    assert nearest > 5
    assert mid == pytest.approx(TOY_BAND.at(nearest))


def test_rake_keeps_official_values_of_the_same_date() -> None:
    estimates = pl.DataFrame({"ags": ["a", "b"], "share": [10.0, 20.0]})
    fixed = pl.DataFrame({"ags": ["c"], "share": [30.0]})
    out = estimation.rake(estimates, fixed, 25.0, {"a": 1.0, "b": 1.0, "c": 2.0})
    total = (out.get_column("share").sum() + 2 * 30.0) / 4
    assert total == pytest.approx(25.0)
    # Both scaled by one common factor.
    assert out.get_column("share")[1] / out.get_column("share")[0] == pytest.approx(2.0)


def test_band_never_shrinks_with_the_horizon() -> None:
    short = pl.DataFrame({"error": [3.0] * 10})
    long = pl.DataFrame({"error": [1.0] * 10})
    band = estimation.band_from_backtests((2.0, short), (10.0, long))
    assert band.at(1.0) == band.at(10.0) == 3.0


@pytest.fixture(scope="module")
def inputs() -> population.EstimationInputs:
    result = population.estimation_inputs()
    assert result is not None, "Zensus 2011 and Statistik BW must ship in data/raw"
    return result


def test_backtest_fits_without_the_values_it_predicts(inputs: population.EstimationInputs
                                                      ) -> None:
    """Perturbing the official values of one Kreis leaves that Kreis' predictions unchanged
    (and changes other Kreise' predictions: the perturbation does reach the fit)."""
    panel = (
        inputs.backtest_a.select("ags", "kreis", "actual")
        .join(inputs.anchors.filter(pl.col("reference_date") == population.ZENSUS2022_DATE)
              .select("ags", pl.col("share").alias("s0"), "size"), on="ags")
    )
    kcols = {
        k: (estimation.kreis_at(inputs.kreis_series, k, population.ZENSUS2022_DATE),
            estimation.kreis_at(inputs.kreis_series, k, population.STATISTIK_BW_POSITION))
        for k in panel.get_column("kreis").unique()
    }
    panel = panel.with_columns(
        pl.col("kreis").replace_strict({k: v[0] for k, v in kcols.items()}).alias("k0"),
        pl.col("kreis").replace_strict({k: v[1] for k, v in kcols.items()}).alias("k1"),
    )
    kwargs = {"k_anchor": "k0", "k_target": "k1", "k_baseline_anchor": "k0"}
    before = estimation.backtest(panel, **kwargs)
    perturbed = panel.with_columns(
        pl.when(pl.col("kreis") == "08118").then(pl.col("actual") + 7.0)
        .otherwise(pl.col("actual")).alias("actual"))
    after = estimation.backtest(perturbed, **kwargs)
    mine = pl.col("kreis") == "08118"
    assert np.allclose(before.filter(mine).get_column("predicted").to_numpy(),
                       after.filter(mine).get_column("predicted").to_numpy())
    assert not np.allclose(before.filter(~mine).get_column("predicted").to_numpy(),
                           after.filter(~mine).get_column("predicted").to_numpy())


def test_backtest_beats_the_naive_baseline_and_the_band_covers_90_percent(
    inputs: population.EstimationInputs,
) -> None:
    for horizon, result in ((inputs.horizon_a, inputs.backtest_a),
                            (inputs.horizon_b, inputs.backtest_b)):
        assert result.height > 1000  # ≈ 1 086 BW municipalities with all points
        model = estimation.error_summary(result)
        baseline = estimation.error_summary(result, "baseline_error")
        assert model["mae"] < baseline["mae"]
        covered = (result.get_column("error").abs() <= inputs.band.at(horizon) + 1e-9).mean()
        assert covered >= 0.9


def test_every_bw_kreis_sums_to_its_kreis_value_in_every_year(
    inputs: population.EstimationInputs,
) -> None:
    days = [D(y, 12, 31) for y in range(2011, 2026)]
    weights = {day: dict(zip(part.get_column("ags"), part.get_column("population"),
                             strict=True))
               for (day,), part in inputs.weights.group_by(["reference_date"])}
    checked = 0
    for kreis in inputs.anchors.get_column("kreis").unique().sort():
        anchors = inputs.anchors.filter(pl.col("kreis") == kreis)
        est = estimation.estimate(anchors, inputs.kreis_series, inputs.weights, days,
                                  inputs.extrapolation, inputs.band)
        for (day,), part in est.group_by(["reference_date"]):
            fixed = anchors.filter(pl.col("reference_date") == day)
            both = pl.concat([part.select("ags", "share"), fixed.select("ags", "share")])
            w = np.array([weights[day][a] for a in both.get_column("ags")])
            mean = float(np.sum(w * both.get_column("share").to_numpy()) / w.sum())
            assert mean == pytest.approx(
                estimation.kreis_at(inputs.kreis_series, kreis, day), abs=1e-9), (kreis, day)
            checked += 1
    assert checked > 44 * 12  # every BW Kreis, every estimated year


def test_estimates_agree_with_every_official_point_of_08118() -> None:
    pop = population.load_population()
    est = pop.filter(pl.col("source") == "schaetzung_zensus_regionalatlas")
    official = pop.filter(pl.col("source").is_in(["zensus2011", "zensus2022", "statistik_bw"])
                          & (pl.col("level") == "Gemeinde"))
    # No estimate on an official municipal date: the official value is the value.
    clash = est.join(official.select("ags", "reference_date"), on=["ags", "reference_date"])
    assert clash.height == 0
    assert est.get_column("ags").n_unique() == 39
    assert est.get_column("band").null_count() == 0
    # Interpolated years lie between the neighbouring anchors' relative positions: the first
    # estimate after Zensus 2011 starts from the census share scaled by the Kreis change.
    sachsenheim = est.filter(pl.col("ags") == "08118076").sort("reference_date")
    assert sachsenheim.get_column("reference_date")[0] == D(2011, 12, 31)
    assert sachsenheim.filter(pl.col("reference_date") < population.ZENSUS2022_DATE
                              ).get_column("basis").unique().to_list() == ["Zensus 2011"]
    assert sachsenheim.filter(pl.col("reference_date") > population.ZENSUS2022_DATE
                              ).get_column("basis").unique().to_list() == ["Zensus 2022"]


def test_estimated_counts_only_on_the_same_population_basis() -> None:
    pop = population.load_population()
    est = pop.filter(pl.col("source") == "schaetzung_zensus_regionalatlas")
    # Zensus-2022-based shares are never multiplied by GV-ISys totals (Zensus-2011 basis).
    assert est.filter((pl.col("basis") == "Zensus 2022")
                      & pl.col("foreigners").is_not_null()).height == 0
    with_counts = est.filter(pl.col("foreigners").is_not_null())
    gv = pop.filter(pl.col("source") == "gv_isys").select("ags", "reference_date",
                                                          pl.col("population").alias("gv"))
    joined = with_counts.join(gv, on=["ags", "reference_date"])
    assert joined.height == with_counts.height > 0
    assert (joined.get_column("population") == joined.get_column("gv")).all()


def test_official_golden_values() -> None:
    pop = population.load_population()

    def one(source: str, ags: str) -> dict:
        rows = pop.filter((pl.col("source") == source) & (pl.col("ags") == ags))
        assert rows.height == 1, (source, ags)
        return rows.row(0, named=True)

    kreis = one("zensus2011", "08118")
    assert (kreis["foreigners"], kreis["population"]) == (69_623, 509_871)
    assert kreis["reference_date"] == D(2011, 5, 9)
    sachsenheim = one("zensus2011", "08118076")
    assert (sachsenheim["foreigners"], sachsenheim["population"]) == (2_024, 17_178)
    assert one("statistik_bw", "08118076")["share"] == pytest.approx(18.6)
    assert one("statistik_bw", "08118048")["share"] == pytest.approx(24.2)
    zensus_kreis = one("zensus2022", "08118")
    assert (zensus_kreis["foreigners"], zensus_kreis["population"]) == (97_824, 528_576)
    assert zensus_kreis["status"] == "amtlich"
    # Statistik BW gives no Stichtag: shown as "Stand 2025", never as a date.
    assert population.citation("statistik_bw", D(2024, 12, 31)).endswith("Stand 2025")
