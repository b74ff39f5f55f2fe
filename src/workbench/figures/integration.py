"""Figures of the Kreis integration indicators (``workbench.integration``).

Regionaldatenbank series end 2015/2016: every title names its years and „Stand …“, every
chart its table, publisher, Stichtag and the file read. AZR, Fortschreibung and Mikrozensus
figures of 2025 are separate traces (and charts) – never one series.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from workbench.exceptions import NoDataError
from workbench.figures import PALETTE, SERIES_COLOURS, finish, wrap_sources
from workbench.formatting import fmt_int, fmt_percent
from workbench.integration import (
    AZR,
    CONTINENTS,
    FORTSCHREIBUNG,
    GROUPS,
    MIKROZENSUS,
    TABLES,
)

PERIOD_TEXT = {
    "jahr": "Summe des Kalenderjahres",
    "jahresdurchschnitt": "Jahresdurchschnitt",
    "stichtag": "Stichtag",
}
COLOURS = SERIES_COLOURS
CONCEPT_COLOURS = {AZR: PALETTE["vermillion"], FORTSCHREIBUNG: PALETTE["blue"],
                   MIKROZENSUS: PALETTE["green"]}


def _rows(frame: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    rows = frame.filter(pl.col("indicator_id").is_in(ids))
    if rows.filter(pl.col("value").is_not_null()).height == 0:
        raise NoDataError(f"Keine Werte für {', '.join(ids)}")
    return rows


def source_lines(rows: pl.DataFrame) -> list[str]:
    """'Quelle: <publisher, table (statistic)>; <Stichtag>, Stand …; Datei …' per table."""
    out = []
    for code, source, stand, file, period in (
        rows.select("table", "source", "stand", "file", "period").unique("table",
                                                                         maintain_order=True)
        .iter_rows()
    ):
        info = TABLES.get(code)
        if info is None:  # 2025 records: Stichtag is the Stand
            out.append(f"Quelle: {source}, Stichtag {stand} (Datei {file})")
            continue
        when = PERIOD_TEXT[info.period]
        if info.period == "stichtag":
            when = f"Stichtag {period[:6]}" if period[:2].isdigit() else when
        out.append(f"Quelle: {source}; {when}, Stand {stand} (Datei {file})")
    return out


def _span(rows: pl.DataFrame) -> tuple[int, int, str]:
    valued = rows.filter(pl.col("value").is_not_null())
    years = valued.get_column("year")
    return years.min(), years.max(), rows.get_column("stand").max()


def _title(topic: str, rows: pl.DataFrame) -> str:
    first, last, stand = _span(rows)
    name = rows.get_column("name")[0]
    years = str(first) if first == last else f"{first}–{last}"
    return f"{topic} im {name} {years} (Stand {stand})"


def _hover(unit: str, label: str) -> str:
    value = "%{y:.1f} %" if unit == "%" else "%{y:,.0f}"
    return f"{label}<br>%{{x}}: {value}<extra></extra>"


def _lines(rows: pl.DataFrame, ids: list[str], *, unit: str) -> go.Figure:
    fig = go.Figure()
    for i, ind in enumerate(ids):
        series = rows.filter((pl.col("indicator_id") == ind) & pl.col("value").is_not_null())
        if series.height == 0:
            continue
        label = series.get_column("label")[0]
        fig.add_trace(go.Scatter(
            x=series.get_column("year").to_list(), y=series.get_column("value").to_list(),
            name=label, mode="lines+markers",
            line={"color": COLOURS[i % len(COLOURS)], "width": 3},
            marker={"size": 7, "color": COLOURS[i % len(COLOURS)]},
            hovertemplate=_hover(unit, label),
        ))
    fig.update_xaxes(title_text=None, dtick=1, tickformat="d")
    if unit == "%":
        fig.update_yaxes(title_text="in %", ticksuffix=" %", rangemode="tozero")
    else:
        fig.update_yaxes(title_text="Anzahl", rangemode="tozero")
    return fig


def timeseries_chart(frame: pl.DataFrame, group: str, *, title: str | None = None,
                     height: int = 460) -> go.Figure:
    """Lines of every indicator of ``group`` (``integration.GROUPS``) over the years."""
    ids = [i for i in frame.filter(pl.col("group") == group)
           .get_column("indicator_id").unique(maintain_order=True)]
    rows = _rows(frame, ids)
    unit = rows.get_column("unit")[0]
    fig = _lines(rows, ids, unit=unit)
    return finish(fig, wrap_sources(source_lines(rows)),
                  title=title or _title(GROUPS[group], rows), height=height)


def einbuergerungen_chart(frame: pl.DataFrame, *, title: str | None = None,
                          height: int = 460) -> go.Figure:
    """Naturalisations per year, stacked by continent of the former nationality."""
    parts = [f"einbuergerungen_{c.split()[0].lower()}" for c in CONTINENTS]
    parts.append("einbuergerungen_staatenlos")
    rows = _rows(frame, ["einbuergerungen", *parts])
    fig = go.Figure()
    for i, ind in enumerate(parts):
        series = rows.filter(pl.col("indicator_id") == ind)
        if series.height == 0:
            continue
        label = series.get_column("label")[0].removeprefix("Einbürgerungen: ")
        fig.add_trace(go.Bar(
            x=series.get_column("year").to_list(),
            y=series.get_column("value").fill_null(0).to_list(),
            name=label, marker={"color": COLOURS[i % len(COLOURS)]},
            hovertemplate=f"{label}<br>%{{x}}: %{{y:,.0f}}<extra></extra>",
        ))
    total = rows.filter((pl.col("indicator_id") == "einbuergerungen")
                        & pl.col("value").is_not_null())
    if total.height:
        fig.add_trace(go.Scatter(
            x=total.get_column("year").to_list(), y=total.get_column("value").to_list(),
            mode="text", text=[fmt_int(v) for v in total.get_column("value")],
            textposition="top center", name="Insgesamt", showlegend=False,
            hovertemplate="Insgesamt<br>%{x}: %{y:,.0f}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=None, dtick=1, tickformat="d")
    fig.update_yaxes(title_text="Einbürgerungen (Anzahl)", rangemode="tozero")
    return finish(fig, wrap_sources(source_lines(rows)),
                  title=title or _title("Einbürgerungen", rows), height=height)


def _latest_rows(frame: pl.DataFrame, concept: str) -> pl.DataFrame:
    rows = frame.filter((pl.col("concept") == concept) & pl.col("value").is_not_null())
    return rows.sort("year")


def bestand_2025_chart(frame: pl.DataFrame, *, title: str | None = None,
                       height: int = 380) -> go.Figure:
    """AZR and Fortschreibung foreigners of the same Stichtag as two separate bars (one trace
    each, different colours, concept in the label) – two concepts, not one series."""
    fig = go.Figure()
    lines = []
    for concept, ind, label in (
        (AZR, "auslaender_azr", "Ausländerzentralregister (AZR)"),
        (FORTSCHREIBUNG, "auslaender_fortschreibung", "Bevölkerungsfortschreibung"),
    ):
        rows = frame.filter((pl.col("indicator_id") == ind) & pl.col("value").is_not_null())
        if rows.height == 0:
            continue
        row = rows.sort("year").row(-1, named=True)
        fig.add_trace(go.Bar(
            x=[row["value"]], y=[label], orientation="h", name=f"{label} ({concept})",
            marker={"color": CONCEPT_COLOURS[concept]}, text=[fmt_int(row["value"])],
            textposition="outside", cliponaxis=False, showlegend=False,
            hovertemplate=f"{label}: %{{x:,.0f}}<extra></extra>",
        ))
        lines.extend(source_lines(rows.tail(1)))
    if not fig.data:
        raise NoDataError("Keine AZR- oder Fortschreibungswerte")
    day = frame.filter(pl.col("concept").is_in([AZR, FORTSCHREIBUNG])).get_column("stand")[0]
    name = frame.get_column("name")[0]
    fig.update_xaxes(title_text="Ausländerinnen und Ausländer (Anzahl)", rangemode="tozero")
    fig.update_yaxes(title_text=None)
    lines.append("Zwei Konzepte, keine Zeitreihe: AZR = Register der Ausländerbehörden, "
                 "Fortschreibung = gemeldete Bevölkerung (Basis Zensus 2022).")
    return finish(fig, wrap_sources(lines),
                  title=title or f"Ausländerinnen und Ausländer im {name} am {day}: "
                  "zwei Zählweisen", height=height)


def mikrozensus_chart(frame: pl.DataFrame, *, title: str | None = None,
                      height: int = 400) -> go.Figure:
    """Share with migration background (Mikrozensus, estimate with sampling error)."""
    rows = _latest_rows(frame, MIKROZENSUS)
    if rows.height == 0:
        raise NoDataError("Keine Mikrozensuswerte")
    fig = go.Figure(go.Scatter(
        x=rows.get_column("year").to_list(), y=rows.get_column("value").to_list(),
        mode="lines+markers+text", text=[fmt_percent(v) for v in rows.get_column("value")],
        textposition="top center", name="Mikrozensus (Schätzwert)",
        line={"color": CONCEPT_COLOURS[MIKROZENSUS], "width": 3, "dash": "dash"},
        marker={"size": 8, "color": CONCEPT_COLOURS[MIKROZENSUS]},
        hovertemplate="Migrationshintergrund (Mikrozensus, Schätzwert)<br>%{x}: %{y:.1f} %"
        "<extra></extra>",
    ))
    fig.update_xaxes(title_text=None, dtick=1, tickformat="d")
    fig.update_yaxes(title_text="Anteil an der Bevölkerung in %", ticksuffix=" %",
                     rangemode="tozero")
    lines = [*source_lines(rows.tail(1)),
             "Mikrozensus: Stichprobe, Kreiswert mit Stichprobenfehler; umfasst auch Deutsche "
             "mit Migrationshintergrund."]
    first, last = rows.get_column("year").min(), rows.get_column("year").max()
    name = rows.get_column("name")[0]
    return finish(fig, wrap_sources(lines), title=title or (
        f"Bevölkerung mit Migrationshintergrund im {name} {first}–{last} "
        "(Mikrozensus, Schätzwerte)"), height=height)


def structure_chart(structure: pl.DataFrame, *, groups: tuple[str, ...] = (
        "Aufenthaltsstatus", "Aufenthaltsdauer", "Staatsangehörigkeit"),
        title: str | None = None, height: int | None = None) -> go.Figure:
    """Horizontal bars of the AZR structure (31.12.2025): one trace per group, counts with the
    share of all AZR foreigners."""
    rows = structure.filter(pl.col("group").is_in(list(groups)))
    if rows.height == 0:
        raise NoDataError("Keine AZR-Strukturdaten")
    fig = go.Figure()
    colours = {g: COLOURS[i % len(COLOURS)] for i, g in enumerate(groups)}
    for group in reversed(groups):  # plotly draws the first category at the bottom
        part = rows.filter(pl.col("group") == group).sort("value")
        if part.height == 0:
            continue
        shares = part.get_column("share").to_list()
        fig.add_trace(go.Bar(
            x=part.get_column("value").to_list(), y=part.get_column("label").to_list(),
            orientation="h", name=group, marker={"color": colours[group]},
            text=[f"{fmt_int(v)} ({fmt_percent(s)})" if s is not None else fmt_int(v)
                  for v, s in zip(part.get_column("value"), shares, strict=True)],
            textposition="outside", cliponaxis=False,
            hovertemplate=f"{group}: %{{y}}<br>%{{x:,.0f}}<extra></extra>",
        ))
    fig.update_xaxes(title_text="Anzahl (in Klammern: Anteil an allen Ausländern laut AZR)",
                     rangemode="tozero")
    fig.update_yaxes(title_text=None, tickfont={"size": 12})
    row = rows.row(0, named=True)
    lines = [f"Quelle: {s}, Stichtag {row['stand']} (Datei {row['file']})"
             for s in rows.get_column("source").unique(maintain_order=True)]
    lines.append("Ausländerzentralregister: alle bei den Ausländerbehörden erfassten Personen "
                 "– nicht die Zahl der Bevölkerungsfortschreibung.")
    return finish(fig, wrap_sources(lines), title=title or (
        f"Ausländerinnen und Ausländer laut AZR am {row['stand']}: Aufenthaltsstatus, "
        "-dauer und häufigste Staatsangehörigkeiten"), height=height or 160 + 34 * rows.height)


def origin_groups_chart(structure: pl.DataFrame, *, title: str | None = None,
                        height: int = 420) -> go.Figure:
    """AZR foreigners by continent of origin (GENESIS 12521-0041, top-level groups)."""
    rows = structure.filter((pl.col("group") == "Herkunftsgruppe")
                            & pl.col("label").is_in(list(CONTINENTS)))
    if rows.height == 0:
        raise NoDataError("Keine Herkunftsgruppen")
    return structure_chart(rows, groups=("Herkunftsgruppe",), height=height, title=title or (
        f"Ausländerinnen und Ausländer laut AZR am {rows.row(0, named=True)['stand']} "
        "nach Kontinent der Staatsangehörigkeit"))


# Keys of ``kreis_charts`` that show Regionaldatenbank series (ending 2015/2016).
HISTORY_KEYS = frozenset({"einbuergerungen", "arbeitslose", "arbeitslosenquote", "sgb2", "svb",
                          "asyl"})


def kreis_charts(frame: pl.DataFrame, structure: pl.DataFrame) -> list[tuple[str, go.Figure]]:
    """Every chart there are data for, in report order: (key, figure)."""
    out: list[tuple[str, go.Figure]] = []
    builders = [
        ("bestand_2025", lambda: bestand_2025_chart(frame)),
        ("struktur", lambda: structure_chart(structure)),
        ("herkunft", lambda: origin_groups_chart(structure)),
        ("mikrozensus", lambda: mikrozensus_chart(frame)),
        ("einbuergerungen", lambda: einbuergerungen_chart(frame)),
        ("arbeitslose", lambda: timeseries_chart(frame, "arbeitslose")),
        ("arbeitslosenquote", lambda: timeseries_chart(frame, "arbeitslosenquote")),
        ("sgb2", lambda: timeseries_chart(frame, "sgb2")),
        ("svb", lambda: timeseries_chart(frame, "svb")),
        ("asyl", lambda: timeseries_chart(frame, "asyl")),
    ]
    for key, build in builders:
        try:
            out.append((key, build()))
        except NoDataError:
            continue
    return out
