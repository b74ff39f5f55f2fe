"""The dashboard server as a service: Host/Origin allow-list, kernel caps, signals, /logout.

Real servers with the light demo notebook and no pre-heated pool (kernels start only for page
requests, so kernel counts are deterministic); plain HTTP and tornado websocket clients.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tests.dashboards.conftest import PROJECT_DIR, free_port, start_server, wait_until
from tests.dashboards.test_server import kernel_id_of, run_async
from workbench.dashboards.guard import BUSY_TEXT, descendants
from workbench.dashboards.kernel import is_kernel_process

pytestmark = pytest.mark.slow

PUBLIC_NAME = "dashboards.example.test"
PAGE = "voila/render/demo.ipynb"


def request(server, path: str, host: str | None = None, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One request with a chosen Host header (``None`` = the server's own address)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=90)
    try:
        hdrs = {"Host": host or f"127.0.0.1:{server.port}", **(headers or {})}
        conn.request(method, "/" + path, body=b"" if method == "POST" else None, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def kernel_processes(server) -> list[psutil.Process]:
    return descendants(server.process.pid)


def ws_status(server, kernel: str, host: str | None = None, origin: str | None = None):
    """Open the kernel websocket; ``"open"`` or the HTTP status it was refused with."""
    headers = {"Host": host or f"127.0.0.1:{server.port}"}
    if origin:
        headers["Origin"] = origin
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel}/channels"

    async def connect():
        try:
            conn = await websocket_connect(HTTPRequest(url, headers=headers))
        except HTTPClientError as exc:
            return exc.code
        conn.close()
        return "open"

    return run_async(connect, timeout=30)


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory) -> Path:
    """Two copies of the demo notebook (two "dashboards" for the per-dashboard cap)."""
    target = tmp_path_factory.mktemp("hardening-demo")
    for name in ("demo.ipynb", "demo2.ipynb"):
        shutil.copy(PROJECT_DIR / "bench" / "demo" / "demo.ipynb", target / name)
    return target


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, demo_dirs):
    """Pool off, a public name, caps: 2 visitor kernels per dashboard, 3 kernels in total."""
    server = start_server(
        tmp_path_factory.mktemp("guarded"), dashboards_dir=demo_dirs, pool_size=0,
        public_names=[PUBLIC_NAME], max_kernels=3, max_kernels_per_dashboard=2,
    )
    try:
        yield server
    finally:
        server.stop()


def test_foreign_host_is_refused_everywhere_allowed_hosts_served(guarded):
    port = guarded.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", PUBLIC_NAME,
                 f"{PUBLIC_NAME}:{port}"):
        status, _, body = request(guarded, "", host=host)
        assert status == 200, host
        assert "Integrationsmonitoring" in body
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}",
                 f"{PUBLIC_NAME}.evil.example"):
        for path in ("", PAGE, "voila/static/voila.js",
                     "workbench/assets/fontawesome/css/all.min.css", "api/kernels"):
            status, headers, body = request(guarded, path, host=host)
            assert status == 403, (host, path)
            assert "lang='de'" in body and "<h1>Zugriff verweigert</h1>" in body
            assert "nicht freigegeben" in body
    # the unload beacon (POST) with a foreign Origin
    status, _, _ = request(guarded, "voila/api/shutdown/" + "0" * 36, method="POST",
                           headers={"Origin": "http://evil.example"})
    assert status == 403
    # no kernel was started by any refused page request
    assert "Kernel started" not in guarded.output()


def test_kernel_websocket_needs_own_host_and_origin(guarded):
    status, _, page = request(guarded, "voila/render/demo2.ipynb")
    assert status == 200
    kernel = kernel_id_of(page)
    own = f"http://127.0.0.1:{guarded.port}"
    assert ws_status(guarded, kernel, origin=own) == "open"  # the control: it works
    # behind a reverse proxy that passes the Host header on
    assert ws_status(guarded, kernel, host=PUBLIC_NAME, origin=f"https://{PUBLIC_NAME}") == "open"
    assert ws_status(guarded, kernel, host=f"evil.example:{guarded.port}") == 403
    # DNS rebinding: foreign page, foreign Host and Origin agreeing with each other
    assert ws_status(guarded, kernel, host=f"evil.example:{guarded.port}",
                     origin=f"http://evil.example:{guarded.port}") == 403
    assert ws_status(guarded, kernel, origin="http://evil.example") == 403
    assert ws_status(guarded, kernel, origin="null") == 403


def test_logout_answers_in_german(guarded):
    status, _, body = request(guarded, "logout")
    assert status == 200
    assert "<h1>Abgemeldet</h1>" in body and "lang='de'" in body


def test_kernel_caps_answer_503_without_starting_kernels(guarded):
    for _ in range(2):
        assert request(guarded, PAGE)[0] == 200
    # third page of the same dashboard: past the per-dashboard cap of 2
    started = guarded.output().count("Kernel started")
    status, headers, body = request(guarded, PAGE)
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert BUSY_TEXT in body
    assert "lang='de'" in body and "<h1>Zu viele gleichzeitige Nutzer</h1>" in body
    assert "<title>Zu viele gleichzeitige Nutzer" in body
    assert guarded.output().count("Kernel started") == started
    # the other dashboard (one kernel from the websocket test, or none) is admitted up to the
    # total cap of 3, then refused as well
    answers = [request(guarded, "voila/render/demo2.ipynb")[0] for _ in range(2)]
    assert answers in ([200, 503], [503, 503])
    time.sleep(1)
    assert guarded.output().count("Kernel started") == 3
    assert len(kernel_processes(guarded)) == 3


# ---- signals -------------------------------------------------------------------------------
def _project(tmp: Path, pool_size: int) -> Path:
    """A project directory whose dashboards/ holds only the demo notebook."""
    (tmp / "dashboards").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "bench" / "demo" / "demo.ipynb", tmp / "dashboards" / "demo.ipynb")
    config = json.loads((PROJECT_DIR / "dashboards" / "voila.json").read_text(encoding="utf-8"))
    config["VoilaConfiguration"]["default_pool_size"] = pool_size
    config["VoilaConfiguration"]["preheat_kernel"] = pool_size > 0
    config["VoilaKernelManager"]["fill_delay"] = 0
    (tmp / "dashboards" / "voila.json").write_text(json.dumps(config), encoding="utf-8")
    return tmp


def _workbench() -> list[str]:
    exe = Path(sys.executable).with_name("workbench")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "workbench.cli"]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a restarted server does
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
        return True


@pytest.mark.parametrize(
    ("signum", "pool_size"), [(signal.SIGTERM, 1), (signal.SIGINT, 0)], ids=["SIGTERM", "SIGINT"]
)
def test_signal_stops_server_and_every_kernel(tmp_path, signum, pool_size):
    project = _project(tmp_path / "project", pool_size)
    port = free_port()
    env = {**os.environ, "WORKBENCH_PROJECT_DIR": str(project),
           "WORKBENCH_OUTPUT_DIR": str(tmp_path / "output"), "PYTHONUNBUFFERED": "1"}
    cli = subprocess.Popen(
        [*_workbench(), "dashboards", "--port", str(port)], env=env, cwd=str(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # like a service: nothing else in its process group
    )
    log = tmp_path / "output" / "logs" / "dashboards.log"
    tracked: list[psutil.Process] = []
    try:
        class Server:  # what request() needs
            pass

        server = Server()
        server.port = port
        assert wait_until(lambda: log.exists() and "Storing connection files" in
                          log.read_text(encoding="utf-8"), timeout=90), cli.poll()
        connection_dir = re.search(r"Storing connection files in (\S+?)\.?\n",
                                   log.read_text(encoding="utf-8")).group(1)
        assert wait_until(lambda: _get_ok(port), timeout=60)
        # a visitor: with the pool it gets the pre-heated kernel and a refill starts at once
        status, _, _ = request(server, PAGE)
        assert status == 200
        tracked = descendants(cli.pid)  # the Voila server and its kernels
        kernels = [p for p in tracked if is_kernel_process(_cmdline(p))]
        assert len(kernels) == 1 + pool_size

        started = time.monotonic()
        cli.send_signal(signum)
        try:
            cli.wait(timeout=25)
        except subprocess.TimeoutExpired:
            pytest.fail("workbench dashboards did not exit within 25 s")
        elapsed = time.monotonic() - started
        assert cli.returncode == 0, cli.stdout.read()
        assert elapsed < 25

        def leftovers() -> list:
            alive = [p for p in tracked if p.is_running() and p.status() != "zombie"]
            alive += [p for p in psutil.process_iter() if connection_dir in " ".join(_cmdline(p))]
            return alive

        assert leftovers() == []
        assert _port_free(port)
        assert "Dashboards beendet." in log.read_text(encoding="utf-8")
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
        for p in tracked:
            if p.is_running():
                p.kill()


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _get_ok(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
