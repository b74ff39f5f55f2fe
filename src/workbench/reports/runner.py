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
        """Output file stem ``<AGS>_<Name>``, checked before any path is built from it."""
        from workbench.ids import check_report_stem

        return check_report_stem(self.key, f"{self.key}_{slug(self.name)}")


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
    from workbench.ids import check_municipality
    from workbench.population import KREIS_AGS, KREIS_NAME, resolve_municipality
    from workbench.population import municipalities as register_of

    # Names/AGS become parameters and file names: checked before anything else (InvalidIdError).
    for item in [*(municipalities or ()), *(overrides or {})]:
        check_municipality(item)
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
# Input fingerprint (for --only-outdated): content hashes of what a report reads
# ------------------------------------------------------------------------------------------

CODE_SUFFIXES = (".py", ".j2", ".css", ".json", ".yaml")
# Directories of the data directory that are NOT population inputs (each has its own key).
NOT_POPULATION = frozenset({"catalogues", "store", "templates", "user"})


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("workbench")
    except Exception:  # noqa: BLE001 - source checkout without metadata
        return "unbekannt"


class InputHasher:
    """Content hashes (SHA-256) of report inputs, memoised for one batch.

    Keys on what a report READS, never on file times: touching, copying or re-creating a file
    with the same content changes nothing; one Träger's new values change only its reports.
    """

    def __init__(self) -> None:
        self._files: dict[Path, str] = {}
        self._trees: dict[tuple[Path, tuple[str, ...] | None, frozenset[str]], str] = {}
        self._catalogues: dict[Path, list[tuple[Path, str | None]]] = {}
        self._observations: dict[tuple[Path, tuple[str, ...]], str] = {}

    def file(self, path: Path) -> str:
        path = Path(path)
        if path not in self._files:
            try:
                self._files[path] = _sha(path.read_bytes())
            except FileNotFoundError:
                self._files[path] = "fehlt"
        return self._files[path]

    def tree(self, root: Path, suffixes: tuple[str, ...] | None = None,
             skip: frozenset[str] = frozenset()) -> str:
        """Hash over relative paths and contents of every file under ``root``."""
        root = Path(root)
        key = (root, suffixes, skip)
        if key not in self._trees:
            items = []
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    rel = path.relative_to(root)
                    if (rel.parts[0] in skip or "__pycache__" in rel.parts
                            or not path.is_file()
                            or (suffixes is not None and path.suffix not in suffixes)):
                        continue
                    items.append((rel.as_posix(), self.file(path)))
            self._trees[key] = _sha(json.dumps(items).encode())
        return self._trees[key]

    def catalogue_files(self, directory: Path) -> list[tuple[Path, str | None]]:
        """Every catalogue file of ``directory`` with the AGS it declares (None: unreadable)."""
        from workbench.ids import is_traeger_id
        from workbench.reports.context import declared_ags

        if directory not in self._catalogues:
            found = []
            if directory.is_dir():
                for path in sorted(directory.glob("*.yaml")):
                    if is_traeger_id(path.stem):
                        text = path.read_text(encoding="utf-8", errors="replace")
                        found.append((path, declared_ags(text)))
            self._catalogues[directory] = found
        return self._catalogues[directory]

    def observations(self, db: Path, traeger_ids: tuple[str, ...]) -> str:
        """Hash of every stored version of these Träger (read-only). No store and a store
        without values for them are the same input: the report shows Beispieldaten."""
        key = (db, traeger_ids)
        if key not in self._observations:
            if not traeger_ids:
                digest = "kein Träger"
            elif not db.is_file():
                digest = _sha(json.dumps([]).encode())
            else:
                digest = _observations_digest(db, traeger_ids)
            self._observations[key] = digest
        return self._observations[key]


