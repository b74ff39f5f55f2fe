"""Kreis integration indicators: tidy frames from the Regionaldatenbank tables and the AZR records.

Pure functions over the loader output (``workbench.loaders.regionaldatenbank`` and
``workbench.loaders.azr``); figures, report section and dashboard tab only arrange these frames.

``kreis_indicators(kreis)`` – one row per indicator × year (Regionaldatenbank tables, which end
2015/2016, plus the 2025 records of AZR, Fortschreibung and Mikrozensus, each with its own
``indicator_id`` and ``concept``: the three never share a series).

``foreign_population_structure(kreis)`` – the structure of the foreign population on
31.12.2025 from the Ausländerzentralregister (AZR) records.

``sources_used(kreis)`` – which file (name, origin, Stand) was read for which table, so the
report can say it. A newer export of a table dropped into the user directory (``data/user/``,
env ``WORKBENCH_USER_DIR``) replaces the shipped one (``find_table``).

Every function is cached on the paths, modification times and sizes of the files it reads.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench import paths
from workbench.cache import input_keyed_cache
from workbench.formatting import fmt_date
from workbench.region import KREIS_AGS

PUBLISHER = "Statistische Ämter des Bundes und der Länder"

# Concepts of the foreign population: never on one line, never in one chart trace.
AZR = "AZR"
FORTSCHREIBUNG = "Fortschreibung"
MIKROZENSUS = "Mikrozensus"

CONCEPT_NOTE = (
    "Zwei Zahlen für denselben Stichtag: Das Ausländerzentralregister (AZR) ist das Register der "
    "Ausländerbehörden und zählt alle dort erfassten Personen, auch solche, die (noch) nicht bei "
    "einer Gemeinde gemeldet sind, mit eigenen Erfassungs- und Löschfristen. Die "
    "Bevölkerungsfortschreibung (Basis Zensus 2022) schreibt die gemeldete Einwohnerzahl fort "
    "und ergibt daher weniger Ausländerinnen und Ausländer – beide Zahlen sind richtig, messen "
    "aber Verschiedenes."
)
MIKROZENSUS_NOTE = (
    "Der Anteil der Bevölkerung mit Migrationshintergrund stammt aus dem Mikrozensus, einer "
    "Stichprobenbefragung: ein Schätzwert für den Kreis mit Stichprobenfehler, der auch "
    "Deutsche mit Migrationshintergrund umfasst – ein drittes Konzept, nicht mit den "
    "Ausländerzahlen vergleichbar."
)
OUTDATED_NOTE = (
    "Die Tabellen der Regionaldatenbank in diesem Projekt enden 2015/2016. Sie zeigen die "
    "Entwicklung bis dahin, nicht den aktuellen Stand."
)

SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.String(),
    "label": pl.String(),
    "unit": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "year": pl.Int32(),
    "reference_date": pl.Date(),
    "period": pl.String(),  # German text of the period: „31.12.2016“, „Jahresdurchschnitt 2016“
    "value": pl.Float64(),
    "marker": pl.String(),
    "concept": pl.String(),
    "source": pl.String(),
    "table": pl.String(),
    "file": pl.String(),
    "stand": pl.String(),
    "group": pl.String(),
}


@dataclass(frozen=True)
class TableInfo:
    code: str
    statistic: str  # the statistic behind the table (shown in the source line)
    period: str  # jahr | jahresdurchschnitt | stichtag

    @property
    def source(self) -> str:
        if self.code.startswith("AI"):
            return f"{PUBLISHER}, Regionalatlas Deutschland, Indikator {self.code}"
        return (f"{PUBLISHER}, Regionaldatenbank Deutschland, Tabelle {self.code} "
                f"({self.statistic})")


TABLES: dict[str, TableInfo] = {
    t.code: t
    for t in (
        TableInfo("12511-01-01-4", "Einbürgerungsstatistik", "jahr"),
        TableInfo("13211-01-03-4", "Arbeitsmarktstatistik der Bundesagentur für Arbeit",
                  "jahresdurchschnitt"),
        TableInfo("13211-02-05-4", "Arbeitsmarktstatistik der Bundesagentur für Arbeit",
                  "jahresdurchschnitt"),
        TableInfo("AI008-1", "Arbeitsmarktstatistik der Bundesagentur für Arbeit",
                  "jahresdurchschnitt"),
        TableInfo("AI008-2", "Arbeitsmarktstatistik der Bundesagentur für Arbeit",
                  "jahresdurchschnitt"),
        TableInfo("22811-02-02-4", "Statistik der Bundesagentur für Arbeit, SGB II",
                  "stichtag"),
        TableInfo("13111-02-02-4", "Beschäftigungsstatistik der Bundesagentur für Arbeit",
                  "stichtag"),
        TableInfo("13111-01-03-4", "Beschäftigungsstatistik der Bundesagentur für Arbeit",
                  "stichtag"),
        TableInfo("22221-01-01-4", "Asylbewerberleistungsstatistik", "stichtag"),
    )
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str
    # table code -> accepted ``variable`` strings (loader rule: header labels joined with
    # " | "); tables in preference order: the first with values for the Kreis is used.
    variables: dict[str, tuple[str, ...]]
    group: str  # chart the indicator belongs to

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(self.variables)

    def match(self, table: str, variable: str) -> bool:
        return _norm(variable) in {_norm(v) for v in self.variables.get(table, ())}


CONTINENTS = ("Europa", "Asien", "Afrika", "Amerika", "Australien und Ozeanien")
_SGB2 = "dar.: Regelleistungsberechtigte nach dem SGB II | insgesamt"
_QUOTE = "Arbeitslosenquote bez. auf alle zivile Erwerbsp."

INDICATORS: tuple[Indicator, ...] = (
    Indicator("einbuergerungen", "Einbürgerungen insgesamt", "Anzahl",
              {"12511-01-01-4": ("Insgesamt",)}, "einbuergerungen"),
    *(
        Indicator(f"einbuergerungen_{c.split()[0].lower()}", f"Einbürgerungen: {c}", "Anzahl",
                  {"12511-01-01-4": (c,)}, "einbuergerungen")
        for c in CONTINENTS
    ),
    Indicator("einbuergerungen_staatenlos",
              "Einbürgerungen: staatenlos, unbekannt, ungeklärt, ohne Angabe", "Anzahl",
              {"12511-01-01-4": ("Staatenlos, unbekannt, ungeklärt, ohne Angabe",)},
              "einbuergerungen"),
    Indicator("arbeitslose", "Arbeitslose insgesamt", "Anzahl",
              {"13211-01-03-4": ("Arbeitslose insgesamt",), "13211-02-05-4": ("Arbeitslose",)},
              "arbeitslose"),
    Indicator("arbeitslose_auslaender", "Arbeitslose Ausländerinnen und Ausländer", "Anzahl",
              {"13211-01-03-4": ("Arbeitslose | und zwar | Ausländer",),
               "13211-02-05-4": ("Arbeitslose | Ausländer",)}, "arbeitslose"),
    Indicator("anteil_auslaender_arbeitslose",
              "Anteil der Ausländerinnen und Ausländer an den Arbeitslosen", "%",
              {"AI008-1": ("Anteil arbeitslose Ausländer an Arbeitslosen insg.",)},
              "arbeitslosenquote"),
    Indicator("arbeitslosenquote", "Arbeitslosenquote insgesamt", "%",
              {"13211-02-05-4": (_QUOTE,), "AI008-1": ("Arbeitslosenquote",)},
              "arbeitslosenquote"),
    Indicator("arbeitslosenquote_auslaender",
              "Arbeitslosenquote der Ausländerinnen und Ausländer", "%",
              {"13211-02-05-4": (f"{_QUOTE} | Ausländer",),
               "AI008-2": ("Arbeitslosenquote Ausländer",)}, "arbeitslosenquote"),
    Indicator("sgb2", "SGB-II-Leistungsberechtigte insgesamt", "Anzahl",
              {"22811-02-02-4": (f"{_SGB2} | Insgesamt",)}, "sgb2"),
    Indicator("sgb2_auslaender",
              "SGB-II-Leistungsberechtigte: darunter Ausländerinnen und Ausländer", "Anzahl",
              {"22811-02-02-4": (f"{_SGB2} | Ausländer(innen)", f"{_SGB2} | Ausländer")},
              "sgb2"),
    Indicator("svb_wohnort", "Sozialversicherungspflichtig Beschäftigte am Wohnort", "Anzahl",
              {"13111-02-02-4": ("Insgesamt | Insgesamt",)}, "svb"),
    Indicator("svb_wohnort_auslaender",
              "Sozialversicherungspflichtig Beschäftigte am Wohnort: Ausländerinnen und "
              "Ausländer", "Anzahl", {"13111-02-02-4": ("Ausländer(innen) | Insgesamt",)},
              "svb"),
    Indicator("svb_arbeitsort", "Sozialversicherungspflichtig Beschäftigte am Arbeitsort",
              "Anzahl", {"13111-01-03-4": ("Insgesamt | Insgesamt",)}, "svb"),
    Indicator("svb_arbeitsort_auslaender",
              "Sozialversicherungspflichtig Beschäftigte am Arbeitsort: Ausländerinnen und "
              "Ausländer", "Anzahl", {"13111-01-03-4": ("Ausländer(innen) | Insgesamt",)},
              "svb"),
    Indicator("asylbewerberleistungen",
              "Empfängerinnen und Empfänger von Asylbewerberregelleistungen", "Anzahl",
              {"22221-01-01-4": ("Regelleistungsempfänger",)}, "asyl"),
)
INDICATOR_BY_ID = {i.id: i for i in INDICATORS}

# Charts / report tables: group -> German topic.
GROUPS: dict[str, str] = {
    "einbuergerungen": "Einbürgerungen",
    "arbeitslose": "Arbeitslose",
    "arbeitslosenquote": "Arbeitslosenquote und Anteil an den Arbeitslosen",
    "sgb2": "SGB-II-Leistungsberechtigte",
    "svb": "Sozialversicherungspflichtig Beschäftigte",
    "asyl": "Asylbewerberleistungen",
    "bestand_2025": "Ausländerinnen und Ausländer 31.12.2025",
}


# ------------------------------------------------------------------------------------------
# Files (user directory first) and cached loading
# ------------------------------------------------------------------------------------------

@input_keyed_cache(lambda path: [path], maxsize=32)
def _table_frame(path: Path) -> pl.DataFrame:
    from workbench.loaders.regionaldatenbank import load_regionaldatenbank

    return load_regionaldatenbank(Path(path))


def release_source_tables() -> None:
    """Forget the whole Regionaldatenbank tables read for :func:`kreis_indicators` (every
    Kreis of Germany, ≈ 30 MiB); the per-Kreis result stays cached. For a process that keeps
    what it needs and lives on, a pre-heated dashboard kernel (``dashboards.base.
    release_build_memory``); a later call for another Kreis reads the files again."""
    _table_frame.cache_clear()


def _find_table(code: str, data_dir: Path | None) -> Path | None:
    from workbench.loaders.regionaldatenbank import find_table

    try:
        return Path(find_table(code, data_dir))
    except (FileNotFoundError, KeyError, LookupError):
        return None


def _user_dir(data_dir: Path | None) -> Path:
    return paths.user_dir(data=data_dir)


def _origin(path: Path, data_dir: Path | None) -> str:
    user = _user_dir(data_dir).resolve()
    try:
        path.resolve().relative_to(user)
    except ValueError:
        return "mitgeliefert"
    return "Nutzerverzeichnis"


_DATE_IN_NAME = re.compile(r"(\d{2})(\d{2})(\d{4})")


def _azr_candidates(kreis: str, folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.glob("*.json")
            if f"kreis_{kreis}_records" in p.name or ("azr" in p.name.casefold()
                                                      and kreis in p.name)]


def _name_date(path: Path) -> dt.date:
    m = _DATE_IN_NAME.search(path.name)
    if m:
        try:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            pass
    return dt.date.min


def azr_path(kreis: str = KREIS_AGS, data_dir: Path | None = None) -> Path | None:
    """The AZR records file of ``kreis``: a newer one in the user directory (Stichtag in the
    file name, ``kreis_<AGS>_records_<TTMMJJJJ>.json``) wins over the shipped one."""
    root = Path(data_dir) if data_dir else paths.data_dir()
    user = sorted(_azr_candidates(kreis, _user_dir(data_dir)), key=_name_date)
    shipped = sorted(_azr_candidates(kreis, root / "raw" / "azr_2025"), key=_name_date)
    if user and (not shipped or _name_date(user[-1]) >= _name_date(shipped[-1])):
        return user[-1]
    return shipped[-1] if shipped else None


@input_keyed_cache(lambda path: [path], maxsize=4)
def _azr_frame(path: Path) -> pl.DataFrame:
    from workbench.loaders.azr import load_azr_records

    return load_azr_records(Path(path))


def azr_records(kreis: str = KREIS_AGS, data_dir: Path | None = None) -> tuple[pl.DataFrame,
                                                                               Path | None]:
    """(the loader's AZR records of ``kreis``, the file read); empty frame without a file."""
    path = azr_path(kreis, data_dir)
    if path is None:
        return pl.DataFrame(), None
    try:
        frame = _azr_frame(path)
    except ModuleNotFoundError as exc:  # a checkout without the AZR loader: no records
        if exc.name != "workbench.loaders.azr":
            raise
        return pl.DataFrame(), None
    if "ags" in frame.columns:
        frame = frame.filter(pl.col("ags") == kreis)
    return frame, path


# ------------------------------------------------------------------------------------------
# Kreis names and periods
# ------------------------------------------------------------------------------------------

def kreis_display_name(raw: str | None, kreis: str) -> str:
    """„Ludwigsburg, Landkreis“ → „Landkreis Ludwigsburg“; „Stuttgart, Landeshauptstadt,
    Kreisfreie Stadt“ → „Stuttgart“."""
    if not raw:
        return f"Kreis {kreis}"
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) >= 2 and parts[-1] == "Landkreis":
        return f"Landkreis {parts[0]}"
    if len(parts) >= 2 and parts[-1] in ("Kreisfreie Stadt", "Stadtkreis"):
        return f"Stadtkreis {parts[0]}"
    return parts[0]


