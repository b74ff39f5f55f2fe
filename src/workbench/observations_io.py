"""Import and export of observations: the German Excel/CSV template and the store.

File format (one row per value; column names German, order free, matched case-insensitively)::

    Träger;Indikator-ID;Stichtag;Wert;Notiz;Quelle;Erfasst von;Kommentar

Required columns: ``Träger``, ``Indikator-ID``, ``Stichtag``, ``Wert``. Optional readable
columns (``Handlungsfeld``, ``Maßnahme``, ``Indikator``, ``Art``, ``Einheit``) and the export
columns ``Version``, ``Erfasst am (UTC)`` are ignored on import; ``Beispieldaten`` (ja/nein)
is honoured so that an export can be re-imported without turning example data into real data.

Rules (all checked before anything is stored; a file with any problem imports nothing):

* CSV: separator ``;`` (also tab, as in Excel's „Unicode-Text“); UTF-8 with or without BOM,
  UTF-16 with BOM or Windows-1252; decimal comma (``12,5``; ``1.234,5``).
* xlsx: first sheet named „Messwerte“, else the first sheet; the header row may be preceded by
  note rows. Numeric and date cells are taken as typed.
* ``Stichtag``: ``31.12.2025`` or ``2025-12-31`` (or an Excel date cell).
* ``Wert``: a number fitting the indicator kind (Anzahl: integer ≥ 0, Anteil: 0–100,
  Meilenstein: 1/0 or ja/nein); qualitative indicators need ``Notiz``.
* Rows with neither ``Wert`` nor ``Notiz`` are skipped (an untouched template row).
* Same Träger × Indikator × Stichtag twice in one file is a problem.
* ``Quelle`` defaults to „Import <Dateiname>“, ``Erfasst von`` to the importing user.

Re-importing a file is idempotent: a row whose value, note, source and example flag equal the
current version creates no new version; a changed value creates the next version. An empty
``Quelle`` (defaulted to the file name) is not compared, so re-saving a file under a new name
does not create versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from workbench import paths, tabular_write
from workbench.access import Principal
from workbench.excel_safety import ExcelCut, unneutralise_cell
from workbench.exceptions import DataValidationError, Problem
from workbench.formatting import fmt_date
from workbench.fsutil import atomic_path
from workbench.ids import check_traeger_id
from workbench.observation import (
    ImportRow,
    IndicatorSpec,
    Observation,
    catalogue_specs,
    check_value,
    date_problem,
)
from workbench.store import ObservationStore, default_user

# Canonical column names (as written in templates and exports).
COL_TRAEGER = "Träger"
COL_INDICATOR = "Indikator-ID"
COL_PERIOD = "Stichtag"
COL_VALUE = "Wert"
COL_NOTE = "Notiz"
COL_SOURCE = "Quelle"
COL_USER = "Erfasst von"
COL_COMMENT = "Kommentar"
COL_EXAMPLE = "Beispieldaten"
# „Annahme, nicht aus der Quelle: …“ from the catalogue (read-only, ignored on import).
COL_ASSUMPTION = "Annahme"

TEMPLATE_COLUMNS = [
    COL_TRAEGER, COL_INDICATOR, COL_PERIOD, COL_VALUE, COL_NOTE, COL_SOURCE, COL_USER, COL_COMMENT
]
REQUIRED_COLUMNS = [COL_TRAEGER, COL_INDICATOR, COL_PERIOD, COL_VALUE]
READABLE_COLUMNS = ["Handlungsfeld", "Maßnahme", "Indikator", "Art", "Einheit", COL_ASSUMPTION]
EXPORT_EXTRA_COLUMNS = ["Version", "Erfasst am (UTC)", COL_EXAMPLE]
KNOWN_COLUMNS = [*TEMPLATE_COLUMNS, *EXPORT_EXTRA_COLUMNS, *READABLE_COLUMNS]

TEMPLATE_NAME = "messwerte_vorlage"
SHEET_NAME = "Messwerte"

# „x“ is NOT yes: in German statistics it is the secrecy marker (MARKERS below).
_YES = {"ja", "j", "erreicht", "erledigt", "yes", "true", "wahr"}
_NO = {"nein", "n", "nicht erreicht", "offen", "no", "false", "falsch"}
# Official "no value" markers (Zeichenerklärung): a row with one of these in „Wert“ carries
# no value – it is not stored (never as 0, never as a milestone status) and is reported.
MARKERS = {
    "x": "Tabellenfach gesperrt/geheim",
    ".": "Zahlenwert unbekannt oder geheimzuhalten",
    "-": "nichts vorhanden",
    "/": "keine Angabe, Aussagewert eingeschränkt",
    "…": "noch nicht verfügbar",
    "...": "noch nicht verfügbar",
}


def _norm(name: str) -> str:
    """Header key: case, spaces, hyphens and umlaut spelling do not matter."""
    text = name.replace("\ufeff", "").strip().casefold()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    return re.sub(r"[\s\-_.()]+", "", text)


_CANONICAL = {_norm(c): c for c in KNOWN_COLUMNS}


# --------------------------------------------------------------------------------------------
# Reading cells from CSV / xlsx
# --------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    """Rows of a file as text cells, each with the row number a user sees (Excel / editor)."""

    rows: list[tuple[int, list[str | None]]]
    kind: str  # "csv" or "xlsx"
    book: Any = None  # workbench.tabular.XlsxSheet for xlsx (merged ranges)


def _read_csv(path: Path, problems: list[Problem]) -> _Sheet | None:
    """Strict, bounded CSV via :func:`workbench.tabular.read_csv_records`."""
    from workbench import tabular

    try:
        table = tabular.read_csv_records(path, seps=(";", "\t", ","))
    except DataValidationError as exc:
        problems.extend(exc.problems)
        return None
    header_line = next((cells for _, cells in table.rows if any(c.strip() for c in cells)), [])
    if not header_line:
        problems.append(Problem(path.name, None, None, None, "Datei ist leer"))
        return None
    if table.sep == ",":
        problems.append(
            Problem(
                path.name,
                1,
                None,
                ",".join(header_line)[:80],
                "Semikolon „;“ als Trennzeichen (gefunden: Komma). In Excel speichern als "
                "„CSV UTF-8 (durch Trennzeichen getrennt)“ mit deutschen Ländereinstellungen",
            )
        )
        return None
    rows = [(i, [c if c.strip() else None for c in rec]) for i, rec in table.rows]
    return _Sheet(rows, "csv")


def _read_xlsx(path: Path, problems: list[Problem]) -> _Sheet | None:
    """xlsx via :func:`workbench.tabular.read_xlsx` (bounded; hidden sheets with data,
    formulas without results, error cells refused; date cells as dates, percent cells as the
    percentage shown)."""
    from workbench import tabular

    try:
        book = tabular.read_xlsx(path, SHEET_NAME, track_numeric=True)
        book.raise_errors()
    except DataValidationError as exc:
        problems.extend(exc.problems)
        return None
    rows = [
        (i, [None if c is None or not str(c).strip() else str(c) for c in rec])
        for i, rec in enumerate(book.rows, 1)
    ]
    if not any(any(c is not None for c in cells) for _, cells in rows):
        problems.append(Problem(path.name, None, None, None, "Datei ist leer"))
        return None
    return _Sheet(rows, "xlsx", book)


# --------------------------------------------------------------------------------------------
# Parsing values
# --------------------------------------------------------------------------------------------

_DE_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_DE_PLAIN = re.compile(r"^[+-]?\d+(,\d+)?$")
_XLSX_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


def parse_number(text: str, *, excel: bool = False) -> float | None:
    """German number text -> float; ``None`` when it is not a number.

    ``12,5`` and ``1.234,5`` are German; ``1.234`` is 1234 (thousands). From an xlsx numeric
    cell (``excel=True``) the text uses a decimal point (``12.5``). A trailing ``%`` is allowed.
    """
    t = text.strip().replace("\u00a0", "").replace(" ", "").removesuffix("%")
    if excel and _XLSX_NUMBER.match(t):
        value = float(t)
    elif _DE_THOUSANDS.match(t):
        value = float(t.replace(".", "").replace(",", "."))
    elif _DE_PLAIN.match(t):
        value = float(t.replace(",", "."))
    else:
        return None
    return value if math.isfinite(value) else None


_DE_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_date(text: str) -> dt.date | None:
    """``31.12.2025``, ``2025-12-31`` or an xlsx date or date-time cell (``2025-12-31
    14:30:00``: the date counts). The range check is
    :func:`workbench.observation.date_problem`.

    Regexes instead of ``strptime``: 10x faster on a 20 000-row import.
    """
    t = text.strip()
    if m := _DE_DATE.match(t):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO_DATE.match(t):
        year, month, day = (int(g) for g in m.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31.02.2025
        return None


# "1.500": thousands or decimal point? Never guessed (1.234,5 and 1.234.567 are unambiguous).
_AMBIGUOUS_THOUSANDS = re.compile(r"^[+-]?\d{1,3}\.\d{3}$")
_MAX_DIGITS = 15  # a float keeps 15 significant digits exactly


def value_problem(text: str, *, numeric_cell: bool) -> str | None:
    """German question/expectation for value text that must not be guessed."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if not numeric_cell and _AMBIGUOUS_THOUSANDS.match(t):
        whole = t.replace(".", "")
        dec = t.replace(".", ",").rstrip("0").rstrip(",")
        return (f"eine eindeutige Zahl – ist {t} {german_words(int(whole.lstrip('+-')))} "
                f"({whole}) oder {dec}? Bitte ohne Tausenderpunkt eingeben ({whole}) oder mit "
                f"Dezimalkomma ({dec})")
    digits = sum(ch.isdigit() for ch in t.split("e")[0].split("E")[0])
    if digits > _MAX_DIGITS:
        return f"eine Zahl mit höchstens {_MAX_DIGITS} Stellen (Wert zu lang – Tippfehler?)"
    return None


