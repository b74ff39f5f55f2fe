"""Population figures: trend, ranking, map and key-figure table (plotly ``go.Figure``).

Every figure names its sources and reference dates (``add_source``) and marks estimates as
„geschätzt“ (dashed lines, open markers) and projections as „Projektion“ (dotted). The map is
drawn as SVG polygons on hidden cartesian axes, so it renders offline (no map tiles and no
topojson download, which ``go.Choropleth`` needs even with ``geo.visible=False``) in
JupyterLab, nbconvert HTML, Voila and printed PDF alike.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.colors import sample_colorscale

from workbench import metrics
from workbench.figures import AREA_COLOURS, GREY, ORANGE_DARK, finish, wrap_sources
from workbench.formatting import fmt_date, fmt_int, fmt_number, fmt_percent, fmt_points
from workbench.population import (
    ESTIMATED,
    PUBLISHED_SOURCES,
    SOURCES,
    STATISTIK_BW_ASSUMPTION,
    basis_label_at,
    basis_start,
    citation,
    date_label,
    series,
)
from workbench.region import KREIS_AGS, LAND_AGS

SHARE_AXIS = "Ausländeranteil in %"
# Official municipal points and their marker symbols (each its own trace and source).
ANCHOR_SOURCES = {"zensus2011": "square", "zensus2022": "diamond", "statistik_bw": "triangle-up"}
BAND_FILL = "rgba(213, 94, 0, 0.15)"  # the Gemeinde colour, light
LEGEND_ROW_PX = 24  # one legend entry at font size 12
# Light to dark blue: sequential and readable for the common colour-vision deficiencies.
SEQUENTIAL = [[0.0, "#F2F7FB"], [0.5, "#6BAED6"], [1.0, "#08306B"]]


def _span(frame: pl.DataFrame) -> str:
    dates = frame.get_column("reference_date")
    first, last = dates.min(), dates.max()
    return fmt_date(last) if first == last else f"{fmt_date(first)}–{fmt_date(last)}"


def _sources_text(used: list[tuple[str, pl.DataFrame]]) -> str:
    return wrap_sources([citation(source, _span(rows)) for source, rows in used if rows.height])




def _hover(name: str, status: str, *, band: bool = False) -> str:
    marker = " (geschätzt)" if status == ESTIMATED else (
        " (Projektion)" if status == metrics.PROJECTION_STATUS else ""
    )
    if marker.strip() in name:  # the legend label may say it already
        marker = ""
    extra = "%{customdata}" if band else ""
    return f"{name}{marker}<br>%{{x|%d.%m.%Y}}: %{{y:.1f}} %{extra}<extra></extra>"


def _band_text(frame: pl.DataFrame) -> list[str]:
    """' ± 1,7 Prozentpunkte' per point of an estimated series (empty where no band)."""
    return [f" ± {fmt_number(b, 1)} Prozentpunkte" if b is not None else ""
            for b in frame.get_column("band").to_list()]


def segments_by_basis(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Consecutive runs of one population basis in a date-sorted series."""
    out: list[pl.DataFrame] = []
    start = 0
    bases = frame.get_column("basis").to_list()
    for i in range(1, len(bases) + 1):
        if i == len(bases) or bases[i] != bases[start]:
            out.append(frame.slice(start, i - start))
            start = i
    return out


