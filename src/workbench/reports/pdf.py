"""Print report HTML to A4 PDF with the system's headless Chromium (Python Playwright).

No browser download ever: Playwright drives ``/usr/bin/chromium`` (override with
``WORKBENCH_CHROMIUM``); the page is opened from the file system, so the shared
``assets/plotly.min.js`` is loaded offline. We wait until every plotly chart has drawn its SVG
before printing.

Speed: a tab keeps plotly.js loaded. The next report of the same directory with the same
``<head>`` (all reports of a batch) is not loaded from scratch: its ``<body>`` replaces the
previous one and its chart scripts run (:data:`SWAP_JS`), which skips parsing plotly.min.js
(~4,8 MB) and the stylesheet again – about 40 % of a report's printing time. What is printed
is the same document (title, language, body, charts drawn by the same plotly).

The PDF is tagged (structure tree, ``/Lang de`` from ``<html lang>``, the document title
shown by viewers, bookmarks from the headings; charts are ``role="img"`` with an
``aria-label`` and become ``/Figure`` elements with ``/Alt``). For print only, a cover page
with the table of contents is added to the page before printing (:data:`PREPARE_JS`; the
HTML report itself is unchanged) and Chromium's header/footer templates carry the area,
Berichtsjahr, Stand and „Seite x von y“.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import html as html_lib
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench.fsutil import atomic_path
from workbench.htmlparts import WIDE_TABLE_COLUMNS
from workbench.settings import DEFAULT_CHROMIUM, Settings, current

CHROMIUM = DEFAULT_CHROMIUM  # the default binary (``chromium_path()`` honours the settings)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


# Charts are laid out at a screen-like width (their source lines are wrapped for ~900 px) and
# the page is scaled onto the printable A4 width (210 mm − 2 × 12 mm ≈ 700 CSS px).
PRINT_WIDTH_PX = 900
PRINT_SCALE = 700 / PRINT_WIDTH_PX
PDF_OPTIONS: dict[str, Any] = {
    "format": "A4",
    "print_background": True,
    "scale": PRINT_SCALE,
    # Top/bottom leave room for the header and footer templates.
    "margin": {"top": "18mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
    "tagged": True,
    "outline": True,
    "display_header_footer": True,
}
# Printable height of an A4 page in CSS px before scaling (297 mm minus the margins),
# with a little room for the caption line under a chart.
PAGE_HEIGHT_PX = int((297 - 18 - 16) / 25.4 * 96 / PRINT_SCALE * 0.92)
# Pages printed at the same time by one browser (tabs).
CONCURRENCY = 2
FONT = '"Open Sans", verdana, arial, sans-serif'
_FURNITURE = ('<div style="font-family:' + FONT.replace('"', "'") + ';font-size:7.5pt;'
              'color:#444;width:100%;margin:0 12mm;display:flex;'
              'justify-content:space-between">{left}{right}</div>')
# Every chart div must have been drawn by plotly.js (an <svg class="main-svg">) and fitted to
# its width (chart_layout.js marks it data-wb-layout="fitting" until then).
CHARTS_DRAWN_JS = (
    "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
    ".every(d => d.querySelector('svg.main-svg')"
    " && d.getAttribute('data-wb-layout') !== 'fitting')"
)
# For print only: language, ids for the h2 headings, and – unless the document brings its own
# (the combined Kreis report) – a cover page with the table of contents linking to them.
# Returns the document title. Arguments: the Stand text for the cover, the printable page
# height in CSS px.
PREPARE_JS = """([stand, maxHeight]) => {
  document.documentElement.lang = 'de';
  // A chart becomes ONE /Figure with its aria-label as /Alt (not dozens of untitled SVG
  // parts): the label moves onto plotly's first SVG layer, the other layers are hidden.
  document.querySelectorAll('div[role=img][aria-label]').forEach(fig => {
    const svgs = Array.from(fig.querySelectorAll('svg'));
    if (!svgs.length) return;
    svgs.forEach((svg, i) => {
      if (i === 0) {
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', fig.getAttribute('aria-label'));
      } else {
        svg.setAttribute('aria-hidden', 'true');
      }
    });
    fig.removeAttribute('role');
    fig.removeAttribute('aria-label');
  });
  // Tables with many columns only fit the page width if cells may break inside words.
  document.querySelectorAll('table.wb-table').forEach(t => {
    if (t.rows.length && t.rows[0].cells.length >= __WIDE__) t.classList.add('wb-wide');
  });
  // A chart taller than a page would be cut in two: shrink it to one page instead.
  document.querySelectorAll('.wb-figure').forEach(fig => {
    const h = fig.getBoundingClientRect().height;
    if (h > maxHeight) fig.style.zoom = (maxHeight / h).toFixed(3);
  });
  const h2 = Array.from(document.querySelectorAll('h2'));
  h2.forEach((h, i) => { if (!h.id) h.id = 'abschnitt-' + (i + 1); });
  if (!document.querySelector('.wb-cover')) {
    const el = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    const m = document.title.match(/^(.*?)\\s+(\\d{4})$/);
    const cover = el('section', 'wb-cover');
    cover.append(el('p', 'wb-cover-kicker', 'Integrationsmonitoring'),
                 el('p', 'wb-cover-title', m ? m[1] : document.title));
    if (m) cover.append(el('p', 'wb-cover-meta', 'Berichtsjahr ' + m[2]));
    cover.append(el('p', 'wb-cover-meta', 'Stand: ' + stand));
    const nav = el('nav', 'wb-toc');
    nav.setAttribute('aria-label', 'Inhalt');
    nav.append(el('p', 'wb-toc-title', 'Inhalt'));
    const ol = el('ol');
    h2.forEach(h => {
      const a = el('a', '', h.textContent.trim());
      a.href = '#' + h.id;
      const li = el('li'); li.append(a); ol.append(li);
    });
    nav.append(ol); cover.append(nav);
    document.body.prepend(cover);
  }
  return document.title;
}""".replace("__WIDE__", str(WIDE_TABLE_COLUMNS))


# Replace the loaded report by another one with the same <head>: charts of the old body are
# purged (plotly's resize listeners), the new body's attributes, markup and title are set, and
# its inline scripts are run in document order (innerHTML does not run them).
# Arguments: title, <html lang>, body attributes, body markup.
SWAP_JS = """([title, lang, attrs, markup]) => {
  document.querySelectorAll('.plotly-graph-div').forEach(gd => Plotly.purge(gd));
  if (lang) document.documentElement.lang = lang;
  else document.documentElement.removeAttribute('lang');
  const body = document.body;
  Array.from(body.attributes).forEach(a => body.removeAttribute(a.name));
  Object.entries(attrs).forEach(([k, v]) => body.setAttribute(k, v));
  body.innerHTML = markup;
  document.title = title;
  body.querySelectorAll('script').forEach(old => {
    const script = document.createElement('script');
    Array.from(old.attributes).forEach(a => script.setAttribute(a.name, a.value));
    script.text = old.text;
    old.replaceWith(script);
  });
  window.scrollTo(0, 0);
}"""

_HEAD = re.compile(r"<head>(.*?)</head>", re.S | re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang=\"([^\"]*)\"", re.I)
_BODY = re.compile(r"<body\b([^>]*)>(.*)</body>", re.S | re.I)
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')


def _swap_parts(text: str) -> tuple[str, list[Any]] | None:
    """(head without its title, SWAP_JS arguments) of a report HTML, or None when it cannot
    be swapped in (no head/body, or scripts that load files)."""
    head, body = _HEAD.search(text), _BODY.search(text)
    if head is None or body is None or re.search(r"<script\b[^>]*\bsrc=", body.group(2), re.I):
        return None
    title = _TITLE.search(head.group(1))
    lang = _HTML_LANG.search(text)
    attrs = {k: html_lib.unescape(v) for k, v in _ATTR.findall(body.group(1))}
    return (_TITLE.sub("", head.group(1)),
            [html_lib.unescape(title.group(1).strip()) if title else "",
             lang.group(1) if lang else "", attrs, body.group(2)])


def chromium_path(settings: Settings | None = None) -> str:
    """The Chromium binary (``Settings.chromium``: ``WORKBENCH_CHROMIUM`` or the default)."""
    return current(settings).chromium


def furniture(title: str, stand: str) -> dict[str, str]:
    """Header (area, Berichtsjahr, Stand) and footer („Seite x von y“) templates."""
    match = re.fullmatch(r"(.*?)\s+(\d{4})", title.strip())
    area, year = (match.group(1), match.group(2)) if match else (title, "")
    right = " · ".join(p for p in (f"Berichtsjahr {year}" if year else "", f"Stand: {stand}")
                       if p)
    header = _FURNITURE.format(left=f"<span>{html_lib.escape(area)}</span>",
                               right=f"<span>{html_lib.escape(right)}</span>")
    footer = _FURNITURE.format(
        left="<span></span>",
        right='<span>Seite <span class="pageNumber"></span> von '
              '<span class="totalPages"></span></span>')
    return {"header_template": header, "footer_template": footer}


def stand_of(html: Path) -> str:
    """Stand of a report: the local date its HTML was written (DD.MM.YYYY)."""
    return dt.datetime.fromtimestamp(Path(html).stat().st_mtime).strftime("%d.%m.%Y")


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Convenience for a single report."""
    (error,) = print_pdfs([(html, pdf)], concurrency=1)
    if error is not None:
        raise error
    return pdf


