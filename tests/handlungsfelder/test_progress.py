"""Progress metrics and status rules on hand-checkable examples.

Dates are chosen so the linear plan gives round numbers: start 2025-01-01, due 2027-01-01
(730 days); on 2026-01-01 exactly 365/730 = 50 % of the time has elapsed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench import catalogue as cat
from workbench import progress as pr

D = dt.date
START, DUE, HALF = D(2025, 1, 1), D(2027, 1, 1), D(2026, 1, 1)


def indicator(ind_id: str = "i", **kw) -> dict:
    row = dict.fromkeys(cat.INDICATOR_SCHEMA)
    row.update(
        traeger_id="t", traeger_name="T", is_example_catalogue=False, handlungsfeld_id="hf",
        handlungsfeld="HF", massnahme_id="m", massnahme_nr=1, massnahme="M",
        zeitrahmen="mittelfristig", start=START, due=DUE, indicator_id=ind_id, indicator=ind_id,
        kind="anzahl", unit="Personen", direction="hoeher_besser", period_basis="stand",
        baseline=None, baseline_date=None, target=None, about_persons=False, source="Q",
    )
    row.update(kw)
    return row


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=cat.INDICATOR_SCHEMA, orient="row")


def obs(*rows: tuple, traeger: str = "t", example: bool = False) -> pl.DataFrame:
    """rows: (indicator_id, period, value[, note])."""
    out = []
    for r in rows:
        ind, period, value, note = (*r, None) if len(r) == 3 else r
        out.append({"traeger_id": traeger, "indicator_id": ind, "period": period,
                    "value": value, "note": note, "version": 1, "entered_by": "test",
                    "entered_at": dt.datetime(2026, 1, 1), "source": "Test", "comment": "",
                    "is_example": example})
    return pl.DataFrame(out, schema=pr.OBSERVATION_SCHEMA, orient="row")


def one(ind: dict, observations: pl.DataFrame, as_of: dt.date, **kw) -> dict:
    return pr.indicator_progress(frame(ind), observations, as_of, **kw).row(0, named=True)


def test_expected_progress_is_linear_and_clipped():
    assert pr.expected_progress(START, DUE, HALF) == 0.5
    assert pr.expected_progress(START, DUE, D(2024, 6, 1)) == 0.0
    assert pr.expected_progress(START, DUE, D(2028, 1, 1)) == 1.0
    assert pr.expected_progress(START, START, START) == 1.0


@pytest.mark.parametrize(
    ("value", "status", "progress_pct", "display"),
    [
        (20.0, "im Plan", 50.0, 50.0),     # (20-10)/(30-10) = 0.5 = expected
        (18.0, "im Plan", 40.0, 40.0),     # 0.4 = expected 0.5 - tolerance 0.1 (boundary)
        (16.0, "gefährdet", 30.0, 30.0),   # 0.3 < 0.4
        (30.0, "erreicht", 100.0, 100.0),
        (35.0, "erreicht", 125.0, 100.0),  # raw kept, display clipped
        (5.0, "gefährdet", -25.0, 0.0),    # worse than baseline
    ],
)
def test_status_hoeher_besser(value, status, progress_pct, display):
    ind = indicator(baseline=10.0, target=30.0)
    r = one(ind, obs(("i", D(2025, 12, 31), value)), HALF)
    assert r["status"] == status
    assert r["progress_pct"] == pytest.approx(progress_pct)
    assert r["progress_display_pct"] == pytest.approx(display)
    assert r["expected_pct"] == pytest.approx(50.0)
    assert r["change"] == value - 10.0
    assert (r["baseline_used"], r["baseline_source"]) == (10.0, "Katalog")


def test_past_due_not_reached_is_verzoegert_and_reached_stays_erreicht():
    ind = indicator(baseline=10.0, target=30.0)
    late = D(2027, 2, 1)
    assert one(ind, obs(("i", D(2027, 1, 1), 29.0)), late)["status"] == "verzögert"
    assert one(ind, obs(("i", D(2027, 1, 1), 31.0)), late)["status"] == "erreicht"
    # on the due date itself it is not yet overdue
    assert one(ind, obs(("i", D(2026, 12, 31), 29.0)), DUE)["status"] == "im Plan"


def test_niedriger_besser_progress_is_direction_aware():
    ind = indicator(direction="niedriger_besser", baseline=100.0, target=60.0)
    r = one(ind, obs(("i", HALF, 80.0)), HALF)
    assert (r["progress_pct"], r["status"], r["change"]) == (50.0, "im Plan", -20.0)
    assert one(ind, obs(("i", HALF, 55.0)), HALF)["status"] == "erreicht"
    worse = one(ind, obs(("i", HALF, 110.0)), HALF)
    assert (worse["progress_pct"], worse["status"]) == (-25.0, "gefährdet")


def test_latest_value_as_of_ignores_later_observations_and_uses_greatest_period():
    ind = indicator(baseline=0.0, target=10.0)
    o = obs(("i", D(2025, 6, 30), 2.0), ("i", D(2025, 12, 31), 5.0), ("i", D(2026, 6, 30), 9.0))
    r = one(ind, o, HALF)
    assert (r["latest_period"], r["latest_value"], r["n_values"]) == (D(2025, 12, 31), 5.0, 2)
    latest = pr.latest_values(o, HALF)
    assert latest.height == 1 and latest["value"][0] == 5.0


def test_missing_baseline_rules():
    # count with target: counting starts at 0
    r = one(indicator(target=8.0), obs(("i", HALF, 4.0)), HALF)
    assert (r["baseline_used"], r["progress_pct"], r["status"]) == (0.0, 50.0, "im Plan")
    # no target: change against the first observed value, status ohne Zielwert
    r = one(indicator(), obs(("i", D(2025, 6, 30), 3.0), ("i", HALF, 7.0)), HALF)
    assert (r["status"], r["change"], r["progress"]) == ("ohne Zielwert", 4.0, None)
    assert r["baseline_source"].startswith("erster Messwert")


def test_keine_daten_and_ohne_zielwert_and_qualitativ():
    assert one(indicator(target=5.0), obs(), HALF)["status"] == "keine Daten"
    assert one(indicator(), obs(), HALF)["status"] == "keine Daten"
    q = one(indicator(kind="qualitativ"), obs(("i", HALF, None, "Bericht im Amtsblatt")), HALF)
    # qualitative Soll-Zustand: rated, never "ohne Zielwert"
    assert (q["status"], q["latest_note"]) == ("noch nicht bewertet", "Bericht im Amtsblatt")


def test_milestones():
    ms = indicator(kind="meilenstein", unit=None)
    assert one(ms, obs(("i", D(2025, 9, 30), 1.0)), HALF)["status"] == "erreicht"
    open_ = one(ms, obs(("i", D(2025, 9, 30), 0.0)), HALF)
    assert (open_["status"], open_["progress_pct"], open_["expected_pct"]) == (
        "im Plan", 0.0, 50.0)
    assert one(ms, obs(("i", D(2025, 9, 30), 0.0)), D(2027, 3, 1))["status"] == "verzögert"
    assert one(ms, obs(), D(2027, 3, 1))["status"] == "keine Daten"


def test_annual_target():
    # Newsletter: 2 per year, laufend 2025-2029. Value = issues so far in the calendar year.
    news = indicator(period_basis="jahr", target=2.0, start=D(2025, 1, 1), due=D(2029, 12, 31))
    # 30 June: 180 of 364 days of the year → expected 49.5 %; 1 of 2 = 50 % → im Plan
    r = one(news, obs(("i", D(2025, 6, 30), 1.0)), D(2025, 7, 15))
    assert r["status"] == "im Plan"
    assert r["expected_pct"] == pytest.approx(100 * 180 / 364)
    # year over with 1 issue: the 2025 target was missed, even before 2026 data arrives
    r = one(news, obs(("i", D(2025, 12, 31), 1.0)), D(2026, 3, 1))
    assert (r["status"], r["status_reason"]) == ("verzögert",
                                                 "Jahresziel 2025 bis 31.12.2025 nicht erreicht")
    assert one(news, obs(("i", D(2025, 12, 31), 2.0)), D(2026, 3, 1))["status"] == "erreicht"
    # new year, nothing yet by 30 June → behind
    o = obs(("i", D(2025, 12, 31), 2.0), ("i", D(2026, 6, 30), 0.0))
    assert one(news, o, D(2026, 7, 1))["status"] == "gefährdet"


def test_is_example_carried():
    ind = indicator(target=4.0)
    assert one(ind, obs(("i", HALF, 1.0), example=True), HALF)["is_example"] is True
    assert one(ind, obs(("i", HALF, 1.0)), HALF)["is_example"] is False


def test_rollups_count_worst_and_share():
    rows = [indicator(f"i{k}", massnahme_id=m, handlungsfeld_id=hf, handlungsfeld=hf.upper(),
                      target=10.0, baseline=0.0)
            for k, (m, hf) in enumerate([("m1", "a"), ("m1", "a"), ("m2", "a"), ("m3", "b")])]
    rows.append(indicator("i4", massnahme_id="m3", handlungsfeld_id="b", handlungsfeld="B"))
    o = obs(("i0", HALF, 10.0),  # erreicht
            ("i1", HALF, 5.0),   # im Plan (50 % = expected)
            ("i2", HALF, 1.0),   # gefährdet
            ("i3", HALF, 6.0),   # im Plan
            ("i4", HALF, 3.0))   # ohne Zielwert
    p = pr.indicator_progress(frame(*rows), o, HALF)
    assert p["status"].to_list() == ["erreicht", "im Plan", "gefährdet", "im Plan",
                                     "ohne Zielwert"]
    hf = pr.rollup_handlungsfelder(p).sort("handlungsfeld_id")
    a, b = hf.row(0, named=True), hf.row(1, named=True)
    assert (a["n_indicators"], a["erreicht"], a["im Plan"], a["gefährdet"]) == (3, 1, 1, 1)
    assert a["worst_status"] == "gefährdet"
    assert a["share_on_track"] == pytest.approx(2 / 3)
    # base = ALL indicators: 1 im Plan of 2 (the one without target counts too)
    assert (b["worst_status"], b["share_on_track"], b["ohne Zielwert"]) == ("im Plan", 0.5, 1)
    assert b["summary"] == ("2 Indikatoren: 0 erreicht, 1 im Plan, 0 gefährdet, 0 verzögert, "
                            "0 keine Daten, 1 ohne Zielwert")
    m = pr.rollup_massnahmen(p)
    assert m["massnahme_id"].to_list() == ["m1", "m2", "m3"]
    assert m.filter(pl.col("massnahme_id") == "m1")["worst_status"].item() == "im Plan"
    only_neutral = pr.rollup(p.filter(pl.col("status") == "ohne Zielwert"), ["traeger_id"])
    assert only_neutral["share_on_track"].item() == 0.0  # 0 of 1, never "100 %" of nothing


def test_evaluation_snapshot_compares_two_dates():
    rows = [indicator("a", baseline=0.0, target=10.0), indicator("b", baseline=0.0, target=10.0),
            indicator("c", kind="meilenstein")]
    o = obs(("a", D(2025, 6, 30), 1.0), ("a", D(2026, 12, 1), 10.0),   # gefährdet → erreicht
            ("b", D(2025, 6, 30), 5.0), ("b", D(2026, 12, 1), 5.0),    # im Plan → gefährdet
            ("c", D(2026, 12, 1), 0.0))                                 # keine Daten → im Plan
    snap = pr.evaluation_snapshot(frame(*rows), o, D(2025, 7, 1), D(2026, 12, 31))
    got = {r["indicator_id"]: (r["status_a"], r["status_b"], r["status_change"], r["change"])
           for r in snap.iter_rows(named=True)}
    assert got["a"] == ("gefährdet", "erreicht", "verbessert", 9.0)
    assert got["b"] == ("im Plan", "gefährdet", "verschlechtert", 0.0)
    assert got["c"][:3] == ("keine Daten", "im Plan", "verbessert")
    assert set(snap.columns) >= {"date_a", "date_b", "is_example", "latest_value_a"}


def test_shipped_catalogue_without_observations():
    p = pr.indicator_progress(cat.load_catalogue("sachsenheim"), pr.empty_observations(),
                              D(2026, 6, 30))
    assert p.height == 32 and set(p["status"]) == {"keine Daten", "noch nicht bewertet"}
    overview = pr.status_overview(p)
    assert overview["Handlungsfeld"].to_list()[0] == "Sprache und Bildung"
    assert overview["keine Daten"].sum() == 30
    assert overview["noch nicht bewertet"].sum() == 2
    assert overview["Indikatoren"].sum() == 32


def test_last_evaluation_date():
    c = cat.load_catalogue("sachsenheim")  # evaluations 31.12.2026, 31.12.2028, 31.12.2029
    assert pr.last_evaluation_date(c, D(2026, 6, 30)) == D(2025, 1, 1)
    assert pr.last_evaluation_date(c, D(2027, 3, 1)) == D(2026, 12, 31)
    assert pr.last_evaluation_date(c, D(2026, 12, 31)) == D(2025, 1, 1)