def _period_text(info: TableInfo, year: int, day: dt.date | None) -> str:
    if day is not None:
        return fmt_date(day)
    if info.period == "jahresdurchschnitt":
        return f"Jahresdurchschnitt {year}"
    return f"Kalenderjahr {year}"


def _stand_text(days: list[dt.date | None], years: list[int]) -> str:
    known = [d for d in days if d is not None]
    if known:
        return fmt_date(max(known))
    return str(max(years)) if years else "–"


# ------------------------------------------------------------------------------------------
# The indicator frame
# ------------------------------------------------------------------------------------------

def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _table_rows(code: str, kreis: str, data_dir: Path | None) -> tuple[pl.DataFrame, Path] | None:
    path = _find_table(code, data_dir)
    if path is None:
        return None
    frame = _table_frame(path)
    return frame.filter(pl.col("ags") == kreis), path


def _regionaldatenbank_indicators(kreis: str, data_dir: Path | None) -> pl.DataFrame:
    tables: dict[str, tuple[pl.DataFrame, Path] | None] = {}
    out: list[dict] = []
    for ind in INDICATORS:
        for code in ind.tables:
            if code not in tables:
                tables[code] = _table_rows(code, kreis, data_dir)
            found = tables[code]
            if found is None or found[0].height == 0:
                continue
            rows, path = found
            variables = [v for v in rows.get_column("variable").unique(maintain_order=True)
                         if ind.match(code, v)]
            if not variables:
                continue
            picked = rows.filter(pl.col("variable") == variables[0]).sort("year")
            if picked.get_column("value").is_null().all():
                continue  # e.g. the foreigners' rate of 13211-02-05-4 for another Kreis
            info = TABLES[code]
            stand = _stand_text(rows.get_column("reference_date").to_list(),
                                rows.get_column("year").to_list())
            for r in picked.iter_rows(named=True):
                value = r["value"]
                if ind.unit == "%" and r.get("marker") == "-":
                    # „-“ is „nichts vorhanden“ (the loader's 0); for a rate it means the
                    # rate was not computed (foreigners' rate before 2009), not 0 %.
                    value = None
                out.append({
                    "indicator_id": ind.id, "label": ind.label, "unit": ind.unit,
                    "ags": kreis, "name": kreis_display_name(r.get("name"), kreis),
                    "year": r["year"], "reference_date": r.get("reference_date"),
                    "period": _period_text(info, r["year"], r.get("reference_date")),
                    "value": value, "marker": r.get("marker"),
                    "concept": "Regionaldatenbank", "source": info.source, "table": code,
                    "file": path.name, "stand": stand, "group": ind.group,
                })
            break
    return pl.DataFrame(out, schema=SCHEMA) if out else _empty()


