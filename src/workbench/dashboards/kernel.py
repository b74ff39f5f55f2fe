"""The kernel process of a dashboard: ipykernel without what a dashboard never uses.

Every visitor of a dashboard holds one kernel, so what each kernel loads is paid once per
visitor. The dashboard server starts its kernels with the kernel spec
``workbench-dashboard`` (``share/kernels/``, found through the server's ``JUPYTER_PATH``;
``app.WorkbenchKernelManager`` picks it for the notebooks' ``python3``), which runs
``python -m workbench.dashboards.kernel``: the ordinary ipykernel, with

* the imports of ``workbench.startup.DASHBOARD_KERNEL_UNUSED_IMPORTS`` blocked
  (:func:`workbench.startup.skip_dashboard_kernel_imports`: plotly's notebook renderers
  with nbformat and jsonschema);
* at most :data:`POLARS_THREADS` polars worker threads unless ``POLARS_MAX_THREADS`` is set
  (set in the server's environment by ``app.server_environ``, which the kernels inherit)
  (polars starts one per CPU; a dashboard's frames have 39 municipalities, and on a
  16-core server the idle threads cost each kernel ≈ 8 MiB more, measured with
  ``POLARS_MAX_THREADS=16`` on 2 cores).

Measured with ``bench/bench_kernel_memory.py``, see docs/leistung.md. Nothing else differs
from the ``python3`` kernel: same interpreter, same ipykernel, same notebook code.

Only the dashboard server uses this spec; JupyterLab and the report kernels keep ``python3``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

# Name of the kernel spec directory under share/kernels/.
KERNEL_NAME = "workbench-dashboard"
# polars worker threads of a dashboard kernel (POLARS_MAX_THREADS, if not set otherwise).
POLARS_THREADS = 2


def is_kernel_process(cmdline: Sequence[str]) -> bool:
    """Whether a process's command line is a Python kernel's: a dashboard kernel (this module)
    or a plain ``python3`` one (``ipykernel_launcher``). For tests and benchmarks that look
    for the server's kernels among its child processes."""
    text = " ".join(cmdline)
    return "ipykernel" in text or "workbench.dashboards.kernel" in text


def main() -> None:
    from workbench.startup import skip_dashboard_kernel_imports

    skip_dashboard_kernel_imports()
    # As ipykernel_launcher: no working directory on sys.path while ipykernel loads (the
    # kernel's shell puts it back for the notebook's code).
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
