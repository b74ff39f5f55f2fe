"""``workbench summary`` and ``workbench run`` on the real data (click's CliRunner, in-process)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.cli import main

GOLDEN = Path(__file__).parent / "golden"
AGS_LINE = re.compile(r"^\S.*\s(08118\d{3})\s")


@pytest.fixture(scope="module")
def master() -> pl.DataFrame:
    return pl.read_csv(GOLDEN / "gemeinden_08118_master.csv", schema_overrides={"ags": pl.String})


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if AGS_LINE.match(line)]


def test_summary_table(master):
    result = invoke("summary")
    assert result.exit_code == 0, result.output
    lines = table_lines(result.output)
    assert len(lines) == 39
    assert {AGS_LINE.match(line).group(1) for line in lines} == set(master["ags"])
    # aligned: header and all rows end at the same column (numbers right-aligned)
    header = result.output.splitlines()[0]
    assert {len(line) for line in lines} == {len(header)}
    sachsenheim = next(line for line in lines if line.startswith("Sachsenheim "))
    # GV 31.12.2023 19,480; Zensus 16.7 %; Kreis 18.51 -> gap −1.8; latest: estimate with
    # its own Stand in the row (no column header claims one date for every row)
    assert re.search(r"08118076\s+19\.480\s+16,7 %\s+\d+\s+−1,8\s+\d+,\d %\*\s+31\.12\.2025$",
                     sachsenheim)
    kreis = next(line for line in result.output.splitlines()
                 if line.startswith("Landkreis Ludwigsburg"))
    assert "553.689" in kreis and "18,5 %" in kreis
    assert "* geschätzt (39 von 39 Gemeinden)" in result.output
    assert "Gemeindeverzeichnis GV-ISys" in result.output and "Stand 31.12.2023" in result.output
    assert "Zensus 2022" in result.output and "Stand 15.05.2022" in result.output


def test_summary_sorted_by_rank(master):
    result = invoke("summary", "--sort", "rang")
    assert result.exit_code == 0, result.output
    first = table_lines(result.output)[0]
    top = master.sort("share_foreign_census22", descending=True)["name"][0]
    assert first.startswith(top)


def test_summary_for_one_municipality():
    result = invoke("summary", "--gemeinde", "sachsenheim")
    assert result.exit_code == 0, result.output
    assert ("Der Ausländeranteil in Sachsenheim liegt mit 16,7 % (Zensus 2022) unter dem "
            "Kreisdurchschnitt von 18,5 %.") in result.output
    assert "geschätzt" in result.output


def test_summary_unknown_municipality_is_a_german_usage_error():
    result = invoke("summary", "--gemeinde", "Sachsnheim")
    assert result.exit_code == 2
    assert "Unbekannte Gemeinde „Sachsnheim“" in result.output
    assert "Meinten Sie: Sachsenheim" in result.output


def test_summary_without_data_says_what_is_missing(tmp_path):
    result = invoke("summary", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "Verzeichnis fehlt" in result.output and "destatis_gv_auszug" in result.output
    assert "Traceback" not in result.output


def test_run_validates_builds_and_prints(tmp_path):
    result = invoke("run", "--no-reports", "--no-serve", env={"WORKBENCH_USER_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "alle in Ordnung" in result.output
    assert "Bevölkerungsmodell:" in result.output
    assert len(table_lines(result.output)) == 39


def test_run_stops_on_invalid_user_file(tmp_path):
    """Only the user file is checked here (empty data dir), so the test stays fast."""
    (tmp_path / "data").mkdir()
    (tmp_path / "reihe.csv").write_text(
        "AGS;Gemeinde;Stichtag;Bevölkerung insgesamt;Ausländer;Quelle\n"
        "08118076;Sachsenheim;31.12.2023;19.480;25.000;Export\n",
        encoding="utf-8",
    )
    result = invoke("run", env={"WORKBENCH_USER_DIR": str(tmp_path),
                                "WORKBENCH_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 1
    assert "FEHLER  reihe.csv" in result.output
    assert "Zeile 2" in result.output
    assert "Bevölkerungsmodell:" not in result.output  # nothing built from bad input


def test_run_renders_reports_for_the_last_full_year_then_serves(tmp_path, monkeypatch):
    """The main run's order: checks, overview, reports, then dashboards (both stubbed here;
    they have their own tests in tests/reports and tests/dashboards)."""
    from workbench.commands import run as run_module
    from workbench.reports.plan import default_report_year

    calls: list[tuple] = []
    monkeypatch.setattr(run_module, "render_reports",
                        lambda year, kreis: calls.append(("reports", year, kreis)) or True)
    monkeypatch.setattr(run_module, "serve_dashboards",
                        lambda port, kreis: calls.append(("serve", port, kreis)))
    result = invoke("run", "--port", "8899", env={"WORKBENCH_USER_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert calls == [("reports", default_report_year(), "08118"),
                     ("serve", 8899, "08118")]
    assert result.output.index("Bevölkerungsmodell:") < result.output.index("4. Berichte")


def test_default_report_year_is_the_last_complete_year():
    import datetime as dt

    from workbench.reports.plan import default_report_year

    assert default_report_year(dt.date(2026, 11, 21)) == 2025
    # The edges: the year turns over on 1 January, not before.
    assert default_report_year(dt.date(2026, 12, 31)) == 2025
    assert default_report_year(dt.date(2027, 1, 1)) == 2026
    assert default_report_year() == dt.date.today().year - 1