# AZR loader categories → (indicator_id, label) of the 2025 key figures.
def _record_indicators(kreis: str, data_dir: Path | None) -> pl.DataFrame:
    """Key figures of 2025: AZR foreigners, Fortschreibung residents/foreigners/share and the
    Mikrozensus share with migration background – one indicator (and concept) each."""
    records, path = azr_records(kreis, data_dir)
    if path is None or records.height == 0:
        return _empty()
    out: list[dict] = []
    name = kreis_display_name(None, kreis) if kreis != KREIS_AGS else "Landkreis Ludwigsburg"

    def add(ind_id: str, label: str, row: dict, unit: str) -> None:
        day = row.get("reference_date")
        year = row.get("year") or (day.year if day else None)
        out.append({
            "indicator_id": ind_id, "label": label, "unit": unit, "ags": kreis, "name": name,
            "year": year, "reference_date": day,
            "period": fmt_date(day) if day else f"Jahr {year}", "value": row["value"],
            "marker": None, "concept": row["concept"], "source": row["source"],
            "table": _record_table(row), "file": path.name,
            "stand": fmt_date(day) if day else str(year), "group": "bestand_2025",
        })

    for row in records.iter_rows(named=True):
        kind = _record_kind(row)
        if kind == "azr_total":
            add("auslaender_azr", "Ausländerinnen und Ausländer (AZR)", row, "Anzahl")
        elif kind == "fs_population":
            add("einwohner_fortschreibung", "Einwohnerinnen und Einwohner (Fortschreibung)",
                row, "Anzahl")
        elif kind == "fs_foreign":
            add("auslaender_fortschreibung", "Ausländerinnen und Ausländer (Fortschreibung)",
                row, "Anzahl")
        elif kind == "fs_share":
            add("auslaenderanteil_fortschreibung", "Ausländeranteil (Fortschreibung)", row, "%")
        elif kind == "mz_share":
            add("migrationshintergrund_mikrozensus",
                "Anteil mit Migrationshintergrund (Mikrozensus, Schätzwert)", row, "%")
    return pl.DataFrame(out, schema=SCHEMA) if out else _empty()


