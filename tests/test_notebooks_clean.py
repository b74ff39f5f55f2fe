"""Committed notebooks carry no outputs and no execution counts (outputs are generated, never
committed: they would leak data into git history and make diffs unreadable)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "dashboards")


def tracked_notebooks() -> list[Path]:
    """Notebooks git tracks under notebooks/ and dashboards/ (all on disk if git is missing)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", *(f"{folder}/*.ipynb" for folder in FOLDERS)],
            cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
        ).stdout.split()
        paths = [PROJECT_DIR / name for name in listed]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for folder in FOLDERS for p in (PROJECT_DIR / folder).rglob("*.ipynb")]
    return sorted(p for p in paths if p.exists() and ".ipynb_checkpoints" not in p.parts)


def dirty_cells(notebook: dict) -> list[str]:
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index}: {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index}: execution_count {cell['execution_count']}")
    return problems


def test_dirty_cells_detects_outputs_and_counts():
    notebook = {"cells": [
        {"cell_type": "markdown", "source": "x"},
        {"cell_type": "code", "outputs": [], "execution_count": None},
        {"cell_type": "code", "outputs": [{"output_type": "stream"}], "execution_count": 3},
    ]}
    assert dirty_cells(notebook) == ["cell 2: 1 output(s)", "cell 2: execution_count 3"]


@pytest.mark.parametrize(
    "path", tracked_notebooks(), ids=lambda p: str(p.relative_to(PROJECT_DIR))
)
def test_committed_notebook_is_clean(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    problems = dirty_cells(notebook)
    assert not problems, (
        f"{path.relative_to(PROJECT_DIR)} has outputs – strip them before committing "
        f"(e.g. .venv/bin/nbstripout {path.relative_to(PROJECT_DIR)}): {problems}"
    )
