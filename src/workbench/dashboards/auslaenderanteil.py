"""Dashboard „Ausländeranteil“: one municipality against Kreis and Land, map, ranking, table.

All numbers come from ``workbench.population`` / ``workbench.metrics`` and all charts from
``workbench.figures.population``; this module only arranges them as widgets.
"""

from __future__ import annotations

import base64
import html
import json
import os
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import polars as pl

from workbench import metrics, region
from workbench.dashboards.base import (
    LiveText,
    figure_spec,
    header,
    html_widget,
    kpi,
    message,
    query_params,
    source_line,
)
from workbench.dashboards.integration_tab import TAB_TITLE, KreisIntegrationTab
from workbench.dashboards.plotly_chart import PlotlyChart, plotly_loader
from workbench.figures import AREA_COLOURS
from workbench.figures import population as popfig
from workbench.formatting import (
    fmt_date,
    fmt_int,
    fmt_number,
    fmt_percent,
    fmt_points_value,
)
from workbench.population import (
    ESTIMATED,
    SOURCES,
    citation,
    load_population,
)
from workbench.region import UnknownMunicipalityError, municipalities
from workbench.region import resolve as resolve_municipality
from workbench.tabular_write import frame_csv_bytes, frame_xlsx_bytes

DEFAULT_AGS = "08118076"  # Sachsenheim: the municipality the Integrationskonzept is about
MAP_SOURCE = "zensus2022"


def overview_export_frame(pop: pl.DataFrame) -> pl.DataFrame:
    """``metrics.overview_table`` with German column labels (for CSV/Excel downloads)."""
    table = metrics.overview_table(pop)
    labels = dict(metrics.OVERVIEW_LABELS)
    labels.setdefault("population_date", "Einwohner Stand")
    labels.setdefault("latest_source", "Quelle Anteil zuletzt")
    labels.setdefault("latest_band", "Unsicherheit der Schätzung (± Prozentpunkte)")
    table = table.with_columns(
        # "Stand 2025" for a source without a Stichtag: never a made-up date in the file.
        pl.struct("latest_source", "latest_date").map_elements(
            lambda r: metrics.date_label(r["latest_source"], r["latest_date"]),
            return_dtype=pl.String).alias("latest_date"),
        pl.col("latest_source").replace_strict(
            {k: v.label for k, v in SOURCES.items()}, default=pl.col("latest_source")
        ),
    )
    return table.rename({c: labels.get(c, c) for c in table.columns})


def download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="wb-download" download="{html.escape(filename)}" '
        f'href="data:{mime};base64,{payload}" style="margin-right:18px;font-size:15px">'
        f"⬇ {html.escape(label)}</a>"
    )


def _compact(spec: dict[str, Any]) -> str:
    return json.dumps(spec, separators=(",", ":"), ensure_ascii=False)


class _Figures(dict):
    """``figures`` of the current selection; plotly figure objects built on first access
    (the browser only needs their JSON, which is cached)."""

    def __init__(self, build) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, which: str) -> Any:
        value = self[which] = self._build(which)
        return value


