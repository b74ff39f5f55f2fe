"""The batch on a Dask LocalCluster (2 worker processes, each with its own warm kernel)."""

from __future__ import annotations

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
