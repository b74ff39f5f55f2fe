"""Every filesystem path the package uses, in one place.

Each root can be overridden by an environment variable so tests, CI and deployments can
point the package elsewhere without touching code.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# src/workbench -> src -> project root (only meaningful for an editable/source install).
PROJECT_DIR = Path(os.environ.get("WORKBENCH_PROJECT_DIR", PACKAGE_DIR.parent.parent))


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path:
    """Shipped data (``data/``); override with ``WORKBENCH_DATA_DIR``."""
    return _env_path("WORKBENCH_DATA_DIR", PROJECT_DIR / "data")


def raw_dir() -> Path:
    """Raw official files, byte-for-byte as published, with provenance files beside them."""
    return data_dir() / "raw"


def templates_dir() -> Path:
    """Templates users fill in (municipal series, observations, catalogues)."""
    return data_dir() / "templates"


def catalogue_dir() -> Path:
    """Handlungsfeld catalogues (one YAML per Träger); override with ``WORKBENCH_CATALOGUE_DIR``."""
    return _env_path("WORKBENCH_CATALOGUE_DIR", data_dir() / "catalogues")


def user_dir() -> Path:
    """User-provided official series replacing estimates; env ``WORKBENCH_USER_DIR``."""
    return _env_path("WORKBENCH_USER_DIR", data_dir() / "user")


def store_path() -> Path:
    """SQLite observation store; override with ``WORKBENCH_DB``."""
    return _env_path("WORKBENCH_DB", data_dir() / "store" / "observations.sqlite")


def output_dir() -> Path:
    """Generated reports and exports (never committed); override with ``WORKBENCH_OUTPUT_DIR``."""
    return _env_path("WORKBENCH_OUTPUT_DIR", PROJECT_DIR / "output")


def notebooks_dir() -> Path:
    return PROJECT_DIR / "notebooks"


def dashboards_dir() -> Path:
    return PROJECT_DIR / "dashboards"
