"""The sections of the municipal and Kreis reports (called from the report notebooks).

Each function takes the ``ReportContext`` built by ``einrichten`` and displays one section.
All numbers, texts and figures come from the data layers (``workbench.population``,
``workbench.metrics``, ``workbench.figures.*``, ``workbench.catalogue``, ``workbench.store``,
``workbench.progress``); this module only arranges them for the report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbench.formatting import (
    fmt_date,
    fmt_datetime_local,
    fmt_int,
    fmt_number,
    fmt_percent,
    fmt_points,
)
from workbench.reports.context import (
    ReportContext,
    bullet_list,
    env_path,
    heading,
    kpis,
    note,
    paragraph,
    show_figure,
    table,
)

SECTION_TITLES = {
    "kurzfassung": "1. Kurzfassung",
    "bevoelkerung": "2. Bevölkerung und Ausländeranteil",
    "handlungsfelder": "3. Handlungsfelder",
    "projekte": "4. Projekte und Förderung",
    "datenquellen": "5. Datenquellen und Hinweise",
    "begriffe": "6. Begriffe",
}

# The glossary every report ends with (issue: a mayor reads the PDF, not the code).
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Ausländeranteil", "Anteil der Einwohnerinnen und Einwohner ohne deutsche "
     "Staatsangehörigkeit an allen Einwohnern, in Prozent. Menschen mit deutscher und einer "
     "weiteren Staatsangehörigkeit zählen in der amtlichen Statistik als Deutsche."),
    ("AGS (Gemeindeschlüssel)", "Amtlicher Gemeindeschlüssel: 8 Ziffern je Gemeinde, die "
     "ersten 5 bezeichnen den Kreis ({kreis} = {kreis_name})."),
    ("Prozentpunkte", "Unterschied zwischen zwei Prozentwerten: von 15 % auf 17 % sind "
     "+2 Prozentpunkte (nicht +2 %)."),
    ("amtlich", "Wert, den ein statistisches Amt veröffentlicht hat (Zensus, Statistisches "
     "Landesamt, Gemeindeverzeichnis, Regionalatlas)."),
    ("geschätzt", "Wert, den dieses Monitoring zwischen amtlichen Werten berechnet; „± x "
     "Prozentpunkte“ nennt die Unsicherheit (9 von 10 Abweichungen im Rückblick-Test waren "
     "kleiner)."),
    ("Stichtag, Stand", "Tag, auf den sich ein Wert bezieht (z. B. 31.12.2024). „Stand 2025“: "
     "die Quelle nennt nur das Jahr, keinen Tag."),
    ("Zensus", "Volkszählung der statistischen Ämter (09.05.2011 und 15.05.2022); setzt die "
     "Einwohnerzahlen neu fest."),
    ("Reihenbruch", "Wechsel der Bevölkerungsbasis nach einem Zensus: Werte davor und danach "
     "sind nur eingeschränkt vergleichbar."),
    ("Projektion", "Fortschreibung des bisherigen Trends – keine Prognose, sie berücksichtigt "
     "keine künftigen Ereignisse."),
    ("Median", "Mittlerer Wert einer Gruppe: die Hälfte liegt darüber, die Hälfte darunter."),
)


def einrichten(
    gemeinde: str,
    berichtsjahr: int,
    *,
    mit_handlungsfeldern: bool = True,
    datenverzeichnis: str = "",
    messwerte_db: str = "",
    beispieldaten: bool = True,
    nur_bevoelkerung: bool = False,
) -> ReportContext:
    """Validate the notebook parameters, resolve the municipality, show the report title.

    ``nur_bevoelkerung``: population-only report for any municipality of Baden-Württemberg
    (Zensus 2022, GV-ISys, Kreis/Land series; no Handlungsfelder)."""
    from workbench import region
    from workbench.settings import Settings

    data_dir = env_path(datenverzeichnis)
    # The report's boundary: the environment is read once here; the parameters override it
    # (``datenverzeichnis`` moves user files, store and catalogues with it unless their own
    # variable is set) and the paths travel in the context, not through os.environ.
    settings = Settings.from_env(data_dir=data_dir, db_path=env_path(messwerte_db))
    key = str(gemeinde).strip()
    if key in (region.KREIS_NAME, "Kreis", "Landkreis"):
        key = region.KREIS_AGS  # older parameter values for the default Kreis report
    if key.isdigit() and len(key) == 5:
        ags, name, kind = key, region.kreis_name(key, data_dir), "kreis"
    else:
        # The runner passes an AGS; a name (typed by an analyst) is resolved in the default
        # Kreis, or in the Land for population-only reports.
        area = (key.zfill(8)[:5] if key.isdigit()
                else region.LAND_AGS if nur_bevoelkerung else region.KREIS_AGS)
        ags, name = region.resolve(key, region.municipalities(data_dir, kreis=area))
        kind = "bevoelkerung" if nur_bevoelkerung else "gemeinde"
    ctx = ReportContext(
        ags=ags, name=name, berichtsjahr=int(berichtsjahr), kind=kind,
        mit_handlungsfeldern=mit_handlungsfeldern and not nur_bevoelkerung,
        datenverzeichnis=data_dir,
        messwerte_db=env_path(messwerte_db), beispieldaten=beispieldaten,
        settings=settings,
    )
    title = f"Integrationsmonitoring {name}"
    if kind == "kreis":
        title += f" – Übersicht der {_n_municipalities(ctx)} Städte und Gemeinden"
    heading(title, level=1, anchor="titel")
    created = fmt_datetime_local(dt.datetime.now(dt.UTC))
    paragraph(f"Bericht {ctx.berichtsjahr} · Gemeindeschlüssel (AGS) {ags} · erstellt am "
              f"{created}")
    return ctx


def _n_municipalities(ctx: ReportContext) -> int:
    from workbench import region

    return region.municipalities(ctx.datenverzeichnis, kreis=ctx.kreis).height


def _boundaries(ctx: ReportContext) -> dict:
    """Municipality boundaries of the report's Kreis from the report's data directory."""
    from workbench.loaders.geo import kreis_geojson

    return kreis_geojson(ctx.kreis, ctx.data_dir)


def _kreis_word(ctx: ReportContext) -> str:
    """'Landkreis' or 'Stadtkreis' for headings („Karte des Landkreises“)."""
    from workbench import region

    return "Stadtkreis" if region.is_stadtkreis(ctx.kreis, ctx.datenverzeichnis) else "Landkreis"


# ------------------------------------------------------------------------------------------
# 1. Kurzfassung
# ------------------------------------------------------------------------------------------

def kurzfassung(ctx: ReportContext) -> None:
    from workbench.metrics import summary_text

    heading(SECTION_TITLES["kurzfassung"], anchor="kurzfassung")
    if ctx.kind == "bevoelkerung":
        _key_figures_other_kreis(ctx)
        return
    paragraph(summary_text(ctx.population(), ctx.ags))


def _key_figures_other_kreis(ctx: ReportContext) -> None:
    """Key figures for a municipality outside 08118 (``metrics.summary_text`` and
    ``figures.population.key_figure_rows`` are fixed to Landkreis Ludwigsburg, so this
    shows ``metrics.key_figures(..., kreis=...)`` directly)."""
    from workbench.metrics import key_figures

    f = key_figures(ctx.population(), ctx.ags, kreis=ctx.ags[:5])
    zensus = f"Zensus 2022, Stand {fmt_date(f['zensus_date'])}" if f["zensus_date"] else ""
    rows = [
        ["Einwohner", fmt_int(f["population"]),
         f"GV-ISys, Stand {fmt_date(f['population_date'])}" if f["population_date"] else "–"],
        ["Ausländeranteil", fmt_percent(f["zensus_share"]), zensus],
        ["Ausländeranteil im Kreis", fmt_percent(f["kreis_zensus_share"]),
         zensus + (" (aus Gemeindewerten berechnet)"
                   if f["kreis_zensus_status"] == "geschätzt" else "")],
        ["Abstand zum Kreis", fmt_points(f["gap_kreis"]), zensus],
        ["Abstand zu Baden-Württemberg", fmt_points(f["gap_land"]), zensus],
        ["Rang im Kreis (1 = höchster Anteil)",
         f"{f['rank']} von {f['n']}" if f["rank"] is not None else "–", zensus],
    ]
    if f["latest_share"] is not None:
        estimated = f["series_status"] == "geschätzt"
        value = fmt_percent(f["latest_share"])
        if estimated and f["latest_band"] is not None:
            value += f" ± {fmt_number(f['latest_band'])} Prozentpunkte"
        stand = f["latest_label"] if f["latest_label"].startswith("Stand") else (
            f"Stand {f['latest_label']}")
        rows.append(["Ausländeranteil zuletzt (geschätzt)" if estimated
                     else "Ausländeranteil zuletzt", value, stand])
    table(["Kennzahl", "Wert", "Quelle und Stand"], rows,
          "Geschätzte Werte sind als „geschätzt“ gekennzeichnet.", numeric={1})


# ------------------------------------------------------------------------------------------
# 2. Bevölkerung und Ausländeranteil
# ------------------------------------------------------------------------------------------

# Population sources the section's charts and tables never show (kept out of the source table).
_NOT_SHOWN = {"inkar", "regionalstatistik2011"}


def _cite_population(ctx: ReportContext) -> None:
    """Record every population source (and its latest Stand) shown for this area."""
    import polars as pl

    from workbench.metrics import date_label

    pop = ctx.population()
    own = pl.col("ags") == ctx.ags
    # Of the larger areas a report shows only the Regionalatlas line and the Zensus value.
    larger = pl.col("ags").is_in([a for a in (ctx.ags[:5], ctx.ags[:2]) if a != ctx.ags]) & (
        pl.col("source").is_in(["regionalatlas", "zensus2022"]))
    rows = pop.filter((own | larger) & ~pl.col("source").is_in(list(_NOT_SHOWN)))
    for source, date in (
        rows.group_by("source").agg(pl.col("reference_date").max()).sort("source").iter_rows()
    ):
        ctx.cite(source, date_label(source, date))


def bevoelkerung(ctx: ReportContext) -> None:
    """Trend vs Kreis and Land (estimates marked), rank, map, key figures."""
    from workbench.figures import population as popfig

    pop = ctx.population()
    heading(SECTION_TITLES["bevoelkerung"], anchor="bevoelkerung")
    if ctx.kind == "bevoelkerung":
        kreis = ctx.ags[:5]
        show_figure(ctx, popfig.trend_chart(pop, ctx.ags, kreis=kreis))
        show_figure(ctx, popfig.ranking_chart(pop, ctx.ags, kreis=kreis))
        show_figure(ctx, popfig.choropleth_map(pop, ctx.ags, kreis=kreis,
                                               geojson=_boundaries(ctx)))
        _cite_population(ctx)
        ctx.cite("geo", "Gebietsstand der Geometrien")
        return
    kreis, word, n = ctx.kreis, _kreis_word(ctx), _n_municipalities(ctx)
    heading("Kennzahlen", level=3)
    rows = popfig.key_figure_rows(pop, ctx.ags)
    table(["Kennzahl", "Wert", "Quelle und Stand"], [list(r) for r in rows],
          "Geschätzte Werte sind als „geschätzt“ gekennzeichnet.", numeric={1})
    heading(f"Entwicklung im Vergleich zu {word} und Land", level=3)
    show_figure(ctx, popfig.trend_chart(pop, ctx.ags, kreis=kreis))
    note(TREND_NOTE)
    if n > 1:
        heading(f"Rang unter den {n} Städten und Gemeinden", level=3)
        show_figure(ctx, popfig.ranking_chart(pop, ctx.ags, kreis=kreis))
        heading(f"Karte des {word}es", level=3)
        show_figure(ctx, popfig.choropleth_map(pop, ctx.ags, kreis=kreis,
                                               geojson=_boundaries(ctx)))
    else:
        note(f"{ctx.name} ist ein {word}: Stadt und Kreis sind dasselbe Gebiet. Rang und "
             "Karte innerhalb des Kreises entfallen; verglichen wird mit dem Land "
             "Baden-Württemberg.")
    _similar_municipalities(ctx, word)
    _cite_population(ctx)
    if n > 1:
        ctx.cite("geo", "Gebietsstand der Geometrien")


def _similar_municipalities(ctx: ReportContext, word: str) -> None:
    """„Vergleich mit ähnlich großen Gemeinden“: same size class (Zensus 2022 population) in
    the Kreis and in Baden-Württemberg, Zensus 2022 shares (official for every
    municipality)."""
    from workbench import metrics, population

    # Only the Zensus 2022 anchors, not the whole estimate (every GV-ISys workbook: ~15 s
    # per report worker).
    anchors = population.zensus2022_shares(ctx.datenverzeichnis)
    if anchors is None:
        return
    f = metrics.similar_municipalities(anchors, ctx.ags)
    if f is None:
        return
    heading("Vergleich mit ähnlich großen Gemeinden", level=3)
    rows = []
    if f["kreis_n"] > 1:
        rows.append([f"im {word} ({fmt_int(f['kreis_n'])} Gemeinden)",
                     fmt_percent(f["kreis_median"]),
                     f"{f['kreis_rank']} von {fmt_int(f['kreis_n'])}"])
    rows.append([f"in Baden-Württemberg ({fmt_int(f['land_n'])} Gemeinden)",
                 fmt_percent(f["land_median"]), f"{f['land_rank']} von {fmt_int(f['land_n'])}"])
    table(["Gemeinden mit " + f["class_label"], "Mittlerer Ausländeranteil (Median)",
           f"Rang von {ctx.name} (1 = höchster Anteil)"], rows,
          f"Ausländeranteil von {ctx.name}: {fmt_percent(f['share'])}. Größenklasse nach der "
          "Einwohnerzahl des Zensus 2022; Anteile: Zensus 2022 (15.05.2022), amtlich für jede "
          "Gemeinde. Der Median ist der mittlere Wert: Die Hälfte der Gemeinden liegt darüber.",
          numeric={1, 2})


TREND_NOTE = (
    "Amtliche Gemeindewerte: Quadrat = Zensus 2011 (09.05.2011), Raute = Zensus 2022 "
    "(15.05.2022), Dreieck = Statistik BW (Stand 2025; ohne Stichtag, für das Diagramm dem "
    "31.12.2024 zugeordnet – Annahme, nicht aus der Quelle). Gestrichelte Linien und offene "
    "Punkte: geschätzte Werte, hell hinterlegt ihre Unsicherheit (± Prozentpunkte aus dem "
    "Rückblick-Test). Senkrechte Linie: Reihenbruch, ab dem Zensus 2022 gilt eine neue "
    "Bevölkerungsbasis – Werte davor und danach sind nur eingeschränkt vergleichbar. "
    "Gepunktet: lineare Projektion (keine Prognose)."
)


def kreis_uebersicht(ctx: ReportContext) -> None:
    """Kreis report: all 39 municipalities side by side (table, ranking, map, trend)."""
    from workbench import metrics
    from workbench.figures import population as popfig

    pop = ctx.population()
    heading(SECTION_TITLES["bevoelkerung"] + " – alle Städte und Gemeinden",
            anchor="bevoelkerung")
    overview = metrics.overview_table(pop)
    rows = []
    for r in overview.iter_rows(named=True):
        latest = fmt_percent(r["share_latest"])
        if r.get("latest_status") == "geschätzt" and r["share_latest"] is not None:
            band = r.get("latest_band")
            latest += f" ± {fmt_number(band)}" if band is not None else ""
            latest += " (geschätzt)"
        rows.append([r["name"], r["ags"], fmt_int(r["population"]), fmt_percent(r["share_zensus"]),
                     str(r["rank"]) if r["rank"] is not None else "–",
                     fmt_points(r["gap_kreis"]), latest,
                     metrics.date_label(r["latest_source"], r["latest_date"])])
    table(["Gemeinde", "AGS", "Einwohner", "Ausländeranteil Zensus 2022", "Rang",
           "Abstand zum Kreis", "Ausländeranteil zuletzt", "Stand"], rows,
          "Quellen: Einwohner GV-ISys (Destatis); Ausländeranteil Zensus 2022 (15.05.2022); "
          "zuletzt: der jüngste Wert je Gemeinde – amtlich (Statistik BW, Stand 2025, oder "
          "eine amtliche Gemeindereihe) oder geschätzt (± Prozentpunkte: Unsicherheit aus dem "
          "Rückblick-Test).", numeric={2, 3, 4, 5, 6})
    kreis = ctx.kreis
    show_figure(ctx, popfig.ranking_chart(pop, kreis=kreis))
    show_figure(ctx, popfig.choropleth_map(pop, kreis=kreis, geojson=_boundaries(ctx)))
    show_figure(ctx, popfig.trend_chart(pop, ctx.ags, kreis=kreis))
    _cite_population(ctx)
    ctx.cite("geo", "Gebietsstand der Geometrien")


def kreis_integrationsindikatoren(ctx: ReportContext) -> None:
    """Kreis report: integration indicators of the Kreis (AZR/Fortschreibung/Mikrozensus 2025,
    Regionaldatenbank series ending 2015/2016) – see ``reports.integration_section``."""
    from workbench.reports import integration_section

    integration_section.kreis_integrationsindikatoren(ctx)


# ------------------------------------------------------------------------------------------
# 3. Handlungsfelder
# ------------------------------------------------------------------------------------------

def _as_of(ctx: ReportContext) -> dt.date:
    """Evaluation date of the report: end of the Berichtsjahr, not later than today."""
    return min(dt.date(ctx.berichtsjahr, 12, 31), dt.date.today())


def catalogue_for(ctx: ReportContext) -> Any | None:
    """The Handlungsfeld catalogue whose ``traeger.ags`` is this area (adapter: the
    catalogue module maps Träger ids, the report needs AGS → catalogue)."""

    def load() -> Any | None:
        from workbench.reports.context import catalogue_for_area

        # An explicit data directory brings its own catalogues (even when
        # WORKBENCH_CATALOGUE_DIR is set); without one the settings' directory.
        directory = (ctx.datenverzeichnis / "catalogues" if ctx.datenverzeichnis
                     else ctx.catalogue_dir)
        if ctx.datenverzeichnis and not directory.exists():
            return None
        # A broken catalogue fails only the report of its own area (file, line, reason).
        return catalogue_for_area(directory, ctx.ags, ctx.name)

    return ctx.cached("catalogue", load)


def observations_for(ctx: ReportContext, catalogue: Any) -> tuple[Any, bool]:
    """(observations, are_examples): stored values of the Träger, else Beispieldaten when the
    report allows them (``workbench.examples.observations_for``; the user's store is never
    modified)."""
    from workbench import examples

    return ctx.cached("observations", lambda: examples.observations_for(
        catalogue.traeger.id, _as_of(ctx), ctx.store_path, catalogue=catalogue,
        examples=ctx.beispieldaten))


def targets_assessments_for(ctx: ReportContext, catalogue: Any) -> tuple[Any, Any]:
    """(Zielwerte, assessments) of the Träger from the store (empty frames without a store
    file; the file is never created here)."""

    def load() -> tuple[Any, Any]:
        from workbench.progress import empty_assessments, empty_targets
        from workbench.store import ObservationStore

        path = ctx.store_path
        if not path.exists():
            return empty_targets(), empty_assessments()
        store = ObservationStore(path)
        return store.targets(catalogue.traeger.id), store.assessments(catalogue.traeger.id)

    return ctx.cached("targets_assessments", load)


def handlungsfelder(ctx: ReportContext) -> None:
    """Status per Handlungsfeld and Maßnahme, indicators, Zeitplan; or how to start one."""
    heading(SECTION_TITLES["handlungsfelder"], anchor="handlungsfelder")
    if not ctx.mit_handlungsfeldern:
        note("Dieser Abschnitt wurde für diesen Bericht ausgeschaltet "
             "(Parameter mit_handlungsfeldern).")
        return
    catalogue = catalogue_for(ctx)
    if catalogue is None:
        note(f"Für {ctx.name} gibt es noch keinen Maßnahmenkatalog mit Handlungsfeldern. "
             "So beginnen Sie: Die Koordinierungsstelle legt mit dem Integrationsmonitoring "
             "des Landkreises aus der Vorlage einen Katalog an (Handlungsfelder, Maßnahmen "
             "mit Ist-Zustand, Indikator, Zeitrahmen und Soll-Zustand) und erfasst Messwerte "
             "im Dashboard „Messwerte erfassen“ oder per Excel-Vorlage. Der nächste Bericht "
             "zeigt dann den Umsetzungsstand.")
        return
    from workbench import progress
    from workbench.catalogue import indicators_frame

    obs, examples = observations_for(ctx, catalogue)
    as_of = _as_of(ctx)
    current = indicators_frame(catalogue, closed=False)
    documents = catalogue.documents(closed=None)
    paragraph(f"Grundlage: {'; '.join(documents)}. Auswertungsstand: {fmt_date(as_of)}.")
    _cite_documents(ctx, catalogue, closed=None)
    _kontext(ctx, catalogue)
    _massnahmen_overview(ctx, catalogue)
    _history(ctx, catalogue)
    if current.height == 0:
        note("Keine laufenden Maßnahmen: alle Maßnahmen des Katalogs sind abgeschlossen.")
        return
    targets, assessments = targets_assessments_for(ctx, catalogue)
    prog = progress.indicator_progress(current, obs, as_of, targets=targets,
                                       assessments=assessments)
    if examples:
        note("Beispieldaten: Für diesen Träger sind noch keine Messwerte erfasst. Die "
             "folgenden Werte sind erfundene Beispieldaten zur Veranschaulichung, keine "
             "amtlichen oder gemessenen Werte.", example=True)
        ctx.notes.append("Abschnitt Handlungsfelder: Messwerte sind Beispieldaten.")
    _progress_details(ctx, catalogue, prog, obs, as_of, examples)


def _cite_documents(ctx: ReportContext, catalogue: Any, *, closed: bool | None) -> None:
    """Register the documents of the Maßnahmen shown (with their Stand) for „Datenquellen“."""
    for m in catalogue.massnahmen(closed=closed):
        ctx.cite_document(m.quelle.label(), _document_stand(catalogue, m.quelle.dokument))


def _document_stand(catalogue: Any, dokument: str) -> str:
    konzept = catalogue.traeger.konzept
    return konzept.stand if konzept.stand in dokument or konzept.titel in dokument else "–"


def _assumption_lines(ctx: ReportContext, labels: list[str]) -> None:
    """Print each assumption as its own note and register it for „Datenquellen“."""
    for label in labels:
        note(label)
        ctx.assume(label)


def _kontext(ctx: ReportContext, catalogue: Any) -> None:
    """Facts from the sources (quoted) with Stand and document: „Angaben aus den Quellen“."""
    if not catalogue.kontext:
        return
    heading("Angaben aus den Quellen", level=3)
    table(["Angabe", "Wortlaut der Quelle", "Stand", "Quelle"],
          [[k.titel, f"„{k.zitat}“", k.stand, k.quelle.label()] for k in catalogue.kontext],
          "Wörtlich aus den genannten Dokumenten übernommen.")
    for k in catalogue.kontext:
        ctx.cite_document(k.quelle.label(), k.stand)


def _massnahmen_overview(ctx: ReportContext, catalogue: Any) -> None:
    """Current Maßnahmen: Zeitrahmen (source wording), period, responsible, assumptions."""
    from workbench.catalogue import ZEITRAHMEN_LABELS, join_assumptions

    massnahmen = catalogue.massnahmen(closed=False)
    if not massnahmen:
        return
    heading("Maßnahmen, Zeitrahmen und Zuständigkeit", level=3)
    rows = []
    for m in massnahmen:
        start, due = catalogue.massnahme_dates(m)
        notes = catalogue.massnahme_assumptions(m)
        rows.append([m.nummer or "", m.titel, "; ".join(ZEITRAHMEN_LABELS[z] for z in m.zeitrahmen),
                     f"{fmt_date(start)} – {fmt_date(due)}" + (" (Annahme)" if notes else ""),
                     "; ".join(m.zustaendig) or "–", join_assumptions(notes) or ""])
        for label in notes:
            ctx.assume(label)
    table(["Nr.", "Maßnahme", "Zeitrahmen (Quelle)", "Zeitraum", "Zuständig", "Annahme"], rows,
          "Quelle: " + "; ".join(catalogue.documents(closed=False))
          + ". Zeitraum: Fälligkeit aus dem Zeitrahmen berechnet.")


def _history(ctx: ReportContext, catalogue: Any) -> None:
    """Finished projects as history: real dates and the source's own figures, no status."""
    from workbench.formatting import fmt_number

    closed = catalogue.massnahmen(closed=True)
    if not closed:
        return
    heading("Abgeschlossene Projekte (Geschichte)", level=3)
    rows = []
    for m in closed:
        start, due = catalogue.massnahme_dates(m)
        figures = [f"{i.name}: {fmt_number(i.zielwert, 0)}"
                   + (f" {i.einheit}" if i.einheit else "")
                   + (" je Jahr" if i.zeitbezug == "jahr" else "")
                   + (f" ({i.hinweis.rstrip('.')})" if i.hinweis else "")
                   for i in m.indikatoren if i.zielwert is not None]
        milestones = [i.name.removeprefix("Meilenstein: ") for i in m.indikatoren
                      if i.art == "meilenstein"]
        rows.append([m.titel, f"{fmt_date(start)} – {fmt_date(due)}", m.abgeschlossen,
                     "; ".join(figures) or "–", "; ".join(milestones) or "–",
                     m.quelle.label()])
    table(["Projekt/Maßnahme", "Projektzeitraum", "Status", "Vorgaben der Quelle",
           "Meilensteine der Quelle", "Quelle"], rows,
          "Geschichte: Zeitraum und Vorgaben wie in der Quelle; nicht am heutigen Zeitplan "
          "gemessen (kein Status „verzögert“ oder „gefährdet“).")


