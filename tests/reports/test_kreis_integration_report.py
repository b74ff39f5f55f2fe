"""The Kreis report renders the section „Integrationsindikatoren des Landkreises“ (HTML).

Renders on its own warm kernel started in a separate thread, so the kernel inherits this
test's environment (tmp user directory with a newer table, tmp store, output and cache).
"""

from __future__ import annotations

import threading
from pathlib import Path

from workbench.reports import engine
from workbench.reports.plan import KREIS_NOTEBOOK, ReportJob, notebook_path
from workbench.reports.render import render_report

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "raw" / "regionaldatenbank_2018"


def test_kreis_report_html_has_the_integration_section(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    text = (SHIPPED / "12511-01-01-4.csv").read_bytes().decode("latin-1").split("\n")
    first = next(i for i, line in enumerate(text) if line.startswith("2016;DG;"))
    text.insert(first, "2017;08118;      Ludwigsburg, Landkreis;1001;60;30;120;-;789;2\r")
    (user / "einbuergerungen_2017.csv").write_bytes("\n".join(text).encode("latin-1"))
    monkeypatch.setenv("WORKBENCH_USER_DIR", str(user))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("WORKBENCH_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))

    job = ReportJob("08118", "Landkreis Ludwigsburg", str(notebook_path(KREIS_NOTEBOOK)),
                    {"berichtsjahr": 2025}, "kreis")
    out = tmp_path / "berichte"
    result: dict = {}
    before = list(engine._all_kernels)
    thread = threading.Thread(target=lambda: result.update(r=render_report(job, str(out),
                                                                          ("html",))))
    thread.start()
    thread.join(600)
    try:
        r = result["r"]
        assert r.ok, (r.error, r.cell_source)
        html = (out / r.outputs["html"]).read_text(encoding="utf-8")
    finally:
        for kernel in [k for k in engine._all_kernels if k not in before]:
            kernel.shutdown()
            engine._all_kernels.remove(kernel)
    assert 'id="integrationsindikatoren"' in html
    assert "Integrationsindikatoren des Landkreises (Kreisebene)" in html
    # chart titles sit in the plotly JSON (non-ASCII escaped)
    assert "Landkreis Ludwigsburg 2011\\u20132017 (Stand 2017)" in html
    assert "einbuergerungen_2017.csv" in html and "Nutzerverzeichnis" in html
    assert "13211-01-03-4_00.csv" in html
    assert "enden 2015/2016" in html
    # AZR and Fortschreibung of the same day: both shown, the difference explained
    assert "118.840" in html and "107.946" in html
    assert "Zwei Zahlen für denselben Stichtag" in html
    assert "Mikrozensus, Schätzwert" in html
    # listed under „Datenquellen und Hinweise“ too
    assert "Regionaldatenbank 12511-01-01-4" in html
