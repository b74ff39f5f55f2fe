"""Rights are enforced where the write happens: the store (issue 13).

A Redaktion writes only its own Träger, Leitung and Analyse nothing, Kreis-Integration
everything; a refused write stores nothing, says in German who lacked which group, and leaves
an audit entry. Under the hub (WORKBENCH_REQUIRE_LOGIN) a write without a principal is refused.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.access import Principal, ambient_principal, local_principal
from workbench.exceptions import AccessDeniedError
from workbench.observation import Observation
from workbench.store import NOT_LOGGED_IN, ObservationStore

D = dt.date(2025, 12, 31)
EDITOR = Principal("e.mueller", frozenset({"traeger-sachsenheim"}))
LEITUNG = Principal("l.chef", frozenset({"leitung"}))
KREIS = Principal("k.koordi", frozenset({"kreis-integration"}))
ANALYSE = Principal("a.nalyst", frozenset({"analyse"}))
ADMIN = Principal("root.admin", frozenset({"admin"}))


def obs(traeger: str, value: float = 3, by: str = "getippter Name") -> Observation:
    return Observation(traeger, "anzahl-kurse", D, value, None, entered_by=by, source="Test")


@pytest.fixture
def store(tmp_path, monkeypatch):
    for name in ("WORKBENCH_REQUIRE_LOGIN", "WORKBENCH_PRINCIPAL_LOGIN",
                 "WORKBENCH_PRINCIPAL_GROUPS"):
        monkeypatch.delenv(name, raising=False)
    s = ObservationStore(tmp_path / "obs.sqlite", validate=False)
    yield s
    s.close()


@pytest.mark.parametrize(("principal", "sachsenheim", "ludwigsburg"), [
    (EDITOR, True, False),
    (LEITUNG, False, False),
    (KREIS, True, True),
    (ANALYSE, False, False),
    (ADMIN, False, False),
    (Principal("beides", frozenset({"analyse", "traeger-ludwigsburg"})), False, True),
])
def test_rights_table(principal, sachsenheim, ludwigsburg):
    assert principal.can_write("sachsenheim") is sachsenheim
    assert principal.can_write("ludwigsburg") is ludwigsburg


def test_editor_writes_own_traeger_and_the_login_is_recorded(store):
    assert store.record(obs("sachsenheim"), actor=EDITOR) == 1
    row = store.current("sachsenheim").row(0, named=True)
    # the typed name in the observation is not what the store keeps
    assert row["entered_by"] == "e.mueller"


def test_editor_refused_for_other_traeger_nothing_stored_and_audited(store):
    with pytest.raises(AccessDeniedError) as info:
        store.record(obs("ludwigsburg"), actor=EDITOR)
    text = str(info.value)
    assert "„e.mueller“ darf für den Träger „ludwigsburg“ nicht schreiben" in text
    assert "traeger-ludwigsburg" in text and "protokolliert" in text
    assert store.count() == 0
    audit = store.refused_writes()
    assert audit.height == 1
    row = audit.row(0, named=True)
    assert (row["login"], row["groups"], row["action"], row["traeger_id"]) == (
        "e.mueller", "traeger-sachsenheim", "Messwert", "ludwigsburg")
    assert "anzahl-kurse" in row["detail"]
    assert row["attempted_at"].tzinfo is not None


@pytest.mark.parametrize("principal", [LEITUNG, ANALYSE, ADMIN])
def test_readers_cannot_write_anything(store, principal):
    with pytest.raises(AccessDeniedError):
        store.record(obs("sachsenheim"), actor=principal)
    with pytest.raises(AccessDeniedError):
        store.set_target("sachsenheim", "anzahl-kurse", 5, set_by="x", comment="Beschluss",
                         actor=principal)
    with pytest.raises(AccessDeniedError):
        store.record_assessment("sachsenheim", "q", dt.date(2025, 1, 1), "erreicht", "weil",
                                assessed_by="x", actor=principal)
    assert store.count() == 0 and store.targets().height == 0
    assert store.assessments().height == 0
    assert store.refused_writes()["action"].to_list() == ["Messwert", "Zielwert", "Bewertung"]


def test_import_with_one_foreign_row_is_refused_whole(store):
    rows = [obs("sachsenheim", 1), obs("ludwigsburg", 2), obs("sachsenheim", 3)]
    with pytest.raises(AccessDeniedError):
        store.record_many(rows, batch={"file_name": "liste.xlsx"}, actor=EDITOR)
    assert store.count() == 0 and store.batches().height == 0
    audit = store.refused_writes().row(0, named=True)
    assert audit["action"] == "Messwerte-Import" and "3 Zeilen aus liste.xlsx" in audit["detail"]


def test_import_records_the_login_for_rows_and_batch(store):
    rows = [obs("sachsenheim", 1, by="Frau X"), obs("sachsenheim", 2, by="Herr Y")]
    store.record_many(rows, batch={"entered_by": "Frau X", "file_name": "a.csv"}, actor=KREIS)
    assert set(store.history("sachsenheim")["entered_by"]) == {"k.koordi"}
    assert store.batches()["entered_by"].to_list() == ["k.koordi"]


def test_kreis_sets_targets_for_every_traeger_under_its_login(store):
    store.set_target("ludwigsburg", "anzahl-kurse", 5, set_by="getippt", comment="Beschluss",
                     actor=KREIS)
    assert store.targets()["set_by"].to_list() == ["k.koordi"]


def test_under_the_hub_a_write_without_principal_is_refused(store, monkeypatch):
    monkeypatch.setenv("WORKBENCH_REQUIRE_LOGIN", "1")
    with pytest.raises(AccessDeniedError) as info:
        store.record(obs("sachsenheim"))
    assert "nur nach Anmeldung" in str(info.value)
    assert store.count() == 0
    assert store.refused_writes()["login"].to_list() == [NOT_LOGGED_IN]


def test_without_the_hub_the_local_user_writes_as_before(store):
    store.record(obs("ludwigsburg", by="Frau Maier"))
    assert store.current()["entered_by"].to_list() == ["Frau Maier"]
    assert local_principal().can_write("irgendwo")


def test_ambient_principal_of_a_hub_jupyterlab(store, monkeypatch):
    monkeypatch.setenv("WORKBENCH_REQUIRE_LOGIN", "1")
    monkeypatch.setenv("WORKBENCH_PRINCIPAL_LOGIN", "e.mueller")
    monkeypatch.setenv("WORKBENCH_PRINCIPAL_GROUPS", "analyse, traeger-sachsenheim")
    assert ambient_principal() == Principal("e.mueller",
                                            frozenset({"analyse", "traeger-sachsenheim"}))
    store.record(obs("sachsenheim"))
    with pytest.raises(AccessDeniedError):
        store.record(obs("ludwigsburg"))
    assert store.current()["entered_by"].to_list() == ["e.mueller"]


def test_the_audit_cannot_be_changed_or_deleted(store):
    with pytest.raises(AccessDeniedError):
        store.record(obs("ludwigsburg"), actor=LEITUNG)
    conn = sqlite3.connect(store.path)
    try:
        for sql in ("UPDATE refused_write SET login = 'x'", "DELETE FROM refused_write"):
            with pytest.raises(sqlite3.DatabaseError, match="unveränderlich"):
                conn.execute(sql)
    finally:
        conn.close()
    assert store.refused_writes().height == 1


CSV = ("Träger;Indikator-ID;Stichtag;Wert;Notiz;Quelle;Erfasst von;Kommentar\n"
       "{traeger};{indicator};31.12.2025;4;;Test;Jemand Anderes;\n")


def _cli_import(tmp_path: Path, traeger: str) -> subprocess.CompletedProcess:
    csv = tmp_path / f"{traeger}.csv"
    indicator = {"sachsenheim": "anzahl-sprachkurse", "ludwigsburg": "wil-paten"}[traeger]
    csv.write_text(CSV.format(traeger=traeger, indicator=indicator), encoding="utf-8")
    env = {**os.environ, "WORKBENCH_REQUIRE_LOGIN": "1",
           "WORKBENCH_PRINCIPAL_LOGIN": "e.mueller",
           "WORKBENCH_PRINCIPAL_GROUPS": "traeger-sachsenheim"}
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", "import-observations", str(csv),
         "--db", str(tmp_path / "cli.sqlite")],
        env=env, capture_output=True, text=True, timeout=120,
    )


def test_cli_import_by_a_hub_user_records_their_login_and_is_refused_elsewhere(tmp_path):
    ok = _cli_import(tmp_path, "sachsenheim")
    assert ok.returncode == 0, ok.stderr
    refused = _cli_import(tmp_path, "ludwigsburg")
    assert refused.returncode != 0
    assert "nichts gespeichert" in refused.stderr and "„e.mueller“" in refused.stderr
    store = ObservationStore(tmp_path / "cli.sqlite")
    assert store.current()["entered_by"].to_list() == ["e.mueller"]
    assert store.refused_writes()["traeger_id"].to_list() == ["ludwigsburg"]
