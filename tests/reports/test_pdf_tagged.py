"""The report PDF is tagged towards PDF/UA and laid out for print (real Chromium).

Structure checks with pikepdf (veraPDF cannot be installed from the registries here): tagged
(StructTreeRoot, MarkInfo /Marked), /Lang de, document title shown, bookmarks from the h2
headings, every /Figure with /Alt, table header cells, A4. Layout checks on the rendered pages
(pdftoppm/pdftotext): nothing dark in the outer 5 mm of any page, „Seite x von y“ on every
page, no blank page (header and footer only), no page that ends with a heading – for
Sachsenheim (long, with catalogue), Freudental (short) and the Kreis report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.reports.conftest import require_chromium

pikepdf = pytest.importorskip("pikepdf")

MM = 72 / 25.4  # PDF points per millimetre


def _sachsenheim_pdf(first_batch, batch_dir: Path) -> Path:
    require_chromium()
    pdf = batch_dir / "pdf" / "08118076_Sachsenheim.pdf"
    assert pdf.exists(), first_batch[0].summary()
    return pdf


def _struct_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found: list[pikepdf.Dictionary] = []
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if "/S" in node:
            found.append(node)
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
        elif kids is not None:
            stack.append(kids)
    return found


def _heading_texts(html: str, levels: str = "23") -> list[str]:
    texts = re.findall(rf"<h[{levels}][^>]*>(.*?)</h[{levels}]>", html, re.S)
    return [re.sub(r"<[^>]+>", "", t).strip() for t in texts]


def test_pdf_is_tagged_with_language_title_bookmarks_and_figure_alt(first_batch, batch_dir):
    path = _sachsenheim_pdf(first_batch, batch_dir)
    html = (batch_dir / "08118076_Sachsenheim.html").read_text(encoding="utf-8")
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "de"
        assert str(pdf.docinfo.Title) == "Integrationsbericht Sachsenheim 2024"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            assert abs((x1 - x0) - 210 * MM) < 2 and abs((y1 - y0) - 297 * MM) < 2, "A4"
        with pdf.open_outline() as outline:
            titles = []
            stack = list(outline.root)
            while stack:
                item = stack.pop()
                titles.append(item.title)
                stack.extend(item.children)
        h2 = _heading_texts(html, "2")
        assert h2 and set(h2) <= set(titles), f"Lesezeichen fehlen: {set(h2) - set(titles)}"
        elements = _struct_elements(pdf)
        kinds = [str(e.S) for e in elements]
        figures = [e for e in elements if str(e.S) == "/Figure"]
        # One figure per chart of the report, each with its generated German description.
        assert len(figures) == html.count('class="plotly-graph-div"')
        for figure in figures:
            assert str(figure.get("/Alt", "")).startswith("Abbildung"), figure
        assert "/TH" in kinds and "/Table" in kinds and "/H2" in kinds


def test_no_dark_pixels_in_the_outer_5_mm_of_any_page(first_batch, batch_dir, tmp_path):
    path = _sachsenheim_pdf(first_batch, batch_dir)
    dpi = 50
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(path), str(tmp_path / "s")],
                   check=True)
    pages = sorted(tmp_path.glob("s-*.pgm"))
    assert len(pages) >= 5
    band = round(5 / 25.4 * dpi)
    for page in pages:
        width, height, pixels = _read_pgm(page)
        dark = [
            (x, y) for y in range(height) for x in range(width)
            if (x < band or x >= width - band or y < band or y >= height - band)
            and pixels[y * width + x] < 160
        ]
        assert not dark, f"{page.name}: {len(dark)} dunkle Pixel im 5-mm-Rand, z. B. {dark[:3]}"


def _read_pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    magic, width, height, maxval, rest = data.split(maxsplit=4)
    assert magic == b"P5" and maxval == b"255"
    return int(width), int(height), rest


@pytest.fixture(scope="module")
def more_pdfs(first_batch, tmp_path_factory) -> Path:
    """Freudental (no catalogue: a short report) and the Kreis report, with PDF."""
    require_chromium()
    from workbench.reports.plan import plan_jobs
    from workbench.reports.runner import run_batch

    out = tmp_path_factory.mktemp("berichte-pdf")
    jobs = plan_jobs(["Freudental"], year=2024, kreis=True)
    result = run_batch(jobs, out, formats=("html", "pdf"), workers=1, progress=False)
    assert not result.failed, result.summary()
    return out


def _pdf_pages(path: Path) -> list[list[str]]:
    """The non-empty text lines of every page (pdftotext, layout kept)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()]
            for page in text.split("\f")[:-1]]


def _check_pages(pdf: Path, html: Path, area: str) -> None:
    """Cover with contents; on every page header (area, Stand), content and „Seite x von y“;
    no page (the last included) with only header and footer; no page ending with a heading."""
    headings = set(_heading_texts(html.read_text(encoding="utf-8")))
    pages = _pdf_pages(pdf)
    assert len(pages) >= 3
    cover = " ".join(pages[0])
    assert "Inhalt" in cover and "Berichtsjahr 2024" in cover, "Deckblatt"
    for number, lines in enumerate(pages, start=1):
        where = f"{pdf.name} S. {number}/{len(pages)}"
        assert area in lines[0] and "Stand:" in lines[0], f"Kopfzeile {where}: {lines[:1]}"
        assert lines[-1].endswith(f"Seite {number} von {len(pages)}"), f"Fußzeile {where}"
        body = lines[1:-1]
        # A page with header and footer only (e.g. a trailing margin pushed onto a page of its
        # own) is a blank page for the reader.
        assert body, f"{where} ist leer (nur Kopf- und Fußzeile)"
        if number > 1:  # the cover's contents list the headings by design
            assert body[-1] not in headings, f"{where} endet mit der Überschrift {body[-1]!r}"


