"""Print report HTML to A4 PDF with the system's headless Chromium (Python Playwright).

No browser download ever: Playwright drives ``/usr/bin/chromium`` (override with
``WORKBENCH_CHROMIUM``); the page is opened from the file system, so the shared
``assets/plotly.min.js`` is loaded offline. We wait until every plotly chart has drawn its SVG
before printing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench.fsutil import atomic_path
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
    "margin": {"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
}
# Every chart div must have been drawn by plotly.js (an <svg class="main-svg">).
CHARTS_DRAWN_JS = (
    "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
    ".every(d => d.querySelector('svg.main-svg'))"
)


def chromium_path(settings: Settings | None = None) -> str:
    """The Chromium binary (``Settings.chromium``: ``WORKBENCH_CHROMIUM`` or the default)."""
    return current(settings).chromium


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Convenience for a single report."""
    (error,) = print_pdfs([(html, pdf)], concurrency=1)
    if error is not None:
        raise error
    return pdf


def print_pdfs(
    jobs: Sequence[tuple[Path, Path]],
    *,
    concurrency: int = 2,
    timeout_ms: int = 60_000,
    on_done: Callable[[Path, Path, BaseException | None, float], None] | None = None,
) -> list[BaseException | None]:
    """Print many reports with one browser and ``concurrency`` pages at a time.

    Printing is mostly Chromium's layout and rasterising work in its own processes, so two
    pages at once use both cores (one page at a time left one idle: ~4 s per report here).
    ``on_done(html, pdf, error, seconds)`` is called as each finishes; the result lists the
    error (or None) per job. Raises FileNotFoundError when Chromium is missing.
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
            gate = asyncio.Semaphore(max(1, concurrency))

            async def one(html: Path, pdf: Path) -> BaseException | None:
                async with gate:
                    started = time.perf_counter()
                    error: BaseException | None = None
                    page = await browser.new_page(
                        viewport={"width": PRINT_WIDTH_PX, "height": 1000}
                    )
                    try:
                        pdf.parent.mkdir(parents=True, exist_ok=True)
                        await page.goto(Path(html).resolve().as_uri(), wait_until="load",
                                        timeout=timeout_ms)
                        await page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms)
                        await page.emulate_media(media="print")
                        with atomic_path(pdf) as tmp:
                            await page.pdf(path=str(tmp), **PDF_OPTIONS)
                    except Exception as exc:  # noqa: BLE001 - reported per report
                        error = exc
                    finally:
                        await page.close()
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
