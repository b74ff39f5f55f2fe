"""Ausländeranteil dashboard in real headless Chromium, served by ``workbench dashboards``."""

from __future__ import annotations

import io

import polars as pl
import pytest

from tests.dashboards.conftest import PageRecorder, margins_drawn_vs_set, screenshot
from workbench.figures.population import choropleth_map
from workbench.formatting import fmt_percent
from workbench.population import load_population

pytestmark = [pytest.mark.browser, pytest.mark.slow]

URL = "voila/render/auslaenderanteil.ipynb"


def zensus_share(ags: str) -> float:
    """The Zensus 2022 share of one municipality, read from the population frame directly."""
    pop = load_population()
    rows = pop.filter(
        (pl.col("ags") == ags) & (pl.col("source") == "zensus2022") & pl.col("share").is_not_null()
    )
    assert rows.height == 1
    return rows["share"][0]


def wait_rendered(page) -> None:
    page.wait_for_selector("[data-testid=share]")
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=90_000
    )


def shown_share(page) -> str:
    return page.locator("[data-testid=share]").inner_text().strip()


def point_inside(page, name: str) -> tuple[float, float]:
    """A viewport point that lies inside municipality ``name``'s polygon on the map and is not
    covered by another shape (found with SVG ``isPointInFill``)."""
    point = page.evaluate(
        """(name) => {
        const plots = [...document.querySelectorAll('.js-plotly-plot')];
        const map = plots.find(p => (p.data || []).length > 30);
        const idx = map.data.findIndex(t => t.name === name && t.fill === 'toself');
        const trace = map.querySelectorAll('.scatterlayer .trace')[idx];
        const path = trace.querySelector('.fills path, path.js-fill');
        const box = path.getBoundingClientRect();
        for (let fy = 0.5; fy < 1; fy += 0.05) for (const sy of [1, -1])
          for (let fx = 0.5; fx < 1; fx += 0.05) for (const sx of [1, -1]) {
            const x = box.left + box.width * (sx > 0 ? fx : 1 - fx);
            const y = box.top + box.height * (sy > 0 ? fy : 1 - fy);
            const ctm = path.getScreenCTM().inverse();
            const local = new DOMPoint(x, y).matrixTransform(ctm);
            if (path.isPointInFill(local)) return [x, y];
          }
        return null;
    }""",
        name,
    )
    assert point, f"no point inside {name} found on the map"
    return point[0], point[1]


