"""Runs *inside* the warm report kernel: snapshot the pristine state, restore it between reports.

The warm-kernel engine (``workbench.reports.engine``) executes ``snapshot()`` once after the
kernel started and ``reset(cwd)`` before every report. Together they make a reused kernel
behave like a fresh one for the report notebooks while keeping heavy imports (polars, plotly,
the workbench package) loaded:

* user namespace: ``%reset -f`` semantics (``In``/``Out``, all variables gone), execution
  counter back to 1 so executed notebooks carry the same counts as on a fresh kernel;
* process state a cell may change: working directory, ``sys.path``, ``sys.argv``, warnings
  filters, root logger, polars ``Config``, plotly renderer/template defaults. Not
  ``os.environ``: nothing in the package writes it (settings travel as arguments, see
  ``workbench.settings``), so a report cannot leave a changed environment behind;
* module-level caches of the workbench package (``functools.lru_cache`` and friends) are
  cleared, except those made with ``workbench.cache.input_keyed_cache`` (the registry says
  which): their key contains the path, mtime and size of every input file, so a hit returns
  exactly what a reload would (and they hold immutable values). Keeping them is what makes a
  warm report cheap (population build ~2 s).

Modules a notebook imported stay imported (that is the point); importing has no effect on
report content in this code base.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any

_SNAPSHOT: dict[str, Any] = {}

# Imported once per kernel so the first report does not pay for them (and to take plotly's
# and nbformat-related import cost out of every later report).
WARM_IMPORTS = (
    "polars",
    "plotly.graph_objects",
    "plotly.io",
    "IPython.display",
    "workbench.reports.sections",
)


def snapshot(warm_imports: tuple[str, ...] = WARM_IMPORTS) -> None:
    """Record the pristine process state (call once, right after kernel start)."""
    import importlib

    from workbench.startup import skip_unused_imports

    skip_unused_imports()  # before nbformat is imported (plotly's renderers import it)

    for name in warm_imports:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - warming is best effort; the report shows real errors
            pass
    import plotly.io as pio

    root = logging.getLogger()
    _SNAPSHOT.update(
        cwd=os.getcwd(),
        path=list(sys.path),
        argv=list(sys.argv),
        warnings=list(warnings.filters),
        renderer=pio.renderers.default,
        template=pio.templates.default,
        root_level=root.level,
        root_handlers=list(root.handlers),
    )
    _warm_plotly_render()


def _warm_plotly_render() -> None:
    """Render one tiny figure so plotly's lazy validators/templates are built once per kernel."""
    try:
        import plotly.graph_objects as go

        fig = go.Figure(go.Scatter(x=[1], y=[1]))
        fig.update_layout(template="plotly_white")
        fig.to_json()
        fig.to_html(include_plotlyjs=False, full_html=False)
    except Exception:  # noqa: BLE001
        pass


def _clear_workbench_caches() -> int:
    """Clear the module-level caches of the workbench package except the input-keyed ones;
    returns how many were cleared."""
    from workbench import cache

    seen: set[int] = set()
    cleared = 0
    for name, module in list(sys.modules.items()):
        if not (name == "workbench" or name.startswith("workbench.")) or module is None:
            continue
        for value in list(vars(module).values()):
            # functools.cache/lru_cache wrappers, and input_keyed_cache wrappers, which the
            # registry recognises: those are kept.
            if (isinstance(value, type) or id(value) in seen
                    or not callable(getattr(value, "cache_clear", None))):
                continue
            seen.add(id(value))
            if not cache.is_input_keyed(value):
                value.cache_clear()
                cleared += 1
    return cleared


def reset(cwd: str | None = None) -> None:
    """Bring the kernel back to the snapshot state (call before every report)."""
    if not _SNAPSHOT:
        raise RuntimeError("kernelstate.snapshot() was not called in this kernel")
    from IPython import get_ipython

    ip = get_ipython()
    if ip is not None:
        # Same as `%reset -f`: user namespace, In/Out, _/__/___ and the output cache.
        # IPython's reset ends with a full gc.collect() (~0.1 s with polars/plotly loaded);
        # reference counting frees the namespace anyway, cycles go to the automatic gc.
        import gc

        collect = gc.collect
        gc.collect = lambda *args, **kwargs: 0
        try:
            ip.reset(new_session=False)
        finally:
            gc.collect = collect
        ip.execution_count = 1
    os.chdir(cwd or _SNAPSHOT["cwd"])
    sys.path[:] = _SNAPSHOT["path"]
    sys.argv[:] = _SNAPSHOT["argv"]
    warnings.filters[:] = _SNAPSHOT["warnings"]
    root = logging.getLogger()
    root.setLevel(_SNAPSHOT["root_level"])
    root.handlers[:] = _SNAPSHOT["root_handlers"]

    import plotly.io as pio

    pio.renderers.default = _SNAPSHOT["renderer"]
    pio.templates.default = _SNAPSHOT["template"]
    if "polars" in sys.modules:
        sys.modules["polars"].Config.restore_defaults()
    _clear_workbench_caches()
