"""The tidy ``population`` model: one row per area × reference date × source.

``load_population()`` reads the raw official files through ``workbench.loaders`` and returns the
frame documented in ``docs/ARCHITECTURE.md``::

    level, ags, name, reference_date, year, population, foreigners, share, source, status

What is in it (``SOURCES`` holds the German citation for each key):

* ``gv_isys`` – Gemeinde, Kreis and Land totals on 31.12. (2009, 2010, 2013, 2016, 2017, 2021,
  2023); population only.
* ``zensus2022`` – Gemeinde population (1000A-0000) and foreign share (GERDA, 1 decimal) on
  15.05.2022, status ``amtlich``; the foreign *count* is not published, so it stays null there.
  Kreis and Land rows aggregate the municipal values (population exact; share = population
  weighted mean of the rounded municipal shares, ±0,05 PP) and are therefore ``geschätzt``.
* ``regionalatlas`` – Kreis 08118 and Land 08 shares 2011–2024 (AI0208, Fortschreibung).
* ``inkar`` – Kreis 08118 shares 1995–2022 (BBSR); a separate series, never mixed with the
  Regionalatlas (2022 differs by about 0,6 PP).
* ``regionalstatistik2011`` – Kreis and Land counts on 31.12.2011 (12411-03-03-4).
* ``landratsamt_azr``, ``stadt_sachsenheim``, ``landratsamt_zitiert`` – published figures
  (``data/published/published_figures.csv``: AZR, municipal register), each its own source:
  different concepts, not comparable with the Fortschreibung.
* ``schaetzung_zensus_regionalatlas`` – **estimated** yearly municipal shares, see
  :func:`estimate_municipal_shares`; status ``geschätzt``.
* ``user_series`` – official municipal series a user dropped into ``paths.user_dir()``; they
  replace the estimates for the same (ags, reference_date).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench import diskcache, estimation, paths
from workbench.exceptions import DataValidationError, Problem
from workbench.region import (
    KREIS_AGS,
    KREIS_NAME,
    LAND_AGS,
    area_names,
    gv_files,
    load_gv,
    municipalities,
)

OFFICIAL = "amtlich"
ESTIMATED = "geschätzt"
STATUSES = (OFFICIAL, ESTIMATED)
LEVELS = ("Gemeinde", "Kreis", "Land")

SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    "year": pl.Int32(),
    "population": pl.Int64(),
    "foreigners": pl.Int64(),
    "share": pl.Float64(),
    "source": pl.String(),
    "status": pl.String(),
    "basis": pl.String(),
    "band": pl.Float64(),
}

# Population bases: census rebasing (2011, 2022) breaks every series; a series never runs
# smoothly across two bases (charts draw a break, tables and texts say so).
BASIS_VZ1987 = "Volkszählung 1987"
BASIS_Z2011 = "Zensus 2011"
BASIS_Z2022 = "Zensus 2022"
BASIS_REGISTER = "Register"
ZENSUS2011_DATE = dt.date(2011, 5, 9)
ZENSUS2022_DATE = dt.date(2022, 5, 15)
# Statistik BW gives no Stichtag for its "2025" shares. For the estimate (and only to place
# the point on a time axis) it is put on 31.12.2024 – an assumption, printed as such.
STATISTIK_BW_POSITION = dt.date(2024, 12, 31)
STATISTIK_BW_STAND = "Stand 2025"
STATISTIK_BW_ASSUMPTION = (
    "Annahme, nicht aus der Quelle: Statistik BW nennt für „Stand 2025“ keinen Stichtag; "
    "für Diagramm und Schätzung wird der Wert dem 31.12.2024 zugeordnet."
)


@dataclass(frozen=True)
class SourceInfo:
    """German citation data of one source key."""

    label: str  # short label for legends and table footers
    publisher: str
    table: str
    licence: str
    status: str  # amtlich / geschätzt
    concept: str  # what is counted, how it differs from the other sources
    # A source without a Stichtag ("Stand 2025"): shown instead of any date.
    fixed_stand: str | None = None

    def citation(self, reference: str | None = None) -> str:
        """'Quelle: <publisher>, <table> (Stand …)' for chart and table footers."""
        if self.fixed_stand:
            reference = self.fixed_stand.removeprefix("Stand ")
        stand = f", Stand {reference}" if reference else ""
        marker = " – geschätzt" if self.status == ESTIMATED else ""
        return f"Quelle: {self.publisher}, {self.table}{stand}{marker}"


DL_DE = "Datenlizenz Deutschland – Namensnennung 2.0 (dl-de/by-2-0)"
SOURCES: dict[str, SourceInfo] = {
    "zensus2022": SourceInfo(
        label="Zensus 2022",
        publisher="Statistische Ämter des Bundes und der Länder",
        table="Zensus 2022, Tabelle 1000A-0000; Ausländeranteil je Gemeinde via GERDA "
        "(Hilbig u. a.); Ausländer je Gemeinde im Landkreis Ludwigsburg aus der Regionaltabelle "
        "Einwanderungsgeschichte",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Registergestützter Zensus zum 15.05.2022; Anteile auf 1 Nachkommastelle. "
        "Kreis- und Landeswerte aus den Gemeindewerten berechnet (±0,05 Prozentpunkte; ohne "
        "Gemeinden mit geheim gehaltenem Anteil, in Baden-Württemberg eine mit 336 Einwohnern), "
        "außer wo die Ausländerzahl je Gemeinde vorliegt (Landkreis Ludwigsburg: 97.824 von "
        "528.576).",
    ),
    "gv_isys": SourceInfo(
        label="Gemeindeverzeichnis (GV-ISys)",
        publisher="Statistisches Bundesamt (Destatis)",
        table="Gemeindeverzeichnis GV-ISys, Gemeinden nach Fläche und Bevölkerung",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Bevölkerungsfortschreibung zum 31.12. (bis 2010 Basis Volkszählung 1987, "
        "danach Basis Zensus 2011); nur Einwohner insgesamt, keine Staatsangehörigkeit.",
    ),
    "regionalatlas": SourceInfo(
        label="Regionalatlas (AI0208)",
        publisher="Statistische Ämter des Bundes und der Länder",
        table="Regionalatlas Deutschland, Indikator AI0208 „Anteil der ausländischen "
        "Bevölkerung“",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Ausländer laut Bevölkerungsfortschreibung zum 31.12., Kreise und Länder, "
        "1 Nachkommastelle.",
    ),
    "inkar": SourceInfo(
        label="INKAR (BBSR)",
        publisher="Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR)",
        table="INKAR, Indikator „Ausländer“ (a_ausl_bev) via GERDA",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Ausländeranteil je Kreis zum 31.12., 2 Nachkommastellen; 2022 auf anderer "
        "Bevölkerungsbasis als der Regionalatlas – nicht mit ihm mischen.",
    ),
    "regionalstatistik2011": SourceInfo(
        label="Regionalstatistik 12411-03-03-4",
        publisher="Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland",
        table="Tabelle 12411-03-03-4 (Bevölkerung nach Nationalität)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Bevölkerungsfortschreibung zum 31.12.2011 (Basis Zensus 2011), Anzahl "
        "Ausländer und Einwohner je Kreis und Land.",
    ),
    "landratsamt_azr": SourceInfo(
        label="Landratsamt Ludwigsburg (AZR)",
        publisher="Landratsamt Ludwigsburg",
        table="Webseite der Integrationsbeauftragten (Ausländerzentralregister)",
        licence="Veröffentlichung des Landratsamts (Quellenangabe)",
        status=OFFICIAL,
        concept="Ausländer laut Ausländerzentralregister (AZR) geteilt durch die Einwohner der "
        "Fortschreibung; höher als die Fortschreibung (Regionalatlas 20,0 %).",
    ),
    "stadt_sachsenheim": SourceInfo(
        label="Stadt Sachsenheim (Melderegister)",
        publisher="Stadt Sachsenheim",
        table="Integrationskonzept der Stadt Sachsenheim (Nov. 2024)",
        licence="Veröffentlichung der Stadt (Quellenangabe)",
        status=OFFICIAL,
        concept="Einwohnermelderegister der Stadt; anderes Konzept als Fortschreibung und Zensus.",
    ),
    "landratsamt_zitiert": SourceInfo(
        label="Landratsamt Ludwigsburg (zitiert)",
        publisher="Landratsamt Ludwigsburg, zitiert im Integrationskonzept der Stadt Sachsenheim",
        table="Integrationskonzept Sachsenheim (Nov. 2024), Fußnote 5",
        licence="Veröffentlichung (Quellenangabe)",
        status=OFFICIAL,
        concept="Nur der Anteil ist angegeben; Bezugsgrößen unbekannt.",
    ),
    "veroeffentlicht": SourceInfo(
        label="Veröffentlichte Angabe",
        publisher="laut Tabelle data/published/published_figures.csv",
        table="Veröffentlichte Kennzahl",
        licence="laut Quelle",
        status=OFFICIAL,
        concept="Einzelwert aus einer Veröffentlichung; Quelle siehe Tabelle.",
    ),
    "zensus2011": SourceInfo(
        label="Zensus 2011",
        publisher="Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland",
        table="Tabelle 12111-01-01-5 (Zensus 2011, Bevölkerung nach Geschlecht und "
        "Nationalität)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Zensus zum 09.05.2011: Einwohner und Ausländer je Gemeinde (Anzahl). Beginn "
        "der Bevölkerungsbasis Zensus 2011 (Bruch gegenüber der Volkszählung 1987).",
    ),
    "statistik_bw": SourceInfo(
        label="Statistik BW (Stand 2025)",
        publisher="Statistisches Landesamt Baden-Württemberg",
        table="„Anteil Ausländer/-innen 2025“ je Gemeinde (Seite „Migration und Nationalität“)",
        licence="© Statistisches Landesamt Baden-Württemberg; Verbreitung mit Quellenangabe "
        "gestattet",
        status=OFFICIAL,
        concept="Ausländeranteil je Gemeinde in %, 1 Nachkommastelle, Bevölkerungsfortschreibung "
        "auf Basis Zensus 2022; ein Stichtag ist nicht angegeben („Stand 2025“).",
        fixed_stand=STATISTIK_BW_STAND,
    ),
    "fortschreibung": SourceInfo(
        label="Bevölkerungsfortschreibung",
        publisher="Statistisches Bundesamt (Destatis)",
        table="GENESIS 12411-03-03-4-B (Bevölkerung nach Nationalität und Alter)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Einwohner und Ausländer laut Bevölkerungsfortschreibung auf Basis Zensus 2022 "
        "zum 31.12.; anderes Zählkonzept als das Ausländerzentralregister (AZR).",
    ),
    "schaetzung_zensus_regionalatlas": SourceInfo(
        label="Schätzung (amtliche Gemeindewerte + Kreisentwicklung)",
        publisher="Eigene Schätzung aus Zensus 2011, Zensus 2022, Statistik BW (Stand 2025) und "
        "der Kreisentwicklung (Regionalatlas AI0208)",
        table="Gemeindeanteile zwischen amtlichen Werten, auf den Kreiswert abgestimmt",
        licence=DL_DE,
        status=ESTIMATED,
        concept="Geschätzt: jährliche Ausländeranteile je Gemeinde werden nicht veröffentlicht. "
        "Zwischen den amtlichen Gemeindewerten wird das Verhältnis zum Kreisanteil übergeleitet; "
        "die Schätzwerte eines Jahres ergeben zusammen den Kreisanteil. Unsicherheit aus einem "
        "Rückblick-Test (± Prozentpunkte).",
    ),
    "user_series": SourceInfo(
        label="Amtliche Gemeindereihe (Nutzerdaten)",
        publisher="Vom Nutzer bereitgestellte amtliche Gemeindereihe",
        table="Bevölkerung nach Nationalität je Gemeinde (Vorlage)",
        licence="laut Quelle",
        status=OFFICIAL,
        concept="Ersetzt die Schätzung für dieselben Gemeinden und Stichtage.",
    ),
}


def date_label(source: str, day: dt.date) -> str:
    """How a value's date is shown: '15.05.2022', or 'Stand 2025' for a source without one."""
    return SOURCES[source].fixed_stand or day.strftime("%d.%m.%Y")


