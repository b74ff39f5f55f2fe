"""The sections of the municipal and Kreis reports (called from the report notebooks).

Each function takes the ``ReportContext`` built by ``einrichten`` and displays one section.
All numbers, texts and figures come from the data layers (``workbench.population``,
``workbench.metrics``, ``workbench.figures.*``, ``workbench.catalogue``, ``workbench.store``,
``workbench.progress``); this module only arranges them for the report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from workbench.formatting import fmt_date, fmt_int, fmt_percent, fmt_points
from workbench.reports.context import (
    ReportContext,
    apply_environment,
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
}


class ReportParameterError(ValueError):
    """Invalid report parameter (German message for the report reader / CLI user)."""


def einrichten(
    gemeinde: str,
    berichtsjahr: int,
    *,
    mit_handlungsfeldern: bool = True,
    datenverzeichnis: str = "",
    messwerte_db: str = "",
    beispieldaten: bool = True,
    fehler_einbauen: str = "",
    nur_bevoelkerung: bool = False,
) -> ReportContext:
    """Validate the notebook parameters, resolve the municipality, show the report title.

    ``nur_bevoelkerung``: population-only report for any municipality of Baden-Württemberg
    (Zensus 2022, GV-ISys, Kreis/Land series; no Handlungsfelder)."""
    if fehler_einbauen:
        # Deliberate failure for testing the batch runner's error handling end to end.
        raise RuntimeError(f"Absichtlich ausgelöster Fehler: {fehler_einbauen}")
    apply_environment(datenverzeichnis, messwerte_db)
    from workbench.population import KREIS_AGS, KREIS_NAME, municipalities, resolve_municipality

    data_dir = env_path(datenverzeichnis)
    if nur_bevoelkerung:
        ags, name = resolve_municipality(gemeinde, municipalities(data_dir, kreis="08"))
        kind = "bevoelkerung"
    elif str(gemeinde).strip() in (KREIS_AGS, KREIS_NAME, "Kreis", "Landkreis"):
        ags, name, kind = KREIS_AGS, KREIS_NAME, "kreis"
    else:
        ags, name = resolve_municipality(gemeinde, municipalities(data_dir))
        kind = "gemeinde"
    ctx = ReportContext(
        ags=ags, name=name, berichtsjahr=int(berichtsjahr), kind=kind,
        mit_handlungsfeldern=mit_handlungsfeldern and not nur_bevoelkerung,
        datenverzeichnis=data_dir,
        messwerte_db=env_path(messwerte_db), beispieldaten=beispieldaten,
    )
    title = (f"Integrationsmonitoring {name}" if kind == "gemeinde"
             else f"Integrationsmonitoring {name} – Übersicht der 39 Städte und Gemeinden")
    heading(title, level=1, anchor="titel")
    paragraph(f"Bericht {ctx.berichtsjahr} · Gemeindeschlüssel (AGS) {ags}")
    return ctx


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
         zensus + " (aus Gemeindewerten berechnet)"],
        ["Abstand zum Kreis", fmt_points(f["gap_kreis"]), zensus],
        ["Abstand zu Baden-Württemberg", fmt_points(f["gap_land"]), zensus],
        ["Rang im Kreis (1 = höchster Anteil)",
         f"{f['rank']} von {f['n']}" if f["rank"] is not None else "–", zensus],
    ]
    if f["latest_share"] is not None:
        rows.append(["Ausländeranteil zuletzt (geschätzt)" if f["series_status"] == "geschätzt"
                     else "Ausländeranteil zuletzt", fmt_percent(f["latest_share"]),
                     f"Stand {fmt_date(f['latest_date'])}"])
    table(["Kennzahl", "Wert", "Quelle und Stand"], rows,
          "Geschätzte Werte sind als „geschätzt“ gekennzeichnet.", numeric={1})


# ------------------------------------------------------------------------------------------
# 2. Bevölkerung und Ausländeranteil
# ------------------------------------------------------------------------------------------

def _cite_population(ctx: ReportContext) -> None:
    """Record every population source (and its latest Stand) shown for this area."""
    import polars as pl

    pop = ctx.population()
    rows = pop.filter(pl.col("ags").is_in([ctx.ags, ctx.ags[:5], ctx.ags[:2]]))
    for source, date in (
        rows.group_by("source").agg(pl.col("reference_date").max()).sort("source").iter_rows()
    ):
        ctx.cite(source, fmt_date(date))


def bevoelkerung(ctx: ReportContext) -> None:
    """Trend vs Kreis and Land (estimates marked), rank, map, key figures."""
    from workbench.figures import population as popfig

    pop = ctx.population()
    heading(SECTION_TITLES["bevoelkerung"], anchor="bevoelkerung")
    if ctx.kind == "bevoelkerung":
        from workbench.reports.context import kreis_boundaries

        kreis = ctx.ags[:5]
        show_figure(ctx, popfig.trend_chart(pop, ctx.ags, kreis=kreis))
        show_figure(ctx, popfig.ranking_chart(pop, ctx.ags, kreis=kreis))
        show_figure(ctx, popfig.choropleth_map(pop, ctx.ags, kreis=kreis,
                                               geojson=kreis_boundaries(kreis)))
        _cite_population(ctx)
        ctx.cite("geo", "Gebietsstand der Geometrien")
        return
    heading("Kennzahlen", level=3)
    rows = popfig.key_figure_rows(pop, ctx.ags)
    table(["Kennzahl", "Wert", "Quelle und Stand"], [list(r) for r in rows],
          "Geschätzte Werte sind als „geschätzt“ gekennzeichnet.", numeric={1})
    heading("Entwicklung im Vergleich zu Landkreis und Land", level=3)
    show_figure(ctx, popfig.trend_chart(pop, ctx.ags))
    note("Gestrichelte Linien und offene Punkte: geschätzte Werte (jährliche Ausländeranteile "
         "je Gemeinde werden amtlich nicht veröffentlicht). Gepunktet: lineare Projektion.")
    heading("Rang unter den 39 Städten und Gemeinden", level=3)
    show_figure(ctx, popfig.ranking_chart(pop, ctx.ags))
    heading("Karte des Landkreises", level=3)
    show_figure(ctx, popfig.choropleth_map(pop, ctx.ags))
    _cite_population(ctx)
    ctx.cite("geo", "Gebietsstand der Geometrien")


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
            latest += " (geschätzt)"
        rows.append([r["name"], r["ags"], fmt_int(r["population"]), fmt_percent(r["share_zensus"]),
                     str(r["rank"]) if r["rank"] is not None else "–",
                     fmt_points(r["gap_kreis"]), latest,
                     fmt_date(r["latest_date"]) if r.get("latest_date") else "–"])
    table(["Gemeinde", "AGS", "Einwohner", "Ausländeranteil Zensus 2022", "Rang",
           "Abstand zum Kreis", "Ausländeranteil zuletzt", "Stand"], rows,
          "Quellen: Einwohner GV-ISys (Destatis); Ausländeranteil Zensus 2022 (15.05.2022); "
          "zuletzt: Schätzung aus Zensus 2022 und Kreisentwicklung (geschätzt), sofern keine "
          "amtliche Gemeindereihe vorliegt.", numeric={2, 3, 4, 5, 6})
    show_figure(ctx, popfig.ranking_chart(pop))
    show_figure(ctx, popfig.choropleth_map(pop))
    show_figure(ctx, popfig.trend_chart(pop, ctx.ags))
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
    if "catalogue" not in ctx._cache:
        from workbench.reports.context import load_catalogues

        found = None
        directory = ctx.datenverzeichnis / "catalogues" if ctx.datenverzeichnis else None
        if directory is None or directory.exists():
            for cat in load_catalogues(directory).values():
                if cat.traeger.ags == ctx.ags:
                    found = cat
                    break
        ctx._cache["catalogue"] = found
    return ctx._cache["catalogue"]


def observations_for(ctx: ReportContext, catalogue: Any) -> tuple[Any, bool]:
    """(observations, are_examples): stored values of the Träger, else Beispieldaten
    (``workbench.examples.observations_for``; the user's store is never modified)."""
    key = "observations"
    if key not in ctx._cache:
        from workbench import examples
        from workbench.progress import empty_observations
        from workbench.store import ObservationStore

        db = ctx.messwerte_db
        if ctx.beispieldaten:
            ctx._cache[key] = examples.observations_for(catalogue.traeger.id, _as_of(ctx), db)
        else:
            from workbench import paths

            path = db or paths.store_path()
            obs = (ObservationStore(path).current(catalogue.traeger.id) if path.exists()
                   else empty_observations())
            ctx._cache[key] = (obs, False)
    return ctx._cache[key]


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
             f"So beginnen Sie: „workbench new-catalogue {ctx.ags}“ legt aus der "
             "Vorlage eine Katalogdatei (YAML) an; dort Handlungsfelder, Maßnahmen "
             "(Ist-Zustand, Indikator, Zeitrahmen, Soll-Zustand) eintragen, Messwerte mit "
             "„workbench import-observations“ erfassen. Der nächste Bericht zeigt dann den "
             "Umsetzungsstand.")
        return
    from workbench import progress

    obs, examples = observations_for(ctx, catalogue)
    as_of = _as_of(ctx)
    prog = progress.indicator_progress(catalogue, obs, as_of)
    konzept = catalogue.traeger.konzept
    paragraph(f"Grundlage: {konzept.titel} ({konzept.herausgeber}, Stand {konzept.stand}). "
              f"Auswertungsstand: {fmt_date(as_of)}.")
    ctx.cite("katalog", f"{konzept.titel} ({konzept.herausgeber}), Stand {konzept.stand}")
    if examples:
        note("Beispieldaten: Für diesen Träger sind noch keine Messwerte erfasst. Die "
             "folgenden Werte sind erfundene Beispieldaten zur Veranschaulichung, keine "
             "amtlichen oder gemessenen Werte.", example=True)
        ctx.notes.append("Abschnitt Handlungsfelder: Messwerte sind Beispieldaten.")
    _progress_details(ctx, catalogue, prog, obs, as_of, examples)


