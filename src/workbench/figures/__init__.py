"""Plotly figures shared by notebooks, reports and dashboards.

Every figure carries its source and reference date (``add_source``) and uses German
separators and a colour-blind safe palette (Okabe–Ito). Area modules:
``workbench.figures.population`` and ``workbench.figures.progress``.
"""

from __future__ import annotations

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
# Status colours (progress traffic lights), distinguishable without red/green contrast alone;
# charts also put the status text next to the colour.
STATUS_COLOURS = {
    "erreicht": PALETTE["blue"],
    "im Plan": PALETTE["green"],
    "gefährdet": PALETTE["orange"],
    "verzögert": PALETTE["vermillion"],
    "keine Daten": PALETTE["grey"],
    "ohne Zielwert": "#CCCCCC",
}
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"


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


def add_source(fig: go.Figure, text: str) -> go.Figure:
    """Put 'Quelle: …' (with reference date) under the plot area, as every chart must."""
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=-0.12,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        font={"size": 11, "color": "#444444"},
    )
    return fig
