"""The estimated municipal shares: Baden-Württemberg-wide inputs (anchors, Kreis series,
fitted extrapolation, uncertainty band) and the rows for one Kreis (method in
:mod:`workbench.estimation`, pure functions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench import estimation, paths
from workbench.cache import input_keyed_cache
from workbench.population.files import InputFiles, all_files, input_files
from workbench.population.schema import (
    BASIS_Z2011,
    BASIS_Z2022,
    ESTIMATED,
    SCHEMA,
    STATISTIK_BW_POSITION,
    ZENSUS2011_DATE,
    ZENSUS2022_DATE,
    to_schema,
)
from workbench.population.sources import fortschreibung_rows, zensus2022_counts
from workbench.region import (
    KREIS_AGS,
    KREIS_NAME,
    LAND_AGS,
    load_gv,
)


@dataclass(frozen=True)
class EstimationInputs:
    """Baden-Württemberg-wide inputs and fitted parts of the municipal estimate.

    ``anchors`` / ``kreis_series`` / ``weights`` in the schemas of
    :mod:`workbench.estimation`; ``backtest_a`` predicts Statistik BW (Stand 2025) from
    Zensus 2022, ``backtest_b`` Zensus 2022 from Zensus 2011 (both leave one Kreis out).
    """

    anchors: pl.DataFrame
    kreis_series: pl.DataFrame
    weights: pl.DataFrame
    extrapolation: Any
    band: Any
    backtest_a: pl.DataFrame
    backtest_b: pl.DataFrame
    horizon_a: float
    horizon_b: float


def _interpolated_weights(points: pl.DataFrame, days: list[dt.date]) -> pl.DataFrame:
    """Populations per municipality at ``days``, linear between the given dates."""
    import numpy as np  # only when the model is built, never in a dashboard kernel

    out = []
    for (ags,), part in points.sort("reference_date").group_by(["ags"], maintain_order=True):
        xs = [(d - dt.date(1970, 1, 1)).days for d in part.get_column("reference_date")]
        ys = part.get_column("population").cast(pl.Float64).to_list()
        for day in days:
            x = (day - dt.date(1970, 1, 1)).days
            out.append({"ags": ags, "reference_date": day,
                        "population": float(np.interp(x, xs, ys))})
    return pl.DataFrame(out, schema=estimation.WEIGHT_SCHEMA)


def estimation_inputs(data_dir: Path | str | None = None) -> EstimationInputs | None:
    """The BW-wide estimation inputs for the data directory (None without the anchor files)."""
    root = Path(data_dir).resolve() if data_dir else paths.data_dir()
    files = input_files(root)
    return estimation_inputs_cached(files)


def _censuses(files: InputFiles, land: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Zensus 2011 (all rows of the Land; municipalities ``ags, p11, s11``) and Zensus 2022
    (municipalities ``ags, p22, s22``) of the Land."""
    from workbench.loaders.gerda import load_gerda_census
    from workbench.loaders.regionaldatenbank import load_zensus2011_gemeinden
    from workbench.loaders.zensus import load_zensus_flat

    gemeinde = pl.col("ags").str.len_chars() == 8
    z11_all = load_zensus2011_gemeinden(files.zensus2011).filter(
        pl.col("ags").str.starts_with(land))
    # A municipality without residents (Gutsbezirk Münsingen in 2011) has no share.
    z11 = z11_all.filter(gemeinde & (pl.col("population") > 0)).select(
        "ags", pl.col("population").alias("p11"),
        (100.0 * pl.col("foreigners") / pl.col("population")).alias("s11"),
    )
    z22 = (
        load_zensus_flat(files.zensus).filter(gemeinde & pl.col("ags").str.starts_with(land))
        .select("ags", pl.col("population").alias("p22"))
        .join(load_gerda_census(files.gerda).select("ags", pl.col("share_foreign").alias("s22")),
              on="ags", how="left")
    )
    return z11_all, z11, z22


