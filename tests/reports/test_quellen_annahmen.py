"""Nothing credited to a source that did not say it: assumptions printed as such, finished
projects as history, „Datenquellen und Hinweise“ only with what the report showed.

Most checks render the report sections in-process (display output collected, no kernel);
one Ludwigsburg report goes through the batch runner for the real HTML (and the PDF text
when Chromium and ``pdftotext`` are installed)."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import CHROMIUM

PROJECT = Path(__file__).resolve().parents[2]
PREFIX = "Annahme, nicht aus der Quelle: "


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """Store, outputs and catalogues in tmp (the project's data/store and output untouched)."""
    catalogues = tmp_path / "catalogues"
    shutil.copytree(PROJECT / "data" / "catalogues", catalogues)
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(catalogues))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "store" / "messwerte.sqlite"))
    monkeypatch.setenv("WORKBENCH_OUTPUT_DIR", str(tmp_path / "output"))
    return tmp_path


@pytest.fixture
def render(isolated, monkeypatch):
    """render(gemeinde_or_ctx, *sections, **einrichten_kwargs) -> (ctx, shown HTML).

    A ReportContext instead of a name runs the sections on that context."""
    import IPython.display

    from workbench.reports import sections
    from workbench.reports.context import ReportContext

    def run(who, *names: str, **kwargs):
        shown: list[str] = []

        def display(*objs, raw=False, **_):
            for o in objs:
                shown.append(o.get("text/html", "") if raw and isinstance(o, dict)
                             else getattr(o, "data", str(o)))

        monkeypatch.setattr(IPython.display, "display", display)
        ctx = who if isinstance(who, ReportContext) else sections.einrichten(who, 2025, **kwargs)
        for name in names or ("handlungsfelder", "projekte", "datenquellen"):
            getattr(sections, name)(ctx)
        return ctx, "\n".join(shown)

    return run


def text_of(html: str) -> str:
    """Visible text: tags dropped, entities decoded, plotly JSON unescaped (chart sources)."""
    html = html.replace("\\u003cbr\\u003e", " ").replace("<br>", " ")
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def source_lines(text: str) -> list[str]:
    """Every „Quelle: …“ up to the next sentence/annotation boundary."""
    end = r"(?=Annahme, nicht aus der Quelle|Messwerte|Stand|$)"
    return re.findall(r"(?<!aus der )Quelle: .{0,400}?" + end, text)


def test_ludwigsburg_shows_2015_2018_history_not_a_plan(render):
    _, html = render("Ludwigsburg")
    text = text_of(html)
    assert "Abgeschlossene Projekte (Geschichte)" in text
    assert text.count("01.04.2015 – 31.03.2018") == 2
    assert "abgeschlossen (Projektzeitraum 2015–2018)" in text
    for amount in ("63.000 €", "57.240 €", "200.400 €", "80.160 €", "rund 60 %"):
        assert amount in text, amount
    assert "35%-Projektstelle" in text
    assert "Mitteilungsvorlage 167/15 (28.04.2015) (Projekte ab 01.04.2015, 3 Jahre)" in text
    # No source line credits 2025–2029 (or a 2025 target) to the council paper …
    for line in source_lines(text):
        if "167/15" in line:
            assert "2025" not in line.replace("28.04.2015", ""), line
    # … the schedule is printed as an assumption, the history never gets a status.
    assert PREFIX + "Monitoringzeitraum 2025–2029" in text
    progress_table = text.split("Maßnahmen und Indikatoren (Ist/Soll)")[1]
    assert "Willkommen in Ludwigsburg" not in progress_table.split("Zeitplan")[0]


def test_kreis_report_credits_no_schedule_or_course_target_to_the_web_page(render):
    ctx, html = render("08118")
    text = text_of(html)
    for line in source_lines(text):
        if "Webseite Integrationsbeauftragte" in line:
            assert "2025–2029" not in line and "3 Kurse" not in line, line
    assert PREFIX + "Zeitplan 2025–2029" in text
    assert PREFIX + "Zielwert 3 Kurse je Jahr" in text
    assert "3 (Annahme)" in text
    # Seed facts with their source and date.
    assert "4,45 Prozentpunkte" in text and "31.12.2023" in text
    assert "17. Mai 2021" in text and "152 Seiten" in text
    assert "vier zentrale Handlungsfelder" in text
    # The Datenquellen section repeats the assumptions.
    tail = text.split("5. Datenquellen und Hinweise")[1]
    assert PREFIX + "Zielwert 3 Kurse je Jahr" in tail
    assert ctx.assumptions_shown and all(a.startswith(PREFIX) for a in ctx.assumptions_shown)