def trend_chart(
    pop: pl.DataFrame,
    ags: str,
    *,
    kreis: str = KREIS_AGS,
    land: str = LAND_AGS,
    projection: bool = True,
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """Foreign share over time: municipality (user series or estimate), Kreis and Land.

    Official series: solid lines with filled markers; estimates: dashed, open markers,
    „geschätzt“ in the legend; linear projections to 2029: dotted. Published single figures
    (AZR, municipal register) appear as separate star markers with their own source.

    ``pop``: the frame of :func:`workbench.population.load_population`; ``ags``: the area
    (8-digit municipality or 5-digit Kreis); ``kreis``/``land``: the comparison lines;
    ``projection``: draw the projections; ``title``/``height``: layout. Returns a plotly
    ``Figure`` (German labels and number format). Raises ``KeyError`` for an unknown AGS.

    Example::

        >>> fig = trend_chart(load_population(), "08118076")
        >>> fig.show()                       # in JupyterLab
        >>> fig.write_html("sachsenheim.html")
    """
    fig = go.Figure()
    used: list[tuple[str, pl.DataFrame]] = []
    projections: list[int] = []
    rows = pop.filter(pl.col("ags") == ags)
    if rows.height == 0:
        raise KeyError(f"Kein Gebiet mit AGS {ags}")
    level = rows.get_column("level")[0]
    name = rows.get_column("name")[0]

    breaks: set[dt.date] = set()

    def line(frame: pl.DataFrame, label: str, colour: str, *, estimated: bool) -> None:
        frame = frame.filter(pl.col("share").is_not_null()).sort("reference_date")
        if frame.height == 0:
            return
        status = ESTIMATED if estimated else "amtlich"
        # One trace per population basis: a census rebasing is a break, never a smooth line.
        segments = segments_by_basis(frame)
        for number, segment in enumerate(segments):
            if number:
                breaks.add(basis_start(segment.get_column("basis")[0]))
            band = segment.filter(pl.col("band").is_not_null())
            if estimated and band.height:
                dates = band.get_column("reference_date").to_list()
                upper = (band.get_column("share") + band.get_column("band")).to_list()
                lower = (band.get_column("share") - band.get_column("band")).clip(0).to_list()
                width = band.get_column("band").max()
                fig.add_trace(
                    go.Scatter(
                        x=dates + dates[::-1], y=upper + lower[::-1], fill="toself",
                        fillcolor=BAND_FILL, line={"width": 0}, mode="lines",
                        name=f"Unsicherheit (bis ± {fmt_number(width, 1)} Prozentpunkte)",
                        legendgroup="band", showlegend=not any(
                            t.legendgroup == "band" for t in fig.data),
                        hoverinfo="skip",
                    )
                )
            fig.add_trace(
                go.Scatter(
                    x=segment.get_column("reference_date").to_list(),
                    y=segment.get_column("share").to_list(),
                    name=label,
                    legendgroup=label,
                    showlegend=number == 0,
                    mode="lines+markers",
                    line={"color": colour, "width": 3, "dash": "dash" if estimated else "solid"},
                    # open symbols draw their outline in marker.color
                    marker={"size": 8, "color": colour, "line": {"color": colour, "width": 2},
                            "symbol": "circle-open" if estimated else "circle"},
                    customdata=_band_text(segment),
                    hovertemplate=_hover(label, status, band=estimated),
                )
            )
        used.append((frame.get_column("source")[0], frame))
        last_segment = segments[-1]
        if projection and last_segment.height >= 2:
            projected = metrics.project(last_segment)
            if projected.height:
                last = last_segment.tail(1)
                joined = pl.concat([last, projected], how="diagonal_relaxed")
                fig.add_trace(
                    go.Scatter(
                        x=joined.get_column("reference_date").to_list(),
                        y=joined.get_column("share").to_list(),
                        name=f"{label}: Projektion bis {projected.get_column('year').max()}",
                        mode="lines",
                        line={"color": colour, "width": 2, "dash": "dot"},
                        hovertemplate=_hover(label, metrics.PROJECTION_STATUS),
                        showlegend=False,
                    )
                )
                projections.append(projected.get_column("year").max())

    if level == "Gemeinde":
        municipal = series(pop, ags)
        source = municipal.get_column("source")[0]
        estimated = SOURCES[source].status == ESTIMATED
        label = f"{name} (geschätzt)" if estimated else f"{name} (amtlich)"
        if source not in ANCHOR_SOURCES:
            line(municipal, label, AREA_COLOURS["Gemeinde"], estimated=estimated)
    # The area's official census/Statistik BW points, each its own trace and source.
    for anchor, symbol in ANCHOR_SOURCES.items():
        points = rows.filter((pl.col("source") == anchor) & pl.col("share").is_not_null())
        if points.height == 0:
            continue
        kind = "berechnet" if points.get_column("status")[0] == ESTIMATED else "amtlich"
        anchor_label = f"{SOURCES[anchor].label}, {kind}"
        fig.add_trace(
            go.Scatter(
                x=points.get_column("reference_date").to_list(),
                y=points.get_column("share").to_list(),
                name=anchor_label,
                mode="markers",
                marker={"size": 13, "symbol": symbol, "color": AREA_COLOURS[level],
                        "line": {"color": "black", "width": 1}},
                customdata=[date_label(anchor, d) for d in points.get_column("reference_date")],
                hovertemplate=f"{anchor_label}<br>%{{customdata}}: %{{y:.1f}} %<extra></extra>",
            )
        )
        used.append((anchor, points))
    for area, role in ((kreis, "Kreis"), (land, "Land")):
        if area == ags and level != role:
            continue
        area_series = pop.filter((pl.col("ags") == area) & (pl.col("source") == "regionalatlas"))
        if area_series.height:
            label = f"{area_series.get_column('name')[0]} (Regionalatlas)"
            line(area_series.sort("reference_date"), label, AREA_COLOURS[role], estimated=False)
        if role == "Kreis" and area == ags:
            # The Fortschreibung of a later day: same concept, other source – its own marker.
            later = pop.filter((pl.col("ags") == area) & (pl.col("source") == "fortschreibung"))
            if later.height:
                label = f"{later.get_column('name')[0]}: {SOURCES['fortschreibung'].label}"
                fig.add_trace(go.Scatter(
                    x=later.get_column("reference_date").to_list(),
                    y=later.get_column("share").to_list(), name=label, mode="markers",
                    marker={"size": 12, "symbol": "hexagon", "color": AREA_COLOURS["Kreis"],
                            "line": {"color": "black", "width": 1}},
                    hovertemplate=_hover(label, "amtlich")))
                used.append(("fortschreibung", later))
    for day in sorted(breaks):
        fig.add_shape(type="line", xref="x", yref="paper", x0=day, x1=day, y0=0, y1=1,
                      line={"color": "#444444", "width": 1.5, "dash": "longdash"})
        fig.add_annotation(x=day, xref="x", y=1, yref="paper", yanchor="bottom",
                           text=f"Bruch: Basis {basis_label_at(day)}", showarrow=False,
                           font={"size": 11, "color": "#333333"}, bgcolor="white")
    published = rows.filter(
        pl.col("source").is_in(PUBLISHED_SOURCES) & pl.col("share").is_not_null()
    )
    for row in published.iter_rows(named=True):
        label = SOURCES[row["source"]].label
        fig.add_trace(
            go.Scatter(
                x=[row["reference_date"]], y=[row["share"]], name=label, mode="markers",
                marker={"size": 14, "symbol": "star", "color": ORANGE_DARK,
                        "line": {"color": "black", "width": 1}},
                hovertemplate=_hover(label, "amtlich"),
            )
        )
        used.append((row["source"], published.filter(pl.col("source") == row["source"])))

    if projections:
        # One legend entry explains every dotted line (one per series would crowd the legend).
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="lines", name=f"Projektion bis {max(projections)} "
                "(linear, keine Prognose)", line={"color": "#666666", "width": 2, "dash": "dot"},
                hoverinfo="skip",
            )
        )
    fig.update_yaxes(title_text=SHARE_AXIS, rangemode="tozero", ticksuffix=" %")
    # Year-end values: tick labels sit on 31.12., so "2023" labels the value of 31.12.2023.
    # tickangle=0: rotated labels would run into the source lines below the axis.
    fig.update_xaxes(title_text="Stichtag (31.12. des Jahres)", tickformat="%Y",
                     tick0="2011-12-31", dtick="M24", tickangle=0)
    title = title or f"Ausländeranteil {name} im Vergleich"
    sources = _sources_text(used)
    # Tall enough that every legend entry fits beside the plot (no scrolling legend).
    entries = sum(1 for t in fig.data if t.showlegend is not False)
    needed = 80 + LEGEND_ROW_PX * entries + 62 + 16 * (sources.count("<br>") + 1)
    # Legend beside the plot (rows under the title where the chart is narrow, chart_layout.js)
    fig = finish(fig, sources, title=title, height=max(height, needed), legend="right")
    fig.update_layout(legend={"font": {"size": 12}, "tracegroupgap": 0}, margin={"r": 20})
    return fig