BASIS_STARTS = {BASIS_Z2011: ZENSUS2011_DATE, BASIS_Z2022: ZENSUS2022_DATE}


def basis_start(basis: str | None) -> dt.date | None:
    """The census day a population basis starts on (None for other bases)."""
    return BASIS_STARTS.get(basis or "")


def basis_label_at(day: dt.date) -> str:
    """'Zensus 2022' for a break on 15.05.2022."""
    return next((b for b, d in BASIS_STARTS.items() if d == day), fmt_day(day))


def fmt_day(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def citation(source: str, reference: dt.date | str | None = None) -> str:
    """German source line for a chart or table, e.g. 'Quelle: …, Stand 15.05.2022'."""
    if isinstance(reference, dt.date):
        reference = reference.strftime("%d.%m.%Y")
    return SOURCES[source].citation(reference)


# ------------------------------------------------------------------------------------------
# Raw file discovery and caching
# ------------------------------------------------------------------------------------------

def _raw(data_dir: Path) -> Path:
    return data_dir / "raw"


def _user_dir(data_dir: Path | None) -> Path:
    if os.environ.get("WORKBENCH_USER_DIR") or data_dir is None:
        return paths.user_dir()
    return data_dir / "user"


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.exists():
            return path
    names = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"Datei fehlt: {names}. Bitte die Rohdaten nach data/raw/ kopieren.")