def _sizes(z11: pl.DataFrame, z22: pl.DataFrame) -> pl.DataFrame:
    """Size of a municipality for the estimate's weights and size classes: Zensus 2022
    population, else Zensus 2011."""
    size = z22.select("ags", "p22").join(z11.select("ags", "p11"), on="ags", how="full",
                                         coalesce=True)
    return size.select("ags", pl.coalesce("p22", "p11").cast(pl.Float64).alias("size"))


def zensus2022_shares(data_dir: Path | str | None = None) -> pl.DataFrame | None:
    """Zensus 2022 share of foreigners of every municipality of Baden-Württemberg with its
    Kreis and size (``ags, kreis, reference_date, share, size``): exactly the Zensus 2022 rows
    of ``estimation_inputs().anchors``, without building the whole estimate (which parses
    every GV-ISys workbook – ~15 s in a fresh report worker). None where
    :func:`estimation_inputs` is None."""
    root = Path(data_dir).resolve() if data_dir else paths.data_dir()
    return _zensus2022_shares(input_files(root))


@input_keyed_cache(lambda files: [files.zensus, files.gerda, files.zensus2011,
                                  files.statistik_bw], maxsize=2)
def _zensus2022_shares(files: InputFiles) -> pl.DataFrame | None:
    if files.zensus2011 is None or files.statistik_bw is None:
        return None
    _, z11, z22 = _censuses(files, LAND_AGS)
    return (
        z22.filter(pl.col("s22").is_not_null())
        .select("ags", pl.lit(ZENSUS2022_DATE).alias("reference_date"),
                pl.col("s22").alias("share"))
        .with_columns(pl.col("ags").str.slice(0, 5).alias("kreis"))
        .join(_sizes(z11, z22), on="ags", how="left")
        .select(*estimation.ANCHOR_SCHEMA).cast(estimation.ANCHOR_SCHEMA)
    )