MAX_TIMESERIES = 6  # indicator charts per report; the dashboard shows all of them
GEHEIMHALTUNG = (
    "Geheimhaltung: In veröffentlichten Tabellen werden Fallzahlen von 1 oder 2 Personen "
    "durch „.“ ersetzt; damit sie nicht aus Summen zurückgerechnet werden können, wird "
    "zusätzlich der nächstkleinere Wert derselben Zeile oder Spalte unterdrückt "
    "(sekundäre Geheimhaltung)."
)


def _progress_details(ctx: ReportContext, catalogue: Any, prog: Any, obs: Any,
                      as_of: dt.date, examples: bool) -> None:
    import polars as pl

    from workbench import progress
    from workbench.catalogue import indicators_frame
    from workbench.figures import progress as progfig

    docs = "; ".join(catalogue.documents(closed=False))
    assumptions = catalogue.assumptions(closed=False)
    heading("Stand je Handlungsfeld", level=3)
    hf = progress.rollup_handlungsfelder(prog)
    total = progress.rollup_traeger(prog).row(0, named=True)
    paragraph(f"Insgesamt {total['summary']}. Gezählt werden alle Indikatoren der laufenden "
              "Maßnahmen, auch solche ohne Zielwert oder ohne Messwert.")
    table(["Handlungsfeld", "Verteilung der Status (alle Indikatoren)",
           "im Plan oder erreicht", "kritischster Status"],
          [[r["handlungsfeld"], r["summary"], f"{r['n_on_track']} von {r['n_indicators']}",
            r["worst_status"]] for r in hf.iter_rows(named=True)],
          f"Quelle: {docs}; Messwerte "
          f"{'Beispieldaten' if examples else 'Messwertspeicher'}, Stand {fmt_date(as_of)}")
    heading("Was die Status bedeuten", level=4)
    bullet_list([f"{status}: {text}" for status, text
                 in progress.status_legend(set(prog["status"]))])
    _assumption_lines(ctx, assumptions)
    show_figure(ctx, progfig.status_overview_chart(prog, catalogue=catalogue))

    heading("Maßnahmen und Indikatoren (Ist/Soll)", level=3)
    published = progfig.published_with_assumptions(prog, suppress=True)
    table(published.columns, [list(r) for r in published.iter_rows()],
          f"Quelle: {docs}; Messwerte"
          f"{' – Beispieldaten' if examples else ''}, Stand {fmt_date(as_of)}. "
          "„.“ = Wert unterdrückt (Geheimhaltung, 1–2 Personen). Spalte „Annahme“: was nicht "
          "aus der Quelle stammt.",
          numeric={4, 6, 7})
    ctx.notes.append(GEHEIMHALTUNG)
    show_figure(ctx, progfig.indicator_progress_chart(prog, catalogue=catalogue, suppress=True))

    heading("Indikatoren im Zeitverlauf", level=3)
    numeric = prog.filter(pl.col("kind").is_in(["anzahl", "anteil"]) & (pl.col("n_values") >= 2))
    for row in numeric.head(MAX_TIMESERIES).iter_rows(named=True):
        series = obs.filter((pl.col("traeger_id") == row["traeger_id"])
                            & (pl.col("indicator_id") == row["indicator_id"]))
        show_figure(ctx, progfig.indicator_timeseries_chart(
            series, row, as_of=as_of, catalogue=catalogue, suppress=True))
    if numeric.height > MAX_TIMESERIES:
        note(f"Weitere {numeric.height - MAX_TIMESERIES} Indikatoren mit Zeitreihe zeigt das "
             "Dashboard Handlungsfelder.")
    elif numeric.height == 0:
        note("Noch keine Indikatoren mit mindestens zwei Messwerten.")

    heading("Zeitplan", level=3)
    z = catalogue.traeger.zeitplan
    evaluations = catalogue.evaluation_dates()
    paragraph(f"Umsetzungszeitraum {fmt_date(z.beginn)} bis {fmt_date(z.ende)}; Evaluation alle "
              f"{z.evaluation_jahre} Jahre ({', '.join(fmt_date(d) for d in evaluations)}).")
    if z.evaluation_hinweis:
        paragraph(f"Wortlaut der Quelle: „{z.evaluation_hinweis}“")
    if z.annahme is not None:
        _assumption_lines(ctx, [z.annahme.label()])
    if z.weitere_eintraege:
        bullet_list([f"Weitere Zeile des Zeitplans: {e.titel}"
                     + (f" ({e.hinweis})" if e.hinweis else "") for e in z.weitere_eintraege])
    show_figure(ctx, progfig.zeitplan_chart(catalogue, as_of=as_of))
    done = [d for d in evaluations if d <= as_of]
    if len(done) >= 2:
        heading("Evaluation", level=3)
        targets, assessments = targets_assessments_for(ctx, catalogue)
        snapshot = progress.evaluation_snapshot(indicators_frame(catalogue, closed=False), obs,
                                                done[-2], done[-1], targets=targets,
                                                assessments=assessments)
        show_figure(ctx, progfig.evaluation_chart(snapshot, catalogue=catalogue))


