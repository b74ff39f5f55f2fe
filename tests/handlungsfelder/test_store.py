"""Observation store: versioning, audit fields, DB-enforced immutability, validation, as_of,
migrations. Uses a small catalogue (tests/handlungsfelder/data/store_catalogues)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from workbench import store as store_mod
from workbench.exceptions import DataValidationError
from workbench.observation import ImportRow, Observation
from workbench.store import OBSERVATION_SCHEMA, SCHEMA_VERSION, ObservationStore

CATALOGUES = Path(__file__).parent / "data" / "store_catalogues"
D = dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def catalogue_dir(monkeypatch):
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(CATALOGUES))


@pytest.fixture
def store(tmp_path) -> ObservationStore:
    return ObservationStore(tmp_path / "obs.sqlite")


def rec(store: ObservationStore, indicator="anzahl-kurse", value=3.0, note=None, period=D, **kw):
    kw.setdefault("entered_by", "Frau Maier")
    kw.setdefault("source", "VHS-Jahresbericht 2025")
    return store.record(Observation("teststadt", indicator, period, value, note, **kw))


def test_default_path_from_env(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "dir" / "env.sqlite"
    monkeypatch.setenv("WORKBENCH_DB", str(target))
    s = ObservationStore()
    assert s.path == target.resolve()
    assert target.is_file()  # directory and file created
    assert s.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_correction_creates_version_2_and_history_keeps_both(store):
    before = dt.datetime.now(dt.UTC)
    assert rec(store, value=3, comment="Ersterfassung") == 1
    assert rec(store, value=4, entered_by="Herr Roth", source="Korrigierter Bericht",
               comment="Tippfehler korrigiert") == 2
    after = dt.datetime.now(dt.UTC)

    hist = store.history("teststadt", "anzahl-kurse", D)
    assert hist.schema == pl.Schema(OBSERVATION_SCHEMA)
    assert hist["version"].to_list() == [1, 2]
    assert hist["value"].to_list() == [3.0, 4.0]
    assert hist["entered_by"].to_list() == ["Frau Maier", "Herr Roth"]
    assert hist["source"].to_list() == ["VHS-Jahresbericht 2025", "Korrigierter Bericht"]
    assert hist["comment"].to_list() == ["Ersterfassung", "Tippfehler korrigiert"]
    for ts in hist["entered_at"].to_list():
        assert before <= ts <= after

    cur = store.current()
    assert cur.height == 1
    row = cur.row(0, named=True)
    assert (row["version"], row["value"], row["period"]) == (2, 4.0, D)
    assert row["is_example"] is False


def test_update_and_delete_are_rejected_by_the_database_itself(store):
    rec(store, value=3)
    # A plain sqlite3 client, not this module: the triggers live in the file.
    conn = sqlite3.connect(store.path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="unveränderlich"):
            conn.execute("UPDATE observation SET value = 99")
        with pytest.raises(sqlite3.IntegrityError, match="unveränderlich"):
            conn.execute("DELETE FROM observation")
        # Versions must be contiguous and unique, also for raw inserts.
        cols = ("traeger_id, indicator_id, period, value, version, entered_by, entered_at,"
                " source")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(f"INSERT INTO observation ({cols}) VALUES "
                         "('teststadt','anzahl-kurse','2025-12-31',5,1,'x','t','s')")
        with pytest.raises(sqlite3.IntegrityError, match="lückenlos"):
            conn.execute(f"INSERT INTO observation ({cols}) VALUES "
                         "('teststadt','anzahl-kurse','2025-12-31',5,3,'x','t','s')")
    finally:
        conn.close()
    assert store.history()["value"].to_list() == [3.0]


def test_as_of_returns_past_state(store):
    t0 = dt.datetime.now(dt.UTC)
    time.sleep(0.002)
    rec(store, value=3)
    rec(store, indicator="anteil-a2", value=40)
    time.sleep(0.002)
    t1 = dt.datetime.now(dt.UTC)
    time.sleep(0.002)
    rec(store, value=5)

    assert store.as_of(t0).height == 0
    past = store.as_of(t1)
    assert dict(zip(past["indicator_id"], past["value"], strict=True)) == {
        "anzahl-kurse": 3.0, "anteil-a2": 40.0}
    assert past.schema == pl.Schema(OBSERVATION_SCHEMA)
    now = store.as_of(dt.datetime.now(dt.UTC))
    assert now.equals(store.current())
    # Naive timestamps are UTC.
    assert store.as_of(t1.replace(tzinfo=None)).equals(past)


def test_examples_filter_and_real_correction_of_example(store):
    rec(store, value=3, is_example=True, source="Beispieldaten")
    rec(store, indicator="anteil-a2", value=12.5, is_example=True, source="Beispieldaten")
    assert store.current(include_examples=False).height == 0
    rec(store, value=7)  # real value replaces the example value
    real = store.current(include_examples=False)
    assert real["indicator_id"].to_list() == ["anzahl-kurse"]
    assert real["value"].to_list() == [7.0]
    assert store.current()["is_example"].to_list() == [True, False]  # anteil-a2, anzahl-kurse


@pytest.mark.parametrize(
    ("indicator", "value", "note", "expected"),
    [
        ("unbekannt", 1, None, "Katalog"),
        ("anzahl-kurse", -1, None, "ganze Zahl ≥ 0"),
        ("anzahl-kurse", 2.5, None, "ganze Zahl ≥ 0"),
        ("anzahl-kurse", float("nan"), None, "endliche Zahl"),
        ("anteil-a2", 100.5, None, "zwischen 0 und 100"),
        ("anteil-a2", -0.1, None, "zwischen 0 und 100"),
        ("konzept-liegt-vor", 2, None, "Meilenstein"),
        ("erfahrungen", None, None, "Wert oder eine Notiz"),
        ("erfahrungen", 3, "  ", "Notiz"),
    ],
)
def test_record_rejects_values_that_do_not_fit_the_kind(store, indicator, value, note, expected):
    with pytest.raises(DataValidationError) as err:
        rec(store, indicator=indicator, value=value, note=note)
    assert expected in str(err.value)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("indicator", "value", "note"),
    [
        ("anzahl-kurse", 0, None),
        ("anzahl-kurse", 1234, None),
        ("anteil-a2", 0, None),
        ("anteil-a2", 100, None),
        ("anteil-a2", 12.5, None),
        ("konzept-liegt-vor", 1, None),
        ("konzept-liegt-vor", 0, "noch in Arbeit"),
        ("erfahrungen", None, "Kurse gut besucht"),
    ],
)
def test_record_accepts_values_that_fit(store, indicator, value, note):
    assert rec(store, indicator=indicator, value=value, note=note) == 1
    row = store.current().row(0, named=True)
    assert row["value"] == (None if value is None else float(value))
    assert row["note"] == note


def test_audit_fields_are_required(store):
    with pytest.raises(DataValidationError, match="Erfasst von"):
        rec(store, entered_by=" ")
    with pytest.raises(DataValidationError, match="Quelle"):
        rec(store, source="")
    with pytest.raises(DataValidationError, match="Stichtag"):
        rec(store, period="2025-12-31")


def test_traeger_without_catalogue_is_not_checked_and_validate_false(store, tmp_path):
    # No catalogue for "anderswo": no indicator checks (values of other bodies may be kept).
    assert store.record(Observation("anderswo", "frei", D, -5, entered_by="a", source="s")) == 1
    loose = ObservationStore(tmp_path / "loose.sqlite", validate=False)
    assert loose.record(Observation("teststadt", "unbekannt", D, -5, entered_by="a",
                                    source="s")) == 1


def test_record_many_is_all_or_nothing(store):
    rec(store, value=1)
    good = Observation("teststadt", "anteil-a2", D, 50, entered_by="a", source="s")
    bad = replace(good, indicator_id="anzahl-kurse", value=-3)
    with pytest.raises(DataValidationError) as err:
        store.record_many([good, replace(good, period=dt.date(2024, 12, 31)), bad])
    assert err.value.problems[0].row == 3
    assert store.count() == 1

    # A failure inside the transaction (raised by SQLite itself) rolls back earlier rows too.
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON observation WHEN NEW.comment = 'boom'"
                 " BEGIN SELECT RAISE(ABORT, 'boom'); END")
    conn.close()
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store.record_many([good, replace(good, period=dt.date(2024, 12, 31)),
                           replace(good, period=dt.date(2023, 12, 31), comment="boom")])
    assert store.count() == 1

    assert store.record_many([good, replace(good, indicator_id="anzahl-kurse", value=2)]) == 2
    assert sorted(store.history()["version"].to_list()) == [1, 1, 2]


def test_record_many_skip_unchanged(store):
    row = Observation("teststadt", "anzahl-kurse", D, 4, entered_by="a", source="Bericht")
    assert store.record_many([row], skip_unchanged=True) == 1
    assert store.record_many([replace(row, comment="nochmal")], skip_unchanged=True) == 0
    assert store.record_many([replace(row, value=5)], skip_unchanged=True) == 1
    assert store.record_many([replace(row, value=5, source="anderer Bericht")],
                             skip_unchanged=True) == 1
    assert store.record_many([replace(row, value=5, source="anderer Bericht")]) == 1  # explicit
    assert store.history()["version"].to_list() == [1, 2, 3, 4]


def test_record_many_import_row_with_defaulted_source_compares_without_it(store):
    """A re-import under another file name (source defaulted to „Import <Datei>“) is no
    change; the same value with a source written in the file is one."""
    first = Observation("teststadt", "anzahl-kurse", D, 4, entered_by="a", source="Import a.csv")
    assert store.record_many([ImportRow(first, row=2, source_given=False)],
                             skip_unchanged=True) == 1
    renamed = replace(first, source="Import b.csv")
    assert store.record_many([ImportRow(renamed, row=2, source_given=False)],
                             skip_unchanged=True) == 0
    assert store.record_many([ImportRow(renamed, row=2, source_given=True)],
                             skip_unchanged=True) == 1
    assert store.current()["source"].to_list() == ["Import b.csv"]


def test_empty_frames_have_the_schema(store):
    for frame in (store.current(), store.history(), store.as_of(dt.datetime.now(dt.UTC))):
        assert frame.height == 0
        assert frame.schema == pl.Schema(OBSERVATION_SCHEMA)


def _make_v1_db(path: Path) -> None:
    """A store file exactly as schema version 1 left it (first migration only)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT"
                 " NOT NULL)")
    number, sql = store_mod.MIGRATIONS[0]
    assert number == 1
    for statement in store_mod._split_sql(sql):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, '2025-01-01T00:00:00.000000Z')")
    conn.execute(
        "INSERT INTO observation (traeger_id, indicator_id, period, value, note, version,"
        " entered_by, entered_at, source, comment, is_example) VALUES"
        " ('teststadt', 'anzahl-kurse', '2024-12-31', 6, NULL, 1, 'Altbestand',"
        " '2025-01-02T10:00:00.000000Z', 'Altsystem', 'übernommen', 0)"
    )
    conn.close()