@input_keyed_cache(all_files, maxsize=2)
def estimation_inputs_cached(files: InputFiles) -> EstimationInputs | None:
    if files.zensus2011 is None or files.statistik_bw is None:
        return None
    from workbench.loaders.regionalatlas import load_regionalatlas_timeseries
    from workbench.loaders.statistik_bw import load_statistik_bw_shares

    land = LAND_AGS
    z11_all, z11, z22 = _censuses(files, land)
    k11 = z11_all.filter(pl.col("ags").str.len_chars() == 5).select(
        pl.col("ags").alias("kreis"),
        (100.0 * pl.col("foreigners") / pl.col("population")).alias("k11"),
    )
    counts = zensus2022_counts(files.zensus2022_counts)
    kreis_col = pl.col("ags").str.slice(0, 5).alias("kreis")
    k22 = (
        z22.filter(pl.col("s22").is_not_null()).with_columns(kreis_col).group_by("kreis")
        .agg(((pl.col("p22") * pl.col("s22")).sum() / pl.col("p22").sum()).alias("k22"),
             pl.len().alias("n"))
    )
    if counts is not None:  # exact Kreis values where every municipality's count is known
        exact = counts.with_columns(kreis_col).group_by("kreis").agg(
            (100.0 * pl.col("foreigners").sum() / pl.col("population").sum()).alias("k22x"))
        k22 = k22.join(exact, on="kreis", how="left").with_columns(
            pl.coalesce("k22x", "k22").alias("k22")).drop("k22x")
    s25 = load_statistik_bw_shares(files.statistik_bw).filter(
        pl.col("ags").str.starts_with(land) & pl.col("share").is_not_null()
    ).select("ags", pl.col("share").alias("s25"))
    ra = load_regionalatlas_timeseries(files.regionalatlas).filter(
        (pl.col("ags").str.len_chars() == 5) & pl.col("share").is_not_null()
    ).select(pl.col("ags").alias("kreis"), "reference_date", "share")

    kreis_parts = [
        ra,
        k11.select("kreis", pl.lit(ZENSUS2011_DATE).alias("reference_date"),
                   pl.col("k11").alias("share")),
        k22.select("kreis", pl.lit(ZENSUS2022_DATE).alias("reference_date"),
                   pl.col("k22").alias("share")),
    ]
    if files.azr is not None:
        fs = fortschreibung_rows(files.azr, KREIS_AGS, {KREIS_AGS: KREIS_NAME})
        kreis_parts.append(fs.select(pl.col("ags").alias("kreis"), "reference_date", "share"))
    kreis_series = pl.concat(
        [p.cast(estimation.KREIS_SCHEMA) for p in kreis_parts]
    ).unique(subset=["kreis", "reference_date"], keep="first").sort("kreis", "reference_date")

    size = _sizes(z11, z22)
    anchors = pl.concat([
        z11.select("ags", pl.lit(ZENSUS2011_DATE).alias("reference_date"),
                   pl.col("s11").alias("share")),
        z22.filter(pl.col("s22").is_not_null()).select(
            "ags", pl.lit(ZENSUS2022_DATE).alias("reference_date"), pl.col("s22").alias("share")),
        s25.select("ags", pl.lit(STATISTIK_BW_POSITION).alias("reference_date"),
                   pl.col("s25").alias("share")),
    ]).with_columns(kreis_col).join(size, on="ags", how="left").select(
        *estimation.ANCHOR_SCHEMA).cast(estimation.ANCHOR_SCHEMA)

    # Weights of the same basis as the Kreis share of each date: GV-ISys (Zensus-2011 basis,
    # linear between its dates) up to 2021, Zensus 2022 populations from 2022 on.
    last_year = kreis_series.get_column("reference_date").max().year
    days = [dt.date(y, 12, 31) for y in range(2011, last_year + 1)]
    gv_points = [z11.select("ags", pl.lit(ZENSUS2011_DATE).alias("reference_date"),
                            pl.col("p11").alias("population"))]
    for path in files.gv:
        gv = load_gv(path).filter(
            (pl.col("satzart") == "60") & pl.col("ags").str.starts_with(land))
        day = gv.get_column("reference_date").max()
        if ZENSUS2011_DATE < day < ZENSUS2022_DATE:
            gv_points.append(gv.select("ags", "reference_date", "population"))
    points = pl.concat([p.cast({"population": pl.Int64}) for p in gv_points]).unique(
        subset=["ags", "reference_date"], keep="first")
    old = _interpolated_weights(points, [d for d in days if d < ZENSUS2022_DATE])
    new = pl.DataFrame(
        [{"ags": a, "reference_date": d, "population": float(p)}
         for a, p in z22.select("ags", "p22").iter_rows() for d in days if d >= ZENSUS2022_DATE],
        schema=estimation.WEIGHT_SCHEMA,
    )
    weights = pl.concat([old, new])

    def at(kreis: str, day: dt.date, series: pl.DataFrame = kreis_series) -> float | None:
        return estimation.kreis_at(series, kreis, day)

    kreise = kreis_series.get_column("kreis").unique().to_list()
    kcols = pl.DataFrame({
        "kreis": kreise,
        "k11": [at(k, ZENSUS2011_DATE) for k in kreise],
        "k22c": [at(k, ZENSUS2022_DATE) for k in kreise],
        "ra2011": [at(k, dt.date(2011, 12, 31)) for k in kreise],
        "ra2022": [at(k, dt.date(2022, 12, 31)) for k in kreise],
        "ra2024": [at(k, STATISTIK_BW_POSITION) for k in kreise],
        # The Kreis series as it was known before the census 2022 results: Regionalatlas only.
        "ra_at_z22": [estimation.kreis_at(ra, k, ZENSUS2022_DATE) for k in kreise],
    }, schema_overrides={c: pl.Float64 for c in ("k11", "k22c", "ra2011", "ra2022", "ra2024",
                                                  "ra_at_z22")})
    panel = (
        z22.join(z11, on="ags", how="left").join(s25, on="ags", how="left")
        .with_columns(kreis_col).join(kcols, on="kreis", how="inner")
    )
    panel_a = panel.select("ags", "kreis", pl.col("s22").alias("s0"), pl.col("s25").alias("actual"),
                           pl.col("p22").cast(pl.Float64).alias("size"), "k22c", "ra2024",
                           "ra2022")
    panel_b = panel.select("ags", "kreis", pl.col("s11").alias("s0"), pl.col("s22").alias("actual"),
                           pl.col("p11").cast(pl.Float64).alias("size"), "k11", "ra_at_z22",
                           "ra2011")
    backtest_a = estimation.backtest(panel_a, k_anchor="k22c", k_target="ra2024",
                                     k_baseline_anchor="ra2022", rake_weights="size")
    backtest_b = estimation.backtest(panel_b, k_anchor="k11", k_target="ra_at_z22",
                                     k_baseline_anchor="ra2011", rake_weights="size")
    horizon_a = estimation.years_between(ZENSUS2022_DATE, STATISTIK_BW_POSITION)
    horizon_b = estimation.years_between(ZENSUS2011_DATE, ZENSUS2022_DATE)
    fit_rows = panel_a.drop_nulls()
    extrapolation = estimation.fit_extrapolation(
        fit_rows.get_column("s0"), fit_rows.get_column("actual"), fit_rows.get_column("k22c"),
        fit_rows.get_column("ra2024"), fit_rows.get_column("size"))
    band = estimation.band_from_backtests((horizon_a, backtest_a), (horizon_b, backtest_b))
    return EstimationInputs(anchors, kreis_series, weights, extrapolation, band, backtest_a,
                            backtest_b, horizon_a, horizon_b)