class AuslaenderanteilDashboard:
    """Foreign-resident share of one municipality, selectable by search, map click or URL."""

    def __init__(self, ags: str | None = None, pop: pl.DataFrame | None = None,
                 kreis: str | None = None) -> None:
        self.kreis = kreis or region.default_kreis()
        self.kreis_name = region.kreis_name(self.kreis)
        self.word = metrics.kreis_word(self.kreis_name)  # Landkreis | Stadtkreis
        self.pop = pop if pop is not None else load_population(kreis=self.kreis)
        self.register = municipalities(kreis=self.kreis)
        self.names: dict[str, str] = dict(
            zip(self.register.get_column("ags"), self.register.get_column("name"), strict=True)
        )
        self.ags_by_name = {name: ags for ags, name in self.names.items()}
        self.ags = DEFAULT_AGS if DEFAULT_AGS in self.names else next(iter(self.names))
        self.figures: dict[str, Any] = _Figures(lambda which: self._figure(self.ags, which))
        self._views: dict[str, dict[str, Any]] = {}

        self.search = w.Combobox(
            options=sorted(self.names.values(), key=str.casefold),
            placeholder="Gemeinde suchen …",
            description="Gemeinde:",
            # Any spelling is accepted and resolved on Enter/leaving the field
            # ("ludwigsburg", "Loechgau"); unknown names get a German message.
            ensure_option=False,
            continuous_update=False,
            layout=w.Layout(width="360px"),
            style={"description_width": "80px"},
        )
        self.search.add_class("wb-gemeinde-search")
        self.search.observe(self._on_search, names="value")
        self.notice = w.HTML("")
        self.kpis = html_widget("", "wb-kpis")
        self.live = LiveText()  # announces the key figures of a new selection
        # Charts redraw in place (PlotlyChart, Plotly.react), drawn top to bottom.
        self.trend_chart = PlotlyChart()
        self.ranking_chart = PlotlyChart()
        self.map_chart = self._build_map()
        self.table = html_widget("", "wb-table")
        self.downloads = w.HTML("")
        self._build_table()

        self.widget = w.VBox(
            [
                header(
                    "Ausländeranteil in den Städten und Gemeinden",
                    f"{self.kreis_name} – Anteil der Einwohnerinnen und Einwohner ohne "
                    "deutsche Staatsangehörigkeit",
                ),
                plotly_loader(),  # invisible; loads plotly.js for the charts
                w.HBox(
                    [
                        self.search,
                        w.HTML(
                            '<span class="wb-figure-label" style="margin-left:12px">'
                            "oder Gemeinde in der Karte anklicken</span>"
                        ),
                    ]
                ),
                self.notice,
                self.live,
                self.kpis,
                self.trend_chart,
                w.HTML(
                    '<div class="wb-figure-label">Durchgezogen = amtlich, gestrichelt = '
                    "geschätzt, gepunktet = Projektion (keine Prognose).</div>"
                ),
                self.map_chart,
                self.ranking_chart,
                w.HTML("<h2>Alle Städte und Gemeinden</h2>"),
                self.downloads,
                self.table,
            ],
            layout=w.Layout(max_width="1240px", padding="0 8px"),
        )
        self.widget.add_class("wb-dashboard")
        self._add_kreis_tab()
        self.select(ags or self.ags, _force=True)

    # ---- construction ------------------------------------------------------------------
    def _add_kreis_tab(self) -> None:
        """Everything below the header becomes tab 1; tab 2 „Integrationsindikatoren (Kreis)“
        stays an empty box until first selected (the first screen costs the same)."""
        head, rest = self.widget.children[:2], self.widget.children[2:]
        self.kreis_tab = KreisIntegrationTab(self.kreis)
        self.tabs = w.Tab(children=[w.VBox(rest), self.kreis_tab.widget],
                          titles=["Städte und Gemeinden", TAB_TITLE])
        self.tabs.observe(self._on_tab, names="selected_index")
        self.widget.children = (*head, self.tabs)

    def _on_tab(self, change: dict) -> None:
        if change["new"] == 1:
            self.kreis_tab.build()

    def _build_map(self) -> PlotlyChart:
        base = popfig.choropleth_map(self.pop, None, source=MAP_SOURCE, height=520,
                                     kreis=self.kreis)
        base.update_layout(clickmode="event")
        # Overlay outline of the selected municipality (no fill), set per selection.
        base.add_trace(
            go.Scatter(
                x=[],
                y=[],
                mode="lines",
                line={"color": AREA_COLOURS["Gemeinde"], "width": 4},
                hoverinfo="skip",
                showlegend=False,
                name="Auswahl",
            )
        )
        self._polygons: dict[str, tuple[list, list]] = {}
        for trace in base.data:
            ags = self.ags_by_name.get(trace.name or "")
            if ags is not None and trace.fill == "toself":
                self._polygons[ags] = (list(trace.x), list(trace.y))
        chart = PlotlyChart(figure_spec(base))
        chart.observe(self._on_map_click, names="clicked")
        return chart

    def _show_map(self, ags: str) -> None:
        """Outline ``ags`` on the map: only the outline's coordinates go to the browser."""
        xs, ys = self._polygons.get(ags, ([], []))
        self.map_chart.overlay = {"x": xs, "y": ys}

    @property
    def map(self) -> go.Figure:
        """The map as the browser shows it (figure state of the widget plus the outline)."""
        fig = go.Figure(self.map_chart.figure)
        overlay = self.map_chart.overlay
        if overlay:
            fig.data[-1].x, fig.data[-1].y = overlay.get("x", []), overlay.get("y", [])
        return fig

    def _build_table(self) -> None:
        frame = overview_export_frame(self.pop)
        table = metrics.overview_table(self.pop)
        zensus_date = (
            self.pop.filter(pl.col("source") == MAP_SOURCE).get_column("reference_date").max()
        )
        latest_date = table.get_column("latest_date").max()
        latest_sources = table.get_column("latest_source").drop_nulls().unique().sort()
        note = (
            f"Quellen: {citation('gv_isys')}; {citation(MAP_SOURCE, fmt_date(zensus_date))}"
            "; Anteil zuletzt: " + "; ".join(citation(s) for s in latest_sources)
        )
        self.source_note = note
        stem = (
            f"auslaenderanteil_gemeinden_zensus2022_{zensus_date:%Y-%m-%d}"
            f"_schaetzung_{latest_date:%Y-%m-%d}"
        )
        self.download_names = {"csv": f"{stem}.csv", "xlsx": f"{stem}.xlsx"}
        self.downloads.value = download_link(
            frame_xlsx_bytes(frame, note, "Ausländeranteil"),
            self.download_names["xlsx"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel-Datei herunterladen",
        ) + download_link(
            frame_csv_bytes(frame, note),
            self.download_names["csv"],
            "text/csv",
            "CSV-Datei herunterladen",
        )
        header_cells = "".join(
            f"<th>{html.escape(metrics.OVERVIEW_LABELS[c])}</th>" for c in metrics.OVERVIEW_LABELS
        )
        rows = []
        for row in table.iter_rows(named=True):
            est = " (geschätzt)" if row["latest_status"] == ESTIMATED else ""
            cells = [
                f"<td>{html.escape(row['name'])}</td>",
                f"<td>{row['ags']}</td>",
                f'<td class="num">{fmt_int(row["population"])}</td>',
                f'<td class="num">{fmt_percent(row["share_zensus"])}</td>',
                f'<td class="num">{fmt_int(row["rank"])}</td>',
                f'<td class="num">{fmt_points_value(row["gap_kreis"])}</td>',
                f'<td class="num">{fmt_percent(row["share_latest"])}'
                + (f" ± {fmt_number(row['latest_band'])}" if est and row["latest_band"] else "")
                + "</td>",
                f"<td>{metrics.date_label(row['latest_source'], row['latest_date'])}</td>",
                f"<td>{html.escape(row['latest_status'] or '')}{'' if est else ''}</td>",
            ]
            rows.append(f'<tr data-ags="{row["ags"]}">{"".join(cells)}</tr>')
        self.table.value = (
            f"<table><thead><tr>{header_cells}</tr></thead><tbody>{''.join(rows)}</tbody>"
            f"</table>{source_line(note)}"
        )

    # ---- interaction -------------------------------------------------------------------
    @classmethod
    def from_request(cls) -> AuslaenderanteilDashboard:
        """Build (the slow part, done while the kernel waits in the pool; a pre-heated kernel
        also prepares every municipality's view), then apply ``?gemeinde=<AGS oder Name>`` of
        the visitor's request."""
        dashboard = cls()
        if os.environ.get("VOILA_PREHEAT") == "True":
            dashboard.precompute()
        wanted = query_params().get("gemeinde")
        if wanted:
            dashboard.select_query(wanted)
        return dashboard

    def select_query(self, wanted: str) -> None:
        """Select from a URL parameter; unknown values keep the default with a German notice."""
        try:
            ags, _ = resolve_municipality(wanted, self.register)
        except (UnknownMunicipalityError, ValueError) as exc:
            self.notice.value = message(
                f"Parameter gemeinde={wanted!s}: {exc} – angezeigt wird {self.names[self.ags]}.",
                "error",
            )
            return
        self.select(ags)

    def _on_search(self, change: dict) -> None:
        wanted = (change["new"] or "").strip()
        if not wanted or wanted == self.names[self.ags]:
            return
        try:
            ags, _ = resolve_municipality(wanted, self.register)
        except (UnknownMunicipalityError, ValueError) as exc:
            self.notice.value = message(
                f"„{wanted}“ nicht gefunden: {exc} – angezeigt wird weiter "
                f"{self.names[self.ags]}.", "error")
            self.live.text = f"„{wanted}“ nicht gefunden."
            return
        self.select(ags)

    def _on_map_click(self, change: dict) -> None:
        ags = self.ags_by_name.get((change["new"] or {}).get("name", ""))
        if ags is not None:
            self.select(ags)

    def select(self, name_or_ags: str, *, _force: bool = False) -> None:
        """Show municipality ``name_or_ags`` (AGS or name) in every part of the dashboard."""
        ags, name = resolve_municipality(name_or_ags, self.register)
        if ags == self.ags and not _force:
            return
        self.ags = ags
        if not _force:
            self.notice.value = ""
        view = self._view(ags)
        self.figures = _Figures(lambda which: self._figure(ags, which))
        self.figures["key"] = view["key"]
        # Above the fold first: key figures and trend reach the browser before the rest.
        self.kpis.value = view["kpi_html"]
        self.live.text = view["live"]
        self.trend_chart.figure = json.loads(view["trend_json"])
        if self.search.value != name:
            self.search.value = name
        self._show_map(ags)
        self.ranking_chart.figure = json.loads(view["ranking_json"])

    def _figure(self, ags: str, which: str) -> go.Figure:
        if which == "trend":
            return popfig.trend_chart(self.pop, ags, height=460, kreis=self.kreis)
        if which == "ranking":
            return popfig.ranking_chart(self.pop, ags, source=MAP_SOURCE, kreis=self.kreis)
        raise KeyError(which)

    def _view(self, ags: str) -> dict[str, Any]:
        """Key figures, KPI HTML and the JSON of both per-municipality charts, cached as JSON
        text: ≈ 25 KB per municipality, ≈ 1 MiB for all 39 a pre-heated kernel prepares
        (as Python dicts and lists ≈ 4½ MiB, plotly figure objects ≈ 1 MiB each); decoding
        one on a switch takes well under a millisecond."""
        view = self._views.get(ags)
        if view is None:
            key = metrics.key_figures(self.pop, ags)
            view = self._views[ags] = {
                "key": key,
                "kpi_html": self._kpi_html(key),
                "live": self._live_text(key),
                "trend_json": _compact(figure_spec(self._figure(ags, "trend"))),
                "ranking_json": _compact(figure_spec(self._figure(ags, "ranking"))),
            }
        return view

    def precompute(self) -> None:
        """Prepare every municipality's view (≈ 3 s), so a switch only sends prepared data.
        Worth it while a pre-heated kernel waits in the pool for its visitor."""
        for ags in self.names:
            self._view(ags)
        self.kreis_tab.prepare()  # data and chart JSON only; widgets on first selection

    def _live_text(self, f: dict[str, Any]) -> str:
        """One sentence for screen readers after a selection (the key figures' gist)."""
        rank = f" Rang {f['rank']} von {f['n']} im {self.word}." if f["rank"] else ""
        return (f"Angezeigt: {f['name']}. Ausländeranteil {fmt_percent(f['zensus_share'])} "
                f"({SOURCES['zensus2022'].label}).{rank}")

    def _kpi_html(self, f: dict[str, Any]) -> str:
        zensus = f"{SOURCES['zensus2022'].label}, Stichtag {fmt_date(f['zensus_date'])}"
        parts = [
            kpi(f"Ausländeranteil {f['name']}", fmt_percent(f["zensus_share"]), zensus, "share"),
            kpi(
                f"Rang im {self.word}",
                f"{f['rank']} von {f['n']}" if f["rank"] else "–",
                "1 = höchster Anteil; " + SOURCES["zensus2022"].label,
                "rank",
            ),
            kpi(
                # "PP" is no word a reader knows (BITV/plain language): the unit goes into
                # the label, the tile keeps the large number short.
                f"Abstand zum {self.word} in Prozentpunkten",
                fmt_points_value(f["gap_kreis"]),
                zensus,
                "gap",
            ),
        ]
        if f["latest_share"] is not None:
            est = f["series_status"] == ESTIMATED
            label = SOURCES[f["latest_source"]].label
            since = ("Zensus 2011" if f["change_start_source"] == "zensus2011"
                     else str(f["change_start"].year))
            latest = fmt_percent(f["latest_share"])
            if est and f["latest_band"] is not None:
                latest += f" ± {fmt_number(f['latest_band'])} Prozentpunkte"
            when = (f"am {f['latest_label']}" if f["latest_label"][:1].isdigit()
                    else f"({f['latest_label']})")
            note = f"{label}: {latest} {when}"
            if f["change_break"]:
                note += "; Reihenbruch Zensus 2022 (neue Bevölkerungsbasis)"
            parts.append(
                kpi(
                    f"Veränderung seit {since} in Prozentpunkten"
                    + (" (geschätzt)" if est else ""),
                    fmt_points_value(f["change_points"]),
                    note,
                    "change",
                )
            )
        return '<div style="display:flex;flex-wrap:wrap">' + "".join(parts) + "</div>"

    # ---- state for tests -------------------------------------------------------------------
    @property
    def displayed_share(self) -> str:
        return fmt_percent(self.figures["key"]["zensus_share"])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
