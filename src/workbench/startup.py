"""Process start-up: skip imports our processes never use but pay for on every start.

``jsonschema`` (imported by ``nbformat``, which papermill, nbconvert and plotly's notebook
renderers import) loads the optional ``rfc3987_syntax`` package when it is installed (it comes
with ``jsonschema[format-nongpl]`` via Jupyter). Importing it builds an Earley parser for the
RFC 3987 grammar: ≈ 2,7 s of CPU in every process that imports nbformat – each report worker,
each report kernel and the command line. It only serves jsonschema's optional ``iri`` /
``iri-reference`` format checks, which nbformat's notebook validation does not use.

:func:`skip_unused_imports` blocks that import (``sys.modules[name] = None`` makes ``import``
raise ImportError, which jsonschema treats as "not installed"). It is called where *our*
processes start – the ``workbench`` command, the report worker processes, the report
kernels (``reports.kernelstate.snapshot``), and the dashboard server and kernels (on
``import workbench.dashboards``, the first line of every dashboard notebook) – never on
``import workbench``, so an analyst's own process is left as it is. Measured with
``python -X importtime -c "import nbformat"``; the effect on a batch is in docs/leistung.md.

Dashboard kernels (``workbench.dashboards.kernel``, one per visitor) skip more:
:func:`skip_dashboard_kernel_imports` also blocks :data:`DASHBOARD_KERNEL_UNUSED_IMPORTS`,
packages a dashboard kernel never calls but would load on start-up or with plotly – measured
with ``bench/bench_kernel_memory.py``.

Example (first thing in a new process, before anything imports nbformat)::

    from workbench.startup import skip_unused_imports
    skip_unused_imports()
"""

from __future__ import annotations

import sys

# Imported only as optional extras of libraries we use, never needed by workbench.
UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


# Never used in a dashboard kernel, only loaded because something *could* use them:
# * ``nbformat`` – plotly imports it (and jsonschema, referencing, rpds, arrow, …) for its
#   notebook renderers (``fig.show()``, a displayed ``go.Figure``). The dashboards send their
#   charts as JSON through ``PlotlyChart`` and the server switches plotly's renderer
#   extension off, so a plotly output could not be drawn there anyway; plotly treats a
#   blocked nbformat as "not installed".
# Not blocked although unused: ipykernel's debugger (debugpy, ≈ 10 MiB) – without it, widget
# changes from the browser were lost in tests/dashboards/test_form_errors_browser.py.
DASHBOARD_KERNEL_UNUSED_IMPORTS = ("nbformat",)


def skip_unused_imports() -> None:
    """Block :data:`UNUSED_OPTIONAL_IMPORTS` in this process (no effect once imported)."""
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def skip_dashboard_kernel_imports() -> None:
    """In a dashboard kernel process (``workbench.dashboards.kernel``) only: block
    :data:`UNUSED_OPTIONAL_IMPORTS` and :data:`DASHBOARD_KERNEL_UNUSED_IMPORTS`. Never in
    the dashboard server (Voila reads the notebooks with nbformat) or an analyst's kernel."""
    skip_unused_imports()
    for name in DASHBOARD_KERNEL_UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
