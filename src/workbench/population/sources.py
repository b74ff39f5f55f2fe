"""One builder per source: raw file → rows in ``SCHEMA`` for one Kreis, its Land and its
municipalities. Each builder's output is checked by :func:`checked` before it joins the model
(like one OWID etl step per dataset with its own sanity checks)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from workbench.exceptions import DataValidationError, Problem
from workbench.population.schema import (
    BASIS_Z2011,
    BASIS_Z2022,
    ESTIMATED,
    OFFICIAL,
    SCHEMA,
    STATISTIK_BW_POSITION,
    published_source_key,
    to_schema,
    validate_population,
)
from workbench.region import (
    load_gv,
)


def checked(rows: pl.DataFrame, kreis: str, builder: str) -> pl.DataFrame:
    """Output check of one builder before its rows join the model.

    The input side is checked by the loaders (every cell, German problems with file, row and
    column); here: the model's columns and invariants (``validate_population``) and that the
    builder kept to its area – the Kreis, its municipalities and its Land. Raises
    ``DataValidationError`` naming the builder.
    """
    origin = f"Bevölkerungsmodell, Baustein {builder}"
    validate_population(rows, origin)
    land = kreis[:2]
    outside = rows.filter(~(pl.col("ags").str.starts_with(kreis) | (pl.col("ags") == land)))
    if outside.height:
        bad = outside.row(0, named=True)
        raise DataValidationError([Problem(
            origin, None, "ags", bad["ags"],
            f"nur Gebiete des Kreises {kreis}, seine Gemeinden und das Land {land}")])
    return rows


def gv_rows(files: tuple[Path, ...], names: dict[str, str], kreis: str) -> pl.DataFrame:
    """Gemeinde totals per 31.12., plus Kreis and Land totals summed from the Gemeinde rows.

    The extracts leave the population of the aggregate rows (Satzart 10/40) empty; the official
    Kreis/Land total is the sum of its municipalities (08118, 31.12.2023: 553.689).
    """
    frames: list[pl.DataFrame] = []
    seen_dates: set[dt.date] = set()
    seen_values: set[tuple] = set()
    land = kreis[:2]
    for path in files:
        gv = load_gv(path)
        in_land = gv.filter((pl.col("satzart") == "60") & pl.col("ags").str.starts_with(land))
        gemeinden = in_land.filter(pl.col("ags").str.starts_with(kreis)).sort("ags")
        date = gemeinden.get_column("reference_date").max()
        # The "aktuell" extract repeats the last Stichtag's population (new Gebietsstand only).
        fingerprint = tuple(gemeinden.get_column("population").to_list())
        if date in seen_dates or fingerprint in seen_values:
            continue
        seen_dates.add(date)
        seen_values.add(fingerprint)
        totals = pl.DataFrame(
            {
                "level": ["Kreis", "Land"],
                "ags": [kreis, land],
                "name": [names[kreis], names[land]],
                "reference_date": [date, date],
                "population": [gemeinden.get_column("population").sum(),
                               in_land.get_column("population").sum()],
            }
        )
        municipal = gemeinden.select(
            pl.lit("Gemeinde").alias("level"),
            "ags",
            # Municipalities dissolved since (e.g. Gutsbezirk Münsingen, 08415086, until 2010)
            # are missing from the current register: keep the name the extract itself gives.
            pl.col("ags").replace_strict(names, default=pl.col("name")).alias("name"),
            "reference_date",
            "population",
        )
        frames.append(
            pl.concat([municipal, totals], how="vertical_relaxed").with_columns(
                pl.lit("gv_isys").alias("source"), pl.lit(OFFICIAL).alias("status")
            )
        )
    return to_schema(pl.concat(frames))


def zensus2022_rows(
    zensus_path: Path, gerda_path: Path, names: dict[str, str], kreis: str,
    counts_path: Path | None = None,
) -> pl.DataFrame:
    from workbench.loaders.gerda import load_gerda_census
    from workbench.loaders.zensus import load_zensus_flat

    zensus = load_zensus_flat(zensus_path).select("ags", "population", "reference_date")
    gerda = load_gerda_census(gerda_path).select(
        "ags", pl.col("population").alias("population_gerda"), "share_foreign"
    )
    land = kreis[:2]
    joined = zensus.join(gerda, on="ags", how="left").filter(pl.col("ags").str.starts_with(land))
    counts = zensus2022_counts(counts_path)
    if counts is not None:
        joined = joined.join(
            counts.select("ags", pl.col("foreigners").alias("foreigners_count")),
            on="ags", how="left",
        )
    else:
        joined = joined.with_columns(pl.lit(None, dtype=pl.Int64).alias("foreigners_count"))
    gemeinden = joined.filter(pl.col("ags").str.starts_with(kreis))
    municipal = to_schema(
        gemeinden.select(
            pl.lit("Gemeinde").alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=None).alias("name"),
            "reference_date",
            "population",
            pl.col("foreigners_count").alias("foreigners"),
            pl.col("share_foreign").alias("share"),
            pl.lit("zensus2022").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
            pl.lit(BASIS_Z2022).alias("basis"),
        )
    )

    def aggregate(frame: pl.DataFrame, level: str, ags: str, name: str) -> pl.DataFrame:
        population = int(frame.get_column("population").sum())
        if frame.get_column("foreigners_count").null_count() == 0:
            # Exact official count for every municipality: the Kreis value is exact too.
            foreigners = int(frame.get_column("foreigners_count").sum())
            share, status = 100.0 * foreigners / population, OFFICIAL
        else:
            # From rounded municipal shares: computed, ±0,05 points. Municipalities whose share
            # is kept secret (BW 2022: one, 336 residents) are outside that base – said in
            # SOURCES["zensus2022"].concept, shown under every table citing it.
            known = frame.filter(pl.col("share_foreign").is_not_null())
            foreigners = int(
                (known.get_column("population") * known.get_column("share_foreign") / 100)
                .round(0).sum()
            )
            share, status = 100.0 * foreigners / known.get_column("population").sum(), ESTIMATED
        return to_schema(
            {
                "level": [level], "ags": [ags], "name": [name],
                "reference_date": [frame.get_column("reference_date").max()],
                "population": [population], "foreigners": [foreigners], "share": [share],
                "source": ["zensus2022"], "status": [status], "basis": [BASIS_Z2022],
            }
        )

    parts = [municipal, aggregate(gemeinden, "Kreis", kreis, names[kreis])]
    if joined.height > gemeinden.height:  # the full file covers the whole Land
        parts.append(aggregate(joined, "Land", land, names[land]))
    return pl.concat(parts)


def regionalatlas_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.regionalatlas import load_regionalatlas_timeseries

    ra = load_regionalatlas_timeseries(path).filter(
        pl.col("ags").is_in([kreis, kreis[:2]]) & pl.col("share").is_not_null()
    )
    return to_schema(
        ra.select(
            pl.when(pl.col("ags") == kreis).then(pl.lit("Kreis")).otherwise(pl.lit("Land"))
            .alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=None).alias("name"),
            "reference_date",
            "share",
            pl.lit("regionalatlas").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
        )
    )


def inkar_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.inkar import load_inkar_covariates

    inkar = load_inkar_covariates(path).filter(
        (pl.col("ags") == kreis) & pl.col("share_foreign").is_not_null()
    )
    return to_schema(
        inkar.select(
            pl.lit("Kreis").alias("level"),
            "ags",
            pl.lit(names[kreis]).alias("name"),
            "reference_date",
            pl.col("share_foreign").alias("share"),
            pl.lit("inkar").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
        )
    )


def regionalstatistik_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.regionalstatistik import load_12411_03_03_4

    counts = load_12411_03_03_4(path).filter(
        pl.col("ags").is_in([kreis, kreis[:2]]) & (pl.col("age_group") == "Insgesamt")
    )
    return to_schema(
        counts.select(
            pl.when(pl.col("ags") == kreis).then(pl.lit("Kreis")).otherwise(pl.lit("Land"))
            .alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=None).alias("name"),
            "reference_date",
            pl.col("total").alias("population"),
            "foreigners",
            (100.0 * pl.col("foreigners") / pl.col("total")).alias("share"),
            pl.lit("regionalstatistik2011").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
        )
    )


def published_rows(path: Path, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.published import load_published_figures

    published = load_published_figures(path).filter(
        (pl.col("share").is_not_null() | pl.col("population").is_not_null())
        & pl.col("ags").is_in(list(names))  # only areas of this model
    )
    return to_schema(
        published.select(
            "level",
            "ags",
            pl.col("ags").replace_strict(names, default=pl.col("name")).alias("name"),
            "reference_date",
            "population",
            "foreigners",
            # The published share is what was printed; recompute only where it is missing.
            pl.coalesce(
                "share",
                pl.when(pl.col("population") > 0)
                .then(100.0 * pl.col("foreigners") / pl.col("population")),
            ).alias("share"),
            pl.col("publisher")
            .map_elements(published_source_key, return_dtype=pl.String)
            .alias("source"),
            pl.lit(OFFICIAL).alias("status"),
        )
    )


def user_rows(files: tuple[Path, ...], names: dict[str, str],
              data_dir: Path | None = None) -> pl.DataFrame | None:
    """User series; their AGS are checked against the Zensus extract of ``data_dir``."""
    if not files:
        return None
    from workbench.loaders.municipal_series import load_municipal_series

    frames = [load_municipal_series(path, data_dir=data_dir) for path in files]
    series = pl.concat(frames, how="diagonal_relaxed").unique(
        subset=["ags", "reference_date"], keep="last", maintain_order=True
    )
    return to_schema(
        series.select(
            pl.lit("Gemeinde").alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=pl.col("name")).alias("name"),
            "reference_date",
            "population",
            "foreigners",
            pl.when(pl.col("population") > 0)
            .then(100.0 * pl.col("foreigners") / pl.col("population"))
            .alias("share"),
            pl.lit("user_series").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
        )
    )


def zensus2011_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    """Zensus 2011 counts (09.05.2011) of the Kreis' municipalities, the Kreis and the Land."""
    from workbench.loaders.regionaldatenbank import load_zensus2011_gemeinden

    z11 = load_zensus2011_gemeinden(path).filter(
        (pl.col("population") > 0)
        & (pl.col("ags").is_in([kreis, kreis[:2]])
           | ((pl.col("level") == "Gemeinde") & pl.col("ags").str.starts_with(kreis)))
    )
    rows = to_schema(
        z11.select(
            pl.when(pl.col("ags") == kreis).then(pl.lit("Kreis"))
            .when(pl.col("ags") == kreis[:2]).then(pl.lit("Land"))
            .otherwise(pl.lit("Gemeinde")).alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=pl.col("name")).alias("name"),
            "reference_date",
            "population",
            "foreigners",
            (100.0 * pl.col("foreigners") / pl.col("population")).alias("share"),
            pl.lit("zensus2011").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
            pl.lit(BASIS_Z2011).alias("basis"),
        )
    )
    # A Stadtkreis (08111 Stuttgart) is published only as the Kreis row: the city is the
    # Kreis, so the same count is the value of its one municipality (AGS 08111000).
    municipal = [a for a in names if len(a) == 8 and a.startswith(kreis)]
    if len(municipal) == 1 and rows.filter(pl.col("level") == "Gemeinde").height == 0:
        sole = rows.filter(pl.col("level") == "Kreis").with_columns(
            level=pl.lit("Gemeinde"), ags=pl.lit(municipal[0]), name=pl.lit(names[municipal[0]]))
        rows = pl.concat([rows, sole])
    return rows


