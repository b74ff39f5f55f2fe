"""Benchmark: observation store — bulk import vs one transaction per value, parallel writers.

Naive = what a script or a dashboard loop does without the import path: ``store.record()``
once per value, i.e. one validated ``BEGIN IMMEDIATE … COMMIT`` (with fsync) per row. Ours =
``workbench.observations_io.import_observations`` on a CSV of the same rows: parse + validate
the whole file, then ONE transaction. Both run in this process, one after the other, on fresh
store files in a temp directory; the ratio is printed.

    .venv/bin/python bench/bench_store.py                    # 20 000 rows, naive on 2 000
    .venv/bin/python bench/bench_store.py --rows 5000 --naive-sample 5000

The naive time for all rows is extrapolated from ``--naive-sample`` rows (the output says so).
Also printed: idempotent re-import of the same file, ``current()`` and ``as_of()`` on the full
store, and 4 processes × 300 concurrent ``record()`` calls on one file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

from _record import write_result

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "tests" / "handlungsfelder" / "data" / "store_catalogues"


def _rows(n: int) -> list[tuple[str, dt.date, int]]:
    # Stichtage must lie in the accepted range (from 1990): two indicators × n/2 days.
    first = dt.date(1990, 1, 1)
    return [("anzahl-kurse" if i % 2 == 0 else "anteil-a2", first + dt.timedelta(days=i // 2),
             i % 100) for i in range(n)]


def _csv(path: Path, n: int) -> Path:
    lines = ["Träger;Indikator-ID;Stichtag;Wert;Notiz;Quelle;Erfasst von;Kommentar"]
    lines += [f"teststadt;{ind};{d:%d.%m.%Y};{v};;Bench;;" for ind, d, v in _rows(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def _writer(db: str, proc: int, writes: int, start) -> None:
    from workbench.observation import Observation
    from workbench.store import ObservationStore

    store = ObservationStore(Path(db), validate=False)
    start.wait(60)
    for i in range(writes):
        store.record(Observation("last", f"k{i % 7}", dt.date(2025, 12, 31), proc * 100_000 + i,
                                 entered_by=f"p{proc}", source="bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    os.environ["WORKBENCH_CATALOGUE_DIR"] = str(CATALOGUES)

    from workbench.observation import Observation
    from workbench.observations_io import import_observations
    from workbench.store import ObservationStore

    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    csv_path = _csv(tmp / "gross.csv", args.rows)

    naive_store = ObservationStore(tmp / "naive.sqlite")
    naive_store.specs("teststadt")  # load the catalogue outside the timing (both sides)
    sample = min(args.naive_sample, args.rows)
    t0 = time.perf_counter()
    for ind, d, v in _rows(sample):
        naive_store.record(Observation("teststadt", ind, d, v, entered_by="bench", source="Bench"))
    naive_sample_s = time.perf_counter() - t0
    naive_s = naive_sample_s * args.rows / sample

    store = ObservationStore(tmp / "ours.sqlite")
    store.specs("teststadt")
    t0 = time.perf_counter()
    result = import_observations(csv_path, store, user="bench")
    ours_s = time.perf_counter() - t0
    assert result.new_versions == args.rows

    t0 = time.perf_counter()
    again = import_observations(csv_path, store, user="bench")
    reimport_s = time.perf_counter() - t0
    assert again.new_versions == 0

    t0 = time.perf_counter()
    current = store.current()
    current_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert store.as_of(dt.datetime.now(dt.UTC)).height == args.rows
    as_of_s = time.perf_counter() - t0

    ctx = mp.get_context("fork")
    db = tmp / "parallel.sqlite"
    ObservationStore(db, validate=False)
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(db), p, args.writes, start))
             for p in range(args.processes)]
    for p in procs:
        p.start()
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    parallel_s = time.perf_counter() - t0
    total = args.processes * args.writes
    assert ObservationStore(db, validate=False).count() == total

    extrap = "" if sample == args.rows else f" (extrapoliert aus {sample} Zeilen)"
    print(f"Import {args.rows} Zeilen, naiv record() je Zeile: {naive_s:8.2f} s{extrap}")
    print(f"Import {args.rows} Zeilen, import_observations:    {ours_s:8.2f} s"
          f"  -> {naive_s / ours_s:5.1f}x schneller")
    print(f"Erneuter Import (idempotent, 0 neue Versionen):   {reimport_s:8.2f} s")
    print(f"current() über {current.height} Werte:               {current_s:8.3f} s")
    print(f"as_of() über {current.height} Werte:                 {as_of_s:8.3f} s")
    print(f"{args.processes} Prozesse × {args.writes} record() parallel: {parallel_s:8.2f} s"
          f"  = {total / parallel_s:6.0f} Schreibvorgänge/s, alle {total} gespeichert")
    write_result(
        "bench_store", statistic="ein Lauf",
        title=f"Messwertspeicher: {args.rows} Messwerte importieren, abfragen, parallel schreiben",
        timings={
            f"{args.rows} Werte einzeln mit record(){extrap}": naive_s,
            f"{args.rows} Werte mit import_observations (prüfen + eine Transaktion)": ours_s,
            "derselbe Import erneut (0 neue Versionen)": reimport_s,
            f"current() über {current.height} Werte": current_s,
            f"as_of(jetzt) über {current.height} Werte": as_of_s,
            f"{args.processes} Prozesse × {args.writes} record() gleichzeitig": parallel_s,
        },
        ratios={"record() je Wert ÷ import_observations": naive_s / ours_s})


if __name__ == "__main__":
    main()
