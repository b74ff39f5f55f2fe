"""Several real processes writing one store file at once; kill -9 in the middle of an import.

These tests use real OS processes (multiprocessing ``fork`` for the writers, a subprocess for
the import that is killed) on one SQLite file — the situation of several dashboards and a CLI
import running at the same time.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

from workbench.observation import Observation
from workbench.store import MIGRATIONS, ObservationStore

CATALOGUES = Path(__file__).parent / "data" / "store_catalogues"
D = dt.date(2025, 12, 31)
PROCESSES = 4
WRITES = 300  # record() calls per process
KEYS = 7  # few keys, so every key is contended by all processes


def _run_forked(target, db: Path, timeout: float, while_running=None):
    """Fork PROCESSES workers ``target(db, proc, start, results)``, release them at once.

    ``while_running()`` runs in this process right after the release. Returns each worker's
    report (one ``results.put`` each), the exit codes after joining, and the seconds from the
    release until the last report.
    """
    ctx = mp.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(str(db), p, start, results))
             for p in range(PROCESSES)]
    for p in procs:
        p.start()
    t0 = time.perf_counter()
    start.set()
    if while_running is not None:
        while_running()
    reported = [results.get(timeout=timeout) for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join(30)
    return reported, [p.exitcode for p in procs], elapsed


def _writer(db: str, proc: int, start, results) -> None:
    """Child process: WRITES single records plus some 2-row batches on shared keys."""
    try:
        store = ObservationStore(Path(db), validate=False)
        start.wait(30)
        out = []
        for i in range(WRITES):
            value = proc * 100_000 + i
            version = store.record(Observation("last", f"k{i % KEYS}", D, value,
                                               entered_by=f"p{proc}", source="Lasttest"))
            out.append((f"k{i % KEYS}", value, version))
            if i % 25 == 0:  # a multi-row transaction touching two contended keys
                rows = [Observation("last", k, D, proc * 100_000 + 50_000 + i,
                                    entered_by=f"p{proc}", source="Lasttest")
                        for k in ("k0", "batch")]
                store.record_many(rows)
        results.put((proc, out, None))
    except BaseException as exc:  # report, so the parent fails with the reason
        results.put((proc, [], repr(exc)))


def test_parallel_processes_never_lose_or_duplicate_a_version(tmp_path):
    db = tmp_path / "shared.sqlite"
    ObservationStore(db, validate=False)  # create + migrate once, like a deployment
    reported, exitcodes, elapsed = _run_forked(_writer, db, timeout=120)
    assert exitcodes == [0] * PROCESSES
    errors = [err for _, _, err in reported if err]
    assert not errors, errors

    batches = sum(1 for i in range(WRITES) if i % 25 == 0)
    expected_rows = PROCESSES * (WRITES + 2 * batches)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT indicator_id, version, value, entered_by FROM observation").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(rows) == expected_rows

    # Versions per key are exactly 1..k: no duplicate, no gap.
    by_key = defaultdict(list)
    for key, version, value, _ in rows:
        by_key[key].append((version, value))
    for key, versions in by_key.items():
        assert sorted(v for v, _ in versions) == list(range(1, len(versions) + 1)), key

    # No lost write: every value any process wrote is stored exactly once ...
    written = {(key, value) for _, out, _ in reported for key, value, _ in out}
    stored = {(key, value) for key, _, value, _ in rows}
    assert written <= stored
    assert len(stored) == len(rows)
    # ... under the version record() returned to that process.
    stored_version = {(key, value): version for key, version, value, _ in rows}
    for _, out, _ in reported:
        for key, value, version in out:
            assert stored_version[(key, value)] == version
        # A process's own writes to one key are in its order.
        per_key = defaultdict(list)
        for key, _value, version in out:
            per_key[key].append(version)
        assert all(v == sorted(v) for v in per_key.values())
    print(f"\n{expected_rows} versions by {PROCESSES} processes in {elapsed:.2f} s")


def _plain_writer(db: str, proc: int, start, results) -> None:
    try:
        start.wait(30)
        store = ObservationStore(Path(db), validate=False)
        versions = [store.record(Observation("last", f"k{i % 3}", D, proc * 1000 + i,
                                             entered_by=f"p{proc}",
                                             source="Lasttest")) for i in range(200)]
        results.put((proc, versions, None))
    except BaseException as exc:
        results.put((proc, [], repr(exc)))


def test_writers_forked_from_a_process_with_an_open_store_lose_nothing(tmp_path):
    """A process that has a store open forks writers, then closes its store while they write.

    SQLite keeps per-process lock and WAL-index state; a forked child that inherits it skips
    taking its own locks, so when the parent then closes its (last, as it believes) connection
    it checkpoints and deletes the WAL under the children's feet, and their commits vanish
    without an error (seen here: 23 of 1 296 rows). The store therefore closes its
    connections before every fork (``os.register_at_fork``) and reopens them lazily.
    """
    db = tmp_path / "shared.sqlite"
    parent = ObservationStore(db, validate=False)
    parent.record(Observation("last", "k0", D, 0.0, entered_by="parent", source="Lasttest"))

    def close_parent() -> None:
        time.sleep(0.3)  # the children are writing now
        parent.close()  # what garbage collection of a discarded store does at any moment

    reported, _, _ = _run_forked(_plain_writer, db, timeout=120, while_running=close_parent)
    assert [err for _, _, err in reported if err] == []
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT indicator_id, version FROM observation").fetchall()
    assert len(rows) == 1 + PROCESSES * 200
    for key in ("k0", "k1", "k2"):
        versions = sorted(v for k, v in rows if k == key)
        assert versions == list(range(1, len(versions) + 1))


# ------------------------------------------------------------------------------------------
# kill -9 during a large import
# ------------------------------------------------------------------------------------------

N_ROWS = 20_000

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from workbench import observations_io, store as st

    def signal(text):
        # Atomic: the parent polls for the file and must never read it half-written (empty).
        tmp = marker.with_name(marker.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, marker)

    db, csv_path, marker, slow = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "1"
    original = st.ObservationStore._insert
    count = 0

    def insert(conn, row, now, batch_id):
        # Signal the parent once a quarter of the rows is inside the open transaction; the
        # optional pause keeps the process busy there so the kill lands mid-transaction.
        global count
        count += 1
        if count == 5000:
            signal("writing")
        if slow and count >= 5000:
            time.sleep(0.0005)
        return original(conn, row, now, batch_id)

    if slow:
        st.ObservationStore._insert = staticmethod(insert)
    observations_io.import_observations(csv_path, st.ObservationStore(Path(db)), user="crash")
    signal("done")
    """
)