def statistik_bw_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    """Statistik BW shares „Stand 2025“, placed on 31.12.2024 (see STATISTIK_BW_ASSUMPTION)."""
    from workbench.loaders.statistik_bw import load_statistik_bw_shares

    rows = load_statistik_bw_shares(path).filter(
        pl.col("ags").str.starts_with(kreis) & pl.col("share").is_not_null()
    )
    return to_schema(
        rows.select(
            pl.lit("Gemeinde").alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=pl.col("name")).alias("name"),
            pl.lit(STATISTIK_BW_POSITION).alias("reference_date"),
            "share",
            pl.lit("statistik_bw").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
            pl.lit(BASIS_Z2022).alias("basis"),
        )
    )


def fortschreibung_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    """Kreis residents and foreigners of the Fortschreibung (31.12.2025) from the AZR file."""
    from workbench.loaders.azr import load_azr_records

    records = load_azr_records(path).filter(
        (pl.col("concept") == "Fortschreibung") & (pl.col("ags") == kreis)
        & pl.col("reference_date").is_not_null()
    )
    out = []
    for (day,), part in records.group_by(["reference_date"]):
        values = dict(zip(part.get_column("category"), part.get_column("value"), strict=False))
        population = values.get("population")
        foreigners = values.get("foreign")
        if population and foreigners is not None:
            out.append({"level": "Kreis", "ags": kreis, "name": names.get(kreis, kreis),
                        "reference_date": day, "population": int(population),
                        "foreigners": int(foreigners),
                        "share": 100.0 * foreigners / population, "source": "fortschreibung",
                        "status": OFFICIAL, "basis": BASIS_Z2022})
    return to_schema(pl.DataFrame(out)) if out else pl.DataFrame(schema=SCHEMA)


def zensus2022_counts(path: Path | None) -> pl.DataFrame | None:
    """Zensus 2022 foreigners per municipality where the table is shipped (Landkreis LB)."""
    if path is None:
        return None
    from workbench.loaders.zensus_einwanderung import load_zensus2022_einwanderung

    return load_zensus2022_einwanderung(path).select("ags", "population", "foreigners")