# ------------------------------------------------------------------------------------------
# 4. Projekte und Förderung
# ------------------------------------------------------------------------------------------

def projekte(ctx: ReportContext) -> None:
    from workbench.formatting import fmt_currency

    heading(SECTION_TITLES["projekte"], anchor="projekte")
    catalogue = catalogue_for(ctx) if ctx.mit_handlungsfeldern or ctx.kind == "kreis" else None
    if catalogue is None or not catalogue.projekte:
        note(f"Für {ctx.name} sind keine Projekte mit Förderung im Maßnahmenkatalog erfasst.")
        return
    as_of = _as_of(ctx)
    rows = []
    for p in catalogue.projekte:
        funding = "; ".join(
            f"{fmt_currency(f.betrag_eur)} ({f.geber}{', ' + f.programm if f.programm else ''})"
            for f in p.foerderung) or "–"
        # Status from the project's own dates: a finished project is history, not "delayed".
        status = (f"abgeschlossen (Projektzeitraum {p.beginn.year}–{p.ende.year})"
                  if p.ende < as_of else "laufend")
        rows.append([p.name, fmt_date(p.beginn), fmt_date(p.ende), status, funding,
                     p.stelle or "–"])
        ctx.cite_document(p.quelle.label(), _document_stand(catalogue, p.quelle.dokument))
    documents = list(dict.fromkeys(p.quelle.label() for p in catalogue.projekte))
    table(["Projekt", "Beginn", "Ende", "Status", "Förderung", "Stellen"], rows,
          f"Quelle: {'; '.join(documents)}")
    fin = catalogue.finanzierung
    if fin is not None:
        funded = sum(f.betrag_eur for p in catalogue.projekte for f in p.foerderung)
        tiles = [(fmt_currency(fin.gesamtkosten_eur), "Gesamtkosten"),
                 (fmt_currency(funded), "Fördermittel"),
                 (fmt_currency(fin.eigenanteil_eur), "Eigenanteil")]
        if fin.foerderanteil:
            tiles.append((fin.foerderanteil, "Förderanteil (Wortlaut der Quelle)"))
        kpis(tiles)
        paragraph(f"Kostentabelle: Quelle: {fin.quelle.label()}"
                  + (f", {fin.quelle.abschnitt}" if fin.quelle.abschnitt else "") + ".")
        ctx.cite_document(fin.quelle.label(), _document_stand(catalogue, fin.quelle.dokument))