def _big_csv(path: Path) -> Path:
    # Stichtage must lie in the accepted range (from 1990): two indicators × N_ROWS/2 days.
    first = dt.date(1990, 1, 1)
    lines = ["Träger;Indikator-ID;Stichtag;Wert;Notiz;Quelle;Erfasst von;Kommentar"]
    for i in range(N_ROWS):
        day = first + dt.timedelta(days=i // 2)
        indicator = "anzahl-kurse" if i % 2 == 0 else "anteil-a2"
        lines.append(f"teststadt;{indicator};{day:%d.%m.%Y};{i % 100};;Massenimport;;")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def _prepared_store(tmp_path: Path) -> ObservationStore:
    store = ObservationStore(tmp_path / "crash.sqlite")
    store.record(Observation("teststadt", "anteil-a2", D, 40, entered_by="vorher",
                             source="Bericht"))
    store.record(Observation("teststadt", "anteil-a2", D, 41, entered_by="vorher",
                             source="Korrektur"))
    return store


def _run_child(tmp_path: Path, store: ObservationStore, slow: bool) -> subprocess.Popen:
    env = {**os.environ, "WORKBENCH_CATALOGUE_DIR": str(CATALOGUES)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store.path), str(_big_csv(tmp_path / "gross.csv")),
         str(tmp_path / "marker"), "1" if slow else "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _assert_intact(store: ObservationStore, before) -> int:
    reopened = ObservationStore(store.path)
    assert reopened.integrity_check() == "ok"
    hist = reopened.history()
    earlier = hist.filter(hist["source"] != "Massenimport")  # what was there before
    assert earlier.equals(before)
    imported = hist.height - before.height
    assert imported in (0, N_ROWS), f"partial import: {imported} rows"
    return imported


@pytest.mark.slow
def test_kill_9_in_the_middle_of_an_import_leaves_nothing_of_it(tmp_path):
    store = _prepared_store(tmp_path)
    before = store.history()
    child = _run_child(tmp_path, store, slow=True)
    marker = tmp_path / "marker"
    deadline = time.monotonic() + 60
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists() and marker.read_text() == "writing", child.communicate()[1][-2000:]
    # Wait until the open transaction spills pages into the WAL file (page cache full), so
    # the kill hits data that is already on disk but not committed.
    wal = Path(f"{store.path}-wal")
    while child.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 0:
            break
        time.sleep(0.005)
    assert wal.stat().st_size > 0
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert marker.read_text() == "writing"  # it really was killed before finishing
    assert _assert_intact(store, before) == 0
    # The store keeps working: the same import now succeeds completely.
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(store.path), str(tmp_path / "gross.csv"),
         str(marker), "0"],
        env={**os.environ, "WORKBENCH_CATALOGUE_DIR": str(CATALOGUES)},
        capture_output=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _assert_intact(store, before) == N_ROWS


