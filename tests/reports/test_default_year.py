"""``workbench reports`` without ``--year`` (scheduled runs) renders the last complete year."""

from __future__ import annotations

from click.testing import CliRunner

from workbench.cli import main
from workbench.reports.manifest import read_manifest
from workbench.reports.plan import default_report_year

SACHSENHEIM = "08118076"


def test_reports_without_year_use_the_last_complete_year(tmp_path):
    out = tmp_path / "out"
    year = default_report_year()
    result = CliRunner().invoke(main, ["reports", "-m", "Sachsenheim", "--out", str(out),
                                       "--format", "html", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert f"Berichtsjahr {year} (letztes abgeschlossenes Kalenderjahr)" in result.output
    entry = read_manifest(out)["reports"][SACHSENHEIM]
    assert entry["status"] == "ok"
    html = (out / entry["outputs"]["html"]).read_text(encoding="utf-8")
    assert f"Bericht {year} · Gemeindeschlüssel (AGS) {SACHSENHEIM}" in html