def _observations_digest(db: Path, traeger_ids: tuple[str, ...]) -> str:
    import sqlite3

    marks = ",".join("?" * len(traeger_ids))
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return f"nicht lesbar: {exc}"
    try:
        rows = conn.execute(
            "SELECT traeger_id, indicator_id, period, value, note, version, entered_by, "
            f"entered_at, source, comment, is_example FROM observation WHERE traeger_id IN "
            f"({marks}) ORDER BY traeger_id, indicator_id, period, version", traeger_ids,
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # created, never migrated: no values
            rows = []
        else:  # unreadable: a value of its own, the report shows the problem
            return f"nicht lesbar: {exc}"
    except sqlite3.Error as exc:
        return f"nicht lesbar: {exc}"
    finally:
        conn.close()
    return _sha(json.dumps(rows, default=str).encode())


def report_inputs(job: ReportJob, hasher: InputHasher | None = None) -> dict[str, Any]:
    """What the report of ``job`` reads, as content hashes (documented in
    ``docs/export-und-berichte-sicherheit.md``):

    * ``code``: package version and the package's source files (.py/.j2/.css/.json/.yaml);
    * ``notebook``: the report notebook; ``parameters``: all notebook parameters;
    * ``stichtag``: evaluation date (31.12. of the Berichtsjahr, at most today) – Beispieldaten
      and status depend on it;
    * ``bevoelkerung``: every file of the data directory except ``catalogues/``, ``store/``,
      ``templates/``, ``user/`` (raw official files, published figures) and the user
      directory (``WORKBENCH_USER_DIR`` or ``<data>/user``);
    * ``katalog``: the catalogue file(s) declaring this area's AGS (or, unreadable, named
      like it); ``messwerte``: every stored version of those Träger in the store the report
      uses (``messwerte_db`` or ``WORKBENCH_DB``).
    """
    hasher = hasher or InputHasher()
    params = job.parameters
    data_param = params.get("datenverzeichnis") or ""
    data = Path(data_param).expanduser().resolve() if data_param else paths.data_dir()
    if os.environ.get("WORKBENCH_USER_DIR") or not data_param:
        user = paths.user_dir()
    else:
        user = data / "user"
    year = int(params.get("berichtsjahr", dt.date.today().year))
    inputs: dict[str, Any] = {
        "code": [package_version(), hasher.tree(paths.PACKAGE_DIR, CODE_SUFFIXES)],
        "notebook": hasher.file(Path(job.notebook)),
        "parameters": sorted((k, str(v)) for k, v in params.items()),
        "stichtag": min(dt.date(year, 12, 31), dt.date.today()).isoformat(),
        "bevoelkerung": [hasher.tree(data, skip=NOT_POPULATION), hasher.tree(user)],
    }
    if not params.get("nur_bevoelkerung"):
        from workbench.catalogue import slugify

        catalogues = data / "catalogues" if data_param else paths.catalogue_dir()
        stems = {slugify(job.name)} | ({"landkreis"} if job.kind == "kreis" else set())
        used = [path for path, ags in hasher.catalogue_files(catalogues)
                if ags == job.key or (ags is None and path.stem in stems)]
        db_param = params.get("messwerte_db") or ""
        db = Path(db_param).expanduser().resolve() if db_param else paths.store_path()
        inputs["katalog"] = [(p.name, hasher.file(p)) for p in used]
        inputs["messwerte"] = hasher.observations(db, tuple(sorted(p.stem for p in used)))
    return inputs


def input_digests(job: ReportJob, hasher: InputHasher | None = None) -> dict[str, str]:
    """:func:`report_inputs` as one short hash per key (stored as ``inputs`` per report)."""
    return {key: _sha(json.dumps(value, sort_keys=True, default=str).encode())[:16]
            for key, value in report_inputs(job, hasher).items()}


def job_hash(job: ReportJob, hasher: InputHasher | None = None) -> str:
    """One hash over :func:`report_inputs` (stored as ``inputs_hash`` in the manifest)."""
    return _sha(json.dumps(input_digests(job, hasher), sort_keys=True).encode())


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
            _remove_output(out / (f"{stem}.html" if name == "html" else f"pdf/{stem}.pdf"))
        # A failed report keeps its executed notebook in any case: it is the diagnosis.
    elif "ipynb" not in formats:
        _remove_output(out / "ipynb" / f"{stem}.ipynb")
        result.outputs.pop("ipynb", None)
    return result


def _remove_output(path: Path) -> None:
    """Delete an output file of ours; never a read-only one, never raise."""
    from workbench.reports.export import OutputWriteError, check_writable

    try:
        check_writable(path)
        path.unlink(missing_ok=True)
    except (OutputWriteError, OSError):
        pass


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
    hashes = {key: _sha(json.dumps(d, sort_keys=True).encode()) for key, d in digests.items()}
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

    if "pdf" in formats:
        _print_pdfs(out, results, manifest, progress)
    for r in results:
        if "html" not in formats and "html" in r.outputs:
            # HTML was only needed as the PDF's source.
            _remove_output(out / r.outputs.pop("html"))
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
