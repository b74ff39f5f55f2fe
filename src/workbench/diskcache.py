"""Parquet cache of built frames (population model, municipality register) on disk.

The key of a cached file is the (path, mtime, size) of every input file plus the code that
builds it, so a changed raw file or parser means a rebuild; a read-only checkout works,
just without the cache. ``WORKBENCH_CACHE_DIR`` moves it (default ``var/cache``),
``WORKBENCH_POPULATION_CACHE=0`` switches it off.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from workbench import paths
from workbench.cache import file_stats  # re-exported: the key of a frame's input files
from workbench.fsutil import atomic_path
from workbench.settings import Settings

_PACKAGE = Path(__file__).parent


def cache_dir() -> Path:
    """Directory of the parquet cache; ``WORKBENCH_CACHE_DIR`` overrides ``var/cache``."""
    return paths.cache_dir()


def enabled() -> bool:
    """``Settings.population_cache`` (``WORKBENCH_POPULATION_CACHE=0`` switches it off)."""
    return Settings.from_env().population_cache


def code_stats() -> tuple:
    """The building code is part of the key: a changed parser or model means a rebuild."""
    code = [*sorted((_PACKAGE / "population").glob("*.py")), _PACKAGE / "region.py",
            _PACKAGE / "estimation.py", *sorted((_PACKAGE / "loaders").glob("*.py"))]
    return (pl.__version__, *file_stats(code))


def cache_file(stats: tuple, kreis: str, kind: str = "population") -> Path | None:
    """Where the frame built from ``stats`` for ``kreis`` lives; None when caching is off."""
    if not enabled():
        return None
    digest = hashlib.sha256(repr((stats, kreis, code_stats())).encode()).hexdigest()[:20]
    return cache_dir() / f"{kind}-{kreis}-{digest}.parquet"


def read_parquet(path: Path | None) -> pl.DataFrame | None:
    """The cached frame, or None (missing, unreadable: the broken file is removed)."""
    if path is None or not path.exists():
        return None
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError):
        path.unlink(missing_ok=True)
        return None


def write_parquet(path: Path | None, frame: pl.DataFrame) -> None:
    """Atomic write (``fsutil.atomic_path``); stale cache files of the same kind and Kreis
    are removed. Errors are ignored: a read-only checkout works without the cache."""
    if path is None:
        return
    try:
        with atomic_path(path) as tmp:
            frame.write_parquet(tmp)
        prefix = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{prefix}-*.parquet"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
