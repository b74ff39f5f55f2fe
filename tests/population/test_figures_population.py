"""Population figures: provenance on every figure, estimates marked, offline rendering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest

from workbench.figures import AREA_COLOURS
from workbench.figures import population as figs
from workbench.population import load_population

GOLDEN = Path(__file__).parent / "golden"
SACHSENHEIM = "08118076"


@pytest.fixture(scope="module")
def pop() -> pl.DataFrame:
    return load_population()


def source_note(fig: go.Figure) -> str:
    notes = [a.text for a in fig.layout.annotations if a.text and a.text.startswith("Quelle")]
    assert len(notes) == 1, "every figure carries exactly one source note"
    return notes[0].replace("\u00a0", " ")


def test_trend_chart_marks_estimates_projection_and_sources(pop):
    fig = figs.trend_chart(pop, SACHSENHEIM)
    by_name = {t.name: t for t in fig.data}
    estimate = by_name["Sachsenheim (geschätzt)"]
    assert estimate.line.dash == "dash" and estimate.marker.symbol == "circle-open"
    kreis = by_name["Landkreis Ludwigsburg (Regionalatlas)"]
    assert kreis.line.dash == "solid" and kreis.line.color == AREA_COLOURS["Kreis"]
    assert "Baden-Württemberg (Regionalatlas)" in by_name
    assert "Zensus 2022, amtlich" in by_name
    assert "Zensus 2011, amtlich" in by_name
    statistik = by_name["Statistik BW (Stand 2025), amtlich"]
    assert list(statistik.y) == [18.6] and list(statistik.customdata) == ["Stand 2025"]
    assert "Stadt Sachsenheim (Melderegister)" in by_name
    dotted = [t for t in fig.data if t.line and t.line.dash == "dot"]
    assert len(dotted) >= 3  # municipal, Kreis, Land projections + legend entry
    assert max(str(x) for t in dotted for x in t.x if x is not None) == "2029-12-31"
    # Kreis Regionalatlas values are plotted as published (2023 = 20.0 %)
    assert dict(zip(map(str, kreis.x), kreis.y, strict=True))["2023-12-31"] == 20.0
    note = source_note(fig)
    assert "Regionalatlas" in note and "Stand 31.12.2011–31.12.2024" in note
    assert "Zensus 2022" in note and "Stand 15.05.2022" in note
    assert "geschätzt" in note
    assert fig.layout.separators == ",."


def test_trend_chart_shows_the_census_break_and_the_band(pop):
    fig = figs.trend_chart(pop, SACHSENHEIM)
    estimate = [t for t in fig.data if t.name == "Sachsenheim (geschätzt)"]
    # Two segments (Zensus 2011 basis, Zensus 2022 basis), never one line across the break.
    assert len(estimate) == 2
    last_old = max(str(x) for x in estimate[0].x)
    first_new = min(str(x) for x in estimate[1].x)
    assert last_old < "2022-05-15" < first_new
    breaks = [s for s in fig.layout.shapes if s.line.dash == "longdash"]
    assert [str(s.x0) for s in breaks] == ["2022-05-15"]
    assert any("Bruch: Basis Zensus 2022" in (a.text or "") for a in fig.layout.annotations)
    bands = [t for t in fig.data if t.fill == "toself"]
    assert bands and all("Prozentpunkte" in t.name for t in bands if t.showlegend is not False)
    # The band surrounds every estimate point: upper above, lower below.
    for band, line in zip(bands, estimate, strict=True):
        n = len(line.y)
        upper, lower = band.y[:n], band.y[n:][::-1]
        assert all(lo <= y <= up for lo, y, up in zip(lower, line.y, upper, strict=True))
    assert all("Prozentpunkte" in c for c in estimate[0].customdata)


def test_trend_chart_for_the_kreis_shows_published_azr_point(pop):
    fig = figs.trend_chart(pop, "08118", projection=False)
    names = [t.name for t in fig.data]
    assert "Landratsamt Ludwigsburg (AZR)" in names
    assert not any(t.line and t.line.dash == "dot" for t in fig.data)
    assert "Ausländerzentralregister" in source_note(fig)


def test_ranking_chart_orders_all_39_and_highlights_one(pop):
    fig = figs.ranking_chart(pop, SACHSENHEIM)
    bar = fig.data[0]
    assert len(bar.y) == 39
    master = pl.read_csv(GOLDEN / "gemeinden_08118_master.csv", schema_overrides={"ags": pl.String})
    top = master.sort("share_foreign_census22", descending=True).row(0, named=True)
    assert bar.y[-1] == top["name"]  # plotly draws the last category at the top
    assert bar.x[-1] == top["share_foreign_census22"]
    highlighted = [n for n, c in zip(bar.y, bar.marker.color, strict=True)
                   if c == AREA_COLOURS["Gemeinde"]]
    assert highlighted == ["Sachsenheim"]
    assert "Stand 15.05.2022" in source_note(fig)
    assert any("18,5 %" in (a.text or "") for a in fig.layout.annotations)  # Kreis line


def test_ranking_of_estimates_is_labelled(pop):
    import datetime as dt

    fig = figs.ranking_chart(pop, source="schaetzung_zensus_regionalatlas",
                             reference_date=dt.date(2023, 12, 31))
    assert "geschätzt" in fig.layout.title.text
    assert "geschätzt" in source_note(fig)


def test_map_has_one_polygon_per_municipality_and_highlight_on_top(pop):
    fig = figs.choropleth_map(pop, SACHSENHEIM)
    polygons = [t for t in fig.data if t.fill == "toself"]
    assert len(polygons) == 39
    assert polygons[-1].name == "Sachsenheim"
    assert polygons[-1].line.color == AREA_COLOURS["Gemeinde"]
    assert polygons[-1].text == "Sachsenheim: 16,7 %"
    colourbar = [t for t in fig.data if t.marker and t.marker.showscale]
    assert len(colourbar) == 1
    assert "Stand 15.05.2022" in source_note(fig) and "GeoBasis-DE" in source_note(fig)


def test_key_figure_table(pop):
    fig = figs.key_figure_table(pop, SACHSENHEIM)
    labels, values, notes = fig.data[0].cells.values
    table = dict(zip(labels, values, strict=True))
    assert table["Einwohner"] == "19.480"
    assert table["Ausländeranteil"] == "16,7 %"
    assert table["Abstand zum Landkreis"] == "−1,8 Prozentpunkte"
    assert table["Rang im Landkreis (1 = höchster Anteil)"].endswith("von 39")
    assert any(label.endswith("(geschätzt)") for label in labels)
    assert table["Ausländeranteil (veröffentlicht)"] == "18,48 % (3.630 Personen)"
    assert all(notes), "every row names its source"
    assert "geschätzt" in source_note(fig)


def test_figures_serialise_for_notebooks_and_voila(pop):
    for fig in (figs.trend_chart(pop, SACHSENHEIM), figs.ranking_chart(pop),
                figs.choropleth_map(pop), figs.key_figure_table(pop, SACHSENHEIM)):
        data = json.loads(fig.to_json())
        assert data["data"] and data["layout"]["separators"] == ",."


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(),
                    reason="needs /usr/bin/chromium")
def test_map_and_trend_render_offline_in_chromium(pop, tmp_path):
    """Static HTML with inline plotly.js draws the map without any network request."""
    from playwright.sync_api import sync_playwright

    pages = {
        "map": figs.choropleth_map(pop, SACHSENHEIM),
        "trend": figs.trend_chart(pop, SACHSENHEIM),
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )
        try:
            for name, fig in pages.items():
                path = tmp_path / f"{name}.html"
                fig.write_html(path, include_plotlyjs=True)
                page = browser.new_page()
                external: list[str] = []

                def block(route, external=external):
                    if route.request.url.startswith("http"):
                        external.append(route.request.url)
                        route.abort()
                    else:
                        route.continue_()

                page.route("**/*", block)
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(path.as_uri())
                page.wait_for_selector(".main-svg")
                if name == "map":
                    # 39 filled polygons (scatter fills) drawn as SVG paths
                    assert page.locator("g.scatterlayer path.js-fill").count() >= 39
                else:
                    assert page.locator("g.scatterlayer g.trace").count() >= 5
                notes = page.locator("g.annotation-text-g text").all_text_contents()
                assert any(t.startswith("Quelle:") for t in notes)
                assert external == [] and errors == []
                page.close()
        finally:
            browser.close()


def test_overview_figure_lists_39_with_german_formats(pop):
    fig = figs.overview_figure(pop, sort="rang")
    header = list(fig.data[0].header.values)
    columns = fig.data[0].cells.values
    assert header[0] == "Gemeinde" and header[2] == "Einwohner 31.12.2023"
    assert len(columns[0]) == 39
    assert columns[4][0] == "1"  # sorted by rank
    row = columns[1].index("08118076")
    assert (columns[2][row], columns[3][row], columns[5][row]) == ("19.480", "16,7 %", "−1,8")
    assert columns[6][row].endswith("%*")  # estimate marked
    note = source_note(fig)
    assert "Stand 31.12.2023" in note and "Stand 15.05.2022" in note and "* geschätzt" in note


def test_trend_hover_names_an_estimate_once():
    from workbench import population
    from workbench.figures.population import trend_chart

    fig = trend_chart(population.load_population(), "08118076")
    templates = [t.hovertemplate for t in fig.data if t.hovertemplate]
    assert any("(geschätzt)" in t for t in templates)
    assert not any(t.count("geschätzt") > 1 for t in templates)
