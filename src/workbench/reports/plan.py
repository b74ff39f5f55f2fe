"""Planning a report batch: which reports, with which parameters, and which are outdated.

* :func:`plan_jobs` / :func:`plan_land_jobs` turn municipality names/AGS into
  :class:`ReportJob` objects; parameters are validated here, before any kernel starts.
* :func:`report_inputs` / :func:`input_digests` fingerprint what a report reads (content
  hashes) – the keys of ``--only-outdated``.
* :func:`select_jobs` compares those fingerprints with the manifest of the last run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import paths
from workbench.reports.manifest import OK, read_manifest

GEMEINDE_NOTEBOOK = "bericht_gemeinde.ipynb"
KREIS_NOTEBOOK = "bericht_kreis.ipynb"


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


def slug(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                           "Ü": "Ue", " ": "_", "/": "_", ",": "", ".": "", "(": "", ")": ""})
    return "".join(c for c in name.translate(table) if c.isalnum() or c in "_-")


# ------------------------------------------------------------------------------------------
# Planning (parameter validation happens here, before any kernel starts)
# ------------------------------------------------------------------------------------------

def default_report_year(today: dt.date | None = None) -> int:
    """The report year when none is given: the last complete calendar year.

    Computed at call time (not at import), so a scheduled weekly job moves on to the new
    year in January. The one home of this rule (``workbench reports`` and ``workbench run``).

    Example::

        >>> default_report_year(dt.date(2026, 12, 31))
        2025
        >>> default_report_year(dt.date(2027, 1, 1))
        2026
    """
    return (today or dt.date.today()).year - 1


def notebook_path(name: str) -> Path:
    return paths.notebooks_dir() / name


def plan_jobs(
    municipalities: Sequence[str] | None = None,
    *,
    all_municipalities: bool = False,
    year: int,
    kreis: bool = False,
    kreis_ags: str | None = None,
    data_dir: str | Path | None = None,
    extra: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> list[ReportJob]:
    """Resolve names/AGS of municipalities of the Kreis ``kreis_ags`` (default Landkreis
    Ludwigsburg) to jobs; raises ``UnknownMunicipalityError`` (German, with close matches)
    for an unknown municipality. ``kreis`` adds the Kreis overview. ``overrides`` maps a
    name/AGS to extra parameters for that report only. The notebooks receive the AGS, never
    a name, so they do not resolve names again."""
    from workbench import region
    from workbench.ids import check_municipality

    # Names/AGS become parameters and file names: checked before anything else (InvalidIdError).
    for item in [*(municipalities or ()), *(overrides or {})]:
        check_municipality(item)
    kreis_ags = kreis_ags or region.KREIS_AGS
    register = region.municipalities(Path(data_dir) if data_dir else None, kreis=kreis_ags)
    base = {"berichtsjahr": int(year), **(extra or {})}
    if data_dir:
        base["datenverzeichnis"] = str(Path(data_dir).resolve())
    resolved: list[tuple[str, str]] = []
    if all_municipalities:
        resolved = list(zip(register.get_column("ags"), register.get_column("name"),
                            strict=True))
    for item in municipalities or ():
        pair = region.resolve(item, register)
        if pair not in resolved:
            resolved.append(pair)
    per_job: dict[str, dict[str, Any]] = {}
    for item, params in (overrides or {}).items():
        ags, _ = region.resolve(item, register)
        per_job[ags] = params
    jobs = [
        ReportJob(ags, name, str(notebook_path(GEMEINDE_NOTEBOOK)),
                  {**base, "gemeinde": ags, **per_job.get(ags, {})}, "gemeinde")
        for ags, name in resolved
    ]
    # A Stadtkreis' one municipality IS the Kreis: its municipal report covers it.
    if kreis and register.height > 1:
        params = {k: v for k, v in base.items() if k != "mit_handlungsfeldern"}
        params["kreis"] = kreis_ags
        jobs.append(ReportJob(kreis_ags, region.kreis_name(kreis_ags, register_dir(data_dir)),
                              str(notebook_path(KREIS_NOTEBOOK)), params, "kreis"))
    return jobs


def register_dir(data_dir: str | Path | None) -> Path | None:
    return Path(data_dir) if data_dir else None


def plan_land_jobs(year: int, *, land: str = "08", limit: int | None = None) -> list[ReportJob]:
    """Population-only reports for every municipality of a Land (default Baden-Württemberg),
    ordered by AGS so consecutive reports share their Kreis model in a warm kernel."""
    from workbench import region

    register = region.municipalities(None, kreis=land).sort("ags")
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
    user = paths.user_dir(data=data if data_param else None)
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
    return digests_hash(input_digests(job, hasher))


def digests_hash(digests: dict[str, str]) -> str:
    """One hash over the per-key digests of :func:`input_digests`."""
    return _sha(json.dumps(digests, sort_keys=True).encode())


# ------------------------------------------------------------------------------------------
# Selection (``--rerun-failed`` / ``--only-outdated``)
# ------------------------------------------------------------------------------------------

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