_ONES = ["", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
         "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn",
         "neunzehn"]
_TENS = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig",
         "neunzig"]


def german_words(n: int) -> str:
    """0 ≤ n < 1 000 000 in German words (1500 → „eintausendfünfhundert“)."""
    if n == 0:
        return "null"

    def below_1000(k: int) -> str:
        hundreds, rest = divmod(k, 100)
        out = (_ONES[hundreds] + "hundert") if hundreds else ""
        if rest < 20:
            out += _ONES[rest]
        else:
            tens, ones = divmod(rest, 10)
            out += (_ONES[ones] + "und" if ones else "") + _TENS[tens]
        return out

    thousands, rest = divmod(n, 1000)
    words = (below_1000(thousands) + "tausend") if thousands else ""
    words += below_1000(rest)
    return words + ("s" if n % 100 == 1 else "")


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x9b]")


# --------------------------------------------------------------------------------------------
# Reading an observations file
# --------------------------------------------------------------------------------------------


@dataclass
class ParsedFile:
    """Rows ready for :meth:`ObservationStore.record_many` plus what was skipped or ignored."""

    path: Path
    rows: list[ImportRow]
    skipped_empty: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    sha256: str = ""
    # Rows whose „Wert“ is an official marker (x . - / …): (row, marker); not stored.
    markers: list[tuple[int, str]] = field(default_factory=list)