def test_old_schema_version_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    _make_v1_db(path)
    with sqlite3.connect(path) as conn:
        assert "import_batch" not in {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}

    s = ObservationStore(path)
    assert s.schema_version() == SCHEMA_VERSION == 4
    with sqlite3.connect(path) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(observation)")}
    assert versions == [1, 2, 3, 4]
    assert "batch_id" in columns
    old = s.current().row(0, named=True)
    assert (old["value"], old["entered_by"], old["source"]) == (6.0, "Altbestand", "Altsystem")
    assert old["entered_at"] == dt.datetime(2025, 1, 2, 10, tzinfo=dt.UTC)
    # Old rows keep their guarantees and get corrected by new versions.
    assert s.record(Observation("teststadt", "anzahl-kurse", dt.date(2024, 12, 31), 7,
                                entered_by="x", source="y")) == 2
    assert s.record_many([Observation("teststadt", "anteil-a2", D, 1, entered_by="x",
                                      source="y")],
                         batch={"entered_by": "x", "file_name": "f.csv"}) == 1
    assert s.batches()["file_name"].to_list() == ["f.csv"]
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM observation")
    # Opening again is a no-op.
    assert ObservationStore(path).schema_version() == 4
    # migration 4: the audit of refused writes exists and is empty for an old store
    assert s.refused_writes().height == 0


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    ObservationStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'x')")
    with pytest.raises(RuntimeError, match="Schema-Version 99"):
        ObservationStore(path)


