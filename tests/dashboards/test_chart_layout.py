"""Chart text must not overlap or be cut: every drawn plotly chart of the dashboards and the
report HTML (Sachsenheim, Ludwigsburg, Kreisbericht) at 1400×900, 1280×720 and 768×1024.

Per chart the boxes (``getBoundingClientRect``) of the title (``.gtitle``), the legend
(``.legend > .bg``), the axis titles (``.g-xtitle``, ``.g-ytitle``) and the annotations
(``.annotation-text-g``, e.g. the source lines) are collected:

(a) no two of them intersect (1 px tolerance),
(b) each lies inside the chart's outer SVG (not cut),
(c) every text of the chart (title, legend entries, tick labels, bar values, sources) lies
    inside the SVG.

At 320 px the charts are cramped (docs/barrierefreiheit.md): there the title overlaps
nothing, title and source lines lie inside the chart, and the page has no horizontal
scrolling; legends, axis titles, tick labels, line labels and bar values may be cut or
crowded (the values are in the table under every chart).

Full-page screenshots of every page at the four widths are written to
``tests/artifacts/barrierefreiheit/`` (gitignored) for a human look.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboards.conftest import PROJECT_DIR

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = PROJECT_DIR / "tests" / "artifacts" / "barrierefreiheit"
FULL = {"1400": (1400, 900), "1280x720": (1280, 720), "768x1024": (768, 1024)}
NARROW = {"320": (320, 800)}
TOLERANCE = 1.0  # px

# Boxes of one chart's layout parts and texts (hidden charts – closed tabs – are skipped).
COLLECT_JS = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    if (r.width < 0.5 || r.height < 0.5) return false;
    for (let n = e; n && n.nodeType === 1; n = n.parentNode) {
      const s = getComputedStyle(n);
      if (s.display === 'none' || s.visibility === 'hidden') return false;
    }
    return true;
  };
  const charts = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const svg = plot.querySelector('.main-svg');
    if (!svg || !visible(svg)) continue;
    const title = plot.querySelector('.gtitle');
    const parts = [];
    const add = (kind, el) => { if (el && visible(el))
      parts.push({kind, text: (el.textContent || '').trim(), box: box(el)}); };
    add('Titel', title);
    plot.querySelectorAll('.legend > .bg').forEach(e => add('Legende', e));
    plot.querySelectorAll('.g-xtitle, .g-ytitle').forEach(e => add('Achsentitel', e));
    plot.querySelectorAll('.annotation-text-g').forEach(e => add('Beschriftung', e));
    const texts = [];
    plot.querySelectorAll('.main-svg text').forEach(e => {
      if (!(e.textContent || '').trim() || !visible(e)) return;
      const kind = (e.getAttribute('class') || e.parentNode.getAttribute('class') || 'text');
      texts.push({kind, text: e.textContent.trim(), box: box(e)});
    });
    charts.push({title: title ? title.textContent : '(ohne Titel)', svg: box(svg),
                 parts, texts});
  }
  return charts;
}"""
# Every chart drawn and fitted to its current width (chart_layout.js).
FITTED_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].every(g =>
  g.querySelector('.main-svg') && (!g.__wbBase || (g.getAttribute('data-wb-layout') === 'done'
  && Math.abs((g.__wbWidth || 0) - g.getBoundingClientRect().width) < 1)))"""
SCROLL_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _fmt(b: dict) -> str:
    return f"[{b['left']:.0f},{b['top']:.0f}–{b['right']:.0f},{b['bottom']:.0f}]"


def overlaps(a: dict, b: dict, tol: float = TOLERANCE) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > tol
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tol)


def inside(b: dict, outer: dict, tol: float = TOLERANCE) -> bool:
    return (b["left"] >= outer["left"] - tol and b["top"] >= outer["top"] - tol
            and b["right"] <= outer["right"] + tol and b["bottom"] <= outer["bottom"] + tol)


def _required_narrow(part: dict) -> bool:
    # at 320 px: the title and the source lines
    return part["kind"] == "Titel" or part["text"].startswith("Quelle")


def layout_problems(charts: list[dict], *, narrow: bool = False) -> list[str]:
    """German lines, one per overlap or cut box/text: chart title and the boxes involved."""
    out = []
    for chart in charts:
        name, svg, parts = chart["title"][:70], chart["svg"], chart["parts"]
        for i, a in enumerate(parts):
            for b in parts[i + 1:]:
                if narrow and not (a["kind"] == "Titel" or b["kind"] == "Titel"):
                    continue
                if overlaps(a["box"], b["box"]):
                    out.append(f"„{name}“: {a['kind']} „{a['text'][:40]}“ {_fmt(a['box'])} "
                               f"überlappt {b['kind']} „{b['text'][:40]}“ {_fmt(b['box'])}")
        for a in parts:
            if narrow and not _required_narrow(a):
                continue
            if not inside(a["box"], svg):
                out.append(f"„{name}“: {a['kind']} „{a['text'][:40]}“ {_fmt(a['box'])} "
                           f"ragt aus dem Diagramm {_fmt(svg)}")
        if narrow:
            continue
        for t in chart["texts"]:
            if not inside(t["box"], svg):
                out.append(f"„{name}“: Text ({t['kind']}) „{t['text'][:40]}“ {_fmt(t['box'])} "
                           f"ragt aus dem Diagramm {_fmt(svg)}")
    return out


def check_layout(page, name: str, *, minimum: int = 1, shots: bool = True) -> list[str]:
    """Problems of every visible chart at the four widths (full-page screenshots of each)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    drawn = 0
    for label, (width, height) in {**FULL, **NARROW}.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # resize observers and the debounced refit start
        page.wait_for_function(FITTED_JS, timeout=60_000)
        charts = page.evaluate(COLLECT_JS)
        drawn = max(drawn, len(charts))
        narrow = label in NARROW
        problems += [f"{name} @ {label}: {p}"
                     for p in layout_problems(charts, narrow=narrow)]
        if narrow:
            scroll = page.evaluate(SCROLL_JS)
            if scroll > 1:
                problems.append(f"{name} @ {label}: {scroll} px waagrechtes Scrollen der Seite")
        if shots:
            path = str(ARTIFACTS / f"diagramme_{name}_{label}.png")
            tall = page.evaluate(
                "(document.querySelector('.wb-dashboard') || {}).scrollHeight || 0")
            if tall:  # Voila scrolls inside a panel: a window as tall as the dashboard
                page.set_viewport_size({"width": width, "height": min(tall + 300, 16000)})
                page.wait_for_timeout(300)
            page.screenshot(path=path, full_page=True)
            page.set_viewport_size({"width": width, "height": height})
    page.set_viewport_size({"width": 1280, "height": 800})
    assert drawn >= minimum, f"{name}: nur {drawn} Diagramme gezeichnet"
    return problems