def begriffe(ctx: ReportContext) -> None:
    """6. Begriffe: the glossary (plain German, for readers without statistics background)."""
    heading(SECTION_TITLES["begriffe"], anchor="begriffe")
    from workbench import region

    names = {"kreis": ctx.kreis, "kreis_name": region.kreis_name(ctx.kreis, ctx.datenverzeichnis)}
    table(["Begriff", "Bedeutung"], [[term, text.format(**names)] for term, text in GLOSSARY],
          "Begriffe, die in diesem Bericht vorkommen.")


# ------------------------------------------------------------------------------------------
# 5. Datenquellen und Hinweise
# ------------------------------------------------------------------------------------------

def datenquellen(ctx: ReportContext) -> None:
    """The sources whose values this report showed, with their reference dates; then notes.

    Lists only what the sections registered while displaying values — ``ctx.cite(key,
    stand)`` for data sources, ``ctx.cite_document(label, stand)`` for catalogue documents,
    ``ctx.assume(label)`` for assumptions — so a report without Handlungsfelder lists no
    catalogue document. Notes on estimates, Zensus rounding and suppression appear only when
    the matching source or table was shown."""
    from workbench.population import SOURCES

    heading(SECTION_TITLES["datenquellen"], anchor="datenquellen")
    rows = []
    for key, stand in ctx.sources_used.items():
        info = SOURCES.get(key)
        if info is not None:
            rows.append([info.label, f"{info.publisher}, {info.table}", stand, info.status,
                         info.licence])
        elif key == "geo":
            rows.append(["Gemeindegrenzen", "vereinfachte Gemeindegrenzen (BKG-basiert)", stand,
                         "amtlich (vereinfacht)", "dl-de/by-2-0"])
        elif key.startswith("integration:"):
            from workbench.reports.integration_section import source_row

            rows.append(source_row(key, stand))
        else:  # cited but not describable here: still listed, never silently dropped
            rows.append([key, "–", stand, "–", "–"])
    for label, stand in ctx.documents_used.items():
        # „Vorlage 167/15 (28.04.2015)“ is listed once when „… (Projekte ab …)“ is there too.
        if not any(other.startswith(label + " (") for other in ctx.documents_used):
            rows.append([label, "Dokument (Maßnahmenkatalog)", stand, "Dokument", "–"])
    table(["Quelle", "Herausgeber und Tabelle", "Stand", "Status", "Lizenz"], rows,
          "Nur Quellen, deren Werte oder Inhalte in diesem Bericht gezeigt werden. "
          "Stand = jüngster im Bericht verwendeter Stichtag der Quelle.")
    hinweise = []
    if "schaetzung_zensus_regionalatlas" in ctx.sources_used:
        from workbench.estimation import METHOD_TEXT

        hinweise.append("Geschätzt – so wird gerechnet: " + METHOD_TEXT)
    if "statistik_bw" in ctx.sources_used:
        from workbench.population import STATISTIK_BW_ASSUMPTION

        hinweise.append(STATISTIK_BW_ASSUMPTION)
    if "zensus2022" in ctx.sources_used:
        from workbench import region

        # The foreign counts per municipality are shipped for Landkreis Ludwigsburg only.
        exact = (", außer wo die Ausländerzahl jeder Gemeinde vorliegt (Landkreis "
                 "Ludwigsburg: 97.824 von 528.576)" if ctx.kreis == region.KREIS_AGS else "")
        hinweise.append("Zensus 2022: Kreis- und Landeswerte sind aus den Gemeindewerten "
                        f"berechnet (±0,05 Prozentpunkte Rundung){exact}.")
    if {"zensus2011", "zensus2022"} <= set(ctx.sources_used) or (
            "schaetzung_zensus_regionalatlas" in ctx.sources_used):
        hinweise.append("Reihenbruch: Zensus 2011 und Zensus 2022 setzen die Bevölkerungszahlen "
                        "jeweils neu fest; Reihen werden an diesen Stellen nicht verbunden.")
    hinweise += list(dict.fromkeys(ctx.notes))
    hinweise += ctx.assumptions_shown
    if hinweise:
        bullet_list(hinweise)
