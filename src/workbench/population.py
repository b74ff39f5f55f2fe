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
import difflib
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench import paths
from workbench.validation import DataValidationError, Problem

KREIS_AGS = "08118"
LAND_AGS = "08"
KREIS_NAME = "Landkreis Ludwigsburg"
LAND_NAME = "Baden-Württemberg"
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
}


@dataclass(frozen=True)
class SourceInfo:
    """German citation data of one source key."""

    label: str  # short label for legends and table footers
    publisher: str
    table: str
    licence: str
    status: str  # amtlich / geschätzt
    concept: str  # what is counted, how it differs from the other sources

    def citation(self, reference: str | None = None) -> str:
        """'Quelle: <publisher>, <table> (Stand …)' for chart and table footers."""
        stand = f", Stand {reference}" if reference else ""
        marker = " – geschätzt" if self.status == ESTIMATED else ""
        return f"Quelle: {self.publisher}, {self.table}{stand}{marker}"


DL_DE = "Datenlizenz Deutschland – Namensnennung 2.0 (dl-de/by-2-0)"
SOURCES: dict[str, SourceInfo] = {
    "zensus2022": SourceInfo(
        label="Zensus 2022",
        publisher="Statistische Ämter des Bundes und der Länder",
        table="Zensus 2022, Tabelle 1000A-0000; Ausländeranteil je Gemeinde via GERDA "
        "(Hilbig u. a.)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Registergestützter Zensus zum 15.05.2022; Anteile auf 1 Nachkommastelle. "
        "Kreis- und Landeswerte aus den Gemeindewerten berechnet (geschätzt, ±0,05 PP).",
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
    "schaetzung_zensus_regionalatlas": SourceInfo(
        label="Schätzung (Zensus 2022 × Kreisentwicklung)",
        publisher="Eigene Schätzung aus Zensus 2022 (Gemeindeanteil), Regionalatlas AI0208 "
        "(Kreisentwicklung) und GV-ISys (Einwohner)",
        table="Gemeindeanteil Zensus 2022 fortgeschrieben mit der Kreisentwicklung",
        licence=DL_DE,
        status=ESTIMATED,
        concept="Geschätzt: jährliche Ausländeranteile je Gemeinde werden nicht veröffentlicht. "
        "Annahme: jede Gemeinde entwickelt sich relativ wie der Landkreis.",
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


def _gv_files(raw: Path) -> tuple[Path, ...]:
    folder = raw / "destatis_gv_auszug"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Verzeichnis fehlt: {folder}. Bitte die Rohdaten nach data/raw/ kopieren."
        )
    files = sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() in {".xls", ".xlsx"} and not p.name.startswith(("~$", "."))
    )
    if not files:
        raise FileNotFoundError(f"Keine GV-ISys-Dateien in {folder}.")
    # Dated extracts (DDMMYYYY_Auszug_GV) first, so a later "aktuell" file that repeats the
    # same Stichtag is the one recognised as duplicate.
    return tuple(sorted(files, key=lambda p: (not re.match(r"\d{8}_", p.name), p.name)))


def _user_files(user: Path) -> tuple[Path, ...]:
    if not user.is_dir():
        return ()
    return tuple(
        sorted(
            p for p in user.iterdir()
            if p.suffix.lower() in {".csv", ".xlsx", ".xls"} and not p.name.startswith(("~$", "."))
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
        gv=_gv_files(raw),
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
    )


def _stats(files: Iterable[Path | None]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in files:
        if path is not None:
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _all(files: _Files) -> tuple[Path | None, ...]:
    return (*files.gv, files.zensus, files.gerda, files.regionalatlas, files.inkar,
            files.regionalstatistik, files.published, *files.user)


# ------------------------------------------------------------------------------------------
# Municipality register
# ------------------------------------------------------------------------------------------

def _short_name(name: str) -> str:
    """'Sachsenheim, Stadt' -> 'Sachsenheim'; footnote digits ('Kerken4)') removed."""
    name = re.sub(r"\d+\)$", "", name.strip())
    return name.split(",")[0].strip()


@functools.lru_cache(maxsize=16)
def _gv_frame(path: str, mtime_ns: int, size: int) -> pl.DataFrame:
    from workbench.loaders.gv_isys import load_gv_isys

    return load_gv_isys(Path(path))


def _load_gv(path: Path) -> pl.DataFrame:
    st = path.stat()
    return _gv_frame(str(path), st.st_mtime_ns, st.st_size)


def _file_date(path: Path) -> dt.date | None:
    """Stichtag from a dated extract name ('31122023_Auszug_GV.xlsx'), else None."""
    match = re.match(r"(\d{2})(\d{2})(\d{4})_", path.name)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _latest_gv(files: tuple[Path, ...]) -> pl.DataFrame:
    """The extract with the latest Stichtag; by file name where dated, else by content."""
    dated = [(d, p) for p in files if (d := _file_date(p)) is not None]
    if dated:
        return _load_gv(max(dated)[1])
    frames = [_load_gv(p) for p in files]
    return max(frames, key=lambda f: f.get_column("reference_date").max())


def municipalities(data_dir: Path | None = None, kreis: str = KREIS_AGS) -> pl.DataFrame:
    """The municipalities of the Kreis from the latest GV-ISys extract (39 rows for 08118).

    Columns: ``ags, ars, name`` (short name), ``name_official, is_stadt, area_km2,
    population`` (latest 31.12.), ``reference_date, lon, lat``; sorted by AGS.
    """
    data_dir = Path(data_dir) if data_dir else paths.data_dir()
    files = _gv_files(_raw(data_dir))
    return _municipalities(_stats(files), files, kreis)


@functools.lru_cache(maxsize=4)
def _municipalities(stats: tuple, files: tuple[Path, ...], kreis: str) -> pl.DataFrame:
    cached = _cache_file(stats, kreis, "municipalities") if _cache_enabled() else None
    if cached is not None and cached.exists():
        try:
            return pl.read_parquet(cached)
        except (OSError, pl.exceptions.PolarsError):
            cached.unlink(missing_ok=True)
    gv = _latest_gv(files)
    rows = gv.filter((pl.col("satzart") == "60") & pl.col("ags").str.starts_with(kreis))
    register = rows.select(
        "ags",
        "ars",
        pl.col("name").map_elements(_short_name, return_dtype=pl.String).alias("name"),
        pl.col("name").alias("name_official"),
        pl.col("name").str.contains(", Stadt", literal=True).alias("is_stadt"),
        pl.col("area_km2").cast(pl.Float64),
        pl.col("population").cast(pl.Int64),
        "reference_date",
        pl.col("lon").cast(pl.Float64),
        pl.col("lat").cast(pl.Float64),
    ).sort("ags")
    if register.height == 0:
        raise ValueError(f"Keine Gemeinden mit AGS {kreis}… im Gemeindeverzeichnis gefunden.")
    if cached is not None:
        _write_cache(cached, register)
    return register


def _normalise(text: str) -> str:
    text = text.casefold().strip()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = re.sub(r",\s*stadt$", "", text)
    text = re.sub(r"^(stadt|gemeinde)\s+", "", text)
    return re.sub(r"[\s\-_./]+", " ", text).strip()


class UnknownMunicipalityError(KeyError):
    """Raised for a name or AGS that is not one of the Kreis municipalities (German message)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def resolve_municipality(
    name_or_ags: str, register: pl.DataFrame | None = None
) -> tuple[str, str]:
    """('08118076', 'Sachsenheim') for 'sachsenheim', 'Sachsenheim, Stadt', '08118076', '8118076'.

    Raises ``UnknownMunicipalityError`` with close matches for anything else.
    """
    register = register if register is not None else municipalities()
    pairs = list(zip(register.get_column("ags"), register.get_column("name"), strict=True))
    query = str(name_or_ags).strip()
    digits = query.replace(" ", "")
    if digits.isdigit():
        wanted = digits.zfill(8)
        for ags, name in pairs:
            if ags == wanted:
                return ags, name
    else:
        key = _normalise(query)
        for ags, name in pairs:
            if _normalise(name) == key:
                return ags, name
    by_key = {_normalise(name): name for _, name in pairs}
    close = difflib.get_close_matches(_normalise(query), list(by_key), n=3, cutoff=0.6)
    if close:
        hint = "Meinten Sie: " + ", ".join(by_key[c] for c in close) + "?"
    else:
        examples = ", ".join(name for _, name in pairs[:3])
        in_kreis = all(ags.startswith(KREIS_AGS) for ags, _ in pairs)
        where = f"im {KREIS_NAME}" if in_kreis else "der Auswahl"
        hint = (
            f"Erwartet wird der Name oder der 8-stellige Gemeindeschlüssel (AGS) einer der "
            f"{len(pairs)} Städte und Gemeinden {where} (z. B. {examples})."
        )
    raise UnknownMunicipalityError(f"Unbekannte Gemeinde „{query}“. {hint}")


# ------------------------------------------------------------------------------------------
# Building the model
# ------------------------------------------------------------------------------------------

def _area_names(files: tuple[Path, ...], kreis: str) -> dict[str, str]:
    """German names of the Kreis and its Land ('Landkreis Böblingen', 'Stadtkreis Stuttgart')."""
    if kreis == KREIS_AGS:
        return {KREIS_AGS: KREIS_NAME, LAND_AGS: LAND_NAME}
    gv = _latest_gv(files)
    land = kreis[:2]
    out = {kreis: f"Kreis {kreis}", land: LAND_NAME if land == LAND_AGS else f"Land {land}"}
    for satzart, ags in (("40", kreis), ("10", land)):
        row = gv.filter((pl.col("satzart") == satzart) & (pl.col("ags") == ags))
        if row.height:
            name = _short_name(row.get_column("name")[0]) if satzart == "10" else None
            if satzart == "40":
                raw = row.get_column("name")[0]
                base, _, kind = (part.strip() for part in raw.partition(","))
                name = f"{kind} {base}" if kind else f"Landkreis {base}"
            out[ags] = name
    return out


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
        gv = _load_gv(path)
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
    zensus_path: Path, gerda_path: Path, names: dict[str, str], kreis: str
) -> pl.DataFrame:
    from workbench.loaders.gerda import load_gerda_census
    from workbench.loaders.zensus import load_zensus_flat

    zensus = load_zensus_flat(zensus_path).select("ags", "population", "reference_date")
    gerda = load_gerda_census(gerda_path).select(
        "ags", pl.col("population").alias("population_gerda"), "share_foreign"
    )
    land = kreis[:2]
    joined = zensus.join(gerda, on="ags", how="left").filter(pl.col("ags").str.starts_with(land))
    gemeinden = joined.filter(pl.col("ags").str.starts_with(kreis))
    municipal = _frame(
        gemeinden.select(
            pl.lit("Gemeinde").alias("level"),
            "ags",
            pl.col("ags").replace_strict(names, default=None).alias("name"),
            "reference_date",
            "population",
            pl.col("share_foreign").alias("share"),
            pl.lit("zensus2022").alias("source"),
            pl.lit(OFFICIAL).alias("status"),
        )
    )

    def aggregate(frame: pl.DataFrame, level: str, ags: str, name: str) -> pl.DataFrame:
        # Population is exact; foreigners/share come from rounded municipal shares (estimate).
        # Municipalities with a suppressed share are left out of both sums.
        with_share = frame.filter(pl.col("share_foreign").is_not_null())
        foreigners = (
            (with_share.get_column("population") * with_share.get_column("share_foreign") / 100)
            .round(0).sum()
        )
        base = with_share.get_column("population").sum()
        return _frame(
            {
                "level": [level], "ags": [ags], "name": [name],
                "reference_date": [frame.get_column("reference_date").max()],
                "population": [int(frame.get_column("population").sum())],
                "foreigners": [int(foreigners)],
                "share": [100.0 * foreigners / base],
                "source": ["zensus2022"], "status": [ESTIMATED],
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


def _interpolate_at(series: pl.DataFrame, day: dt.date) -> float:
    """Kreis share at ``day`` by linear interpolation between the surrounding 31.12. values."""
    rows = series.sort("reference_date")
    dates = rows.get_column("reference_date").to_list()
    values = rows.get_column("share").to_list()
    for (d0, v0), (d1, v1) in zip(zip(dates, values, strict=True),
                                  zip(dates[1:], values[1:], strict=True), strict=False):
        if d0 <= day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    raise ValueError(f"Kreisreihe deckt den Stichtag {day} nicht ab")


def estimate_municipal_shares(
    zensus: pl.DataFrame, kreis_series: pl.DataFrame, gv: pl.DataFrame
) -> pl.DataFrame:
    """Estimate yearly municipal foreign shares (status ``geschätzt``).

    Method (ratio carry-forward/back along the Kreis series of one source):

        share_g(t) = share_g(Zensus 15.05.2022) × share_Kreis(t) / share_Kreis(15.05.2022)

    * ``zensus`` – Gemeinde rows of source ``zensus2022`` (share, population).
    * ``kreis_series`` – the Kreis share series of the Regionalatlas (31.12. of 2011–2024);
      ``share_Kreis(15.05.2022)`` is interpolated linearly between 31.12.2021 and 31.12.2022.
    * ``gv`` – Gemeinde rows of ``gv_isys``: where a 31.12. total exists the estimated count
      ``foreigners = round(population × share / 100)`` is added; other years carry the share
      only. The Zensus date itself is included (share = Zensus share, Zensus population).

    Assumption: every municipality's share moves in proportion to the Kreis share. It ignores
    local events (new shelters, large employers) and the different population bases (Zensus
    2022 vs Fortschreibung on Zensus-2011 basis). Checks against independent figures: see
    ``notes/README-population.md`` (Sachsenheim register July 2024: 18,48 % vs estimate
    31.12.2023 17,7 % / 31.12.2024 17,9 %; Kornwestheim Zensus 2011 (09.05.2011): 19,6 % vs
    estimate 31.12.2011 17,5 %) – expect errors of about ±2 percentage points.
    """
    zensus_date = zensus.get_column("reference_date").max()
    anchor = _interpolate_at(kreis_series, zensus_date)
    kreis = kreis_series.select(
        "reference_date", (pl.col("share") / anchor).alias("factor")
    )
    base = zensus.filter(pl.col("share").is_not_null()).select(
        "ags", "name", pl.col("share").alias("share_zensus"),
        pl.col("population").alias("population_zensus"),
    )
    yearly = (
        base.join(kreis, how="cross")
        .join(
            gv.select("ags", "reference_date", "population"),
            on=["ags", "reference_date"],
            how="left",
        )
        .with_columns((pl.col("share_zensus") * pl.col("factor")).alias("share"))
    )
    at_zensus = base.with_columns(
        pl.lit(zensus_date).alias("reference_date"),
        pl.col("population_zensus").alias("population"),
        pl.col("share_zensus").alias("share"),
    )
    rows = pl.concat(
        [
            yearly.select("ags", "name", "reference_date", "population", "share"),
            at_zensus.select("ags", "name", "reference_date", "population", "share"),
        ],
        how="vertical_relaxed",
    ).with_columns(
        (pl.col("population") * pl.col("share") / 100).round(0).cast(pl.Int64).alias("foreigners"),
        pl.lit("Gemeinde").alias("level"),
        pl.lit("schaetzung_zensus_regionalatlas").alias("source"),
        pl.lit(ESTIMATED).alias("status"),
    )
    return _frame(rows).sort("ags", "reference_date")


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


def cache_dir() -> Path:
    """Parquet cache of the built model; ``WORKBENCH_CACHE_DIR`` overrides ``var/cache``."""
    value = os.environ.get("WORKBENCH_CACHE_DIR")
    return Path(value).expanduser() if value else paths.PROJECT_DIR / "var" / "cache"


def _cache_enabled() -> bool:
    return os.environ.get("WORKBENCH_POPULATION_CACHE", "1").strip().lower() not in {
        "0", "false", "nein", "no", "off"}


def _code_stats() -> tuple:
    """The model's own code is part of the cache key: a changed parser means a rebuild."""
    package = Path(__file__).parent
    code = [Path(__file__), *sorted((package / "loaders").glob("*.py"))]
    return (pl.__version__, *_stats(code))


def _cache_file(stats: tuple, kreis: str, kind: str = "population") -> Path:
    digest = hashlib.sha256(repr((stats, kreis, _code_stats())).encode()).hexdigest()[:20]
    return cache_dir() / f"{kind}-{kreis}-{digest}.parquet"


def _write_cache(path: Path, pop: pl.DataFrame) -> None:
    """Atomic write (temp file + os.replace); stale cache files of the Kreis are removed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            pop.write_parquet(tmp)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        prefix = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{prefix}-*.parquet"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only checkout still works, just without the cache


@functools.lru_cache(maxsize=4)
def _build(data_dir: str, stats: tuple, files: _Files, kreis: str) -> pl.DataFrame:
    """Build the model, or read it from the parquet cache for exactly these input files."""
    cached = _cache_file(stats, kreis) if _cache_enabled() else None
    if cached is not None and cached.exists():
        try:
            return validate_population(pl.read_parquet(cached))
        except (OSError, pl.exceptions.PolarsError, DataValidationError):
            cached.unlink(missing_ok=True)  # unreadable or outdated: rebuild below
    pop = _build_from_files(data_dir, files, kreis)
    if cached is not None:
        _write_cache(cached, pop)
    return pop


def _build_from_files(data_dir: str, files: _Files, kreis: str) -> pl.DataFrame:
    register = municipalities(Path(data_dir), kreis)
    names = dict(zip(register.get_column("ags"), register.get_column("name"), strict=True))
    names.update(_area_names(files.gv, kreis))

    gv = _gv_rows(files.gv, names, kreis)
    zensus = _zensus_rows(files.zensus, files.gerda, names, kreis)
    regionalatlas = _regionalatlas_rows(files.regionalatlas, kreis, names)
    parts = [gv, zensus, regionalatlas]
    if files.inkar is not None:
        parts.append(_inkar_rows(files.inkar, kreis, names))
    if files.regionalstatistik is not None:
        parts.append(_regionalstatistik_rows(files.regionalstatistik, kreis, names))
    if files.published is not None:
        parts.append(_published_rows(files.published, names))

    kreis_series = regionalatlas.filter(pl.col("ags") == kreis)
    # The Regionalatlas file covers BW Kreise only: elsewhere there is nothing to carry along.
    estimate = (
        estimate_municipal_shares(
            zensus.filter(pl.col("level") == "Gemeinde"), kreis_series,
            gv.filter(pl.col("level") == "Gemeinde"),
        )
        if kreis_series.height >= 2
        else pl.DataFrame(schema=SCHEMA)
    )
    user = _user_rows(files.user, names)
    if user is not None:
        # Official values win: drop the estimate wherever the user series has that date.
        estimate = estimate.join(user.select("ags", "reference_date"),
                                 on=["ags", "reference_date"], how="anti")
        parts.append(user)
    parts.append(estimate)
    pop = pl.concat(parts).sort("level", "ags", "source", "reference_date")
    return validate_population(pop)


def load_population(data_dir: Path | str | None = None, kreis: str = KREIS_AGS) -> pl.DataFrame:
    """The tidy population frame (see module docstring), validated.

    Cached on the paths, modification times and sizes of every input file (raw files, the
    published figures and the user directory): in-process (repeated calls cost a stat() per
    file) and as parquet under :func:`cache_dir` (a fresh kernel or CLI call skips the Excel
    parsing; ``WORKBENCH_POPULATION_CACHE=0`` switches that off).
    """
    root = Path(data_dir).resolve() if data_dir else paths.data_dir()
    files = _files(root)
    return _build(str(root), _stats(_all(files)), files, kreis)


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
