"""Backtest of the municipal estimate against later official values (issue 9).

    .venv/bin/python bench/bench_backtest.py

For every Baden-Württemberg municipality with all official points:

(a) predict Statistik BW „Stand 2025“ (placed on 31.12.2024) from Zensus 2011 + Zensus 2022 +
    the Kreis series (Regionalatlas),
(b) predict Zensus 2022 from Zensus 2011 + the Kreis series as known before the census
    (Regionalatlas only).

The model's coefficients for a municipality are fitted on all *other* Kreise (leave one Kreis
out). Baseline, in the same run: "carry the last census share with the Kreis trend"
(``share_census × Kreis(target) / Kreis(census year, Regionalatlas)``), plus the method of the
previous release for (a) (Kreis value interpolated to the census day). Prints MAE, bias,
90th percentile and the worst five, for Kreis 08118 and all of BW, and the band shown to users
with its coverage of the backtest errors. Accuracy, not speed: the numbers are deterministic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import polars as pl

from workbench import estimation, population
from workbench.formatting import fmt_number

TARGET_IMPROVEMENT = 0.25  # MAE at least 25 % below the baseline on (a)
COVERAGE_TARGET = 0.90


def _row(label: str, summary: dict[str, float]) -> str:
    return (f"  {label:<44} n={summary['n']:>5}  MAE {fmt_number(summary['mae'], 2):>5}  "
            f"Bias {fmt_number(summary['bias'], 2):>6}  P90 {fmt_number(summary['p90'], 2):>5}")


def _previous_release(inputs: population.EstimationInputs) -> pl.DataFrame:
    """(a) with the previous method: census share × Kreis(2024) / Kreis interpolated to census."""
    ra = inputs.kreis_series.filter(
        ~pl.col("reference_date").is_in([population.ZENSUS2011_DATE, population.ZENSUS2022_DATE])
    )
    result = inputs.backtest_a
    anchors = inputs.anchors.filter(pl.col("reference_date") == population.ZENSUS2022_DATE)
    joined = result.join(anchors.select("ags", pl.col("share").alias("s22")), on="ags")
    kreise = joined.get_column("kreis").unique().to_list()
    factor = {k: estimation.kreis_at(ra, k, population.STATISTIK_BW_POSITION)
              / estimation.kreis_at(ra, k, population.ZENSUS2022_DATE) for k in kreise}
    return joined.with_columns(
        (pl.col("s22") * pl.col("kreis").replace_strict(factor) - pl.col("actual"))
        .alias("previous_error")
    )


def report(name: str, result: pl.DataFrame, horizon: float, band: estimation.Band,
           extra: list[tuple[str, pl.DataFrame, str]] = ()) -> dict[str, float]:
    print(f"\n{name} (Abstand {fmt_number(horizon, 1)} Jahre)")
    out = {}
    areas = (("Landkreis Ludwigsburg (08118)", result.filter(pl.col("kreis") == "08118")),
             ("Baden-Württemberg", result))
    for area, frame in areas:
        print(f" {area}")
        model = estimation.error_summary(frame)
        base = estimation.error_summary(frame, "baseline_error")
        print(_row("Modell v2 (ohne eigenen Kreis angepasst)", model))
        print(_row("Basis: letzter Zensuswert × Kreistrend", base))
        for label, other, column in extra:
            part = other.filter(pl.col("ags").is_in(frame.get_column("ags").to_list()))
            print(_row(label, estimation.error_summary(part, column)))
        out[area] = {"model": model["mae"], "baseline": base["mae"]}
        if area == "Baden-Württemberg":
            width = band.at(horizon)
            covered = float((frame.get_column("error").abs() <= width + 1e-9).mean())
            print(f"  Band ± {fmt_number(width, 1)} Prozentpunkte deckt "
                  f"{fmt_number(100 * covered, 1)} % der Abweichungen")
            out["coverage"] = covered
            worst = frame.with_columns(pl.col("error").abs().alias("abs")).sort(
                "abs", descending=True).head(5)
            print("  größte Abweichungen (AGS: Schätzung / amtlich):")
            for row in worst.iter_rows(named=True):
                print(f"    {row['ags']}: {fmt_number(row['predicted'], 1)} / "
                      f"{fmt_number(row['actual'], 1)} ({fmt_number(row['error'], 2)})")
    return out


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    inputs = population.estimation_inputs()
    if inputs is None:
        print("Zensus 2011 oder Statistik BW fehlen in data/raw – kein Backtest möglich.")
        return 1
    print(f"Backtest Ausländeranteil je Gemeinde, {dt.date.today():%d.%m.%Y}")
    print(f"Fortschreibungsregel: {inputs.extrapolation}")
    a = report("(a) Statistik BW Stand 2025 aus Zensus 2022", inputs.backtest_a, inputs.horizon_a,
               inputs.band, [("Vorversion (Kreiswert zum Zensustag interpoliert)",
                              _previous_release(inputs), "previous_error")])
    b = report("(b) Zensus 2022 aus Zensus 2011", inputs.backtest_b, inputs.horizon_b, inputs.band)
    bw = a["Baden-Württemberg"]
    improvement = 1 - bw["model"] / bw["baseline"]
    met = improvement >= TARGET_IMPROVEMENT
    covered = min(a["coverage"], b["coverage"]) >= COVERAGE_TARGET
    print(f"\nZiel (a): MAE mindestens {TARGET_IMPROVEMENT:.0%} unter der Basis – erreicht "
          f"{fmt_number(100 * improvement, 1)} %: {'ja' if met else 'NEIN'}")
    print(f"Ziel Band: deckt ≥ {COVERAGE_TARGET:.0%} der Abweichungen – "
          f"{'ja' if covered else 'NEIN'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
