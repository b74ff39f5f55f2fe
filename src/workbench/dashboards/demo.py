"""Minimal dropdown + chart dashboard: a light workload for server tests (no project data)."""

from __future__ import annotations

import ipywidgets as w
import plotly.graph_objects as go

from workbench.dashboards.base import figure_spec, header, query_params, source_line
from workbench.dashboards.plotly_chart import PlotlyChart, plotly_loader
from workbench.figures import PALETTE, apply_style

AREAS = {
    f"Gemeinde {i:02d}": [10 + (i * 7 + k * 3) % 25 + k * 0.4 for k in range(8)]
    for i in range(1, 40)
}
YEARS = list(range(2016, 2024))


class DemoDashboard:
    """One dropdown, one line chart; ``select(name)`` switches the series."""

    def __init__(self, area: str | None = None) -> None:
        self.dropdown = w.Dropdown(options=list(AREAS), description="Gebiet:")
        self.chart = PlotlyChart()
        self.dropdown.observe(lambda change: self.select(change["new"]), names="value")
        self.widget = w.VBox(
            [
                header("Demo"),
                plotly_loader(),
                self.dropdown,
                self.chart,
                w.HTML(source_line("Testdaten")),
            ]
        )
        self.area = ""
        self.select(area or self.dropdown.value)

    @classmethod
    def from_request(cls) -> DemoDashboard:
        dashboard = cls()
        area = query_params().get("gebiet")
        if area in AREAS:
            dashboard.select(area)
        return dashboard

    def figure(self, area: str) -> go.Figure:
        fig = go.Figure(go.Scatter(x=YEARS, y=AREAS[area], line_color=PALETTE["blue"]))
        return apply_style(fig, title=area, height=380)

    def select(self, area: str) -> None:
        if area == self.area:
            return
        self.area = area
        self.dropdown.value = area
        self.chart.figure = figure_spec(self.figure(area))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
