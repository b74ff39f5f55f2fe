"""The batch runner end to end on three municipalities, one of them failing, plus re-runs."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

from tests.reports.conftest import require_chromium
from workbench.formatting import fmt_percent
from workbench.reports.manifest import read_manifest
from workbench.reports.plan import plan_jobs
from workbench.reports.runner import run_batch

SACHSENHEIM = "08118076"
HEADINGS = ["1. Kurzfassung", "2. Bevölkerung und Ausländeranteil", "3. Handlungsfelder",
            "4. Projekte und Förderung", "5. Datenquellen und Hinweise"]


def _zensus_share(project_dir: Path, ags: str) -> float:
    """Independent of the package: the GERDA Zensus 2022 file as published."""
    path = project_dir / "data/raw/gerda/gerda_census_2022_municipalities_08118.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["ags"].zfill(8) == ags:
                return float(row["share_foreign_census22"])
    raise AssertionError(f"{ags} not in {path}")


def test_one_failure_does_not_stop_the_others(first_batch):
    result, _, _ = first_batch
    status = {r.name: r.status for r in result.results}
    assert status == {"Sachsenheim": "ok", "Ludwigsburg": "ok", "Affalterbach": "fehler"}
    failed = result.failed[0]
    # The real error of the set-up cell: the register's folder is missing.
    assert "FileNotFoundError" in failed.error
    assert "destatis_gv_auszug" in failed.error
    # In [3]: parameters (1), papermill's injected parameters (2), set-up cell (3).
    assert failed.cell == 3
    assert failed.cell_source == "from workbench.reports import sections"
    summary = result.summary()
    assert "FEHLER Affalterbach (08118001): Zelle" in summary
    assert "2 erstellt, 1 fehlgeschlagen" in summary


def test_outputs_manifest_and_index(first_batch, batch_dir):
    result, _, formats = first_batch
    manifest = read_manifest(batch_dir)["reports"]
    assert {k: v["status"] for k, v in manifest.items()} == {
        SACHSENHEIM: "ok", "08118048": "ok", "08118001": "fehler"}
    for key in (SACHSENHEIM, "08118048"):
        for fmt in formats:
            assert (batch_dir / manifest[key]["outputs"][fmt]).is_file()
    # The failed report keeps its executed notebook (with the error) but no HTML.
    assert (batch_dir / manifest["08118001"]["outputs"]["ipynb"]).is_file()
    assert not list(batch_dir.glob("08118001*.html"))
    index = (batch_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="08118076_Sachsenheim.html"' in index
    assert "Fehler (Ausführung)" in index and "destatis_gv_auszug" in index


def test_html_has_sections_figures_and_offline_plotly(first_batch, batch_dir, project_dir):
    html = (batch_dir / "08118076_Sachsenheim.html").read_text(encoding="utf-8")
    share = fmt_percent(_zensus_share(project_dir, SACHSENHEIM))
    assert share == "16,7 %"
    assert share in html
    for heading in HEADINGS:
        assert heading in html
    # Charts: rendered-chart code present (div + Plotly.newPlot), no code cells shown.
    divs = re.findall(r'<div[^>]*\bid="abb-08118076-\d+"[^>]*>', html)
    assert len(divs) >= 3 and all("plotly-graph-div" in d for d in divs)
    assert '<html lang="de"' in html
    assert html.count("Plotly.newPlot(") >= 3
    assert "sections.kurzfassung" not in html
    # One shared plotly.js next to the reports, no CDN, nothing loaded from the network.
    assert re.search(r'<script[^>]*\bsrc="assets/plotly.min.js"', html)
    assert re.search(r'<link[^>]*\bhref="assets/report.css"', html)
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "cdn.plot.ly" not in html and "require.min.js" not in html
    import plotly

    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (batch_dir / "assets" / "plotly.min.js").read_bytes() == shipped.read_bytes()
    assert len(html) < 1_000_000, "plotly.js must not be embedded in each report"
    # Estimated values are visibly marked, the catalogue section has content for Sachsenheim.
    assert "geschätzt" in html
    assert "Stand je Handlungsfeld" in html
    assert "Beispieldaten" in html or "Messwertspeicher" in html


def test_pdf_has_pages(first_batch, batch_dir):
    require_chromium()
    pdf = batch_dir / "pdf" / "08118076_Sachsenheim.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert pages >= 2
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    assert abs(float(size.group(1)) - 595.3) < 2, "A4 width in points"


def test_rerun_failed_redoes_only_the_failed_report(first_batch, batch_dir):
    _, snapshot, formats = first_batch
    before = read_manifest(batch_dir)["reports"]
    jobs = plan_jobs(["Sachsenheim", "08118048", "Affalterbach"], year=2024)  # project data again
    result = run_batch(jobs, batch_dir, formats=formats, workers=1, mode="failed",
                       progress=False)
    assert [r.name for r in result.results] == ["Affalterbach"]
    assert result.results[0].ok, result.summary()
    assert sorted(result.skipped) == ["08118048", SACHSENHEIM]
    after = read_manifest(batch_dir)["reports"]
    assert after[SACHSENHEIM]["finished_at"] == before[SACHSENHEIM]["finished_at"]
    assert (batch_dir / "08118076_Sachsenheim.html").stat().st_mtime_ns == snapshot[
        "08118076_Sachsenheim.html"]
    html = (batch_dir / "08118001_Affalterbach.html").read_text(encoding="utf-8")
    assert "noch keinen Maßnahmenkatalog" in html  # Affalterbach has no catalogue
    index = (batch_dir / "index.html").read_text(encoding="utf-8")
    assert "3 von 3 Berichten erstellt" in index

    # --only-outdated: nothing changed, nothing to do; a changed parameter is outdated.
    # (Keys on content, not file times: creating/touching the store or other files between
    # the runs does not outdate anything – see report_inputs.)
    recorded = read_manifest(batch_dir)["reports"]
    again = run_batch(jobs, batch_dir, formats=formats, workers=1, mode="outdated",
                      progress=False)
    why = {r.key: sorted(k for k, v in r.inputs.items()
                         if recorded[r.key].get("inputs", {}).get(k) != v)
           for r in again.results}
    assert again.results == [] and len(again.skipped) == 3, f"veraltet wegen: {why}"
    changed = plan_jobs(["Sachsenheim"], year=2023)
    redo = run_batch(changed, batch_dir, formats=("html", "ipynb"), workers=1,
                     mode="outdated", progress=False)
    assert [r.key for r in redo.results] == [SACHSENHEIM]
    manifest = json.loads((batch_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"][SACHSENHEIM]["status"] == "ok"


def test_corrupt_data_dir_fails_with_clear_error(tmp_path, project_dir):
    """A report pointed at a data dir with a broken raw file fails; its message names it."""
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    for sub in ("destatis_gv_auszug", "zensus2022", "gerda", "regionalatlas", "geo"):
        src = project_dir / "data" / "raw" / sub
        (data / "raw" / sub).symlink_to(src)
    # Corrupt the Zensus file (the copy replaces the symlinked directory).
    (data / "raw" / "zensus2022").unlink()
    (data / "raw" / "zensus2022").mkdir()
    (data / "raw" / "zensus2022" / "1000A-0000_de_flat.csv").write_text(
        "statistics_code;kaputt\n1;2\n", encoding="utf-8")
    jobs = plan_jobs(["Sachsenheim"], year=2024, overrides={
        "Sachsenheim": {"datenverzeichnis": str(data)}})
    result = run_batch(jobs, tmp_path / "out", formats=("html",), workers=1, progress=False)
    assert not result.results[0].ok
    assert "1000A-0000_de_flat.csv" in result.results[0].error