def _ranking_rows(
    pop: pl.DataFrame, source: str, reference_date: dt.date | None, kreis: str
) -> tuple[pl.DataFrame, dt.date]:
    if reference_date is None:
        reference_date = (
            pop.filter((pl.col("source") == source) & (pl.col("level") == "Gemeinde")
                       & pl.col("share").is_not_null())
            .get_column("reference_date").max()
        )
    return metrics.rank_in_kreis(pop, reference_date, source, kreis), reference_date


def ranking_chart(
    pop: pl.DataFrame,
    highlight: str | None = None,
    *,
    source: str = "zensus2022",
    reference_date: dt.date | None = None,
    kreis: str = KREIS_AGS,
    title: str | None = None,
) -> go.Figure:
    """Horizontal bars of all municipalities by foreign share (highest at the top).

    ``highlight`` (an AGS) is drawn in the municipality colour; the Kreis value of the same
    source and date, if present, is a vertical dashed line.
    """
    ranks, reference_date = _ranking_rows(pop, source, reference_date, kreis)
    ordered = ranks.sort("share")  # plotly draws the first category at the bottom
    colours = [
        AREA_COLOURS["Gemeinde"] if a == highlight else "#6F8BA6"  # 3,6:1
        for a in ordered.get_column("ags")
    ]
    estimated = SOURCES[source].status == ESTIMATED
    fig = go.Figure(
        go.Bar(
            x=ordered.get_column("share").to_list(),
            y=ordered.get_column("name").to_list(),
            orientation="h",
            marker={"color": colours},
            customdata=ordered.get_column("rank").to_list(),
            texttemplate="%{x:.1f} %",
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f} % (Rang %{customdata})<extra></extra>",
            showlegend=False,
        )
    )
    kreis_row = metrics.value_at(pop, kreis, reference_date, source)
    if kreis_row is not None:
        fig.add_vline(
            x=kreis_row["share"], line={"color": AREA_COLOURS["Kreis"], "dash": "dash", "width": 2},
            annotation_text=f"Landkreis {fmt_percent(kreis_row['share'])}"
            + (" (berechnet)" if kreis_row["status"] == ESTIMATED else ""),
            annotation_position="top",
        )
    fig.update_xaxes(title_text=SHARE_AXIS, ticksuffix=" %", rangemode="tozero")
    fig.update_yaxes(title_text=None, tickfont={"size": 12})
    label = SOURCES[source].label + (" – geschätzt" if estimated else "")
    title = title or (
        f"Ausländeranteil der Städte und Gemeinden ({label}, {fmt_date(reference_date)})"
    )
    used = pop.filter((pl.col("source") == source) & (pl.col("reference_date") == reference_date))
    return finish(fig, _sources_text([(source, used)]), title=title,
                   height=130 + 19 * ordered.height)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    raise ValueError(f"unsupported geometry {geometry['type']}")


