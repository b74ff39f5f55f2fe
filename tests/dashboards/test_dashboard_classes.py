"""The dashboard classes without a browser: selection state, query parameters, entry form."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.dashboards import (
    AuslaenderanteilDashboard,
    HandlungsfelderDashboard,
    MesswerteErfassenDashboard,
)
from workbench.formatting import fmt_percent
from workbench.population import load_population
from workbench.store import ObservationStore


@pytest.fixture(scope="module")
def aus() -> AuslaenderanteilDashboard:
    return AuslaenderanteilDashboard()


def test_select_shows_that_municipality_everywhere(aus):
    aus.select("08118063")
    pop = load_population()
    share = pop.filter((pl.col("ags") == "08118063") & (pl.col("source") == "zensus2022"))
    assert aus.ags == "08118063"
    assert aus.search.value == "Pleidelsheim"
    assert aus.displayed_share == fmt_percent(share["share"][0]) == "19,9 %"
    assert "19,9 %" in aus.kpis.value and "Pleidelsheim" in aus.kpis.value
    assert "Pleidelsheim" in aus.figures["trend"].layout.title.text
    # the map outline is the Pleidelsheim polygon of the map trace with that name
    trace = next(t for t in aus.map.data if t.name == "Pleidelsheim")
    assert list(aus.map.data[-1].x) == list(trace.x) and len(trace.x) > 10
    # by name too, and the searchable selector's observer selects
    aus.select("Kornwestheim")
    assert aus.ags == "08118046"
    aus.search.value = "Tamm"
    assert aus.ags == "08118071" and "Tamm" in aus.kpis.value


def test_query_parameter_validation(aus):
    aus.select("08118076")
    aus.select_query("Atlantis")
    assert aus.ags == "08118076"
    assert "Unbekannte Gemeinde „Atlantis“" in aus.notice.value
    assert "angezeigt wird Sachsenheim" in aus.notice.value
    aus.select_query("8118063")  # AGS without the leading zero
    assert aus.ags == "08118063"


def test_download_names_source_and_date(aus):
    assert aus.download_names["csv"].startswith("auslaenderanteil_gemeinden_zensus2022_2022-05-15")
    assert 'download="' + aus.download_names["xlsx"] in aus.downloads.value
    assert "Quellen:" in aus.table.value and aus.table.value.count("<tr data-ags=") == 39


def test_handlungsfelder_select_and_tabs(tmp_path):
    d = HandlungsfelderDashboard(as_of=dt.date(2026, 6, 30), store_path=tmp_path / "leer.sqlite")
    assert d.traeger_id == "sachsenheim" and d.is_example
    assert "Beispieldaten – keine amtlichen Werte" in d.example_banner.value
    assert len(d.tabs.children) == 4 and d.tabs.get_title(0) == "Sprache und Bildung"
    assert d._tab_boxes[0].children and not d._tab_boxes[1].children  # built lazily
    d.tabs.selected_index = 1
    assert d._tab_boxes[1].children
    d.select("landkreis")
    assert d.selector.value == "landkreis"
    assert {d.tabs.get_title(i) for i in range(len(d.tabs.children))} == set(
        d.progress["handlungsfeld"].unique().to_list())
    with pytest.raises(KeyError):
        d.select("atlantis")


def test_entry_form_validates_and_versions(tmp_path):
    db = tmp_path / "obs.sqlite"
    d = MesswerteErfassenDashboard(store_path=db)
    d.indicator.value = "anzahl-sprachkurse"
    d.source.value = "Kursträgerstatistik"
    d.entered_by.value = "Test"
    d.period.value = "31.02.2025"
    d.value.value = "3"
    assert d.submit() is None and "kein Datum" in d.feedback.value
    d.period.value = "31.12.2025"
    d.value.value = "2,5"  # not a whole number for an Anzahl
    assert d.submit() is None and "ganze Zahl" in d.feedback.value
    d.value.value = "3"
    assert d.submit() == 1
    d.value.value = "4"
    assert d.submit() == 2 and "Korrektur gespeichert" in d.feedback.value
    history = ObservationStore(db).history("sachsenheim", "anzahl-sprachkurse")
    assert history["value"].to_list() == [3.0, 4.0]
    assert history["entered_by"].to_list() == ["Test", "Test"]
    assert d.history.value.count("<tr><td>") == 2


def test_page_state_stays_small(aus):
    """Every widget's state goes over the websocket on each page load: no chart may carry
    plotly.js itself (plotly's FigureWidget does: ~5 MB of ``_esm``)."""
    import json

    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    sizes = {
        f"{type(widget).__name__}.{name}": len(json.dumps(value, default=str))
        for widget in walk(aus.widget)
        for name, value in widget.get_state().items()
    }
    assert sizes, "no widget state found"
    biggest = max(sizes, key=sizes.get)
    assert sizes[biggest] < 200_000, (biggest, sizes[biggest])
    assert sum(sizes.values()) < 500_000
