"""The batch hands the combined Kreis PDF its chapters (Kreis first, then by name) and links
it from index.html (printing itself: test_pdf_tagged.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.reports import combined, runner
from workbench.reports.manifest import FAILED, OK, write_index
from workbench.reports.plan import ReportJob


def _jobs() -> list[ReportJob]:
    year = {"berichtsjahr": 2024}
    return [ReportJob("08118076", "Sachsenheim", "nb", year),
            ReportJob("08118", "Landkreis Ludwigsburg", "nb", year, kind="kreis"),
            ReportJob("08118001", "Asperg", "nb", year),
            ReportJob("08118016", "Freudental", "nb", year)]


def _manifest(out: Path, failed: str = "") -> dict:
    reports = {}
    for job in _jobs():
        (out / f"{job.key}.html").write_text("<html></html>", encoding="utf-8")
        reports[job.key] = {"key": job.key, "name": job.name, "kind": job.kind,
                            "status": FAILED if job.key == failed else OK,
                            "outputs": {"html": f"{job.key}.html"}}
    return {"reports": reports}


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list:
    calls: list = []

    def fake(out: Path, chapters, kreis_name: str, year) -> Path:
        calls.append(([c.html.name for c in chapters], kreis_name, year))
        pdf = out / "pdf" / combined.pdf_name(kreis_name, year)
        pdf.parent.mkdir(exist_ok=True)
        pdf.write_bytes(b"%PDF-1.4")
        return pdf

    monkeypatch.setattr(combined, "write_combined_pdf", fake)
    return calls


def test_chapters_kreis_first_then_by_name_and_index_links_the_pdf(tmp_path, printed):
    manifest, errors = _manifest(tmp_path), []
    runner._write_kreis_pdf(tmp_path, _jobs(), manifest, True, errors)
    assert errors == []
    assert printed == [(["08118.html", "08118001.html", "08118016.html", "08118076.html"],
                        "Landkreis Ludwigsburg", 2024)]
    rel = "pdf/Integrationsbericht_Landkreis_Ludwigsburg_2024.pdf"
    assert manifest["kreisbericht"]["pdf"] == rel
    index = write_index(tmp_path, manifest, "Integrationsberichte").read_text(encoding="utf-8")
    assert f'href="{rel}"' in index


def test_failed_report_is_left_out_and_named_unchanged_batch_not_reprinted(tmp_path, printed):
    manifest, errors = _manifest(tmp_path, failed="08118016"), []
    runner._write_kreis_pdf(tmp_path, _jobs(), manifest, True, errors)
    assert "08118016.html" not in printed[0][0] and len(printed[0][0]) == 3
    assert errors and "1 Berichte fehlen" in errors[0]
    runner._write_kreis_pdf(tmp_path, _jobs(), manifest, False, [])
    assert len(printed) == 1, "nothing re-rendered and the PDF exists: not printed again"


def test_no_kreis_job_no_combined_pdf(tmp_path, printed):
    jobs = [j for j in _jobs() if j.kind != "kreis"]
    manifest = _manifest(tmp_path)
    runner._write_kreis_pdf(tmp_path, jobs, manifest, True, [])
    assert printed == [] and "kreisbericht" not in manifest
