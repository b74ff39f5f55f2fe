"""PDF printing also works where an asyncio loop already runs (JupyterLab, Playwright)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.reports.conftest import require_chromium
from workbench.reports.pdf import html_to_pdf


def test_html_to_pdf_inside_a_running_event_loop(tmp_path: Path) -> None:
    require_chromium()
    html = tmp_path / "bericht.html"
    html.write_text("<html><body><h1>Kurzfassung</h1><p>Ausländeranteil 16,7 %</p></body></html>",
                    encoding="utf-8")
    pdf = tmp_path / "bericht.pdf"

    async def in_a_notebook_cell() -> Path:
        return html_to_pdf(html, pdf)

    assert asyncio.run(in_a_notebook_cell()) == pdf
    assert pdf.read_bytes().startswith(b"%PDF")
