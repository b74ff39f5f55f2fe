"""Fixtures for the report tests: one small batch rendered once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.reports.pdf import chromium_path

CHROMIUM = Path(chromium_path())  # the path the PDF printer uses (WORKBENCH_CHROMIUM)


def require_chromium() -> None:
    """Skip browser tests without Chromium – but never on CI, where it must be installed."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI: Chromium fehlt unter {CHROMIUM}; PDF-Tests dürfen dort nicht fehlen")
    pytest.skip(f"Chromium nicht installiert ({CHROMIUM}): PDF-Test übersprungen")


@pytest.fixture(scope="session")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("berichte")


@pytest.fixture(scope="session")
def data_dir_without_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose raw/ lacks the GV-ISys extract (the municipality register):
    a report reading it fails for real in its set-up cell."""
    data = tmp_path_factory.mktemp("daten-ohne-gemeindeverzeichnis")
    (data / "raw").mkdir()
    return data


@pytest.fixture(scope="session")
def first_batch(batch_dir: Path, data_dir_without_register: Path):
    """Sachsenheim and Ludwigsburg (both with a catalogue) plus Affalterbach, which fails
    because it reads a data directory without the municipality register; HTML + ipynb
    (+ PDF when Chromium is there), on one warm kernel in-process."""
    from workbench.reports.plan import plan_jobs
    from workbench.reports.runner import run_batch

    formats = ("html", "ipynb", "pdf") if CHROMIUM.exists() else ("html", "ipynb")
    broken = {"datenverzeichnis": str(data_dir_without_register)}
    jobs = plan_jobs(["Sachsenheim", "08118048", "Affalterbach"], year=2024,
                     overrides={"Affalterbach": broken})
    result = run_batch(jobs, batch_dir, formats=formats, workers=1, progress=False)
    snapshot = {p.name: p.stat().st_mtime_ns for p in batch_dir.glob("*.html")}
    return result, snapshot, formats


@pytest.fixture(autouse=True, scope="session")
def _cleanup_kernels():
    yield
    from workbench.reports.engine import shutdown_all

    shutdown_all()