def print_pdfs(
    jobs: Sequence[tuple[Path, Path]],
    *,
    concurrency: int = CONCURRENCY,
    timeout_ms: int = 60_000,
    on_done: Callable[[Path, Path, BaseException | None, float], None] | None = None,
    swap: bool = True,
) -> list[BaseException | None]:
    """Print many reports with one browser and ``concurrency`` pages at a time.

    Printing is mostly Chromium's layout and rasterising work in its own processes, so two
    pages at once use both cores (one page at a time left one idle: ~4 s per report here).
    ``on_done(html, pdf, error, seconds)`` is called as each finishes; the result lists the
    error (or None) per job. ``swap=False`` loads every report from scratch (for comparison;
    see the module docstring). Raises FileNotFoundError when Chromium is missing.
    """
    executable = chromium_path()
    if not Path(executable).exists():
        raise FileNotFoundError(
            f"Chromium nicht gefunden: {executable}. PDF-Ausgabe braucht einen installierten "
            f"Chromium (z. B. apt install chromium) oder WORKBENCH_CHROMIUM."
        )
    from playwright.async_api import async_playwright

    async def main() -> list[BaseException | None]:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            # A few tabs, each reused for report after report (no new tab and renderer
            # per report); a tab left in an unknown state by an error is replaced.
            tabs: asyncio.Queue[Any] = asyncio.Queue()

            async def new_tab() -> Any:
                return await browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})

            # What each tab has loaded: (directory, head without title) of its report.
            loaded: dict[Any, tuple[Path, str]] = {}
            for _ in range(max(1, min(concurrency, len(jobs)))):
                tabs.put_nowait(await new_tab())

            async def one(html: Path, pdf: Path) -> BaseException | None:
                page = await tabs.get()
                started = time.perf_counter()
                error: BaseException | None = None
                try:
                    pdf.parent.mkdir(parents=True, exist_ok=True)
                    await page.emulate_media(media="screen")
                    source = Path(html).resolve()
                    parts = _swap_parts(source.read_text(encoding="utf-8")) if swap else None
                    key = (source.parent, parts[0]) if parts else None
                    if key is not None and loaded.get(page) == key:
                        await page.evaluate(SWAP_JS, parts[1])
                    else:
                        loaded.pop(page, None)
                        await page.goto(source.as_uri(), wait_until="load", timeout=timeout_ms)
                        if key is not None:
                            loaded[page] = key
                    await page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms)
                    await page.emulate_media(media="print")
                    stand = stand_of(html)
                    title = await page.evaluate(PREPARE_JS, [stand, PAGE_HEIGHT_PX])
                    with atomic_path(pdf) as tmp:
                        await page.pdf(path=str(tmp), **PDF_OPTIONS, **furniture(title, stand))
                except Exception as exc:  # noqa: BLE001 - reported per report
                    error = exc
                    loaded.pop(page, None)
                    await page.close()
                    page = await new_tab()
                finally:
                    tabs.put_nowait(page)
                if on_done is not None:
                    on_done(html, pdf, error, time.perf_counter() - started)
                return error

            try:
                return list(await asyncio.gather(*(one(h, p) for h, p in jobs)))
            finally:
                await browser.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # An event loop already runs in this thread (JupyterLab, or a sync Playwright session):
    # asyncio.run would refuse, so the printing gets a thread and a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()