def test_load_select_search_map_and_download(dashboard_server, context):
    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + URL + "?gemeinde=08118063")
    wait_rendered(page)
    page.wait_for_timeout(500)
    screenshot(page, "auslaenderanteil_pleidelsheim")

    # query parameter selected Pleidelsheim; the share is the package's value, German format
    assert shown_share(page) == fmt_percent(zensus_share("08118063")) == "19,9 %"
    assert page.locator(".wb-gemeinde-search input").input_value() == "Pleidelsheim"
    # sources and reference dates are printed under the charts
    sources = page.eval_on_selector_all(
        ".js-plotly-plot .annotation-text", "els => els.map(e => e.textContent)"
    )
    assert any("Zensus 2022" in s and "15.05.2022" in s for s in sources)

    # searchable selector: type a name and confirm
    search = page.locator(".wb-gemeinde-search input")
    search.fill("Kornwestheim")
    search.press("Enter")
    expected = fmt_percent(zensus_share("08118046"))
    page.wait_for_function(
        "(v) => document.querySelector('[data-testid=share]').innerText.trim() === v", arg=expected
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gtitle')].some(t => t.textContent.includes("
        "'Kornwestheim'))"
    )

    # map click selects the clicked municipality
    page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    x, y = point_inside(page, "Vaihingen an der Enz")
    page.mouse.click(x, y)
    expected = fmt_percent(zensus_share("08118073"))
    page.wait_for_function(
        "(v) => document.querySelector('[data-testid=share]').innerText.trim() === v",
        arg=expected,
        timeout=20_000,
    )
    page.wait_for_function(
        "() => document.querySelector('.wb-gemeinde-search input').value"
        " === 'Vaihingen an der Enz'"
    )
    # the map outlines the clicked municipality: its polygon from the package's map figure
    polygon = next(t for t in choropleth_map(load_population()).data
                   if t.name == "Vaihingen an der Enz")
    page.wait_for_function(
        """(x0) => { const m = [...document.querySelectorAll('.js-plotly-plot')]
             .find(p => (p.data || []).length > 30);
           const outline = m.data[m.data.length - 1];
           return outline.x.length > 10 && Math.abs(outline.x[0] - x0) < 1e-9; }""",
        arg=polygon.x[0], timeout=20_000)
    page.wait_for_timeout(300)
    screenshot(page, "auslaenderanteil_map_click")

    # downloads: CSV (German Excel format) and Excel, file names carry source and date
    link = page.locator("a.wb-download", has_text="CSV")
    link.scroll_into_view_if_needed()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert "zensus2022_2022-05-15" in download.suggested_filename
    assert download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 umlauts correctly
    text = raw.decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header.startswith("Gemeinde;AGS;")
    row = next(line for line in lines if ";08118063;" in line)
    assert ";19,90;" in row  # Zensus share of Pleidelsheim, decimal comma
    assert lines[-1].startswith("Quellen:")
    assert sum(1 for line in lines if ";0811" in line) == 39

    with page.expect_download() as info:
        page.locator("a.wb-download", has_text="Excel").click()
    xlsx = info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    frame = pl.read_excel(io.BytesIO(open(xlsx.path(), "rb").read()))
    pleidelsheim = frame.filter(pl.col("AGS") == "08118063")
    assert pleidelsheim["Anteil Zensus 2022"][0] == pytest.approx(19.9)

    assert rec.errors == []
    assert rec.external_requests() == []
    page.close()


def _points(trace) -> int:
    """Number of data points of a plotly trace (x or y, whichever is longer)."""
    return max(len(trace.x) if trace.x is not None else 0,
               len(trace.y) if trace.y is not None else 0)


def test_charts_draw_all_data_of_the_package_figures(dashboard_server, context):
    """Every trace of the package's figures reaches the drawn chart with all its points
    (regression: an unset map outline blanked the last trace of every other chart, so the
    ranking showed no bars)."""
    from workbench.dashboards.auslaenderanteil import AuslaenderanteilDashboard

    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + URL + "?gemeinde=08118063")
    wait_rendered(page)
    page.wait_for_function(
        "document.querySelectorAll('.wb-plotly-chart .js-plotly-plot .main-svg').length >= 9"
    )
    drawn = page.evaluate(
        "[...document.querySelectorAll('.wb-plotly-chart .js-plotly-plot')].map(p => "
        "p.data.map(t => Math.max((t.x || []).length, (t.y || []).length)))"
    )
    dash = AuslaenderanteilDashboard("08118063")
    expected = [
        [_points(t) for t in fig.data]
        for fig in (dash.figures["trend"], dash.map, dash.figures["ranking"])
    ]
    assert drawn == expected
    # what is on screen: 39 bars in the ranking, the projection's legend entry in the trend
    assert page.locator(".js-plotly-plot .barlayer .point").count() == 39
    legend = page.eval_on_selector_all(
        ".js-plotly-plot .legendtext", "els => els.map(e => e.textContent)"
    )
    assert any("keine Prognose" in t for t in legend)
    # room for legend, colour bar and names was reserved: each chart was laid out once
    margins = margins_drawn_vs_set(page)
    assert len(margins) == 3 and all(drawn == given for drawn, given in margins), margins
    assert rec.errors == []
    page.close()


def test_unknown_gemeinde_shows_german_message_and_default(dashboard_server, context):
    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + URL + "?gemeinde=Atlantis")
    wait_rendered(page)
    notice = page.locator(".wb-message").inner_text()
    assert "Unbekannte Gemeinde „Atlantis“" in notice
    assert "angezeigt wird Sachsenheim" in notice
    assert shown_share(page) == fmt_percent(zensus_share("08118076"))
    assert rec.errors == []
    assert rec.external_requests() == []
    page.close()
