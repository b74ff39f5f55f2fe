"""Benchmark: indicator status for all 39 municipalities — one pass vs per-indicator filtering.

Naive = what a notebook loop does: for every indicator, ``observations.filter(träger &
indicator)`` and then assess. Ours = ``workbench.progress.indicator_progress`` (observations
grouped by key once, then the same assessment per indicator). Both produce the same frame
(checked). Data: the template catalogue instantiated for 39 synthetic Träger (ids t001…t039,
about 8 indicators each) with half-year example values 2025–2029 from ``workbench.examples``.

    .venv/bin/python bench/bench_progress.py            # 39 Träger
    .venv/bin/python bench/bench_progress.py --traeger 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import polars as pl
from _record import write_result

from workbench import catalogue as cat
from workbench import examples as ex
from workbench import progress as pr


def build(n: int) -> tuple[dict[str, cat.Catalogue], pl.DataFrame]:
    catalogues = {}
    for i in range(1, n + 1):
        tid = f"t{i:03d}"
        text = ex.example_catalogue_text("08118001", f"Gemeinde {i:03d}")
        text = text.replace(f"beispiel-gemeinde-{i:03d}", tid)
        catalogues[tid] = cat.parse_catalogue(text)
    obs = ex.generate_examples(dt.date(2029, 12, 31), catalogues)
    return catalogues, obs


def naive(
    catalogues: dict[str, cat.Catalogue], obs: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    # Same input columns as indicator_progress (catalogue targets, no stored Zielwerte).
    ind = pr.apply_targets(cat.indicators_frame(catalogues), None)
    results = []
    for row in ind.iter_rows(named=True):
        rows = obs.filter((pl.col("traeger_id") == row["traeger_id"])
                          & (pl.col("indicator_id") == row["indicator_id"])).to_dicts()
        results.append(pr.assess_indicator(row, rows, as_of))
    extra = pl.DataFrame(results, schema=pr.PROGRESS_COLUMNS, orient="row")
    return pl.concat([ind, extra], how="horizontal")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traeger", type=int, default=39)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    catalogues, obs = build(args.traeger)
    as_of = dt.date(2027, 6, 30)
    n_ind = cat.indicators_frame(catalogues).height
    print(f"{args.traeger} Träger, {n_ind} Indikatoren, {obs.height} Messwerte")

    def best(fn) -> tuple[float, pl.DataFrame]:
        times, out = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    t_naive, a = best(lambda: naive(catalogues, obs, as_of))
    t_ours, b = best(lambda: pr.indicator_progress(catalogues, obs, as_of))
    assert a.equals(b), "results differ"
    t_roll, _ = best(lambda: pr.rollup_handlungsfelder(b))
    print(f"naiv (Filter je Indikator): {t_naive * 1000:8.1f} ms")
    print(f"indicator_progress:         {t_ours * 1000:8.1f} ms   Faktor {t_naive / t_ours:.1f}")
    print(f"rollup_handlungsfelder:     {t_roll * 1000:8.1f} ms")
    write_result(
        "bench_progress", statistic=f"Bestwert aus {args.repeat} Läufen",
        title=f"Status von {n_ind} Indikatoren ({args.traeger} Träger, {obs.height} Messwerte)",
        timings={"naiv: Filter je Indikator in einer Schleife": t_naive,
                 "indicator_progress (ein Durchgang)": t_ours,
                 "rollup_handlungsfelder": t_roll},
        ratios={"naiv ÷ indicator_progress": t_naive / t_ours})


if __name__ == "__main__":
    main()
