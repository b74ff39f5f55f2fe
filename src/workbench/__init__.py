"""workbench: Integrationsmonitoring for Landkreis Ludwigsburg (AGS 08118).

Analysts start here::

    import workbench
    pop = workbench.load_population()
    workbench.metrics.summary_text(pop, "08118076")

Submodules are imported on first attribute access, so ``import workbench`` stays cheap
(report kernels and the CLI import only what they use).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = {
    "catalogue",
    "examples",
    "figures",
    "formatting",
    "loaders",
    "metrics",
    "observation",
    "observations_io",
    "paths",
    "population",
    "progress",
    "provenance",
    "region",
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


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        module, attr = _SHORTCUTS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
