"""workbench: Integrationsmonitoring for Landkreis Ludwigsburg (AGS 08118).

Analysts start here::

    import workbench
    pop = workbench.load_population()
    workbench.metrics.summary_text(pop, "08118076")

``dir(workbench)`` lists the public API: the submodules below and the shortcuts
``load_population``, ``municipalities``, ``load_catalogue`` and ``ObservationStore``;
``help(workbench.region.resolve)`` and friends give columns, parameters and an example.

Submodules are imported on first attribute access, so ``import workbench`` stays cheap
(report kernels and the CLI import only what they use; no polars or plotly).
"""

import importlib as _importlib
from typing import Any as _Any

__version__ = "0.1.0"

# The public submodules. Not listed on purpose: cli/commands (the command line), dashboards
# (Voila apps), and the internal helpers cache, diskcache, fsutil, htmlparts, ids,
# excel_safety, tabular and tabular_write.
_SUBMODULES = {
    "catalogue",
    "estimation",
    "examples",
    "exceptions",
    "figures",
    "formatting",
    "integration",
    "loaders",
    "metrics",
    "observation",
    "observations_io",
    "paths",
    "population",
    "progress",
    "provenance",
    "region",
    "reports",
    "settings",
    "store",
    "suppression",
    "validation",
}
_SHORTCUTS = {
    "load_population": ("population", "load_population"),
    "municipalities": ("region", "municipalities"),
    "load_catalogue": ("catalogue", "load_catalogue"),
    "ObservationStore": ("store", "ObservationStore"),
}

__all__ = sorted(_SUBMODULES | set(_SHORTCUTS))


def __getattr__(name: str) -> _Any:
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        module, attr = _SHORTCUTS[name]
        return getattr(_importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # Tab completion and dir(): the public names (and the module's own dunders), without
    # importing anything; the helpers imported above stay out.
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
