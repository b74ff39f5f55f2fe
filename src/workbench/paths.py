"""Every filesystem path the package uses, in one place.

Each root can be overridden by an environment variable so tests, CI and deployments can
point the package elsewhere without touching code. Every function takes an optional
``environ`` mapping (default: the process environment) and only *reads* it; a caller that
wants other paths passes another mapping (``workbench.settings.Settings.from_env`` does) —
nothing in the package writes ``os.environ``. This module imports nothing from the package.

===========================  =======================================================
variable                     default
===========================  =======================================================
``WORKBENCH_DATA_DIR``       ``<project>/data``
``WORKBENCH_CATALOGUE_DIR``  ``<data>/catalogues``
``WORKBENCH_USER_DIR``       ``<data>/user``
``WORKBENCH_DB``             ``<data>/store/observations.sqlite``
``WORKBENCH_OUTPUT_DIR``     ``<project>/output``
``WORKBENCH_CACHE_DIR``      ``<project>/var/cache``
===========================  =======================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# src/workbench -> src -> project root (only meaningful for an editable/source install).
PROJECT_DIR = Path(os.environ.get("WORKBENCH_PROJECT_DIR", PACKAGE_DIR.parent.parent))

DATA_DIR_ENV = "WORKBENCH_DATA_DIR"
CATALOGUE_DIR_ENV = "WORKBENCH_CATALOGUE_DIR"
USER_DIR_ENV = "WORKBENCH_USER_DIR"
DB_ENV = "WORKBENCH_DB"
OUTPUT_DIR_ENV = "WORKBENCH_OUTPUT_DIR"
CACHE_DIR_ENV = "WORKBENCH_CACHE_DIR"


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _env_path(name: str, default: Path, environ: Mapping[str, str] | None) -> Path:
    value = _environ(environ).get(name)
    return Path(value).expanduser().resolve() if value else default


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Shipped data (``data/``); override with ``WORKBENCH_DATA_DIR``."""
    return _env_path(DATA_DIR_ENV, PROJECT_DIR / "data", environ)


def raw_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Raw official files, byte-for-byte as published, with provenance files beside them."""
    return data_dir(environ) / "raw"


def templates_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Templates users fill in (municipal series, observations, catalogues)."""
    return data_dir(environ) / "templates"


def catalogue_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Handlungsfeld catalogues (one YAML per Träger); override with ``WORKBENCH_CATALOGUE_DIR``."""
    return _env_path(CATALOGUE_DIR_ENV, data_dir(environ) / "catalogues", environ)


def user_dir(environ: Mapping[str, str] | None = None,
             data: Path | str | None = None) -> Path:
    """User-provided official series replacing estimates; env ``WORKBENCH_USER_DIR``.

    Without the variable it is ``<data>/user`` of the data directory ``data`` (default
    :func:`data_dir`): a report or model pointed at another data directory reads that
    directory's user files, unless the deployment moved them explicitly.
    """
    root = Path(data) if data else data_dir(environ)
    return _env_path(USER_DIR_ENV, root / "user", environ)


def store_path(environ: Mapping[str, str] | None = None) -> Path:
    """SQLite observation store; override with ``WORKBENCH_DB``."""
    return _env_path(DB_ENV, data_dir(environ) / "store" / "observations.sqlite", environ)


def output_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Generated reports and exports (never committed); override with ``WORKBENCH_OUTPUT_DIR``."""
    return _env_path(OUTPUT_DIR_ENV, PROJECT_DIR / "output", environ)


def var_dir() -> Path:
    """Generated state of the checkout that is not output (``var/``: caches)."""
    return PROJECT_DIR / "var"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Parquet cache of built frames; ``WORKBENCH_CACHE_DIR`` overrides ``var/cache``."""
    value = _environ(environ).get(CACHE_DIR_ENV)
    # Not resolved (unlike the other roots): the cache has always used the path as given.
    return Path(value).expanduser() if value else var_dir() / "cache"


def notebooks_dir() -> Path:
    """Report and analysis notebooks of the checkout."""
    return PROJECT_DIR / "notebooks"


def dashboards_dir() -> Path:
    """Dashboard notebooks served by ``workbench dashboards``."""
    return PROJECT_DIR / "dashboards"