def read_observations(
    path: str | Path,
    *,
    user: str | None = None,
    specs: Callable[[str], Any] | None = None,
) -> ParsedFile:
    """Read and validate an observations file; raise :class:`DataValidationError` listing
    EVERY problem (row as Excel shows it, column, value, expectation — German).

    ``specs(traeger_id)`` returns the catalogue indicators (default: the catalogues in
    :func:`workbench.paths.catalogue_dir`); a Träger without catalogue is a problem.
    Steps: :func:`_read_sheet` (file → text cells), :func:`_find_header` and
    :func:`_map_columns` (header → column positions), then :class:`_RowParser` per row
    (cells → :class:`~workbench.observation.ImportRow`, with the value rules of
    :mod:`workbench.observation`).
    """
    path = Path(path)
    sheet, raw = _read_sheet(path)
    header = _map_columns(sheet, _find_header(sheet, path.name), path.name)
    parser = _RowParser(path.name, sheet, header, specs or catalogue_specs,
                        user or default_user())
    rows = [row for row_no, cells in sheet.rows[header.index + 1:]
            if (row := parser.parse(row_no, cells)) is not None]
    problems = parser.problems
    if not problems and not rows:
        problems.append(_no_values_problem(path.name, parser.markers))
    if problems:
        raise DataValidationError(problems)
    return ParsedFile(
        path=path,
        rows=rows,
        skipped_empty=parser.skipped,
        ignored_columns=header.ignored,
        sha256=hashlib.sha256(raw).hexdigest(),
        markers=parser.markers,
    )


def _read_sheet(path: Path) -> tuple[_Sheet, bytes]:
    """The file's rows as text cells and its bytes (CSV or xlsx, by content first)."""
    from workbench import tabular

    name = path.name
    if not path.is_file():
        raise DataValidationError([Problem(name, None, None, None, "Datei existiert nicht")])
    problems: list[Problem] = []
    raw = tabular.read_limited(path)  # size limit checked before reading
    if raw.startswith(b"PK\x03\x04") or tabular.container_kind(raw[:8]) == "ole":
        sheet = _read_xlsx(path, problems)
    elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        if not raw:
            problems.append(Problem(name, None, None, None, "Datei ist leer"))
            sheet = None
        else:
            sheet = _read_xlsx(path, problems)
    else:
        sheet = _read_csv(path, problems)
    if sheet is None:
        raise DataValidationError(problems)
    return sheet, raw


def _find_header(sheet: _Sheet, name: str) -> int:
    """Index of the header: the first row naming at least two known columns (note rows may
    precede it)."""
    for index, (_, cells) in enumerate(sheet.rows[:20]):
        hits = sum(1 for c in cells if c is not None and _norm(c) in _CANONICAL)
        if hits >= 2:
            return index
    first_row, first_cells = next(
        ((n, c) for n, c in sheet.rows if any(x is not None for x in c)), (1, [])
    )
    found = ", ".join(c for c in first_cells if c) or "nichts"
    raise DataValidationError([
        Problem(
            name,
            first_row,
            None,
            found[:80],
            "eine Kopfzeile mit den Spalten " + ", ".join(TEMPLATE_COLUMNS)
            + " (Trennzeichen „;“)",
        )
    ])


