"""Voila dashboards: one class per dashboard, served by ``workbench.dashboards.server``.

Classes are imported lazily so that the server process (which imports
``workbench.dashboards.app``) does not load plotly and polars.

Importing this package blocks :data:`workbench.startup.UNUSED_OPTIONAL_IMPORTS`: it is the
first import of every dashboard notebook (and of the server), so each pre-heated kernel skips
jsonschema's RFC 3987 parser (≈ 1 s CPU and ≈ 15 MiB per kernel, see ``workbench.startup``).
"""

from __future__ import annotations

import importlib
from typing import Any

from workbench.startup import skip_unused_imports

skip_unused_imports()

_CLASSES = {
    "AuslaenderanteilDashboard": "workbench.dashboards.auslaenderanteil",
    "HandlungsfelderDashboard": "workbench.dashboards.handlungsfelder",
    "MesswerteErfassenDashboard": "workbench.dashboards.messwerte",
    "DemoDashboard": "workbench.dashboards.demo",
}

__all__ = list(_CLASSES)

# Printed to the server log by a pre-heated kernel when its dashboard is built and waits for a
# visitor (see ``base.query_params`` and ``server.DashboardServer.wait_for_pools``).
READY_MARKER = "workbench-dashboard-ready"


def __getattr__(name: str) -> Any:
    module = _CLASSES.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(module), name)