@dataclass(frozen=True)
class _Files:
    gv: tuple[Path, ...]
    zensus: Path
    gerda: Path
    regionalatlas: Path
    inkar: Path | None
    regionalstatistik: Path | None
    published: Path | None
    user: tuple[Path, ...]
    zensus2011: Path | None = None
    statistik_bw: Path | None = None
    zensus2022_counts: Path | None = None
    azr: Path | None = None


def _user_files(user: Path) -> tuple[Path, ...]:
    """Municipal series in the user directory (Regionaldatenbank exports there are tables)."""
    from workbench.loaders.regionaldatenbank import table_code

    if not user.is_dir():
        return ()
    return tuple(
        sorted(
            p for p in user.iterdir()
            if p.suffix.lower() in {".csv", ".xlsx", ".xls"} and not p.name.startswith(("~$", "."))
            and not (p.suffix.lower() == ".csv" and table_code(p))
        )
    )


def _files(data_dir: Path) -> _Files:
    raw = _raw(data_dir)
    optional = {
        "inkar": raw / "gerda" / "gerda_inkar_county_covariates_1995-2022.csv",
        "regionalstatistik": raw / "regionalstatistik" / "12411-03-03-4_31122011_kreise.csv",
        "published": data_dir / "published" / "published_figures.csv",
    }
    return _Files(
        gv=gv_files(data_dir),
        zensus=_first_existing(
            raw / "zensus2022" / "1000A-0000_de_flat.csv",
            raw / "zensus2022" / "1000A-0000_de_flat_08118.csv",
        ),
        gerda=_first_existing(
            raw / "gerda" / "gerda_census_2022_municipalities.csv",
            raw / "gerda" / "gerda_census_2022_municipalities_08118.csv",
        ),
        regionalatlas=_first_existing(
            raw / "regionalatlas" / "ai0208_timeseries_states_bw-kreise.json"
        ),
        inkar=optional["inkar"] if optional["inkar"].exists() else None,
        regionalstatistik=(
            optional["regionalstatistik"] if optional["regionalstatistik"].exists() else None
        ),
        published=optional["published"] if optional["published"].exists() else None,
        user=_user_files(_user_dir(data_dir)),
        zensus2011=_zensus2011_file(data_dir),
        statistik_bw=_existing(raw / "statistik_bw" / "stala-auslaenderanteil-gemeinden-2025.csv"),
        zensus2022_counts=_existing(
            raw / "zensus2022_einwanderungsgeschichte"
            / "zensus2022-einwanderungsgeschichte-gemeinden-LB_subset.csv"
        ),
        azr=_existing(raw / "azr_2025" / "kreis_08118_records_31122025.json"),
    )


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def _zensus2011_file(data_dir: Path) -> Path | None:
    """Zensus 2011 per municipality; a newer export in the user directory replaces it."""
    from workbench.loaders.regionaldatenbank import find_table

    try:
        return find_table("12111-01-01-5", data_dir)
    except FileNotFoundError:
        return None


