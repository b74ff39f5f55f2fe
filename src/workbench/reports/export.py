"""HTML export of executed report notebooks: no code, offline, small.

* ``nbconvert.HTMLExporter(exclude_input=True)`` with our template ``bericht`` (extends the
  ``lab`` template): no require.js, MathJax or mermaid from a CDN, so a report opens offline.
* Plotly figures are emitted by the report as ``text/html`` (a div + ``Plotly.newPlot``), so
  nbconvert keeps them (the kernel's default ``plotly_mimetype`` output would be dropped).
  plotly.js itself is not embedded (4.6 MB per report); every report references one shared
  copy ``assets/plotly.min.js`` copied from the installed plotly package, like the stylesheet
  ``assets/report.css``. Trade-off: an HTML file mailed alone shows no charts; mail the PDF.
* ``normalise_notebook``/``normalise_html`` strip what legitimately differs between two
  runs (timestamps, durations, kernel metadata) for the warm-vs-fresh comparison.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import nbformat

from workbench.exceptions import OutputWriteError
from workbench.fsutil import atomic_path, atomic_write

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
ASSETS = "assets"
PLOTLY_JS = "plotly.min.js"
# Fits chart titles, legends and source lines to the width a chart is drawn at (a copy of
# workbench/figures/chart_layout.js).
CHART_LAYOUT_JS = "chart_layout.js"
REPORT_CSS = "report.css"


_REASONS = {
    errno.EACCES: "keine Schreibberechtigung (Datei oder Verzeichnis schreibgeschützt oder "
                  "von einem anderen Programm gesperrt)",
    errno.EPERM: "Vorgang nicht erlaubt (Datei schreibgeschützt oder gesperrt)",
    errno.EROFS: "das Dateisystem ist schreibgeschützt",
    errno.ENOSPC: "kein Speicherplatz mehr auf dem Datenträger",
    errno.EDQUOT: "Speicherkontingent (Quota) erschöpft",
    errno.EISDIR: "an dieser Stelle liegt ein Verzeichnis",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Verzeichnis",
    errno.ENOENT: "Verzeichnis existiert nicht",
    errno.ENAMETOOLONG: "Dateiname zu lang",
    errno.EBUSY: "Datei wird von einem anderen Programm verwendet",
}


def describe_os_error(exc: BaseException) -> str:
    """German reason for a failed file operation (``errno`` mapped, else the system text)."""
    if isinstance(exc, OutputWriteError):
        return exc.reason
    code = getattr(exc, "errno", None)
    if code in _REASONS:
        return _REASONS[code]
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def check_writable(path: Path) -> None:
    """Refuse to replace an existing file marked read-only (``chmod a-w``, Windows attribute).

    ``os.replace`` over a read-only file succeeds on POSIX (only the directory counts) but
    fails on Windows; checking the file's own write bits gives the same behaviour everywhere:
    a file someone protected is never silently overwritten.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise OutputWriteError(path, _REASONS[errno.EISDIR])
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise OutputWriteError(path, "Datei ist schreibgeschützt (nur lesbar); Schreibschutz "
                                     "aufheben oder Datei entfernen")


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same directory (``fsutil.atomic_write``, never half-written).

    Raises :class:`OutputWriteError` (German, with path and reason) for any failure."""
    try:
        _atomic_write_text(Path(path), text)
    except OutputWriteError:
        raise
    except OSError as exc:
        raise OutputWriteError(Path(path), describe_os_error(exc)) from exc


def _atomic_write_text(path: Path, text: str) -> None:
    check_writable(path)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Atomic write without re-validation: the source notebook was validated when read and
    nbclient only adds schema-conforming outputs (``validate once``)."""
    from nbformat.v4.nbjson import JSONWriter

    atomic_write_text(path, JSONWriter().writes(nb))


