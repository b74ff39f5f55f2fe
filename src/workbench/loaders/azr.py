"""Kreis records of 31.12.2025: AZR, GENESIS 12521-0041, Fortschreibung by age, Mikrozensus.

``kreis_<AGS>_records_<TTMMJJJJ>.json`` holds the records of one Kreis from four published JSON
files; every top-level key names the source file (a path in the upstream repository
CrispStrobe/bw-datenatlas, not in this project), its commit and the source/reference date
(``"docs/data/district-azr-2025.json (commit …; source: …, reference_date 2025-12-31)"``).
:func:`load_azr_records` returns them long (:data:`SCHEMA`), one row per figure:

==========================  ==============  ================================================
``dataset``                 ``concept``     ``source``
==========================  ==============  ================================================
``azr``                     AZR             Destatis "Migration, Integration, Regionen" (AZR)
``herkunftsgruppen``        AZR             GENESIS 12521-0041 (AZR, origin groups)
``fortschreibung_alter``    Fortschreibung  GENESIS 12411-03-03-4-B (population Fortschreibung)
``mikrozensus``             Mikrozensus     GENESIS 12211-0503 (Statistik BW, survey estimate)
==========================  ==============  ================================================

AZR and Fortschreibung count foreigners differently (register of foreigners vs. registered
residents): never one series. Mikrozensus values are yearly survey estimates (no Stichtag:
``reference_date`` null, ``year`` set). ``category`` is the stable key of the figure (the
field name of the source, ``alter_<group>_<insgesamt|deutsche|auslaender>`` for age groups,
a slug of the label for origin groups); ``unit`` is ``Anzahl``, ``Prozent`` or ``Tausend``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl

from workbench.loaders._common import Collector, check_schema, decode, read_bytes

SCHEMA: dict[str, pl.DataType] = {
    "dataset": pl.String(),
    "source": pl.String(),
    "concept": pl.String(),
    "ags": pl.String(),
    "reference_date": pl.Date(),
    "year": pl.Int32(),
    "category": pl.String(),
    "label": pl.String(),
    "value": pl.Float64(),
    "unit": pl.String(),
}

# file name part in the key -> (dataset, concept, German citation)
DATASETS: dict[str, tuple[str, str, str]] = {
    "district-azr": (
        "azr",
        "AZR",
        "Statistisches Bundesamt, Migration, Integration, Regionen (Ausländerzentralregister)",
    ),
    "district-origin-groups": (
        "herkunftsgruppen",
        "AZR",
        "Statistisches Bundesamt, GENESIS 12521-0041 (Ausländerzentralregister)",
    ),
    "district-age-nationality": (
        "fortschreibung_alter",
        "Fortschreibung",
        "Statistische Ämter des Bundes und der Länder, GENESIS 12411-03-03-4-B "
        "(Bevölkerungsfortschreibung)",
    ),
    "district-timeseries": (
        "mikrozensus",
        "Mikrozensus",
        "Statistisches Landesamt Baden-Württemberg, GENESIS 12211-0503 (Mikrozensus)",
    ),
}

AZR_LABELS: dict[str, str] = {
    "foreign_total": "Ausländerinnen und Ausländer insgesamt",
    "recruitment_states": "aus den Gastarbeiter-Anwerbestaaten",
    "eu27": "aus EU-27-Staaten",
    "eu_since_2004": "aus seit 2004 beigetretenen EU-Staaten",
    "non_eu": "aus Drittstaaten (nicht EU)",
    "turkey": "Türkei",
    "ukraine": "Ukraine",
    "syria": "Syrien",
    "romania": "Rumänien",
    "poland": "Polen",
    "permission_pending": "mit Aufenthaltsgestattung",
    "tolerated": "mit Duldung",
    "resident_25_years_or_more": "seit 25 Jahren oder länger hier",
}
FORTSCHREIBUNG_LABELS: dict[str, tuple[str, str, str]] = {
    # field -> (category, label, unit)
    "population": ("population", "Bevölkerung insgesamt", "Anzahl"),
    "german": ("german", "Deutsche", "Anzahl"),
    "foreign": ("foreign", "Ausländerinnen und Ausländer", "Anzahl"),
    "foreign_share_percent": ("foreign_share", "Ausländeranteil", "Prozent"),
    # "alter" in the key marks age-related figures (not totals).
    "under_25_share_foreign_percent": (
        "alter_unter_25_anteil_auslaender",
        "Anteil der unter 25-Jährigen an den Ausländerinnen und Ausländern",
        "Prozent",
    ),
    "under_25_share_german_percent": (
        "alter_unter_25_anteil_deutsche",
        "Anteil der unter 25-Jährigen an den Deutschen",
        "Prozent",
    ),
}
AGE_PARTS = {"total": "insgesamt", "german": "deutsche", "foreign": "auslaender"}
AGE_LABELS = {"total": "insgesamt", "german": "Deutsche", "foreign": "Ausländer(innen)"}
_KEY = re.compile(r"^(?P<path>\S+)\s*\(commit (?P<commit>[0-9a-f]{40});\s*source:\s*(?P<src>.*)\)$")
_ISO = re.compile(r"reference_date\s+(\d{4}-\d{2}-\d{2})")
_GERMAN = re.compile(r"reference_date\s+(\d{2})\.(\d{2})\.(\d{4})")


def _slug(text: str) -> str:
    text = text.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    pos = text.find(needle, start)
    return None if pos < 0 else text.count("\n", 0, pos) + 1


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _add(
    rows: list[dict],
    col: Collector,
    text: str,
    base: dict,
    start: int,
    field: str,
    value: object,
    what: tuple[str, str, str],
) -> None:
    number = _number(value)
    if number is None:
        col.add(_line_of(text, f'"{field}"', start), field, repr(value), "Zahl")
        return
    category, label, unit = what
    rows.append({**base, "category": category, "label": label, "value": number, "unit": unit})


def load_azr_records(path: str | Path) -> pl.DataFrame:
    """The Kreis records file as one long frame (:data:`SCHEMA`)."""
    col = Collector(path)
    text = decode(read_bytes(col), col, "utf-8")
    col.raise_if_any()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        col.add(exc.lineno, None, exc.msg, "gültiges JSON-Objekt (UTF-8)")
        raise col.fail() from None
    if not isinstance(data, dict):
        col.add(1, None, type(data).__name__, "JSON-Objekt mit einem Schlüssel je Quelldatei")
        raise col.fail()
    rows: list[dict] = []
    for key, record in data.items():
        if key == "note":
            continue
        line = _line_of(text, json.dumps(key, ensure_ascii=False)[:40])
        found = next((k for k in DATASETS if k in key), None)
        m = _KEY.match(key)
        if found is None or m is None:
            col.add(
                line,
                None,
                key[:60],
                "Schlüssel „<Datei> (commit <40 Hex-Zeichen>; source: …)“ einer der Quellen "
                + ", ".join(DATASETS),
            )
            continue
        if not isinstance(record, dict):
            col.add(line, key[:40], type(record).__name__, "JSON-Objekt mit den Kreiswerten")
            continue
        dataset, concept, source = DATASETS[found]
        ref: dt.date | None = None
        iso, ger = _ISO.search(key), _GERMAN.search(key)
        try:
            if iso:
                ref = dt.date.fromisoformat(iso.group(1))
            elif ger:
                ref = dt.date(int(ger.group(3)), int(ger.group(2)), int(ger.group(1)))
        except ValueError:
            col.add(line, "reference_date", key[:60], "gültiges Datum JJJJ-MM-TT oder TT.MM.JJJJ")
            continue
        if ref is None and dataset != "mikrozensus":
            col.add(line, "reference_date", key[:60], "Stichtag „reference_date JJJJ-MM-TT“")
            continue
        ags = str(record.get("id", ""))
        if not re.fullmatch(r"\d{5}", ags):
            col.add(_line_of(text, '"id"', text.find(key)), "id", ags, "Kreisschlüssel, 5 Ziffern")
            continue
        start = text.find(key)
        base = {
            "dataset": dataset,
            "source": source,
            "concept": concept,
            "ags": ags,
            "reference_date": ref,
            "year": ref.year if ref else None,
        }

        def add(
            field: str,
            value: object,
            category: str,
            label: str,
            unit: str,
            base: dict = base,
            start: int = start,
        ) -> None:
            _add(rows, col, text, base, start, field, value, (category, label, unit))

        if dataset == "azr":
            labels = record.get("labels") or {}
            for field, value in record.items():
                if field in ("id", "name", "labels"):
                    continue
                if field.endswith("_share_of_foreign"):
                    stem = field.removesuffix("_share_of_foreign")
                    label = AZR_LABELS.get(stem, labels.get(stem, stem))
                    add(field, value, field, f"Anteil an den Ausländern: {label}", "Prozent")
                else:
                    label = AZR_LABELS.get(field, labels.get(field, field))
                    add(field, value, field, label, "Anzahl")
        elif dataset == "herkunftsgruppen":
            for label, value in (record.get("groups") or {}).items():
                add(label, value, _slug(label), label, "Anzahl")
        elif dataset == "fortschreibung_alter":
            for field, (category, label, unit) in FORTSCHREIBUNG_LABELS.items():
                if field in record:
                    add(field, record[field], category, label, unit)
            for group, parts in (record.get("age_groups") or {}).items():
                for part, value in (parts or {}).items():
                    if part not in AGE_PARTS:
                        continue
                    add(
                        group,
                        value,
                        f"alter_{_slug(group)}_{AGE_PARTS[part]}",
                        f"{group}: {AGE_LABELS[part]}",
                        "Anzahl",
                    )
        else:  # mikrozensus: one value pair per survey year
            for year, values in (record.get("series") or {}).items():
                if not re.fullmatch(r"\d{4}", str(year)):
                    col.add(_line_of(text, f'"{year}"', start), "series", year, "Jahr JJJJ")
                    continue
                base["year"] = int(year)
                if "share_percent" in values:
                    add(
                        year,
                        values["share_percent"],
                        "migrationshintergrund_anteil",
                        "Anteil der Bevölkerung mit Migrationshintergrund",
                        "Prozent",
                    )
                if "migration_background_thousand" in values:
                    add(
                        year,
                        values["migration_background_thousand"],
                        "migrationshintergrund_tausend",
                        "Bevölkerung mit Migrationshintergrund (in 1.000)",
                        "Tausend",
                    )
    if not rows and not col.problems:
        col.file_problem("mindestens ein Datensatz (AZR, 12521-0041, Fortschreibung, Mikrozensus)")
    col.raise_if_any()
    return check_schema(pl.DataFrame(rows, schema=SCHEMA), SCHEMA, col.file)
