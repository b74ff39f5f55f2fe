"""In-memory caches keyed on the files a function reads: one decorator, one registry.

A function decorated with :func:`input_keyed_cache` is called again only when its arguments
or one of its input files changed: the key is the arguments plus the (path, mtime, size) of
every input file, so an edited file is re-read at once (also in a long-running dashboard)
and a hit returns exactly what a reload would.

That property is why the warm report kernel keeps these caches between reports while it
clears every other cache of the package: ``workbench.reports.kernelstate`` asks
:func:`is_input_keyed` — a new decorated function is kept without a list of names to edit.

Example::

    @input_keyed_cache(lambda path: [path], maxsize=16)
    def load_table(path: Path) -> pl.DataFrame:
        return pl.read_csv(path)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

FileStats = tuple[tuple[str, int, int], ...]

# The decorated functions (wrappers), in definition order.
_REGISTRY: list[Callable[..., Any]] = []


def file_stats(files: Iterable[Path | str | None]) -> FileStats:
    """(path, mtime_ns, size) of every given file (``None`` entries skipped): the key of a
    function's inputs. A missing file raises ``FileNotFoundError``."""
    out = []
    for path in files:
        if path is not None:
            st = Path(path).stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def input_keyed_cache(inputs: Callable[..., Iterable[Path | str | None]], *,
                      maxsize: int = 16) -> Callable[[F], F]:
    """Cache ``func`` on its arguments plus the stats of the files ``inputs`` names.

    ``inputs`` takes the same arguments as ``func`` and returns the input file paths
    (``None`` entries are skipped). Arguments must be hashable; the cached values are shared
    between callers, so return immutable objects (polars frames, frozen dataclasses, …).
    The wrapper has ``cache_clear()``, ``cache_info()`` and ``cache_inputs``.
    """

    def decorate(func: F) -> F:
        @functools.lru_cache(maxsize=maxsize)
        def cached(stats: FileStats, args: tuple, kwargs: tuple) -> Any:
            del stats  # part of the key only
            return func(*args, **dict(kwargs))

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            stats = file_stats(inputs(*args, **kwargs))
            return cached(stats, args, tuple(sorted(kwargs.items())))

        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        wrapper.cache_inputs = inputs  # type: ignore[attr-defined]
        _REGISTRY.append(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def input_keyed_caches() -> tuple[Callable[..., Any], ...]:
    """Every function decorated with :func:`input_keyed_cache` so far."""
    return tuple(_REGISTRY)


def is_input_keyed(func: object) -> bool:
    """True for a function decorated with :func:`input_keyed_cache`."""
    return any(func is cached for cached in _REGISTRY)


def clear_input_keyed() -> None:
    """Empty every input-keyed cache (tests; the warm kernel keeps them on purpose)."""
    for cached in _REGISTRY:
        cached.cache_clear()  # type: ignore[attr-defined]
