"""A real ``workbench hub`` on loopback for the multi-user tests (issue 13).

Started once per test session with the shipped configuration (``workbench hub``: JupyterHub,
configurable-http-proxy from npm, the dashboards as hub service, the users file), a fresh
state directory, store and output directory, and stopped with SIGTERM at the end – after
which no process it started may be left.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests

from workbench.hub.users import add_user

# the project's browser set-up (Chromium from Debian, German locale) for the hub's pages
from ..dashboards.conftest import browser, context  # noqa: F401
from ..hub_ldap.conftest import free_port, require_proxy

PASSWORD = "Sehr-geheim-2026!"
USERS = {
    "admin.it": ["admin"],
    "l.chef": ["leitung"],
    "e.mueller": ["traeger-sachsenheim"],
    "t.weg": ["leitung", "traeger-sachsenheim"],  # loses the Redaktion during the tests
    "x.raus": ["leitung"],  # removed from the users file during the tests
    "w.entzug": ["leitung", "traeger-sachsenheim"],  # loses the Redaktion while connected
    "k.koordi": ["kreis-integration"],
    "a.nalyst": ["analyse"],
}
SERVICE = "/services/dashboards/"


@dataclass
class RunningHub:
    url: str
    folder: Path
    users_file: Path
    store: Path
    process: subprocess.Popen
    log: Path
    marker: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def login(self, user: str, password: str = PASSWORD) -> requests.Session:
        """Log in like a browser (form with _xsrf); the session then holds the hub cookie."""
        session = requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        assert xsrf, page.text[:500]
        response = session.post(f"{self.url}/hub/login", timeout=60, data={
            "username": user, "password": password, "_xsrf": xsrf.group(1)})
        session.last_response = response  # type: ignore[attr-defined]
        return session

    def processes(self) -> list[psutil.Process]:
        """Every live process started for this hub (found by the marker in its environment)."""
        found = []
        for p in psutil.process_iter(["pid"]):
            try:
                if p.environ().get("WORKBENCH_TEST_HUB") == self.marker:
                    found.append(p)
            except (psutil.Error, OSError):
                continue
        return found


def wait_until(check, timeout: float, what: str, hub: RunningHub | None = None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (requests.RequestException, AssertionError) as exc:
            last = exc
        if hub is not None and hub.process.poll() is not None:
            raise RuntimeError(f"Hub beendet:\n{hub.log_text()[-6000:]}")
        time.sleep(0.3)
    tail = hub.log_text()[-6000:] if hub is not None else ""
    raise RuntimeError(f"{what} nach {timeout} s nicht erreicht ({last!r}):\n{tail}")


def launch(folder: Path, args: list[str], ready_user: str, ready_password: str = PASSWORD,
           users_file: Path | None = None) -> RunningHub:
    """Start ``workbench hub`` in ``folder`` (fresh state, store and output there) and wait
    until ``ready_user`` sees the dashboards' start page through the proxy."""
    require_proxy()
    berichte = folder / "output" / "berichte"
    berichte.mkdir(parents=True, exist_ok=True)
    (berichte / "index.html").write_text(
        "<!DOCTYPE html><html lang='de'><title>Berichte</title><h1>Berichte 2025</h1>"
        "<a href='sachsenheim.html'>Sachsenheim</a></html>", encoding="utf-8")
    (berichte / "sachsenheim.html").write_text(
        "<!DOCTYPE html><html lang='de'><title>Sachsenheim</title><h1>Integrationsbericht "
        "Sachsenheim</h1></html>", encoding="utf-8")
    (folder / "store").mkdir(exist_ok=True)
    marker = f"hub-{os.getpid()}-{time.monotonic_ns()}"
    port = free_port()
    env = {
        **os.environ,
        "WORKBENCH_DB": str(folder / "store" / "observations.sqlite"),
        "WORKBENCH_OUTPUT_DIR": str(folder / "output"),
        "WORKBENCH_TEST_HUB": marker,
    }
    log = folder / "hub.log"
    command = [
        sys.executable, "-m", "workbench.cli", "hub", "--port", str(port),
        "--hub-port", str(free_port()), "--proxy-api-port", str(free_port()),
        "--dashboards-port", str(free_port()), "--state-dir", str(folder / "state"),
        "--pool-size", "1", "--idle-timeout", "600", *args,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = RunningHub(f"http://127.0.0.1:{port}", folder, users_file or folder / "-",
                         folder / "store" / "observations.sqlite", process, log, marker)
    try:
        session = None

        def service_ready():
            nonlocal session
            if session is None or "jupyterhub-hub-login" not in session.cookies:
                session = running.login(ready_user, ready_password)
            r = session.get(f"{running.url}{SERVICE}", timeout=30)
            return r.status_code == 200 and "Angemeldet als" in r.text

        wait_until(service_ready, 120, "Dashboards hinter dem Hub", running)
    except BaseException:
        stop(running)
        raise
    return running


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Iterator[RunningHub]:
    folder = tmp_path_factory.mktemp("hub")
    users_file = folder / "users.toml"
    for login, groups in USERS.items():
        add_user(users_file, login, PASSWORD, groups)
    running = launch(folder, ["--users-file", str(users_file)], "l.chef",
                     users_file=users_file)
    try:
        yield running
    finally:
        stop(running)
    # after SIGTERM nothing the hub started may be left (kernels run in their own sessions)
    assert running.left_after_stop == [], (  # type: ignore[attr-defined]
        f"nach SIGTERM noch laufend: {running.left_after_stop}\n{running.log_text()[-3000:]}")


def stop(running: RunningHub, grace: float = 30) -> None:
    """SIGTERM like systemd; the hub stops its services and servers, which stop kernels."""
    process = running.process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    left = running.processes()
    for p in left:
        try:
            p.kill()
        except psutil.Error:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    running.stopped_rc = process.wait(timeout=10)  # type: ignore[attr-defined]
    running.left_after_stop = [p.pid for p in left]  # type: ignore[attr-defined]
