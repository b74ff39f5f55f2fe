"""Settings travel one way: read from the environment once (``workbench.settings`` and
``workbench.paths``), passed down as arguments; nothing in ``src/`` writes ``os.environ``."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from pathlib import Path

import pytest

from workbench import paths
from workbench.settings import Settings

SRC = Path(__file__).resolve().parents[1] / "src" / "workbench"
# The only modules that know the names of WORKBENCH_* variables.
READERS = {"settings.py", "paths.py"}
ENV_NAME = re.compile(r"WORKBENCH_[A-Z0-9_]+")
MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ`` (``from os import environ``)."""
    return ((isinstance(node, ast.Attribute) and node.attr == "environ"
             and isinstance(node.value, ast.Name) and node.value.id == "os")
            or (isinstance(node, ast.Name) and node.id == "environ"))


def environ_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) of every write to the process environment in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if isinstance(target, ast.Subscript) and _is_environ(target.value):
                deleted = isinstance(node, ast.Delete)
                found.append((node.lineno, "del os.environ[...]" if deleted
                              else "os.environ[...] ="))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in MUTATORS and _is_environ(func.value):
                found.append((node.lineno, f"os.environ.{func.attr}()"))
            if (func.attr in {"putenv", "unsetenv"} and isinstance(func.value, ast.Name)
                    and func.value.id == "os"):
                found.append((node.lineno, f"os.{func.attr}()"))
    return sorted(found)


def env_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every string constant that is exactly a ``WORKBENCH_*`` variable name
    (prose in docstrings and help texts mentions them and is fine)."""
    return sorted((node.lineno, node.value) for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and ENV_NAME.fullmatch(node.value))


def _sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(SRC)), p.read_text(encoding="utf-8"))
            for p in sorted(SRC.rglob("*.py"))]


def test_the_scanners_find_what_they_look_for():
    code = """
