"""Start and stop the Voila dashboard server (``workbench dashboards``, ``workbench run``).

The server runs in its own process (``python -m workbench.dashboards.app``) so that a
caller's event loop and imports are untouched and it can be stopped cleanly as a process
group. Configuration comes from ``dashboards/voila.json``; the arguments here override it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench import paths
from workbench.dashboards import READY_MARKER
from workbench.dashboards.app import (
    DASHBOARDS,
    ERFASSUNG_NOTEBOOK,
    list_notebooks,
    server_environ,
)
from workbench.exceptions import DashboardServerError

DEFAULT_PORT = 8866


@dataclass
class DashboardServer:
    """One Voila server process serving ``dashboards/``.

    ``start()`` returns once the start page answers; ``wait_for_pools()`` additionally waits
    until every pre-heated kernel pool is filled (then no visitor waits on a kernel start).
    """

    port: int = DEFAULT_PORT
    pool_size: int | None = None
    erfassung: bool = True
    ip: str = "127.0.0.1"
    # host names besides 127.0.0.1/localhost/[::1] (WorkbenchVoila.public_names)
    public_names: Sequence[str] = ()
    max_kernels: int | None = None
    max_kernels_per_dashboard: int | None = None
    dashboards_dir: Path = field(default_factory=paths.dashboards_dir)
    # where voila.json is read from (default: beside the notebooks)
    config_dir: Path | None = None
    env: Mapping[str, str] | None = None
    extra_args: Sequence[str] = ()
    log_path: Path | None = None
    process: subprocess.Popen | None = field(default=None, init=False)
    _lines: list[str] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    # ---- arguments -------------------------------------------------------------------
    def command(self) -> list[str]:
        root = Path(self.dashboards_dir).resolve()
        config_dir = Path(self.config_dir).resolve() if self.config_dir else root
        args = [
            sys.executable,
            "-m",
            "workbench.dashboards.app",
            str(root),
            f"--Voila.config_file_paths={config_dir}",
            f"--Voila.ip={self.ip}",
            f"--Voila.port={self.port}",
            "--Voila.port_retries=0",
            "--no-browser",
        ]
        if self.pool_size is not None:
            args.append(f"--VoilaConfiguration.default_pool_size={self.pool_size}")
            args.append(f"--VoilaConfiguration.preheat_kernel={self.pool_size > 0}")
        for name in self.public_names:
            args.append(f"--WorkbenchVoila.public_names={name}")
        if self.max_kernels is not None:
            args.append(f"--WorkbenchVoila.max_kernels={self.max_kernels}")
        if self.max_kernels_per_dashboard is not None:
            args.append(
                f"--WorkbenchVoila.max_kernels_per_dashboard={self.max_kernels_per_dashboard}"
            )
        if not self.erfassung:
            args.append("--WorkbenchVoila.erfassung=False")
            # no pre-heated kernels for a notebook nobody can open
            args.append(f"--VoilaKernelManager.preheat_denylist={ERFASSUNG_NOTEBOOK}")
        args.extend(self.extra_args)
        return args

    @property
    def base_url(self) -> str:
        return f"http://{self.ip}:{self.port}/"

    def notebooks(self) -> list[str]:
        return [
            nb
            for nb in list_notebooks(Path(self.dashboards_dir))
            if self.erfassung or nb != ERFASSUNG_NOTEBOOK
        ]

    def urls(self) -> dict[str, str]:
        """German dashboard title -> URL (start page first)."""
        out = {"Startseite": self.base_url}
        for nb in self.notebooks():
            out[DASHBOARDS.get(nb, Path(nb).stem)] = f"{self.base_url}voila/render/{nb}"
        return out

    # ---- life cycle ------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> DashboardServer:
        env = server_environ({**os.environ, **(self.env or {})})
        # Kernels must import the same package (source checkout or installed).
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            self.command(),
            env=env,
            cwd=str(self.dashboards_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # own process group: stop() ends kernels too
        )
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DashboardServerError(
                    f"Der Dashboard-Server ist beim Start beendet worden "
                    f"(Port {self.port} belegt?). Ausgabe:\n{self.output()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(self.base_url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise DashboardServerError(f"Der Dashboard-Server antwortet nicht auf {self.base_url}.")

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        log = self.log_path.open("a", encoding="utf-8") if self.log_path else None
        try:
            for line in self.process.stdout:
                with self._lock:
                    self._lines.append(line)
                if log:
                    log.write(line)
                    log.flush()
        finally:
            if log:
                log.close()

    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def wait_for_log(self, pattern: str, count: int = 1, timeout: float = 120.0) -> bool:
        """Wait until ``pattern`` (regex) occurred ``count`` times in the server log."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(rx.findall(self.output())) >= count:
                return True
            if self.process is None or self.process.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def configured_pool_size(self) -> int:
        if self.pool_size is not None:
            return self.pool_size
        config_dir = Path(self.config_dir or self.dashboards_dir)
        try:
            config = json.loads((config_dir / "voila.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0
        voila = config.get("VoilaConfiguration", {})
        return int(voila.get("default_pool_size", 1)) if voila.get("preheat_kernel") else 0

    def ready_kernels(self) -> int:
        """Pre-heated kernels that finished their notebook and wait for a visitor now
        (ready markers written by the kernels minus kernels handed to visitors)."""
        log = self.output()
        return log.count(READY_MARKER) - log.count("Using pre-heated kernel")

    def wait_for_pools(self, timeout: float = 180.0) -> bool:
        """Wait until every pre-heated kernel has run its notebook up to the point where it
        waits for a visitor (the dashboards print a marker to the server log there)."""
        expected = self.configured_pool_size() * len(self.notebooks())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_kernels() >= expected:
                return True
            if self.process is None or self.process.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def stop(self, timeout: float = 15.0, grace: float = 3.0) -> None:
        """SIGTERM the server (it closes its port and shuts its kernels down), wait up to
        ``timeout`` s, then kill its process group and every kernel process still alive.

        Kernels start in their own sessions, so the group kill does not reach them: they are
        tracked as descendants of the server while it runs.
        """
        from workbench.dashboards.guard import descendants, reap

        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        tracked = {p.pid: p for p in descendants(proc.pid)}
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            # kernels started while the server shuts down are tracked too
            tracked.update({p.pid: p for p in descendants(proc.pid)})
            time.sleep(0.1)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=5)
        reap(list(tracked.values()), grace)

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def print_urls(server: DashboardServer) -> None:
    print(
        "Dashboards laufen (nur auf diesem Rechner erreichbar):"
        if server.ip == "127.0.0.1"
        else "Dashboards laufen:"
    )
    for title, url in server.urls().items():
        print(f"  {title}: {url}")
    if not server.erfassung:
        print("  (Messwerterfassung ausgeschaltet)")


def serve(
    port: int = DEFAULT_PORT,
    block: bool = True,
    *,
    pool_size: int | None = None,
    erfassung: bool = True,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    public_names: Sequence[str] = (),
    max_kernels: int | None = None,
    max_kernels_per_dashboard: int | None = None,
) -> DashboardServer:
    """Start the dashboards and print their URLs.

    ``block=True`` (CLI, ``workbench run``) keeps serving until Ctrl+C or SIGTERM (what
    systemd sends) and then stops the server and its kernels and returns (exit code 0).
    ``block=False`` returns the running :class:`DashboardServer`; call ``.stop()`` when done.
    """
    log_path = paths.output_dir() / "logs" / "dashboards.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = DashboardServer(
        port=port,
        pool_size=pool_size,
        erfassung=erfassung,
        env=env,
        extra_args=extra_args,
        log_path=log_path,
        public_names=tuple(public_names),
        max_kernels=max_kernels,
        max_kernels_per_dashboard=max_kernels_per_dashboard,
    ).start()
    print_urls(server)
    print(f"Server-Protokoll: {log_path}")
    if not block:
        return server
    print("Beenden mit Strg+C.")
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        while server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nDashboards werden beendet …", flush=True)
    finally:
        if main_thread:
            # a second Ctrl+C or SIGTERM must not cut the clean-up short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            server.stop()
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
    return server


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
