"""The dashboard server: no code from the browser, local assets, culling, concurrency, switch-off.

Uses the light demo notebook (dropdown + chart) so that kernels start quickly; the real
dashboards are exercised in the other browser tests.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.dashboards.conftest import (
    PROJECT_DIR,
    PageRecorder,
    require_chromium,
    start_server,
    wait_until,
)

pytestmark = pytest.mark.slow

CULL_TIMEOUT = 3
POOL = 4  # sized for the 4 concurrent visitors below


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, demo_dir):
    """Demo notebook, 4 pre-heated kernels, culling after 3 s idle checked every second."""
    tmp = tmp_path_factory.mktemp("demo-voila")
    server = start_server(
        tmp,
        dashboards_dir=demo_dir,
        pool_size=POOL,
        extra_args=[
            f"--MappingKernelManager.cull_idle_timeout={CULL_TIMEOUT}",
            "--MappingKernelManager.cull_interval=1",
        ],
    )
    try:
        assert server.wait_for_pools(timeout=180), server.output()[-3000:]
        yield server
    finally:
        server.stop()


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def kernel_id_of(page_html: str) -> str:
    match = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page_html)
    assert match, "no kernel id in the served page"
    return match.group(1)


def run_async(coro_fn, timeout: float = 60):
    """Run ``coro_fn()`` on a fresh event loop in a worker thread (Playwright's sync API owns
    the main thread's loop while the browser fixture is alive)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro_fn(), timeout)).result()


def _message(msg_type: str, content: dict, session: str) -> str:
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "username": "test", "session": session,
                   "msg_type": msg_type, "version": "5.3", "date": "2026-01-01T00:00:00Z"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
        "buffers": [],
    })


def test_page_has_no_source_and_kernel_refuses_code_from_browser(demo_server, tmp_path):
    status, _, page = get(demo_server.base_url + "voila/render/demo.ipynb")
    assert status == 200
    assert "DemoDashboard" not in page  # sources stripped: no notebook code in the page
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page
    kernel = kernel_id_of(page)

    from tornado.websocket import websocket_connect

    marker = tmp_path / "pwned.txt"
    ws_url = demo_server.base_url.replace("http", "ws") + f"api/kernels/{kernel}/channels"

    async def talk() -> list[str]:
        conn = await websocket_connect(ws_url)
        session = uuid.uuid4().hex
        code = f"open({str(marker)!r}, 'w').write('x')"
        await conn.write_message(_message("execute_request", {
            "code": code, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}, session))
        await conn.write_message(_message("kernel_info_request", {}, session))
        replies: list[str] = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(conn.read_message(), deadline - time.monotonic())
            except TimeoutError:
                break
            if raw is None:
                break
            msg_type = json.loads(raw)["header"]["msg_type"] if isinstance(raw, str) else ""
            replies.append(msg_type)
            if msg_type == "kernel_info_reply":
                break
        conn.close()
        return replies

    replies = run_async(talk, timeout=30)
    # The channel works (kernel_info is allowed) ...
    assert "kernel_info_reply" in replies
    # ... but Voila dropped the execute_request: no reply, no side effect.
    assert "execute_reply" not in replies
    time.sleep(1)
    assert not marker.exists()
    log = demo_server.output()
    assert re.search(r"execute_request.*not allowed|not allowed.*execute_request", log, re.I | re.S)


def test_font_awesome_and_static_assets_served_locally_with_cache_headers(demo_server):
    status, headers, css = get(
        demo_server.base_url + "workbench/assets/fontawesome/css/all.min.css")
    assert status == 200 and "Font Awesome" in css
    assert "max-age=86400" in headers["Cache-Control"]
    font = re.search(r"url\(\.\./webfonts/(fa-solid-900\.woff2)\)", css).group(1)
    status, _, _ = get(demo_server.base_url + f"workbench/assets/fontawesome/webfonts/{font}")
    assert status == 200
    status, headers, _ = get(demo_server.base_url + "voila/static/voila.js")
    assert status == 200 and "max-age" in headers["Cache-Control"]
    # nothing outside the font awesome css/webfonts folders is exposed
    status, _, _ = get(demo_server.base_url + "workbench/assets/fontawesome/LICENSE.txt")
    assert status == 404


