"""The Kreis Integrationsbericht as ONE tagged PDF, built from the batch's rendered reports.

Not a second layout: the body of every report HTML of the batch (Kreis first, then the
municipalities by name) becomes one chapter of a single HTML document, behind a cover page
and a table of contents; that document is printed once by :mod:`workbench.reports.pdf`
(same stylesheet, header/footer, „Seite x von y“, bookmarks from the chapter headings).
Each chapter keeps its own „Datenquellen und Hinweise“ section.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.reports.export import atomic_write_text

# Time for one document with every chart of the Kreis (~250 plotly charts).
COMBINED_TIMEOUT_MS = 600_000

_HEAD = re.compile(r"<head>(.*?)</head>", re.S)
_MAIN = re.compile(r"<main>(.*?)</main>", re.S)
_BODY = re.compile(r"<body[^>]*>(.*?)</body>", re.S)
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_HEADING = re.compile(r"<h([12])([^>]*)>(.*?)</h\1>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Chapter:
    """One rendered report: its HTML file and a prefix that keeps its anchors unique."""

    html: Path
    prefix: str


def pdf_name(kreis_name: str, year: int | str) -> str:
    """``Integrationsbericht_Landkreis_Ludwigsburg_2024.pdf``."""
    from workbench.reports.plan import slug

    return f"Integrationsbericht_{slug(kreis_name)}_{year}.pdf"


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", _TAGS.sub(" ", fragment))).strip()


def _chapter_body(text: str, prefix: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The report's content with heading ids and in-page links prefixed, and its h1/h2
    headings as (level, id, text)."""
    match = _MAIN.search(text) or _BODY.search(text)
    body = match.group(1) if match else text
    headings: list[tuple[int, str, str]] = []
    counter = 0

    def heading(m: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        level, attrs, inner = int(m.group(1)), m.group(2), m.group(3)
        found = _ID.search(attrs)
        ident = f"{prefix}-{found.group(1) if found else f'h{counter}'}"
        attrs = _ID.sub("", attrs).rstrip()
        headings.append((level, ident, _text(inner)))
        return f'<h{level} id="{ident}"{attrs}>{inner}</h{level}>'

    body = _HEADING.sub(heading, body)
    body = re.sub(r'href="#(?!' + re.escape(prefix) + r'-)([^"]+)"',
                  lambda m: f'href="#{prefix}-{m.group(1)}"', body)
    return body, headings


def combined_html(chapters: Sequence[Chapter], title: str, year: int | str,
                  stand: str) -> str:
    """One HTML document: cover, table of contents, one chapter per report."""
    if not chapters:
        raise ValueError("keine Berichte für den Gesamtbericht")
    first = chapters[0].html.read_text(encoding="utf-8")
    head_match = _HEAD.search(first)
    head = _TITLE.sub("", head_match.group(1) if head_match else "")
    parts: list[str] = []
    toc: list[str] = []
    for chapter in chapters:
        body, headings = _chapter_body(chapter.html.read_text(encoding="utf-8"), chapter.prefix)
        parts.append(f'<section class="wb-chapter">{body}</section>')
        items = []
        top = ""
        for level, ident, text in headings:
            link = f'<a href="#{ident}">{html_lib.escape(text)}</a>'
            if level == 1 and not top:
                top = link
            elif level == 2:
                items.append(f"<li>{link}</li>")
        if top:
            sub = f"<ol>{''.join(items)}</ol>" if items else ""
            toc.append(f"<li>{top}{sub}</li>")
    esc = html_lib.escape
    cover = (
        '<section class="wb-cover"><p class="wb-cover-kicker">Integrationsmonitoring</p>'
        f'<p class="wb-cover-title">{esc(title)}</p>'
        f'<p class="wb-cover-meta">Berichtsjahr {esc(str(year))}</p>'
        f'<p class="wb-cover-meta">Stand: {esc(stand)}</p>'
        f'<p class="wb-cover-meta">Kreis und {len(chapters) - 1} Städte und Gemeinden, '
        "je ein Kapitel mit Datenquellen und Hinweisen.</p></section>"
        '<nav class="wb-toc wb-toc-page" aria-label="Inhalt"><p class="wb-toc-title">Inhalt</p>'
        f"<ol>{''.join(toc)}</ol></nav>"
    )
    doc_title = f"{title} {year}"
    return (f'<!DOCTYPE html>\n<html lang="de">\n<head>{head}<title>{esc(doc_title)}</title>'
            '</head>\n<body class="jp-Notebook" data-jp-theme-light="true" '
            f'data-jp-theme-name="JupyterLab Light">\n<main>{cover}{"".join(parts)}</main>\n'
            "</body>\n</html>\n")


def write_combined_pdf(out: Path, chapters: Sequence[Chapter], kreis_name: str,
                       year: int | str) -> Path:
    """Print the combined report to ``out/pdf/Integrationsbericht_<Kreis>_<Jahr>.pdf``.

    The intermediate HTML lives beside the reports (it needs ``assets/``) and is removed
    afterwards. Raises on failure (the caller reports it as a batch error)."""
    from workbench.reports.pdf import print_pdfs

    out = Path(out)
    stand = dt.date.today().strftime("%d.%m.%Y")
    title = f"Integrationsbericht {kreis_name}"
    pdf = out / "pdf" / pdf_name(kreis_name, year)
    source = out / f".{pdf.stem}.html"
    atomic_write_text(source, combined_html(chapters, title, year, stand))
    try:
        (error,) = print_pdfs([(source, pdf)], concurrency=1, timeout_ms=COMBINED_TIMEOUT_MS)
    finally:
        source.unlink(missing_ok=True)
    if error is not None:
        raise error
    return pdf
