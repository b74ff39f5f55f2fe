"""Report section „Integrationsindikatoren des Landkreises“ (Kreis report).

Numbers from ``workbench.integration``, charts from ``workbench.figures.integration``; this
module arranges them and says which file (name, origin, Stand) it read for every table.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench import integration as integ
from workbench.formatting import fmt_int, fmt_percent
from workbench.reports.context import (
    ReportContext,
    bullet_list,
    heading,
    kpis,
    note,
    paragraph,
    show_figure,
    table,
)

TITLE = "Integrationsindikatoren des Landkreises (Kreisebene)"
ANCHOR = "integrationsindikatoren"
SOURCE_PREFIX = "integration:"  # ctx.cite keys of this section


def data(ctx: ReportContext, kreis: str | None = None) -> dict[str, Any]:
    """Indicators, AZR structure and files used for the report's Kreis (cached per report)."""
    kreis = kreis or ctx.ags[:5]

    def load() -> dict[str, Any]:
        frame = integ.kreis_indicators(kreis, ctx.datenverzeichnis)
        structure = integ.foreign_population_structure(kreis, ctx.datenverzeichnis)
        files = integ.sources_used(kreis, ctx.datenverzeichnis, indicators=frame)
        return {"frame": frame, "structure": structure, "files": files, "kreis": kreis}

    return ctx.cached(f"integration-{kreis}", load)


def _value(frame: pl.DataFrame, indicator_id: str) -> dict[str, Any] | None:
    rows = frame.filter((pl.col("indicator_id") == indicator_id) & pl.col("value").is_not_null())
    return rows.sort("year").row(-1, named=True) if rows.height else None


def _fmt(value: float | None, unit: str) -> str:
    return fmt_percent(value) if unit == "%" else fmt_int(value)


def _records_part(ctx: ReportContext, frame: pl.DataFrame, structure: pl.DataFrame) -> None:
    from workbench.figures import integration as fig

    azr = _value(frame, "auslaender_azr")
    fs = _value(frame, "auslaender_fortschreibung")
    pop = _value(frame, "einwohner_fortschreibung")
    share = _value(frame, "auslaenderanteil_fortschreibung")
    mz = _value(frame, "migrationshintergrund_mikrozensus")
    if not (azr or fs or mz):
        note("Für diesen Kreis liegen keine Angaben aus dem Ausländerzentralregister, der "
             "Bevölkerungsfortschreibung 2025 oder dem Mikrozensus vor.")
        return
    day = (azr or fs or mz)["stand"]
    heading(f"Ausländerinnen und Ausländer am {day}", level=3)
    tiles = []
    if azr:
        tiles.append((fmt_int(azr["value"]), f"Ausländerinnen und Ausländer laut "
                      f"Ausländerzentralregister (AZR), {azr['stand']}"))
    if fs:
        extra = f" von {fmt_int(pop['value'])} Einwohnern" if pop else ""
        extra += f" = {fmt_percent(share['value'])}" if share else ""
        tiles.append((fmt_int(fs["value"]), "Ausländerinnen und Ausländer laut "
                      f"Bevölkerungsfortschreibung{extra}, {fs['stand']}"))
    if mz:
        tiles.append((fmt_percent(mz["value"]), "Anteil mit Migrationshintergrund "
                      f"(Mikrozensus, Schätzwert {mz['year']})"))
    kpis(tiles)
    if azr and fs:
        note(integ.CONCEPT_NOTE)
        show_figure(ctx, fig.bestand_2025_chart(frame))
    if structure.height:
        show_figure(ctx, fig.structure_chart(structure))
        try:
            show_figure(ctx, fig.origin_groups_chart(structure))
        except fig.NoDataError:
            pass
        rows = [[r["group"], r["label"], fmt_int(r["value"]), fmt_percent(r["share"])]
                for r in structure.iter_rows(named=True)]
        first = structure.row(0, named=True)
        table(["Merkmal", "Gruppe", "Anzahl", "Anteil an allen Ausländern (AZR)"], rows,
              f"Quelle: {'; '.join(structure.get_column('source').unique(maintain_order=True))}"
              f", Stichtag {first['stand']} (Datei {first['file']}). Gruppen überschneiden "
              "sich (z. B. Europa und EU-27) und ergeben zusammen nicht 100 %.",
              numeric={2, 3})
    if mz:
        show_figure(ctx, fig.mikrozensus_chart(frame))
        note(integ.MIKROZENSUS_NOTE)