def plotly_js_path() -> Path:
    """plotly.min.js shipped inside the installed plotly package (no download)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    if not path.exists():
        raise FileNotFoundError(f"plotly.min.js fehlt im plotly-Paket: {path}")
    return path


def lab_css_path() -> Path:
    import jupyter_core.paths

    for base in jupyter_core.paths.jupyter_path("nbconvert", "templates"):
        css = Path(base) / "lab" / "static" / "index.css"
        if css.exists():
            return css
    raise FileNotFoundError("nbconvert-Vorlage 'lab' (static/index.css) nicht gefunden")


def install_assets(out_dir: Path) -> Path:
    """Copy plotly.min.js, chart_layout.js and the stylesheet to ``out_dir/assets`` (only
    when changed)."""
    target = Path(out_dir) / ASSETS
    target.mkdir(parents=True, exist_ok=True)
    plotly_src = plotly_js_path()
    dst = target / PLOTLY_JS
    if not dst.exists() or dst.stat().st_size != plotly_src.stat().st_size:
        with atomic_path(dst) as tmp:
            shutil.copyfile(plotly_src, tmp)
    layout_js = (Path(__file__).parents[1] / "figures" / CHART_LAYOUT_JS).read_text(
        encoding="utf-8")
    layout_dst = target / CHART_LAYOUT_JS
    if not layout_dst.exists() or layout_dst.read_text(encoding="utf-8") != layout_js:
        atomic_write_text(layout_dst, layout_js)
    css = lab_css_path().read_text(encoding="utf-8") + "\n" + (
        TEMPLATE_DIR / "bericht" / "static" / "bericht.css"
    ).read_text(encoding="utf-8")
    css_dst = target / REPORT_CSS
    if not css_dst.exists() or css_dst.read_text(encoding="utf-8") != css:
        atomic_write_text(css_dst, css)
    return target


_EXPORTER: Any = None


def _exporter() -> Any:
    """One configured HTMLExporter per process (template loading costs ~0.2 s)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        class _ReportExporter(HTMLExporter):
            def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
                # The notebook was validated when read and only got outputs from nbclient;
                # re-validating after each preprocessor costs ~0.1 s per report.
                return None

        _EXPORTER = _ReportExporter(
            template_name="bericht",
            extra_template_basedirs=[str(TEMPLATE_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            language_code="de",
        )
    return _EXPORTER


def notebook_to_html(nb: nbformat.NotebookNode, title: str, assets: str = ASSETS) -> str:
    """Self-contained report HTML (except the shared ``assets/`` next to it)."""
    resources = {"metadata": {"name": title}, "workbench_assets": assets}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def export_html(nb: nbformat.NotebookNode, path: Path, title: str) -> Path:
    atomic_write_text(Path(path), notebook_to_html(nb, title))
    return Path(path)


# -- normalisation for comparisons -------------------------------------------------------

_VOLATILE_CELL_META = ("papermill", "execution")


def normalise_notebook(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Cells with sources and outputs only; drops timings, papermill and kernel metadata."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in _VOLATILE_CELL_META}
        entry: dict[str, Any] = {"cell_type": cell.cell_type, "source": cell.source,
                                 "metadata": meta}
        if cell.cell_type == "code":
            entry["execution_count"] = cell.get("execution_count")
            entry["outputs"] = [_normalise_output(o) for o in _coalesce(cell.get("outputs", []))]
        cells.append(entry)
    return {"cells": cells}


def _coalesce(outputs: list[Any]) -> list[Any]:
    """Merge consecutive stream outputs of one stream: how the kernel chunks them is timing."""
    merged: list[Any] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + out["text"]}
        else:
            merged.append(dict(out))
    return merged


def _normalise_output(output: dict[str, Any]) -> dict[str, Any]:
    output = dict(output)
    output.pop("metadata", None) if not output.get("metadata") else None
    if "data" in output:
        output["data"] = {k: (normalise_html(v) if isinstance(v, str) else v)
                          for k, v in output["data"].items()}
    return json.loads(json.dumps(output, sort_keys=True))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# papermill gives its injected-parameters cell a random id (uuid4 hex, 8 chars).
_CELL_ID = re.compile(r"cell-id=[0-9a-f]{8}\b")


# The report's creation time („erstellt am 03.12.2026, 08:15 Uhr“) is the minute it ran.
_CREATED = re.compile(r"erstellt am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr")


def normalise_html(text: str) -> str:
    """Replace random ids (uuid4 div ids, papermill's injected cell id) and the creation time
    by placeholders."""
    text = _CREATED.sub("erstellt am <Zeit>", text)
    return _CELL_ID.sub("cell-id=<random>", _UUID.sub("<uuid>", text))
