"""BITV 2.0 / WCAG 2.1 AA in the browser: axe-core on every published page (dashboard start
page, the three dashboards, the reports index, one report) plus what axe cannot judge (page
language, title, one h1, focus contrast, chart text alternatives, no cloud/share button,
keyboard selection with a live region, reflow at 320 px).

axe-core comes from npm (``package.json`` at the repository root, installed by
``make setup``). Screenshots at four viewports are written to
``tests/artifacts/barrierefreiheit/`` (gitignored) for a human look. Overlapping or cut chart
text is tested in ``test_chart_layout.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboards.conftest import PROJECT_DIR, PageRecorder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE_JS = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"1400": (1400, 900), "1280x720": (1280, 720), "768x1024": (768, 1024),
             "320": (320, 800)}
AREA = "Landkreis Ludwigsburg"
DASHBOARD_PAGES = {
    "auslaenderanteil.ipynb": "Ausländeranteil",
    "handlungsfelder.ipynb": "Handlungsfelder",
    "messwerte_erfassen.ipynb": "Messwerte erfassen",
}


def _require_axe() -> str:
    if AXE_JS.exists():
        return AXE_JS.read_text(encoding="utf-8")
    message = f"{AXE_JS} fehlt: `make setup` installiert axe-core (npm)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def axe_source() -> str:
    return _require_axe()


@pytest.fixture(scope="module")
def shots() -> Path:
    # kept as test artifacts (gitignored, CI may keep them), like test_chart_layout.py's
    path = PROJECT_DIR / "tests" / "artifacts" / "barrierefreiheit"
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nScreenshots (Barrierefreiheit): {path}")
    return path


def axe_violations(page, axe_source: str) -> list[dict]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        {"id": v["id"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def _luminance(rgb: tuple[int, ...]) -> float:
    parts = [c / 255 for c in rgb[:3]]
    parts = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])


def page_facts(page) -> dict:
    return page.evaluate(
        """() => ({
          lang: document.documentElement.lang,
          title: document.title,
          h1: document.querySelectorAll('h1').length,
          main: document.querySelectorAll('main').length,
          share: [...document.querySelectorAll('[data-title], .modebar-btn, button, a')]
                   .filter(e => /share|cloud|chart studio/i.test(
                     (e.getAttribute('data-title') || '') + ' ' + e.textContent)).length,
          modebar: document.querySelectorAll('.modebar-btn').length,
        })"""
    )


def chart_alternatives(page) -> list[dict]:
    """Per drawn chart: its image role, label and the rows of its data table."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(p => {
          const img = p.closest('[role=img]');
          const box = p.closest('.wb-plotly-chart, .jp-OutputArea-output');
          const details = box && box.querySelector('details.wb-chart-data');
          return {
            role: img ? 'img' : null,
            label: img ? img.getAttribute('aria-label') : null,
            rows: details ? details.querySelectorAll('tbody tr').length : 0,
            header: details ? details.querySelectorAll('thead th').length : 0,
            width: p.getBoundingClientRect().width,
          };
        })"""
    )


def screenshots(page, shots: Path, name: str) -> None:
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)  # charts resize (ResizeObserver)
        page.screenshot(path=str(shots / f"{name}_{label}.png"), full_page=True)
        if width == 320:
            # reflow (WCAG 1.4.10): no horizontal scrolling of the page
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name}: {overflow} px horizontal scrolling at 320 px"
    page.set_viewport_size({"width": 1280, "height": 800})


def check_page(page, axe_source: str, *, title: str | None = None) -> None:
    facts = page_facts(page)
    assert facts["lang"] == "de", facts
    assert facts["title"].strip(), facts
    if title is not None:
        assert facts["title"] == title
    assert facts["h1"] == 1, facts
    assert facts["main"] == 1, facts
    assert facts["share"] == 0 and facts["modebar"] == 0, facts
    violations = axe_violations(page, axe_source)
    assert violations == [], violations


def check_charts(page, minimum: int) -> None:
    charts = chart_alternatives(page)
    assert len(charts) >= minimum, charts
    viewport = page.viewport_size["width"]
    for chart in charts:
        # drawn at a readable size, not squeezed by the page layout (a CSS max-width once
        # made Lumino lay the whole dashboard out 100 px wide)
        assert chart["width"] >= 0.4 * viewport, (chart, viewport)
        assert chart["role"] == "img" and chart["label"] and len(chart["label"]) > 20, chart
        assert chart["header"] >= 2 and chart["rows"] >= 1, chart


def wait_for_dashboard(page, charts: int) -> None:
    page.wait_for_selector(".wb-dashboard h1", timeout=120_000)
    page.wait_for_function(
        "(n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=charts, timeout=120_000)
    page.wait_for_timeout(800)


def test_start_page(dashboard_server, context, axe_source, shots):
    page = context.new_page()
    page.goto(dashboard_server.base_url)
    check_page(page, axe_source, title="Integrationsmonitoring – Dashboards")
    screenshots(page, shots, "startseite")
    page.close()


def test_auslaenderanteil_accessible_and_keyboard_selection(dashboard_server, context,
                                                            axe_source, shots):
    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + "voila/render/auslaenderanteil.ipynb")
    wait_for_dashboard(page, 3)
    check_page(page, axe_source, title=f"Ausländeranteil – Integrationsmonitoring {AREA}")
    check_charts(page, 3)
    labels = [c["label"] for c in chart_alternatives(page)]
    assert any("Sachsenheim" in label and "Quelle" in label for label in labels), labels

    # keyboard only: the skip link comes first, then Tab reaches the municipality field
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "wb-skip"
    search = page.locator(".wb-gemeinde-search input")
    for _ in range(30):
        if search.evaluate("e => e === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert search.evaluate("e => e === document.activeElement"), "Gemeindefeld nicht erreichbar"
    # visible focus: ≥ 3 px outline with ≥ 3:1 against the page
    outline = search.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth,"
        " s.outlineColor]; }")
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 3, outline
    assert contrast(_rgb(outline[2]), (255, 255, 255)) >= 3, outline
    assert search.get_attribute("list"), "keine Vorschlagsliste (datalist)"

    live = page.locator(".wb-live")
    share = page.locator("[data-testid=share]")
    before_live, before_share = live.inner_text(), share.inner_text()
    assert "Sachsenheim" in before_live
    page.keyboard.press("Control+A")
    page.keyboard.type("ludwigsburg")  # lower case
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.wb-live').textContent.includes('Ludwigsburg')")
    assert share.inner_text() != before_share
    page.keyboard.press("Control+A")
    page.keyboard.type("Loechgau")  # umlaut spelled out
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.wb-live').textContent.includes('Löchgau')")
    page.keyboard.press("Control+A")
    page.keyboard.type("Atlantis")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.wb-live').textContent.includes('nicht gefunden')")
    assert "nicht gefunden" in page.locator(".wb-error").first.inner_text()
    assert "Löchgau" in page.locator(".wb-error").first.inner_text()  # still shown
    assert rec.errors == [], "\n".join(rec.errors)
    # Checked before the screenshots: at 320 px plotly logs SVG errors for the wide charts
    # (plot area below zero; known limitation, docs/barrierefreiheit.md).
    screenshots(page, shots, "auslaenderanteil")
    page.close()


@pytest.mark.parametrize("notebook,charts", [("handlungsfelder.ipynb", 4),
                                             ("messwerte_erfassen.ipynb", 0)])
def test_dashboard_accessible(dashboard_server, context, axe_source, shots, notebook, charts):
    page = context.new_page()
    page.goto(dashboard_server.base_url + "voila/render/" + notebook)
    wait_for_dashboard(page, charts)
    check_page(page, axe_source,
               title=f"{DASHBOARD_PAGES[notebook]} – Integrationsmonitoring {AREA}")
    if charts:
        check_charts(page, charts)
    screenshots(page, shots, notebook.split(".")[0])
    page.close()


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    """One municipality's report and the batch index, rendered as HTML into a tmp dir."""
    tmp = tmp_path_factory.mktemp("a11y-report")
    env = {**os.environ,
           "WORKBENCH_DB": str(tmp / "store.sqlite"),
           "WORKBENCH_OUTPUT_DIR": str(tmp / "output"),
           "WORKBENCH_USER_DIR": str(tmp / "user"),
           "WORKBENCH_CACHE_DIR": str(tmp / "cache")}
    out = tmp / "reports"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "workbench"), "reports", "-m", "Freudental",
         "--year", "2024", "--format", "html", "--out", str(out), "-q", "-w", "1"],
        env=env, capture_output=True, text=True, timeout=600, cwd=PROJECT_DIR)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


def test_reports_index_and_report(browser, report_dir, axe_source, shots):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((report_dir / "index.html").as_uri())
    check_page(page, axe_source)
    screenshots(page, shots, "berichte_index")
    report = next(report_dir.glob("*Freudental*.html"))
    page.goto(report.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1")
    check_page(page, axe_source)
    check_charts(page, 1)
    screenshots(page, shots, "bericht_freudental")
    page.close()