def _record_table(row: dict) -> str:
    source = row.get("source") or ""
    m = re.search(r"\b(\d{5}-\d{4}(?:-[A-Z0-9-]+)?|\d{5}-\d{2}-\d{2}-\d(?:-[A-Z])?)\b", source)
    return m.group(1) if m else row.get("dataset") or ""


# (dataset, category) of the AZR loader -> 2025 key figure.
RECORD_KINDS: dict[tuple[str, str], str] = {
    ("azr", "foreign_total"): "azr_total",
    ("fortschreibung_alter", "population"): "fs_population",
    ("fortschreibung_alter", "foreign"): "fs_foreign",
    ("fortschreibung_alter", "foreign_share"): "fs_share",
    ("mikrozensus", "migrationshintergrund_anteil"): "mz_share",
}


def _record_kind(row: dict) -> str | None:
    """Which 2025 key figure a record is (``RECORD_KINDS``), else None."""
    return RECORD_KINDS.get((row.get("dataset") or "", row.get("category") or ""))


def _input_files(kreis: str, data_dir: str | None) -> list[Path | None]:
    root = Path(data_dir) if data_dir else None
    return [*(_find_table(code, root) for code in TABLES), azr_path(kreis, root)]


@input_keyed_cache(_input_files, maxsize=16)
def _indicators_cached(kreis: str, data_dir: str | None) -> pl.DataFrame:
    root = Path(data_dir) if data_dir else None
    frame = pl.concat([_regionaldatenbank_indicators(kreis, root),
                       _record_indicators(kreis, root)])
    return frame.sort("group", "indicator_id", "year")