def test_page_loads_the_basic_plotly_bundle_and_no_plotly_lab_extension(demo_server):
    from plotly.offline import get_plotlyjs_version

    _, _, page = get(demo_server.base_url + "voila/render/demo.ipynb")
    version = get_plotlyjs_version()
    url = re.search(r'window.__wbPlotlyUrl = "([^"]+)"', page).group(1)
    assert url == f"/workbench/assets/plotly/{version}/plotly-basic.min.js"
    status, headers, js = get(demo_server.base_url + url.lstrip("/"))
    assert status == 200 and "max-age" in headers["Cache-Control"]
    assert f"plotly.js (basic - minified) v{version}" in js[:200]
    # the 4.8 MB renderer extension (a second plotly.js) is not loaded by the page
    config = json.loads(re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    ).group(1))
    names = {ext["name"] for ext in config["federated_extensions"]}
    assert "jupyterlab-plotly" not in names
    assert {"anywidget", "@jupyter-widgets/jupyterlab-manager"} <= names
    # only that one file is served from the bundle's directory, under its version only
    assert get(demo_server.base_url + url.lstrip("/").replace("plotly-basic", "LICENSE"))[0] \
        == 404
    assert get(demo_server.base_url + url.lstrip("/").replace(version, "0.0.1"))[0] == 404


def test_culling_spares_idle_pool_and_reclaims_abandoned_kernels(demo_server):
    # Let the pre-heated kernels idle well past the cull timeout.
    time.sleep(CULL_TIMEOUT * 2 + 1)
    # A visitor now gets a pre-heated kernel that idled > timeout: it must survive until the
    # browser connects (the bug seen with plain Voila: "404 Kernel does not exist").
    _, _, page = get(demo_server.base_url + "voila/render/demo.ipynb")
    handed_out = kernel_id_of(page)
    assert wait_until(lambda: f"Kernel {handed_out} not yet connected" in demo_server.output(),
                      timeout=10)
    assert f"Kernel shutdown: {handed_out}" not in demo_server.output()

    # Connect, then disconnect (a closed tab whose unload beacon was lost): culled after idle.
    from tornado.websocket import websocket_connect

    ws_url = demo_server.base_url.replace("http", "ws") + f"api/kernels/{handed_out}/channels"

    async def connect_and_leave() -> None:
        conn = await websocket_connect(ws_url)
        conn.close()

    run_async(connect_and_leave, timeout=20)
    assert wait_until(lambda: f"Kernel shutdown: {handed_out}" in demo_server.output(),
                      timeout=CULL_TIMEOUT + 15), demo_server.output()[-2000:]


def test_visitor_after_idle_pool_and_concurrent_visitors_get_working_pages(demo_server, browser):
    require_chromium()
    assert demo_server.wait_for_pools(timeout=180)  # refilled after the tests above
    time.sleep(CULL_TIMEOUT * 2 + 1)  # pool idle past the cull timeout again
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(150_000)
    try:
        n = POOL
        pages = [context.new_page() for _ in range(n)]
        recorders = [PageRecorder(p) for p in pages]
        for p in pages:
            p.goto(demo_server.base_url + "voila/render/demo.ipynb", wait_until="commit")
        for p in pages:
            p.wait_for_selector(".widget-dropdown select")
            p.wait_for_selector(".js-plotly-plot .scatterlayer .trace")
        # The kernels work, not only the HTML: switch the area on the page in front (headless
        # Chromium gives background tabs no animation frames, so plotly redraws only there).
        front = pages[-1]
        front.select_option(".widget-dropdown select", "Gemeinde 07")
        front.wait_for_function("() => document.querySelector('.gtitle')?.textContent"
                                " === 'Gemeinde 07'")
        for rec in recorders:
            assert rec.errors == []
            assert rec.external_requests() == []
    finally:
        context.close()


def test_entry_form_can_be_switched_off(tmp_path):
    server = start_server(tmp_path, pool_size=0, erfassung=False)
    try:
        status, _, start = get(server.base_url)
        assert status == 200
        assert "Ausländeranteil" in start and "Handlungsfelder" in start
        assert "Messwerte erfassen" not in start
        status, _, page = get(server.base_url + "voila/render/messwerte_erfassen.ipynb")
        assert status == 404 and "ausgeschaltet" in page
        assert "Messwerte erfassen" not in "".join(server.urls())
    finally:
        server.stop()
    assert Path(PROJECT_DIR / "dashboards" / "messwerte_erfassen.ipynb").exists()
