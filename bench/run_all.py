"""Run every ``bench/bench_*.py`` in turn (each in its own process) and report which failed.

    .venv/bin/python bench/run_all.py             # all benchmarks with their defaults
    .venv/bin/python bench/run_all.py population  # only names containing "population"

Timings are noisy on a shared machine: each script measures its own naive baseline in the
same run and prints the ratio, which is the number to compare. Each script also writes a run
record to ``bench/results/``; ``bench/report.py`` turns the latest ones into docs/leistung.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def scripts(filters: list[str]) -> list[Path]:
    found = sorted(BENCH_DIR.glob("bench_*.py"))
    return [p for p in found if not filters or any(f in p.stem for f in filters)]


def main(argv: list[str]) -> int:
    selected = scripts(argv)
    if not selected:
        print(f"Keine Benchmarks gefunden für: {' '.join(argv)}")
        return 1
    failed: list[str] = []
    for script in selected:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=BENCH_DIR.parent)
        took = time.perf_counter() - start
        status = "ok" if result.returncode == 0 else f"FEHLER (Exit-Code {result.returncode})"
        print(f"=== {script.name}: {status}, {took:.1f} s ===", flush=True)
        if result.returncode != 0:
            failed.append(script.name)
    print(f"\n{len(selected)} Benchmarks, {len(failed)} fehlgeschlagen"
          + (f": {', '.join(failed)}" if failed else "."))
    print("Ergebnisse in bench/results/; docs/leistung.md neu schreiben: "
          ".venv/bin/python bench/report.py")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
