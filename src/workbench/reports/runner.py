"""Batch rendering of the per-municipality reports (warm kernels, parallel, re-runnable).

Output layout of ``run_batch(jobs, out_dir)``::

    out_dir/index.html            links to every report with its status
    out_dir/manifest.json         per report: inputs hash, status, error, outputs
    out_dir/<stem>.html           report without code (needs assets/ beside it)
    out_dir/assets/plotly.min.js  one shared copy for all reports (offline)
    out_dir/assets/report.css
    out_dir/pdf/<stem>.pdf        A4, printed from the HTML by headless Chromium
    out_dir/ipynb/<stem>.ipynb    executed notebook (also for failed reports: shows the error)

Reports run on warm kernels (``workbench.reports.engine``): each worker process (or Dask
worker thread) keeps one kernel and resets it between reports. One failing report never
stops the others; ``BatchResult.summary()`` says in German which failed, where and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench import paths
from workbench.reports.export import atomic_write_text, install_assets

ENGINE_NAME = "workbench_warm"
FORMATS = ("html", "pdf", "ipynb")
GEMEINDE_NOTEBOOK = "bericht_gemeinde.ipynb"
KREIS_NOTEBOOK = "bericht_kreis.ipynb"
MANIFEST = "manifest.json"
OK = "ok"
FAILED = "fehler"


@dataclass(frozen=True)
class ReportJob:
    """One report to render: notebook + parameters + output file stem."""

    key: str  # AGS (Gemeinde/Kreis) – unique within a batch
    name: str
    notebook: str  # path of the parameterised notebook
    parameters: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    kind: str = "gemeinde"

    @property
    def stem(self) -> str:
        return f"{self.key}_{slug(self.name)}"


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
    finished_at: str = ""
    pid: int = 0

    @property
    def ok(self) -> bool:
        return self.status == OK


def slug(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                           "Ü": "Ue", " ": "_", "/": "_", ",": "", ".": "", "(": "", ")": ""})
    return "".join(c for c in name.translate(table) if c.isalnum() or c in "_-")


# ------------------------------------------------------------------------------------------
# Planning (parameter validation happens here, before any kernel starts)
# ------------------------------------------------------------------------------------------

def notebook_path(name: str) -> Path:
    return paths.notebooks_dir() / name


def plan_jobs(
    municipalities: Sequence[str] | None = None,
    *,
    all_municipalities: bool = False,
    year: int,
    kreis: bool = False,
    data_dir: str | Path | None = None,
    extra: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> list[ReportJob]:
    """Resolve names/AGS to jobs; raises ``UnknownMunicipalityError`` (German, with close
    matches) for an unknown municipality. ``overrides`` maps a name/AGS to extra
    parameters for that report only."""
    from workbench.population import KREIS_AGS, KREIS_NAME, resolve_municipality
    from workbench.population import municipalities as register_of

    register = register_of(Path(data_dir) if data_dir else None)
    base = {"berichtsjahr": int(year), **(extra or {})}
    if data_dir:
        base["datenverzeichnis"] = str(Path(data_dir).resolve())
    resolved: list[tuple[str, str]] = []
    if all_municipalities:
        resolved = list(zip(register.get_column("ags"), register.get_column("name"),
                            strict=True))
    for item in municipalities or ():
        pair = resolve_municipality(item, register)
        if pair not in resolved:
            resolved.append(pair)
    per_job: dict[str, dict[str, Any]] = {}
    for item, params in (overrides or {}).items():
        ags, _ = resolve_municipality(item, register)
        per_job[ags] = params
    jobs = [
        ReportJob(ags, name, str(notebook_path(GEMEINDE_NOTEBOOK)),
                  {**base, "gemeinde": name, **per_job.get(ags, {})}, "gemeinde")
        for ags, name in resolved
    ]
    if kreis:
        params = {k: v for k, v in base.items() if k != "mit_handlungsfeldern"}
        jobs.append(ReportJob(KREIS_AGS, KREIS_NAME, str(notebook_path(KREIS_NOTEBOOK)),
                              params, "kreis"))
    return jobs


def plan_land_jobs(year: int, *, land: str = "08", limit: int | None = None) -> list[ReportJob]:
    """Population-only reports for every municipality of a Land (default Baden-Württemberg),
    ordered by AGS so consecutive reports share their Kreis model in a warm kernel."""
    from workbench.population import municipalities as register_of

    register = register_of(None, kreis=land).sort("ags")
    pairs = list(zip(register.get_column("ags"), register.get_column("name"), strict=True))
    return [
        ReportJob(ags, name, str(notebook_path(GEMEINDE_NOTEBOOK)),
                  {"gemeinde": ags, "berichtsjahr": int(year), "nur_bevoelkerung": True},
                  "bevoelkerung")
        for ags, name in pairs[:limit]
    ]


# ------------------------------------------------------------------------------------------
# Input fingerprint (for --only-outdated)
# ------------------------------------------------------------------------------------------

def _tree_stats(root: Path, suffixes: tuple[str, ...] | None = None) -> list[tuple[str, int, int]]:
    if not root.exists():
        return []
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and (
            suffixes is None or path.suffix in suffixes
        ):
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
    return out


def inputs_fingerprint(data_dir: Path | None = None) -> str:
    """Hash over what every report depends on: package code, data, catalogues, store."""
    data = Path(data_dir) if data_dir else paths.data_dir()
    parts: list[Any] = [
        _tree_stats(paths.PACKAGE_DIR, (".py", ".j2", ".css", ".json", ".yaml")),
        _tree_stats(data),  # raw files, published figures, user series, catalogues, store
    ]
    # Locations that environment variables may move outside the data directory.
    for extra in (paths.user_dir(), paths.catalogue_dir()):
        if data not in extra.parents:
            parts.append(_tree_stats(extra))
    db = paths.store_path()
    if db.exists() and data not in db.parents:
        st = db.stat()
        parts.append((str(db), st.st_mtime_ns, st.st_size))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def job_hash(job: ReportJob, fingerprint: str) -> str:
    nb_bytes = Path(job.notebook).read_bytes() if Path(job.notebook).exists() else b""
    payload = json.dumps([fingerprint, hashlib.sha256(nb_bytes).hexdigest(),
                          sorted(job.parameters.items())], default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# ------------------------------------------------------------------------------------------
# Rendering one report (runs in a worker process / Dask worker)
# ------------------------------------------------------------------------------------------

def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    return source.strip()[:80]


_SOURCE_NOTEBOOKS: dict[str, tuple[tuple[int, int], Any]] = {}


def _source_notebook(path: str) -> Any:
    """The report notebook, read and validated once per process (re-read when changed)."""
    import copy

    from papermill.iorw import load_notebook_node

    st = os.stat(path)
    key = (st.st_mtime_ns, st.st_size)
    hit = _SOURCE_NOTEBOOKS.get(path)
    if hit is None or hit[0] != key:
        hit = _SOURCE_NOTEBOOKS[path] = (key, load_notebook_node(path))
    return copy.deepcopy(hit[1])


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

    from workbench.reports.export import export_html, write_notebook

    out = Path(out_dir)
    start = time.perf_counter()
    result = ReportResult(job.key, job.name, job.kind, FAILED, inputs_hash=inputs_hash,
                          pid=os.getpid())
    ipynb = out / "ipynb" / f"{job.stem}.ipynb"
    try:
        result.stage = "Ausführung"
        nb = execute_report(job.notebook, dict(job.parameters), engine_name, str(ipynb))
        write_notebook(nb, ipynb)
        result.outputs["ipynb"] = str(ipynb.relative_to(out))
        if "html" in formats or "pdf" in formats:
            result.stage = "HTML"
            html = out / f"{job.stem}.html"
            title = f"Integrationsbericht {job.name} {job.parameters.get('berichtsjahr', '')}"
            export_html(nb, html, title.strip())
            result.outputs["html"] = html.name
        result.status, result.stage = OK, ""
    except PapermillExecutionError as exc:
        failed_nb = getattr(exc, "notebook", None)
        if failed_nb is not None:
            write_notebook(failed_nb, ipynb)  # shows the error at the top and at the cell
            result.outputs["ipynb"] = str(ipynb.relative_to(out))
        result.cell = exc.exec_count
        result.cell_source = _first_code_line(exc.source)
        result.error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # noqa: BLE001 - one broken report must not stop the batch
        result.error = f"{type(exc).__name__}: {exc}"
        result.cell_source = traceback.format_exc(limit=3)[-400:]
    result.seconds = round(time.perf_counter() - start, 3)
    result.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if not result.ok:
        for stale in (out / f"{job.stem}.html", out / "pdf" / f"{job.stem}.pdf"):
            stale.unlink(missing_ok=True)
        # A failed report keeps its executed notebook in any case: it is the diagnosis.
    elif "ipynb" not in formats:
        ipynb.unlink(missing_ok=True)
        result.outputs.pop("ipynb", None)
    return result


# ------------------------------------------------------------------------------------------
# Manifest and index
# ------------------------------------------------------------------------------------------

def read_manifest(out_dir: Path) -> dict[str, Any]:
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {"reports": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(Path(out_dir) / MANIFEST,
                      json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))


def select_jobs(
    jobs: Sequence[ReportJob], out_dir: Path, mode: str, hashes: dict[str, str],
    formats: Sequence[str],
) -> list[ReportJob]:
    """``all``: every job; ``failed``: failed or never rendered; ``outdated``: additionally
    those whose inputs changed or whose output files are missing."""
    if mode == "all":
        return list(jobs)
    done = read_manifest(out_dir)["reports"]
    chosen = []
    for job in jobs:
        entry = done.get(job.key)
        if entry is None or entry.get("status") != OK:
            chosen.append(job)
        elif mode == "outdated":
            missing = any(fmt not in entry.get("outputs", {}) or
                          not (Path(out_dir) / entry["outputs"][fmt]).exists() for fmt in formats)
            if missing or entry.get("inputs_hash") != hashes[job.key]:
                chosen.append(job)
    return chosen


def write_index(out_dir: Path, manifest: dict[str, Any], title: str) -> Path:
    """index.html: every report of the manifest with status and links (German)."""
    import html as h

    from workbench.formatting import fmt_number

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
            f"<td>{links}</td><td>{h.escape(e.get('finished_at', ''))}</td>"
            f"<td class=num>{fmt_number(e.get('seconds', 0), 1)} s</td></tr>"
        )
    n_ok = sum(1 for e in entries if e["status"] == OK)
    page = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{h.escape(title)}</title>
<style>body{{font-family:DejaVu Sans,Arial,sans-serif;max-width:70rem;margin:1rem auto}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.25rem .6rem;
text-align:left}}.ok{{color:#0072B2}}.fehler{{color:#D55E00;font-weight:bold}}
.num{{text-align:right}}</style></head><body>
<h1>{h.escape(title)}</h1>
<p>{n_ok} von {len(entries)} Berichten erstellt. Stand der Tabelle: Zeitpunkt der letzten
Erstellung je Bericht (UTC).</p>
<table><thead><tr><th>Gebiet</th><th>AGS</th><th>Status</th><th>Dateien</th>
<th>Erstellt (UTC)</th><th>Dauer</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    path = Path(out_dir) / "index.html"
    atomic_write_text(path, page)
    return path


# ------------------------------------------------------------------------------------------
# The batch
# ------------------------------------------------------------------------------------------

@dataclass
class BatchResult:
    out_dir: Path
    results: list[ReportResult]
    skipped: list[str]
    seconds: float

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if not r.ok]

    def summary(self) -> str:
        """German end-of-run summary: counts, and per failure the cell and the error."""
        n = len(self.results)
        lines = [
            f"{n} Berichte bearbeitet in {self.seconds:.1f} s: {n - len(self.failed)} erstellt, "
            f"{len(self.failed)} fehlgeschlagen"
            + (f", {len(self.skipped)} unverändert übersprungen." if self.skipped else ".")
        ]
        for r in self.failed:
            where = f"Zelle {r.cell} ({r.cell_source})" if r.cell else f"Schritt {r.stage}"
            lines.append(f"  FEHLER {r.name} ({r.key}): {where}: {r.error}")
        lines.append(f"Übersicht: {self.out_dir / 'index.html'}")
        return "\n".join(lines)


def _iter_local(
    jobs: Sequence[ReportJob], out_dir: Path, formats: Sequence[str], workers: int,
    hashes: dict[str, str],
) -> Iterable[ReportResult]:
    if workers <= 1:
        for job in jobs:
            yield render_report(job, str(out_dir), formats, ENGINE_NAME, hashes[job.key])
        return
    import multiprocessing

    # spawn: workers must not inherit the parent's threads/event loops (fork is unsafe here).
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(render_report, job, str(out_dir), tuple(formats), ENGINE_NAME,
                               hashes[job.key]) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def run_batch(
    jobs: Sequence[ReportJob],
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    workers: int = 2,
    mode: str = "all",
    dask_address: str | Any | None = None,
    progress: bool = True,
    data_dir: str | Path | None = None,
    title: str = "Integrationsberichte Landkreis Ludwigsburg",
) -> BatchResult:
    """Render ``jobs`` into ``out_dir`` (see module docstring); never raises for a failed
    report – inspect ``BatchResult.failed``. ``mode``: ``all`` | ``failed`` | ``outdated``.
    ``dask_address``: scheduler address (or a ``distributed.Client``) to run on a cluster."""
    from tqdm.auto import tqdm

    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"Unbekanntes Format: {', '.join(sorted(unknown))} "
                         f"(erlaubt: {', '.join(FORMATS)})")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    fingerprint = inputs_fingerprint(Path(data_dir) if data_dir else None)
    hashes = {job.key: job_hash(job, fingerprint) for job in jobs}
    todo = select_jobs(jobs, out, mode, hashes, formats)
    skipped = [job.key for job in jobs if job not in todo]
    if {"html", "pdf"} & set(formats):
        install_assets(out)

    manifest = read_manifest(out)
    results: list[ReportResult] = []
    bar = tqdm(total=len(todo), desc="Berichte", unit="Bericht", disable=not progress)
    if dask_address is not None:
        from workbench.reports.distributed import iter_dask

        stream = iter_dask(todo, out, formats, hashes, dask_address)
    else:
        stream = _iter_local(todo, out, formats, workers, hashes)
    for result in stream:
        results.append(result)
        manifest["reports"][result.key] = asdict(result)
        write_manifest(out, manifest)  # after every report: an interrupted batch can resume
        bar.set_postfix_str(f"{result.name}: {'ok' if result.ok else 'FEHLER'}")
        bar.update(1)
    bar.close()

    if "pdf" in formats:
        _print_pdfs(out, results, manifest, progress)
    for r in results:
        if "html" not in formats and "html" in r.outputs:
            # HTML was only needed as the PDF's source.
            (out / r.outputs.pop("html")).unlink(missing_ok=True)
            manifest["reports"][r.key] = asdict(r)
    ipynb_dir = out / "ipynb"
    if "ipynb" not in formats and ipynb_dir.is_dir() and not any(ipynb_dir.iterdir()):
        ipynb_dir.rmdir()  # only needed for failed reports' diagnosis
    manifest["updated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_manifest(out, manifest)
    write_index(out, manifest, title)
    order = {job.key: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order.get(r.key, 0))
    return BatchResult(out, results, skipped, time.perf_counter() - start)


def render_all(
    year: int,
    out_dir: str | Path | None = None,
    *,
    workers: int = 2,
    formats: Sequence[str] = FORMATS,
    mode: str = "outdated",
    progress: bool = True,
) -> BatchResult:
    """All 39 municipal reports plus the Kreis overview into ``output/berichte/`` (default).

    ``mode="outdated"`` (default) re-renders only reports whose inputs changed or that failed,
    so calling this from ``workbench run`` every time is cheap.
    """
    out = Path(out_dir) if out_dir else paths.output_dir() / "berichte"
    jobs = plan_jobs(all_municipalities=True, year=year, kreis=True)
    return run_batch(jobs, out, formats=formats, workers=workers, mode=mode, progress=progress)


def _print_pdfs(out: Path, results: list[ReportResult], manifest: dict[str, Any],
                progress: bool) -> None:
    from tqdm.auto import tqdm

    from workbench.reports.pdf import print_pdfs

    todo = [r for r in results if r.ok and "html" in r.outputs]
    if not todo:
        return
    by_pdf = {out / "pdf" / f"{Path(r.outputs['html']).stem}.pdf": r for r in todo}
    bar = tqdm(total=len(todo), desc="PDF", unit="Bericht", disable=not progress)

    def done(html: Path, pdf: Path, error: BaseException | None, seconds: float) -> None:
        r = by_pdf[pdf]
        if error is None:
            r.outputs["pdf"] = str(pdf.relative_to(out))
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
