"""Benchmark: all German municipalities – load, validate, share, rank within Kreis, gap to Kreis.

Ours = the package: ``load_zensus_flat`` + ``load_gerda_census`` (polars, vectorised checks
that report file/row/column/value) and ``metrics.rank_and_gap_by_kreis``.
Naive = what a typical analyst script does with pandas: ``read_csv``, a per-row validation
loop (``iterrows``), merge, ``groupby`` sums and ranks. Both compute the same table (checked
before timing), in this process, alternating, several repetitions; medians and ratio printed.

Also: ``load_population()`` for Landkreis Ludwigsburg cold (Excel parsing), from the parquet
cache under ``var/cache`` (what a fresh kernel/CLI call pays) and warm (in-process cache).

    .venv/bin/python bench/bench_population.py            # 5 repetitions
    .venv/bin/python bench/bench_population.py --repeat 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _record import write_result

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
ZENSUS = RAW / "zensus2022" / "1000A-0000_de_flat.csv"
GERDA = RAW / "gerda" / "gerda_census_2022_municipalities.csv"


def ours():
    import polars as pl

    from workbench import metrics
    from workbench.loaders.gerda import load_gerda_census
    from workbench.loaders.zensus import load_zensus_flat

    zensus = load_zensus_flat(ZENSUS)
    gerda = load_gerda_census(GERDA).select("ags", pl.col("share_foreign").alias("share"))
    return metrics.rank_and_gap_by_kreis(zensus.join(gerda, on="ags", how="left"))


def naive():
    """Typical pandas analyst code: read, validate row by row, merge, groupby."""
    import pandas as pd

    raw = pd.read_csv(ZENSUS, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = []
    for line, row in raw.iterrows():
        if row["1_variable_code"] != "GEOGM4":
            continue  # the Germany total row
        ars = row["1_variable_attribute_code"]
        if len(ars) != 12 or not ars.isdigit():
            raise ValueError(f"Zeile {line + 2}: ARS {ars!r} hat nicht 12 Ziffern")
        if not row["value"].isdigit():
            raise ValueError(f"Zeile {line + 2}: Einwohner {row['value']!r} ist keine Zahl")
        if row["time"] != "2022-05-15":
            raise ValueError(f"Zeile {line + 2}: Stichtag {row['time']!r}")
        rows.append({"ags": ars[:5] + ars[9:], "population": int(row["value"])})
    zensus = pd.DataFrame(rows)

    gerda = pd.read_csv(GERDA, dtype={"ags": str})
    for line, row in gerda.iterrows():
        if len(row["ags"]) != 8 or not row["ags"].isdigit():
            raise ValueError(f"Zeile {line + 2}: AGS {row['ags']!r}")
        share = row["share_foreign_census22"]
        if not pd.isna(share) and not 0 <= share <= 100:
            raise ValueError(f"Zeile {line + 2}: Anteil {share!r}")
    gerda = gerda[["ags", "share_foreign_census22"]].rename(
        columns={"share_foreign_census22": "share"})

    df = zensus.merge(gerda, on="ags", how="left")
    df["kreis"] = df["ags"].str[:5]
    df["foreigners"] = (df["population"] * df["share"] / 100).round()
    df["pop_with_share"] = df["population"].where(df["share"].notna())
    sums = df.groupby("kreis")[["foreigners", "pop_with_share"]].sum()
    kreis_share = (100 * sums["foreigners"] / sums["pop_with_share"]).rename("kreis_share")
    df = df.join(kreis_share, on="kreis")
    df["rank"] = df.groupby("kreis")["share"].rank(ascending=False, method="min")
    df["gap_kreis"] = df["share"] - df["kreis_share"]
    return df


def same_result(a, b) -> None:
    """Both approaches give the same ranks and gaps for every municipality."""
    import polars as pl

    left = a.select("ags", "rank", "gap_kreis", "kreis_share").sort("ags")
    cols = ["ags", "rank", "gap_kreis", "kreis_share"]
    right = pl.DataFrame({c: b[c].tolist() for c in cols}).with_columns(
        pl.col(pl.Float64).fill_nan(None)).sort("ags")
    assert left.height == right.height == 10_786, (left.height, right.height)
    assert left["rank"].cast(pl.Float64).fill_null(-1).to_list() == \
        right["rank"].fill_null(-1).to_list()
    diff = (left["gap_kreis"] - right["gap_kreis"]).abs().max()
    assert diff is None or diff < 1e-9, diff


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def bench_population_cache(repeat: int) -> dict[str, float]:
    import subprocess
    import sys

    from workbench import population

    cache = Path(tempfile.mkdtemp(prefix="bench-popcache-"))
    env = {**os.environ, "WORKBENCH_CACHE_DIR": str(cache)}
    code = ("import time; t = time.perf_counter(); from workbench.population import "
            "load_population; load_population(); print(time.perf_counter() - t)")

    def fresh_process(use_cache: bool) -> float:
        run_env = env if use_cache else {**env, "WORKBENCH_POPULATION_CACHE": "0"}
        out = subprocess.run([sys.executable, "-c", code], env=run_env, check=True,
                             capture_output=True, text=True)
        return float(out.stdout.strip())

    cold = [fresh_process(False) for _ in range(max(3, repeat // 2))]
    fresh_process(True)  # fills the parquet cache
    cached = [fresh_process(True) for _ in range(repeat)]
    population.load_population()
    warm = timed(population.load_population, repeat)
    print("\nload_population() Landkreis Ludwigsburg (fresh process, import included):")
    print(f"  without cache (Excel/CSV parsing): median {statistics.median(cold):6.2f} s")
    print(f"  parquet cache under var/cache:      median {statistics.median(cached):6.2f} s")
    print(f"  in-process cache (second call):     median {statistics.median(warm) * 1e3:6.2f} ms")
    print(f"  ratio without cache / parquet cache: "
          f"{statistics.median(cold) / statistics.median(cached):.1f}×")
    return {"cold": statistics.median(cold), "cached": statistics.median(cached),
            "warm": statistics.median(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-cache", action="store_true",
                        help="nur den Vergleich polars/pandas messen")
    args = parser.parse_args()

    same_result(ours(), naive())  # also warms imports and the OS file cache for both
    ours_t, naive_t = [], []
    for _ in range(args.repeat):  # alternate so machine load hits both alike
        ours_t += timed(ours, 1)
        naive_t += timed(naive, 1)
    o, n = statistics.median(ours_t), statistics.median(naive_t)
    print("All German municipalities (10.786): load + validate + share, rank and gap per Kreis")
    print(f"  ours  (polars, workbench loaders + metrics): median {o * 1e3:8.1f} ms "
          f"(min {min(ours_t) * 1e3:.1f}, {args.repeat} runs)")
    print(f"  naive (pandas, per-row validation loop):     median {n * 1e3:8.1f} ms "
          f"(min {min(naive_t) * 1e3:.1f}, {args.repeat} runs)")
    print(f"  ratio naive / ours: {n / o:.1f}×")
    timings = {"10.786 Gemeinden: workbench (polars)": o,
               "10.786 Gemeinden: naiv (pandas, Prüfschleife je Zeile)": n}
    ratios = {"10.786 Gemeinden: naiv ÷ workbench": n / o}
    if not args.skip_cache:
        cache = bench_population_cache(args.repeat)
        timings |= {
            "load_population() ohne Zwischenspeicher (neuer Prozess)": cache["cold"],
            "load_population() aus dem Parquet-Zwischenspeicher (neuer Prozess)": cache["cached"],
            "load_population() zweiter Aufruf im selben Prozess": cache["warm"],
        }
        ratios["load_population(): ohne ÷ mit Parquet-Zwischenspeicher"] = (
            cache["cold"] / cache["cached"])
    write_result("bench_population", statistic=f"Median aus {args.repeat} Läufen",
                 title="Alle deutschen Gemeinden laden, prüfen, Anteil, Rang und Abstand im Kreis; "
                       "Bevölkerungsmodell des Landkreises laden",
                 timings=timings, ratios=ratios)


if __name__ == "__main__":
    main()
