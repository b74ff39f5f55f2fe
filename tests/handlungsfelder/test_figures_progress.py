"""Progress figures: provenance, example labels, suppression, geometry matching the data."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import catalogue as cat
from workbench import examples as ex
from workbench import progress as pr
from workbench.figures import STATUS_COLOURS
from workbench.figures import progress as fp

AS_OF = dt.date(2026, 11, 21)
MS_PER_DAY = 86_400_000


@pytest.fixture(scope="module")
def data():
    catalogues = ex.example_catalogues()
    obs = ex.generate_examples(AS_OF)
    return catalogues, obs, pr.indicator_progress(catalogues, obs, AS_OF)


def source_of(fig) -> str:
    texts = [a.text for a in fig.layout.annotations if a.text and a.text.startswith("Quelle:")]
    assert len(texts) == 1
    return texts[0]


def test_status_overview_counts_and_labels(data):
    catalogues, _, p = data
    ps = p.filter(pl.col("traeger_id") == "sachsenheim")
    fig = fp.status_overview_chart(ps, catalogue=catalogues["sachsenheim"])
    expected = {(r["handlungsfeld"], r["status"]): r["len"]
                for r in ps.group_by("handlungsfeld", "status").len().iter_rows(named=True)}
    got = {}
    for trace in fig.data:
        assert trace.marker.color == STATUS_COLOURS[trace.name]
        for y, x in zip(trace.y, trace.x, strict=True):
            if x:
                got[(y.replace("<br>", " "), trace.name)] = x
    assert got == expected
    src = source_of(fig).replace("<br>   ", " ")
    assert src.startswith("Quelle: Integrationskonzept Sachsenheim (11/2024)")
    assert "Annahme, nicht aus der Quelle: Beginn aller Maßnahmen am 01.01.2025" in src
    assert "Beispieldaten" in src and "Stand: 21.11.2026" in src
    assert fig.layout.separators == ",."


def test_no_example_label_for_real_values(data):
    catalogues, obs, _ = data
    real = obs.filter(pl.col("traeger_id") == "sachsenheim").with_columns(
        pl.lit(False).alias("is_example"))
    p = pr.indicator_progress(catalogues["sachsenheim"], real, AS_OF)
    assert "Beispieldaten" not in source_of(fp.status_overview_chart(p))


def test_progress_bars_suppress_small_person_counts(data):
    _, _, p = data
    rows = p.filter(pl.col("traeger_id") == "beispiel-moeglingen")
    # Make one person-count indicator with a target show the value 2: its bar must vanish.
    target_row = rows.filter(pl.col("about_persons") & pl.col("target").is_not_null()).row(
        0, named=True)
    small = pr.indicator_progress(
        cat.load_catalogue("beispiel-moeglingen"),
        pl.DataFrame([{"traeger_id": "beispiel-moeglingen", "indicator_id":
                       target_row["indicator_id"], "period": dt.date(2026, 6, 30),
                       "value": 2.0, "note": None, "version": 1, "entered_by": "t",
                       "entered_at": None, "source": "t", "comment": "", "is_example": True}],
                     schema=pr.OBSERVATION_SCHEMA),
        AS_OF,
    ).filter(pl.col("indicator_id") == target_row["indicator_id"])
    fig = fp.indicator_progress_chart(small)
    bar = fig.data[0]
    assert bar.x[0] == 0
    assert "Wert ." in bar.text[0] and "%" not in bar.text[0].split("·")[0]
    assert "unterdrückt" in source_of(fig)
    # unsuppressed (analyst view) shows the number
    raw = fp.indicator_progress_chart(small, suppress=False)
    assert raw.data[0].x[0] == pytest.approx(small["progress_display_pct"][0])
    assert "Wert 2" in raw.data[0].text[0]


def test_progress_bars_colours_and_clipping(data):
    _, _, p = data
    rows = p.filter(pl.col("traeger_id") == "landkreis")
    fig = fp.indicator_progress_chart(rows, suppress=False)
    bar = fig.data[0]
    assert list(bar.marker.color) == [STATUS_COLOURS[s] for s in rows["status"]]
    assert max(bar.x) <= 100
    for text, status in zip(bar.text, rows["status"], strict=True):
        assert status in text


def test_timeseries_has_target_due_and_only_past_values(data):
    _, obs, p = data
    row = p.filter((pl.col("traeger_id") == "beispiel-moeglingen")
                   & (pl.col("indicator_id") == "vermittelte-stellen")).row(0, named=True)
    fig = fp.indicator_timeseries_chart(obs, row, as_of=dt.date(2026, 1, 1))
    line = fig.data[0]
    expected = obs.filter((pl.col("traeger_id") == "beispiel-moeglingen")
                          & (pl.col("indicator_id") == "vermittelte-stellen")
                          & (pl.col("period") <= dt.date(2026, 1, 1))).sort("period")
    assert list(line.y) == expected["value"].to_list()
    shapes_y = [s.y0 for s in fig.layout.shapes if s.y0 == s.y1 and s.yref == "y"]
    assert row["target"] in shapes_y
    assert any(s.x0 == row["due"].isoformat() for s in fig.layout.shapes)
    assert "Stand: 01.01.2026" in source_of(fig)


def test_zeitplan_bars_match_rule_and_evaluations(data):
    catalogues, _, _ = data
    c = catalogues["sachsenheim"]
    fig = fp.zeitplan_chart(c, as_of=AS_OF)
    bars = [(b, length) for t in fig.data for b, length in zip(t.base, t.x, strict=True)]
    assert len(bars) == 10
    m1 = c.handlungsfelder[0].massnahmen[0]
    start, due = c.massnahme_dates(m1)
    assert bars[0] == (start.isoformat(), ((due - start).days + 1) * MS_PER_DAY)
    assert bars[0][1] == 365 * MS_PER_DAY  # kurzfristig: 2025-01-01 … 2025-12-31
    vlines = {s.x0 for s in fig.layout.shapes if s.x0 == s.x1}
    assert {"2026-12-31", "2028-12-31", "2029-12-31"} <= vlines
    assert "Stand: 21.11.2026" in source_of(fig)


def test_evaluation_chart_counts(data):
    catalogues, obs, _ = data
    current = cat.indicators_frame(catalogues["ludwigsburg"], closed=False)
    snap = pr.evaluation_snapshot(current, obs, dt.date(2025, 12, 31), AS_OF)
    fig = fp.evaluation_chart(snap, catalogue=catalogues["ludwigsburg"])
    total = sum(sum(t.x) for t in fig.data)
    assert total == 2 * snap.height
    src = source_of(fig).replace("<br>   ", " ")
    better = int((snap["status_change"] == "verbessert").sum())
    assert f"{better} verbessert" in src and "Beispieldaten" in src
    # Only the current Maßnahme's document; the assumed schedule is named as such.
    assert "167/15" not in src.split("Annahme")[0]
    assert "Annahme, nicht aus der Quelle: Monitoringzeitraum 2025–2029" in src
