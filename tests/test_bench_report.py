"""bench/report.py writes docs/leistung.md from run records, labelling hand-documented figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    sys.path.insert(0, str(ROOT / "bench"))  # report/_record are scripts beside each other
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_page_shows_latest_run_with_date_machine_and_ratio(tmp_path: Path, monkeypatch) -> None:
    record = _load("_record")
    report = _load("report")
    monkeypatch.setattr(record, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bench" / "bench_store.py"), "--rows", "10"])
    old = record.write_result("bench_store", title="t", statistic="ein Lauf",
                              timings={"alt": 9.0}, ratios={"alt": 2.0})
    # A later run of the same benchmark wins (file names sort by UTC time).
    later = json.loads(old.read_text(encoding="utf-8"))
    later.update(date="2099-01-02T03:04:05+00:00", timings_s={"Import": 0.5, "record()": 12.25},
                 ratios={"record() ÷ Import": 24.5})
    (tmp_path / "bench_store-20990102T030405Z.json").write_text(json.dumps(later),
                                                               encoding="utf-8")

    page = report.render(report.latest(tmp_path))

    assert "Gemessen am **02.01.2099 03:04 UTC** auf:" in page
    assert f"{record.machine()['cores']} Kerne" in page
    assert "Befehl: `.venv/bin/python bench/bench_store.py --rows 10`." in page
    assert "| Import | 500,0 ms |" in page and "| record() | 12,2 s |" in page
    assert "Verhältnis record() ÷ Import: **24,5×**" in page
    assert "| alt |" not in page
    # Benchmarks without a record keep the hand-measured README figures, labelled with date.
    section = page.split("## Berichte je Gemeinde")[1].split("## ")[0]
    assert "von Hand dokumentierte Messungen vom 21.11.2026" in section
    assert "16,6 s vs. 452,6 s" in section


def test_report_bench_states_issue_12_targets_from_the_measured_values() -> None:
    bench_reports = _load("bench_reports")
    fast = bench_reports.target_notes({"ohne Gesamt-PDF (40 Berichte)": 24.7,
                                       "davon Gesamt-PDF des Kreises (40 Kapitel)": 18.4})
    slow = bench_reports.target_notes({"ohne Gesamt-PDF (40 Berichte)": 59.1,
                                       "davon Gesamt-PDF des Kreises (40 Kapitel)": 61.0})
    assert fast[0].endswith("24,7 s in diesem Lauf – erreicht"), fast
    assert fast[1].endswith("18,4 s in diesem Lauf – erreicht"), fast
    assert slow[0].endswith("59,1 s in diesem Lauf – nicht erreicht"), slow
    assert slow[1].endswith("61,0 s in diesem Lauf – nicht erreicht"), slow
