"""Atomic file writes: a file is either the old one or the complete new one, never half.

Every place that writes or replaces a file the user or another process reads (exports,
reports, templates, the parquet cache, store backups) goes through here:

* :func:`atomic_path` yields a temp path beside the target for code that writes to a path
  (polars, xlsxwriter, SQLite, a browser's PDF);
* :func:`atomic_write` yields an open file.

On success the temp file is flushed to disk (fsync) and renamed over the target
(``os.replace``, atomic on POSIX and Windows when both are in one directory); on any error
the temp file is removed and the target is untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# mkstemp creates 0600; written files are meant to be shared (reports, exports, templates).
FILE_MODE = 0o644


@contextmanager
def atomic_path(target: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temp path in ``target``'s directory; on success it becomes ``target``.

    ``overwrite=False`` never replaces an existing file: the temp file is hard-linked to the
    target, which fails with ``FileExistsError`` if it exists (so of two concurrent writers
    exactly one wins). The parent directory is created.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_write(target: str | Path, mode: str = "w", *, encoding: str | None = None,
                 newline: str | None = None, overwrite: bool = True) -> Iterator[IO[Any]]:
    """Open a temp file beside ``target`` for writing (``mode`` ``"w"`` or ``"wb"``); on
    success it replaces ``target`` (see :func:`atomic_path`).

    Example::

        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    """
    if mode not in {"w", "wb", "wt"}:
        raise ValueError(f"atomic_write: mode {mode!r}, expected 'w' or 'wb'")
    with atomic_path(target, overwrite=overwrite) as tmp, open(
        tmp, mode, encoding=encoding, newline=newline
    ) as fh:
        yield fh