def test_sachsenheim_context_responsibilities_and_evaluation_wording(render):
    _, html = render("Sachsenheim")
    text = text_of(html)
    assert "Die Stadt verfügt über 27 Unterkünfte, in denen 300 Geflüchtete untergebracht " \
           "sind (Stand: Oktober 2024)." in text
    assert "Integrationskonzept Sachsenheim (11/2024)" in text
    assert "AG 1: Handlungsfeld „Sprache und Bildung“" in text
    assert "Alle zwei Jahre soll eine Evaluation stattfinden – bei Bedarf auch früher." in text
    assert "Teilnahme an Heimatfest" in text
    assert PREFIX + "Beginn aller Maßnahmen am 01.01.2025" in text


def test_source_table_without_handlungsfelder_lists_no_catalogue_document(render):
    for gemeinde, kwargs in (("Sachsenheim", {"mit_handlungsfeldern": False}),
                             ("Affalterbach", {})):
        ctx, html = render(gemeinde, **kwargs)
        tail = text_of(html).split("5. Datenquellen und Hinweise")[1]
        assert ctx.documents_used == {}
        assert "Dokument (Maßnahmenkatalog)" not in tail
        assert "Integrationskonzept" not in tail and "Geheimhaltung" not in tail


def test_datenquellen_lists_only_cited_sources(render):
    ctx, _ = render("Affalterbach", "kurzfassung")
    assert ctx.used_sources == {}  # the summary text cites nothing by itself
    ctx.cite("zensus2022", "15.05.2022")
    ctx.cite("zensus2022", "später")  # the first Stand is kept
    ctx.cite_document("Testdokument (Inhalt)", "01.01.2025")
    ctx.assume(PREFIX + "Testannahme")
    _, html = render(ctx, "datenquellen")
    text = text_of(html)
    assert "Zensus 2022" in text and "15.05.2022" in text and "später" not in text
    assert "Testdokument (Inhalt)" in text and PREFIX + "Testannahme" in text
    assert "Gemeindegrenzen" not in text  # never cited, never listed


@pytest.fixture(scope="module")
def ludwigsburg_batch(tmp_path_factory):
    """The Ludwigsburg report through the batch runner (HTML, + PDF with Chromium)."""
    from workbench.reports.plan import plan_jobs
    from workbench.reports.runner import run_batch

    out = tmp_path_factory.mktemp("quellen")
    db = out / "leer.sqlite"  # does not exist: Beispieldaten, nothing of the project's store
    formats = ("html", "pdf") if CHROMIUM.exists() else ("html",)
    jobs = plan_jobs(["Ludwigsburg"], year=2025,
                     overrides={"Ludwigsburg": {"messwerte_db": str(db)}})
    result = run_batch(jobs, out, formats=formats, workers=1, progress=False)
    assert result.results[0].ok, result.summary()
    return out


def test_rendered_html_and_pdf_of_ludwigsburg(ludwigsburg_batch):
    html = (ludwigsburg_batch / "08118048_Ludwigsburg.html").read_text(encoding="utf-8")
    text = text_of(html)
    assert "01.04.2015 – 31.03.2018" in text
    assert PREFIX + "Monitoringzeitraum 2025–2029" in text
    assert PREFIX + "Zielwert 1 Netzwerktreffen je Jahr" in text
    pdf = ludwigsburg_batch / "pdf" / "08118048_Ludwigsburg.pdf"
    if not pdf.exists() or shutil.which("pdftotext") is None:
        pytest.skip("PDF-Text nicht prüfbar (Chromium oder pdftotext fehlt)")
    # Reading order, not -layout: table cells wrap, -layout interleaves neighbouring cells.
    pdf_text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", pdf_text)
    assert "Annahme, nicht aus der Quelle:" in flat
    assert "abgeschlossen (Projektzeitraum 2015–2018)" in flat