def kreis_indicators(kreis: str = KREIS_AGS, data_dir: Path | str | None = None) -> pl.DataFrame:
    """One row per indicator × year for ``kreis`` (see ``SCHEMA``).

    ``concept`` keeps the counting concepts apart: „Regionaldatenbank“ (tables ending
    2015/2016), „AZR“, „Fortschreibung“, „Mikrozensus“ (records of 2025). ``file`` and
    ``stand`` name the file read and the last period in it; ``value`` is null where the table
    has a marker (``marker``: „-“, „.“, „x“, „/“, „...“)."""
    root = Path(data_dir).resolve() if data_dir else None
    return _indicators_cached(kreis, str(root) if root else None)


def indicator_series(frame: pl.DataFrame, indicator_id: str) -> pl.DataFrame:
    """Rows of one indicator (one table, one concept) sorted by year."""
    return frame.filter(pl.col("indicator_id") == indicator_id).sort("year")


def last_year(frame: pl.DataFrame, group: str | None = None) -> int | None:
    rows = frame if group is None else frame.filter(pl.col("group") == group)
    rows = rows.filter(pl.col("value").is_not_null())
    return rows.get_column("year").max() if rows.height else None


# ------------------------------------------------------------------------------------------
# AZR structure 31.12.2025
# ------------------------------------------------------------------------------------------

