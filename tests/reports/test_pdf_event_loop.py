"""PDF printing also works where an asyncio loop already runs (JupyterLab, Playwright)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from workbench.reports.pdf import chromium_path, html_to_pdf


def test_html_to_pdf_inside_a_running_event_loop(tmp_path: Path) -> None:
    if not Path(chromium_path()).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{chromium_path()} fehlt: PDF-Tests brauchen Debians chromium")
        pytest.skip(f"{chromium_path()} fehlt (apt-get install chromium)")
    html = tmp_path / "bericht.html"
    html.write_text("<html><body><h1>Kurzfassung</h1><p>Ausländeranteil 16,7 %</p></body></html>",
                    encoding="utf-8")
    pdf = tmp_path / "bericht.pdf"

    async def in_a_notebook_cell() -> Path:
        return html_to_pdf(html, pdf)

    assert asyncio.run(in_a_notebook_cell()) == pdf
    assert pdf.read_bytes().startswith(b"%PDF")
