"""Dashboard kernels – one per visitor – do not load what a dashboard never uses (issue 13:
memory per visitor ≤ 150 MiB, ``bench/bench_kernel_memory.py``).

A heavy import that comes back (plotly's nbformat renderers with jsonschema, Voila's
server side through ``voila.utils``, numpy through the estimate) costs
every visitor's kernel again; these tests name it. They run the real thing: the kernel spec
the server uses, and a pre-heated kernel of a running server after its visitor came.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request

import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

from tests.dashboards.conftest import PROJECT_DIR, start_server, wait_until
from workbench.dashboards.app import SHARE_DIR, server_environ
from workbench.dashboards.kernel import KERNEL_NAME, POLARS_THREADS, is_kernel_process
from workbench.startup import DASHBOARD_KERNEL_UNUSED_IMPORTS

pytestmark = pytest.mark.slow

# Never in a dashboard kernel: the blocked ones, what they would pull in, and what the
# dashboards load only when they need it.
UNUSED = (*DASHBOARD_KERNEL_UNUSED_IMPORTS, "jsonschema", "rfc3987_syntax", "voila",
          "jupyter_server", "jupyterlab_server", "numpy")

PROBE = f"""
import json, os, sys, polars
from workbench.dashboards.base import wait_for_request
print("PROBE" + json.dumps({{
    "loaded": [m for m in {UNUSED!r} if sys.modules.get(m)],
    # the request the kernel was handed to (kept by base.wait_for_request, not in os.environ)
    "query": wait_for_request().get("QUERY_STRING") or os.environ.get("QUERY_STRING"),
    "threads": polars.thread_pool_size(),
}}))
"""


@pytest.fixture(autouse=True)
def built_population_model() -> None:
    """The population model's parquet cache exists, as on any server that has run before:
    the kernels read it (building it from the raw files is the one path that needs numpy)."""
    from workbench.population import load_population

    load_population()


def run_probe(client, code: str = "") -> dict:
    """Execute ``code`` and the probe in a kernel; the probe's JSON."""
    lines: list[str] = []

    def collect(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            lines.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            lines.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code + "\n" + PROBE, timeout=180, output_hook=collect)
    out = "".join(lines)
    assert reply["content"]["status"] == "ok", out
    return json.loads(out.split("PROBE", 1)[1])


def test_the_dashboard_kernel_spec_ships_with_the_server_environment():
    specs = KernelSpecManager(kernel_dirs=[str(SHARE_DIR / "kernels")]).find_kernel_specs()
    assert KERNEL_NAME in specs
    assert str(SHARE_DIR) in server_environ({})["JUPYTER_PATH"].split(os.pathsep)


@pytest.mark.parametrize("dashboard", ["AuslaenderanteilDashboard", "HandlungsfelderDashboard",
                                       "MesswerteErfassenDashboard"])
def test_dashboard_in_its_kernel_spec_loads_nothing_unused(dashboard, tmp_path, monkeypatch):
    """The notebook's code in a kernel of the ``workbench-dashboard`` spec (as the server
    starts them), outside a pre-heated pool."""
    for key, value in server_environ({**os.environ, "WORKBENCH_DB": str(tmp_path / "s.sqlite"),
                                      "WORKBENCH_OUTPUT_DIR": str(tmp_path / "out")}).items():
        monkeypatch.setenv(key, value)
    manager, client = start_new_kernel(kernel_name=KERNEL_NAME, cwd=str(tmp_path))
    try:
        assert any("workbench.dashboards.kernel" in part
                   for part in psutil.Process(manager.provisioner.pid).cmdline())
        result = run_probe(client, f"from workbench.dashboards import {dashboard}\n"
                                   f"_d = {dashboard}.from_request()")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert result["loaded"] == [], f"{dashboard}: {result['loaded']} in the kernel again"
    assert result["threads"] <= POLARS_THREADS


def test_the_probe_sees_these_imports_in_a_plain_python3_kernel(tmp_path):
    """The probe can fail: the ordinary ``python3`` kernel (JupyterLab's) loads plotly's
    renderers with nbformat and jsonschema for the dashboard."""
    if "python3" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("no python3 kernel spec (scripts/setup.sh installs it)")
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        result = run_probe(client, "from workbench.dashboards import MesswerteErfassenDashboard")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert {"nbformat", "jsonschema"} <= set(result["loaded"])


def test_preheated_kernel_after_its_visit_loads_nothing_unused(tmp_path):
    """A pre-heated Ausländeranteil kernel (the largest dashboard) of a running server: it
    waited for its visitor without voila.utils and got the visitor's query string."""
    dashboards = tmp_path / "dashboards"
    dashboards.mkdir()
    shutil.copy(PROJECT_DIR / "dashboards" / "auslaenderanteil.ipynb", dashboards)
    server = start_server(tmp_path, dashboards_dir=dashboards, pool_size=1,
                          env={"WORKBENCH_DB": str(tmp_path / "s.sqlite"),
                               "WORKBENCH_OUTPUT_DIR": str(tmp_path / "out")})
    try:
        assert server.wait_for_pools(timeout=240), server.output()[-3000:]
        kernels = [p for p in psutil.Process(server.process.pid).children(recursive=True)
                   if is_kernel_process(p.cmdline())]
        assert len(kernels) == 1
        cmdline = kernels[0].cmdline()
        assert "workbench.dashboards.kernel" in cmdline, cmdline
        connection_file = cmdline[cmdline.index("-f") + 1]

        url = f"{server.base_url}voila/render/auslaenderanteil.ipynb?gemeinde=Tamm"
        with urllib.request.urlopen(url, timeout=120) as resp:
            page = resp.read().decode("utf-8", "replace")
        assert resp.status == 200 and "kernelId" in page
        assert wait_until(lambda: "Using pre-heated kernel" in server.output(), timeout=30)

        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient(connection_file=connection_file)
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            result = run_probe(client)
        finally:
            client.stop_channels()
    finally:
        server.stop()
    assert result["query"] == "gemeinde=Tamm"
    assert result["loaded"] == [], f"{result['loaded']} in the pre-heated kernel again"