def test_problem_detection_catches_overlap_and_cut():
    # the checker itself: a legend over a title and a cut title are found, neighbours are not
    svg = {"left": 0, "top": 0, "right": 500, "bottom": 300}
    title = {"left": 0, "top": 5, "right": 400, "bottom": 29}
    legend_over = {"left": 200, "top": 15, "right": 480, "bottom": 47}
    legend_below = {"left": 0, "top": 30, "right": 480, "bottom": 60}
    chart = {"title": "T", "svg": svg, "texts": [],
             "parts": [{"kind": "Titel", "text": "T", "box": title},
                       {"kind": "Legende", "text": "", "box": legend_over}]}
    assert len(layout_problems([chart])) == 1
    chart["parts"][1]["box"] = legend_below
    assert layout_problems([chart]) == []
    chart["parts"][0]["box"] = {**title, "right": 520}
    assert "ragt aus dem Diagramm" in layout_problems([chart])[0]
    assert "ragt aus dem Diagramm" in layout_problems([chart], narrow=True)[0]  # title cut
    chart["parts"][0]["box"] = title
    chart["texts"] = [{"kind": "ytick", "text": "Sachsenheim", "box": {**title, "left": -30}}]
    assert len(layout_problems([chart])) == 1
    assert layout_problems([chart], narrow=True) == []  # tick labels may be cut at 320 px


def _tabs(page) -> int:
    return page.locator(".lm-TabBar-tab").count()


def test_auslaenderanteil_charts_fit(dashboard_server, context):
    page = context.new_page()
    page.goto(dashboard_server.base_url + "voila/render/auslaenderanteil.ipynb")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3",
                           timeout=120_000)
    problems = check_layout(page, "auslaenderanteil", minimum=3)
    # tab 2: the Kreis integration indicators (charts drawn when first opened)
    page.locator(".lm-TabBar-tab").nth(1).click()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6",
                           timeout=120_000)
    problems += check_layout(page, "auslaenderanteil_kreis", minimum=3)
    page.close()
    assert problems == [], "\n".join(problems)


def test_handlungsfelder_charts_fit(dashboard_server, context):
    page = context.new_page()
    page.goto(dashboard_server.base_url + "voila/render/handlungsfelder.ipynb")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4",
                           timeout=120_000)
    problems = check_layout(page, "handlungsfelder", minimum=4)
    tabs = _tabs(page)
    assert tabs >= 2
    for i in range(1, tabs):  # every Handlungsfeld tab draws its Maßnahme charts
        before = page.locator(".js-plotly-plot .main-svg").count()
        page.locator(".lm-TabBar-tab").nth(i).click()
        page.wait_for_function(
            "(n) => document.querySelectorAll('.js-plotly-plot .main-svg').length > n",
            arg=before, timeout=60_000)
        problems += check_layout(page, f"handlungsfelder_tab{i + 1}", minimum=4)
    page.close()
    assert problems == [], "\n".join(problems)