def estimate_rows(
    inputs: EstimationInputs, kreis: str, names: dict[str, str], user: pl.DataFrame | None,
    gv: pl.DataFrame,
) -> pl.DataFrame:
    """Estimated yearly shares (31.12.) of the Kreis' municipalities, with band and basis."""
    anchors = inputs.anchors.filter(pl.col("kreis") == kreis)
    if anchors.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    if user is not None and user.height:
        sizes = anchors.group_by("ags").agg(pl.col("size").max())
        extra = user.filter(pl.col("share").is_not_null()).select(
            "ags", pl.lit(kreis).alias("kreis"), "reference_date", "share"
        ).join(sizes, on="ags", how="left").cast(estimation.ANCHOR_SCHEMA)
        anchors = pl.concat([anchors.join(extra.select("ags", "reference_date"),
                                          on=["ags", "reference_date"], how="anti"), extra])
    series = inputs.kreis_series.filter(pl.col("kreis") == kreis)
    last = series.get_column("reference_date").max().year
    days = [dt.date(y, 12, 31) for y in range(2011, last + 1)]
    est = estimation.estimate(anchors, series, inputs.weights, days, inputs.extrapolation,
                              inputs.band)
    # Counts only where a population of the same basis exists for that very date
    # (GV-ISys on the Zensus-2011 basis up to 2021); never Zensus-2022 shares × old totals.
    same_basis = gv.filter(pl.col("reference_date") < ZENSUS2022_DATE).select(
        "ags", "reference_date", pl.col("population").alias("gv_population"))
    rows = est.join(same_basis, on=["ags", "reference_date"], how="left")
    return to_schema(
        rows.select(
            pl.lit("Gemeinde").alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=pl.col("ags")).alias("name"),
            "reference_date",
            pl.col("gv_population").alias("population"),
            (pl.col("gv_population") * pl.col("share") / 100).round(0).cast(pl.Int64)
            .alias("foreigners"),
            "share",
            pl.lit("schaetzung_zensus_regionalatlas").alias("source"),
            pl.lit(ESTIMATED).alias("status"),
            pl.when(pl.col("reference_date") < ZENSUS2022_DATE).then(pl.lit(BASIS_Z2011))
            .otherwise(pl.lit(BASIS_Z2022)).alias("basis"),
            "band",
        )
    ).sort("ags", "reference_date")
