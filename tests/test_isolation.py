"""The test run is isolated from the project's real store, user files, outputs and caches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import GUARDED, diff_snapshots, snapshot_guarded
from workbench import paths


def test_writable_paths_point_into_the_session_dir(isolation_root: Path, project_dir: Path):
    from workbench.diskcache import cache_dir

    for where in (paths.store_path(), paths.output_dir(), paths.user_dir(), cache_dir()):
        assert isolation_root in where.resolve().parents
        assert project_dir not in where.resolve().parents


def test_subprocesses_inherit_the_isolation(isolation_root: Path):
    code = "from workbench import paths; print(paths.store_path()); print(paths.output_dir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ)).stdout.split()
    assert all(str(isolation_root) in line for line in out)


def test_snapshot_detects_a_touched_file(tmp_path: Path):
    (tmp_path / "var" / "cache").mkdir(parents=True)
    (tmp_path / "var" / "cache" / "a.parquet").write_bytes(b"1")
    before = snapshot_guarded(tmp_path)
    assert diff_snapshots(before, snapshot_guarded(tmp_path)) == []
    os.utime(tmp_path / "var" / "cache" / "a.parquet", ns=(1, 1))
    (tmp_path / "output").mkdir()
    changed = diff_snapshots(before, snapshot_guarded(tmp_path))
    assert "geändert: var/cache/a.parquet" in changed and "angelegt: output" in changed
    assert set(GUARDED) == {"data/store", "data/user", "output", "var"}
