"""Voila dashboards: one class per dashboard, served by ``workbench.dashboards.server``.

Classes are imported lazily so that the server process (which imports
``workbench.dashboards.app``) does not load plotly and polars.
"""

from __future__ import annotations

import importlib
from typing import Any

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