@dataclass
class _Header:
    """The header row and where each known column is."""

    index: int  # position in _Sheet.rows
    row: int  # row number as the user sees it
    cells: list[str | None]
    columns: dict[str, int]  # canonical column name -> position
    ignored: list[str]  # unknown column names, as written

    def cell(self, cells: list[str | None], column: str) -> str | None:
        """Text of ``column`` in a row (stripped), ``None`` when empty or absent."""
        pos = self.columns.get(column)
        if pos is None or pos >= len(cells):
            return None
        value = cells[pos]
        if value is None:
            return None
        # An exported CSV prefixes formula-like text with ' (excel_safety); take it off again.
        return unneutralise_cell(value.strip()).strip() or None


def _map_columns(sheet: _Sheet, header_at: int, name: str) -> _Header:
    """Header cells → canonical columns; duplicates, missing required columns and merged
    header cells are problems."""
    header_row, header_cells = sheet.rows[header_at]
    if sheet.book is not None:
        merged = sheet.book.merged_problems(header_row + 1)
        if merged:
            raise DataValidationError(merged)
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for pos, cell in enumerate(header_cells):
        if cell is None:
            continue
        canonical = _CANONICAL.get(_norm(cell))
        if canonical is None:
            ignored.append(cell.strip())
        elif canonical in columns:
            problems.append(
                Problem(name, header_row, cell, cell, f"Spalte „{canonical}“ nur einmal")
            )
        else:
            columns[canonical] = pos
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            problems.append(
                Problem(name, header_row, required, None, f"Pflichtspalte „{required}“ fehlt")
            )
    if problems:
        raise DataValidationError(problems)
    return _Header(header_at, header_row, header_cells, columns, ignored)


class _SkipRow(Exception):
    """The row has a problem that makes checking its other cells pointless."""


