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

Example (first thing in a new process, before anything imports nbformat)::

    from workbench.startup import skip_unused_imports
    skip_unused_imports()
"""

from __future__ import annotations

import sys

# Imported only as optional extras of libraries we use, never needed by workbench.
UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Block :data:`UNUSED_OPTIONAL_IMPORTS` in this process (no effect once imported)."""
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
