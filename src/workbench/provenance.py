"""Provenance of the shipped data: ``<file>.provenance.json`` beside every raw file.

Each provenance file records title, publisher, licence, origin (repository, path, commit),
reference date(s), retrieval date, format notes and the ``sha256`` of the file. The checksum
makes any change to a raw file visible (:func:`verify_checksums`, ``workbench validate``).

Provenance JSON fields (all strings unless noted)::

    file, title, short_title, publisher, publisher_url, licence, licence_url,
    origin {repository, path, commit, note}, reference_dates [ISO dates],
    reference_date_note, retrieved, format {type, encoding, separator, decimal, markers,
    notes [..]}, content, modifications, sha256
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from workbench.exceptions import DataValidationError, Problem

SUFFIX = ".provenance.json"
REQUIRED_FIELDS = (
    "file",
    "title",
    "short_title",
    "publisher",
    "licence",
    "origin",
    "reference_dates",
    "retrieved",
    "format",
    "sha256",
)
LICENCE_LABELS = {
    "dl-de/by-2-0": "dl-de/by-2-0",
    "MIT": "MIT-Lizenz",
}


def provenance_path(raw_path: str | Path) -> Path:
    raw_path = Path(raw_path)
    return raw_path.with_name(raw_path.name + SUFFIX)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _problems_in(meta: object, name: str) -> list[Problem]:
    if not isinstance(meta, dict):
        return [Problem(name, None, None, type(meta).__name__, "JSON-Objekt mit Herkunftsangaben")]
    problems = [
        Problem(name, None, field, None, f"Pflichtangabe „{field}“ – fehlt")
        for field in REQUIRED_FIELDS
        if not meta.get(field) and not (field == "reference_dates" and _undated(meta))
    ]
    for value in meta.get("reference_dates") or []:
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            problems.append(Problem(name, None, "reference_dates", str(value), "Datum JJJJ-MM-TT"))
    sha = meta.get("sha256")
    if sha and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        problems.append(Problem(name, None, "sha256", sha, "64 Hex-Zeichen (SHA-256)"))
    return problems


def _undated(meta: dict) -> bool:
    """The publisher states no Stichtag: an empty list is allowed with a note saying so."""
    return meta.get("reference_dates") == [] and bool(meta.get("reference_date_note"))


def load_provenance_file(path: str | Path) -> dict:
    """Load and check a ``*.provenance.json`` file itself."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataValidationError(
            [Problem(path.name, None, None, str(exc), "lesbares JSON (UTF-8)")]
        ) from None
    problems = _problems_in(meta, path.name)
    if problems:
        raise DataValidationError(problems)
    return meta


def read_provenance(raw_path: str | Path) -> dict:
    """The provenance record of ``raw_path`` (raises DataValidationError if missing/broken)."""
    prov = provenance_path(raw_path)
    if not prov.exists():
        raise DataValidationError(
            [
                Problem(
                    Path(raw_path).name,
                    None,
                    None,
                    None,
                    f"Herkunftsnachweis „{prov.name}“ daneben – fehlt",
                )
            ]
        )
    return load_provenance_file(prov)


def checksum_problems(raw_path: str | Path, *, required: bool = False) -> list[Problem]:
    """Compare ``raw_path`` with the sha256 in its provenance file (if there is one)."""
    raw_path = Path(raw_path)
    prov = provenance_path(raw_path)
    if not prov.exists():
        if required:
            return [
                Problem(
                    raw_path.name,
                    None,
                    None,
                    None,
                    f"Herkunftsnachweis „{prov.name}“ daneben – fehlt",
                )
            ]
        return []
    try:
        meta = load_provenance_file(prov)
    except DataValidationError as exc:
        return exc.problems
    actual = sha256_file(raw_path)
    if actual != meta["sha256"]:
        return [
            Problem(
                raw_path.name,
                None,
                None,
                f"sha256 {actual[:16]}…",
                f"unveränderte Datei laut {prov.name} (sha256 {meta['sha256'][:16]}…) – "
                "Datei wurde verändert oder ersetzt",
            )
        ]
    return []


def _default_roots() -> list[Path]:
    from workbench.paths import data_dir, raw_dir

    return [raw_dir(), data_dir() / "published"]


def verify_checksums(root: str | Path | None = None) -> list[Problem]:
    """Every data file under ``root`` (default: ``data/raw`` and ``data/published``) must have
    a provenance file whose sha256 matches; provenance files without a data file are reported.
    """
    roots = [Path(root)] if root is not None else _default_roots()
    problems: list[Problem] = []
    for base in roots:
        if not base.exists():
            problems.append(
                Problem(base.name, None, None, str(base), "vorhandenes Datenverzeichnis")
            )
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            if path.name.startswith("."):
                continue
            if path.name.endswith(SUFFIX):
                data = path.with_name(path.name[: -len(SUFFIX)])
                if not data.exists():
                    problems.append(
                        Problem(
                            path.name,
                            None,
                            None,
                            None,
                            f"Datendatei „{data.name}“ zu diesem Herkunftsnachweis – fehlt",
                        )
                    )
                continue
            problems.extend(checksum_problems(path, required=True))
    return problems


def _fmt_date(value: str) -> str:
    return dt.date.fromisoformat(value).strftime("%d.%m.%Y")


def source_label(raw_path: str | Path) -> str:
    """German citation for charts/tables, e.g. ``Statistische Ämter des Bundes und der Länder,
    Zensus 2022, Tabelle 1000A-0000, Stichtag 15.05.2022; dl-de/by-2-0``."""
    meta = read_provenance(raw_path)
    dates = sorted(meta["reference_dates"])
    if not dates:
        # No Stichtag published (e.g. Statistik BW "Stand 2025"): never invent one.
        when = meta.get("stand") or "ohne Stichtagsangabe"
    elif len(dates) == 1:
        when = f"Stichtag {_fmt_date(dates[0])}"
    elif len(dates) == 2:
        when = f"Stichtage {_fmt_date(dates[0])} und {_fmt_date(dates[1])}"
    else:
        when = f"Stichtage {_fmt_date(dates[0])}–{_fmt_date(dates[-1])}"
    licence = LICENCE_LABELS.get(meta["licence"], meta["licence"])
    return f"{meta['publisher']}, {meta['short_title']}, {when}; {licence}"
