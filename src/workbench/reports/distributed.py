"""Run the report batch on a Dask cluster (``workbench reports --dask ADDRESS``).

Each Dask worker thread keeps its own warm kernel (``workbench.reports.engine.warm_kernel``
is per process and thread), so a worker renders many reports without restarting Python.
``WarmKernelPlugin`` shuts those kernels down when a worker closes.

Requirements on a real cluster: the same Python environment (this package installed, same
version) on every worker, and ``--out`` on a file system shared by the workers and the
machine running ``workbench reports`` (NFS/SMB mount at the same path). PDFs are printed on
the submitting machine from the shared HTML (Chromium needed only there).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from workbench.reports.plan import ReportJob
from workbench.reports.render import ENGINE_NAME, ReportResult, render_report

PLUGIN_NAME = "workbench-warm-kernels"


class WarmKernelPlugin(WorkerPlugin):
    """Shuts down the worker's warm report kernels on worker close."""

    name = PLUGIN_NAME

    def teardown(self, worker: Any) -> None:
        from workbench.reports.engine import shutdown_all

        shutdown_all()


def _render_on_worker(job: ReportJob, out_dir: str, formats: tuple[str, ...],
                      inputs_hash: str) -> ReportResult:
    return render_report(job, out_dir, formats, ENGINE_NAME, inputs_hash)


def iter_dask(
    jobs: Sequence[ReportJob], out_dir: Path, formats: Sequence[str], hashes: dict[str, str],
    address: str | Any,
) -> Iterator[ReportResult]:
    """Submit every job to the cluster; yield results as they complete."""
    from distributed import Client, as_completed

    own_client = not hasattr(address, "submit")
    client = Client(address) if own_client else address
    try:
        client.register_plugin(WarmKernelPlugin(), name=PLUGIN_NAME)
        futures = [
            client.submit(_render_on_worker, job, str(out_dir), tuple(formats), hashes[job.key],
                          key=f"bericht-{job.key}-{hashes[job.key][:12]}", pure=False)
            for job in jobs
        ]
        for future in as_completed(futures):
            yield future.result()
    finally:
        if own_client:
            client.close()
