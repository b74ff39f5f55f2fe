"""Short German text alternative for a plotly figure (HTML ``aria-label``, PDF ``/Alt``).

Generated from the figure itself – title, kind of chart, series and the range of the x axis –
so every chart in a report and its tagged PDF has an alternative text without writing one
per chart by hand. The values themselves stay in the report's tables and text.
"""

from __future__ import annotations

import re
from typing import Any

_KINDS = {
    "bar": "Balkendiagramm",
    "histogram": "Histogramm",
    "pie": "Kreisdiagramm",
    "heatmap": "Rasterdiagramm",
    "choropleth": "Karte",
    "choroplethmap": "Karte",
    "choroplethmapbox": "Karte",
    "scattergeo": "Karte",
    "scattermap": "Karte",
    "scattermapbox": "Karte",
    "table": "Tabelle",
}
_TAGS = re.compile(r"<[^>]+>")
MAX_SERIES = 6


def _text(value: Any) -> str:
    """Plain text of a plotly title (which may carry <br>, <b>, <sub> markup)."""
    if value is None:
        return ""
    text = getattr(value, "text", value)
    if not isinstance(text, str):
        return ""
    return re.sub(r"\s+", " ", _TAGS.sub(" ", text)).strip()


def _kind(trace: Any) -> str:
    kind = trace.type or "scatter"
    if kind in ("scatter", "scattergl"):
        if getattr(trace, "fill", None) == "toself" and trace.name:
            return "Karte"  # municipality outlines drawn as filled polygons
        mode = trace.mode or "lines"
        return "Liniendiagramm" if "lines" in mode else "Punktdiagramm"
    return _KINDS.get(kind, "Diagramm")


def _span(values: Any) -> str:
    """„von A bis B“ over the x values of a line chart (years, dates), else ''."""
    if values is None:
        return ""
    values = [v for v in list(values) if v is not None]
    if len(values) < 2:
        return ""
    first, last = (str(v)[:10] for v in (values[0], values[-1]))
    return f", {len(values)} Werte von {first} bis {last}" if first != last else ""


def describe_figure(fig: Any) -> str:
    """e.g. „Abbildung: Arbeitslose im Landkreis Ludwigsburg 2001–2016. Liniendiagramm mit
    2 Datenreihen (Arbeitslose insgesamt, …), 16 Werte von 2001 bis 2016.“"""
    title = _text(fig.layout.title)
    traces = list(fig.data)
    kinds = list(dict.fromkeys(_kind(t) for t in traces)) or ["Diagramm"]
    names = list(dict.fromkeys(n for t in traces if (n := _text(t.name))))
    parts = [f"Abbildung: {title}." if title else "Abbildung."]
    if "Karte" in kinds:
        areas = [t for t in traces if _kind(t) == "Karte"]
        count = max((len(t.locations) for t in areas if getattr(t, "locations", None)
                     is not None), default=0) or len(areas)
        parts.append(f"Karte mit {count} Gebieten." if count > 1 else "Karte.")
        return " ".join(parts)
    what = " und ".join(kinds)
    lines = [t for t in traces if _kind(t) == "Liniendiagramm" and t.x is not None]
    span = _span(max((t.x for t in lines), key=len)) if lines else ""
    if len(names) > 1:
        shown = ", ".join(names[:MAX_SERIES]) + (" u. a." if len(names) > MAX_SERIES else "")
        parts.append(f"{what} mit {len(names)} Datenreihen ({shown}){span}.")
    elif traces:
        trace = traces[0]
        axis = trace.y if trace.type == "bar" and trace.orientation == "h" else trace.x
        n = len(axis) if axis is not None else 0
        parts.append(f"{what}{span}." if span or not n else f"{what} mit {n} Werten.")
    else:
        parts.append(f"{what}.")
    return " ".join(parts)
