"""The one home of the regional key: Land, Kreise and municipalities of Baden-Württemberg.

Everything else receives an AGS (Amtlicher Gemeindeschlüssel: 2 digits Land, 5 Kreis, 8
municipality) and asks this module for names. The register is the latest GV-ISys extract
(Destatis Gemeindeverzeichnis) in ``data/raw/destatis_gv_auszug/``; it covers all 44 Kreise
and 1 103 municipalities of Baden-Württemberg.

Example::

    >>> from workbench import region
    >>> region.resolve("sachsenheim")
    ('08118076', 'Sachsenheim')
    >>> region.resolve_kreis("Böblingen")
    ('08115', 'Landkreis Böblingen')
    >>> region.kreis_of("08118076")
    '08118'
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from workbench import diskcache, paths
from workbench.cache import file_stats, input_keyed_cache
from workbench.exceptions import UnknownKreisError, UnknownMunicipalityError
from workbench.settings import Settings

KREIS_AGS = "08118"  # the default Kreis: Landkreis Ludwigsburg
LAND_AGS = "08"  # Baden-Württemberg
KREIS_NAME = "Landkreis Ludwigsburg"
LAND_NAME = "Baden-Württemberg"


# ------------------------------------------------------------------------------------------
# The GV-ISys register files
# ------------------------------------------------------------------------------------------

def gv_files(data_dir: Path | None = None) -> tuple[Path, ...]:
    """The GV-ISys extracts, dated extracts (``DDMMYYYY_Auszug_GV``) first."""
    data_dir = Path(data_dir) if data_dir else paths.data_dir()
    folder = data_dir / "raw" / "destatis_gv_auszug"
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
    # Dated extracts first, so a later "aktuell" file that repeats the same Stichtag is the
    # one recognised as duplicate.
    return tuple(sorted(files, key=lambda p: (not re.match(r"\d{8}_", p.name), p.name)))


def short_name(name: str) -> str:
    """'Sachsenheim, Stadt' -> 'Sachsenheim'; footnote digits ('Kerken4)') removed."""
    name = re.sub(r"\d+\)$", "", name.strip())
    return name.split(",")[0].strip()


@input_keyed_cache(lambda path: [path], maxsize=16)
def load_gv(path: Path) -> pl.DataFrame:
    """One GV-ISys extract, parsed once per (path, mtime, size) in this process."""
    from workbench.loaders.gv_isys import load_gv_isys

    return load_gv_isys(Path(path))


def file_date(path: Path) -> dt.date | None:
    """Stichtag from a dated extract name ('31122023_Auszug_GV.xlsx'), else None."""
    match = re.match(r"(\d{2})(\d{2})(\d{4})_", path.name)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def latest_gv(files: tuple[Path, ...]) -> pl.DataFrame:
    """The extract with the latest Stichtag; by file name where dated, else by content."""
    dated = [(d, p) for p in files if (d := file_date(p)) is not None]
    if dated:
        return load_gv(max(dated)[1])
    frames = [load_gv(p) for p in files]
    return max(frames, key=lambda f: f.get_column("reference_date").max())


# ------------------------------------------------------------------------------------------
# Register frames
# ------------------------------------------------------------------------------------------

def municipalities(data_dir: Path | None = None, kreis: str = KREIS_AGS) -> pl.DataFrame:
    """The municipalities whose AGS starts with ``kreis`` (39 rows for 08118, 1 103 for "08").

    Columns: ``ags, ars, name`` (short name), ``name_official, is_stadt, area_km2,
    population`` (latest 31.12.), ``reference_date, lon, lat``; sorted by AGS. ``data_dir``:
    default :func:`workbench.paths.data_dir`; ``kreis``: an AGS prefix (Kreis or Land).

    Example::

        >>> municipalities(kreis="08111").get_column("name").to_list()
        ['Stuttgart']
    """
    return _municipalities(gv_files(data_dir), kreis)


@input_keyed_cache(lambda files, kreis: files, maxsize=8)
def _municipalities(files: tuple[Path, ...], kreis: str) -> pl.DataFrame:
    cached = diskcache.cache_file(file_stats(files), kreis, "municipalities")
    frame = diskcache.read_parquet(cached)
    if frame is not None:
        return frame
    gv = latest_gv(files)
    rows = gv.filter((pl.col("satzart") == "60") & pl.col("ags").str.starts_with(kreis))
    register = rows.select(
        "ags",
        "ars",
        pl.col("name").map_elements(short_name, return_dtype=pl.String).alias("name"),
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
    diskcache.write_parquet(cached, register)
    return register


def _kreis_display(raw: str) -> tuple[str, str]:
    """GV-ISys Kreis name → (display name, kind): 'Stuttgart, Stadtkreis' → ('Stadtkreis
    Stuttgart', 'Stadtkreis'); 'Böblingen' → ('Landkreis Böblingen', 'Landkreis')."""
    base, _, kind = (part.strip() for part in raw.partition(","))
    kind = kind or "Landkreis"
    return f"{kind} {base}", kind


def kreise(data_dir: Path | None = None, land: str = LAND_AGS) -> pl.DataFrame:
    """The Kreise of a Land (44 for Baden-Württemberg).

    Columns: ``ags`` (5 digits), ``name`` ('Landkreis Böblingen', 'Stadtkreis Stuttgart'),
    ``short_name`` ('Böblingen'), ``kind`` ('Landkreis' | 'Stadtkreis'), ``n_municipalities``.
    """
    return _kreise(gv_files(data_dir), land)


@input_keyed_cache(lambda files, land: files, maxsize=4)
def _kreise(files: tuple[Path, ...], land: str) -> pl.DataFrame:
    # On disk like the register: every report asks whether its Kreis is a Stadtkreis, and a
    # fresh report worker would otherwise parse the GV-ISys workbook for it (~2 s).
    cached = diskcache.cache_file(file_stats(files), land, "kreise")
    frame = diskcache.read_parquet(cached)
    if frame is not None:
        return frame
    frame = _kreise_from_gv(latest_gv(files), land)
    diskcache.write_parquet(cached, frame)
    return frame


def _kreise_from_gv(gv: pl.DataFrame, land: str) -> pl.DataFrame:
    rows = gv.filter((pl.col("satzart") == "40") & pl.col("ags").str.starts_with(land))
    counts = (gv.filter((pl.col("satzart") == "60") & pl.col("ags").str.starts_with(land))
              .group_by(pl.col("ags").str.slice(0, 5).alias("ags")).len("n_municipalities"))
    records = []
    for ags, raw in zip(rows.get_column("ags"), rows.get_column("name"), strict=True):
        name, kind = _kreis_display(raw)
        records.append({"ags": ags, "name": name, "short_name": short_name(raw), "kind": kind})
    frame = pl.DataFrame(records, schema={"ags": pl.String, "name": pl.String,
                                          "short_name": pl.String, "kind": pl.String})
    return (frame.join(counts, on="ags", how="left")
            .with_columns(pl.col("n_municipalities").fill_null(0).cast(pl.Int64)).sort("ags"))


def area_names(kreis: str = KREIS_AGS, data_dir: Path | None = None) -> dict[str, str]:
    """German names of the Kreis and its Land: {'08115': 'Landkreis Böblingen', '08': …}."""
    if kreis == KREIS_AGS:
        return {KREIS_AGS: KREIS_NAME, LAND_AGS: LAND_NAME}
    land = kreis[:2]
    out = {kreis: f"Kreis {kreis}", land: LAND_NAME if land == LAND_AGS else f"Land {land}"}
    match = kreise(data_dir, land).filter(pl.col("ags") == kreis)
    if match.height:
        out[kreis] = match.get_column("name")[0]
    return out


def kreis_name(kreis: str = KREIS_AGS, data_dir: Path | None = None) -> str:
    """'Landkreis Ludwigsburg', 'Stadtkreis Stuttgart'."""
    return area_names(kreis, data_dir)[kreis]


def is_stadtkreis(kreis: str, data_dir: Path | None = None) -> bool:
    """True for a Stadtkreis (a city that is its own Kreis, e.g. 08111 Stuttgart)."""
    match = kreise(data_dir, kreis[:2]).filter(pl.col("ags") == kreis)
    return bool(match.height) and match.get_column("kind")[0] == "Stadtkreis"


def default_kreis(environ: Mapping[str, str] | None = None,
                  settings: Settings | None = None) -> str:
    """The Kreis a process without CLI works on: ``Settings.kreis`` (``WORKBENCH_KREIS`` of
    ``environ``, set by ``workbench dashboards --kreis`` for its kernels), else Landkreis
    Ludwigsburg. A malformed value raises ``ValueError`` (German)."""
    settings = settings if settings is not None else Settings.from_env(environ)
    return settings.kreis or KREIS_AGS


def kreis_of(ags: str) -> str:
    """The Kreis key (5 digits) of a municipality or Kreis AGS: '08118076' → '08118'."""
    ags = str(ags).strip()
    if len(ags) < 5 or not ags.isdigit():
        raise ValueError(f"„{ags}“ ist kein Gemeinde- oder Kreisschlüssel (5 oder 8 Ziffern).")
    return ags[:5]


def name_of(ags: str, data_dir: Path | None = None) -> str:
    """Display name of any AGS: municipality ('Sachsenheim'), Kreis or Land."""
    ags = str(ags).strip()
    if len(ags) == 2:
        return LAND_NAME if ags == LAND_AGS else f"Land {ags}"
    if len(ags) == 5:
        return kreis_name(ags, data_dir)
    return resolve(ags, municipalities(data_dir, kreis=ags[:5]))[1]


# ------------------------------------------------------------------------------------------
# Resolving what a user typed
# ------------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """Case-, umlaut- and prefix-insensitive key: 'Stadt Sachsenheim' → 'sachsenheim'."""
    text = text.casefold().strip()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = re.sub(r",\s*stadt$", "", text)
    text = re.sub(r"^(stadt|gemeinde)\s+", "", text)
    return re.sub(r"[\s\-_./]+", " ", text).strip()


def resolve(name_or_ags: str, register: pl.DataFrame | None = None) -> tuple[str, str]:
    """The ``(ags, name)`` of a municipality given by name or AGS.

    ``name_or_ags``: a name in any case, with or without „Stadt“/„, Stadt“, or the AGS with
    or without its leading zero. ``register``: the frame to search (default: the
    municipalities of Landkreis Ludwigsburg; pass ``municipalities(kreis="08")`` for all of
    Baden-Württemberg). Raises ``UnknownMunicipalityError`` (German, with close matches) for
    anything else, and for a name that occurs in several Kreise of the register.

    Example::

        >>> resolve("sachsenheim")
        ('08118076', 'Sachsenheim')
        >>> resolve("8118076")
        ('08118076', 'Sachsenheim')
        >>> resolve("Böblingen", municipalities(kreis="08115"))
        ('08115003', 'Böblingen')
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
        key = normalise(query)
        hits = [(ags, name) for ags, name in pairs if normalise(name) == key]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:  # e.g. "Altdorf" in three Kreise of Baden-Württemberg
            raise UnknownMunicipalityError(
                f"Mehrdeutige Gemeinde „{query}“: "
                + ", ".join(f"{name} ({ags}, {_kreis_label_safe(ags[:5])})" for ags, name in hits)
                + ". Bitte den 8-stelligen Gemeindeschlüssel (AGS) angeben."
            )
    by_key = {normalise(name): name for _, name in pairs}
    close = difflib.get_close_matches(normalise(query), list(by_key), n=3, cutoff=0.6)
    if close:
        hint = "Meinten Sie: " + ", ".join(by_key[c] for c in close) + "?"
    else:
        examples = ", ".join(name for _, name in pairs[:3])
        kreis_keys = {ags[:5] for ags, _ in pairs}
        if len(kreis_keys) == 1:
            (only,) = kreis_keys
            where = "im " + _kreis_label_safe(only)
        else:
            where = "der Auswahl"
        hint = (
            f"Erwartet wird der Name oder der 8-stellige Gemeindeschlüssel (AGS) einer der "
            f"{len(pairs)} Städte und Gemeinden {where} (z. B. {examples})."
        )
    raise UnknownMunicipalityError(f"Unbekannte Gemeinde „{query}“. {hint}")


def _kreis_label_safe(kreis: str) -> str:
    try:
        return kreis_name(kreis)
    except (FileNotFoundError, ValueError):
        return f"Kreis {kreis}"


def resolve_kreis(name_or_ags: str, data_dir: Path | None = None) -> tuple[str, str]:
    """('08115', 'Landkreis Böblingen') for '08115', '8115', 'Böblingen', 'Landkreis
    Böblingen', 'LK Böblingen'; ('08111', 'Stadtkreis Stuttgart') for 'Stuttgart'.

    Raises ``UnknownKreisError`` (German, with close matches) for anything else.
    """
    table = kreise(data_dir)
    query = str(name_or_ags).strip()
    digits = query.replace(" ", "")
    pairs = list(zip(table.get_column("ags"), table.get_column("name"),
                     table.get_column("short_name"), strict=True))
    if digits.isdigit():
        wanted = digits.zfill(5)
        for ags, name, _ in pairs:
            if ags == wanted:
                return ags, name
    else:
        full = normalise(query)
        kind = re.match(r"^(landkreis|stadtkreis|lk|kreis)\s+", full)
        key = full[kind.end():] if kind else full
        hits = [(ags, name) for ags, name, short in pairs if normalise(short) == key]
        if kind and kind.group(1) in ("landkreis", "stadtkreis"):
            hits = [h for h in hits if normalise(h[1]).startswith(kind.group(1))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise UnknownKreisError(
                f"Mehrdeutiger Kreis „{query}“: "
                + ", ".join(f"{name} ({ags})" for ags, name in hits)
                + ". Bitte den 5-stelligen Kreisschlüssel oder „Stadtkreis …“/„Landkreis …“ "
                "angeben."
            )
        by_key = {normalise(short): name for _, name, short in pairs}
        close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.6)
        if close:
            raise UnknownKreisError(
                f"Unbekannter Kreis „{query}“. Meinten Sie: "
                + ", ".join(by_key[c] for c in close) + "?"
            )
    raise UnknownKreisError(
        f"Unbekannter Kreis „{query}“. Erwartet wird der Name oder der 5-stellige "
        f"Kreisschlüssel eines der {len(pairs)} Stadt- und Landkreise in Baden-Württemberg "
        "(z. B. 08118 Ludwigsburg, 08115 Böblingen, 08111 Stuttgart)."
    )
