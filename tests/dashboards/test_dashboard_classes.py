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


def test_entry_form_validates_and_versions(tmp_path, monkeypatch):
    # no typed "Erfasst von" any more: the local user (WORKBENCH_USER) is recorded
    monkeypatch.setenv("WORKBENCH_USER", "Test")
    monkeypatch.delenv("WORKBENCH_REQUIRE_LOGIN", raising=False)
    db = tmp_path / "obs.sqlite"
    d = MesswerteErfassenDashboard(store_path=db)
    d.indicator.value = "anzahl-sprachkurse"
    d.source.value = "Kursträgerstatistik"
    d.period.value = "31.02.2025"
    d.value.value = "3"
    assert d.submit() is None and "kein Datum" in d.errors.slot("Stichtag").value
    assert d.feedback.kind == "error" and d.feedback.invalid == ["stichtag"]
    d.period.value = "31.12.2025"
    d.value.value = "2,5"  # not a whole number for an Anzahl
    assert d.submit() is None and "ganze Zahl" in d.errors.slot("Wert").value
    assert d.errors.slot("Stichtag").value == "" and d.feedback.invalid == ["wert"]
    d.value.value = "3"
    assert d.submit() == 1
    d.value.value = "4"
    assert d.submit() == 2 and "Korrektur gespeichert" in d.feedback.text
    assert d.feedback.kind == "ok" and d.feedback.invalid == []
    history = ObservationStore(db).history("sachsenheim", "anzahl-sprachkurse")
    assert history["value"].to_list() == [3.0, 4.0]
    assert history["entered_by"].to_list() == ["Test", "Test"]
    assert d.history.value.count("<tr><td>") == 2
    assert "„Test“ (Einzelplatz" in d.who.value


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


def test_dashboard_plotly_bundle_is_the_shipped_basic_one_or_the_full_fallback(tmp_path):
    import hashlib
    import json

    from plotly.offline import get_plotlyjs_version

    from workbench.dashboards.app import (
        PLOTLY_BASIC,
        dashboard_plotly_bundle,
        plotly_bundle_version,
        plotly_js_dir,
    )

    version = get_plotlyjs_version()
    # shipped bundle: the version plotly (Python) was built for, checksum as in its provenance
    provenance = json.loads(PLOTLY_BASIC.with_name(PLOTLY_BASIC.name + ".provenance.json")
                            .read_text(encoding="utf-8"))
    assert hashlib.sha256(PLOTLY_BASIC.read_bytes()).hexdigest() == provenance["sha256"]
    assert provenance["plotly_js_version"] == plotly_bundle_version(PLOTLY_BASIC) == version
    assert (PLOTLY_BASIC.parent / "LICENSE").read_text().startswith("MIT License")
    assert dashboard_plotly_bundle() == (PLOTLY_BASIC, version, True)

    # a basic bundle of another plotly.js version is not used: the full one is
    stale = tmp_path / "plotly-basic.min.js"
    stale.write_bytes(PLOTLY_BASIC.read_bytes()[:400].replace(version.encode(), b"3.0.0"))
    assert plotly_bundle_version(stale) == "3.0.0"
    assert dashboard_plotly_bundle(stale) == (plotly_js_dir() / "plotly.min.js", version, False)
    assert dashboard_plotly_bundle(tmp_path / "missing.js")[2] is False


def test_charts_refuse_trace_types_missing_from_the_bundle():
    import plotly.graph_objects as go
    import traitlets

    from workbench.dashboards.base import figure_spec
    from workbench.dashboards.plotly_chart import PlotlyChart

    chart = PlotlyChart(figure_spec(go.Figure(go.Bar(x=[1], y=[2]))))
    with pytest.raises(traitlets.TraitError, match="'table' is not in the dashboards"):
        chart.figure = figure_spec(go.Figure(go.Table(cells={"values": [[1]]})))
    assert chart.figure["data"][0]["type"] == "bar"  # unchanged


def test_reserve_margins_estimates_room_for_legend_names_and_colour_bar():
    from workbench.dashboards.base import reserve_margins

    name = "Landkreis Ludwigsburg (Regionalatlas)"  # 37 characters
    spec = reserve_margins({
        "data": [{"name": name}, {"name": "kurz"}, {"name": "x" * 80, "showlegend": False}],
        "layout": {"margin": {"l": 60, "r": 20}, "font": {"size": 14},
                   "legend": {"x": 1.02, "font": {"size": 12}},
                   "yaxis": {"title": {"text": "Anteil in %"}}},
    })
    # legend at the right: the longest shown name at 12 px; a hidden entry does not count
    assert spec["layout"]["margin"]["r"] == round(60 + 0.56 * 12 * len(name))
    assert spec["layout"]["margin"]["l"] == 80  # y-axis title

    bars = reserve_margins({
        "data": [{"type": "bar", "orientation": "h", "y": ["Asperg", "Bietigheim-<br>Bissingen",
                                                            "Freiberg am Neckar"],
                  "marker": {"showscale": True}}],
        "layout": {"margin": {"l": 60, "r": 30}, "yaxis": {"tickfont": {"size": 12}},
                   "legend": {"orientation": "h"}},
    })
    # names left of the bars: longest line (<br> breaks it) at 12 px; colour bar at the right
    assert bars["layout"]["margin"]["l"] == round(20 + 0.56 * 12 * len("Freiberg am Neckar"))
    assert bars["layout"]["margin"]["r"] == 150
    # never shrinks what a figure already reserves
    wide = reserve_margins({"data": [], "layout": {"margin": {"l": 500, "r": 400}}})
    assert wide["layout"]["margin"] == {"l": 500, "r": 400}


def test_entry_form_fields_send_their_value_before_a_click(tmp_path):
    # A click is sent at once, queued field updates are not: every text field of the forms
    # sends its value when it is left, so "type, then Speichern" saves what was typed.
    import ipywidgets as w

    d = MesswerteErfassenDashboard(store_path=tmp_path / "obs.sqlite")
    fields = [v for v in vars(d).values() if isinstance(v, (w.Text, w.Textarea))]
    assert len(fields) == 9
    assert all(f.continuous_update is False for f in fields)
