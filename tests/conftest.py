"""Shared test configuration. Area-specific fixtures live beside their tests.

Isolation: the test run never reads or writes the project's own store, user files, outputs or
caches. ``pytest_configure`` (before collection, before any kernel or subprocess starts) points
every writable location of ``workbench.paths`` — and the population cache — to a fresh
directory, so subprocesses and report kernels inherit it; ``_isolated_paths`` (session,
autouse) checks that it stayed that way. At the start the existence and mtimes of
``data/store``, ``data/user``, ``output/`` and ``var/`` are recorded; ``pytest_sessionfinish``
compares them and fails the run if any test touched them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Environment variable -> directory name below the session's isolation root.
ISOLATED_ENV = {
    "WORKBENCH_DB": "store/observations.sqlite",
    "WORKBENCH_OUTPUT_DIR": "output",
    "WORKBENCH_USER_DIR": "user",
    "WORKBENCH_CACHE_DIR": "cache",
}
# The project's own writable places that no test may change.
GUARDED = ("data/store", "data/user", "output", "var")

_STATE: dict[str, object] = {}


def snapshot_guarded(project: Path = PROJECT_DIR) -> dict[str, tuple[str, int] | None]:
    """Existence, type and mtime of every guarded path and everything below it."""
    seen: dict[str, tuple[str, int] | None] = {}
    for name in GUARDED:
        root = project / name
        if not root.exists():
            seen[name] = None
            continue
        for path in [root, *sorted(root.rglob("*"))]:
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            kind = "dir" if path.is_dir() else "file"
            seen[str(path.relative_to(project))] = (kind, st.st_mtime_ns)
    return seen


def diff_snapshots(before: dict, after: dict) -> list[str]:
    lines = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if a is None:
            lines.append(f"angelegt: {key}")
        elif b is None:
            lines.append(f"entfernt: {key}")
        else:
            lines.append(f"geändert: {key}")
    return lines


def pytest_configure(config: pytest.Config) -> None:
    root = Path(tempfile.mkdtemp(prefix="workbench-tests-"))
    _STATE["root"] = root
    _STATE["saved_env"] = {name: os.environ.get(name) for name in ISOLATED_ENV}
    _STATE["before"] = snapshot_guarded()
    for name, rel in ISOLATED_ENV.items():
        target = root / rel
        (target.parent if name == "WORKBENCH_DB" else target).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(target)


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in dict(_STATE.get("saved_env", {})).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    root = _STATE.get("root")
    if isinstance(root, Path):
        shutil.rmtree(root, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = _STATE.get("before")
    if before is None:
        return
    changed = diff_snapshots(before, snapshot_guarded())
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = ("Tests haben echte Projektdaten verändert (data/store, data/user, output/, "
                   "var/ müssen unberührt bleiben):\n  " + "\n  ".join(changed[:50]))
        if reporter is not None:
            reporter.write_sep("=", "Isolation verletzt", red=True)
            reporter.write_line(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def _isolated_paths() -> Path:
    """The session's isolation root; asserts every writable path points into it."""
    from workbench import paths
    from workbench.diskcache import cache_dir

    root = Path(_STATE["root"])
    for name, rel in ISOLATED_ENV.items():
        assert os.environ.get(name) == str(root / rel), f"{name} nicht isoliert"
    for where in (paths.store_path(), paths.output_dir(), paths.user_dir(), cache_dir()):
        assert root.resolve() in where.resolve().parents, where
    return root


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def isolation_root(_isolated_paths: Path) -> Path:
    return _isolated_paths
