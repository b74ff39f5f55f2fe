"""Minimal dropdown + chart dashboard: the benchmark's baseline workload (no project data)."""

from __future__ import annotations

import ipywidgets as w
import plotly.graph_objects as go

from workbench.dashboards.base import header, query_params, source_line, sync_figure
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
        self.figure = go.FigureWidget(
            go.Figure(go.Scatter(x=YEARS, y=AREAS[self.dropdown.value], line_color=PALETTE["blue"]))
        )
        apply_style(self.figure, title=self.dropdown.value, height=380)
        self.dropdown.observe(lambda change: self.select(change["new"]), names="value")
        self.widget = w.VBox(
            [header("Demo"), self.dropdown, self.figure, w.HTML(source_line("Testdaten"))]
        )
        if area:
            self.select(area)

    @classmethod
    def from_request(cls) -> DemoDashboard:
        dashboard = cls()
        area = query_params().get("gebiet")
        if area in AREAS:
            dashboard.select(area)
        return dashboard

    def select(self, area: str) -> None:
        if self.dropdown.value != area:
            self.dropdown.value = area  # triggers select again via observe
            return
        with self.figure.batch_update():
            self.figure.data[0].y = AREAS[area]
            self.figure.layout.title.text = area

    def _ipython_display_(self) -> None:
        from IPython.display import display

        sync_figure(self.figure)
        display(self.widget)
