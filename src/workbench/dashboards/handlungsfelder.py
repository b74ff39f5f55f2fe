"""Dashboard „Handlungsfelder“: progress of the Maßnahmen of one Träger.

Catalogue, observations, status and charts come from ``workbench.catalogue``,
``workbench.examples.observations_for`` (store values, or Beispieldaten when the store has
none), ``workbench.progress``, ``workbench.suppression`` and ``workbench.figures.progress``.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as w
import polars as pl

from workbench import catalogue as cat
from workbench import htmlparts
from workbench import progress as prog
from workbench.dashboards.base import (
    EXAMPLE_LABEL,
    figure_spec,
    header,
    message,
    query_params,
    source_line,
)
from workbench.dashboards.plotly_chart import PlotlyChart, plotly_loader
from workbench.examples import observations_for
from workbench.figures import progress as progfig
from workbench.formatting import fmt_date


def html_table(frame: pl.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    """The frame as an HTML table; the ``numeric`` columns right-aligned."""
    positions = {i for i, c in enumerate(frame.columns) if c in numeric}
    return htmlparts.table(frame.columns, frame.iter_rows(), numeric=positions)


def evaluation_dates(catalogue: cat.Catalogue, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The two evaluation dates to compare: the last two scheduled ones up to ``as_of``
    (the first falls back to the schedule start, the second to ``as_of``)."""
    past = [d for d in catalogue.evaluation_dates() if d <= as_of]
    if len(past) >= 2:
        return past[-2], past[-1]
    start = catalogue.traeger.zeitplan.beginn
    return (past[-1], as_of) if past and past[-1] != as_of else (start, as_of)