MAX_TIMESERIES = 6  # indicator charts per report; the dashboard shows all of them


def _progress_details(ctx: ReportContext, catalogue: Any, prog: Any, obs: Any,
                      as_of: dt.date, examples: bool) -> None:
    import polars as pl

    from workbench import progress
    from workbench.figures import progress as progfig
    from workbench.suppression import published_indicator_table

    heading("Stand je Handlungsfeld", level=3)
    hf = progress.rollup_handlungsfelder(prog)
    table(["Handlungsfeld", "Indikatoren", *progress.STATUSES, "kritischster Status",
           "im Plan oder erreicht"],
          [[r["handlungsfeld"], r["n_indicators"], *[r[s] for s in progress.STATUSES],
            r["worst_status"], fmt_percent(100 * r["share_on_track"], 0)
            if r["share_on_track"] is not None else "–"] for r in hf.iter_rows(named=True)],
          f"Quelle: {catalogue.traeger.konzept.titel}; Messwerte "
          f"{'Beispieldaten' if examples else 'Messwertspeicher'}, Stand {fmt_date(as_of)}",
          numeric=set(range(1, 8)))
    show_figure(ctx, progfig.status_overview_chart(prog, catalogue=catalogue))

    heading("Maßnahmen und Indikatoren (Ist/Soll)", level=3)
    published = published_indicator_table(prog, suppress=True)
    table(published.columns, [list(r) for r in published.iter_rows()],
          f"Quelle: {catalogue.traeger.konzept.titel}; Messwerte"
          f"{' – Beispieldaten' if examples else ''}, Stand {fmt_date(as_of)}. "
          "„.“ = Wert unterdrückt (Geheimhaltung, 1–2 Personen).",
          numeric={4, 6, 7})
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
    show_figure(ctx, progfig.zeitplan_chart(catalogue, as_of=as_of))
    done = [d for d in evaluations if d <= as_of]
    if len(done) >= 2:
        heading("Evaluation", level=3)
        snapshot = progress.evaluation_snapshot(catalogue, obs, done[-2], done[-1])
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
    rows = []
    for p in catalogue.projekte:
        funding = "; ".join(
            f"{fmt_currency(f.betrag_eur)} ({f.geber}{', ' + f.programm if f.programm else ''})"
            for f in p.foerderung) or "–"
        rows.append([p.name, fmt_date(p.beginn), fmt_date(p.ende), funding])
    table(["Projekt", "Beginn", "Ende", "Förderung"], rows,
          f"Quelle: {catalogue.traeger.konzept.titel}")
    fin = catalogue.finanzierung
    if fin is not None:
        funded = sum(f.betrag_eur for p in catalogue.projekte for f in p.foerderung)
        kpis([(fmt_currency(fin.gesamtkosten_eur), "Gesamtkosten"),
              (fmt_currency(funded), "Fördermittel"),
              (fmt_currency(fin.eigenanteil_eur), "Eigenanteil")])