def test_every_page_numbered_with_content_and_no_page_ends_with_a_heading(first_batch,
                                                                          batch_dir):
    pdf = _sachsenheim_pdf(first_batch, batch_dir)
    _check_pages(pdf, batch_dir / "08118076_Sachsenheim.html", "Sachsenheim")


@pytest.mark.parametrize(("stem", "area"), [
    ("08118016_Freudental", "Freudental"),
    ("08118_Landkreis_Ludwigsburg", "Landkreis Ludwigsburg"),
])
def test_other_reports_have_no_blank_page(more_pdfs, stem, area):
    _check_pages(more_pdfs / "pdf" / f"{stem}.pdf", more_pdfs / f"{stem}.html", area)


def test_combined_kreis_pdf_has_cover_contents_and_one_chapter_per_report(
        first_batch, batch_dir, tmp_path):
    """Built from the batch's rendered HTML (here Sachsenheim and Ludwigsburg)."""
    require_chromium()
    from workbench.reports.combined import Chapter, write_combined_pdf

    out = tmp_path / "berichte"
    out.mkdir()
    shutil.copytree(batch_dir / "assets", out / "assets")
    chapters = []
    for stem in ("08118076_Sachsenheim", "08118048_Ludwigsburg"):
        shutil.copy(batch_dir / f"{stem}.html", out / f"{stem}.html")
        chapters.append(Chapter(out / f"{stem}.html", f"k{stem[:8]}"))
    pdf_path = write_combined_pdf(out, chapters, "Landkreis Ludwigsburg", 2024)
    assert pdf_path == out / "pdf" / "Integrationsbericht_Landkreis_Ludwigsburg_2024.pdf"
    assert not list(out.glob(".*.html")), "Zwischendatei entfernt"
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.Root.Lang) == "de" and "/StructTreeRoot" in pdf.Root
        assert str(pdf.docinfo.Title) == "Integrationsbericht Landkreis Ludwigsburg 2024"
        with pdf.open_outline() as outline:
            chapters_seen = [item.title for item in outline.root]
            sections = {item.title: [c.title for c in item.children] for item in outline.root}
        assert chapters_seen == ["Integrationsmonitoring Sachsenheim",
                                 "Integrationsmonitoring Ludwigsburg"]
        assert "5. Datenquellen und Hinweise" in sections["Integrationsmonitoring Ludwigsburg"]
        n_pages = len(pdf.pages)
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert "Integrationsbericht Landkreis Ludwigsburg" in pages[0]
    assert "Inhalt" in pages[1] and "Integrationsmonitoring Ludwigsburg" in pages[1]
    assert f"Seite {n_pages} von {n_pages}" in pages[-1]
    # The document ends with text: the last chapter's glossary, not an empty page.
    last = [line.strip() for line in pages[-1].splitlines() if line.strip()]
    assert len(last) > 2 and "Begriffe, die in diesem Bericht vorkommen." in last, last
    single = sum(len(pikepdf.open(batch_dir / "pdf" / f"{s}.pdf").pages)
                 for s in ("08118076_Sachsenheim", "08118048_Ludwigsburg"))
    # Same layout as the single reports: about their pages (minus their covers) plus two.
    assert abs(n_pages - (single - 2 + 2)) <= 4


def _figure_alts(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return sorted(str(e.get("/Alt", "")) for e in _struct_elements(pdf)
                      if str(e.S) == "/Figure")


def test_warm_tab_prints_the_same_pdf_as_a_fresh_load(first_batch, batch_dir, tmp_path):
    """One tab, three reports: the 2nd and 3rd are swapped into the loaded page (pdf.SWAP_JS)
    and must give what a fresh page load gives (printed here with swap=False from the same
    HTML: other tests re-render the batch's HTML, e.g. with another Berichtsjahr)."""
    require_chromium()
    from workbench.reports.pdf import print_pdfs

    stems = ["08118048_Ludwigsburg", "08118076_Sachsenheim", "08118048_Ludwigsburg"]
    jobs = [(batch_dir / f"{s}.html", tmp_path / f"{i}_{s}.pdf") for i, s in enumerate(stems)]
    assert print_pdfs(jobs, concurrency=1) == [None, None, None]
    fresh_jobs = [(batch_dir / f"{s}.html", tmp_path / f"fresh_{s}.pdf") for s in stems[:2]]
    assert print_pdfs(fresh_jobs, concurrency=2, swap=False) == [None, None]
    for (_, swapped), stem in zip(jobs[1:], stems[1:], strict=True):
        fresh = tmp_path / f"fresh_{stem}.pdf"
        assert _pdf_pages(swapped) == _pdf_pages(fresh), stem
        assert _figure_alts(swapped) == _figure_alts(fresh) and _figure_alts(fresh), stem
        with pikepdf.open(swapped) as a, pikepdf.open(fresh) as b:
            assert str(a.docinfo.Title) == str(b.docinfo.Title)
            assert str(a.Root.Lang) == "de"
