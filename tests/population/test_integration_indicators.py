"""Kreis integration indicators: model, figures, report section, dashboard tab.

Runs on the shipped files (data/raw/regionaldatenbank_2018, data/raw/azr_2025); the user
directory, store, output and caches point to tmp paths (never the project's own).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench import integration as integ
from workbench.figures import integration as fig

PROJECT = Path(__file__).resolve().parents[2]
SHIPPED = PROJECT / "data" / "raw" / "regionaldatenbank_2018"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(user))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "store" / "observations.sqlite"))
    monkeypatch.setenv("WORKBENCH_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return user


def _azr_available() -> bool:
    try:
        import workbench.loaders.azr  # noqa: F401
    except ModuleNotFoundError:
        return False
    return integ.azr_path() is not None


needs_azr = pytest.mark.skipif(not _azr_available(), reason="AZR-Loader oder -Datei fehlt")


def _value(frame: pl.DataFrame, ind: str, year: int) -> float:
    rows = frame.filter((pl.col("indicator_id") == ind) & (pl.col("year") == year))
    assert rows.height == 1, (ind, year, rows)
    return rows.get_column("value")[0]


# ---- model ---------------------------------------------------------------------------------

def test_golden_values_from_the_shipped_tables():
    frame = integ.kreis_indicators()
    assert _value(frame, "arbeitslose_auslaender", 2016) == 3746  # 13211-01-03-4
    assert _value(frame, "arbeitslose", 2016) == 10370
    assert _value(frame, "einbuergerungen", 2016) == 927  # 12511-01-01-4
    assert _value(frame, "einbuergerungen_europa", 2016) == 723
    assert _value(frame, "arbeitslosenquote_auslaender", 2016) == 7.6
    assert _value(frame, "anteil_auslaender_arbeitslose", 2016) == 36.1
    assert _value(frame, "sgb2_auslaender", 2016) == 8642
    assert _value(frame, "svb_wohnort_auslaender", 2015) == 36739
    assert _value(frame, "asylbewerberleistungen", 2015) == 4510
    rows = frame.filter(pl.col("indicator_id") == "arbeitslose_auslaender")
    assert rows.get_column("year").min() == 2001 and rows.get_column("year").max() == 2016
    assert set(rows.get_column("table")) == {"13211-01-03-4"}
    assert set(rows.get_column("file")) == {"13211-01-03-4_00.csv"}
    assert set(rows.get_column("stand")) == {"2016"}
    # the foreigners' rate is not computed before 2009: „-“ is no value, not 0 %
    early = frame.filter((pl.col("indicator_id") == "arbeitslosenquote_auslaender")
                         & (pl.col("year") < 2009))
    assert early.height and early.get_column("value").is_null().all()
    # every Regionaldatenbank row names its source, table, file and Stand
    rdb = frame.filter(pl.col("concept") == "Regionaldatenbank")
    for column in ("source", "table", "file", "stand", "period"):
        assert rdb.get_column(column).is_not_null().all(), column
    assert rdb.get_column("year").max() == 2016


def test_other_kreis_of_baden_wuerttemberg():
    frame = integ.kreis_indicators("08111")
    assert frame.get_column("name")[0] == "Stadtkreis Stuttgart"
    assert _value(frame, "einbuergerungen", 2016) > 0
    assert frame.filter(pl.col("concept") == integ.AZR).height == 0  # AZR only for 08118
    assert integ.foreign_population_structure("08111").height == 0


@needs_azr
def test_azr_and_fortschreibung_are_different_concepts_never_one_series():
    frame = integ.kreis_indicators()
    azr = frame.filter(pl.col("indicator_id") == "auslaender_azr")
    fs = frame.filter(pl.col("indicator_id") == "auslaender_fortschreibung")
    assert azr.get_column("value").to_list() == [118840]
    assert fs.get_column("value").to_list() == [107946]
    assert set(azr.get_column("concept")) == {integ.AZR}
    assert set(fs.get_column("concept")) == {integ.FORTSCHREIBUNG}
    assert _value(frame, "einwohner_fortschreibung", 2025) == 534454
    assert _value(frame, "auslaenderanteil_fortschreibung", 2025) == 20.2
    mz = frame.filter(pl.col("indicator_id") == "migrationshintergrund_mikrozensus")
    assert mz.get_column("year").to_list() == [2021, 2022, 2023, 2024, 2025]
    assert set(mz.get_column("concept")) == {integ.MIKROZENSUS}
    # one concept per indicator: no series mixes AZR and Fortschreibung
    per = frame.group_by("indicator_id").agg(pl.col("concept").n_unique().alias("n"))
    assert per.get_column("n").max() == 1
    # … and no chart trace either
    for _, figure in fig.kreis_charts(frame, integ.foreign_population_structure()):
        for trace in figure.data:
            values = {float(v) for v in (trace.x or ()) if isinstance(v, int | float)} | {
                float(v) for v in (trace.y or ()) if isinstance(v, int | float)}
            assert not {118840.0, 107946.0} <= values, figure.layout.title.text
    bars = fig.bestand_2025_chart(frame)
    assert len(bars.data) == 2 and [len(t.x) for t in bars.data] == [1, 1]
    assert "AZR" in bars.data[0].name and "Fortschreibung" in bars.data[1].name


@needs_azr
def test_azr_structure_31_12_2025():
    s = integ.foreign_population_structure()
    values = dict(zip(s.get_column("label"), s.get_column("value"), strict=True))
    assert values["mit Aufenthaltsgestattung"] == 2385
    assert values["mit Duldung"] == 1295
    assert values["seit 25 Jahren oder länger hier"] == 43355
    for nat, n in {"Türkei": 18465, "Ukraine": 8605, "Rumänien": 5800, "Syrien": 4915,
                   "Polen": 2895}.items():
        assert values[nat] == n
    assert set(s.get_column("concept")) == {integ.AZR}
    share = s.filter(pl.col("label") == "Türkei").get_column("share")[0]
    assert share == pytest.approx(18465 / 118840 * 100)
    assert (s.get_column("group") == "Herkunftsgruppe").any()
    chart = fig.structure_chart(s)
    assert "31.12.2025" in chart.layout.title.text
    assert "Quelle" in chart.layout.annotations[-1].text


# ---- figures ---------------------------------------------------------------------------------

def test_titles_name_years_and_stand_and_every_chart_a_source():
    frame = integ.kreis_indicators()
    charts = dict(fig.kreis_charts(frame, integ.foreign_population_structure()))
    for chart in charts.values():  # titles are wrapped for the chart width (figures.finish)
        chart.layout.title.text = chart.layout.title.text.replace("<br>", " ")
    assert charts["einbuergerungen"].layout.title.text == (
        "Einbürgerungen im Landkreis Ludwigsburg 2011–2016 (Stand 2016)")
    assert "2001–2016 (Stand 2016)" in charts["arbeitslose"].layout.title.text
    assert "(Stand 31.12.2016)" in charts["sgb2"].layout.title.text
    assert "2012–2015 (Stand 30.06.2015)" in charts["svb"].layout.title.text
    for key in fig.HISTORY_KEYS:
        figure = charts[key]
        source = " ".join(a.text for a in figure.layout.annotations).replace("<br>", " ")
        assert "Quelle:" in source and "Datei" in source and "Stand" in source, key
        assert figure.layout.separators == ",."
    assert "12511-01-01-4" in " ".join(a.text for a in charts["einbuergerungen"].layout.annotations)


# ---- newer table in the user directory ------------------------------------------------------

def _newer_12511(user: Path) -> Path:
    """The shipped 12511-01-01-4 with an extra year 2017 for 08118 (as a newer export)."""
    text = (SHIPPED / "12511-01-01-4.csv").read_bytes().decode("latin-1")
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("2016;DG;"))
    lines.insert(first, "2017;08118;      Ludwigsburg, Landkreis;1001;60;30;120;-;789;2\r")
    path = user / "12511-01-01-4_Stand2017.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    return path


def test_newer_user_table_replaces_the_shipped_one(_isolated):
    path = _newer_12511(_isolated)
    frame = integ.kreis_indicators()
    assert _value(frame, "einbuergerungen", 2017) == 1001
    rows = frame.filter(pl.col("table") == "12511-01-01-4")
    assert set(rows.get_column("file")) == {path.name}
    assert set(rows.get_column("stand")) == {"2017"}
    used = integ.sources_used().filter(pl.col("table") == "12511-01-01-4").row(0, named=True)
    assert used["file"] == path.name and used["origin"] == "Nutzerverzeichnis"
    assert used["stand"] == "2017"
    title = fig.einbuergerungen_chart(frame).layout.title.text
    assert title.endswith("2011–2017 (Stand 2017)")
    # the other tables stay the shipped ones
    other = integ.sources_used().filter(pl.col("table") == "13211-01-03-4").row(0, named=True)
    assert other["origin"] == "mitgeliefert"


def _render_section(monkeypatch, ctx) -> tuple[str, list]:
    from workbench.reports import context, integration_section

    html_parts: list[str] = []
    figures: list = []
    monkeypatch.setattr(context, "_display_html", html_parts.append)
    monkeypatch.setattr(integration_section, "show_figure", lambda c, f: figures.append(f))
    integration_section.kreis_integrationsindikatoren(ctx)
    return "\n".join(html_parts), figures


def test_section_names_the_file_it_used(_isolated, monkeypatch):
    from workbench.reports.context import ReportContext

    path = _newer_12511(_isolated)
    ctx = ReportContext(ags="08118", name="Landkreis Ludwigsburg", berichtsjahr=2025,
                        kind="kreis")
    text, figures = _render_section(monkeypatch, ctx)
    assert "Integrationsindikatoren des Landkreises" in text
    assert path.name in text and "Nutzerverzeichnis" in text
    assert f"Neuere Tabelle 12511-01-01-4 aus dem Nutzerverzeichnis verwendet: {path.name} " \
           "(Stand 2017)" in text
    assert "13211-01-03-4_00.csv" in text
    assert "enden 2015/2016" in text  # never suggested as current
    assert any("Stand 2017" in f.layout.title.text for f in figures)
    assert any(k.startswith("integration:12511-01-01-4") for k in ctx.sources_used)
    if _azr_available():
        assert "Ausländerzentralregister" in text and "Bevölkerungsfortschreibung" in text
        assert integ.CONCEPT_NOTE.split(":")[0] in text
        assert "118.840" in text and "107.946" in text


def test_section_rows_for_datenquellen():
    from workbench.reports.integration_section import source_row

    row = source_row("integration:12511-01-01-4:Regionaldatenbank", "2016 (Datei x.csv)")
    assert row[0] == "Regionaldatenbank 12511-01-01-4" and "Einbürgerungsstatistik" in row[1]
    assert source_row("zensus2022", "x") is None


# ---- dashboard tab ----------------------------------------------------------------------------

def test_dashboard_tab_builds_lazily():
    from workbench.dashboards.integration_tab import KreisIntegrationTab

    tab = KreisIntegrationTab()
    assert not tab.built and len(tab.widget.children) == 1  # placeholder only
    tab.build()
    assert tab.built
    assert {"einbuergerungen", "arbeitslose", "sgb2", "svb", "asyl"} <= set(tab.charts)
    for key, chart in tab.charts.items():
        annotations = chart.figure["layout"].get("annotations", [])
        assert any("Quelle" in a.get("text", "") for a in annotations), key
        assert chart.figure["config"]["displaylogo"] is False
    html = " ".join(getattr(c, "value", "") for c in tab.widget.children)
    assert "Verwendete Dateien" in html and "12511-01-01-4.csv" in html
    assert "enden 2015/2016" in html
    if _azr_available():
        assert 'data-testid="azr"' in html and "118.840" in html and "107.946" in html


def test_auslaenderanteil_dashboard_has_the_kreis_tab():
    from workbench.dashboards import AuslaenderanteilDashboard
    from workbench.dashboards.integration_tab import TAB_TITLE

    aus = AuslaenderanteilDashboard()
    assert aus.tabs.titles[1] == TAB_TITLE == "Integrationsindikatoren (Kreis)"
    assert not aus.kreis_tab.built  # first screen: nothing of the tab is computed
    assert aus.tabs.selected_index == 0
    aus.tabs.selected_index = 1
    assert aus.kreis_tab.built and aus.kreis_tab.charts
    aus.select("08118063")  # the municipality part keeps working
    assert aus.ags == "08118063"