@pytest.mark.slow
def test_kill_9_when_the_wal_grows_is_all_or_nothing(tmp_path):
    """Unpatched import, killed as soon as the WAL grows past 1 MB (during the transaction
    or its commit, whichever the timing gives): never a partial import."""
    store = _prepared_store(tmp_path)
    before = store.history()
    wal = Path(f"{store.path}-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    child = _run_child(tmp_path, store, slow=False)
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > start_size + 1_000_000:
            break
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    _assert_intact(store, before)


def _opener(db: str, proc: int, start, results) -> None:
    try:
        start.wait(30)
        store = ObservationStore(Path(db), validate=False)  # creates + migrates if needed
        results.put((proc, store.record(Observation(
            "last", "k", D, proc, entered_by="p", source="s")), None))
    except BaseException as exc:
        results.put((proc, 0, repr(exc)))


def test_processes_creating_a_new_store_at_once_migrate_it_once(tmp_path):
    db = tmp_path / "neu" / "store.sqlite"
    reported, _, _ = _run_forked(_opener, db, timeout=60)
    assert [err for _, _, err in reported if err] == []
    assert sorted(version for _, version, _ in reported) == list(range(1, PROCESSES + 1))
    with sqlite3.connect(db) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version")]
        assert versions == [v for v, _ in MIGRATIONS]  # each migration applied exactly once


def test_threads_sharing_one_store_object(tmp_path):
    """A dashboard server: several threads, one ObservationStore instance."""
    from concurrent.futures import ThreadPoolExecutor

    store = ObservationStore(tmp_path / "threads.sqlite", validate=False)

    def work(t: int) -> list[int]:
        return [store.record(Observation("last", f"k{i % 3}", D, t * 1000 + i, entered_by=f"t{t}",
                                         source="s")) for i in range(100)]

    with ThreadPoolExecutor(4) as pool:
        versions = [v for vs in pool.map(work, range(4)) for v in vs]
    hist = store.history()
    assert hist.height == 400 == len(versions)
    for key, group in hist.group_by("indicator_id"):
        assert sorted(group["version"].to_list()) == list(range(1, group.height + 1)), key
    assert hist["value"].n_unique() == 400
    store.close()
    assert ObservationStore(store.path).count() == 400
