"""Write one benchmark run as a small JSON file under ``bench/results/`` (not committed).

``bench/report.py`` turns the latest file of each benchmark into ``docs/leistung.md``. A file
holds when and where it ran (date, CPU model, cores, RAM, load), the command, the timings and
the ratios against the naive way measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


def machine() -> dict[str, object]:
    """CPU model, cores, RAM and load of this machine (Linux /proc; None where unknown)."""
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    try:
        load = round(os.getloadavg()[0], 1)
    except OSError:
        load = None
    return {"cpu": cpu or platform.processor() or None, "cores": os.cpu_count(),
            "ram_gib": ram_gib, "load_1min": load, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def write_result(name: str, *, title: str, timings: dict[str, float], statistic: str,
                 ratios: dict[str, float] | None = None,
                 notes: list[str] | None = None,
                 memory_mib: dict[str, float] | None = None) -> Path:
    """Store one run: ``timings`` in seconds (label → value), ``ratios`` naive ÷ ours,
    ``memory_mib`` memory figures in MiB (label → value)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    record = {
        "benchmark": name,
        "title": title,
        "date": now.isoformat(),
        "machine": machine(),
        "command": " ".join([".venv/bin/python", *_relative_argv()]),
        "statistic": statistic,
        "timings_s": timings,
        "ratios": ratios or {},
        "memory_mib": memory_mib or {},
        "notes": notes or [],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{now:%Y%m%dT%H%M%SZ}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    print(f"Ergebnis: {path}")
    return path


def _relative_argv() -> list[str]:
    script = Path(sys.argv[0]).resolve()
    try:
        first = str(script.relative_to(ROOT))
    except ValueError:
        first = sys.argv[0]
    return [first, *sys.argv[1:]]
