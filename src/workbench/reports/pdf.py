"""Print report HTML to A4 PDF with the system's headless Chromium (Python Playwright).

No browser download ever: Playwright drives ``/usr/bin/chromium`` (override with
``WORKBENCH_CHROMIUM``); the page is opened from the file system, so the shared
``assets/plotly.min.js`` is loaded offline. We wait until every plotly chart has drawn its SVG
before printing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
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


def chromium_path() -> str:
    return os.environ.get("WORKBENCH_CHROMIUM", CHROMIUM)


class PdfPrinter:
    """One browser for many PDFs (start once, ``print_pdf`` per report, ``close``)."""

    def __init__(self, executable: str | None = None, timeout_ms: int = 60_000) -> None:
        self.executable = executable or chromium_path()
        self.timeout_ms = timeout_ms
        self._pw: Any = None
        self._browser: Any = None

    def start(self) -> PdfPrinter:
        if not Path(self.executable).exists():
            raise FileNotFoundError(
                f"Chromium nicht gefunden: {self.executable}. PDF-Ausgabe braucht einen "
                f"installierten Chromium (z. B. apt install chromium) oder WORKBENCH_CHROMIUM."
            )
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path=self.executable, headless=True, args=CHROMIUM_ARGS
        )
        return self

    def print_pdf(self, html: Path, pdf: Path) -> Path:
        """Render ``html`` (file path) and write an A4 PDF atomically."""
        if self._browser is None:
            self.start()
        pdf.parent.mkdir(parents=True, exist_ok=True)
        # Responsive plotly charts are drawn at the viewport width and scaled down when printed.
        page = self._browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
        try:
            page.goto(Path(html).resolve().as_uri(), wait_until="load", timeout=self.timeout_ms)
            # Every chart div must have been drawn by plotly.js (an <svg class="main-svg">).
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".every(d => d.querySelector('svg.main-svg'))",
                timeout=self.timeout_ms,
            )
            page.emulate_media(media="print")
            tmp = pdf.with_name(f".{pdf.name}.tmp")
            page.pdf(path=str(tmp), format="A4", print_background=True, scale=PRINT_SCALE,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            os.replace(tmp, pdf)
        finally:
            page.close()
        return pdf

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        self._browser = self._pw = None

    def __enter__(self) -> PdfPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def html_to_pdf(html: Path, pdf: Path) -> Path:
    """Convenience for a single report."""
    with PdfPrinter() as printer:
        return printer.print_pdf(html, pdf)
