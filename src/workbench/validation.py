"""``validate_path``: check one input file – detect its format, load it with its loader and
collect every problem (file, row, column, value, expectation), plus its checksum.

The problem types (:class:`~workbench.exceptions.Problem`,
:class:`~workbench.exceptions.DataValidationError`) live in :mod:`workbench.exceptions`, format
detection in :mod:`workbench.loaders.detect`; this module sits above both and above the
loaders it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.exceptions import DataValidationError, Problem
from workbench.loaders.detect import detect_by_name, detect_format


@dataclass
class ValidationResult:
    """Outcome of :func:`validate_path` for one file."""

    path: Path
    format: str | None
    rows: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def precheck(path: Path) -> None:
    """Container-level checks before format detection (bounded; see :mod:`workbench.tabular`):
    size limits, encrypted/renamed/truncated Excel files, text encodings. Raises
    :class:`DataValidationError`."""
    from workbench import tabular

    suffix = path.suffix.lower()
    is_json = suffix in (".json", ".geojson")
    tabular.check_file(path, json_file=is_json)
    with open(path, "rb") as fh:
        head = fh.read(8)
    kind = tabular.container_kind(head)
    if kind == "ole":
        tabular.check_ole(path, tabular.read_limited(path), expect_xls=suffix == ".xls")
    elif kind == "zip" or suffix in (".xlsx", ".xlsm"):
        tabular.read_xlsx(path, 0, stop_after_row=1)
    elif suffix == ".xls":
        raise tabular.fail(path.name, "eine Excel-97-Datei (.xls) – gefunden: keine Excel-Datei")
    elif not is_json:
        tabular.read_csv_text(path)


# --------------------------------------------------------------------------------------------
# validate_path
# --------------------------------------------------------------------------------------------


def _loader_for(fmt: str) -> Callable | None:
    from workbench import loaders

    return loaders.LOADERS.get(fmt)


def validate_path(
    path: str | Path, *, check_checksum: bool = True, fallback_format: str | None = None
) -> ValidationResult:
    """Detect the format of ``path``, load it with its loader and collect every problem.

    Never raises for bad input: unexpected exceptions become a file-level problem. When a
    ``<file>.provenance.json`` lies beside the file, its sha256 is checked as well.
    ``fallback_format`` is used when the content matches no known format (files in
    ``data/user/`` are municipal series, so their loader can say which column is wrong).
    """
    path = Path(path)
    result = ValidationResult(path=path, format=None)
    try:
        if not path.exists():
            result.problems.append(Problem(path.name, None, None, None, "Datei existiert nicht"))
            return result
        if path.stat().st_size == 0:
            result.format = detect_by_name(path.name.lower())
            result.problems.append(Problem(path.name, None, None, None, "Datei ist leer"))
            return result
        try:
            precheck(path)
        except DataValidationError as exc:
            result.format = detect_by_name(path.name.lower()) or fallback_format
            result.problems.extend(exc.problems)
            return result
        fmt = detect_format(path) or fallback_format
        result.format = fmt
        if fmt is None and path.suffix.lower() in (".xlsx", ".xlsm"):
            from workbench import tabular

            try:  # say what is wrong with the workbook rather than "unknown format"
                tabular.read_xlsx(path, 0).raise_errors()
            except DataValidationError as exc:
                result.problems.extend(exc.problems)
                return result
        if fmt is None:
            result.problems.append(
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    "Format nicht erkannt – erwartet: eines der Formate GV-ISys, "
                    "Zensus-GENESIS-CSV, GERDA, INKAR, Regionalatlas, Regionalstatistik 12411, "
                    "Gemeindereihe-Vorlage, veröffentlichte Kennzahlen, GeoJSON",
                )
            )
            return result
        loader = _loader_for(fmt)
        if fmt == "observations":
            loader = _validate_observations
        if loader is not None:
            try:
                loaded = loader(path)
                result.rows = _count_rows(loaded)
            except DataValidationError as exc:
                result.problems.extend(exc.problems)
        if check_checksum and fmt != "provenance":
            from workbench.provenance import checksum_problems

            result.problems.extend(checksum_problems(path))
    except MemoryError:
        result.problems.append(Problem(path.name, None, None, None, "Datei, die mit begrenztem "
                                       "Arbeitsspeicher gelesen werden kann (zu groß)"))
    except RecursionError:
        result.problems.append(Problem(path.name, None, None, None, "Datei ohne zu tief "
                                       "verschachtelte Strukturen"))
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user's file
        result.problems.append(
            Problem(path.name, None, None, f"{type(exc).__name__}: {exc}", "lesbare Datei")
        )
    return result


def _validate_observations(path: Path) -> object:
    from workbench.observations_io import read_observations

    try:
        return read_observations(path).rows
    except DataValidationError as exc:
        # An untouched template (no values, no markers) is a valid file with 0 rows.
        if len(exc.problems) == 1 and exc.problems[0].expected.endswith(
            "(die Datei enthält keine Messwerte)"
        ):
            return []
        raise


def _count_rows(loaded: object) -> int | None:
    if isinstance(loaded, list):
        return len(loaded)
    if hasattr(loaded, "height"):
        return int(loaded.height)  # type: ignore[attr-defined]
    if isinstance(loaded, dict):
        if "features" in loaded:
            return len(loaded["features"])
        return len(loaded)
    return None