def test_edited_catalogue_applies_without_restart(tmp_path, monkeypatch):
    directory = tmp_path / "kataloge"
    directory.mkdir()
    text = (CATALOGUES / "teststadt.yaml").read_text(encoding="utf-8")
    (directory / "teststadt.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(directory))
    s = ObservationStore(tmp_path / "s.sqlite")  # e.g. a dashboard that keeps running
    with pytest.raises(DataValidationError, match="neu-indikator"):
        s.record(Observation("teststadt", "neu-indikator", D, 1, entered_by="a", source="b"))
    added = "          - {id: neu-indikator, name: Neuer Indikator, art: anzahl}\n"
    (directory / "teststadt.yaml").write_text(text + added, encoding="utf-8")
    assert s.record(Observation("teststadt", "neu-indikator", D, 1, entered_by="a",
                                source="b")) == 1


def test_backup_is_a_complete_working_copy(store, tmp_path):
    rec(store, value=3)
    rec(store, value=4)
    copy = store.backup(tmp_path / "sicherung" / "obs-backup.sqlite")
    rec(store, value=5)  # after the backup: not in the copy
    restored = ObservationStore(copy)
    assert restored.integrity_check() == "ok"
    assert restored.history()["value"].to_list() == [3.0, 4.0]
    with sqlite3.connect(copy) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM observation")  # triggers travel with the copy


def test_example_data_never_supersedes_real_values(store):
    rec(store, value=7, source="Bericht")
    example = Observation("teststadt", "anzahl-kurse", D, 3, entered_by="beispiel",
                          source="Beispieldaten", is_example=True)
    other = replace(example, indicator_id="anteil-a2", value=20)
    assert store.record_many([example, other], skip_unchanged=True) == 1  # only anteil-a2
    with pytest.raises(DataValidationError, match="Beispieldaten überschreiben keine echten"):
        rec(store, value=3, is_example=True)
    cur = store.current(include_examples=False)
    assert cur.select("indicator_id", "value").rows() == [("anzahl-kurse", 7.0)]
    assert store.history("teststadt", "anzahl-kurse")["version"].to_list() == [1]


def test_numpy_numbers_are_accepted(store):
    np = pytest.importorskip("numpy")
    assert rec(store, value=np.int64(4)) == 1
    assert rec(store, indicator="anteil-a2", value=np.float32(12.5)) == 1
    assert sorted(store.current()["value"].to_list()) == [4.0, 12.5]
