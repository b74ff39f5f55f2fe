"""Rendering one report (runs in a worker process / Dask worker): execute the notebook on a
warm kernel, write HTML and the executed notebook, print PDFs; every failure becomes a
:class:`ReportResult` of that report only (stage, cell, German reason), never an exception.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.cache import input_keyed_cache
from workbench.reports.manifest import FAILED, OK
from workbench.reports.plan import ReportJob

ENGINE_NAME = "workbench_warm"
FORMATS = ("html", "pdf", "ipynb")


@dataclass
class ReportResult:
    key: str
    name: str
    kind: str
    status: str
    seconds: float = 0.0
    stage: str = ""  # Ausführung | HTML | PDF
    error: str = ""
    cell: int | None = None  # 1-based index of the failing code cell
    cell_source: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    inputs_hash: str = ""
    # Per input key (code, notebook, …, messwerte) a short content hash: shows WHY a report
    # was outdated when two manifests are compared.
    inputs: dict[str, str] = field(default_factory=dict)
    finished_at: str = ""
    pid: int = 0

    @property
    def ok(self) -> bool:
        return self.status == OK


def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return source.strip()[:80]


@input_keyed_cache(lambda path: [path], maxsize=4)
def _read_notebook(path: str) -> Any:
    from papermill.iorw import load_notebook_node

    return load_notebook_node(path)


def _source_notebook(path: str) -> Any:
    """The report notebook, read and validated once per process (re-read when changed)."""
    import copy

    return copy.deepcopy(_read_notebook(path))


def execute_report(
    path: str, parameters: dict[str, Any], engine_name: str = ENGINE_NAME, output_path: str = ""
) -> Any:
    """``papermill.execute_notebook`` without re-reading/validating the notebook per report.

    Same steps as papermill: inject parameters, prepare metadata, execute with the engine,
    raise ``PapermillExecutionError`` (after marking the failing cell in ``nb``). Returns
    the executed notebook; on error the exception carries it as ``exc.notebook``.
    """
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import (
        prepare_notebook_metadata,
        raise_for_execution_errors,
        remove_error_markers,
    )
    from papermill.parameterize import parameterize_notebook

    nb = _source_notebook(path)
    nb = parameterize_notebook(nb, parameters, report_mode=False, kernel_name="python3",
                               language="python", engine_name=engine_name)
    nb = prepare_notebook_metadata(nb, path, output_path, report_mode=False)
    nb = remove_error_markers(nb)
    nb = papermill_engines.execute_notebook_with_engine(
        engine_name, nb, input_path=path, output_path=None, kernel_name="python3",
        progress_bar=False, log_output=False, start_timeout=60, stdout_file=None,
        stderr_file=None,
    )
    try:
        raise_for_execution_errors(nb, None)  # output_path None: papermill writes nothing
    except PapermillExecutionError as exc:
        exc.notebook = nb
        raise
    return nb


def render_report(
    job: ReportJob,
    out_dir: str,
    formats: Sequence[str] = ("html", "ipynb"),
    engine_name: str = ENGINE_NAME,
    inputs_hash: str = "",
) -> ReportResult:
    """Execute one report notebook and export it (HTML; the PDF is printed afterwards)."""
    from papermill.exceptions import PapermillExecutionError

    from workbench.reports.export import OutputWriteError, export_html, write_notebook

    out = Path(out_dir)
    start = time.perf_counter()
    result = ReportResult(job.key, job.name, job.kind, FAILED, inputs_hash=inputs_hash,
                          pid=os.getpid())
    stem = ""
    try:
        stem = job.stem  # checked (ids.check_report_stem) before any path is built
        ipynb = out / "ipynb" / f"{stem}.ipynb"
        html = out / f"{stem}.html"
        result.stage = "Ausführung"
        nb = execute_report(job.notebook, dict(job.parameters), engine_name, str(ipynb))
        result.stage = "Notebook"
        write_notebook(nb, ipynb)
        result.outputs["ipynb"] = str(ipynb.relative_to(out))
        if "html" in formats or "pdf" in formats:
            result.stage = "HTML"
            title = f"Integrationsbericht {job.name} {job.parameters.get('berichtsjahr', '')}"
            export_html(nb, html, title.strip())
            result.outputs["html"] = html.name
        result.status, result.stage = OK, ""
    except PapermillExecutionError as exc:
        failed_nb = getattr(exc, "notebook", None)
        result.cell = exc.exec_count
        result.cell_source = _first_code_line(exc.source)
        result.error = f"{exc.ename}: {exc.evalue}"
        if failed_nb is not None:
            try:
                write_notebook(failed_nb, ipynb)  # shows the error at the top and at the cell
                result.outputs["ipynb"] = str(ipynb.relative_to(out))
            except OutputWriteError as write_error:
                result.error += f" (ausgeführtes Notebook nicht gespeichert: {write_error})"
    except OutputWriteError as exc:
        # A locked/read-only/unwritable output file fails this report only (path + reason).
        result.error = f"Ausgabedatei {exc.path} nicht geschrieben: {exc.reason}"
    except Exception as exc:  # noqa: BLE001 - one broken report must not stop the batch
        result.error = f"{type(exc).__name__}: {exc}"
        result.cell_source = traceback.format_exc(limit=3)[-400:]
    result.seconds = round(time.perf_counter() - start, 3)
    result.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if not stem:
        pass
    elif not result.ok:
        # No stale HTML/PDF of an older run beside a failed report – but a file someone made
        # read-only is left alone (it is what made the report fail, not ours to delete).
        for name in ("html", "pdf"):
            if name in result.outputs:
                continue
            remove_output(out / (f"{stem}.html" if name == "html" else f"pdf/{stem}.pdf"))
        # A failed report keeps its executed notebook in any case: it is the diagnosis.
    elif "ipynb" not in formats:
        remove_output(out / "ipynb" / f"{stem}.ipynb")
        result.outputs.pop("ipynb", None)
    return result


def remove_output(path: Path) -> None:
    """Delete an output file of ours; never a read-only one, never raise."""
    from workbench.reports.export import OutputWriteError, check_writable

    try:
        check_writable(path)
        path.unlink(missing_ok=True)
    except (OutputWriteError, OSError):
        pass


def render_pdfs(out: Path, results: list[ReportResult], manifest: dict[str, Any],
                progress: bool) -> None:
    from tqdm.auto import tqdm

    from workbench.reports.export import OutputWriteError, check_writable, describe_os_error
    from workbench.reports.pdf import print_pdfs

    todo = []
    for r in results:
        if not (r.ok and "html" in r.outputs):
            continue
        pdf = out / "pdf" / f"{Path(r.outputs['html']).stem}.pdf"
        try:
            check_writable(pdf)  # a read-only/locked PDF fails this report, not the batch
            todo.append(r)
        except OutputWriteError as exc:
            r.status, r.stage = FAILED, "PDF"
            r.error = f"Ausgabedatei {exc.path} nicht geschrieben: {exc.reason}"
            manifest["reports"][r.key] = asdict(r)
    if not todo:
        return
    by_pdf = {out / "pdf" / f"{Path(r.outputs['html']).stem}.pdf": r for r in todo}
    bar = tqdm(total=len(todo), desc="PDF", unit="Bericht", disable=not progress)

    def done(html: Path, pdf: Path, error: BaseException | None, seconds: float) -> None:
        r = by_pdf[pdf]
        if error is None:
            r.outputs["pdf"] = str(pdf.relative_to(out))
        elif isinstance(error, OSError):
            r.status, r.stage = FAILED, "PDF"
            r.error = f"Ausgabedatei {pdf} nicht geschrieben: {describe_os_error(error)}"
        else:
            r.status, r.stage, r.error = FAILED, "PDF", f"{type(error).__name__}: {error}"
        r.seconds = round(r.seconds + seconds, 3)
        manifest["reports"][r.key] = asdict(r)
        bar.update()

    try:
        print_pdfs([(out / r.outputs["html"], pdf) for pdf, r in by_pdf.items()], on_done=done)
    except Exception as exc:  # noqa: BLE001 - no browser: report it per report, keep HTML
        for r in todo:
            if "pdf" not in r.outputs:
                r.status, r.stage, r.error = FAILED, "PDF", f"{type(exc).__name__}: {exc}"
                manifest["reports"][r.key] = asdict(r)
    finally:
        bar.close()
