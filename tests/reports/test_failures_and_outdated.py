"""One area's problem never stops the others: an unwritable output file or a broken catalogue
fails only that report (German, with path/file and reason); ``--only-outdated`` keys on the
content a report reads (its Träger's observations), not on file times; hostile ids refused."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench import paths
from workbench.cli import main
from workbench.reports import engine
from workbench.reports.manifest import read_manifest
from workbench.reports.plan import (
    InputHasher,
    ReportJob,
    job_hash,
    plan_jobs,
    report_inputs,
    select_jobs,
)

SACHSENHEIM, LUDWIGSBURG, AFFALTERBACH = "08118076", "08118048", "08118001"


def _data_dir_with_broken_catalogue(project_dir: Path, tmp_path: Path) -> tuple[Path, int]:
    """A data directory like the project's (raw files linked) whose ludwigsburg.yaml has a
    YAML syntax error; returns it and the line of the error."""
    data = tmp_path / "data"
    data.mkdir()
    for entry in (project_dir / "data").iterdir():
        if entry.name not in ("catalogues", "store", "user"):
            (data / entry.name).symlink_to(entry)
    shutil.copytree(project_dir / "data" / "catalogues", data / "catalogues")
    broken = data / "catalogues" / "ludwigsburg.yaml"
    lines = broken.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("handlungsfelder:"))
    lines.insert(at + 1, "  - id: [kaputt")  # unclosed flow sequence
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data, at + 2


def test_unwritable_output_and_broken_catalogue_fail_only_their_reports(project_dir,
                                                                           tmp_path):
    data, line = _data_dir_with_broken_catalogue(project_dir, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    locked = out / f"{SACHSENHEIM}_Sachsenheim.html"
    locked.write_text("alte Fassung, schreibgeschützt", encoding="utf-8")
    locked.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        result = CliRunner().invoke(main, [
            "reports", "-m", "Sachsenheim", "-m", "Ludwigsburg", "-m", "Affalterbach",
            "--year", "2024", "--out", str(out), "--format", "html", "-w", "1", "-q",
            "--data-dir", str(data)])
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 1, result.output
    manifest = read_manifest(out)["reports"]
    status = {k: v["status"] for k, v in manifest.items()}
    assert status == {SACHSENHEIM: "fehler", LUDWIGSBURG: "fehler", AFFALTERBACH: "ok"}

    # Read-only file: named with its path and a German reason; the file is left as it was.
    error = manifest[SACHSENHEIM]["error"]
    assert str(locked) in error and "schreibgeschützt" in error
    assert manifest[SACHSENHEIM]["stage"] == "HTML"
    assert locked.read_text(encoding="utf-8") == "alte Fassung, schreibgeschützt"

    # Broken catalogue: only Ludwigsburg (which uses it) fails, naming the file and line.
    error = manifest[LUDWIGSBURG]["error"]
    assert "CatalogueError" in error and "ludwigsburg.yaml" in error
    # The parser notices the unclosed "[" at the broken line or the line after it.
    assert re.search(rf"ludwigsburg\.yaml, Zeile ({line}|{line + 1}): gültiges YAML", error)
    assert (out / manifest[AFFALTERBACH]["outputs"]["html"]).is_file()

    index = (out / "index.html").read_text(encoding="utf-8")
    assert "1 von 3 Berichten erstellt" in index
    assert "Fehler (HTML)" in index and "schreibgeschützt" in index
    assert "ludwigsburg.yaml" in index
    assert "FEHLER Sachsenheim (08118076)" in result.output
    assert "FEHLER Ludwigsburg (08118048)" in result.output


@pytest.fixture
def hash_env(tmp_path, monkeypatch, project_dir):
    """Hash inputs in tmp: a copy of the catalogues, an own store, a fixed (empty) package
    tree so concurrent edits of the code cannot change the hashes during the test."""
    catalogues = tmp_path / "catalogues"
    shutil.copytree(project_dir / "data" / "catalogues", catalogues)
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(catalogues))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "store" / "obs.sqlite"))
    code = tmp_path / "code"
    code.mkdir()
    monkeypatch.setattr(paths, "PACKAGE_DIR", code)
    return tmp_path


def _hashes(jobs: list[ReportJob]) -> dict[str, str]:
    hasher = InputHasher()
    return {job.key: job_hash(job, hasher) for job in jobs}


def test_only_outdated_follows_the_traegers_observations(hash_env, tmp_path):
    from workbench.observation import Observation
    from workbench.store import ObservationStore

    jobs = plan_jobs(["Sachsenheim", "Ludwigsburg"], year=2025)
    first = _hashes(jobs)
    # Touching / re-creating files without changing content changes nothing.
    for path in (hash_env / "catalogues").glob("*.yaml"):
        os.utime(path, ns=(1, 1))
    store = ObservationStore(paths.store_path())  # creates the store file: still no values
    assert _hashes(jobs) == first

    # A value for Ludwigsburg outdates Ludwigsburg's report only.
    store.record(Observation("ludwigsburg", _indicator("ludwigsburg"), dt.date(2025, 6, 30), 3,
                             entered_by="Test", source="Test"))
    second = _hashes(jobs)
    assert second[LUDWIGSBURG] != first[LUDWIGSBURG]
    assert second[SACHSENHEIM] == first[SACHSENHEIM]

    # The manifest of the last run says both are rendered with the first hashes:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_text("x", encoding="utf-8")
    from workbench.reports.manifest import write_manifest

    write_manifest(out, {"reports": {
        key: {"status": "ok", "inputs_hash": first[key], "outputs": {"html": "a.html"}}
        for key in first}})
    todo = select_jobs(jobs, out, "outdated", second, ("html",))
    assert [j.key for j in todo] == [LUDWIGSBURG]

    # A changed Sachsenheim catalogue outdates Sachsenheim.
    cat = hash_env / "catalogues" / "sachsenheim.yaml"
    cat.write_text(cat.read_text(encoding="utf-8") + "\n# Kommentar\n", encoding="utf-8")
    third = _hashes(jobs)
    assert third[SACHSENHEIM] != second[SACHSENHEIM]
    assert third[LUDWIGSBURG] == second[LUDWIGSBURG]
    inputs = report_inputs(jobs[0])
    assert [name for name, _ in inputs["katalog"]] == ["sachsenheim.yaml"]
    assert {"code", "notebook", "parameters", "stichtag", "bevoelkerung", "katalog",
            "messwerte"} <= set(inputs)


def _indicator(traeger: str) -> str:
    from workbench.catalogue import indicators_frame, load_catalogue

    frame = indicators_frame(load_catalogue(traeger), closed=False)
    return frame.filter(frame["kind"] == "anzahl")["indicator_id"][0]


@pytest.mark.parametrize("bad", ["./sachsenheim", "../x", "/etc/passwd", "Sachsen\x00heim",
                                 "a/b", "..", "Sachsenheim\x1b[2J"])
def test_hostile_municipality_refused_before_any_kernel(tmp_path, bad):
    out = tmp_path / "out"
    kernels = list(engine._all_kernels)
    result = CliRunner().invoke(main, ["reports", "-m", bad, "--year", "2024",
                                       "--out", str(out)])
    assert result.exit_code == 2
    assert "Ungültige Gemeindeangabe" in result.output
    assert "\x1b" not in result.output and "\x00" not in result.output
    assert engine._all_kernels == kernels and not out.exists()


def test_report_stem_is_checked():
    from workbench.ids import InvalidIdError

    job = ReportJob("../../x", "Sachsenheim", "nb.ipynb")
    with pytest.raises(InvalidIdError, match="Ungültiger Dateiname"):
        _ = job.stem
    assert ReportJob(SACHSENHEIM, "Freiberg am Neckar", "nb").stem == (
        "08118076_Freiberg_am_Neckar")