def test_messwerte_has_no_charts(dashboard_server, context):
    # nothing to check there: if charts are added, they belong into this test file
    page = context.new_page()
    page.goto(dashboard_server.base_url + "voila/render/messwerte_erfassen.ipynb")
    page.wait_for_selector(".wb-dashboard h1", timeout=120_000)
    page.wait_for_timeout(1000)
    assert page.locator(".js-plotly-plot").count() == 0
    page.close()


@pytest.fixture(scope="module")
def layout_reports(tmp_path_factory) -> Path:
    """Sachsenheim, Ludwigsburg and the Kreisbericht as HTML, rendered into a tmp dir."""
    tmp = tmp_path_factory.mktemp("layout-reports")
    env = {**os.environ,
           "WORKBENCH_DB": str(tmp / "store.sqlite"),
           "WORKBENCH_OUTPUT_DIR": str(tmp / "output"),
           "WORKBENCH_USER_DIR": str(tmp / "user"),
           "WORKBENCH_CACHE_DIR": str(tmp / "cache")}
    out = tmp / "reports"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "workbench"), "reports", "-m", "Sachsenheim",
         "-m", "Ludwigsburg", "--kreisbericht", "--year", "2024", "--format", "html",
         "--out", str(out), "-q", "-w", "1"],
        env=env, capture_output=True, text=True, timeout=900, cwd=PROJECT_DIR)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


@pytest.mark.parametrize("pattern,name", [("08118076_*.html", "bericht_sachsenheim"),
                                          ("08118048_*.html", "bericht_ludwigsburg"),
                                          ("08118_*.html", "bericht_kreis")])
def test_report_charts_fit(browser, layout_reports, pattern, name):
    report = next(layout_reports.glob(pattern))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(report.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1")
    problems = check_layout(page, name, minimum=4)
    page.close()
    assert problems == [], "\n".join(problems)


# A table stays inside the report's text column (its output area): at 1400 and 768 px it
# fits; at 320 px a data table may be wider, but then inside a block that scrolls
# sideways (overflow-x auto, WCAG 1.4.10 exempts data tables) – never cut, never making the
# whole page scroll sideways. Chart tables ("Daten als Tabelle") are opened first.
TABLES_OUTSIDE_JS = """() => [...document.querySelectorAll('table.wb-table')].map(t => {
  const area = t.closest('.jp-OutputArea-output') || t.parentElement;
  const right = t.getBoundingClientRect().right, limit = area.getBoundingClientRect().right;
  let scroller = null;
  for (let e = t.parentElement; e && e !== area.parentElement; e = e.parentElement) {
    const o = getComputedStyle(e).overflowX;
    if ((o === 'auto' || o === 'scroll') && e.getBoundingClientRect().right <= limit + 1) {
      scroller = e; break;
    }
  }
  return {columns: t.rows[0].cells.length, over: Math.round(right - limit),
          header: (t.querySelector('th')?.textContent || '').slice(0, 40),
          scrolls: scroller !== null};
})"""


def table_problems(page, width: int) -> list[str]:
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_timeout(200)
    problems = []
    for t in page.evaluate(TABLES_OUTSIDE_JS):
        if t["over"] <= 1:
            continue
        if width >= 768 or not t["scrolls"]:
            problems.append(f"{width} px: Tabelle „{t['header']}“ ({t['columns']} Spalten) "
                            f"ragt {t['over']} px über die Textspalte"
                            + ("" if t["scrolls"] else " und wird abgeschnitten"))
    page_width = page.evaluate("document.documentElement.scrollWidth")
    if page_width > width:
        problems.append(f"{width} px: Seite {page_width} px breit (waagerechtes Scrollen)")
    return problems


@pytest.mark.parametrize("pattern", ["08118076_*.html", "08118048_*.html", "08118_*.html"])
def test_report_tables_stay_in_the_text_column(browser, layout_reports, pattern):
    report = next(layout_reports.glob(pattern))
    problems = []
    for width in (1400, 768, 320):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri())
        problems += table_problems(page, width)
        page.close()
    assert problems == [], "\n".join(problems)


def test_table_check_catches_a_cut_table(browser, layout_reports):
    """The check is not blind: a table forced wider than the column is reported."""
    report = next(layout_reports.glob("08118048_*.html"))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(report.as_uri())
    page.evaluate("document.querySelector('table.wb-table').style.minWidth = '1300px'")
    problems = table_problems(page, 1400)
    page.close()
    assert any("ragt" in p for p in problems), problems
