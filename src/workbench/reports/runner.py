"""Batch rendering of the per-municipality reports (warm kernels, parallel, re-runnable).

Thin orchestration of the pipeline plan → render → manifest: :mod:`workbench.reports.plan`
(jobs, input fingerprints, selection), :mod:`workbench.reports.render` (one report, its
outputs and errors), :mod:`workbench.reports.manifest` (``manifest.json``, ``index.html``).

Output layout of ``run_batch(jobs, out_dir)``::

    out_dir/index.html            links to every report with its status
    out_dir/manifest.json         per report: inputs hash, status, error, outputs
    out_dir/<stem>.html           report without code (needs assets/ beside it)
    out_dir/assets/plotly.min.js  one shared copy for all reports (offline)
    out_dir/assets/report.css
    out_dir/pdf/<stem>.pdf        A4, tagged, printed from the HTML by headless Chromium
    out_dir/pdf/Integrationsbericht_<Kreis>_<Jahr>.pdf   all reports in one PDF (kreis_pdf)
    out_dir/ipynb/<stem>.ipynb    executed notebook (also for failed reports: shows the error)

Reports run on warm kernels (``workbench.reports.engine``): each worker process (or Dask
worker thread) keeps one kernel and resets it between reports. One failing report never
stops the others; ``BatchResult.summary()`` says in German which failed, where and why.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench import paths
from workbench.reports.export import install_assets
from workbench.reports.manifest import MANIFEST, read_manifest, write_index, write_manifest
from workbench.reports.plan import (
    InputHasher,
    ReportJob,
    digests_hash,
    input_digests,
    plan_jobs,
    select_jobs,
)
from workbench.reports.render import (
    ENGINE_NAME,
    FORMATS,
    ReportResult,
    remove_output,
    render_pdfs,
    render_report,
)


@dataclass
class BatchResult:
    out_dir: Path
    results: list[ReportResult]
    skipped: list[str]
    seconds: float
    # Problems of the batch's own files (manifest, index, assets) – German, with path.
    errors: list[str] = field(default_factory=list)

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
        for error in self.errors:
            lines.append(f"  FEHLER Ausgabe: {error}")
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
    from workbench.startup import skip_unused_imports

    with ProcessPoolExecutor(max_workers=workers, initializer=skip_unused_imports,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(render_report, job, str(out_dir), tuple(formats), ENGINE_NAME,
                               hashes[job.key]) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def require_dask() -> None:
    """Raise :class:`~workbench.exceptions.MissingExtraError` (German, with the install
    command) when the optional ``dask`` extra is not installed – before any output is written."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ModuleNotFoundError as exc:
        from workbench.exceptions import MissingExtraError

        raise MissingExtraError("workbench reports --dask", "dask",
                                "dask[distributed]") from exc


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
    kreis_pdf: bool = False,
) -> BatchResult:
    """Render ``jobs`` into ``out_dir`` (see module docstring); never raises for a failed
    report – inspect ``BatchResult.failed``. ``mode``: ``all`` | ``failed`` | ``outdated``.
    ``dask_address``: scheduler address (or a ``distributed.Client``) to run on a cluster.
    ``kreis_pdf``: with PDF output, also print the combined Kreis Integrationsbericht from the
    Kreis report and every municipal report of ``jobs`` (:mod:`workbench.reports.combined`)."""
    from tqdm.auto import tqdm

    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"Unbekanntes Format: {', '.join(sorted(unknown))} "
                         f"(erlaubt: {', '.join(FORMATS)})")
    if dask_address is not None:
        require_dask()
    from workbench.reports.export import OutputWriteError, describe_os_error

    out = Path(out_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputWriteError(out, describe_os_error(exc)) from exc
    start = time.perf_counter()
    del data_dir  # the data directory of a report is its parameter ``datenverzeichnis``
    hasher = InputHasher()
    digests = {job.key: input_digests(job, hasher) for job in jobs}
    hashes = {key: digests_hash(d) for key, d in digests.items()}
    todo = select_jobs(jobs, out, mode, hashes, formats)
    skipped = [job.key for job in jobs if job not in todo]
    errors: list[str] = []
    if {"html", "pdf"} & set(formats):
        try:
            install_assets(out)
        except OSError as exc:
            errors.append(f"Gemeinsame Dateien (assets/) nicht geschrieben: {exc}"
                          if isinstance(exc, OutputWriteError) else
                          f"Gemeinsame Dateien (assets/) nicht geschrieben: "
                          f"{describe_os_error(exc)}")

    def save_manifest() -> None:
        try:
            write_manifest(out, manifest)
        except OSError as exc:
            message = f"Manifest nicht geschrieben: {exc}"
            if message not in errors:
                errors.append(message)

    try:
        manifest = read_manifest(out)
    except (OSError, ValueError) as exc:
        errors.append(f"Manifest {out / MANIFEST} nicht lesbar ({exc}); neu angelegt")
        manifest = {"reports": {}}
    results: list[ReportResult] = []
    bar = tqdm(total=len(todo), desc="Berichte", unit="Bericht", disable=not progress)
    if dask_address is not None:
        from workbench.reports.distributed import iter_dask

        stream = iter_dask(todo, out, formats, hashes, dask_address)
    else:
        stream = _iter_local(todo, out, formats, workers, hashes)
    for result in stream:
        result.inputs = digests.get(result.key, {})
        results.append(result)
        manifest["reports"][result.key] = asdict(result)
        save_manifest()  # after every report: an interrupted batch can resume
        bar.set_postfix_str(f"{result.name}: {'ok' if result.ok else 'FEHLER'}")
        bar.update(1)
    bar.close()
    # Wall time per phase of this run (bench/bench_reports.py and docs/leistung.md use it).
    phases = {"render": round(time.perf_counter() - start, 1)}
    if "pdf" in formats:
        started = time.perf_counter()
        render_pdfs(out, results, manifest, progress)
        phases["pdf"] = round(time.perf_counter() - started, 1)
        if kreis_pdf:
            started = time.perf_counter()
            _write_kreis_pdf(out, jobs, manifest, bool(todo), errors)
            phases["kreis_pdf"] = round(time.perf_counter() - started, 1)
    manifest["phases_s"] = phases
    for r in results:
        if "html" not in formats and "html" in r.outputs:
            # HTML was only needed as the PDF's source.
            remove_output(out / r.outputs.pop("html"))
            manifest["reports"][r.key] = asdict(r)
    ipynb_dir = out / "ipynb"
    if "ipynb" not in formats and ipynb_dir.is_dir() and not any(ipynb_dir.iterdir()):
        try:
            ipynb_dir.rmdir()  # only needed for failed reports' diagnosis
        except OSError:
            pass
    manifest["updated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    save_manifest()
    try:
        write_index(out, manifest, title)
    except OSError as exc:
        errors.append(f"Übersicht nicht geschrieben: {exc}")
    order = {job.key: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order.get(r.key, 0))
    return BatchResult(out, results, skipped, time.perf_counter() - start, errors)


def _write_kreis_pdf(out: Path, jobs: Sequence[ReportJob], manifest: dict[str, Any],
                     changed: bool, errors: list[str]) -> None:
    """The combined Kreis PDF from the batch's HTML reports (Kreis first, then by name);
    re-printed when a report was rendered in this run or the PDF is missing."""
    from workbench.reports.combined import Chapter, pdf_name, write_combined_pdf
    from workbench.reports.manifest import OK

    kreis = next((job for job in jobs if job.kind == "kreis"), None)
    if kreis is None:
        return
    year = kreis.parameters.get("berichtsjahr", "")
    rel = f"pdf/{pdf_name(kreis.name, year)}"
    ordered = [kreis] + sorted((j for j in jobs if j.kind != "kreis"), key=lambda j: j.name)
    chapters = []
    for job in ordered:
        entry = manifest["reports"].get(job.key, {})
        html = entry.get("outputs", {}).get("html")
        if entry.get("status") == OK and html and (out / html).exists():
            chapters.append(Chapter(out / html, f"k{job.key}"))
    if not changed and (out / rel).exists():
        return  # unchanged reports: the PDF (and its manifest entry) of the last run stand
    if len(chapters) < len(ordered):
        errors.append(f"Gesamtbericht {rel}: {len(ordered) - len(chapters)} Berichte fehlen "
                      f"oder sind fehlgeschlagen; der Gesamtbericht enthält nur die übrigen.")
    if not chapters:
        return
    started = time.perf_counter()
    try:
        write_combined_pdf(out, chapters, kreis.name, year)
        manifest["kreisbericht"] = {"pdf": rel, "name": kreis.name, "year": year,
                                    "chapters": len(chapters),
                                    "seconds": round(time.perf_counter() - started, 1)}
    except Exception as exc:  # noqa: BLE001 - the reports themselves are done
        errors.append(f"Gesamtbericht {rel} nicht erstellt: {type(exc).__name__}: {exc}")


def render_all(
    year: int,
    out_dir: str | Path | None = None,
    *,
    workers: int = 2,
    formats: Sequence[str] = FORMATS,
    mode: str = "outdated",
    progress: bool = True,
    kreis_ags: str | None = None,
) -> BatchResult:
    """All municipal reports of the Kreis plus its overview into ``output/berichte/`` (default
    Kreis) or ``output/berichte-<Kreisschlüssel>/`` (any other Kreis).

    ``mode="outdated"`` (default) re-renders only reports whose inputs changed or that failed,
    so calling this from ``workbench run`` every time is cheap.
    """
    from workbench import region

    kreis_ags = kreis_ags or region.KREIS_AGS
    default = "berichte" if kreis_ags == region.KREIS_AGS else f"berichte-{kreis_ags}"
    out = Path(out_dir) if out_dir else paths.output_dir() / default
    jobs = plan_jobs(all_municipalities=True, year=year, kreis=True, kreis_ags=kreis_ags)
    return run_batch(jobs, out, formats=formats, workers=workers, mode=mode, progress=progress,
                     title=f"Integrationsberichte {region.kreis_name(kreis_ags)}",
                     kreis_pdf=True)