class _RowParser:
    """Data rows → :class:`ImportRow`; collects every problem, the markers and the count of
    untouched template rows across the file."""

    def __init__(self, name: str, sheet: _Sheet, header: _Header,
                 specs: Callable[[str], Any], importer: str) -> None:
        self.name = name
        self.header = header
        self.specs = specs
        self.importer = importer
        self.default_source = f"Import {name}"
        self.excel = sheet.kind == "xlsx"
        self.numeric_cells = sheet.book.numeric if sheet.book is not None else None
        self.problems: list[Problem] = []
        self.markers: list[tuple[int, str]] = []
        self.skipped = 0  # untouched template rows (neither value nor note)
        self._known_traeger: dict[str, Any] = {}  # Träger id -> specs (None: no catalogue)
        self._seen: dict[tuple[str, str, dt.date], int] = {}  # key -> first row

    def _bad(self, row_no: int, column: str, value: str | None, expected: str) -> None:
        self.problems.append(Problem(self.name, row_no, column, value, expected))

    def parse(self, row_no: int, cells: list[str | None]) -> ImportRow | None:
        """The row's observation, or ``None`` (empty, marker, or a problem was recorded)."""
        if all(c is None for c in cells):
            return None
        cell = self.header.cell
        traeger = cell(cells, COL_TRAEGER) or ""
        indicator = cell(cells, COL_INDICATOR) or ""
        value_text = cell(cells, COL_VALUE)
        note = cell(cells, COL_NOTE)
        if value_text is None and note is None:
            self.skipped += 1  # untouched template row
            return None
        before = len(self.problems)
        if not self._row_shape_ok(row_no, cells, value_text):
            return None
        try:
            spec = self._spec(row_no, traeger, indicator)
        except _SkipRow:
            return None
        period = self._period(row_no, cell(cells, COL_PERIOD))
        value = self._value(row_no, value_text, spec)
        self._plausible(row_no, spec, value, value_text, note)
        example_text = (cell(cells, COL_EXAMPLE) or "nein").casefold()
        if example_text not in _YES | _NO:
            self._bad(row_no, COL_EXAMPLE, example_text, "ja oder nein")
        self._once_per_key(row_no, traeger, indicator, period)
        if len(self.problems) > before:
            return None
        source = cell(cells, COL_SOURCE)
        return ImportRow(
            Observation(
                traeger,
                indicator,
                period,  # not None: no problem was recorded
                value,
                note,
                source=source or self.default_source,
                entered_by=cell(cells, COL_USER) or self.importer,
                comment=cell(cells, COL_COMMENT) or "",
                is_example=example_text in _YES,
            ),
            row=row_no,
            source_given=source is not None,
        )

    def _row_shape_ok(self, row_no: int, cells: list[str | None],
                      value_text: str | None) -> bool:
        """False for a row with control characters (a problem), an official marker instead
        of a value (recorded in ``markers``) or more cells than the header (a problem)."""
        header_cells = self.header.cells
        for pos, raw_cell in enumerate(cells):
            if raw_cell is not None and _CONTROL_CHARS.search(raw_cell):
                self.problems.append(Problem(
                    self.name, row_no, header_cells[pos] if pos < len(header_cells) else None,
                    raw_cell[:60], "Text ohne Steuerzeichen (z. B. Escape-Sequenzen)"))
                return False
        if value_text is not None and value_text.lower() in MARKERS:
            self.markers.append((row_no, value_text.lower()))
            return False
        extra = [c for c in cells[len(header_cells):] if c is not None]
        if extra:
            self.problems.append(Problem(
                self.name, row_no, None, ";".join(extra),
                f"höchstens {len(header_cells)} Spalten wie die Kopfzeile (Semikolon im Text? "
                "Text dann in Anführungszeichen setzen)",
            ))
            return False
        return True

    def _spec(self, row_no: int, traeger: str, indicator: str) -> IndicatorSpec | None:
        """The catalogue entry of the row's indicator (``None`` with a problem recorded);
        :class:`_SkipRow` when the Träger's catalogue cannot be read."""
        if not traeger:
            self._bad(row_no, COL_TRAEGER, "", "Kennung eines Trägers (z. B. „sachsenheim“)")
            return None
        if traeger not in self._known_traeger:
            try:
                self._known_traeger[traeger] = self.specs(traeger)
            except Exception as exc:  # noqa: BLE001 - a broken catalogue is reported
                self._known_traeger[traeger] = None
                self._bad(row_no, COL_TRAEGER, traeger, f"gültiger Maßnahmenkatalog ({exc})")
                raise _SkipRow from None
        traeger_specs = self._known_traeger[traeger]
        if traeger_specs is None:
            from workbench import catalogue

            have = ", ".join(catalogue.list_traeger()) or "keine"
            self._bad(row_no, COL_TRAEGER, traeger,
                      f"ein Träger mit Maßnahmenkatalog (vorhanden: {have})")
            return None
        if not indicator:
            self._bad(row_no, COL_INDICATOR, "", "eine Indikator-ID aus dem Katalog")
            return None
        spec = traeger_specs.get(indicator)
        if spec is None:
            self._bad(row_no, COL_INDICATOR, indicator,
                      f"eine Indikator-ID aus dem Katalog von „{traeger}“")
        return spec

    def _period(self, row_no: int, period_text: str | None) -> dt.date | None:
        """„Stichtag“ → date within the plausible range, else ``None`` with a problem."""
        period = parse_date(period_text) if period_text else None
        if period is None:
            self._bad(row_no, COL_PERIOD, period_text or "",
                      "ein Datum wie 31.12.2025 oder 2025-12-31")
        elif (out_of_range := date_problem(period)) is not None:
            self._bad(row_no, COL_PERIOD, period_text or "", out_of_range)
            period = None
        return period

    def _value(self, row_no: int, value_text: str | None,
               spec: IndicatorSpec | None) -> float | None:
        """„Wert“ → number (milestones also ja/nein); ambiguous or unreadable text is a
        problem, never guessed."""
        if value_text is None:
            return None
        milestone = spec is not None and spec.kind == "meilenstein"
        lowered = value_text.casefold()
        if milestone and lowered in _YES | _NO:
            return 1.0 if lowered in _YES else 0.0
        value_pos = self.header.columns.get(COL_VALUE)
        numeric_cell = (self.excel and self.numeric_cells is not None and value_pos is not None
                        and (row_no, value_pos + 1) in self.numeric_cells)
        unclear = value_problem(value_text, numeric_cell=numeric_cell)
        if unclear is not None:
            self._bad(row_no, COL_VALUE, value_text, unclear)
            return None
        value = parse_number(value_text, excel=self.excel)
        if value is None:
            self._bad(row_no, COL_VALUE, value_text,
                      "ja oder nein (bzw. 1 oder 0)" if milestone
                      else "eine Zahl (z. B. 12 oder 12,5; Dezimalkomma)")
        return value

    def _plausible(self, row_no: int, spec: IndicatorSpec | None, value: float | None,
                   value_text: str | None, note: str | None) -> None:
        """The value fits the indicator's kind (:func:`workbench.observation.check_value`);
        not checked again when the text was already refused as a number."""
        if spec is None or (value is None and value_text is not None):
            return
        expected = check_value(spec, value, note)
        if expected:
            qualitative = spec.kind == "qualitativ"
            self._bad(row_no, COL_NOTE if qualitative else COL_VALUE,
                      note if qualitative else value_text, expected)

    def _once_per_key(self, row_no: int, traeger: str, indicator: str,
                      period: dt.date | None) -> None:
        """Each Träger × indicator × Stichtag at most once per file."""
        if period is None or not traeger or not indicator:
            return
        key = (traeger, indicator, period)
        if key in self._seen:
            self._bad(row_no, COL_INDICATOR, indicator, f"jeden Indikator je Stichtag nur "
                      f"einmal (schon in Zeile {self._seen[key]})")
        else:
            self._seen[key] = row_no


