"""The whole product for Kreise other than Landkreis Ludwigsburg (issue 11: any BW Kreis).

Real commands in subprocesses on the shipped data: Landkreis Böblingen (08115, 26
municipalities) and Stadtkreis Stuttgart (08111, whose only municipality is the city itself).
The session's isolation (tests/conftest.py) keeps store, output and caches in a tmp dir.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.reports.conftest import CHROMIUM, require_chromium

WORKBENCH = [sys.executable, "-m", "workbench.cli"]


class _Text(HTMLParser):
    """Visible text of a report page, sources table included (no scripts, no styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ARG002
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def text_of(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "\n".join(parser.parts)


def body_of(text: str) -> str:
    """The report up to its sources section (the Zensus 2022 source description itself
    mentions the Ludwigsburg counts it contains; that is a fact about the source)."""
    return text.split("Datenquellen und Hinweise")[0]


def workbench(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*WORKBENCH, *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


@pytest.fixture(scope="module")
def boeblingen(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("berichte-08115")
    result = workbench("reports", "--kreis", "Böblingen", "-m", "Aidlingen", "-m", "08115003",
                       "--kreisbericht", "--year", "2024", "--out", str(out), "--format",
                       "html", "-q", "-w", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_boeblingen_reports_are_about_boeblingen(boeblingen):
    names = sorted(p.name for p in boeblingen.glob("*.html"))
    assert names == ["08115001_Aidlingen.html", "08115003_Boeblingen.html",
                     "08115_Landkreis_Boeblingen.html", "index.html"]
    kreis = text_of(boeblingen / "08115_Landkreis_Boeblingen.html")
    assert "Integrationsmonitoring Landkreis Böblingen – Übersicht der 26 Städte und Gemeinden" \
        in kreis
    aidlingen = text_of(boeblingen / "08115001_Aidlingen.html")
    assert "Platz 21 von 26 Städten und Gemeinden im Landkreis Böblingen" in aidlingen
    assert "Rang unter den 26 Städten und Gemeinden" in aidlingen
    assert "Karte des Landkreises" in aidlingen
    for text in (kreis, aidlingen, text_of(boeblingen / "08115003_Boeblingen.html")):
        assert "Ludwigsburg" not in body_of(text)
        assert "39 Städte" not in text and "von 39" not in text
    # Integration indicators of Böblingen itself (no AZR records shipped for it: said so).
    assert "Integrationsindikatoren" in kreis and "Einbürgerungen insgesamt" in kreis
    assert "keine Angaben aus dem Ausländerzentralregister" in kreis
    index = text_of(boeblingen / "index.html")
    assert "Integrationsberichte Landkreis Böblingen" in index
    manifest = json.loads((boeblingen / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["reports"]) == ["08115", "08115001", "08115003"]


def test_summary_for_another_kreis():
    result = workbench("summary", "--kreis", "08115")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    municipal = [line for line in lines if re.match(r"\S.*\s08115\d{3}\s", line)]
    assert len(municipal) == 26
    assert any(line.startswith("Landkreis Böblingen") for line in lines)
    assert "Ludwigsburg" not in result.stdout.split("Quelle:")[0]
    bad = workbench("summary", "--kreis", "Heilbronn")
    assert bad.returncode == 2 and "Mehrdeutiger Kreis" in bad.stderr


def test_stuttgart_main_run(tmp_path):
    """`workbench run --kreis 08111` (without serving): data checked, model, overview, the
    one report (HTML, PDF where Chromium is installed) – a Stadtkreis never compared with
    itself."""
    if not CHROMIUM.exists():
        require_chromium()  # fails on CI, skips locally
    env_out = Path(os.environ["WORKBENCH_OUTPUT_DIR"])
    result = workbench("run", "--kreis", "08111", "--no-serve", "--year", "2024", timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Stadtkreis Stuttgart: Stadt und Kreis in einem Bericht" in result.stdout
    assert "kein Rang und kein Abstand zum Kreis" in result.stdout
    out = env_out / "berichte-08111"
    assert sorted(p.name for p in out.glob("*.html")) == ["08111000_Stuttgart.html",
                                                          "index.html"]
    assert (out / "pdf" / "08111000_Stuttgart.pdf").stat().st_size > 10_000
    text = text_of(out / "08111000_Stuttgart.html")
    assert "über dem Landesdurchschnitt von Baden-Württemberg" in text
    assert "Stuttgart ist ein Stadtkreis: Stadt und Kreis sind dasselbe Gebiet" in text
    for self_comparison in ("Platz 1 von 1", "Abstand zum Stadtkreis", "Abstand zum Kreis",
                            "Kreisdurchschnitt", "Rang im Stadtkreis", "Karte des"):
        assert self_comparison not in text, self_comparison
    assert "Seit dem Zensus 2011 (09.05.2011)" in text  # the Kreis row is the city's value
    assert "Ludwigsburg" not in body_of(text)


def test_dashboard_for_another_kreis():
    """The dashboard a `workbench dashboards --kreis 08115` kernel builds (WORKBENCH_KREIS)."""
    from workbench import region
    from workbench.dashboards import AuslaenderanteilDashboard

    kreis = region.default_kreis({"WORKBENCH_KREIS": "08115"})
    aus = AuslaenderanteilDashboard(kreis=kreis)
    assert len(aus.names) == 26 and aus.ags.startswith("08115")
    aus.select("Sindelfingen")
    assert aus.ags == "08115045"
    assert "Rang im Landkreis" in aus.kpis.value and "von 26" in aus.kpis.value
    assert "Landkreis Böblingen" in aus.widget.children[0].value
    assert aus.table.value.count("<tr data-ags=") == 26
    assert {t.name for t in aus.map.data} >= {"Sindelfingen", "Aidlingen"}
    assert aus.kreis_tab.kreis == "08115"
