"""Plotly figures shared by notebooks, reports and dashboards.

Every figure carries its source and reference date (``add_source``) and uses German
separators and a colour-blind safe palette (Okabe–Ito). Area modules:
``workbench.figures.population`` and ``workbench.figures.progress``.
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go

from workbench.formatting import PLOTLY_SEPARATORS

# Okabe & Ito (2008), safe for the common colour-vision deficiencies and on projectors.
PALETTE = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
# Area roles used consistently across charts.
AREA_COLOURS = {
    "Gemeinde": PALETTE["vermillion"],
    "Kreis": PALETTE["blue"],
    "Land": PALETTE["grey"],
}
# Status colours (progress traffic lights): each has contrast ≥ 3:1 against white (WCAG
# graphics), all are pairwise distinguishable (CIE76 ΔE ≥ 15), and the states without a
# judgement carry a pattern as well (keine Daten: cross-hatch, ohne Zielwert: diagonal,
# qualitative ratings: dots) — tests/handlungsfelder/test_status_summaries.py. Charts and
# tables always put the status text next to the colour.
STATUS_COLOURS = {
    "erreicht": PALETTE["blue"],             # 5,2:1
    "im Plan": PALETTE["green"],             # 3,4:1
    "gefährdet": "#A66300",                  # 4,8:1 (Okabe–Ito orange darkened)
    "verzögert": PALETTE["vermillion"],      # 3,9:1
    "keine Daten": "#5F5F5F",                # 6,4:1
    "ohne Zielwert": "#7B4F9D",              # 6,1:1
    "bewertet: erreicht": "#004C7A",         # 9,1:1
    "bewertet: teilweise erreicht": "#8A6D00",  # 4,9:1
    "bewertet: nicht erreicht": "#9E3D00",   # 6,7:1
    "noch nicht bewertet": "#A6507F",        # 5,2:1
}
# plotly bar pattern shapes ("" = solid) so that colour is never the only difference.
STATUS_PATTERNS = {
    "erreicht": "", "im Plan": "", "gefährdet": "", "verzögert": "",
    "keine Daten": "x", "ohne Zielwert": "/",
    "bewertet: erreicht": ".", "bewertet: teilweise erreicht": ".",
    "bewertet: nicht erreicht": ".", "noch nicht bewertet": "-",
}
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"

# plotly.js config for published charts (reports, dashboards): no toolbar at all. Its default
# toolbar offers "Share chart…" (uploads the chart to a cloud service – never for a public
# body's data) and adds ten English-labelled tab stops per chart.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "locale": "de",
                 "responsive": True, "showSendToCloud": False}
# Analysts in JupyterLab keep zoom and PNG export, without the cloud/edit buttons.
CLOUD_BUTTONS = ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"]
NOTEBOOK_CONFIG = {"displaylogo": False, "locale": "de", "showSendToCloud": False,
                   "modeBarButtonsToRemove": CLOUD_BUTTONS}


def configure_notebook_renderers() -> None:
    """Give every plotly notebook renderer :data:`NOTEBOOK_CONFIG` (no cloud/share buttons).

    Called when ``workbench.figures`` is imported, so ``fig.show()`` in an analyst's notebook
    never offers to upload data.
    """
    import plotly.io as pio

    for name in pio.renderers:
        renderer = pio.renderers[name]
        if isinstance(getattr(renderer, "config", None), dict):
            renderer.config = {**renderer.config, **NOTEBOOK_CONFIG}


configure_notebook_renderers()


def apply_style(fig: go.Figure, *, title: str | None = None, height: int = 420) -> go.Figure:
    """German separators, readable fonts (projector), white background."""
    fig.update_layout(
        separators=PLOTLY_SEPARATORS,
        template="plotly_white",
        font={"family": FONT_FAMILY, "size": 14},
        height=height,
        margin={"l": 60, "r": 30, "t": 60 if title else 30, "b": 90},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    )
    if title:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"})
    return fig


# Characters per source line at 11 px: fits the plot area of a ~900 px wide chart even when
# wide y labels (ranking of 39 names) push the plot area to the right.
SOURCE_WRAP = 95


def wrap_sources(lines: list[str], width: int = SOURCE_WRAP) -> str:
    """Join source lines (duplicates dropped) into annotation text wrapped with ``<br>``."""
    out: list[str] = []
    for line in dict.fromkeys(lines):
        # A no-break space keeps "Stand 31.12.2023" on one line.
        line = line.replace("Stand ", "Stand\u00a0")
        out += textwrap.wrap(line, width, subsequent_indent="   ", break_on_hyphens=False)
    return "<br>".join(out)


def add_source(fig: go.Figure, text: str, *, axis_px: int = 52) -> go.Figure:
    """Put 'Quelle: …' (with reference date) under the plot area, as every chart must.

    Placed ``axis_px`` pixels below the plot area (room for tick labels and the axis title),
    so it sits right whatever the figure's height.
    """
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-axis_px,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        font={"size": 11, "color": "#444444"},
    )
    return fig


def finish(
    fig: go.Figure, sources: str, *, title: str | None, height: int, axis_px: int = 52
) -> go.Figure:
    """Style the figure and reserve a bottom margin for the axis and every source line."""
    apply_style(fig, title=title, height=height)
    n_lines = sources.count("<br>") + 1
    fig.update_layout(margin={"b": axis_px + 10 + 16 * n_lines})
    return add_source(fig, sources, axis_px=axis_px)


_AREA_MODULES = ("integration", "population", "progress")


def __getattr__(name: str) -> object:
    # ``workbench.figures.population.trend_chart(...)`` without importing the area module
    # first (as ``workbench.<submodule>``); area modules load on first use only.
    if name in _AREA_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