def _no_values_problem(name: str, markers: list[tuple[int, str]]) -> Problem:
    """The problem of a file without a single value (markers listed when that is why)."""
    marker_text = (
        " – Kennzeichen statt Werten: " + ", ".join(
            f"Zeile {r}: „{m}“ ({MARKERS[m]})" for r, m in markers[:5])
        if markers else ""
    )
    return Problem(name, None, COL_VALUE, None, "mindestens eine Zeile mit Wert oder Notiz "
                   "(die Datei enthält keine Messwerte)" + marker_text)


@dataclass
class ImportResult:
    file: str
    rows: int  # rows with a value in the file
    new_versions: int  # versions written (new values and corrections)
    unchanged: int  # rows equal to the current version (nothing written)
    skipped_empty: int  # template rows without value or note
    ignored_columns: list[str]
    markers: list[tuple[int, str]] = field(default_factory=list)  # (row, marker), not stored


def import_observations(
    path: str | Path,
    store: ObservationStore | None = None,
    *,
    user: str | None = None,
    actor: Principal | None = None,
) -> ImportResult:
    """Validate ``path`` completely, then store all its rows in ONE transaction.

    Raises :class:`DataValidationError` (nothing stored) when any row is bad.
    ``actor``: who imports (see ``ObservationStore.authorize``): under the hub their login
    is recorded for every row and the import log, whatever the file's „Erfasst von“ says,
    and a row of a Träger outside their groups refuses the whole file
    (:class:`~workbench.exceptions.AccessDeniedError`, audited).
    """
    store = store or ObservationStore()
    parsed = read_observations(path, user=user, specs=store.specs)
    importer = user or default_user()
    written = store.record_many(
        parsed.rows,
        skip_unchanged=True,
        batch={"entered_by": importer, "file_name": parsed.path.name, "file_sha256": parsed.sha256},
        actor=actor,
    )
    return ImportResult(
        file=parsed.path.name,
        rows=len(parsed.rows),
        new_versions=written,
        unchanged=len(parsed.rows) - written,
        skipped_empty=parsed.skipped_empty,
        ignored_columns=parsed.ignored_columns,
        markers=parsed.markers,
    )


# --------------------------------------------------------------------------------------------
# Writing files (atomic: workbench.fsutil)
# --------------------------------------------------------------------------------------------


def _labels(traeger_ids: list[str]) -> pl.DataFrame:
    """Readable Handlungsfeld/Maßnahme/Indikator names for the exported Träger."""
    frames = []
    try:
        from workbench import catalogue

        for tid in traeger_ids:
            if tid in catalogue.list_traeger():
                frames.append(catalogue.indicators_frame(catalogue.load_catalogue(tid)))
    except Exception:  # noqa: BLE001 - names are a convenience; export values regardless
        frames = []
    columns = ["traeger_id", "indicator_id", "handlungsfeld", "massnahme", "indicator",
               "assumption"]
    if not frames:
        return pl.DataFrame(schema={c: pl.String for c in columns})
    return pl.concat([f.select(columns) for f in frames])


def _export_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    labels = _labels(frame["traeger_id"].unique().sort().to_list()) if frame.height else None
    if labels is not None and labels.height:
        frame = frame.join(labels, on=["traeger_id", "indicator_id"], how="left")
    else:
        frame = frame.with_columns(
            pl.lit(None, pl.String).alias(c)
            for c in ("handlungsfeld", "massnahme", "indicator", "assumption")
        )
    out = []
    for r in frame.iter_rows(named=True):
        out.append(
            {
                COL_TRAEGER: r["traeger_id"],
                COL_INDICATOR: r["indicator_id"],
                COL_PERIOD: r["period"],
                COL_VALUE: r["value"],
                COL_NOTE: r["note"] or "",
                COL_SOURCE: r["source"],
                COL_USER: r["entered_by"],
                COL_COMMENT: r["comment"] or "",
                "Version": r["version"],
                "Erfasst am (UTC)": r["entered_at"].replace(tzinfo=None),
                COL_EXAMPLE: "ja" if r["is_example"] else "nein",
                "Handlungsfeld": r["handlungsfeld"] or "",
                "Maßnahme": r["massnahme"] or "",
                "Indikator": r["indicator"] or "",
                COL_ASSUMPTION: r["assumption"] or "",
            }
        )
    return out


EXPORT_COLUMNS = [*TEMPLATE_COLUMNS, *EXPORT_EXTRA_COLUMNS, "Handlungsfeld", "Maßnahme",
                  "Indikator", COL_ASSUMPTION]