STRUCTURE_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),  # Aufenthaltsstatus | Staatsangehörigkeit | Aufenthaltsdauer | …
    "label": pl.String(),
    "value": pl.Float64(),
    "share": pl.Float64(),  # % of the AZR foreigners
    "ags": pl.String(),
    "reference_date": pl.Date(),
    "concept": pl.String(),
    "source": pl.String(),
    "file": pl.String(),
    "stand": pl.String(),
}

# German labels of the AZR items (loader labels/categories as keys, lower case).
STRUCTURE_ITEMS: dict[str, tuple[str, str]] = {
    "permission_pending": ("Aufenthaltsstatus", "mit Aufenthaltsgestattung"),
    "mit aufenthaltsgestattung": ("Aufenthaltsstatus", "mit Aufenthaltsgestattung"),
    "aufenthaltsgestattung": ("Aufenthaltsstatus", "mit Aufenthaltsgestattung"),
    "tolerated": ("Aufenthaltsstatus", "mit Duldung"),
    "mit duldung": ("Aufenthaltsstatus", "mit Duldung"),
    "duldung": ("Aufenthaltsstatus", "mit Duldung"),
    "turkey": ("Staatsangehörigkeit", "Türkei"),
    "türkei": ("Staatsangehörigkeit", "Türkei"),
    "ukraine": ("Staatsangehörigkeit", "Ukraine"),
    "romania": ("Staatsangehörigkeit", "Rumänien"),
    "rumänien": ("Staatsangehörigkeit", "Rumänien"),
    "syria": ("Staatsangehörigkeit", "Syrien"),
    "syrien": ("Staatsangehörigkeit", "Syrien"),
    "poland": ("Staatsangehörigkeit", "Polen"),
    "polen": ("Staatsangehörigkeit", "Polen"),
    "resident_25_years_or_more": ("Aufenthaltsdauer", "seit 25 Jahren oder länger hier"),
    "seit 25 jahren oder länger hier": ("Aufenthaltsdauer", "seit 25 Jahren oder länger hier"),
    "eu27": ("Staatsangehörigkeit", "EU-27"),
    "non_eu": ("Staatsangehörigkeit", "Drittstaaten (nicht EU)"),
}
STRUCTURE_GROUP_ORDER = ("Aufenthaltsstatus", "Aufenthaltsdauer", "Staatsangehörigkeit",
                         "Herkunftsgruppe")


def _structure_item(row: dict) -> tuple[str, str] | None:
    for key in (row.get("category"), row.get("label")):
        item = STRUCTURE_ITEMS.get(str(key or "").strip().casefold())
        if item:
            return item
    return None