def _all(files: _Files) -> tuple[Path | None, ...]:
    return (*files.gv, files.zensus, files.gerda, files.regionalatlas, files.inkar,
            files.regionalstatistik, files.published, *files.user, files.zensus2011,
            files.statistik_bw, files.zensus2022_counts, files.azr)


# ------------------------------------------------------------------------------------------
# Municipality register
# ------------------------------------------------------------------------------------------

def _frame(rows: pl.DataFrame | dict) -> pl.DataFrame:
    """Cast/complete to SCHEMA (missing columns become null) and order the columns."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
    exprs = []
    for column, dtype in SCHEMA.items():
        if column in frame.columns:
            exprs.append(pl.col(column).cast(dtype))
        elif column == "year":
            exprs.append(pl.col("reference_date").dt.year().cast(dtype).alias("year"))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(column))
    return frame.select(exprs)


def _gv_rows(files: tuple[Path, ...], names: dict[str, str], kreis: str) -> pl.DataFrame:
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
    return _frame(pl.concat(frames))


def _zensus_rows(
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
    counts = _zensus2022_counts(counts_path)
    if counts is not None:
        joined = joined.join(
            counts.select("ags", pl.col("foreigners").alias("foreigners_count")),
            on="ags", how="left",
        )
    else:
        joined = joined.with_columns(pl.lit(None, dtype=pl.Int64).alias("foreigners_count"))
    gemeinden = joined.filter(pl.col("ags").str.starts_with(kreis))
    municipal = _frame(
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
        return _frame(
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


def _regionalatlas_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.regionalatlas import load_regionalatlas_timeseries

    ra = load_regionalatlas_timeseries(path).filter(
        pl.col("ags").is_in([kreis, kreis[:2]]) & pl.col("share").is_not_null()
    )
    return _frame(
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


def _inkar_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.inkar import load_inkar_covariates

    inkar = load_inkar_covariates(path).filter(
        (pl.col("ags") == kreis) & pl.col("share_foreign").is_not_null()
    )
    return _frame(
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


def _regionalstatistik_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.regionalstatistik import load_12411_03_03_4

    counts = load_12411_03_03_4(path).filter(
        pl.col("ags").is_in([kreis, kreis[:2]]) & (pl.col("age_group") == "Insgesamt")
    )
    return _frame(
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


PUBLISHED_SOURCES = (
    "landratsamt_azr", "landratsamt_zitiert", "stadt_sachsenheim", "veroeffentlicht"
)


def published_source_key(publisher: str | None) -> str:
    """Source key of a row of the published-figures table, by its publisher."""
    publisher = (publisher or "").strip()
    if publisher == "Landratsamt Ludwigsburg":
        return "landratsamt_azr"
    if publisher == "Stadt Sachsenheim":
        return "stadt_sachsenheim"
    if publisher.startswith("Stadt Sachsenheim (zitiert Landratsamt"):
        return "landratsamt_zitiert"
    return "veroeffentlicht"


def _published_rows(path: Path, names: dict[str, str]) -> pl.DataFrame:
    from workbench.loaders.published import load_published_figures

    published = load_published_figures(path).filter(
        (pl.col("share").is_not_null() | pl.col("population").is_not_null())
        & pl.col("ags").is_in(list(names))  # only areas of this model
    )
    return _frame(
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


def _user_rows(files: tuple[Path, ...], names: dict[str, str]) -> pl.DataFrame | None:
    if not files:
        return None
    from workbench.loaders.municipal_series import load_municipal_series

    frames = [load_municipal_series(path) for path in files]
    series = pl.concat(frames, how="diagonal_relaxed").unique(
        subset=["ags", "reference_date"], keep="last", maintain_order=True
    )
    return _frame(
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


def _zensus2011_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    """Zensus 2011 counts (09.05.2011) of the Kreis' municipalities, the Kreis and the Land."""
    from workbench.loaders.regionaldatenbank import load_zensus2011_gemeinden

    z11 = load_zensus2011_gemeinden(path).filter(
        (pl.col("population") > 0)
        & (pl.col("ags").is_in([kreis, kreis[:2]])
           | ((pl.col("level") == "Gemeinde") & pl.col("ags").str.starts_with(kreis)))
    )
    rows = _frame(
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


def _statistik_bw_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
    """Statistik BW shares „Stand 2025“, placed on 31.12.2024 (see STATISTIK_BW_ASSUMPTION)."""
    from workbench.loaders.statistik_bw import load_statistik_bw_shares

    rows = load_statistik_bw_shares(path).filter(
        pl.col("ags").str.starts_with(kreis) & pl.col("share").is_not_null()
    )
    return _frame(
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


def _fortschreibung_rows(path: Path, kreis: str, names: dict[str, str]) -> pl.DataFrame:
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
    return _frame(pl.DataFrame(out)) if out else pl.DataFrame(schema=SCHEMA)


def _zensus2022_counts(path: Path | None) -> pl.DataFrame | None:
    """Zensus 2022 foreigners per municipality where the table is shipped (Landkreis LB)."""
    if path is None:
        return None
    from workbench.loaders.zensus_einwanderung import load_zensus2022_einwanderung

    return load_zensus2022_einwanderung(path).select("ags", "population", "foreigners")


def basis_expr() -> pl.Expr:
    """The population basis of a row by source and date (where a builder did not set it).

    GV-ISys keeps the Zensus-2011 basis up to 31.12.2023 (its own notes); the Regionalatlas
    is taken as Zensus-2022-based from 31.12.2022 on (an assumption: the file says nothing on
    its basis; its 2022 value fits the Zensus 2022 Kreis value, the 2021 value the old basis).
    """
    date = pl.col("reference_date")
    by_date = (
        pl.when(date < ZENSUS2011_DATE).then(pl.lit(BASIS_VZ1987))
        .when(date < ZENSUS2022_DATE).then(pl.lit(BASIS_Z2011))
        .otherwise(pl.lit(BASIS_Z2022))
    )
    return (
        pl.when(pl.col("basis").is_not_null()).then(pl.col("basis"))
        .when(pl.col("source").is_in(list(PUBLISHED_SOURCES))).then(pl.lit(BASIS_REGISTER))
        .when(pl.col("source") == "user_series").then(pl.lit(None, dtype=pl.String))
        .when(pl.col("source").is_in(["gv_isys", "inkar"]) & (date >= ZENSUS2011_DATE))
        .then(pl.lit(BASIS_Z2011))
        .otherwise(by_date)
        .alias("basis")
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
    files = _files(root)
    return _estimation_inputs(diskcache.file_stats(_all(files)), files)


@functools.lru_cache(maxsize=2)
def _estimation_inputs(stats: tuple, files: _Files) -> EstimationInputs | None:
    if files.zensus2011 is None or files.statistik_bw is None:
        return None
    from workbench.loaders.gerda import load_gerda_census
    from workbench.loaders.regionalatlas import load_regionalatlas_timeseries
    from workbench.loaders.regionaldatenbank import load_zensus2011_gemeinden
    from workbench.loaders.statistik_bw import load_statistik_bw_shares
    from workbench.loaders.zensus import load_zensus_flat

    land = LAND_AGS
    gemeinde = pl.col("ags").str.len_chars() == 8
    z11_all = load_zensus2011_gemeinden(files.zensus2011).filter(
        pl.col("ags").str.starts_with(land))
    # A municipality without residents (Gutsbezirk Münsingen in 2011) has no share.
    z11 = z11_all.filter(gemeinde & (pl.col("population") > 0)).select(
        "ags", pl.col("population").alias("p11"),
        (100.0 * pl.col("foreigners") / pl.col("population")).alias("s11"),
    )
    k11 = z11_all.filter(pl.col("ags").str.len_chars() == 5).select(
        pl.col("ags").alias("kreis"),
        (100.0 * pl.col("foreigners") / pl.col("population")).alias("k11"),
    )
    z22 = (
        load_zensus_flat(files.zensus).filter(gemeinde & pl.col("ags").str.starts_with(land))
        .select("ags", pl.col("population").alias("p22"))
        .join(load_gerda_census(files.gerda).select("ags", pl.col("share_foreign").alias("s22")),
              on="ags", how="left")
    )
    counts = _zensus2022_counts(files.zensus2022_counts)
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
        fs = _fortschreibung_rows(files.azr, KREIS_AGS, {KREIS_AGS: KREIS_NAME})
        kreis_parts.append(fs.select(pl.col("ags").alias("kreis"), "reference_date", "share"))
    kreis_series = pl.concat(
        [p.cast(estimation.KREIS_SCHEMA) for p in kreis_parts]
    ).unique(subset=["kreis", "reference_date"], keep="first").sort("kreis", "reference_date")

    size = z22.select("ags", "p22").join(z11.select("ags", "p11"), on="ags", how="full",
                                         coalesce=True)
    size = size.select("ags", pl.coalesce("p22", "p11").cast(pl.Float64).alias("size"))
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


def _estimate_rows(
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
    return _frame(
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


def validate_population(pop: pl.DataFrame, origin: str = "population (Modell)") -> pl.DataFrame:
    """Check schema and invariants; raise ``DataValidationError`` listing every violation."""
    problems: list[Problem] = []
    if dict(pop.schema) != SCHEMA:
        problems.append(
            Problem(origin, None, None, str(dict(pop.schema)), f"Spalten und Typen {SCHEMA}")
        )
        raise DataValidationError(problems)
    checks = [
        ("level", ~pl.col("level").is_in(LEVELS), "Gemeinde, Kreis oder Land"),
        ("status", ~pl.col("status").is_in(STATUSES), "amtlich oder geschätzt"),
        ("source", ~pl.col("source").is_in(list(SOURCES)), "ein Schlüssel aus SOURCES"),
        ("ags", pl.col("ags").is_null() | ~pl.col("ags").str.contains(r"^\d{2}(\d{3}(\d{3})?)?$"),
         "AGS mit 2, 5 oder 8 Ziffern"),
        ("name", pl.col("name").is_null(), "ein Gebietsname"),
        ("reference_date", pl.col("reference_date").is_null(), "ein Stichtag"),
        ("population", pl.col("population") < 0, "Einwohner ≥ 0"),
        ("foreigners", (pl.col("foreigners") < 0) | (pl.col("foreigners") > pl.col("population")),
         "0 ≤ Ausländer ≤ Einwohner"),
        ("share", (pl.col("share") < 0) | (pl.col("share") > 100), "Anteil zwischen 0 und 100"),
        ("share", pl.col("share").is_null() & pl.col("population").is_null(),
         "Einwohner oder Anteil"),
    ]
    indexed = pop.with_row_index("_row", offset=1)
    for column, bad, expected in checks:
        for row in indexed.filter(bad.fill_null(False)).head(25).iter_rows(named=True):
            problems.append(Problem(origin, row["_row"], column, str(row[column]), expected))
    dupes = indexed.filter(pl.struct("ags", "reference_date", "source").is_duplicated())
    for row in dupes.head(25).iter_rows(named=True):
        problems.append(
            Problem(origin, row["_row"], "ags", f"{row['ags']} {row['reference_date']} "
                    f"{row['source']}", "höchstens eine Zeile je Gebiet, Stichtag und Quelle")
        )
    if problems:
        raise DataValidationError(problems)
    return pop


cache_dir = diskcache.cache_dir  # where the parquet cache lives (tests, docs)


@functools.lru_cache(maxsize=4)
def _build(data_dir: str, stats: tuple, files: _Files, kreis: str) -> pl.DataFrame:
    """Build the model, or read it from the parquet cache for exactly these input files."""
    cached = diskcache.cache_file(stats, kreis)
    frame = diskcache.read_parquet(cached)
    if frame is not None:
        try:
            return validate_population(frame)
        except DataValidationError:
            cached.unlink(missing_ok=True)  # outdated schema: rebuild below
    pop = _build_from_files(data_dir, files, kreis)
    diskcache.write_parquet(cached, pop)
    return pop


def _build_from_files(data_dir: str, files: _Files, kreis: str) -> pl.DataFrame:
    register = municipalities(Path(data_dir), kreis)
    names = dict(zip(register.get_column("ags"), register.get_column("name"), strict=True))
    names.update(area_names(kreis, Path(data_dir)))

    gv = _gv_rows(files.gv, names, kreis)
    zensus = _zensus_rows(files.zensus, files.gerda, names, kreis, files.zensus2022_counts)
    regionalatlas = _regionalatlas_rows(files.regionalatlas, kreis, names)
    parts = [gv, zensus, regionalatlas]
    if files.inkar is not None:
        parts.append(_inkar_rows(files.inkar, kreis, names))
    if files.regionalstatistik is not None:
        parts.append(_regionalstatistik_rows(files.regionalstatistik, kreis, names))
    if files.published is not None:
        parts.append(_published_rows(files.published, names))
    if files.zensus2011 is not None:
        parts.append(_zensus2011_rows(files.zensus2011, kreis, names))
    if files.statistik_bw is not None:
        parts.append(_statistik_bw_rows(files.statistik_bw, kreis, names))
    if files.azr is not None:
        parts.append(_fortschreibung_rows(files.azr, kreis, names))
    user = _user_rows(files.user, names)
    if user is not None:
        parts.append(user)
    # The estimate needs the BW-wide anchors (Regionalatlas, Zensus 2011, Statistik BW):
    # elsewhere there is nothing to carry along.
    inputs = _estimation_inputs(diskcache.file_stats(_all(files)), files)
    if inputs is not None:
        parts.append(_estimate_rows(inputs, kreis, names, user,
                                    gv.filter(pl.col("level") == "Gemeinde")))
    pop = pl.concat(parts).with_columns(basis_expr())
    return validate_population(pop.sort("level", "ags", "source", "reference_date"))


def load_population(data_dir: Path | str | None = None, kreis: str = KREIS_AGS) -> pl.DataFrame:
    """The tidy population frame (see module docstring), validated.

    Cached on the paths, modification times and sizes of every input file (raw files, the
    published figures and the user directory): in-process (repeated calls cost a stat() per
    file) and as parquet under :func:`cache_dir` (a fresh kernel or CLI call skips the Excel
    parsing; ``WORKBENCH_POPULATION_CACHE=0`` switches that off).
    """
    root = Path(data_dir).resolve() if data_dir else paths.data_dir()
    files = _files(root)
    return _build(str(root), diskcache.file_stats(_all(files)), files, kreis)


# ------------------------------------------------------------------------------------------
# Series helpers
# ------------------------------------------------------------------------------------------

# Preferred yearly share series per level when the caller does not name a source.
SERIES_PREFERENCE: dict[str, tuple[str, ...]] = {
    "Gemeinde": ("user_series", "schaetzung_zensus_regionalatlas", "zensus2022", "gv_isys"),
    "Kreis": ("regionalatlas", "inkar", "gv_isys"),
    "Land": ("regionalatlas", "gv_isys"),
}


def series(pop: pl.DataFrame, ags: str, source: str | None = None) -> pl.DataFrame:
    """One consistent series (one area, one source) sorted by date.

    Without ``source`` the first source of ``SERIES_PREFERENCE`` for the area's level that has
    at least two values is used (a user series before the estimate, the Regionalatlas before
    INKAR), so a series never mixes sources.
    """
    rows = pop.filter(pl.col("ags") == ags)
    if rows.height == 0:
        raise KeyError(f"Kein Gebiet mit AGS {ags} in den Bevölkerungsdaten")
    if source is None:
        level = rows.get_column("level")[0]
        for candidate in SERIES_PREFERENCE[level]:
            if rows.filter(pl.col("source") == candidate).height >= 2:
                source = candidate
                break
        else:
            source = rows.get_column("source")[0]
    return rows.filter(pl.col("source") == source).sort("reference_date")


def sources_table() -> pl.DataFrame:
    """All sources as a table (key, label, publisher, table, licence, status, concept)."""
    return pl.DataFrame(
        [{"key": key, "label": s.label, "publisher": s.publisher, "table": s.table,
          "licence": s.licence, "status": s.status, "concept": s.concept}
         for key, s in SOURCES.items()]
    )
