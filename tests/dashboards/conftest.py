"""Fixtures for the dashboard tests: Voila servers on free ports and headless Chromium.

Browser tests skip with a clear message when ``/usr/bin/chromium`` is missing, except under
CI (env ``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.dashboards.server import DashboardServer
from workbench.reports.pdf import CHROMIUM, CHROMIUM_ARGS  # one browser setup for all

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_DIR / "tests" / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} fehlt: Browser-Tests brauchen Debians chromium (apt-get install)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def start_server(tmp: Path, *, dashboards_dir: Path | None = None, **kwargs) -> DashboardServer:
    server = DashboardServer(
        port=free_port(),
        dashboards_dir=dashboards_dir or PROJECT_DIR / "dashboards",
        config_dir=PROJECT_DIR / "dashboards",
        log_path=tmp / "server.log",
        **kwargs,
    )
    server.start(timeout=90)
    return server


@pytest.fixture(scope="session")
def store_db(tmp_path_factory) -> Path:
    """The observation store the served dashboards write to (``WORKBENCH_DB``)."""
    return tmp_path_factory.mktemp("store") / "observations.sqlite"


@pytest.fixture(scope="session")
def dashboard_server(tmp_path_factory, store_db) -> Iterator[DashboardServer]:
    """The three real dashboards, one pre-heated kernel each, writing to a temporary store."""
    require_chromium()
    tmp = tmp_path_factory.mktemp("voila")
    # the local user the entry form records (no typed "Erfasst von" since issue 13)
    server = start_server(tmp, pool_size=1, env={"WORKBENCH_DB": str(store_db),
                                                "WORKBENCH_USER": "Test Browser"})
    try:
        assert server.wait_for_pools(timeout=240), server.output()[-3000:]
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A directory holding only the light dropdown+chart demo notebook."""
    target = tmp_path_factory.mktemp("demo")
    shutil.copy(PROJECT_DIR / "bench" / "demo" / "demo.ipynb", target / "demo.ipynb")
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class PageRecorder:
    """Collects console errors, page errors and every requested URL of a page."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", lambda req: self.requests.append(req.url))

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def external_requests(self) -> list[str]:
        return [
            u for u in self.requests
            if not u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:"))
        ]


@pytest.fixture()
def context(browser) -> Iterator:
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="de-DE")
    ctx.set_default_timeout(90_000)
    try:
        yield ctx
    finally:
        ctx.close()


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def margins_drawn_vs_set(page) -> list[tuple[list[int], list[int]]]:
    """Per chart on the page: (margins plotly laid it out with, margins the figure set).
    Equal = ``reserve_margins`` left automargin nothing to grow, the chart was laid out once."""
    return [
        (drawn, given)
        for drawn, given in page.evaluate(
            "[...document.querySelectorAll('.wb-plotly-chart .js-plotly-plot')].map(p => {"
            " const z = p._fullLayout._size, m = p.layout.margin || {};"
            " return [[z.l, z.r, z.t, z.b].map(Math.round), [m.l, m.r, m.t, m.b]]; })"
        )
    ]