# ------------------------------------------------------------------------------------------
# 5. Datenquellen und Hinweise
# ------------------------------------------------------------------------------------------

def datenquellen(ctx: ReportContext) -> None:
    """Every source shown with its reference date; estimates, example data, suppression."""
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
        elif key == "katalog":
            rows.append(["Maßnahmenkatalog", stand, "siehe Titel", "Beschluss/Konzept", "–"])
        elif key.startswith("integration:"):
            from workbench.reports.integration_section import source_row

            rows.append(source_row(key, stand))
    table(["Quelle", "Herausgeber und Tabelle", "Stand", "Status", "Lizenz"], rows,
          "Stand = jüngster im Bericht verwendeter Stichtag der Quelle.")
    hinweise = [
        "Geschätzt: jährliche Ausländeranteile je Gemeinde werden amtlich nicht veröffentlicht. "
        + SOURCES["schaetzung_zensus_regionalatlas"].concept,
        "Zensus 2022: Kreis- und Landeswerte aus den Gemeindewerten berechnet (±0,05 "
        "Prozentpunkte Rundung).",
        "Geheimhaltung: In veröffentlichten Tabellen werden Fallzahlen von 1 oder 2 Personen "
        "durch „.“ ersetzt; damit sie nicht aus Summen zurückgerechnet werden können, wird "
        "zusätzlich der nächstkleinere Wert derselben Zeile oder Spalte unterdrückt "
        "(sekundäre Geheimhaltung).",
        *ctx.notes,
    ]
    bullet_list(hinweise)
