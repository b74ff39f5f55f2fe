"""Benchmark: N concurrent dashboard visitors through the hub (issue 13).

One run starts a real ``workbench hub`` (JupyterHub, configurable-http-proxy, the dashboards
service) on loopback with N users of the group ``leitung`` and a dashboards configuration
sized for the burst (``--pool`` pre-heated kernels of the measured dashboard, kernel caps
raised accordingly; written to a temporary ``voila.json`` passed with
``workbench hub --dashboards-config``). Then:

1. **Login** of all N users (hub login form; bcrypt) – reported, not part of the page time.
2. **N visitors at once** (asyncio; each with its own session): GET the dashboard page through
   the proxy (the HTML holds the kernel id), open the kernel websocket with the session's
   cookies, ask ipywidgets for all widget states. "Usable" = HTML received and the kernel has
   answered with the widgets' states – what a browser needs to draw the dashboard. p50/p95 of
   that time; failures (e.g. 503 past a kernel cap, timeouts) are counted, not hidden.
3. **Memory** while all N visitors are connected: RSS of every dashboard kernel (÷ kernels =
   memory per visitor, a visitor holds one kernel), RSS of the dashboards server, the hub and
   the proxy.
4. **Auth overhead**: the dashboards' start page (needs the login) through the hub vs the same
   page of a ``workbench dashboards`` server without hub (no login), alternating, sequential;
   median difference.

Visitors are simulated at HTTP + kernel-websocket level, not with N browsers (the browser's own
drawing is measured in ``bench_dashboards.py``).

Run: ``.venv/bin/python bench/bench_hub.py [--visitors 20] [--pool 20]
[--dashboard handlungsfelder]``. Prints a German table with the verdicts for the issue's
targets (p95 ≤ 3 s, ≤ 150 MiB per visitor) and writes a run record for ``bench/report.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests
from _record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.hub.kernel_client import KernelSocket, kernel_id_of  # noqa: E402
from workbench.dashboards.kernel import is_kernel_process  # noqa: E402
from workbench.dashboards.server import DashboardServer  # noqa: E402
from workbench.formatting import fmt_number  # noqa: E402
from workbench.hub.users import hash_password  # noqa: E402

SERVICE = "/services/dashboards/"
TARGET_P95_S = 3.0
TARGET_MIB = 150.0
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between the sorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def verdict(value: float, target: float, unit: str, label: str) -> str:
    """„Ziel p95 ≤ 3 s: erreicht (2,1 s)“ from the measured value."""
    met = value <= target
    return (f"Ziel {label} ≤ {fmt_number(target, 0)} {unit}: "
            f"{'erreicht' if met else 'nicht erreicht'} ({fmt_number(value, 1)} {unit})")


def users_toml(logins: list[str], password: str) -> str:
    # One hash for all: bcrypt of N passwords would only slow the set-up down.
    digest = hash_password(password)
    return "".join(f'[users."{login}"]\ngroups = ["leitung"]\npassword = "{digest}"\n\n'
                   for login in logins)


def dashboards_config(folder: Path, notebook: str, pool: int, visitors: int) -> Path:
    config = json.loads((ROOT / "dashboards" / "voila.json").read_text(encoding="utf-8"))
    config.setdefault("VoilaKernelManager", {})["kernel_pools_config"] = {
        "default": {"pool_size": 1}, notebook: {"pool_size": pool}}
    caps = config.setdefault("WorkbenchVoila", {})
    # room for the burst: every visitor's kernel, the refills, the other pools
    caps["max_kernels"] = visitors + pool + 8
    caps["max_kernels_per_dashboard"] = visitors + 2
    target = folder / "voila-bench"
    target.mkdir()
    (target / "voila.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target


def login(url: str, user: str, password: str) -> tuple[requests.Session, float]:
    session = requests.Session()
    start = time.perf_counter()
    page = session.get(f"{url}/hub/login", timeout=60)
    xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
    session.post(f"{url}/hub/login", timeout=120, data={
        "username": user, "password": password, "_xsrf": xsrf.group(1) if xsrf else ""})
    elapsed = time.perf_counter() - start
    if "jupyterhub-hub-login" not in session.cookies:
        raise RuntimeError(f"Anmeldung von {user} fehlgeschlagen")
    return session, elapsed


async def visit(url: str, page: str, session: requests.Session, timeout: float,
                kernels: set[str]):
    """(seconds until usable, open socket) or (None, reason); the kernel id goes to
    ``kernels``."""
    start = time.perf_counter()
    try:
        response = await asyncio.to_thread(session.get, f"{url}{SERVICE}voila/render/{page}",
                                           timeout=timeout)
        if response.status_code != 200:
            return None, f"HTTP {response.status_code}"
        kernel_id = kernel_id_of(response.text)
        kernels.add(kernel_id)
        socket_ = await KernelSocket.open(url, SERVICE, kernel_id, session)
        await socket_.widget_states(timeout=timeout)
        return time.perf_counter() - start, socket_
    except Exception as exc:  # noqa: BLE001 - a failed visitor is a result
        return None, f"{type(exc).__name__}: {exc}"[:120]


def hub_processes(marker: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.environ().get("WORKBENCH_BENCH_HUB") == marker:
                found.append(p)
        except (psutil.Error, OSError):
            continue
    return found


def memory(marker: str, visitor_kernels: set[str]) -> dict[str, float]:
    """RSS (and USS: memory only this process holds) of the visitors' kernels, of all
    kernels, of the dashboards server, the hub and the proxy, in MiB."""
    visitors_rss, visitors_uss, all_rss = [], [], []
    server = hub = proxy = 0.0
    for p in hub_processes(marker):
        try:
            cmd = " ".join(p.cmdline())
            rss = p.memory_info().rss / MIB
        except psutil.Error:
            continue
        if is_kernel_process([cmd]):
            all_rss.append(rss)
            match = re.search(r"kernel-([0-9a-f-]{36})\.json", cmd)
            if match and match.group(1) in visitor_kernels:
                visitors_rss.append(rss)
                try:
                    visitors_uss.append(p.memory_full_info().uss / MIB)
                except psutil.Error:
                    pass
        elif "workbench.dashboards.app" in cmd:
            server += rss
        elif "configurable-http-proxy" in cmd:
            proxy += rss
        elif "workbench.cli" in cmd and " hub" in cmd:
            hub += rss

    def mean(values: list[float]) -> float:
        return statistics.mean(values) if values else float("nan")

    return {"kernels": len(all_rss), "kernel_mib_sum": sum(all_rss),
            "visitor_kernels": len(visitors_rss), "visitor_rss_mib": mean(visitors_rss),
            "visitor_rss_max_mib": max(visitors_rss, default=float("nan")),
            "visitor_uss_mib": mean(visitors_uss),
            "server_mib": server, "hub_mib": hub, "proxy_mib": proxy}


def wait_ready(url: str, session: requests.Session, process: subprocess.Popen,
               timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Hub beendet sich beim Start")
        try:
            r = session.get(f"{url}{SERVICE}", timeout=30)
            if r.status_code == 200 and "Angemeldet als" in r.text:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("Dashboards hinter dem Hub nicht bereit")


def wait_pool(marker: str, want: int, timeout: float = 600) -> None:
    """Until at least ``want`` kernels exist and the machine has calmed down."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kernels = [p for p in hub_processes(marker) if is_kernel_process(p.cmdline())]
        if len(kernels) >= want:
            for p in kernels:
                p.cpu_percent(interval=None)  # starts the measurement
            time.sleep(3)
            if sum(p.cpu_percent(interval=None) for p in kernels) < 20:
                return
        time.sleep(2)
    raise RuntimeError(f"Kernel-Pool nach {timeout} s nicht gefüllt")


