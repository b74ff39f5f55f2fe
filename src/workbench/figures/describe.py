"""Text alternatives for charts (BITV 2.0 / WCAG 2.1 1.1.1): a short German description and
the chart's data as table rows, generated from the figure itself.

One function for every consumer: the dashboards (``role="img"`` + ``aria-label`` and a
„Daten als Tabelle“ view), the report HTML and the PDF's figure ``/Alt`` text. It reads the
plotly figure JSON only, so it works for any chart of ``workbench.figures``:

* line and bar charts: one row per category (date, municipality, Handlungsfeld), one column
  per series;
* the municipality map (filled polygons, ``hoveron="fills"``): one row per municipality with
  its value (taken from the polygon's hover text);
* Gantt bars (``base`` on a date axis, customdata ``[start, end, …]``): start – end.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.formatting import fmt_date, fmt_number
from workbench.htmlparts import WIDE_TABLE_COLUMNS

_TAG = re.compile(r"<[^>]+>")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")
# Map polygons, uncertainty bands and other helper traces carry no data of their own.
_MAX_LABEL_ROWS = 3


@dataclass(frozen=True)
class ChartText:
    """Text alternative of one chart."""

    label: str  # short description (aria-label, PDF /Alt)
    columns: list[str] = field(default_factory=list)  # header cells of the data table
    rows: list[list[str]] = field(default_factory=list)  # body cells, already formatted
    title: str = ""
    source: str = ""

    def table_html(self, summary: str = "Daten als Tabelle") -> str:
        """``<details>`` with the data as a real table (header cells with ``scope``)."""
        if not self.rows:
            return ""
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in self.columns)
        body = "".join(
            "<tr>" + f'<th scope="row">{html.escape(r[0])}</th>'
            + "".join(f"<td>{html.escape(c)}</td>" for c in r[1:]) + "</tr>"
            for r in self.rows
        )
        caption = html.escape(self.title + (f" – {self.source}" if self.source else ""))
        wide = " wb-wide" if len(self.columns) >= WIDE_TABLE_COLUMNS else ""
        return (
            f'<details class="wb-chart-data"><summary>{html.escape(summary)}'
            f'<span class="wb-visually-hidden">: {html.escape(self.title)}</span></summary>'
            f'<table class="wb-table{wide}"><caption>{caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
        )

    def as_json(self) -> dict[str, Any]:
        """Plain JSON for a browser widget (``label``, ``columns``, ``rows``, ``caption``)."""
        return {"label": self.label, "columns": self.columns, "rows": self.rows,
                "caption": self.title + (f" – {self.source}" if self.source else "")}


def plain(text: Any) -> str:
    """Chart text without plotly markup (``<br>``, ``<b>``) and doubled spaces."""
    text = str(text or "").replace("<br>", " ").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _category(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return fmt_date(value)
    text = str(value)
    match = _ISO_DATE.match(text)
    if match:
        return fmt_date(dt.date(*map(int, match.groups())))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return plain(text)


def _number(value: Any, suffix: str) -> str:
    if value is None or isinstance(value, str):
        return plain(value) if value else "–"
    decimals = 0 if float(value).is_integer() else 1
    return f"{fmt_number(value, decimals)}{suffix}"


def _as_dict(fig: Any) -> dict[str, Any]:
    if isinstance(fig, dict):
        return fig
    return fig.to_plotly_json()


def _axis(layout: dict[str, Any], name: str) -> dict[str, Any]:
    return layout.get(name) or {}


def _axis_title(axis: dict[str, Any], default: str) -> str:
    title = axis.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return plain(text) or default


def _list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, dict):  # plotly's typed-array JSON ({"dtype", "bdata"})
        return []
    return list(value) if not isinstance(value, str) else [value]


def _source(layout: dict[str, Any]) -> str:
    for note in layout.get("annotations") or []:
        text = plain(note.get("text"))
        if text.startswith(("Quelle", "Quellen", "Beispiel")):
            return text
    return ""


def describe_figure(fig: Any) -> ChartText:
    """Description and data table of a plotly figure (``go.Figure`` or its JSON dict)."""
    spec = _as_dict(fig)
    layout = spec.get("layout") or {}
    title_obj = layout.get("title")
    title = plain(title_obj.get("text") if isinstance(title_obj, dict) else title_obj)
    source = _source(layout)
    data = [t for t in spec.get("data") or [] if isinstance(t, dict)]

    polygons = [t for t in data if t.get("fill") == "toself" and t.get("hoveron") == "fills"]
    if polygons:
        return _describe_map(polygons, title, source)

    points: dict[str, dict[str, str]] = {}  # series -> category -> value
    categories: list[str] = []
    cat_title, val_title = "Bezeichnung", "Wert"
    for trace in data:
        if trace.get("hoverinfo") == "skip" or trace.get("fill") == "toself":
            continue  # uncertainty bands, outlines: drawn help, no data
        horizontal = trace.get("orientation") == "h"
        cats, vals = ((_list(trace.get("y")), _list(trace.get("x"))) if horizontal
                      else (_list(trace.get("x")), _list(trace.get("y"))))
        if not cats or not vals or all(v is None for v in vals):
            continue
        cat_axis = _axis(layout, "yaxis" if horizontal else "xaxis")
        val_axis = _axis(layout, "xaxis" if horizontal else "yaxis")
        cat_title = _axis_title(cat_axis, "Stichtag" if _ISO_DATE.match(str(cats[0])) else
                                "Bezeichnung")
        suffix = val_axis.get("ticksuffix") or ""
        val_title = _axis_title(val_axis, "Wert")
        texts = _list(trace.get("text"))
        custom = _list(trace.get("customdata"))
        base = _list(trace.get("base"))
        name = plain(trace.get("name")) or "Wert"
        series = points.setdefault(name, {})
        for i, (c, v) in enumerate(zip(cats, vals, strict=False)):
            if v is None:
                continue
            if base and i < len(custom) and isinstance(custom[i], list) and len(custom[i]) >= 2:
                value = f"{custom[i][0]} – {custom[i][1]}"  # Gantt bar: start – end
                val_title = "Zeitraum"
            elif i < len(texts) and texts[i]:
                value = plain(texts[i])
            else:
                value = _number(v, suffix)
            category = _category(c)
            if category not in categories:
                categories.append(category)
            series[category] = value
    names = [n for n, values in points.items() if values]
    if not names:
        return ChartText(label=_join(f"Diagramm „{title}“" if title else "Diagramm",
                                     "keine Daten", short_source(source)),
                         title=title, source=source)
    if len(names) == 1:
        columns = [cat_title, val_title]
        rows = [[c, points[names[0]][c]] for c in categories if c in points[names[0]]]
    elif _overlap(points, names):
        columns = [cat_title, *names]
        rows = [[c, *(points[n].get(c, "–") for n in names)] for c in categories]
    else:  # series on disjoint categories (Gantt by Handlungsfeld): one row per point
        columns = [cat_title, "Reihe", val_title]
        rows = [[c, n, points[n][c]] for n in names for c in categories if c in points[n]]
    return ChartText(label=_label(title, names, points, categories, source),
                     columns=columns, rows=rows, title=title, source=source)


def _overlap(points: dict[str, dict[str, str]], names: list[str]) -> bool:
    seen: set[str] = set()
    shared = 0
    for n in names:
        keys = set(points[n])
        shared += len(keys & seen)
        seen |= keys
    return shared > 0


def _label(title: str, names: list[str], points: dict[str, dict[str, str]],
           categories: list[str], source: str) -> str:
    head = f"Diagramm „{title}“" if title else "Diagramm"
    facts: list[str] = []
    first = points[names[0]]
    dated = bool(categories) and bool(_DATE_DE.match(categories[-1]))
    if dated:
        # a time series: the latest value of each of the first series
        for name in [n for n in names if "Projektion" not in n][:_MAX_LABEL_ROWS]:
            values = points[name]
            last = [c for c in categories if c in values]
            if last:
                facts.append(f"{name}: {values[last[-1]]} am {last[-1]}")
    elif len(names) == 1 and all(_parse(v) is not None for v in first.values()):
        high = max(first, key=lambda c: _parse(first[c]))
        low = min(first, key=lambda c: _parse(first[c]))
        facts.append(f"{len(first)} Werte; höchster: {high} ({first[high]}), "
                     f"niedrigster: {low} ({first[low]})")
    else:
        shown = [c for c in categories if c in first][:_MAX_LABEL_ROWS]
        more = len(categories) - len(shown)
        facts.append("; ".join(f"{c}: {first[c]}" for c in shown)
                     + (f" und {more} weitere (siehe Tabelle)" if more > 0 else ""))
        if len(names) > 1:
            facts.append(f"Reihen: {', '.join(names)}")
    return _join(head, ". ".join(facts), short_source(source))


def short_source(source: str, limit: int = 160) -> str:
    """The first source of a chart's source note, cut at a word (the full note is the
    table's caption and stays under the chart)."""
    first = re.split(r"(?<=\S) (?=Quelle)", source, maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + " …"


_DATE_DE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$|^\d{4}$")


def _describe_map(polygons: list[dict[str, Any]], title: str, source: str) -> ChartText:
    rows: dict[str, str] = {}
    for trace in polygons:
        name = plain(trace.get("name"))
        text = plain(trace.get("text"))
        value = text.split(": ", 1)[1] if ": " in text else text
        if name:
            rows[name] = value
    ordered = sorted(rows.items(), key=lambda kv: kv[0].casefold())
    facts = f"Karte mit {len(rows)} Gebieten, eingefärbt nach Wert"
    values = [(n, _parse(v)) for n, v in rows.items() if _parse(v) is not None]
    if values:
        high = max(values, key=lambda kv: kv[1])
        low = min(values, key=lambda kv: kv[1])
        facts += (f"; höchster Wert {high[0]} ({rows[high[0]]}), "
                  f"niedrigster {low[0]} ({rows[low[0]]})")
    head = f"Karte „{title}“" if title else "Karte"
    return ChartText(label=_join(head, facts, short_source(source)), columns=["Gebiet", "Wert"],
                     rows=[[n, v] for n, v in ordered], title=title, source=source)


def _parse(text: str) -> float | None:
    match = re.search(r"-?\d{1,3}(?:\.\d{3})*(?:,\d+)?|-?\d+(?:,\d+)?", text)
    if not match:
        return None
    return float(match.group().replace(".", "").replace(",", "."))


def _join(*parts: str) -> str:
    return ". ".join(p.rstrip(". ") for p in parts if p) + "."