def _header_note(store: ObservationStore, frame: pl.DataFrame, what: str) -> list[str]:
    """Title, source and Beispieldaten line; a third line when the catalogue assumes values."""
    n_example = int(frame["is_example"].sum()) if frame.height else 0
    if n_example == frame.height and n_example:
        example = "ACHTUNG: alle Werte sind Beispieldaten (keine amtlichen Werte)."
    elif n_example:
        example = (f"ACHTUNG: {n_example} von {frame.height} Werten sind Beispieldaten (keine "
                   "amtlichen Werte) – Spalte „Beispieldaten“.")
    else:
        example = "Keine Beispieldaten enthalten."
    lines = [
        f"Messwerte Integrationsmonitoring – {what}",
        f"Quelle: workbench-Messwertspeicher {store.path.name}, exportiert am "
        f"{fmt_date(dt.date.today())}; Quelle je Wert in Spalte „Quelle“. {example}",
    ]
    rows = _export_rows(frame) if frame.height else []
    assumed = list(dict.fromkeys(r[COL_ASSUMPTION] for r in rows if r[COL_ASSUMPTION]))
    if assumed:
        lines.append(f"{len(assumed)} Katalogangabe(n) sind Annahmen, nicht aus der Quelle – "
                     "Spalte „Annahme“: " + " | ".join(assumed))
    return lines


def export_observations(
    out: str | Path,
    store: ObservationStore | None = None,
    *,
    traeger_id: str | None = None,
    fmt: str | None = None,
    history: bool = False,
    notices: list[str] | None = None,
) -> Path:
    """Write observations to ``out`` (xlsx or csv, from ``fmt`` or the suffix); atomic.

    xlsx: sheet „Aktuelle Werte“ (latest version per value) and sheet „Verlauf“ (all versions),
    each with a two-line note naming the source and whether values are Beispieldaten, then the
    header in row 4. csv: ``;``, UTF-8 with BOM, decimal comma, dates 31.12.2025; current values,
    or every version with ``history=True``. Both can be re-imported.

    Safe for Excel (``workbench.excel_safety``): CSV text cells that Excel would run as a
    formula (``= + - @``, tab, CR at the start) get a leading ``'`` which the importer removes
    again; numbers stay numbers. xlsx cells longer than 32 767 characters and rows beyond
    1 048 576 are cut — said in the sheet („Gekürzt: …“), in a sheet „Gekürzt“ and, when a
    list is passed as ``notices``, as German warning lines for the console.
    """
    out = Path(out)
    if traeger_id is not None:
        check_traeger_id(traeger_id)
    store = store or ObservationStore()
    fmt = (fmt or out.suffix.lstrip(".") or "xlsx").lower()
    current = store.current(traeger_id)
    if fmt == "csv":
        frame = store.history(traeger_id) if history else current
        with atomic_path(out) as tmp:
            found = _write_csv(tmp, _export_rows(frame), EXPORT_COLUMNS)
        _excel_notices(out, found, notices, csv=True)
    elif fmt == "xlsx":
        sheets = [("Aktuelle Werte", current, "aktuelle Werte (letzte Version je Wert)"),
                  ("Verlauf", store.history(traeger_id), "alle Versionen (Korrekturverlauf)")]
        with atomic_path(out) as tmp:
            cuts = _write_xlsx(tmp, [(name, _header_note(store, f, what), _export_rows(f))
                                     for name, f, what in sheets])
        _excel_notices(out, cuts, notices)
    else:
        raise ValueError(f"Format „{fmt}“: erwartet xlsx oder csv")
    return out


def _excel_notices(out: Path, cuts: list[ExcelCut], notices: list[str] | None, *,
                   csv: bool = False) -> None:
    """German console lines about what Excel's limits cut (xlsx) or would cut (csv)."""
    if notices is None or not cuts:
        return
    if csv:
        notices.append(
            f"Warnung: {out.name} enthält Zellen oder Zeilen über den Grenzen von Excel "
            "(32.767 Zeichen je Zelle, 1.048.576 Zeilen). Die CSV-Datei ist vollständig, "
            "Excel zeigt beim Öffnen aber nur einen Teil: "
            + "; ".join(c.describe() for c in cuts[:10])
            + (f"; … und {len(cuts) - 10} weitere" if len(cuts) > 10 else "")
        )
        return
    notices.append(f"Warnung: in {out.name} wurde für Excel gekürzt ({len(cuts)} Stelle"
                   f"{'n' if len(cuts) != 1 else ''}, Liste im Tabellenblatt „Gekürzt“):")
    notices.extend(f"  {c.describe()}" for c in cuts[:20])
    if len(cuts) > 20:
        notices.append(f"  … und {len(cuts) - 20} weitere")


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> list[ExcelCut]:
    """The observation CSV (``tabular_write.write_csv``); values always as numbers."""
    return tabular_write.write_csv(path, rows, columns, number_columns=frozenset({COL_VALUE}))


# Column widths of the observation workbooks (others: 12).
XLSX_WIDTHS = {COL_TRAEGER: 14, COL_INDICATOR: 28, COL_PERIOD: 12, COL_NOTE: 30,
               COL_SOURCE: 30, COL_COMMENT: 30, "Maßnahme": 40, "Indikator": 50,
               "Erfasst am (UTC)": 19, "Handlungsfeld": 24}


