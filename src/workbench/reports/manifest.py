"""The batch's own files: ``manifest.json`` (per report: inputs hash, status, error,
outputs) and ``index.html`` (every report with status and links)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.reports.export import atomic_write_text

MANIFEST = "manifest.json"
# Status of a report in the manifest (``ReportResult.status``).
OK = "ok"
FAILED = "fehler"


def read_manifest(out_dir: Path) -> dict[str, Any]:
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {"reports": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(Path(out_dir) / MANIFEST,
                      json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))


def write_index(out_dir: Path, manifest: dict[str, Any], title: str) -> Path:
    """index.html: every report of the manifest with status and links (German)."""
    import html as h

    from workbench.formatting import fmt_datetime_local

    rows = []
    entries = sorted(manifest["reports"].values(),
                     key=lambda e: (e.get("kind") != "kreis", e.get("name", "")))
    for e in entries:
        links = " · ".join(
            f'<a href="{h.escape(path)}">{label}</a>'
            for fmt, label in (("html", "HTML"), ("pdf", "PDF"), ("ipynb", "Notebook"))
            if (path := e.get("outputs", {}).get(fmt))
        )
        if e["status"] == OK:
            status = '<span class="ok">erstellt</span>'
        else:
            where = f"Zelle {e['cell']}: " if e.get("cell") else ""
            status = (f'<span class="fehler">Fehler ({h.escape(e.get("stage", ""))})</span>'
                      f'<br><small>{h.escape(where + e.get("error", ""))}</small>')
        rows.append(
            f"<tr><td>{h.escape(e['name'])}</td><td>{h.escape(e['key'])}</td><td>{status}</td>"
            f"<td>{links}</td><td>{h.escape(fmt_datetime_local(e.get('finished_at')))}</td>"
            "</tr>"
        )
    n_ok = sum(1 for e in entries if e["status"] == OK)
    combined = manifest.get("kreisbericht") or {}
    combined_link = (
        f'<p><a href="{h.escape(combined["pdf"])}">Integrationsbericht '
        f'{h.escape(str(combined.get("name", "")))} {h.escape(str(combined.get("year", "")))}'
        "</a> (alle Berichte in einer PDF-Datei)</p>" if combined.get("pdf") else "")
    page = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{h.escape(title)}</title>
<style>body{{font-family:DejaVu Sans,Arial,sans-serif;max-width:70rem;margin:1rem auto}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.25rem .6rem;
text-align:left}}.ok{{color:#005A8C}}a{{color:#004C7A}}
a:focus-visible{{outline:3px solid #004C7A;outline-offset:2px}}
.fehler{{color:#A63C00;font-weight:bold}}
.num{{text-align:right}}.scroll{{overflow-x:auto}}
h1{{overflow-wrap:break-word}}body{{padding:0 .5rem}}</style></head><body>
<main>
<h1>{h.escape(title)}</h1>
{combined_link}
<p>{n_ok} von {len(entries)} Berichten erstellt. „Erstellt“: Zeitpunkt der letzten
Erstellung je Bericht (Ortszeit). AGS: amtlicher Gemeindeschlüssel.</p>
<div class="scroll" tabindex="0" role="region" aria-label="Berichte">
<table><thead><tr><th scope="col">Gebiet</th><th scope="col">AGS</th><th scope="col">Status</th>
<th scope="col">Dateien</th><th scope="col">Erstellt</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></div></main></body></html>
"""
    path = Path(out_dir) / "index.html"
    atomic_write_text(path, page)
    return path