import os
from os import environ
os.environ["A"] = "1"
os.environ.update(B="2")
os.environ.setdefault("C", "3")
os.environ.pop("D", None)
os.environ.clear()
os.putenv("E", "5")
environ["F"] = "6"
del os.environ["G"]
x = os.environ.get("WORKBENCH_DB")
y = {**os.environ, "PATH": "/bin"}
"""
    assert [what for _, what in environ_writes(code)] == [
        "os.environ[...] =", "os.environ.update()", "os.environ.setdefault()",
        "os.environ.pop()", "os.environ.clear()", "os.putenv()", "os.environ[...] =",
        "del os.environ[...]"]
    assert env_names(code) == [(12, "WORKBENCH_DB")]
    assert env_names('"""Reads ``WORKBENCH_DB``."""') == []


def test_no_code_in_src_writes_os_environ():
    writes = [f"{name}:{line} {what}" for name, text in _sources()
              for line, what in environ_writes(text)]
    assert writes == [], "os.environ wird geschrieben (env= an den Unterprozess übergeben):\n" \
        + "\n".join(writes)


def test_only_settings_and_paths_name_workbench_variables():
    names = [f"{name}:{line} {value}" for name, text in _sources() if name not in READERS
             for line, value in env_names(text)]
    assert names == [], "WORKBENCH_* außerhalb von settings.py/paths.py:\n" + "\n".join(names)


def test_settings_import_nothing_but_paths():
    """Layer 0: any module may build settings without an import circle."""
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench")}
    imported |= {f"workbench.{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module == "workbench"
                 for alias in node.names}
    assert imported - {"workbench"} == {"workbench.paths"}


def test_defaults_follow_the_data_directory(tmp_path: Path):
    s = Settings.from_env({"WORKBENCH_DATA_DIR": str(tmp_path)})
    assert s.data_dir == tmp_path.resolve()
    assert s.user_dir == tmp_path.resolve() / "user"
    assert s.db_path == tmp_path.resolve() / "store" / "observations.sqlite"
    assert s.catalogue_dir == tmp_path.resolve() / "catalogues"
    assert s.output_dir == paths.PROJECT_DIR / "output"
    assert s.cache_dir == paths.PROJECT_DIR / "var" / "cache"
    assert (s.kreis, s.population_cache, s.chromium, s.user, s.plotly_preloaded) == (
        None, True, "/usr/bin/chromium", None, False)
    assert s.raw_dir == s.data_dir / "raw"


def test_explicit_variables_win_over_the_data_directory(tmp_path: Path):
    env = {"WORKBENCH_USER_DIR": str(tmp_path / "u"), "WORKBENCH_DB": str(tmp_path / "db.sqlite"),
           "WORKBENCH_CATALOGUE_DIR": str(tmp_path / "k"), "WORKBENCH_KREIS": "08115",
           "WORKBENCH_POPULATION_CACHE": "nein", "WORKBENCH_CHROMIUM": "/opt/chrome",
           "WORKBENCH_USER": "mueller", "WORKBENCH_PLOTLY_PRELOADED": "1"}
    # A report's ``datenverzeichnis`` acts like WORKBENCH_DATA_DIR: explicit variables stay.
    s = Settings.from_env(env, data_dir=tmp_path / "data")
    assert s.data_dir == (tmp_path / "data").resolve()
    assert (s.user_dir, s.db_path, s.catalogue_dir) == (
        (tmp_path / "u").resolve(), (tmp_path / "db.sqlite").resolve(), (tmp_path / "k").resolve())
    assert (s.kreis, s.population_cache, s.chromium, s.user, s.plotly_preloaded) == (
        "08115", False, "/opt/chrome", "mueller", True)
    # ``messwerte_db`` wins over WORKBENCH_DB
    assert Settings.from_env(env, db_path=tmp_path / "x.sqlite").db_path == (
        tmp_path / "x.sqlite").resolve()


def test_data_directory_parameter_moves_user_files_store_and_catalogues(tmp_path: Path):
    s = Settings.from_env({}, data_dir=tmp_path)
    assert (s.user_dir, s.db_path, s.catalogue_dir) == (
        tmp_path.resolve() / "user", tmp_path.resolve() / "store" / "observations.sqlite",
        tmp_path.resolve() / "catalogues")


def test_bad_kreis_is_refused_in_german():
    with pytest.raises(ValueError, match="WORKBENCH_KREIS=„Böblingen“"):
        Settings.from_env({"WORKBENCH_KREIS": "Böblingen"})
    with pytest.raises(ValueError, match="Kreisschlüssel"):
        Settings.from_env({"WORKBENCH_KREIS": "09162"})


def test_settings_are_frozen_and_replace_makes_a_copy(tmp_path: Path):
    s = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.data_dir = tmp_path  # type: ignore[misc]
    t = s.replace(kreis="08111")
    assert (s.kreis, t.kreis, t.data_dir) == (None, "08111", s.data_dir)


def test_default_settings_read_the_process_environment(isolation_root: Path):
    s = Settings.from_env()
    assert s.db_path == Path(os.environ["WORKBENCH_DB"]).resolve()
    assert isolation_root in s.output_dir.parents and isolation_root in s.cache_dir.parents


def test_report_parameters_travel_in_the_context_not_the_environment(tmp_path: Path,
                                                                     project_dir: Path):
    from workbench.reports.sections import einrichten, observations_for

    before = dict(os.environ)
    db = tmp_path / "messwerte.sqlite"
    ctx = einrichten("Sachsenheim", 2024, datenverzeichnis=str(project_dir / "data"),
                     messwerte_db=str(db))
    assert dict(os.environ) == before
    assert ctx.store_path == db.resolve() and ctx.data_dir == (project_dir / "data").resolve()
    assert ctx.settings.user_dir == Path(os.environ["WORKBENCH_USER_DIR"]).resolve()
    from workbench.reports.sections import catalogue_for

    catalogue = catalogue_for(ctx)
    assert catalogue is not None
    observations_for(ctx, catalogue)  # Beispieldaten: the given store is not created
    assert not db.exists() and dict(os.environ) == before


def test_dashboard_server_environment_is_passed_not_written():
    from workbench.dashboards.app import SHARE_DIR, server_environ

    before = dict(os.environ)
    env = server_environ({"JUPYTER_PATH": os.pathsep.join(["/a", str(SHARE_DIR)]), "X": "1"})
    assert env["JUPYTER_PATH"] == os.pathsep.join([str(SHARE_DIR), "/a"])
    assert env["WORKBENCH_PLOTLY_PRELOADED"] == "1" and env["X"] == "1"
    assert Settings.from_env(env).plotly_preloaded
    assert dict(os.environ) == before