class HandlungsfelderDashboard:
    """One tab per Handlungsfeld; per Maßnahme the indicators' progress and status."""

    # Assumptions (catalogue ``annahme``) are printed as „Annahme, nicht aus der Quelle: …“
    # under every chart/table they affect; finished projects (``abgeschlossen``) are listed as
    # history with their real dates and never get a progress status.

    def __init__(
        self,
        traeger_id: str | None = None,
        *,
        as_of: dt.date | None = None,
        store_path=None,
    ) -> None:
        self.as_of = as_of or dt.date.today()
        self.store_path = store_path
        self.traeger_ids = cat.list_traeger()
        catalogues = cat.load_all()
        self.labels = {
            tid: catalogues[tid].traeger.name
            + (" (Beispiel)" if catalogues[tid].traeger.beispiel else "")
            for tid in self.traeger_ids
            if tid in catalogues
        }
        default = "sachsenheim" if "sachsenheim" in self.labels else next(iter(self.labels))
        self.selector = w.Dropdown(
            options=[(label, tid) for tid, label in self.labels.items()],
            value=default,
            description="Träger:",
            layout=w.Layout(width="440px"),
            style={"description_width": "70px"},
        )
        self.selector.add_class("wb-traeger")
        self.notice = w.HTML("")
        self.example_banner = w.HTML("")
        # Every indicator counted (distribution in words) and what each status means.
        self.summary = w.HTML("")
        self.summary.add_class("wb-table")
        self.legend = w.HTML("")
        # Charts redraw in place when the Träger changes (PlotlyChart, Plotly.react).
        self.overview_chart = PlotlyChart()
        self.tabs = w.Tab()
        self.zeitplan_chart = PlotlyChart()
        self.evaluation_chart = PlotlyChart()
        self.evaluation_table = w.HTML("")
        self.evaluation_table.add_class("wb-table")
        self.assumptions = w.HTML("")
        self.history = w.HTML("")
        self.history.add_class("wb-table")
        self._tab_built: set[int] = set()
        self._tab_boxes: list[w.VBox] = []
        self.tabs.observe(self._on_tab, names="selected_index")
        self.selector.observe(self._on_selector, names="value")
        self.widget = w.VBox(
            [
                header(
                    "Handlungsfelder – Stand der Maßnahmen",
                    "Fortschritt der Indikatoren zum Zielwert, Zeitplan und Evaluation",
                ),
                plotly_loader(),  # invisible; loads plotly.js for the charts
                self.selector,
                self.notice,
                self.example_banner,
                self.assumptions,
                self.summary,
                self.overview_chart,
                self.legend,
                w.HTML("<h2>Maßnahmen je Handlungsfeld</h2>"),
                self.tabs,
                w.HTML("<h2>Zeitplan</h2>"),
                self.zeitplan_chart,
                w.HTML("<h2>Evaluation: Vergleich der beiden letzten Stichtage</h2>"),
                self.evaluation_chart,
                self.evaluation_table,
                self.history,
            ],
            layout=w.Layout(max_width="1240px", padding="0 8px"),
        )
        self.widget.add_class("wb-dashboard")
        self.traeger_id = ""
        self.select(traeger_id or default)

    def _on_selector(self, change: dict) -> None:
        if change["new"] != self.traeger_id:
            self.select(change["new"])

    @classmethod
    def from_request(cls) -> HandlungsfelderDashboard:
        dashboard = cls()
        wanted = query_params().get("traeger")
        if wanted:
            if wanted in dashboard.labels:
                dashboard.select(wanted)
            else:
                dashboard.notice.value = message(
                    f"Unbekannter Träger „{wanted}“ – angezeigt wird "
                    f"{dashboard.labels[dashboard.traeger_id]}. Verfügbar: "
                    + ", ".join(dashboard.labels),
                    "error",
                )
        return dashboard

    # ---- data ------------------------------------------------------------------------------
    def select(self, traeger_id: str) -> None:
        """Show Träger ``traeger_id`` (catalogue id, e.g. ``sachsenheim``)."""
        if traeger_id not in self.labels:
            raise KeyError(f"Unbekannter Träger „{traeger_id}“")
        self.traeger_id = traeger_id
        self.selector.value = traeger_id  # no-op for the observer (same id)
        self.catalogue = cat.load_catalogue(traeger_id)
        self.observations, self.used_examples = observations_for(
            traeger_id, self.as_of, self.store_path
        )
        self.current = cat.indicators_frame(self.catalogue, closed=False)
        self.targets, self.assessments = self._targets_assessments(traeger_id)
        self.progress = prog.indicator_progress(self.current, self.observations, self.as_of,
                                                targets=self.targets,
                                                assessments=self.assessments)
        self.is_example = self.used_examples or bool(
            self.progress["is_example"].fill_null(False).any()
        )
        self.example_banner.value = (
            f'<div class="wb-example" data-testid="beispieldaten">{EXAMPLE_LABEL}</div>'
            if self.is_example
            else ""
        )
        self.assumption_labels = self.catalogue.assumptions(closed=False)
        self.assumptions.value = "".join(
            f'<div class="wb-note wb-annahme" data-testid="annahme">{html.escape(label)}</div>'
            for label in self.assumption_labels)
        self.history.value = self._history_html()
        self.summary.value = self._summary_html()
        self.legend.value = self._legend_html()
        self.overview_chart.figure = figure_spec(
            progfig.status_overview_chart(self.progress, catalogue=self.catalogue)
        )
        self._build_tabs()
        self.zeitplan_chart.figure = figure_spec(
            progfig.zeitplan_chart(self.catalogue, as_of=self.as_of)
        )
        date_a, date_b = evaluation_dates(self.catalogue, self.as_of)
        self.snapshot = prog.evaluation_snapshot(self.current, self.observations, date_a, date_b,
                                                 targets=self.targets,
                                                 assessments=self.assessments)
        self.evaluation_chart.figure = figure_spec(
            progfig.evaluation_chart(self.snapshot, catalogue=self.catalogue)
        )
        moved = self.snapshot.group_by("status_change").len().sort("status_change")
        counts = ", ".join(f"{r['status_change']}: {r['len']}" for r in moved.iter_rows(named=True))
        self.evaluation_table.value = (
            f"<p>Statusänderungen {fmt_date(date_a)} → {fmt_date(date_b)}: "
            f"{html.escape(counts)}</p>"
        )

    def _targets_assessments(self, traeger_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Stored Zielwerte and assessments (empty without a store file; none is created)."""
        from workbench import paths
        from workbench.store import ObservationStore

        path = self.store_path or paths.store_path()
        if not Path(path).exists():
            return prog.empty_targets(), prog.empty_assessments()
        store = ObservationStore(path)
        try:
            return store.targets(traeger_id), store.assessments(traeger_id)
        finally:
            store.close()

    def _summary_html(self) -> str:
        """The distribution of ALL indicators, for the Träger and per Handlungsfeld."""
        total = prog.rollup_traeger(self.progress)
        if total.height == 0:
            return ""
        fields = prog.rollup_handlungsfelder(self.progress)
        table = pl.DataFrame({
            "Handlungsfeld": fields["handlungsfeld"],
            "Verteilung der Status (alle Indikatoren)": fields["summary"],
            "im Plan oder erreicht": [f"{a} von {b}" for a, b in
                                      zip(fields["n_on_track"], fields["n_indicators"],
                                          strict=True)],
            "kritischster Status": fields["worst_status"],
        })
        return (f'<p data-testid="status-summe"><b>Insgesamt '
                f"{html.escape(total['summary'][0])}.</b> Gezählt werden alle Indikatoren der "
                "laufenden Maßnahmen, auch solche ohne Zielwert oder ohne Messwert.</p>"
                + html_table(table))

    def _legend_html(self) -> str:
        """One sentence per status shown: what it means, what the Träger can do, where."""
        items = "".join(
            f"<li><b>{html.escape(status)}</b>: {html.escape(text)}</li>"
            for status, text in prog.status_legend(set(self.progress["status"])))
        return (f'<div class="wb-note" data-testid="status-erlaeuterung"><h3>Was die Status '
                f"bedeuten</h3><ul>{items}</ul></div>")

    def _history_html(self) -> str:
        """Finished projects (history): real period, status text, source — no progress."""
        closed = self.catalogue.massnahmen(closed=True)
        if not closed:
            return ""
        rows = []
        for m in closed:
            start, due = self.catalogue.massnahme_dates(m)
            rows.append({"Projekt/Maßnahme": m.titel,
                         "Projektzeitraum": f"{fmt_date(start)} – {fmt_date(due)}",
                         "Status": m.abgeschlossen or "", "Quelle": m.quelle.label()})
        return ("<h2>Abgeschlossene Projekte (Geschichte)</h2>"
                + html_table(pl.DataFrame(rows))
                + source_line("; ".join(self.catalogue.documents(closed=True))
                              + "; Zeitraum wie in der Quelle, nicht am heutigen Zeitplan "
                                "gemessen"))

    def _build_tabs(self) -> None:
        fields = list(dict.fromkeys(self.progress["handlungsfeld"]))
        self._fields = fields
        self._tab_built = set()
        self._tab_boxes = [w.VBox() for _ in fields]
        self.tabs.children = self._tab_boxes
        for i, name in enumerate(fields):
            self.tabs.set_title(i, name if len(name) <= 32 else name[:30] + "…")
        # Build the visible tab now, the others when first opened (keeps the page light).
        self.tabs.selected_index = 0 if fields else None
        self._fill_tab(0)

    def _on_tab(self, change: dict) -> None:
        if change["new"] is not None:
            self._fill_tab(change["new"])

    def _fill_tab(self, index: int) -> None:
        if index in self._tab_built or index >= len(self._tab_boxes):
            return
        self._tab_built.add(index)
        field = self._fields[index]
        rows = self.progress.filter(pl.col("handlungsfeld") == field)
        children: list[w.Widget] = []
        for mid in dict.fromkeys(rows["massnahme_id"]):
            m_rows = rows.filter(pl.col("massnahme_id") == mid)
            chart = PlotlyChart(
                figure_spec(
                    progfig.indicator_progress_chart(
                        self.progress, massnahme_id=mid, catalogue=self.catalogue, suppress=True
                    )
                )
            )
            table = progfig.published_with_assumptions(m_rows, suppress=True).drop(
                "Handlungsfeld", "Maßnahme"
            )
            notes = self.catalogue.assumptions(massnahme_ids=[mid])
            box = w.HTML(
                html_table(table, numeric=("Wert", "Zielwert", "Fortschritt"))
                + source_line(
                    f"{'; '.join(dict.fromkeys(m_rows['source_document']))}; "
                    f"Stand {fmt_date(self.as_of)}"
                    + ("; Messwerte: " + EXAMPLE_LABEL if self.is_example else "")
                    + "; Personenzahlen 1–2 als „.“ (Geheimhaltung)"
                )
                + "".join(f'<div class="wb-source wb-annahme">{html.escape(n)}</div>'
                          for n in notes)
            )
            box.add_class("wb-table")
            children += [chart, box]
        self._tab_boxes[index].children = children

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
