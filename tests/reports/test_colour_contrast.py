"""Every colour of the published charts meets WCAG 2.1 AA: text (titles, source lines,
values in and beside bars, table cells) ≥ 4,5:1 against what it is drawn on, graphics that
carry meaning (lines, markers, bars, reference lines, map outlines) ≥ 3:1 against the plot
background (workbench.figures.contrast).

The charts are read from real report HTML (Sachsenheim, Ludwigsburg and the Kreis report:
trend, ranking, map, similar municipalities, key figures, status, progress, time series,
Zeitplan, evaluation, Kreis integration indicators) – the same builders the dashboards use.

Allowed below 3:1, each for a stated reason:
- the uncertainty band's fill (``fill="tonexty"`` without an edge line): the estimate's line
  and the band's range in the hover text and in „Daten als Tabelle“ carry the values; the
  band only eases reading;
- the map's class fills (a continuous colour scale cannot have 3:1 between neighbouring
  classes): every municipality has an outline ≥ 3:1, its value is in the map's description,
  in „Daten als Tabelle“ and in the ranking chart next to it;
- shaded rectangles (``layout.shapes`` of type rect, e.g. the evaluation period): their
  meaning is written in an annotation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

from workbench.figures.contrast import GRAPHIC_MIN, TEXT_MIN, contrast_ratio

NEWPLOT = re.compile(r"Plotly\.newPlot\(\s*")
DEFAULT_TEXT = "#444444"  # plotly's default font colour (template plotly_white)


def figures_in_html(html: str) -> list[dict]:
    """The ``data`` and ``layout`` of every ``Plotly.newPlot(id, data, layout, config)``."""
    decoder = json.JSONDecoder()
    found = []
    for match in NEWPLOT.finditer(html):
        pos = match.end()
        args = []
        for _ in range(3):  # id, data, layout
            value, pos = decoder.raw_decode(html, pos)
            args.append(value)
            pos = re.compile(r"\s*,\s*").match(html, pos).end()
        found.append({"data": args[1], "layout": args[2]})
    return found


def _colours(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [c for v in value for c in _colours(v)]
    return []  # numbers (a colour scale's values) are not colours


def _ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}".replace(".", ",") + ":1"


def contrast_problems(fig: dict) -> list[str]:
    """German messages for every colour of ``fig`` below its WCAG minimum."""
    layout = fig.get("layout", {})
    title = layout.get("title", {})
    title = (title.get("text", "") if isinstance(title, dict) else str(title)) or "(ohne Titel)"
    title = re.sub(r"<[^>]+>", " ", title)[:70]
    bg = layout.get("plot_bgcolor") or layout.get("paper_bgcolor") or "white"
    text_default = (layout.get("font") or {}).get("color") or DEFAULT_TEXT
    problems: list[str] = []

    def check(what: str, colour: str, against: str, minimum: float) -> None:
        if colour in ("", None):
            return
        ratio = contrast_ratio(colour, against)
        if ratio < minimum - 1e-9:
            problems.append(f"„{title}“: {what} {colour} auf {against}: {_ratio_text(ratio)} "
                            f"< {_ratio_text(minimum)}")

    check("Schrift", text_default, bg, TEXT_MIN)
    for trace in fig.get("data", []):
        kind = trace.get("type", "scatter")
        name = str(trace.get("name", kind))
        if kind == "scatter":
            mode = trace.get("mode", "lines+markers")
            line = trace.get("line") or {}
            fill = trace.get("fill", "none")
            band = fill in ("tonexty", "tonextx") and line.get("width", 2) == 0
            if "lines" in mode and line.get("width", 2) != 0 and not band:
                # a map polygon's outline, a series' line
                check(f"Linie „{name}“", line.get("color", ""), bg, GRAPHIC_MIN)
            if "markers" in mode and trace.get("x") != [None]:
                for colour in set(_colours((trace.get("marker") or {}).get("color"))):
                    check(f"Punkt „{name}“", colour, bg, GRAPHIC_MIN)
            if "text" in mode:
                colour = (trace.get("textfont") or {}).get("color") or text_default
                for c in set(_colours(colour)):
                    check(f"Beschriftung „{name}“", c, bg, TEXT_MIN)
        elif kind == "bar":
            fills = _colours((trace.get("marker") or {}).get("color"))
            for colour in set(fills):
                check(f"Balken „{name}“", colour, bg, GRAPHIC_MIN)
            if trace.get("text") is not None:
                position = trace.get("textposition", "auto")
                if position == "inside":
                    font = (trace.get("insidetextfont") or trace.get("textfont") or {})
                    colours = _colours(font.get("color"))
                    if not colours:
                        problems.append(f"„{title}“: Werte in Balken „{name}“ ohne feste "
                                        "Schriftfarbe (plotly wählt sie ohne 4,5:1-Garantie)")
                    for i, fill in enumerate(fills or ["#636EFA"]):
                        text = colours[i % len(colours)] if colours else ""
                        check(f"Wert in Balken „{name}“", text, fill, TEXT_MIN)
                elif position == "outside":
                    font = trace.get("outsidetextfont") or trace.get("textfont") or {}
                    for c in set(_colours(font.get("color")) or [text_default]):
                        check(f"Wert an Balken „{name}“", c, bg, TEXT_MIN)
                else:
                    problems.append(f"„{title}“: Balken „{name}“ mit textposition "
                                    f"{position!r} (innen oder außen festlegen)")
        elif kind == "table":
            for part in ("header", "cells"):
                spec = trace.get(part) or {}
                font = _colours((spec.get("font") or {}).get("color")) or [text_default]
                fills = _colours((spec.get("fill") or {}).get("color")) or ["white"]
                for f in set(fills):
                    for c in set(font):
                        check(f"Tabellen-{'Kopf' if part == 'header' else 'Zelle'}", c, f,
                              TEXT_MIN)
    for note in layout.get("annotations", []):
        colour = (note.get("font") or {}).get("color") or text_default
        check(f"Text „{str(note.get('text', ''))[:30]}“", colour, note.get("bgcolor") or bg,
              TEXT_MIN)
    for shape in layout.get("shapes", []):
        line = shape.get("line") or {}
        if shape.get("type") == "line" or line.get("width", 0):
            check(f"Linie ({shape.get('type')})", line.get("color", ""), bg, GRAPHIC_MIN)
    return problems


def test_checker_flags_what_fails():
    """Not blind: a grey line, light values in a green bar and a pale annotation fail."""
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], mode="lines", name="Land",
                               line={"color": "#999999"}))
    fig.add_trace(go.Bar(x=[1], y=[2], name="im Plan", marker={"color": "#009E73"},
                         text=["3"], textposition="inside", insidetextfont={"color": "white"}))
    fig.add_annotation(text="Quelle", font={"color": "#AAAAAA"})
    fig.update_layout(template="plotly_white", title="Probe")
    problems = contrast_problems(json.loads(fig.to_json()))
    assert len(problems) == 3, problems
    assert any("Linie „Land“ #999999 auf white: 2,85:1" in p for p in problems), problems


@pytest.fixture(scope="module")
def report_figures(tmp_path_factory) -> list[dict]:
    from workbench.reports.plan import plan_jobs
    from workbench.reports.runner import run_batch

    out = tmp_path_factory.mktemp("kontrast")
    jobs = plan_jobs(["Sachsenheim", "08118048"], year=2024, kreis=True)
    result = run_batch(jobs, out, formats=("html",), workers=1, progress=False)
    assert not result.failed, result.summary()
    figures = [f for page in sorted(Path(out).glob("08118*.html"))
               for f in figures_in_html(page.read_text(encoding="utf-8"))]
    return figures


def test_every_report_chart_meets_the_contrast_minimums(report_figures):
    kinds = {t.get("type", "scatter") for f in report_figures for t in f["data"]}
    assert len(report_figures) >= 25 and {"scatter", "bar"} <= kinds, (
        len(report_figures), kinds)
    problems = sorted({p for f in report_figures for p in contrast_problems(f)})
    assert problems == [], "\n".join(problems)


def test_values_inside_status_bars_are_readable_on_every_status_colour():
    """Status bars print their counts inside (status and evaluation charts): the text colour
    chosen for each status colour has ≥ 4,5:1 – also for statuses absent from the reports."""
    from workbench.figures import STATUS_COLOURS
    from workbench.figures.contrast import text_colour_on

    low = {s: round(contrast_ratio(text_colour_on(c), c), 2) for s, c in STATUS_COLOURS.items()
           if contrast_ratio(text_colour_on(c), c) < TEXT_MIN}
    assert low == {}, low
    assert text_colour_on("#009E73") == "#000000"  # white on green would be 3,4:1
