"""Dashboard tab „Integrationsindikatoren (Kreis)“: the Kreis integration indicators.

Built lazily: the tab holds an empty box until it is first selected (``build()``), so the
first screen of the dashboard costs nothing extra. Numbers come from ``workbench.integration``,
charts from ``workbench.figures.integration`` (source line and Stichtag under every chart).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import polars as pl

from workbench import htmlparts
from workbench import integration as integ
from workbench.dashboards.base import figure_spec, kpi, message, source_line
from workbench.dashboards.plotly_chart import PlotlyChart
from workbench.formatting import fmt_int, fmt_percent

TAB_TITLE = "Integrationsindikatoren (Kreis)"


class KreisIntegrationTab:
    """The content of the tab; ``widget`` is placed in the dashboard's ``w.Tab``."""

    def __init__(self, kreis: str = integ.KREIS_AGS, data_dir=None) -> None:
        self.kreis = kreis
        self.data_dir = data_dir
        self.widget = w.VBox([w.HTML('<div class="wb-figure-label">Wird geladen …</div>')])
        self.built = False
        self.charts: dict[str, PlotlyChart] = {}
        self.figures: dict[str, Any] = {}
        self.files = pl.DataFrame()
        self._prepared: dict[str, Any] | None = None
        self._error: Exception | None = None

    def prepare(self) -> None:
        """Compute frames, figures and their JSON without creating widgets (a pre-heated
        kernel does this while it waits, so the first selection only sends prepared data)."""
        if self._prepared is not None or self._error is not None:
            return
        try:
            self._prepare()
        except Exception as exc:  # noqa: BLE001 - shown in the tab, the other tab keeps working
            self._error = exc

    def _prepare(self) -> None:
        from workbench.figures import integration as fig

        frame = integ.kreis_indicators(self.kreis, self.data_dir)
        structure = integ.foreign_population_structure(self.kreis, self.data_dir)
        self.files = integ.sources_used(self.kreis, self.data_dir, indicators=frame)
        self.figures = dict(fig.kreis_charts(frame, structure)) if frame.height else {}
        self._prepared = {"frame": frame,
                          "specs": {k: figure_spec(f) for k, f in self.figures.items()}}

    def build(self) -> None:
        """Show everything (first selection of the tab; later calls do nothing)."""
        if self.built:
            return
        self.built = True
        self.prepare()
        try:
            if self._error is not None:
                raise self._error
            children = self._children()
        except Exception as exc:  # noqa: BLE001 - the other tab must keep working
            children = [w.HTML(message(f"Integrationsindikatoren konnten nicht geladen werden: "
                                       f"{exc}", "error"))]
        self.widget.children = children

    def _children(self) -> list[w.Widget]:
        from workbench.figures.integration import HISTORY_KEYS

        frame = self._prepared["frame"]
        if frame.height == 0:
            return [w.HTML(message(f"Für den Kreis {self.kreis} liegen keine "
                                   "Integrationsindikatoren vor."))]
        name = frame.get_column("name")[0]
        out: list[w.Widget] = [w.HTML(
            f"<h2>{html.escape(name)}: amtliche Kennzahlen zur Integration</h2>")]
        out.append(w.HTML(self._kpi_html(frame)))
        notes = {
            "bestand_2025": integ.CONCEPT_NOTE,
            "mikrozensus": integ.MIKROZENSUS_NOTE,
        }
        rdb_header = False
        for key, spec in self._prepared["specs"].items():
            if key in HISTORY_KEYS and not rdb_header:
                rdb_header = True
                last = integ.last_year(frame.filter(pl.col("concept") == "Regionaldatenbank"))
                out.append(w.HTML(f"<h2>Entwicklung bis {last} (Regionaldatenbank, Stand "
                                  f"{last})</h2>" + message(integ.OUTDATED_NOTE)))
            chart = PlotlyChart(spec)
            self.charts[key] = chart
            out.append(chart)
            if key in notes:
                out.append(w.HTML(f'<div class="wb-figure-label">{html.escape(notes[key])}'
                                  "</div>"))
        out.append(w.HTML(self._files_html()))
        return out

    def _kpi_html(self, frame: pl.DataFrame) -> str:
        def latest(ind: str) -> dict | None:
            rows = frame.filter((pl.col("indicator_id") == ind) & pl.col("value").is_not_null())
            return rows.sort("year").row(-1, named=True) if rows.height else None

        parts = []
        azr, fs = latest("auslaender_azr"), latest("auslaender_fortschreibung")
        share, mz = latest("auslaenderanteil_fortschreibung"), latest(
            "migrationshintergrund_mikrozensus")
        if azr:
            parts.append(kpi("Ausländer/-innen laut AZR", fmt_int(azr["value"]),
                             f"Ausländerzentralregister, Stichtag {azr['stand']}", "azr"))
        if fs:
            note = f"Bevölkerungsfortschreibung, Stichtag {fs['stand']}"
            if share:
                note += f"; Anteil {fmt_percent(share['value'])}"
            parts.append(kpi("Ausländer/-innen laut Fortschreibung", fmt_int(fs["value"]), note,
                             "fortschreibung"))
        if mz:
            parts.append(kpi(f"Mit Migrationshintergrund {mz['year']}",
                             fmt_percent(mz["value"]), "Mikrozensus, Schätzwert (Stichprobe)",
                             "mikrozensus"))
        return '<div style="display:flex;flex-wrap:wrap">' + "".join(parts) + "</div>"

    def _files_html(self) -> str:
        if self.files.height == 0:
            return ""
        files = self.files.select("table", "file", "origin", "stand").iter_rows()
        return (
            '<h2>Verwendete Dateien</h2><div class="wb-table">'
            + htmlparts.table(["Tabelle", "Datei", "Herkunft", "Stand"], files) + "</div>"
            + source_line("Statistische Ämter des Bundes und der Länder (Regionaldatenbank, "
                          "Regionalatlas); Destatis / Statistisches Landesamt Baden-Württemberg "
                          "(AZR, Fortschreibung, Mikrozensus). Eine neuere Tabelle im "
                          "Nutzerverzeichnis ersetzt die mitgelieferte automatisch.")
        )