def _feature_ags(feature: dict[str, Any]) -> str:
    props = feature.get("properties") or {}
    for key in ("AGS", "ags"):
        if props.get(key):
            return str(props[key])
    raise KeyError("feature without AGS property")


def _ring_area(ring: list[list[float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in
                   zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def choropleth_map(
    pop: pl.DataFrame,
    highlight: str | None = None,
    *,
    source: str = "zensus2022",
    reference_date: dt.date | None = None,
    geojson: dict[str, Any] | None = None,
    kreis: str = KREIS_AGS,
    title: str | None = None,
    height: int = 560,
) -> go.Figure:
    """Map of the Kreis coloured by foreign share (one filled SVG polygon per municipality).

    ``geojson`` defaults to ``workbench.loaders.geo.kreis_geojson(kreis)`` (WGS84, property
    ``AGS``).
    """
    if geojson is None:
        from workbench.loaders.geo import kreis_geojson

        geojson = kreis_geojson(kreis)
    ranks, reference_date = _ranking_rows(pop, source, reference_date, kreis)
    shares = dict(zip(ranks.get_column("ags"), ranks.get_column("share"), strict=True))
    names = dict(zip(ranks.get_column("ags"), ranks.get_column("name"), strict=True))
    low, high = min(shares.values()), max(shares.values())
    features = [f for f in geojson["features"] if _feature_ags(f) in shares]
    lat0 = sum(y for f in features for r in _rings(f["geometry"]) for _, y, *_ in r[:1]) / max(
        len(features), 1)
    scale = math.cos(math.radians(lat0 or 48.9))  # equirectangular: keeps local proportions

    fig = go.Figure()
    # Largest first, so enclaves drawn later stay visible.
    features.sort(key=lambda f: -sum(_ring_area(r) for r in _rings(f["geometry"])))
    highlight_trace = None
    for feature in features:
        ags = _feature_ags(feature)
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in _rings(feature["geometry"]):
            xs += [p[0] * scale for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
        value = shares[ags]
        colour = sample_colorscale(SEQUENTIAL, [(value - low) / (high - low or 1)])[0]
        trace = go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", fillcolor=colour,
            # outlines 4,5:1 on white: every municipality is visible, also in light classes
            line={"color": GREY, "width": 1}, hoveron="fills", name=names[ags],
            text=f"{names[ags]}: {fmt_percent(value)}", hoverinfo="text", showlegend=False,
        )
        if ags == highlight:
            trace.line = {"color": AREA_COLOURS["Gemeinde"], "width": 4}
            highlight_trace = trace
        else:
            fig.add_trace(trace)
    if highlight_trace is not None:
        fig.add_trace(highlight_trace)  # on top, so its outline is not covered
    # Invisible marker trace that only carries the colour bar.
    fig.add_trace(
        go.Scatter(
            x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
            marker={"color": [low, high], "colorscale": SEQUENTIAL, "cmin": low, "cmax": high,
                    "showscale": True,
                    "colorbar": {"title": {"text": "Anteil in %"}, "ticksuffix": " %"}},
        )
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    label = SOURCES[source].label + (" – geschätzt" if SOURCES[source].status == ESTIMATED else "")
    kreis_rows = pop.filter(pl.col("ags") == kreis)
    kreis_name = kreis_rows.get_column("name")[0] if kreis_rows.height else kreis
    title = title or (
        f"Ausländeranteil {metrics.in_area('Kreis', kreis_name)} "
        f"({label}, {fmt_date(reference_date)})"
    )
    used = pop.filter((pl.col("source") == source) & (pl.col("reference_date") == reference_date))
    sources = _sources_text([(source, used)]) + (
        "<br>Grenzen: © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0"
    )
    fig = finish(fig, sources, title=title, height=height)
    fig.update_layout(plot_bgcolor="white", margin={"l": 10, "r": 10})
    return fig


def key_figure_rows(pop: pl.DataFrame, ags: str) -> list[tuple[str, str, str]]:
    """(Kennzahl, Wert, Quelle und Stand) rows for one municipality; estimates say so."""
    f = metrics.key_figures(pop, ags)
    rows: list[tuple[str, str, str]] = []
    if f["population"] is not None:
        rows.append(("Einwohner", fmt_int(f["population"]),
                     f"{SOURCES['gv_isys'].label}, {fmt_date(f['population_date'])}"))
    zensus = f"{SOURCES['zensus2022'].label}, {fmt_date(f['zensus_date'])}" if f[
        "zensus_date"] else ""
    if f["zensus_share"] is not None:
        rows.append(("Ausländeranteil", fmt_percent(f["zensus_share"]), zensus))
    word = metrics.kreis_word(f["kreis_name"])  # Landkreis | Stadtkreis
    if (f["kreis_zensus_share"] is not None and f["level"] == "Gemeinde"
            and not f["sole_municipality"]):
        computed = f["kreis_zensus_status"] == ESTIMATED
        rows.append((f"Ausländeranteil {word} (Zensus)", fmt_percent(f["kreis_zensus_share"]),
                     zensus + (" (aus Gemeindewerten berechnet)" if computed else "")))
        rows.append((f"Abstand zum {word}", fmt_points(f["gap_kreis"]), zensus))
    if f["gap_land"] is not None:
        rows.append(("Abstand zu Baden-Württemberg", fmt_points(f["gap_land"]), zensus))
    if f["rank"] is not None:
        rows.append((f"Rang im {word} (1 = höchster Anteil)", f"{f['rank']} von {f['n']}",
                     zensus))
    if f["latest_share"] is not None:
        estimated = f["series_status"] == ESTIMATED
        note = SOURCES[f["latest_source"]].label + f", {f['latest_label']}"
        suffix = " (geschätzt)" if estimated else ""
        value = fmt_percent(f["latest_share"])
        if estimated and f["latest_band"] is not None:
            value += f" ± {fmt_number(f['latest_band'], 1)} Prozentpunkte"
        rows.append((f"Ausländeranteil zuletzt{suffix}", value, note))
        if f["change_points"] is not None and f["change_start"] != f["latest_date"]:
            since = ("Zensus 2011" if f["change_start_source"] == "zensus2011"
                     else str(f["change_start"].year))
            change_note = f"{SOURCES[f['change_start_source']].label}, {f['change_start_label']}"
            change_note += f" → {note}"
            if f["change_break"]:
                change_note += "; Reihenbruch: neue Bevölkerungsbasis Zensus 2022"
            rows.append((f"Veränderung seit {since}{suffix}",
                         fmt_points(f["change_points"]), change_note))
        if f["projection_2029"] is not None:
            rows.append((f"Projektion 2029 (linear){suffix}", fmt_percent(f["projection_2029"]),
                         note + "; Projektion, keine Prognose"))
    published = pop.filter((pl.col("ags") == ags) & pl.col("source").is_in(PUBLISHED_SOURCES))
    for row in published.iter_rows(named=True):
        rows.append(("Ausländeranteil (veröffentlicht)",
                     f"{fmt_percent(row['share'], 2)} ({fmt_int(row['foreigners'])} Personen)",
                     f"{SOURCES[row['source']].label}, {fmt_date(row['reference_date'])}"))
    if f["kreis_latest_share"] is not None:
        rows.append((f"Ausländeranteil {word}, zuletzt", fmt_percent(f["kreis_latest_share"]),
                     f"{SOURCES['regionalatlas'].label}, {fmt_date(f['kreis_latest_date'])}"))
    if f["land_latest_share"] is not None:
        rows.append(("Ausländeranteil Baden-Württemberg, zuletzt",
                     fmt_percent(f["land_latest_share"]),
                     f"{SOURCES['regionalatlas'].label}, {fmt_date(f['land_latest_date'])}"))
    return rows


def key_figure_table(pop: pl.DataFrame, ags: str, *, title: str | None = None) -> go.Figure:
    """``go.Table`` of the key figures of one municipality with source and date per row."""
    rows = key_figure_rows(pop, ags)
    name = pop.filter(pl.col("ags") == ags).get_column("name")[0]
    labels, values, notes = (list(col) for col in zip(*rows, strict=True))
    fig = go.Figure(
        go.Table(
            columnwidth=[3, 2, 4],
            header={"values": ["Kennzahl", "Wert", "Quelle und Stand"],
                    "fill": {"color": AREA_COLOURS["Kreis"]},
                    "font": {"color": "white", "size": 14}, "align": "left"},
            cells={"values": [labels, values, notes], "align": ["left", "right", "left"],
                   "height": 28, "font": {"size": 13},
                   "fill": {"color": [["#F4F6F8", "white"] * (len(rows) // 2 + 1)]}},
        )
    )
    keys = ["gv_isys", "zensus2022", "regionalatlas"]
    series_source = metrics.key_figures(pop, ags)["series_source"]
    if series_source:
        keys.append(series_source)
    sources = wrap_sources([citation(k) for k in keys])
    title = title or f"Kennzahlen {name}"
    height = 130 + 34 * len(rows) + 16 * (sources.count("<br>") + 1)
    fig = finish(fig, sources, title=title, height=height)
    fig.update_layout(margin={"l": 10, "r": 10})
    return fig


def overview_figure(pop: pl.DataFrame, *, sort: str = "name", title: str | None = None
                    ) -> go.Figure:
    """``go.Table`` of all municipalities (``metrics.overview_table``), German formats, with the
    sources under it; estimated values carry „*“ and the note says so."""
    table = metrics.overview_table(pop)
    if sort == "rang":
        table = table.sort("rank", metrics.german_sort_key("name"), nulls_last=True)
    header, rows = metrics.overview_rows(table)
    columns = [list(col) for col in zip(*rows, strict=True)]
    fig = go.Figure(
        go.Table(
            columnwidth=[3, 1.6, 1.8, 1.6, 0.8, 1.6, 1.6, 1.4],
            header={"values": header, "fill": {"color": AREA_COLOURS["Kreis"]},
                    "font": {"color": "white", "size": 13}, "align": "left"},
            cells={"values": columns, "align": ["left", "left"] + ["right"] * 6, "height": 24,
                   "font": {"size": 12},
                   "fill": {"color": [["#F4F6F8", "white"] * (len(rows) // 2 + 1)]}},
        )
    )
    latest_sources = table.get_column("latest_source").drop_nulls().unique().sort().to_list()
    lines = [
        citation("gv_isys", table.get_column("population_date").max()),
        citation("zensus2022", pop.filter(pl.col("source") == "zensus2022")
                 .get_column("reference_date").max()),
        *(citation(s, table.filter(pl.col("latest_source") == s)
                   .get_column("latest_date").max()) for s in latest_sources),
    ]
    if "statistik_bw" in latest_sources:
        lines.append(STATISTIK_BW_ASSUMPTION)
    if table.filter(pl.col("latest_status") == ESTIMATED).height:
        lines.append("* geschätzt: zwischen den amtlichen Gemeindewerten mit der "
                     "Kreisentwicklung (Regionalatlas) geschätzt; keine amtliche Gemeindezahl.")
    sources = wrap_sources(lines)
    kreis = metrics.detect_kreis(pop)
    named = pop.filter(pl.col("ags") == kreis)
    title = title or ("Städte und Gemeinden " + metrics.in_area(
        "Kreis", named.get_column("name")[0] if named.height else f"Kreis {kreis}"))
    height = 110 + 24 * (len(rows) + 1) + 16 * (sources.count("<br>") + 1) + 40
    fig = finish(fig, sources, title=title, height=height)
    fig.update_layout(margin={"l": 10, "r": 10})
    return fig
