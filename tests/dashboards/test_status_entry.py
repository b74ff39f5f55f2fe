"""Entry dashboard sets Zielwerte and assessments (versioned, validated in German, errors at
the field); the Handlungsfelder dashboard counts every indicator and explains the statuses."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from workbench import progress as pr
from workbench.dashboards import HandlungsfelderDashboard, MesswerteErfassenDashboard

COUNT, QUAL = "anzahl-sprachkurse", "turnier-berichte"


@pytest.fixture
def form(tmp_path, monkeypatch):
    # the local user is recorded (no typed names since issue 13)
    monkeypatch.setenv("WORKBENCH_USER", "K. Koordi")
    monkeypatch.delenv("WORKBENCH_REQUIRE_LOGIN", raising=False)
    d = MesswerteErfassenDashboard(store_path=tmp_path / "obs.sqlite")
    yield d
    d.store.close()


def test_entry_dashboard_sets_zielwert_with_field_errors_and_versions(form, tmp_path):
    form.indicator.value = COUNT
    assert form.target_box.layout.display == "" and form.assessment_box.layout.display == "none"
    form.target_value.value = "zwölf"
    assert form.submit_target() is None
    assert "keine Zahl" in form.target_errors["Zielwert"].value
    assert "nicht leer" in form.target_errors["Begründung"].value
    assert "Nicht gespeichert" in form.target_feedback.text
    assert form.target_feedback.invalid == ["zielwert", "zielwert-begruendung"]
    form.target_value.value = "2,5"
    form.target_comment.value = "Beschluss AG 1"
    assert form.submit_target() is None
    assert "ganze Zahl" in form.target_errors["Zielwert"].value
    form.target_value.value = "12"
    assert form.submit_target() == 1
    assert form.target_errors["Zielwert"].value == ""
    today = dt.datetime.now(dt.UTC).date()
    assert f"Zielwert 12 (festgelegt am {today:%d.%m.%Y} von K. Koordi)" in form.kind_hint.value
    form.target_value.value = "10"
    assert form.submit_target() == 2
    assert form.target_history.value.count("<tr>") == 3  # header + two versions
    # the Handlungsfelder dashboard uses the stored Zielwert and says who set it
    d = HandlungsfelderDashboard(as_of=dt.date(2026, 6, 30), store_path=form.store.path)
    row = d.progress.filter(d.progress["indicator_id"] == COUNT).row(0, named=True)
    assert row["target"] == 10.0 and "von K. Koordi" in row["target_note"]


def test_entry_dashboard_records_assessment(form):
    form.indicator.value = QUAL
    assert form.assessment_box.layout.display == "" and form.target_box.layout.display == "none"
    form.assessed_on.value = "31.02.2026"
    assert form.submit_assessment() is None
    assert "kein Datum" in form.assessment_errors["Bewertet am"].value
    assert "wählen" in form.assessment_errors["Bewertung"].value
    form.assessed_on.value = "12.03.2026"
    form.rating.value = "teilweise erreicht"
    form.justification.value = "Zwei von vier Turnieren mit Bericht"
    assert form.submit_assessment() == 1
    form.rating.value = "erreicht"
    assert form.submit_assessment() == 2
    assert form.assessment_history.value.count("<tr>") == 3
    assert form.store.assessments()["rating"].to_list() == ["teilweise erreicht", "erreicht"]


def test_handlungsfelder_dashboard_counts_all_and_explains(tmp_path):
    d = HandlungsfelderDashboard(as_of=dt.date(2026, 6, 30), store_path=tmp_path / "leer.sqlite")
    assert "Insgesamt 32 Indikatoren:" in d.summary.value
    assert "100 %" not in d.summary.value
    for status in set(d.progress["status"]):
        assert html.escape(pr.STATUS_EXPLANATIONS[status]) in d.legend.value
    assert "Zielwert festlegen" in d.legend.value
    assert not (tmp_path / "leer.sqlite").exists()  # reading never creates a store
