"""pyproject.toml is the source of truth for dependencies; environment.yml must mirror it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_REQ = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]+\])?\s*(.*)$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # Every extra: the conda environment is a full development environment.
    specs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        specs += extra
    out: dict[str, str] = {}
    for spec in specs:
        name, extras, version = _REQ.match(spec).groups()
        out[_normalise(name)] = version.replace(" ", "")
        # conda ships extras as separate packages: dask[distributed] -> dask + distributed
        for extra in (extras or "").strip("[]").split(","):
            if extra:
                out[_normalise(extra)] = version.replace(" ", "")
    return out


def environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    deps: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # packages conda-forge lacks come from PyPI via pip:
            deps += [d for d in dep.get("pip", []) if not d.startswith("-e")]
        else:
            deps.append(dep)
    for dep in deps:
        name, _, version = _REQ.match(dep).groups()
        if _normalise(name) in {"python", "pip"}:
            continue
        out[_normalise(name)] = version.replace(" ", "")
    return out


def test_environment_yml_mirrors_pyproject() -> None:
    py = pyproject_requirements()
    env = environment_requirements()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but missing from environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but missing from pyproject.toml"
    mismatched = {name: (py[name], env[name]) for name in py if py[name] != env[name]}
    assert mismatched == {}, "version constraints differ (pyproject, environment.yml)"


def test_environment_yml_declares_python_version_of_pyproject() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert f"python{meta['requires-python']}" in env["dependencies"]


def test_dask_is_an_optional_extra_that_dev_keeps() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_normalise(_REQ.match(spec).group(1)) for spec in meta["dependencies"]}
    assert not names & {"dask", "distributed"}, "dask must not be a base dependency"
    extras = meta["optional-dependencies"]
    assert extras["dask"] == ["dask[distributed]>=2025.1"]
    # make setup installs dev: tests/reports/test_dask.py needs the cluster packages.
    assert set(extras["dask"]) <= set(extras["dev"])