def auth_overhead(hub_url: str, session: requests.Session, direct_url: str,
                  n: int) -> tuple[list[float], list[float]]:
    via_hub, direct = [], []
    plain = requests.Session()
    for _ in range(n):
        t = time.perf_counter()
        assert session.get(f"{hub_url}{SERVICE}", timeout=30).status_code == 200
        via_hub.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert plain.get(direct_url, timeout=30).status_code == 200
        direct.append(time.perf_counter() - t)
    return via_hub, direct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--pool", type=int, default=None,
                        help="vorgeheizte Kernel des gemessenen Dashboards (Standard: Besucher)")
    parser.add_argument("--dashboard", default="handlungsfelder")
    parser.add_argument("--auth-requests", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    n, notebook = args.visitors, f"{args.dashboard}.ipynb"
    pool = args.pool if args.pool is not None else n
    password = secrets.token_urlsafe(16)
    logins = [f"besucher-{i:02d}" for i in range(1, n + 1)]

    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        folder = Path(tmp)
        (folder / "users.toml").write_text(users_toml(logins, password), encoding="utf-8")
        os.chmod(folder / "users.toml", 0o600)
        config_dir = dashboards_config(folder, notebook, pool, n)
        marker = f"bench-{os.getpid()}-{time.monotonic_ns()}"
        port = free_port()
        env = {**os.environ, "WORKBENCH_DB": str(folder / "obs.sqlite"),
               "WORKBENCH_OUTPUT_DIR": str(folder / "output"), "WORKBENCH_BENCH_HUB": marker}
        command = [sys.executable, "-m", "workbench.cli", "hub", "--port", str(port),
                   "--hub-port", str(free_port()), "--proxy-api-port", str(free_port()),
                   "--dashboards-port", str(free_port()), "--state-dir", str(folder / "state"),
                   "--users-file", str(folder / "users.toml"),
                   "--dashboards-config", str(config_dir)]
        log = (folder / "hub.log").open("wb")
        hub = subprocess.Popen(command, cwd=folder, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        direct = None
        try:
            _retry_ready(url)
            first, _ = login(url, logins[0], password)
            wait_ready(url, first, hub)
            print(f"Hub bereit: {url}; warte auf {pool} vorgeheizte Kernel für {notebook} …")
            wait_pool(marker, pool + 2)
            sessions, login_times = [], []
            for user in logins:
                session, seconds = login(url, user, password)
                sessions.append(session)
                login_times.append(seconds)

            visitor_kernels: set[str] = set()

            async def burst():
                return await asyncio.gather(*(visit(url, notebook, s, args.timeout,
                                                    visitor_kernels) for s in sessions))

            # one loop for the burst and the closing: the sockets belong to it
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            start = time.perf_counter()
            results = loop.run_until_complete(burst())
            wall = time.perf_counter() - start
            times = [r[0] for r in results if r[0] is not None]
            failures = [r[1] for r in results if r[0] is None]
            mem = memory(marker, visitor_kernels)
            for seconds, sock in results:
                if seconds is not None:
                    sock.close()
            loop.run_until_complete(asyncio.sleep(0.5))
            loop.close()

            direct = DashboardServer(port=free_port(), pool_size=0, env={
                "WORKBENCH_DB": str(folder / "obs.sqlite"),
                "WORKBENCH_OUTPUT_DIR": str(folder / "output")})
            direct.start(timeout=120)
            via_hub, plain = auth_overhead(url, sessions[0], direct.base_url,
                                           args.auth_requests)
        finally:
            if direct is not None:
                direct.stop()
            if hub.poll() is None:
                os.killpg(hub.pid, signal.SIGTERM)
                try:
                    hub.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(hub.pid, signal.SIGKILL)
            log.close()
            left = hub_processes(marker)
            for p in left:
                p.kill()

    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    per_visitor = mem["visitor_rss_mib"]
    overhead_ms = (statistics.median(via_hub) - statistics.median(plain)) * 1000
    rows = [
        ("Besucher gleichzeitig", f"{n} ({notebook}, {pool} vorgeheizte Kernel)"),
        ("Anmeldung (bcrypt) p50 / p95", f"{fmt_number(percentile(login_times, .5), 2)} s / "
                                         f"{fmt_number(percentile(login_times, .95), 2)} s"),
        ("Seite nutzbar p50", f"{fmt_number(p50, 2)} s"),
        ("Seite nutzbar p95", f"{fmt_number(p95, 2)} s"),
        ("Alle Besucher fertig nach", f"{fmt_number(wall, 2)} s"),
        ("Fehlgeschlagen", f"{len(failures)}" + (f" ({failures[0]})" if failures else "")),
        ("Speicher je Besucher (Kernel-RSS, Mittel)",
         f"{fmt_number(per_visitor, 0)} MiB (größter {fmt_number(mem['visitor_rss_max_mib'], 0)}"
         f" MiB; nur dieser Prozess (USS): {fmt_number(mem['visitor_uss_mib'], 0)} MiB)"),
        ("Kernel insgesamt (mit Pools der anderen Dashboards)",
         f"{mem['kernels']}, zusammen {fmt_number(mem['kernel_mib_sum'], 0)} MiB RSS"),
        ("Dashboard-Server / Hub / Proxy (RSS)",
         f"{fmt_number(mem['server_mib'], 0)} / {fmt_number(mem['hub_mib'], 0)} / "
         f"{fmt_number(mem['proxy_mib'], 0)} MiB"),
        ("Startseite über Hub / direkt (Median)",
         f"{fmt_number(statistics.median(via_hub) * 1000, 1)} ms / "
         f"{fmt_number(statistics.median(plain) * 1000, 1)} ms"),
        ("Aufschlag Anmeldung + Proxy je Seitenaufruf", f"{fmt_number(overhead_ms, 1)} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    notes = [verdict(p95, TARGET_P95_S, "s", "p95"),
             verdict(per_visitor, TARGET_MIB, "MiB", "Speicher je Besucher")]
    if failures:
        notes.insert(0, f"{len(failures)} von {n} Besuchern ohne nutzbare Seite")
    print()
    for note in notes:
        print(note)
    if left:
        print(f"WARNUNG: {len(left)} Prozesse nach SIGTERM beendet (SIGKILL)")
    write_result(
        "bench_hub",
        title=f"{n} gleichzeitige Besucher über den Hub ({notebook}): Seite nutzbar, Speicher, "
              "Anmeldungs-Aufschlag",
        statistic=f"p50/p95 über {n} gleichzeitige Besucher; Aufschlag: Median aus "
                  f"{args.auth_requests} abwechselnden Aufrufen",
        timings={"Seite nutzbar p50": p50, "Seite nutzbar p95": p95,
                 "alle Besucher fertig": wall,
                 "Startseite über Hub (Median)": statistics.median(via_hub),
                 "Startseite direkt (Median)": statistics.median(plain)},
        ratios={"Startseite: über Hub ÷ direkt":
                statistics.median(via_hub) / statistics.median(plain)},
        notes=[*notes,
               f"Speicher je Besucher (Kernel-RSS, Mittel über {mem['visitor_kernels']} "
               "Besucher-Kernel): "
               f"{fmt_number(per_visitor, 0)} MiB, davon nur dieser Prozess (USS) "
               f"{fmt_number(mem['visitor_uss_mib'], 0)} MiB; Dashboard-Server "
               f"{fmt_number(mem['server_mib'], 0)} MiB, Hub {fmt_number(mem['hub_mib'], 0)} "
               f"MiB, Proxy {fmt_number(mem['proxy_mib'], 0)} MiB",
               f"Fehlgeschlagene Besucher: {len(failures)}",
               f"{pool} vorgeheizte Kernel für {notebook} (eigene voila.json über "
               "--dashboards-config): jeder Besucher bekommt einen fertigen Kernel; wer "
               "danach kommt, wartet auf einen Kernelstart"],
    )


def _retry_ready(url: str, timeout: float = 120) -> bool:
    """Until the hub's login page answers (the proxy routes /hub/ once the hub is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if 'name="_xsrf"' in requests.get(f"{url}/hub/login", timeout=10).text:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("Hub antwortet nicht")


if __name__ == "__main__":
    main()