def foreign_population_structure(kreis: str = KREIS_AGS,
                                 data_dir: Path | str | None = None) -> pl.DataFrame:
    """Structure of the foreign population (AZR, 31.12.2025): status (Aufenthaltsgestattung,
    Duldung), main nationalities, residence of 25 years or more, origin groups (12521-0041).

    Counts only (concept „AZR“); ``share`` = % of the AZR total of the same file. Empty frame
    (``STRUCTURE_SCHEMA``) when there are no AZR records for ``kreis``."""
    root = Path(data_dir).resolve() if data_dir else None
    records, path = azr_records(kreis, root)
    if path is None or records.height == 0:
        return pl.DataFrame(schema=STRUCTURE_SCHEMA)
    return _structure(records, kreis, path.name)


def _structure(records: pl.DataFrame, kreis: str, file: str) -> pl.DataFrame:
    azr = records.filter(pl.col("concept") == AZR)
    total = None
    out: list[dict] = []
    for row in azr.iter_rows(named=True):
        unit = str(row.get("unit") or "").casefold()
        if "%" in unit or "prozent" in unit:
            continue
        day = row.get("reference_date")
        base = {"ags": kreis, "reference_date": day, "concept": AZR, "source": row["source"],
                "file": file, "stand": fmt_date(day) if day else str(row.get("year"))}
        if row.get("dataset") == "azr" and _record_kind(row) == "azr_total":
            total = row["value"]
            continue
        if row.get("dataset") == "herkunftsgruppen":
            label = str(row.get("label") or row.get("category"))
            if label.casefold() == "insgesamt":
                total = total if total is not None else row["value"]
                continue
            out.append({**base, "group": "Herkunftsgruppe", "label": label,
                        "value": row["value"]})
            continue
        item = _structure_item(row)
        if item is not None:
            out.append({**base, "group": item[0], "label": item[1], "value": row["value"]})
    if not out:
        return pl.DataFrame(schema=STRUCTURE_SCHEMA)
    frame = pl.DataFrame([{**r, "share": None} for r in out], schema=STRUCTURE_SCHEMA)
    frame = frame.unique(["group", "label"], keep="first", maintain_order=True)
    if total:
        frame = frame.with_columns((pl.col("value") / total * 100).alias("share"))
    order = {g: i for i, g in enumerate(STRUCTURE_GROUP_ORDER)}
    return frame.with_columns(
        pl.col("group").replace_strict(order, default=len(order)).alias("_o")
    ).sort("_o", maintain_order=True).drop("_o")


# ------------------------------------------------------------------------------------------
# Files used (for the report's source list)
# ------------------------------------------------------------------------------------------

SOURCES_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "source": pl.String(),
    "file": pl.String(),
    "path": pl.String(),
    "origin": pl.String(),  # mitgeliefert | Nutzerverzeichnis
    "stand": pl.String(),
    "concept": pl.String(),
}


def sources_used(kreis: str = KREIS_AGS, data_dir: Path | str | None = None,
                 indicators: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per file behind ``kreis_indicators`` / ``foreign_population_structure``:
    table, citation, file name, path, origin (shipped or user directory), Stand, concept."""
    root = Path(data_dir).resolve() if data_dir else None
    frame = indicators if indicators is not None else kreis_indicators(kreis, root)
    out: list[dict] = []
    for code in TABLES:
        rows = frame.filter(pl.col("table") == code)
        if rows.height == 0:
            continue
        path = _find_table(code, root)
        out.append({"table": code, "source": rows.get_column("source")[0],
                    "file": rows.get_column("file")[0], "path": str(path) if path else "",
                    "origin": _origin(path, root) if path else "",
                    "stand": rows.get_column("stand")[0], "concept": "Regionaldatenbank"})
    path = azr_path(kreis, root)
    if path is not None:
        records = frame.filter(pl.col("concept").is_in([AZR, FORTSCHREIBUNG, MIKROZENSUS]))
        for concept in (AZR, FORTSCHREIBUNG, MIKROZENSUS):
            rows = records.filter(pl.col("concept") == concept)
            if rows.height == 0:
                continue
            out.append({"table": rows.get_column("table")[0],
                        "source": rows.get_column("source")[0], "file": path.name,
                        "path": str(path), "origin": _origin(path, root),
                        "stand": rows.sort("year").get_column("stand")[-1], "concept": concept})
    return pl.DataFrame(out, schema=SOURCES_SCHEMA) if out else pl.DataFrame(
        schema=SOURCES_SCHEMA)