def _history_part(ctx: ReportContext, frame: pl.DataFrame) -> None:
    from workbench.figures import integration as fig

    rdb = frame.filter(pl.col("concept") == "Regionaldatenbank")
    if rdb.height == 0:
        note("Für diesen Kreis wurden keine Tabellen der Regionaldatenbank gefunden.")
        return
    last = integ.last_year(rdb)
    heading(f"Entwicklung bis {last} (Regionaldatenbank, Stand {last})", level=3)
    note(integ.OUTDATED_NOTE)
    for key, figure in fig.kreis_charts(rdb, pl.DataFrame(schema=integ.STRUCTURE_SCHEMA)):
        del key
        show_figure(ctx, figure)
    rows = []
    for ind in integ.INDICATORS:
        series = rdb.filter((pl.col("indicator_id") == ind.id) & pl.col("value").is_not_null())
        if series.height == 0 or ind.id.startswith("einbuergerungen_"):
            continue
        first, latest = series.row(0, named=True), series.row(-1, named=True)
        rows.append([ind.label, f"{_fmt(first['value'], ind.unit)} ({first['period']})",
                     f"{_fmt(latest['value'], ind.unit)} ({latest['period']})",
                     latest["table"]])
    table(["Indikator", "erster Wert", "letzter Wert", "Tabelle"], rows,
          "Quelle: Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland "
          "und Regionalatlas (Tabellen siehe Spalte und „Verwendete Dateien“). "
          "Letzte Werte 2015/2016 – kein aktueller Stand.")


def _files_part(ctx: ReportContext, files: pl.DataFrame) -> None:
    heading("Verwendete Dateien", level=3)
    if files.height == 0:
        note("Keine Dateien gefunden.")
        return
    rows = [[r["table"], r["file"], r["origin"], r["stand"], r["source"]]
            for r in files.iter_rows(named=True)]
    table(["Tabelle", "Datei", "Herkunft", "Stand", "Quelle"], rows,
          "„Nutzerverzeichnis“: eine dort abgelegte neuere Tabelle ersetzt die mitgelieferte "
          "automatisch (siehe docs/kreis-integrationsindikatoren.md).")
    user = files.filter(pl.col("origin") == "Nutzerverzeichnis")
    if user.height:
        bullet_list([f"Neuere Tabelle {r['table']} aus dem Nutzerverzeichnis verwendet: "
                     f"{r['file']} (Stand {r['stand']})" for r in user.iter_rows(named=True)])
    for r in files.iter_rows(named=True):
        ctx.cite(f"{SOURCE_PREFIX}{r['table']}:{r['concept']}",
                 f"{r['stand']} (Datei {r['file']})")


def kreis_integrationsindikatoren(ctx: ReportContext, kreis: str | None = None) -> None:
    """The whole section: 2025 records (AZR, Fortschreibung, Mikrozensus) and the
    Regionaldatenbank series ending 2015/2016, with the files used."""
    d = data(ctx, kreis)
    frame, structure, files = d["frame"], d["structure"], d["files"]
    heading(TITLE, anchor=ANCHOR)
    name = frame.get_column("name")[0] if frame.height else f"Kreis {d['kreis']}"
    records = "die Ausländerzahlen zum Jahresende 2025 und " if structure.height else ""
    paragraph(f"Amtliche Kennzahlen zur Integration für den {name}: {records}"
              "die Zeitreihen der Regionaldatenbank zu Einbürgerungen, "
              "Arbeitslosigkeit, SGB-II-Leistungen, Beschäftigung und Asylbewerberleistungen, "
              "die 2015/2016 enden.")
    if frame.height == 0:
        note(f"Für den Kreis {d['kreis']} liegen keine Integrationsindikatoren vor.")
        return
    _records_part(ctx, frame, structure)
    _history_part(ctx, frame)
    _files_part(ctx, files)


def source_row(key: str, stand: str) -> list[str] | None:
    """Row of „Datenquellen und Hinweise“ for a key cited by this section (else None)."""
    if not key.startswith(SOURCE_PREFIX):
        return None
    table_code, concept = key[len(SOURCE_PREFIX):].rsplit(":", 1)
    info = integ.TABLES.get(table_code)
    if info is not None:
        label = f"Regionaldatenbank {table_code}" if not table_code.startswith("AI") else (
            f"Regionalatlas {table_code}")
        return [label, info.source, stand, "amtlich", "dl-de/by-2-0"]
    labels = {integ.AZR: "Ausländerzentralregister (AZR)",
              integ.FORTSCHREIBUNG: "Bevölkerungsfortschreibung (Basis Zensus 2022)",
              integ.MIKROZENSUS: "Mikrozensus (Schätzwert)"}
    return [labels.get(concept, concept), f"Statistisches Bundesamt (Destatis) / Statistisches "
            f"Landesamt Baden-Württemberg, {table_code}", stand, "amtlich", "dl-de/by-2-0"]


__all__ = ["data", "kreis_integrationsindikatoren", "source_row"]
