"""Benchmark: memory of one pre-heated dashboard kernel (= one visitor) and of the server.

Every visitor of a dashboard holds one Jupyter kernel, so the kernel's memory is the memory
per visitor (issue 13: target ≤ 150 MiB). For each dashboard notebook in turn a
``DashboardServer`` serves a temporary directory holding only that notebook (pool size 1,
temporary store and output directory): then the one kernel below the server is that
notebook's, no mapping from kernel id to notebook is needed, and the kernels do not compete
for the 2 cores while they pre-heat. Once the kernel has run the notebook up to the point
where it waits for a visitor (``wait_for_pools``) and has sat idle for ``--settle`` seconds
(15 s: polars' allocator, jemalloc, returns freed memory to the system within ≈ 10 s; a
pooled kernel normally waits much longer for its visitor), psutil reads

* RSS – resident memory, what ``top`` shows and what the target refers to;
* USS – memory only this process uses (what another visitor's kernel adds, shared library
  pages not counted);
* PSS – shared pages divided among the processes sharing them

of the kernel and of the server process (Voila).

The population model's parquet cache is warmed first (as on a server that has run before),
so no kernel builds the model from the raw files.

Run: ``.venv/bin/python bench/bench_kernel_memory.py [--repeat 1] [--settle 15] [DASHBOARD …]``
(≈ 1½ min per repeat). Prints a German table and writes a run record for ``bench/report.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from workbench.dashboards.app import DASHBOARDS  # noqa: E402
from workbench.dashboards.kernel import is_kernel_process  # noqa: E402
from workbench.dashboards.server import DashboardServer  # noqa: E402
from workbench.formatting import fmt_number  # noqa: E402
from workbench.population import load_population  # noqa: E402

TARGET_MIB = 150.0
EXPLANATION = (
    "RSS zählt auch gemeinsam genutzte Seiten mit, vor allem ≈ 45 MiB Maschinencode von polars, "
    "den alle Kernel teilen; USS ist, was ein weiterer Besucher-Kernel zusätzlich belegt. "
    "Eingespart: plotlys Notebook-Darstellung mit nbformat/jsonschema, Voilas Serverteil "
    "(voila.utils), numpy, die ganzen Regionaldatenbank-Tabellen nach dem Vorheizen, "
    "freigegebener Heap (malloc_trim), die 39 Gemeinde-Ansichten als JSON-Text."
)
MIB = 2**20
# notebook -> short German name for the table
NAMES = {
    "auslaenderanteil.ipynb": "Ausländeranteil",
    "handlungsfelder.ipynb": "Handlungsfelder",
    "messwerte_erfassen.ipynb": "Messwerte erfassen",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(proc: psutil.Process) -> dict[str, float | None]:
    """RSS, USS and PSS in MiB (USS/PSS None where the platform does not give them)."""
    out: dict[str, float | None] = {"rss": proc.memory_info().rss / MIB, "uss": None, "pss": None}
    try:
        full = proc.memory_full_info()
        out["uss"] = full.uss / MIB
        out["pss"] = getattr(full, "pss", None)
        out["pss"] = out["pss"] / MIB if out["pss"] is not None else None
    except (psutil.AccessDenied, AttributeError):
        pass
    return out


def kernels(server_pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            if is_kernel_process(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


def measure(notebook: str, settle: float) -> dict[str, object]:
    """Serve only ``notebook``; memory of its pre-heated kernel and of the server."""
    work = Path(tempfile.mkdtemp(prefix="bench-kmem-"))
    try:
        (work / "dashboards").mkdir()
        shutil.copy(ROOT / "dashboards" / notebook, work / "dashboards" / notebook)
        env = {"WORKBENCH_DB": str(work / "store.sqlite"),
               "WORKBENCH_OUTPUT_DIR": str(work / "output")}
        server = DashboardServer(port=free_port(), pool_size=1, env=env,
                                 dashboards_dir=work / "dashboards",
                                 config_dir=ROOT / "dashboards")
        started = time.perf_counter()
        server.start(timeout=120)
        try:
            if not server.wait_for_pools(timeout=300):
                raise RuntimeError(f"{notebook}: Kernel nicht bereit:\n{server.output()[-3000:]}")
            ready_s = time.perf_counter() - started
            time.sleep(settle)  # idle, as a pooled kernel waiting for its visitor
            found = kernels(server.process.pid)
            if len(found) != 1:
                raise RuntimeError(f"{notebook}: {len(found)} Kernel statt 1")
            return {"kernel": memory(found[0]),
                    "server": memory(psutil.Process(server.process.pid)),
                    "ready_s": ready_s}
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def mib(value: float | None) -> str:
    return "–" if value is None else f"{fmt_number(value, 1)} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1,
                        help="Messungen je Dashboard (Median, jede mit neuem Server)")
    parser.add_argument("--settle", type=float, default=15.0,
                        help="Sekunden Leerlauf zwischen 'bereit' und Messung")
    parser.add_argument("notebooks", nargs="*", metavar="DASHBOARD",
                        help="nur diese Dashboards (z. B. auslaenderanteil); Standard: alle")
    args = parser.parse_args()

    load_population()  # warm parquet cache (var/cache): the kernels read, never build
    notebooks = [nb for nb in DASHBOARDS if (ROOT / "dashboards" / nb).exists()
                 and (not args.notebooks or any(n in nb for n in args.notebooks))]
    samples: dict[str, list[dict]] = {nb: [] for nb in notebooks}
    load_start = os.getloadavg()[0]
    for _ in range(args.repeat):
        for nb in notebooks:
            samples[nb].append(measure(nb, args.settle))

    def med(nb: str, who: str, key: str) -> float | None:
        values = [s[who][key] for s in samples[nb] if s[who][key] is not None]
        return statistics.median(values) if values else None

    print(f"Speicher je vorgeheiztem Dashboard-Kernel (Pool 1, Leerlauf nach dem Vorheizen; "
          f"Median aus {args.repeat} Messung(en), Last {fmt_number(load_start, 1)})")
    head = f"{'Dashboard':<20} {'RSS':>11} {'USS':>11} {'PSS':>11} {'bereit nach':>12}"
    print(head)
    print("-" * len(head))
    memory_mib: dict[str, float] = {}
    for nb in notebooks:
        rss, uss, pss = (med(nb, "kernel", k) for k in ("rss", "uss", "pss"))
        ready = statistics.median(s["ready_s"] for s in samples[nb])
        print(f"{NAMES.get(nb, nb):<20} {mib(rss):>11} {mib(uss):>11} {mib(pss):>11} "
              f"{fmt_number(ready, 1) + ' s':>12}")
        memory_mib[f"Kernel {NAMES.get(nb, nb)}: RSS"] = rss
        if uss is not None:
            memory_mib[f"Kernel {NAMES.get(nb, nb)}: USS"] = uss
    server_rss = statistics.median(s["server"]["rss"] for nb in notebooks for s in samples[nb])
    server_uss = [s["server"]["uss"] for nb in notebooks for s in samples[nb]
                  if s["server"]["uss"] is not None]
    print(f"{'Server (Voila)':<20} {mib(server_rss):>11} "
          f"{mib(statistics.median(server_uss) if server_uss else None):>11}")
    memory_mib["Server (Voila, ein Dashboard): RSS"] = server_rss
    largest = max(v for k, v in memory_mib.items() if k.startswith("Kernel") and "RSS" in k)
    reached = largest <= TARGET_MIB
    verdict = (f"Ziel ≤ {fmt_number(TARGET_MIB, 0)} MiB je Kernel "
               f"{'erreicht' if reached else 'nicht erreicht'} "
               f"(größter Kernel: {mib(largest)} RSS)")
    print(verdict)

    write_result(
        "bench_kernel_memory",
        title="Speicher je Dashboard-Kernel (ein Kernel je Besucher)",
        statistic=f"Median aus {args.repeat} Messung(en)",
        timings={f"{NAMES.get(nb, nb)}: Kernel bereit nach Serverstart":
                 statistics.median(s["ready_s"] for s in samples[nb]) for nb in notebooks},
        memory_mib=memory_mib,
        notes=[verdict, EXPLANATION],
    )


if __name__ == "__main__":
    main()
