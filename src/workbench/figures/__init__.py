"""Plotly figures shared by notebooks, reports and dashboards.

Every figure carries its source and reference date (``add_source``) and uses German
separators and a colour-blind safe palette (Okabe–Ito). Area modules:
``workbench.figures.population`` and ``workbench.figures.progress``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

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
# Okabe–Ito's orange, sky, purple and grey are too light for lines, markers and bars on white
# (WCAG 1.4.11 asks 3:1; e.g. grey #999999 2,85:1). Charts draw with these instead (ratio
# on white); the seven series colours stay pairwise distinguishable (CIE76 ΔE ≥ 23) –
# tests/reports/test_colour_contrast.py checks every chart of the reports.
GREY = "#767676"            # 4,5:1
ORANGE_DARK = "#A66300"     # 4,8:1 (Okabe–Ito orange darkened)
PURPLE_DARK = "#A6507F"     # 5,2:1 (Okabe–Ito reddish purple darkened)
VERMILLION_TEXT = "#A84A00"  # 5,8:1: vermillion for text (the line colour has 3,9:1)
SERIES_COLOURS = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"], ORANGE_DARK,
                  PURPLE_DARK, PALETTE["black"], GREY]
# Area roles used consistently across charts.
AREA_COLOURS = {
    "Gemeinde": PALETTE["vermillion"],  # 3,9:1
    "Kreis": PALETTE["blue"],           # 5,2:1
    "Land": GREY,
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


# JavaScript that fits a chart's title, legend, axis title and source lines to the width it is
# drawn at (chart_layout.js: ``wbDrawFitted``, ``wbRefit``, ``wbInstallReportFit``). Loaded by
# the dashboards' PlotlyChart widget and by the report pages (``assets/chart_layout.js``).
CHART_LAYOUT_FILE = Path(__file__).with_name("chart_layout.js")
CHART_LAYOUT_JS = CHART_LAYOUT_FILE.read_text(encoding="utf-8")


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


TEMPLATE = "plotly_white"


def _set_template(fig: go.Figure) -> None:
    """``fig.layout.template = TEMPLATE`` without validating plotly's own template again.

    Validating the assignment copies and checks the whole template (~25 ms, a sixth of a
    report's chart time); plotly itself assigns its default template this way (validation
    off, ``BaseFigure._initialize_layout_template``). Falls back to the validated assignment
    if a plotly version lacks these internals (tests/test_figure_config.py compares both).
    """
    import plotly.io as pio

    layout = fig.layout
    if not (getattr(fig, "_allow_disable_validation", False) and hasattr(layout, "_validate")):
        fig.update_layout(template=TEMPLATE)
        return
    layout._validate = False
    try:
        layout.template = pio.templates[TEMPLATE]
    finally:
        layout._validate = fig._validate


def apply_style(fig: go.Figure, *, title: str | None = None, height: int = 420) -> go.Figure:
    """German separators, readable fonts (projector), white background."""
    _set_template(fig)
    fig.update_layout(
        separators=PLOTLY_SEPARATORS,
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


# Layout before the browser fits a chart to its width (chart_layout.js does the same for the
# width it is drawn at): charts are planned for NOMINAL_WIDTH px, glyphs CHAR_EM wide, lines
# LINE em high; the plot area never gets less than MIN_PLOT px.
NOMINAL_WIDTH = 900
CHAR_EM = 0.56
LINE = 1.3
MIN_PLOT = 120


def _legend_entries(fig: go.Figure) -> list[str]:
    # Tables (and other traces plotly never puts in a legend) have no showlegend.
    return [str(t.name) for t in fig.data
            if getattr(t, "showlegend", False) is not False and t.name
            and t.visible is not False]


def _legend_height(names: list[str], size: float, width: int = NOMINAL_WIDTH) -> float:
    """Height of a horizontal legend with these entries in rows of ``width`` px."""
    rows = row_width = row_height = 0.0
    for name in names:
        lines = name.split("<br>")
        w = 46 + max(len(line) for line in lines) * size * CHAR_EM
        h = len(lines) * size * LINE + 6
        if row_width and row_width + w > width - 8:
            rows += row_height
            row_width = row_height = 0.0
        row_width += w
        row_height = max(row_height, h)
    return rows + row_height + 6


def finish(
    fig: go.Figure, sources: str, *, title: str | None, height: int, axis_px: int = 52,
    legend: str = "top",
) -> go.Figure:
    """Style the figure, put the title, the legend (``"top"``: rows under the title;
    ``"right"``: beside the plot) and every source line where nothing overlaps at
    :data:`NOMINAL_WIDTH` px, and give the plot area ``height`` minus the default margins
    (at least :data:`MIN_PLOT` px). Browsers refit this to the drawn width (chart_layout.js).
    """
    apply_style(fig, title=title, height=height)
    default_top = fig.layout.margin.t
    n_lines = sources.count("<br>") + 1
    bottom = axis_px + 10 + 16 * n_lines
    top = 8.0
    if title:
        size = round(14 * 1.4)  # plotly's title font: 1.4 × the figure font
        chars = int((NOMINAL_WIDTH - 16) / (size * CHAR_EM))
        lines = textwrap.wrap(title.replace("<br>", " "), chars, break_long_words=False,
                              break_on_hyphens=False) or [title]
        fig.update_layout(title={"text": "<br>".join(lines), "x": 0, "xref": "container",
                                 "xanchor": "left", "y": 1, "yref": "container",
                                 "yanchor": "top", "pad": {"t": top, "l": 4}})
        top += len(lines) * size * LINE + 10
    names = _legend_entries(fig)
    legend_top = None
    # plotly draws a legend as soon as one entry shows beside another trace
    if legend == "top" and names and len(fig.data) > 1:
        legend_top = top
        top += _legend_height(names, 14) + 6
    elif legend == "right":
        fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1,
                                  "yanchor": "top"})
    above = max((len(str(a.text).split("<br>")) * (a.font.size or 14) * LINE + 8
                 for a in fig.layout.annotations
                 if a.yref == "paper" and (a.y or 0) >= 1 and a.yanchor == "bottom"),
                default=0)
    top = int(top + above + 6 + 0.999)
    plot = max(MIN_PLOT, height - default_top - bottom)
    total = top + bottom + plot
    fig.update_layout(margin={"t": top, "b": bottom}, height=total)
    if legend_top is not None:
        fig.update_layout(legend={"orientation": "h", "x": 0, "xref": "container",
                                  "xanchor": "left", "y": 1 - legend_top / total,
                                  "yref": "container", "yanchor": "top"})
    return add_source(fig, sources, axis_px=axis_px)


_AREA_MODULES = ("integration", "population", "progress")


def __getattr__(name: str) -> object:
    # ``workbench.figures.population.trend_chart(...)`` without importing the area module
    # first (as ``workbench.<submodule>``); area modules load on first use only.
    if name in _AREA_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
