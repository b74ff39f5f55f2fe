"""Benchmark: how fast a manager sees the Ausländeranteil dashboard, workbench vs plain Voila.

Both servers serve the same notebook (``dashboards/auslaenderanteil.ipynb``) in one run:

* ``voila``     – default Voila 0.5 (``voila notebook.ipynb``): a kernel starts and the notebook
                  runs when the request arrives;
* ``workbench`` – ``workbench dashboards`` (pre-heated kernels, cache headers, gzip, local
                  Font Awesome).

Measured in headless Chromium with one browser context per server reused across visits (a
returning manager: browser cache warm after one warm-up visit; tabs closed as a browser
closes them, so the page's unload handler runs): time from the request (navigation start)
until the municipality selector, the key figures and the trend chart are drawn in a frame
("visible", above the fold) and until also map, ranking and the table are drawn
("complete"); then the time from typing another municipality's name until the displayed
share and the trend chart show it. Times are taken inside the page (``performance.now()``
checked every animation frame), so Playwright's own round trips are not counted. Kernel
memory (RSS of the kernel processes) is read with psutil.

Run: ``.venv/bin/python bench/bench_dashboards.py [--runs 5] [--pool-size 2]``
Prints medians and ratios; writes ``bench/results/dashboards.json`` (all samples) and a
run record for ``bench/report.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from _record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from workbench.dashboards.kernel import is_kernel_process  # noqa: E402
from workbench.dashboards.server import DashboardServer  # noqa: E402
from workbench.formatting import fmt_percent  # noqa: E402
from workbench.metrics import key_figures  # noqa: E402
from workbench.population import load_population  # noqa: E402
from workbench.reports.pdf import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one browser setup)

NOTEBOOK = "auslaenderanteil.ipynb"
# "Visible" = drawn in the DOM (plotly has created the chart's SVG with its title).
_CHART = (
    "[...document.querySelectorAll('.js-plotly-plot')].some(p => p.querySelector('.main-svg')"
    " && %s)"
)
# Above the fold: what a manager sees first without scrolling.
VISIBLE_TOP = (
    "() => !!(document.querySelector('.wb-gemeinde-search input')"
    " && document.querySelector('[data-testid=share]')"
    " && " + _CHART % "[...p.querySelectorAll('.gtitle')].some(t => "
    "t.textContent.includes('im Vergleich'))" + ")"
)
# Everything: plus map (41 traces), ranking and the table of all municipalities.
VISIBLE_ALL = (
    VISIBLE_TOP[:-1]
    + " && " + _CHART % "(p.data || []).length > 30"
    + " && " + _CHART % "[...p.querySelectorAll('.gtitle')].some(t => "
    "t.textContent.includes('der Städte und Gemeinden'))"
    + " && document.querySelectorAll('.wb-table tbody tr').length === 39)"
)
SWITCH_TO = ["Kornwestheim", "Ludwigsburg", "Sachsenheim", "Pleidelsheim", "Tamm", "Asperg"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_rss_mib(server_pid: int) -> list[float]:
    out = []
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            if is_kernel_process(child.cmdline()):
                out.append(child.memory_info().rss / 2**20)
        except psutil.Error:
            pass
    return out


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


def close(page) -> None:
    """Close the tab as a manager does: the page's beforeunload handler runs (Voila's
    front-end then asks the server to shut its kernel down; Playwright's plain close() skips
    it, and abandoned kernels would pile up and slow the later visits)."""
    page.close(run_before_unload=True)


# Timed inside the page (performance.now(), 0 = navigation start, i.e. the request): each
# animation frame checks whether the top / everything is drawn. Playwright's own round trips
# (≈ 50–100 ms per command) are not part of what a manager waits for.
PAGE_TIMER = (
    "(() => { const top = " + VISIBLE_TOP + ", all = " + VISIBLE_ALL + ";"
    " const t = window.__wbBench = {};"
    " const tick = () => { const now = performance.now();"
    "  if (t.top === undefined && document.body && top()) t.top = now;"
    "  if (t.top !== undefined && all()) { t.all = now; return; }"
    "  requestAnimationFrame(tick); };"
    " requestAnimationFrame(tick); })();"
)


def visit(context, url: str) -> tuple[float, float, object]:
    """Seconds from the request until the top of the page, and until everything, is drawn."""
    page = context.new_page()
    page.goto(url, wait_until="commit", timeout=180_000)
    page.wait_for_function("() => window.__wbBench && window.__wbBench.all !== undefined",
                           timeout=180_000, polling=100)
    timer = page.evaluate("window.__wbBench")
    return timer["top"] / 1000, timer["all"] / 1000, page


# Choose a municipality the way typing its name does (input event on the search box) and
# time, inside the page, until key figure and trend chart show it in a painted frame.
SWITCH = """([name, share]) => new Promise((resolve) => {
  const input = document.querySelector('.wb-gemeinde-search input');
  const shown = () => document.querySelector('[data-testid=share]').innerText.trim() === share
    && [...document.querySelectorAll('.gtitle')].some(t => t.textContent.includes(name));
  const start = performance.now();
  const tick = () => shown() ? resolve(performance.now() - start) : requestAnimationFrame(tick);
  input.value = name;
  input.dispatchEvent(new InputEvent('input', {bubbles: true, data: name}));
  requestAnimationFrame(tick);
})"""


def switch_times(page, pop, n: int) -> list[float]:
    times = []
    for name in SWITCH_TO[:n]:
        ags = next(r["ags"] for r in pop.filter(pop["name"] == name).iter_rows(named=True))
        expected = fmt_percent(key_figures(pop, ags)["zensus_share"])
        page.wait_for_timeout(300)  # a manager reads before choosing the next one
        times.append(page.evaluate(SWITCH, [name, expected]) / 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed visits per server")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--switches", type=int, default=6)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    pop = load_population()
    work = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    shutil.copy(ROOT / "dashboards" / NOTEBOOK, work / NOTEBOOK)
    results: dict = {"runs": args.runs, "pool_size": args.pool_size, "cpus": os.cpu_count(),
                     "load_avg_start": os.getloadavg()[0]}
    query = "?gemeinde=08118063"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        # ---- plain Voila ------------------------------------------------------------------
        port = free_port()
        plain = subprocess.Popen(
            [sys.executable, "-m", "voila", str(work / NOTEBOOK), f"--port={port}",
             "--no-browser", "--Voila.ip=127.0.0.1"],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        try:
            wait_http(f"http://127.0.0.1:{port}/voila/static/voila.js", plain)
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.add_init_script(PAGE_TIMER)
            *_, page = visit(ctx, f"http://127.0.0.1:{port}/{query}")  # warm the cache
            close(page)
            plain_top, plain_times = [], []
            for _ in range(args.runs):
                top, t, page = visit(ctx, f"http://127.0.0.1:{port}/{query}")
                plain_top.append(top)
                plain_times.append(t)
                close(page)
            results["voila_kernel_rss_mib"] = kernel_rss_mib(plain.pid)
            ctx.close()
        finally:
            os.killpg(plain.pid, 15)
            plain.wait(timeout=30)

        # ---- workbench dashboards ---------------------------------------------------------
        server = DashboardServer(port=free_port(), dashboards_dir=work,
                                 config_dir=ROOT / "dashboards", pool_size=args.pool_size)
        server.start(timeout=120)
        try:
            assert server.wait_for_pools(timeout=300)
            idle = kernel_rss_mib(server.process.pid)
            results["workbench_idle_pool_kernel_rss_mib"] = idle
            results["server_rss_mib"] = psutil.Process(server.process.pid).memory_info().rss / 2**20
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.add_init_script(PAGE_TIMER)
            url = f"{server.base_url}voila/render/{NOTEBOOK}{query}"
            *_, page = visit(ctx, url)  # warm the cache
            close(page)
            wb_top, wb_times = [], []
            for _ in range(args.runs):
                # a visitor arriving when the pool is ready (pool refills in the background)
                server.wait_for_pools(timeout=300)
                top, t, page = visit(ctx, url)
                wb_top.append(top)
                wb_times.append(t)
                if len(wb_times) == 1:
                    switches = switch_times(page, pop, args.switches)
                    results["kernel_rss_mib_in_use"] = kernel_rss_mib(server.process.pid)
                close(page)
            ctx.close()
        finally:
            server.stop()
        browser.close()

    med_plain, med_wb = statistics.median(plain_times), statistics.median(wb_times)
    top_plain, top_wb = statistics.median(plain_top), statistics.median(wb_top)
    results.update(
        voila_top_s=plain_top, workbench_top_s=wb_top,
        voila_top_median_s=top_plain, workbench_top_median_s=top_wb, speedup_top=top_plain / top_wb,
        voila_s=plain_times, workbench_s=wb_times, switch_s=switches,
        voila_median_s=med_plain, workbench_median_s=med_wb,
        speedup=med_plain / med_wb, switch_median_s=statistics.median(switches),
        load_avg_end=os.getloadavg()[0],
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboards.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_result(
        "bench_dashboards", statistic=f"Median aus {args.runs} Besuchen (Browser-Cache warm)",
        title="Dashboard Ausländeranteil im headless Chromium: sichtbar, vollständig, Wechsel",
        timings={"Standard-Voila: sichtbar": top_plain,
                 f"workbench dashboards (Pool {args.pool_size}): sichtbar": top_wb,
                 "Standard-Voila: vollständig": med_plain,
                 f"workbench dashboards (Pool {args.pool_size}): vollständig": med_wb,
                 "Gemeinde wechseln (workbench)": results["switch_median_s"]},
        ratios={"sichtbar: Standard-Voila ÷ workbench": top_plain / top_wb,
                "vollständig: Standard-Voila ÷ workbench": med_plain / med_wb})

    per_kernel = statistics.mean(results["workbench_idle_pool_kernel_rss_mib"] or [0])
    print(f"Ausländeranteil dashboard, {args.runs} visits each, browser cache warm "
          f"(load average {results['load_avg_start']:.1f} → {results['load_avg_end']:.1f})")
    def row(label: str, values: list[float]) -> str:
        return f"  {label:<22}: median {statistics.median(values):6.2f} s  " + str(
            [round(t, 2) for t in values])

    print("Visible = selector, key figures and trend chart drawn (above the fold):")
    print(row("default Voila", plain_top))
    print(row("workbench dashboards", wb_top) + f"  (pool_size={args.pool_size})")
    print(f"  speed-up              : {top_plain / top_wb:5.1f}x  (target ≥ 3x and ≤ 1,5 s)")
    print("Complete = also map, ranking and table of all 39 municipalities drawn:")
    print(row("default Voila", plain_times))
    print(row("workbench dashboards", wb_times))
    print(f"  speed-up              : {med_plain / med_wb:5.1f}x")
    print(f"  switch municipality   : median {1000 * results['switch_median_s']:6.0f} ms "
          f"{[round(1000 * t) for t in switches]} (target ≤ 150 ms)")
    print(f"  kernel RSS            : {per_kernel:.0f} MiB per pre-heated kernel (idle), "
          f"default Voila kernel {statistics.mean(results['voila_kernel_rss_mib'] or [0]):.0f} "
          f"MiB; server process {results['server_rss_mib']:.0f} MiB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
