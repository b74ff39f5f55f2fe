"""Papermill engine that runs many reports on one long-lived ("warm") kernel.

A fresh kernel per report costs ~1 s (start, imports of polars/plotly/workbench, shutdown)
while the report itself needs ~0.3 s. ``WarmKernelEngine`` keeps one kernel per worker
thread, and before every notebook restores it to the pristine state recorded right after
start (``workbench.reports.kernelstate``). Registered through papermill's entry point
``papermill.engine`` as ``workbench_warm``::

    papermill.execute_notebook(nb, out, parameters=..., engine_name="workbench_warm")

The kernel is restarted automatically when it died or a report did not finish cleanly
(timeout, lost connection), so one broken report cannot poison the following ones.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

# No papermill import at module level: papermill imports this module while it registers its
# engine entry points, so importing papermill here would be circular when this module is
# imported first. WarmKernelEngine therefore mirrors papermill's Engine interface and
# delegates to papermill's implementation at call time.

# Single expressions: nothing is left in the user namespace (reset() empties it anyway).
SNAPSHOT_CODE = '__import__("workbench.reports.kernelstate", fromlist=["_"]).snapshot()'
RESET_CODE = '__import__("workbench.reports.kernelstate", fromlist=["_"]).reset({cwd!r})'


class WarmKernel:
    """One started kernel (manager + client) that executes notebooks one after the other."""

    def __init__(self, kernel_name: str = "python3", startup_timeout: int = 60) -> None:
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.km: Any = None
        self.kc: Any = None
        self.reports_run = 0
        self.starts = 0
        self.dirty = False  # set when a run ended abnormally -> restart before the next one

    # -- lifecycle ---------------------------------------------------------------------
    def _bootstrap_client(self, cells: list[str]) -> NotebookClient:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=self.kernel_name,
            startup_timeout=self.startup_timeout,
            timeout=120,
        )
        client.kc = self.kc
        return client

    def start(self) -> None:
        """Start the kernel and record its pristine state (heavy imports happen here)."""
        client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name=self.kernel_name,
            startup_timeout=self.startup_timeout,
        )
        client.km = client.create_kernel_manager()
        client.start_new_kernel(cwd=os.getcwd())
        client.start_new_kernel_client()
        self.km, self.kc = client.km, client.kc
        self.starts += 1
        self.dirty = False
        self._run_silently(SNAPSHOT_CODE)

    def _run_silently(self, code: str) -> None:
        client = self._bootstrap_client([code])
        with client.setup_kernel(cleanup_kc=False):
            # store_history=False: does not advance the execution counter.
            client.execute_cell(client.nb.cells[0], 0, store_history=False)

    def is_alive(self) -> bool:
        if self.km is None:
            return False
        try:
            from nbclient.util import run_sync

            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001
            return False

    def ensure_ready(self, cwd: str) -> None:
        """Kernel alive, clean state, working directory ``cwd``."""
        if self.dirty or not self.is_alive():
            self.shutdown()
            self.start()
        try:
            self._run_silently(RESET_CODE.format(cwd=cwd))
        except Exception:  # noqa: BLE001 - a kernel that cannot reset is replaced
            from papermill.log import logger

            logger.warning("warm kernel could not be reset; starting a new one")
            self.shutdown()
            self.start()
            self._run_silently(RESET_CODE.format(cwd=cwd))

    def shutdown(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        if self.km is not None:
            try:
                from nbclient.util import run_sync

                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001
                pass
        self.km = self.kc = None

    # -- execution ---------------------------------------------------------------------
    def execute(self, nb_man: Any, **client_kwargs: Any) -> Any:
        """Execute papermill's managed notebook on this kernel (like NBClientEngine)."""
        from papermill.clientwrap import PapermillNotebookClient

        self.ensure_ready(os.getcwd())
        client = PapermillNotebookClient(nb_man, km=self.km, **client_kwargs)
        client.kc = self.kc
        ok = False
        try:
            client.execute(cleanup_kc=False)
            ok = True
        except CellExecutionError:
            ok = True  # ordinary cell error: kernel is fine, papermill records the error
            raise
        finally:
            self.reports_run += 1
            self.dirty = not ok
        return nb_man.nb


_local = threading.local()
_all_kernels: list[WarmKernel] = []
_lock = threading.Lock()


def warm_kernel(kernel_name: str = "python3", startup_timeout: int = 60) -> WarmKernel:
    """The calling thread's warm kernel (created on first use, reused afterwards)."""
    kernels: dict[str, WarmKernel] | None = getattr(_local, "kernels", None)
    if kernels is None:
        kernels = _local.kernels = {}
    kernel = kernels.get(kernel_name)
    if kernel is None:
        kernel = kernels[kernel_name] = WarmKernel(kernel_name, startup_timeout)
        with _lock:
            _all_kernels.append(kernel)
    return kernel


def shutdown_all() -> None:
    """Shut down every warm kernel of this process (atexit, worker teardown)."""
    with _lock:
        kernels = list(_all_kernels)
        _all_kernels.clear()
    for kernel in kernels:
        kernel.shutdown()
    _local.__dict__.clear()


atexit.register(shutdown_all)


class WarmKernelEngine:
    """Papermill engine: like ``NBClientEngine`` but on this thread's warm kernel.

    Same classmethods as ``papermill.engines.Engine`` (see the import note at the top).
    """

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, **kwargs: Any) -> Any:
        from papermill.engines import Engine

        return Engine.execute_notebook.__func__(cls, nb, kernel_name, **kwargs)

    @classmethod
    def nb_kernel_name(cls, nb: Any, name: str | None = None) -> str:
        from papermill.utils import nb_kernel_name

        return nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb: Any, language: str | None = None) -> str:
        from papermill.utils import nb_language

        return nb_language(nb, language)

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        from papermill.log import logger
        from papermill.utils import merge_kwargs, remove_args

        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        kernel = warm_kernel(kernel_name, start_timeout)
        return kernel.execute(nb_man, **final_kwargs)
