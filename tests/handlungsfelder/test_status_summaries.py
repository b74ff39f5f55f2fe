"""Honest status summaries: every indicator counted, statuses explained, qualitative goals
assessed (audited, versioned), Zielwerte set in the store, trends of counts without target,
status colours distinguishable and readable (issue 12, item 1)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import sqlite3

import polars as pl
import pytest

from workbench import catalogue as cat
from workbench import progress as pr
from workbench.exceptions import DataValidationError
from workbench.figures import STATUS_COLOURS, STATUS_PATTERNS
from workbench.observation import Observation
from workbench.store import ObservationStore

D = dt.date
AS_OF = D(2026, 6, 30)
QUAL = "turnier-berichte"          # sachsenheim, qualitativ
COUNT = "anzahl-sprachkurse"       # sachsenheim, anzahl, no catalogue target
PERSONS = "teilnehmende-a2"        # sachsenheim, anzahl, personenbezogen


@pytest.fixture
def store(tmp_path) -> ObservationStore:
    s = ObservationStore(tmp_path / "messwerte.sqlite")
    yield s
    s.close()


def sachsenheim() -> pl.DataFrame:
    return cat.indicators_frame(cat.load_catalogue("sachsenheim"), closed=False)


def progress_of(store: ObservationStore, as_of: dt.date = AS_OF) -> pl.DataFrame:
    return pr.indicator_progress(sachsenheim(), store.current("sachsenheim"), as_of,
                                 targets=store.targets("sachsenheim"),
                                 assessments=store.assessments("sachsenheim"))


def row(p: pl.DataFrame, indicator_id: str) -> dict:
    return p.filter(pl.col("indicator_id") == indicator_id).row(0, named=True)


# -- roll-ups count everything -------------------------------------------------------------

def test_sachsenheim_rollup_counts_all_indicators(store):
    store.record(Observation("sachsenheim", COUNT, D(2025, 12, 31), 4, entered_by="t", source="q"))
    store.record(Observation("sachsenheim", "rahmenkonzept-sprachkurse", D(2025, 12, 31), 1,
                             entered_by="t", source="q"))
    p = progress_of(store)
    hf = pr.rollup_handlungsfelder(p)
    assert hf["n_indicators"].sum() == p.height == 32
    # every indicator lands in exactly one status column
    assert (hf.select(list(pr.STATUSES)).sum_horizontal() == hf["n_indicators"]).all()
    sprache = hf.filter(pl.col("handlungsfeld_id") == "sprache-bildung").row(0, named=True)
    assert sprache["summary"] == ("9 Indikatoren: 1 erreicht, 0 im Plan, 0 gefährdet, "
                                  "0 verzögert, 7 keine Daten, 1 ohne Zielwert")
    # the share's base is all 9, not the 1 judged indicator
    assert sprache["share_on_track"] == pytest.approx(1 / 9)
    total = pr.rollup_traeger(p).row(0, named=True)
    assert total["n_indicators"] == 32 and "2 noch nicht bewertet" in total["summary"]
    overview = pr.status_overview(p)
    assert overview["im Plan oder erreicht (von allen Indikatoren)"][0] == "1 von 9"


def test_every_status_is_explained_with_what_to_do():
    assert set(pr.STATUS_EXPLANATIONS) == set(pr.STATUSES)
    assert "Zielwert festlegen" in pr.STATUS_EXPLANATIONS["ohne Zielwert"]
    assert "Messwerte erfassen" in pr.STATUS_EXPLANATIONS["keine Daten"]
    assert "Excel-Vorlage" in pr.STATUS_EXPLANATIONS["keine Daten"]
    assert "bewerten" in pr.STATUS_EXPLANATIONS["noch nicht bewertet"]
    for text in pr.STATUS_EXPLANATIONS.values():
        assert "workbench " not in text  # no operator commands


# -- assessments ----------------------------------------------------------------------------

def test_assessment_sets_status_with_audit_and_versions(store):
    assert row(progress_of(store), QUAL)["status"] == "noch nicht bewertet"
    v1 = store.record_assessment("sachsenheim", QUAL, D(2026, 3, 12), "teilweise erreicht",
                                 "Zwei von vier Turnieren mit Bericht", assessed_by="K. Koordi")
    r = row(progress_of(store), QUAL)
    assert v1 == 1
    assert r["status"] == "bewertet: teilweise erreicht"
    assert r["status_reason"] == ("bewertet: teilweise erreicht (12.03.2026, Begründung: Zwei "
                                  "von vier Turnieren mit Bericht; bewertet von K. Koordi)")
    assert (r["assessment_by"], r["assessment_version"]) == ("K. Koordi", 1)
    v2 = store.record_assessment("sachsenheim", QUAL, D(2026, 5, 2), "erreicht",
                                 "Alle Turniere dokumentiert", assessed_by="L. Leitung")
    hist = store.assessments("sachsenheim", QUAL)
    assert v2 == 2 and hist["version"].to_list() == [1, 2]
    assert hist["rating"].to_list() == ["teilweise erreicht", "erreicht"]  # old one kept
    assert hist["entered_at"].dtype == pl.Datetime("us", "UTC")
    assert row(progress_of(store), QUAL)["status"] == "bewertet: erreicht"
    # evaluated before the second assessment: the first one counts
    assert row(progress_of(store, D(2026, 4, 1)), QUAL)["status"] == \
        "bewertet: teilweise erreicht"


def test_assessment_validation_is_german_and_tied_to_fields(store):
    with pytest.raises(DataValidationError) as err:
        store.record_assessment("sachsenheim", COUNT, D(2026, 3, 1), "super", "",
                                assessed_by="")
    columns = {p.column for p in err.value.problems}
    assert {"Bewertung", "Begründung", "Bewertet von"} <= columns
    assert any("qualitativen Indikator" in p.expected for p in err.value.problems)
    assert store.assessments().height == 0


# -- Zielwerte ------------------------------------------------------------------------------

def test_target_set_in_store_drives_progress_with_note(store):
    store.record(Observation("sachsenheim", COUNT, D(2025, 12, 31), 4, entered_by="t", source="q"))
    assert row(progress_of(store), COUNT)["status"] == "ohne Zielwert"
    assert store.set_target("sachsenheim", COUNT, 8, set_by="K. Koordi",
                            comment="Gemeinderatsbeschluss") == 1
    r = row(progress_of(store), COUNT)
    today = dt.datetime.now(dt.UTC).date()
    assert r["target"] == 8.0 and r["target_catalogue"] is None
    assert r["target_note"] == f"Zielwert festgelegt am {today:%d.%m.%Y} von K. Koordi"
    assert r["status"] == "verzögert"  # judged now: 4 of 8, kurzfristig = due 31.12.2025
    assert r["progress_pct"] == pytest.approx(50.0)
    assert store.set_target("sachsenheim", COUNT, 4, set_by="L. Leitung",
                            comment="Ziel angepasst") == 2
    assert row(progress_of(store), COUNT)["status"] == "erreicht"
    assert store.target_history("sachsenheim", COUNT)["target"].to_list() == [8.0, 4.0]


def test_stored_target_supersedes_catalogue_and_both_stay_visible():
    ind = sachsenheim().filter(pl.col("indicator_id") == COUNT).with_columns(
        pl.lit(10.0).alias("target"), pl.lit(True).alias("target_assumed"))
    targets = pl.DataFrame([{"traeger_id": "sachsenheim", "indicator_id": COUNT, "target": 6.0,
                             "version": 1, "set_by": "A", "comment": "c",
                             "set_at": dt.datetime(2026, 3, 12, tzinfo=dt.UTC)}],
                           schema=pr.TARGET_SCHEMA)
    r = pr.apply_targets(ind, targets).row(0, named=True)
    assert (r["target"], r["target_catalogue"], r["target_source"]) == (6.0, 10.0, "festgelegt")
    assert r["target_note"] == ("Zielwert festgelegt am 12.03.2026 von A (ersetzt den "
                                "angenommenen Katalogwert 10)")
    assert r["target_assumed"] is False
    plain = pr.apply_targets(ind, None).row(0, named=True)
    assert (plain["target"], plain["target_assumed"], plain["target_source"]) == \
        (10.0, True, "Katalog")


def test_target_validation_messages(store):
    with pytest.raises(DataValidationError) as err:
        store.set_target("sachsenheim", COUNT, 2.5, set_by="", comment="")
    by_column = {p.column: p.expected for p in err.value.problems}
    assert by_column["Zielwert"] == "eine Anzahl (ganze Zahl ≥ 0)"
    assert by_column["Festgelegt von"] == "nicht leer" and by_column["Begründung"] == "nicht leer"
    with pytest.raises(DataValidationError):
        store.set_target("sachsenheim", QUAL, 3, set_by="a", comment="b")
    assert store.targets().height == 0


def test_new_tables_refuse_update_and_delete(store):
    store.set_target("sachsenheim", COUNT, 8, set_by="a", comment="b")
    store.record_assessment("sachsenheim", QUAL, D(2026, 3, 12), "erreicht", "ok",
                            assessed_by="a")
    with sqlite3.connect(store.path) as conn:
        for sql in ("UPDATE target SET value = 1", "DELETE FROM target",
                    "UPDATE assessment SET rating = 'erreicht'", "DELETE FROM assessment"):
            with pytest.raises(sqlite3.IntegrityError, match="unveränderlich"):
                conn.execute(sql)
        with pytest.raises(sqlite3.IntegrityError, match="lückenlos"):
            conn.execute("INSERT INTO target (traeger_id, indicator_id, value, version, set_by,"
                         " set_at, comment) VALUES ('sachsenheim', ?, 1, 5, 'a', 'x', 'c')",
                         (COUNT,))
    assert store.target_history()["target"].to_list() == [8.0]
    assert store.assessments()["rating"].to_list() == ["erreicht"]


# -- trend of counts without target ---------------------------------------------------------

def test_trend_direction_in_words_for_count_without_target(store):
    store.record(Observation("sachsenheim", COUNT, D(2024, 12, 31), 12, entered_by="t", source="q"))
    store.record(Observation("sachsenheim", COUNT, D(2025, 12, 31), 15, entered_by="t", source="q"))
    r = row(progress_of(store), COUNT)
    assert (r["status"], r["trend"]) == ("ohne Zielwert", "gestiegen")
    assert r["trend_text"] == "↑ gestiegen: 15 am 31.12.2025, vorher 12 am 31.12.2024"
    assert r["trend_text"] in r["status_reason"]
    store.record(Observation("sachsenheim", COUNT, D(2026, 3, 31), 15, entered_by="t", source="q"))
    assert row(progress_of(store), COUNT)["trend_text"].startswith("→ unverändert: 15")


def test_trend_text_suppresses_small_person_counts(store):
    store.record(Observation("sachsenheim", PERSONS, D(2024, 12, 31), 2, entered_by="t",
                             source="q"))
    store.record(Observation("sachsenheim", PERSONS, D(2025, 12, 31), 9, entered_by="t",
                             source="q"))
    assert row(progress_of(store), PERSONS)["trend_text"] == \
        "↑ gestiegen: 9 am 31.12.2025, vorher . am 31.12.2024"


# -- colours --------------------------------------------------------------------------------

def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _lab(hex_colour: str) -> tuple[float, float, float]:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_status_colours_contrast_and_distinguishable():
    assert set(STATUS_COLOURS) == set(pr.STATUSES) == set(STATUS_PATTERNS)
    for status, colour in STATUS_COLOURS.items():
        assert 1.05 / (_luminance(colour) + 0.05) >= 3.0, status
    for a, b in itertools.combinations(STATUS_COLOURS, 2):
        assert math.dist(_lab(STATUS_COLOURS[a]), _lab(STATUS_COLOURS[b])) >= 15, (a, b)
    assert STATUS_PATTERNS["keine Daten"] != STATUS_PATTERNS["ohne Zielwert"]
    assert STATUS_PATTERNS["keine Daten"] and STATUS_PATTERNS["ohne Zielwert"]


def test_status_table_export_explains_each_row(store):
    store.record(Observation("sachsenheim", COUNT, D(2024, 12, 31), 12, entered_by="t", source="q"))
    store.record(Observation("sachsenheim", COUNT, D(2025, 12, 31), 10, entered_by="t", source="q"))
    table = pr.status_table(progress_of(store))
    count = table.filter(pl.col("Status") == "ohne Zielwert").row(0, named=True)
    assert count["Einzelheiten"].endswith("↓ gesunken: 10 am 31.12.2025, vorher 12 am "
                                          "31.12.2024")
    assert count["Erläuterung"] == pr.STATUS_EXPLANATIONS["ohne Zielwert"]
    assert set(table["Erläuterung"]) >= {pr.STATUS_EXPLANATIONS["keine Daten"]}
