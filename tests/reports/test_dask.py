"""The batch on a Dask LocalCluster (2 worker processes, each with its own warm kernel), and
``--dask`` without the optional extra installed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.reports.manifest import read_manifest
from workbench.reports.plan import plan_jobs
from workbench.reports.runner import run_batch


@pytest.mark.slow
def test_batch_on_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    jobs = plan_jobs(["Sachsenheim", "Asperg", "Besigheim"], year=2024)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = run_batch(jobs, tmp_path, formats=("html", "ipynb"), dask_address=client,
                           progress=False)
        worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert not result.failed, result.summary()
    assert {r.key for r in result.results} == {j.key for j in jobs}
    # Rendered on the cluster's worker processes, not in this process.
    assert {r.pid for r in result.results} <= worker_pids
    for job in jobs:
        assert (tmp_path / f"{job.stem}.html").is_file()
    assert len(read_manifest(tmp_path)["reports"]) == 3


# Makes ``dask`` and ``distributed`` unimportable in a subprocess, as on an installation
# without the extra (the packages themselves are installed here for test_dask).
_HIDE_DASK = '''
import sys


class _HideDask:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _HideDask())
'''


def test_dask_option_without_the_extra_says_how_to_install(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_HIDE_DASK, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH")) if p)}
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "reports", "-m", "Sachsenheim", "--year", "2024",
         "--out", str(out), "--format", "html", "--dask", "tcp://127.0.0.1:1", "-q"],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "workbench reports --dask braucht dask[distributed]" in proc.stderr
    assert 'pip install "workbench[dask]"' in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "nothing written before the check"

    # The finder really hides dask in that interpreter (the test is not passing by accident).
    probe = subprocess.run([sys.executable, "-c", "import dask"], capture_output=True,
                           text=True, env=env, timeout=60)
    assert probe.returncode == 1 and "ModuleNotFoundError" in probe.stderr