def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[dict[str, Any]]]],
                columns: list[str] = EXPORT_COLUMNS,
                notes_sheet: list[str] | None = None) -> list[ExcelCut]:
    """The observation workbook (``tabular_write.write_xlsx``): Träger and indicator columns
    frozen; cut values point to the CSV export."""
    return tabular_write.write_xlsx(
        path, sheets, columns, widths=XLSX_WIDTHS, freeze_columns=2, notes_sheet=notes_sheet,
        full_values_how=" (workbench export-observations --format csv)")


# --------------------------------------------------------------------------------------------
# Template
# --------------------------------------------------------------------------------------------

TEMPLATE_HELP = [
    "Messwerte erfassen – Hinweise zur Vorlage",
    "Eine Zeile je Wert: Träger × Indikator × Stichtag. Spalten Träger und Indikator-ID sind "
    "vorausgefüllt; nicht ändern.",
    "Stichtag: Datum wie 31.12.2025 (Ende des Berichtszeitraums).",
    "Wert: Anzahl = ganze Zahl ≥ 0; Anteil = Prozent 0 bis 100 (z. B. 12,5); "
    "Meilenstein = ja/nein (oder 1/0); qualitativ = Text in „Notiz“, Wert leer.",
    "Anteile als Prozentzahl eintragen (12,5 für 12,5 %); die Zelle nicht als „Prozent“ "
    "formatieren – Excel speichert sonst 0,125.",
    "Notiz: Erläuterung oder qualitativer Wert. Quelle: Dokument/Statistik, aus der der Wert "
    "stammt (leer = Dateiname). Erfasst von: Name (leer = angemeldeter Benutzer).",
    "Zeilen ohne Wert und ohne Notiz werden beim Import übersprungen.",
    "Spalten Handlungsfeld, Maßnahme, Indikator, Art, Einheit, Annahme dienen nur der "
    "Orientierung und werden beim Import ignoriert.",
    "Spalte Annahme: „Annahme, nicht aus der Quelle: …“ – Zielwert, Zeitraum oder Stichtag "
    "dieses Indikators stammen nicht aus dem Konzept, sondern wurden angenommen (Feld "
    "„annahme“ im Maßnahmenkatalog).",
    "Korrektur: Zeile mit neuem Wert erneut importieren – es entsteht eine neue Version, die alte "
    "bleibt im Verlauf erhalten. Unveränderte Zeilen erzeugen keine neue Version.",
    "Import: workbench import-observations DATEI.xlsx",
]

_KIND_LABELS = {"anzahl": "Anzahl", "anteil": "Anteil (%)", "meilenstein": "Meilenstein (ja/nein)",
                "qualitativ": "qualitativ (Notiz)"}
TEMPLATE_EXTRA = ["Handlungsfeld", "Maßnahme", "Indikator", "Art", "Einheit", COL_ASSUMPTION]


def template_rows(traeger_id: str) -> list[dict[str, Any]]:
    """One template row per catalogue indicator of ``traeger_id`` (ids prefilled)."""
    from workbench import catalogue

    frame = catalogue.indicators_frame(catalogue.load_catalogue(traeger_id))
    return [
        {
            COL_TRAEGER: r["traeger_id"],
            COL_INDICATOR: r["indicator_id"],
            "Handlungsfeld": r["handlungsfeld"],
            "Maßnahme": r["massnahme"],
            "Indikator": r["indicator"],
            "Art": _KIND_LABELS.get(r["kind"], r["kind"]),
            "Einheit": r["unit"] or "",
            COL_ASSUMPTION: r["assumption"] or "",
        }
        for r in frame.iter_rows(named=True)
    ]


def write_template(traeger_id: str, out: str | Path) -> Path:
    """Write the input template for ``traeger_id`` to ``out`` (.xlsx or .csv), atomically.

    Columns: :data:`TEMPLATE_COLUMNS` then readable ``Handlungsfeld, Maßnahme, Indikator, Art,
    Einheit, Annahme`` („Annahme, nicht aus der Quelle: …“ from the catalogue); one row per
    indicator of the catalogue. The xlsx has a sheet „Hinweise“.
    """
    out = Path(out)
    check_traeger_id(traeger_id)
    rows = template_rows(traeger_id)
    columns = [*TEMPLATE_COLUMNS, *TEMPLATE_EXTRA]
    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".csv":
            _write_csv(tmp, rows, columns)
        else:
            _write_xlsx(tmp, [(SHEET_NAME, [], rows)], columns, notes_sheet=TEMPLATE_HELP)
    return out


def write_default_templates(traeger_id: str = "sachsenheim") -> list[Path]:
    """Regenerate ``data/templates/messwerte_vorlage.{xlsx,csv}`` from a catalogue."""
    base = paths.templates_dir() / TEMPLATE_NAME
    return [write_template(traeger_id, base.with_suffix(s)) for s in (".xlsx", ".csv")]
