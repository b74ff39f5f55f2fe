"""Validation of input files: problems with file, row, column, value and expectation.

Every loader in :mod:`workbench.loaders` collects *all* problems it finds in a file and raises
:class:`DataValidationError` carrying them, so a user fixes a file in one pass instead of one
error per run. Messages are German (they are shown to end users); code stays English.

Row numbers are 1-based line numbers as a user sees them in a text editor (CSV/JSON) or the row
number Excel shows (xlsx/xls). ``row=None`` marks a problem with the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# How many problems are spelled out in an exception message or CLI output per file.
MAX_SHOWN = 25


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file.

    ``file`` is the file name (no directory), ``row`` the 1-based line/Excel row (``None`` for
    file-level problems), ``column`` the column name as written in the file, ``value`` what was
    found and ``expected`` a German description of what was expected.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column:
            parts.append(f"Spalte „{self.column}“")
        where = ", ".join(parts)
        if self.value is not None:
            text = f"{where}: Wert „{_short(self.value)}“ – erwartet: {self.expected}"
        else:
            text = f"{where}: {self.expected}"
        return escape_control(text)


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_control(text: str) -> str:
    """Make ``text`` safe for a terminal: line breaks as „⏎“, other control characters
    (ANSI escape sequences, bidi overrides, …) as visible ``\\x1b``-style escapes."""
    text = text.replace("\r\n", "⏎").replace("\n", "⏎")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text)


def _short(value: str, limit: int = 60) -> str:
    value = escape_control(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def format_problems(problems: list[Problem], limit: int = MAX_SHOWN) -> list[str]:
    """German lines for display, capped at ``limit`` with a summary line for the rest."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"… und {len(problems) - limit} weitere Probleme")
    return lines


class DataValidationError(Exception):
    """A file does not match its documented format. ``.problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} Problem{'e' if n != 1 else ''} in den Eingabedaten gefunden:"
        super().__init__(
            "\n".join([head, *("  " + line for line in format_problems(self.problems))])
        )


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


# --------------------------------------------------------------------------------------------
# Format detection (by content; the file name only breaks ties)
# --------------------------------------------------------------------------------------------

FORMAT_LABELS: dict[str, str] = {
    "gv_isys": "GV-ISys Gemeindeverzeichnis (Destatis, xlsx/xls)",
    "zensus_flat": "Zensus 2022 GENESIS-CSV (flat)",
    "gerda_census": "GERDA Zensus-2022-Gemeindedaten (CSV)",
    "inkar": "INKAR-Kreisindikatoren via GERDA (CSV)",
    "codebook": "GERDA-Codebuch (CSV)",
    "regionalatlas_timeseries": "Regionalatlas AI0208 Zeitreihe (JSON)",
    "regionalatlas_arcgis": "Regionalatlas ArcGIS-Antwort (JSON)",
    "regionalstatistik_12411_03_03_4": "Regionalstatistik 12411-03-03-4 (GENESIS-CSV, Latin-1)",
    "regionalstatistik_12411_0015": "Regionalstatistik 12411-0015 (GENESIS-CSV, Latin-1)",
    "municipal_series": "Gemeindereihe Bevölkerung nach Nationalität (Vorlage)",
    "observations": "Messwerte Integrationsmonitoring (Vorlage)",
    "published_figures": "Veröffentlichte Kennzahlen (CSV)",
    "geojson": "Gemeindegrenzen (GeoJSON)",
    "provenance": "Herkunftsnachweis (provenance.json)",
    "regionaldatenbank": "Regionaldatenbank Deutschland, Tabellen-CSV (GENESIS-Export)",
    "regionaldatenbank_zensus2011": "Regionaldatenbank 12111-01-01 Zensus 2011 (GENESIS-Export)",
    "statistik_bw_shares": "Statistik BW, Ausländeranteil je Gemeinde (CSV)",
    "statistik_bw_einbuergerungen": "Statistik BW, Einbürgerungen Baden-Württemberg (CSV)",
    "azr_records": "AZR/Fortschreibung/Mikrozensus-Kreisdatensätze (JSON)",
    "zensus2022_einwanderung": "Zensus 2022, Einwanderungsgeschichte je Gemeinde (CSV)",
}

MUNICIPAL_HEADER = ("AGS", "Gemeinde", "Stichtag", "Bevölkerung insgesamt", "Ausländer")


def _head_text(path: Path, n: int = 4096) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(n)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte sequence at the end of the sample is not a Latin-1 signal.
        if exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8", errors="replace")
        return raw.decode("latin-1")


def detect_format(path: str | Path) -> str | None:
    """Return the format key of ``path`` (see :data:`FORMAT_LABELS`) or ``None`` if unknown.

    Detection reads the content: Excel sheets by their GV-ISys header cells, CSVs by their
    header/title lines, JSON by its keys.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".provenance.json"):
        return "provenance"
    with open(path, "rb") as fh:
        raw_head = fh.read(8)
    if raw_head.startswith(b"PK\x03\x04") or raw_head.startswith(b"\xd0\xcf\x11\xe0"):
        return _detect_excel(path)
    head = _head_text(path)
    stripped = head.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        if '"years"' in head and ('"districts"' in head or '"states"' in head):
            return "regionalatlas_timeseries"
        if '"FeatureCollection"' in head or '"features"' in head:
            if '"ai0208"' in head or '"geometry":null' in head.replace(" ", ""):
                return "regionalatlas_arcgis"
            return "geojson"
        if name.endswith(".json") and '"sha256"' in head:
            return "provenance"
        if "district-azr" in head or "_records_" in name:
            return "azr_records"
        return None
    lines = head.splitlines()
    first = lines[0] if lines else ""
    if first.startswith("statistics_code;") or "1_variable_attribute_code" in first:
        return "zensus_flat"
    if first.lstrip('"').startswith("GENESIS-Tabelle:"):
        return _genesis_format(first, lines)
    if first.strip('"').startswith("Anteil Ausländer") or any(
        ln.replace('"', "").startswith("Regionalschlüssel;Gemeinde;") for ln in lines[:3]
    ):
        return "statistik_bw_shares"
    if first.replace('"', "").startswith("Jahr;Einbürgerungen"):
        return "statistik_bw_einbuergerungen"
    if first.startswith("ags,name,population,german,foreign,immigration_history"):
        return "zensus2022_einwanderung"
    if first.startswith("ags,municipality_name") or "share_foreign_census22" in first:
        return "gerda_census"
    if first.startswith("county_code,year"):
        return "inkar"
    if first.startswith("variable,label"):
        return "codebook"
    if first.lower().startswith("ags;name;level;reference_date"):
        return "published_figures"
    for line in lines[:15]:
        cells = [c.strip().strip('"') for c in line.replace(",", ";").split(";")]
        if cells[:2] == ["AGS", "Gemeinde"] and "Stichtag" in cells:
            return "municipal_series"
        if _is_observations_header(line.replace("\t", ";").split(";")):
            return "observations"
    # Name-based fallback for damaged files (e.g. empty or wrong separator) so that the
    # loader can report *what* is wrong instead of "unknown format".
    return _detect_by_name(name)


