"""The value rules of workbench.observation, without a store or a file."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from workbench import catalogue, store
from workbench.observation import (
    KINDS,
    ImportRow,
    IndicatorSpec,
    Observation,
    date_problem,
    indicator_problem,
    observation_problems,
)

D = dt.date(2025, 12, 31)
SPECS = {
    "kurse": IndicatorSpec("kurse", "anzahl"),
    "quote": IndicatorSpec("quote", "anteil"),
    "konzept": IndicatorSpec("konzept", "meilenstein"),
    "bericht": IndicatorSpec("bericht", "qualitativ"),
}


def obs(indicator: str = "kurse", value: float | None = 3, note: str | None = None,
        **kw) -> Observation:
    kw.setdefault("entered_by", "Frau Maier")
    kw.setdefault("source", "VHS-Jahresbericht")
    return Observation("teststadt", indicator, D, value, note, **kw)


def test_observation_is_frozen_and_audit_fields_are_keyword_only():
    o = obs()
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.value = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        Observation("teststadt", "kurse", D, 3, None, "Frau Maier", "Bericht")  # type: ignore[misc]
    assert (o.comment, o.is_example) == ("", False)


def test_kinds_are_defined_once_by_the_catalogue():
    assert KINDS is catalogue.KINDS
    assert KINDS == ("anzahl", "anteil", "meilenstein", "qualitativ")
    assert not hasattr(store, "KINDS")


def test_a_complete_observation_has_no_problems():
    assert observation_problems(obs(), "x.sqlite") == []
    assert observation_problems(obs("bericht", None, "gut"), "x.sqlite") == []


def test_missing_fields_are_named_in_german():
    bad = Observation(" ", "", "2025-12-31", None, "  ", entered_by="", source="")  # type: ignore[arg-type]
    problems = observation_problems(bad, "x.sqlite")
    assert [(p.column, p.expected) for p in problems] == [
        ("Träger", "nicht leer"),
        ("Indikator-ID", "nicht leer"),
        ("Erfasst von", "nicht leer"),
        ("Quelle", "nicht leer"),
        ("Stichtag", "ein Datum (date)"),
        ("Wert", "ein Wert oder eine Notiz"),
    ]
    assert {p.file for p in problems} == {"x.sqlite"}


@pytest.mark.parametrize("value", [True, "3", dt.datetime(2025, 1, 1)])
def test_a_value_that_is_not_a_number_is_refused(value):
    problems = observation_problems(obs(value=value), "x")
    assert [(p.column, p.value, p.expected) for p in problems] == [
        ("Wert", repr(value), "eine Zahl")]


def test_a_datetime_is_not_a_stichtag():
    o = dataclasses.replace(obs(), period=dt.datetime(2025, 12, 31, 12))
    assert [p.column for p in observation_problems(o, "x")] == ["Stichtag"]


@pytest.mark.parametrize(("indicator", "value", "note", "expected"), [
    ("kurse", 2.5, None, "eine Anzahl (ganze Zahl ≥ 0)"),
    ("kurse", -1, None, "eine Anzahl (ganze Zahl ≥ 0)"),
    ("quote", 100.5, None, "einen Anteil in Prozent zwischen 0 und 100"),
    ("konzept", 2, None, "einen Meilenstein: 1/ja (erreicht) oder 0/nein (nicht erreicht)"),
    ("bericht", None, " ", "eine Notiz (qualitativer Indikator: Beschreibung in „Notiz“)"),
    ("kurse", float("inf"), None, "eine endliche Zahl"),
])
def test_values_must_fit_the_indicator_kind(indicator, value, note, expected):
    problem = indicator_problem(obs(indicator, value, note), SPECS, "x")
    assert problem is not None and problem.column == "Wert" and problem.expected == expected


def test_fitting_values_pass_and_are_quoted_german_when_not():
    assert indicator_problem(obs("quote", 12.5), SPECS, "x") is None
    assert indicator_problem(obs("konzept", 1), SPECS, "x") is None
    assert indicator_problem(obs("kurse", 2.5), SPECS, "x").value == "2,5"


def test_an_indicator_outside_the_catalogue_is_refused():
    problem = indicator_problem(obs("unbekannt"), SPECS, "x")
    assert problem is not None
    assert (problem.column, problem.value) == ("Indikator-ID", "unbekannt")
    assert problem.expected == "eine Indikator-ID aus dem Katalog von „teststadt“"


def test_stichtag_plausibility():
    assert date_problem(D) is None
    assert "Tippfehler im Jahr" in (date_problem(dt.date(1989, 12, 31)) or "")
    assert "Tippfehler im Jahr" in (date_problem(dt.date(dt.date.today().year + 2, 1, 1)) or "")


def test_import_row_carries_import_only_information_beside_the_observation():
    row = ImportRow(obs(), row=7, source_given=False)
    assert row.observation == obs() and row.row == 7 and not row.source_given
    assert not hasattr(row.observation, "source_given")