_TIME_ROW = re.compile(r"^(\d{4}|\d{2}\.\d{2}\.\d{4});(DG|\d{2,12});")


def _genesis_format(first: str, lines: list[str]) -> str:
    """GENESIS "CSV": the two legacy 12411 layouts keep their loaders, all else is generic."""
    code = first.split(":", 1)[1].strip().strip(';"').strip()
    time_rows = any(_TIME_ROW.match(ln) for ln in lines[1:80])
    if code.startswith("12411-03-03-4") and not time_rows:
        return "regionalstatistik_12411_03_03_4"
    if code.startswith("12411-0015") and not time_rows:
        return "regionalstatistik_12411_0015"
    if code in ("12111-01-01-5", "12111-01-01-4"):
        return "regionaldatenbank_zensus2011"
    return "regionaldatenbank"


def _detect_by_name(name: str) -> str | None:
    if "1000a-0000" in name:
        return "zensus_flat"
    if "12411-03-03-4" in name:
        return "regionalstatistik_12411_03_03_4"
    if "12411-0015" in name:
        return "regionalstatistik_12411_0015"
    if "gerda_census" in name and "codebook" not in name:
        return "gerda_census"
    if "inkar" in name and "codebook" not in name:
        return "inkar"
    if "codebook" in name:
        return "codebook"
    if "published_figures" in name:
        return "published_figures"
    if name.startswith(("12111-01-01-5", "12111-01-01-4")):
        return "regionaldatenbank_zensus2011"
    if re.match(r"(\d{5}-\d{2}-\d{2}-\d|ai\d{3}-\d)", name):
        return "regionaldatenbank"
    if "auslaenderanteil" in name:
        return "statistik_bw_shares"
    if "einbuergerungen" in name:
        return "statistik_bw_einbuergerungen"
    if "einwanderungsgeschichte" in name:
        return "zensus2022_einwanderung"
    if "auszug_gv" in name or "auszuggv" in name:
        return "gv_isys"
    if "bevoelkerung_nationalitaet" in name or name.startswith("gemeindereihe"):
        return "municipal_series"
    if name.endswith((".csv", ".xlsx")) and "nationalit" in name:
        return "municipal_series"
    return None


def _detect_excel(path: Path) -> str | None:
    from workbench import tabular

    for idx in range(3):
        try:
            sheet = tabular.read_workbook_sheet(path, idx, stop_after_row=20)
        except DataValidationError:
            break  # unreadable or no such sheet: the loader/precheck reports why
        for row in sheet.rows[:20]:
            cells = [str(c).strip() for c in row if c not in (None, "")]
            if cells[:1] == ["Satz-art"]:
                return "gv_isys"
            if cells[:2] == ["AGS", "Gemeinde"]:
                return "municipal_series"
            if _is_observations_header(cells):
                return "observations"
    return _detect_by_name(path.name.lower())


def _is_observations_header(cells: list[str]) -> bool:
    norm = {c.strip().casefold().replace("ä", "ae") for c in cells}
    return {"traeger", "indikator-id", "stichtag"} <= norm


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
            result.format = _detect_by_name(path.name.lower())
            result.problems.append(Problem(path.name, None, None, None, "Datei ist leer"))
            return result
        try:
            precheck(path)
        except DataValidationError as exc:
            result.format = _detect_by_name(path.name.lower()) or fallback_format
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
