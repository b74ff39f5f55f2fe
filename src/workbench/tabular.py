"""The one reading layer for user and official spreadsheets and CSV files.

Every loader in :mod:`workbench.loaders` and the observation importer
(:mod:`workbench.observations_io`) read bytes, text, CSV records and xlsx cells through this
module. It guarantees that no input – however hostile – takes more than a bounded amount of
memory and time, and that every refusal is a German :class:`~workbench.exceptions.Problem`
(file, row, column, value, expected), never a traceback or English library text.

* :class:`Limits` / :data:`LIMITS` – the documented hard limits (file size, uncompressed size,
  compression ratio, rows, columns, cells, field length, JSON size) and the sane date range for
  user dates. User documentation: ``docs/eingabedaten-grenzen.md``.
* :func:`check_file` – size limit checked with ``stat()`` before a byte is read.
* :func:`detect_encoding` / :func:`decode_text` – UTF-8, UTF-8 mit BOM, Windows-1252,
  UTF-16 LE/BE; a German message naming the encoding found (and the first bad line) when the
  text is mixed or contradicts its BOM.
* :func:`read_csv_records` – strict CSV: an unclosed quote is an error naming the line where it
  opened, field length and row limits.
* :func:`check_csv_lines` – the same strictness for the line-based official CSV loaders.
* :func:`read_xlsx` – xlsx inspected with :mod:`zipfile` and a streaming expat parser (no full
  parse, no third-party reader): encrypted, truncated and renamed files, hidden sheets holding
  data, formulas without cached values, error cells, declared/actual dimensions, zip bombs are
  refused before anything large is built. Date cells become ISO dates, percent cells the
  percentage the user saw (``0,125`` in a percent cell → ``12.5%``).
* :func:`read_xls` – the old binary .xls (only GV-ISys 2010 ships one), read in a child process
  with a memory and time limit, so a hostile file cannot abort the caller.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from workbench.exceptions import DataValidationError, Problem

# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Hard limits for every input file (documented in ``docs/eingabedaten-grenzen.md``).

    With these limits a single file needs at most ~10 s and ~500 MB (measured by
    ``tests/hardening``); raise them only together with that test.
    """

    max_file_bytes: int = 50 * MIB  # CSV/xlsx/xls on disk
    max_json_bytes: int = 20 * MIB  # JSON expands ~20x in memory
    max_uncompressed_bytes: int = 200 * MIB  # sum of all xlsx zip members
    max_compression_ratio: int = 100  # per zip member larger than 1 MiB
    max_rows: int = 100_000
    max_columns: int = 200
    max_cells: int = 2_000_000  # non-empty cells of one sheet (GV-ISys: ~330 000)
    max_field_chars: int = 32_767  # Excel's own limit per cell
    min_date: dt.date = dt.date(1990, 1, 1)
    years_ahead: int = 1  # user dates up to 31.12. of next year
    xls_memory_bytes: int = 1024 * MIB  # child process reading a legacy .xls
    xls_timeout_s: float = 30.0

    def max_date(self, today: dt.date | None = None) -> dt.date:
        today = today or dt.date.today()
        return dt.date(today.year + self.years_ahead, 12, 31)

    def date_range_text(self) -> str:
        return f"{self.min_date:%d.%m.%Y} bis {self.max_date():%d.%m.%Y}"


LIMITS = Limits()
RATIO_MIN_BYTES = MIB


def fmt_n(value: int) -> str:
    """German thousands separator without importing formatting (keeps this module light)."""
    return f"{value:,}".replace(",", ".")


def fmt_bytes(value: int) -> str:
    if value >= MIB:
        return f"{value / MIB:.1f} MB".replace(".", ",").replace(",0 MB", " MB")
    return f"{fmt_n(value)} Byte"


def fail(file: str, expected: str, *, row: int | None = None, column: str | None = None,
         value: object = None) -> DataValidationError:
    return DataValidationError(
        [Problem(file, row, column, None if value is None else str(value), expected)]
    )


def cell_ref(row: int, col: int) -> str:
    """1-based row/column → ``B7``."""
    return f"{column_letter(col)}{row}"


def column_letter(col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --------------------------------------------------------------------------------------------
# Files, size
# --------------------------------------------------------------------------------------------


def check_file(path: str | Path, limits: Limits | None = None, *, json_file: bool = False) -> int:
    """Existence, emptiness and size limit via ``stat()``; returns the size in bytes."""
    limits = limits or LIMITS
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        raise fail(path.name, "vorhandene Datei – Datei nicht gefunden") from None
    if not path.is_file():
        raise fail(path.name, "eine Datei – gefunden: ein Verzeichnis oder Sonderdatei")
    limit = limits.max_json_bytes if json_file else limits.max_file_bytes
    if st.st_size > limit:
        raise fail(
            path.name,
            f"Datei höchstens {fmt_bytes(limit)} groß – gefunden: {fmt_bytes(st.st_size)}. "
            "Größere Dateien werden nicht gelesen (Grenze siehe docs/eingabedaten-grenzen.md); "
            "bitte die Datei aufteilen",
        )
    if st.st_size == 0:
        raise fail(path.name, "Datei ist leer")
    return st.st_size


def read_limited(path: str | Path, limits: Limits | None = None, *, json_file: bool = False
                 ) -> bytes:
    """Read a whole file after :func:`check_file` (so at most the size limit is read)."""
    limits = limits or LIMITS
    path = Path(path)
    check_file(path, limits, json_file=json_file)
    limit = limits.max_json_bytes if json_file else limits.max_file_bytes
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise fail(path.name, f"lesbare Datei ({exc.strerror or 'Lesefehler'})") from None
    if len(raw) > limit:  # grew while reading
        raise fail(path.name, f"Datei höchstens {fmt_bytes(limit)} groß")
    return raw


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def container_kind(head: bytes) -> str:
    """``zip`` (xlsx), ``ole`` (xls or encrypted xlsx) or ``other`` from the first bytes."""
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return "other"


def _ole_streams(raw: bytes) -> set[str]:
    """Names found in an OLE compound file (cheap scan for the directory entry names)."""
    names = set()
    for name in ("EncryptedPackage", "EncryptionInfo", "Workbook", "Book", "WordDocument"):
        if name.encode("utf-16-le") in raw:
            names.add(name)
    return names


def check_ole(path: Path, raw: bytes, *, expect_xls: bool) -> None:
    """Refuse encrypted workbooks and .xls renamed to .xlsx (OLE containers)."""
    streams = _ole_streams(raw)
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise fail(
            path.name,
            "Excel-Datei ohne Kennwortschutz – die Datei ist verschlüsselt/kennwortgeschützt. "
            "In Excel: Datei › Informationen › Arbeitsmappe schützen › Mit Kennwort "
            "verschlüsseln › Kennwort löschen, dann erneut speichern",
        )
    if "WordDocument" in streams:
        raise fail(path.name, "eine Excel-Datei – gefunden: ein Word-Dokument")
    if not expect_xls:
        raise fail(
            path.name,
            "eine xlsx-Datei – gefunden: eine alte Excel-97-Datei (.xls) mit Endung "
            f"„{path.suffix}“. In Excel öffnen und als „Excel-Arbeitsmappe (*.xlsx)“ speichern",
        )


# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    """A detected text encoding: German ``name`` for messages, Python ``codec``, BOM length."""

    name: str
    codec: str
    bom: int = 0


UTF8 = Encoding("UTF-8", "utf-8")
UTF8_BOM = Encoding("UTF-8 mit BOM", "utf-8", 3)
CP1252 = Encoding("Windows-1252 (cp1252/ANSI)", "cp1252")
LATIN1 = Encoding("ISO-8859-1 (Latin-1)", "latin-1")
UTF16LE = Encoding("UTF-16 LE", "utf-16-le", 2)
UTF16BE = Encoding("UTF-16 BE", "utf-16-be", 2)
UTF16LE_NOBOM = Encoding("UTF-16 LE (ohne BOM)", "utf-16-le")
UTF16BE_NOBOM = Encoding("UTF-16 BE (ohne BOM)", "utf-16-be")

_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _first_bad_utf8(raw: bytes) -> tuple[int, bytes] | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start, raw[exc.start : exc.end]
    return None


def _bad_bytes_text(bad: bytes) -> str:
    return (f"Byte 0x{bad.hex().upper()} („{bad.decode('cp1252', errors='replace')}“ in "
            "Windows-1252)")


def _looks_utf16(raw: bytes) -> str | None:
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nul > 0.3 * half and even_nul < 0.05 * half:
        return "le"
    if even_nul > 0.3 * half and odd_nul < 0.05 * half:
        return "be"
    return None


def detect_encoding(raw: bytes, file: str) -> Encoding:
    """Name the encoding of ``raw`` or raise a German problem saying what is wrong.

    Accepted: UTF-8, UTF-8 mit BOM, UTF-16 LE/BE (with BOM, or recognisable without),
    Windows-1252. Refused: a UTF-8 BOM followed by a Windows-1252 or UTF-16 body, two BOMs,
    lines mixing UTF-8 and Windows-1252, binary data (NUL bytes).
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        body = raw[3:]
        if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            raise fail(file, "Text mit höchstens einer Byte-Reihenfolge-Markierung (BOM) – "
                       "gefunden: zwei BOMs hintereinander (Datei doppelt konvertiert?). Bitte "
                       "als „CSV UTF-8“ neu speichern", row=1)
        if _looks_utf16(body) or b"\x00" in body[:4096]:
            raise fail(file, "UTF-8-Text (die Datei beginnt mit einer UTF-8-BOM) – gefunden: "
                       "UTF-16-kodierter Inhalt nach der BOM. Bitte als „CSV UTF-8“ neu "
                       "speichern", row=1)
        bad = _first_bad_utf8(body)
        if bad is not None:
            raise fail(file, "UTF-8-Text (die Datei beginnt mit einer UTF-8-BOM) – gefunden: "
                       "Windows-1252/ANSI-Zeichen; die Datei mischt zwei Kodierungen. Bitte "
                       "als „CSV UTF-8“ neu speichern", row=_line_of(body, bad[0]),
                       value=_bad_bytes_text(bad[1]))
        return UTF8_BOM
    if raw.startswith(b"\xff\xfe"):
        return _check_utf16(raw, file, UTF16LE)
    if raw.startswith(b"\xfe\xff"):
        return _check_utf16(raw, file, UTF16BE)
    kind = _looks_utf16(raw)
    if kind:
        return _check_utf16(raw, file, UTF16LE_NOBOM if kind == "le" else UTF16BE_NOBOM)
    if b"\x00" in raw:
        pos = raw.index(b"\x00")
        raise fail(file, "eine Textdatei (CSV) – gefunden: Binärdaten (Null-Bytes); ist das "
                   "eine Excel- oder ZIP-Datei mit falscher Endung?", row=_line_of(raw, pos))
    bad = _first_bad_utf8(raw)
    if bad is None:
        return UTF8
    good = _UTF8_MULTIBYTE.search(raw)
    if good is not None and good.start() < len(raw):
        # Valid UTF-8 multi-byte sequences AND invalid bytes: lines in two encodings.
        if _first_bad_utf8(good.group(0)) is None and _UTF8_MULTIBYTE_ONLY(raw, good):
            raise fail(
                file,
                "eine einheitliche Kodierung – gefunden: gemischt UTF-8 (z. B. Zeile "
                f"{_line_of(raw, good.start())}) und Windows-1252/ANSI (erstmals Zeile "
                f"{_line_of(raw, bad[0])}). Bitte die Datei einheitlich als „CSV UTF-8“ "
                "speichern",
                row=_line_of(raw, bad[0]),
                value=_bad_bytes_text(bad[1]),
            )
    try:
        raw.decode("cp1252")
        return CP1252
    except UnicodeDecodeError:
        return LATIN1


def _UTF8_MULTIBYTE_ONLY(raw: bytes, match: re.Match[bytes]) -> bool:  # noqa: N802
    """True when the found UTF-8 sequence is really text (ä, ö, ü, ß, €, …), not cp1252 noise."""
    try:
        ch = match.group(0).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return ch.isprintable() and not ("\u0080" <= ch <= "\u009f")


def _check_utf16(raw: bytes, file: str, enc: Encoding) -> Encoding:
    body = raw[enc.bom :]
    if len(body) % 2:
        body = body[:-1]
    try:
        text = body.decode(enc.codec)
    except UnicodeDecodeError as exc:
        raise fail(file, f"gültiger {enc.name}-Text – gefunden: ungültige Bytefolge "
                   f"(Zeile {body[: exc.start].decode(enc.codec, 'replace').count(chr(10)) + 1})"
                   ) from None
    if text.startswith("\ufeff"):
        raise fail(file, "Text mit höchstens einer Byte-Reihenfolge-Markierung (BOM) – "
                   f"gefunden: zwei BOMs ({enc.name}). Bitte als „CSV UTF-8“ neu speichern",
                   row=1)
    return enc


def decode_text(raw: bytes, file: str) -> tuple[str, Encoding]:
    """Decode ``raw`` with :func:`detect_encoding`; returns text (no BOM) and the encoding."""
    enc = detect_encoding(raw, file)
    body = raw[enc.bom :]
    if enc.codec.startswith("utf-16") and len(body) % 2:
        body = body[:-1]
    text = body.decode(enc.codec, errors="replace")
    return text, enc


# --------------------------------------------------------------------------------------------
# Control characters in echoed values
# --------------------------------------------------------------------------------------------

_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x9b]")


def first_control_char(text: str) -> int | None:
    m = _CONTROL_IN_TEXT.search(text)
    return m.start() if m else None


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """Records of a CSV file, each with the editor line number where it starts."""

    rows: list[tuple[int, list[str]]]
    sep: str
    encoding: Encoding


def _row_limit(text: str, file: str, limits: Limits) -> None:
    lines = text.count("\n") + 1
    if lines > limits.max_rows + 1:
        raise fail(file, f"höchstens {fmt_n(limits.max_rows)} Datenzeilen – gefunden: "
                   f"{fmt_n(lines)} Zeilen. Bitte die Datei aufteilen")


def read_csv_text(path: str | Path, limits: Limits | None = None) -> tuple[str, Encoding]:
    """Size check, bounded read, encoding detection, row limit → text."""
    limits = limits or LIMITS
    path = Path(path)
    raw = read_limited(path, limits)
    if container_kind(raw[:8]) != "other":
        raise fail(path.name, "eine Textdatei (CSV) – gefunden: eine Excel-/ZIP-Datei mit "
                   f"Endung „{path.suffix}“; bitte als .xlsx speichern oder als CSV exportieren")
    text, enc = decode_text(raw, path.name)
    del raw
    _row_limit(text, path.name, limits)
    return text, enc


def read_csv_records(
    path: str | Path,
    *,
    seps: tuple[str, ...] = (";", "\t"),
    limits: Limits | None = None,
) -> CsvTable:
    """Strict CSV reading: records with their start line, bounded by :class:`Limits`.

    The separator is the first of ``seps`` found in the first non-empty line. Quoted cells may
    span lines (Excel writes line breaks in cells so), but a quote that is never closed, or a
    quoted cell that swallows following lines containing the separator, is an error naming the
    line where the quote opened.
    """
    limits = limits or LIMITS
    path = Path(path)
    text, enc = read_csv_text(path, limits)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = next((s for s in seps if s in first), seps[0])
    rows = parse_csv(text, sep, path.name, limits)
    return CsvTable(rows, sep, enc)


def parse_csv(text: str, sep: str, file: str, limits: Limits | None = None
              ) -> list[tuple[int, list[str]]]:
    limits = limits or LIMITS
    old = csv.field_size_limit()
    csv.field_size_limit(limits.max_field_chars + 1)
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"',
                        strict=True)
    start = 1
    try:
        while True:
            start = reader.line_num + 1
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise _csv_problem(exc, text, file, start, reader.line_num, limits) from None
            end = reader.line_num
            if end > start:
                for pos, cell in enumerate(rec):
                    if "\n" in cell or "\r" in cell:
                        tail = cell.split("\n", 1)[1] if "\n" in cell else cell
                        if sep in tail or end - start > 50:
                            raise fail(
                                file,
                                "schließendes Anführungszeichen „\"“ – das in Zeile "
                                f"{start} geöffnete Feld reicht bis Zeile {end} und enthält "
                                "weitere Zeilen mit Trennzeichen (Anführungszeichen vergessen?)",
                                row=start, column=f"Spalte {pos + 1}", value=cell[:60],
                            )
            for pos, cell in enumerate(rec):
                if len(cell) > limits.max_field_chars:  # pragma: no cover - csv limit first
                    raise fail(file, _field_text(limits), row=start, column=f"Spalte {pos + 1}")
            if len(rec) > limits.max_columns:
                raise fail(file, f"höchstens {fmt_n(limits.max_columns)} Spalten – gefunden: "
                           f"{fmt_n(len(rec))}", row=start)
            rows.append((start, rec))
            if len(rows) > limits.max_rows + 1:
                raise fail(file, f"höchstens {fmt_n(limits.max_rows)} Datenzeilen")
    finally:
        csv.field_size_limit(old)
    return rows


def _field_text(limits: Limits) -> str:
    return (f"Feldinhalt höchstens {fmt_n(limits.max_field_chars)} Zeichen (Grenze wie in Excel) "
            "– gefunden: länger")


def _csv_problem(exc: csv.Error, text: str, file: str, start: int, line: int, limits: Limits
                 ) -> DataValidationError:
    msg = str(exc)
    if "field larger than field limit" in msg:
        return fail(file, _field_text(limits), row=start)
    if "unexpected end of data" in msg or "newline inside string" in msg:
        return fail(file, "schließendes Anführungszeichen „\"“ – das in Zeile "
                    f"{start} geöffnete Anführungszeichen wird bis zum Dateiende nicht "
                    "geschlossen", row=start)
    if "expected after" in msg:
        return fail(file, "nach einem schließenden Anführungszeichen direkt das Trennzeichen "
                    "oder das Zeilenende (Anführungszeichen im Text verdoppeln: \"\")",
                    row=line)
    if "NUL" in msg:
        return fail(file, "Text ohne Null-Bytes (Binärdaten gefunden)", row=line)
    return fail(file, "gültige CSV-Zeile (Anführungszeichen prüfen)", row=line)


def check_csv_lines(lines: list[str], first_lineno: int, file: str, sep: str,
                    limits: Limits | None = None) -> list[Problem]:
    """Checks for the line-based official CSV loaders (one record per line): field length,
    unclosed quote per line (odd number of ``"``), column count."""
    limits = limits or LIMITS
    problems: list[Problem] = []
    for i, line in enumerate(lines, start=first_lineno):
        if len(line) > limits.max_field_chars:
            longest = max((len(f) for f in line.split(sep)), default=0)
            if longest > limits.max_field_chars:
                problems.append(Problem(file, i, None, line[:60], _field_text(limits)))
        if '"' in line and line.count('"') % 2:
            problems.append(Problem(file, i, None, line[:60],
                                    "schließendes Anführungszeichen „\"“ in derselben Zeile "
                                    f"(in Zeile {i} geöffnet, nicht geschlossen)"))
        if line.count(sep) >= limits.max_columns:
            problems.append(Problem(file, i, None, None, f"höchstens "
                                    f"{fmt_n(limits.max_columns)} Spalten"))
        if len(problems) >= 25:
            break
    return problems


# --------------------------------------------------------------------------------------------
# xlsx
# --------------------------------------------------------------------------------------------

# Built-in number formats that are dates/times (ECMA-376 18.8.30 plus the East-Asian ids).
_BUILTIN_DATE_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(
    range(50, 59)
)
_BUILTIN_PERCENT_IDS = {9, 10}


def _classify_format(code: str) -> str | None:
    """``date``, ``percent`` or None for a custom number format code."""
    stripped = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code)
    if "%" in stripped:
        return "percent"
    if code.lower() == "general":
        return None
    if re.search(r"[dmyhsDMYHSjJtT]", stripped.split(";")[0]):
        return "date"
    return None


@dataclass
class XlsxSheet:
    """One sheet read by :func:`read_xlsx`.

    ``rows[i]`` is Excel row ``i + 1`` (dense; cells ``None`` when empty), as text the way the
    loaders expect it: numbers ``19480`` / ``12.34``, date cells ``2025-12-31`` (or
    ``2025-12-31 14:30:00``), percent cells ``12.5%``, booleans ``WAHR``/``FALSCH``.
    ``merged`` holds merged ranges as (row1, col1, row2, col2), 1-based.
    ``errors`` holds error cells (row, col, text) – their cells are ``None`` in ``rows``;
    callers refuse them (:meth:`raise_errors`) unless a documented exception applies.
    """

    file: str
    name: str
    index: int
    rows: list[list[str | None]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    truncated: bool = False
    numeric: set[tuple[int, int]] = field(default_factory=set)  # with ``track_numeric``

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def to_frame(self):
        """All rows as a polars frame of strings (``column_0`` …), row index = Excel row - 1."""
        import polars as pl

        width = self.width
        if width == 0:
            return pl.DataFrame()
        names = [f"column_{i}" for i in range(width)]
        padded = [r + [None] * (width - len(r)) for r in self.rows]
        return pl.DataFrame(padded, schema={n: pl.String for n in names}, orient="row")

    def raise_errors(self, allowed_columns: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        bad = [e for e in self.errors if e[1] not in allowed_columns]
        if bad:
            raise DataValidationError([
                Problem(self.file, r, column_letter(c), text,
                        f"ein Wert statt eines Excel-Fehlerwerts in Zelle {cell_ref(r, c)} "
                        f"(Blatt „{self.name}“) – Formel korrigieren oder Wert eintragen")
                for r, c, text in bad[:25]
            ])

    def merged_problems(self, first_row: int, last_row: int | None = None) -> list[Problem]:
        """Merged ranges touching rows ``first_row..last_row`` (the data area)."""
        out = []
        for r1, c1, r2, c2 in self.merged:
            if r2 >= first_row and (last_row is None or r1 <= last_row):
                out.append(Problem(
                    self.file, r1, column_letter(c1), f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}",
                    f"keine verbundenen Zellen im Datenbereich (Blatt „{self.name}“) – "
                    "Zellverbund aufheben und jeden Wert in seine eigene Zelle schreiben"))
        return out


class _Stop(Exception):
    """Internal: stop parsing (enough rows read, or a hidden sheet proved to hold data)."""


class _Refuse(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


@dataclass
class _Workbook:
    zf: zipfile.ZipFile
    file: str
    sheets: list[tuple[str, str, str]]  # name, state, member path
    styles: list[str | None]  # per cellXfs index: "date", "percent" or None
    date1904: bool
    shared_strings_member: str | None
    limits: Limits
    full_calc_on_load: bool = False
    _shared: list[str] | None = None

    def shared(self) -> list[str]:
        if self._shared is None:
            self._shared = (
                _read_shared_strings(self, self.shared_strings_member)
                if self.shared_strings_member else []
            )
        return self._shared


def _member_stream(wb_zf: zipfile.ZipFile, name: str, file: str) -> Iterator[bytes]:
    try:
        with wb_zf.open(name) as fh:
            while True:
                chunk = fh.read(MIB)
                if not chunk:
                    return
                yield chunk
    except KeyError:
        raise fail(file, f"vollständige xlsx-Datei – Bestandteil „{name}“ fehlt") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise fail(file, "unbeschädigte xlsx-Datei – der ZIP-Inhalt ist beschädigt oder "
                   "abgeschnitten (Prüfsumme falsch). In Excel öffnen und neu speichern"
                   ) from None
    except (RuntimeError, NotImplementedError):
        raise fail(file, "xlsx-Datei ohne Kennwortschutz/Verschlüsselung") from None


def _parse(wb_zf: zipfile.ZipFile, member: str, file: str, start, end=None, data=None) -> None:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 65536

    def doctype(*_args):
        raise _Refuse(Problem(file, None, None, member, "xlsx ohne DOCTYPE/Entitäten "
                              "(gefunden in einem Bestandteil der Datei)"))

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if data is not None:
        parser.CharacterDataHandler = data
    try:
        for chunk in _member_stream(wb_zf, member, file):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise fail(file, f"gültige xlsx-Datei – Bestandteil „{member}“ ist kein gültiges XML "
                   f"(Zeile {exc.lineno}); die Datei ist beschädigt") from None


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _open_workbook(path: Path, limits: Limits) -> _Workbook:
    file = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise fail(file, "vollständige xlsx-Datei (ZIP-Container) – die Datei ist abgeschnitten "
                   "oder beschädigt. Bitte erneut herunterladen oder in Excel neu speichern"
                   ) from None
    infos = zf.infolist()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise fail(file, "xlsx-Datei ohne Kennwortschutz/Verschlüsselung")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > limits.max_compression_ratio:
            raise fail(file, f"xlsx-Bestandteile mit Kompressionsrate höchstens "
                       f"{limits.max_compression_ratio}:1 – „{info.filename}“ entpackt sich "
                       f"auf {fmt_bytes(info.file_size)} (Rate {fmt_n(int(ratio))}:1; "
                       "„ZIP-Bombe“?)")
        if total > limits.max_uncompressed_bytes:
            raise fail(file, f"xlsx-Datei entpackt höchstens "
                       f"{fmt_bytes(limits.max_uncompressed_bytes)} – gefunden: mehr "
                       f"(„{info.filename}“ {fmt_bytes(info.file_size)})")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise fail(file, "eine Excel-Datei – gefunden: ein Word-Dokument")
        if "content.xml" in names:
            raise fail(file, "eine xlsx-Datei – gefunden: eine OpenDocument-Datei (.ods); bitte "
                       "als .xlsx speichern")
        raise fail(file, "eine xlsx-Arbeitsmappe – der ZIP-Container enthält keine "
                   "Arbeitsmappe (xl/workbook.xml fehlt)")

    sheets: list[tuple[str, str, str]] = []
    wbpr = {"date1904": False}

    def wb_start(name, attrs):
        name = _local(name)
        if name == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((attrs.get("name", ""), attrs.get("state", "visible"), rid))
        elif name == "workbookPr":
            wbpr["date1904"] = attrs.get("date1904", "0") in ("1", "true")
        elif name == "calcPr":
            # Set by writers that store no real results (xlsxwriter writes 0 for every formula).
            wbpr["full_calc"] = attrs.get("fullCalcOnLoad", "0") in ("1", "true")

    _parse(zf, "xl/workbook.xml", file, wb_start)
    rels: dict[str, str] = {}
    rels_types: dict[str, str] = {}

    def rel_start(name, attrs):
        if _local(name) == "Relationship":
            rels[attrs.get("Id", "")] = attrs.get("Target", "")
            rels_types[attrs.get("Target", "")] = attrs.get("Type", "")

    if "xl/_rels/workbook.xml.rels" in names:
        _parse(zf, "xl/_rels/workbook.xml.rels", file, rel_start)

    def member(target: str) -> str:
        t = target.lstrip("/")
        return t if t.startswith("xl/") else "xl/" + t

    resolved = [(n, s, member(rels.get(rid, ""))) for n, s, rid in sheets]
    shared = next((member(t) for t, ty in rels_types.items() if ty.endswith("/sharedStrings")),
                  "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None)
    styles_member = next((member(t) for t, ty in rels_types.items() if ty.endswith("/styles")),
                         "xl/styles.xml")
    styles = _read_styles(zf, styles_member, file) if styles_member in names else []
    if shared is not None and shared not in names:
        shared = None
    return _Workbook(zf, file, resolved, styles, wbpr["date1904"], shared, limits,
                     full_calc_on_load=wbpr.get("full_calc", False))


def _read_styles(zf: zipfile.ZipFile, member: str, file: str) -> list[str | None]:
    custom: dict[int, str] = {}
    xfs: list[int] = []
    state = {"in_xfs": False}

    def start(name, attrs):
        name = _local(name)
        if name == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif name == "cellXfs":
            state["in_xfs"] = True
        elif name == "xf" and state["in_xfs"]:
            try:
                xfs.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                xfs.append(0)
            if len(xfs) > 65_000:
                raise _Refuse(Problem(file, None, None, None, "höchstens 65.000 Zellformate"))

    def end(name):
        if _local(name) == "cellXfs":
            state["in_xfs"] = False

    _parse(zf, member, file, start, end)
    out: list[str | None] = []
    for fmt_id in xfs:
        if fmt_id in custom:
            out.append(_classify_format(custom[fmt_id]))
        elif fmt_id in _BUILTIN_DATE_IDS:
            out.append("date")
        elif fmt_id in _BUILTIN_PERCENT_IDS:
            out.append("percent")
        else:
            out.append(None)
    return out


def _read_shared_strings(wb: _Workbook, member: str) -> list[str]:
    limits = wb.limits
    strings: list[str] = []
    buf: list[str] = []
    state = {"si": False, "t": False, "rph": False, "n": 0}

    def start(name, attrs):
        name = _local(name)
        if name == "si":
            state["si"] = True
            buf.clear()
            state["n"] = 0
        elif name == "t" and state["si"] and not state["rph"]:
            state["t"] = True
        elif name in ("rPh", "phoneticPr"):
            state["rph"] = True

    def end(name):
        name = _local(name)
        if name == "si":
            state["si"] = False
            strings.append("".join(buf))
            if len(strings) > limits.max_cells:
                raise _Refuse(Problem(wb.file, None, None, None, "höchstens "
                                      f"{fmt_n(limits.max_cells)} verschiedene Texte"))
        elif name == "t":
            state["t"] = False
        elif name == "rPh":
            state["rph"] = False

    def data(text):
        if state["t"]:
            state["n"] += len(text)
            if state["n"] > limits.max_field_chars:
                raise _Refuse(Problem(wb.file, None, None, text[:60], _field_text(limits)))
            buf.append(text)

    _parse(wb.zf, member, wb.file, start, end, data)
    return strings


_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,9})$")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref.strip())
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _excel_date(serial: float, date1904: bool) -> str | None:
    if not (0 <= serial < 2_958_466):  # 9999-12-31
        return None
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    if not date1904 and serial < 61:
        serial += 1  # Excel's fictitious 29.02.1900
    stamp = base + dt.timedelta(days=serial)
    stamp = stamp.replace(microsecond=0) + (
        dt.timedelta(seconds=1) if stamp.microsecond >= 500_000 else dt.timedelta()
    )
    if stamp.time() == dt.time():
        return stamp.date().isoformat()
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def number_text(value: float) -> str:
    """A float as the loaders expect it: ``19480``, ``12.34``; huge values keep their
    exponent (``1.2e+19``) so they never pass as an exact integer."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


_COL_CACHE: dict[str, int] = {}


def _col_number(letters: str) -> int:
    col = _COL_CACHE.get(letters)
    if col is None:
        col = 0
        for ch in letters.upper():
            if not "A" <= ch <= "Z":
                return -1
            col = col * 26 + ord(ch) - 64
        if len(_COL_CACHE) < 20_000:
            _COL_CACHE[letters] = col
    return col


class _SheetParser:
    """expat handlers for one worksheet; plain attributes for speed (GV-ISys: 550 000 tags)."""

    def __init__(self, wb: _Workbook, index: int, stop_after_row: int | None, probe: bool,
                 track_numeric: bool = False):
        self.wb = wb
        self.numeric: set[tuple[int, int]] | None = set() if track_numeric else None
        self.name = wb.sheets[index][0]
        self.index = index
        self.limits = wb.limits
        self.max_row = wb.limits.max_rows + 1
        self.max_col = wb.limits.max_columns
        self.max_chars = wb.limits.max_field_chars
        self.stop_after_row = stop_after_row
        self.probe = probe
        self.rows: dict[int, dict[int, str]] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.errors: list[tuple[int, int, str]] = []
        self.formula_problems: list[Problem] = []
        self.buf: list[str] = []
        self.row = 0
        self.col = 0
        self.t = "n"
        self.s = 0
        self.f = False
        self.v = False
        self.cap = False
        self.inline = False
        self.n = 0
        self.cells = 0
        self.data_found = False
        self.styles = wb.styles
        self.n_styles = len(wb.styles)

    def refuse(self, expected: str, row: int | None = None, value: str | None = None) -> None:
        raise _Refuse(Problem(self.wb.file, row, None, value, expected))

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            if ref is not None:
                letters = ref.rstrip("0123456789")
                digits = ref[len(letters):]
                c = _col_number(letters.lstrip("$").rstrip("$")) if letters else -1
                if c <= 0 or not digits.isdigit() or len(digits) > 9:
                    self.refuse(f"gültige Zellbezüge (Blatt „{self.name}“)", value=ref[:20])
                r = int(digits)
            else:
                r, c = self.row, self.col + 1
            if r > self.max_row:
                self.refuse(f"höchstens {fmt_n(self.limits.max_rows)} Zeilen je Tabellenblatt – "
                            f"Blatt „{self.name}“ hat Inhalt in Zeile {fmt_n(r)}", row=r)
            if c > self.max_col:
                self.refuse(f"höchstens {fmt_n(self.max_col)} Spalten je Tabellenblatt – Blatt "
                            f"„{self.name}“ hat Inhalt in Zelle {cell_ref(r, c)}", row=r)
            self.row, self.col = r, c
            self.t = attrs.get("t", "n")
            s = attrs.get("s")
            self.s = int(s) if s is not None and s.isdigit() else 0
            self.f = self.v = False
            self.buf = []
            self.n = 0
        elif tag == "v":
            self.cap = self.v = True
        elif tag == "row":
            r = attrs.get("r")
            if r is None:
                self.row += 1
            elif r.isdigit() and len(r) <= 9:
                self.row = int(r)
            else:
                self.refuse(f"gültige Zeilennummern (Blatt „{self.name}“)", value=r[:20])
            self.col = 0
            if self.stop_after_row is not None and self.row > self.stop_after_row:
                raise _Stop
            if self.row > self.max_row:
                self.refuse(f"höchstens {fmt_n(self.limits.max_rows)} Zeilen je Tabellenblatt – "
                            f"Blatt „{self.name}“ reicht bis Zeile {fmt_n(self.row)}",
                            row=self.row)
        elif tag == "f":
            self.f = True
        elif tag == "is":
            self.inline = True
        elif tag == "t" and self.inline:
            self.cap = self.v = True
        elif tag == "dimension":
            ref = attrs.get("ref", "")
            last = _parse_ref(ref.split(":")[-1]) if ref else None
            if last is not None and (last[0] > self.max_row or last[1] > self.max_col):
                self.refuse(
                    f"Tabellenblatt mit höchstens {fmt_n(self.limits.max_rows)} Zeilen und "
                    f"{fmt_n(self.max_col)} Spalten – Blatt „{self.name}“ gibt seine Größe mit "
                    f"{ref[:30]} an ({fmt_n(last[0])} Zeilen, {fmt_n(last[1])} Spalten). Leere "
                    "Zeilen/Spalten am Ende löschen und neu speichern", value=ref[:30])
        elif tag == "mergeCell":
            parts = [_parse_ref(p) for p in attrs.get("ref", "").split(":")]
            if len(parts) == 2 and parts[0] and parts[1]:
                self.merged.append((parts[0][0], parts[0][1], parts[1][0], parts[1][1]))
                if len(self.merged) > 10_000:
                    self.refuse("höchstens 10.000 verbundene Zellbereiche")

    def end(self, tag: str) -> None:
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "c":
            self.finish_cell()
        elif tag == "v" or tag == "t":
            self.cap = False
        elif tag == "is":
            self.inline = False

    def data(self, text: str) -> None:
        if self.cap:
            self.n += len(text)
            if self.n > self.max_chars:
                self.refuse(f"Zelle {cell_ref(self.row, self.col)}: "
                            + _field_text(self.limits), row=self.row)
            self.buf.append(text)

    def finish_cell(self) -> None:
        r, c, t = self.row, self.col, self.t
        raw = "".join(self.buf) if self.v else None
        if self.f and self.wb.full_calc_on_load:
            raw = None  # the stored "result" is a placeholder, not what Excel would show
        if not raw:
            if self.f:
                self.formula_problems.append(Problem(
                    self.wb.file, r, column_letter(c), None,
                    f"ein gespeichertes Ergebnis der Formel in Zelle {cell_ref(r, c)} (Blatt "
                    f"„{self.name}“) – die Datei wurde ohne berechnete Werte gespeichert; in "
                    "Excel öffnen, neu berechnen und speichern, oder Werte statt Formeln "
                    "eintragen"))
            return
        value: str
        if t == "n":
            try:
                num = float(raw)
            except ValueError:
                self.refuse(f"eine Zahl in Zelle {cell_ref(r, c)}", row=r, value=raw[:60])
            kind = self.styles[self.s] if self.s < self.n_styles else None
            if num != num or num in (float("inf"), float("-inf")):
                value = raw
            elif kind is None:
                value = number_text(num)
                if self.numeric is not None:
                    self.numeric.add((r, c))
            elif kind == "date":
                value = _excel_date(num, self.wb.date1904) or number_text(num)
            else:
                value = number_text(round(num * 100, 10)) + "%"
        elif t == "s":
            try:
                value = self.wb.shared()[int(raw)]
            except (ValueError, IndexError):
                self.refuse(f"gültiger Textverweis in Zelle {cell_ref(r, c)}", row=r,
                            value=raw[:20])
        elif t in ("str", "inlineStr"):
            value = raw
        elif t == "b":
            value = "WAHR" if raw.strip() in ("1", "true") else "FALSCH"
        elif t == "e":
            self.errors.append((r, c, raw.strip()[:20]))
            return
        elif t == "d":
            value = raw.strip()[:19].replace("T", " ")
        else:
            self.refuse(f"bekannter Zelltyp in Zelle {cell_ref(r, c)}", row=r, value=t[:10])
        if self.probe:
            self.data_found = True
            raise _Stop
        self.cells += 1
        if self.cells > self.limits.max_cells:
            self.refuse(f"höchstens {fmt_n(self.limits.max_cells)} gefüllte Zellen je "
                        "Tabellenblatt")
        row = self.rows.get(r)
        if row is None:
            row = self.rows[r] = {}
        row[c] = value


def _sheet_reader(wb: _Workbook, index: int, *, stop_after_row: int | None,
                  probe: bool, track_numeric: bool = False) -> XlsxSheet:
    """Stream one sheet. ``probe``: only find out whether it holds any value."""
    sp = _SheetParser(wb, index, stop_after_row, probe, track_numeric)
    name, _state, member = wb.sheets[index]
    truncated = False
    try:
        _parse(wb.zf, member, wb.file, sp.start, sp.end, sp.data)
    except _Stop:
        truncated = True
    if sp.formula_problems:
        raise DataValidationError(sp.formula_problems[:25])
    if probe:
        return XlsxSheet(wb.file, name, index, [[("x" if sp.data_found else None)]])
    n_rows = max(sp.rows, default=0)
    dense: list[list[str | None]] = []
    for r in range(1, n_rows + 1):
        cells = sp.rows.get(r)
        if not cells:
            dense.append([])
            continue
        line: list[str | None] = [None] * max(cells)
        for c, v in cells.items():
            line[c - 1] = v
        dense.append(line)
    return XlsxSheet(wb.file, name, index, dense, sp.merged, sp.errors, truncated,
                     sp.numeric or set())


def read_xlsx(
    path: str | Path,
    sheet: int | str | None = 0,
    *,
    limits: Limits | None = None,
    stop_after_row: int | None = None,
    track_numeric: bool = False,
) -> XlsxSheet:
    """Read one sheet of an xlsx file safely (see module docstring).

    ``sheet`` is a visible sheet's index or name (a name not found falls back to index 0).
    Hidden and very hidden sheets that hold data refuse the whole workbook: their stale values
    would otherwise pass unseen. ``stop_after_row`` reads only the first rows (format
    detection). Raises :class:`DataValidationError` with German problems.
    """
    limits = limits or LIMITS
    path = Path(path)
    check_file(path, limits)
    with open(path, "rb") as fh:
        head = fh.read(8)
    kind = container_kind(head)
    if kind == "ole":
        raw = read_limited(path, limits)
        check_ole(path, raw, expect_xls=False)
    if kind != "zip":
        raise fail(path.name, "eine xlsx-Arbeitsmappe – gefunden: keine Excel-Datei (kein "
                   "ZIP-Container; vielleicht CSV/Text mit Endung .xlsx?)")
    try:
        wb = _open_workbook(path, limits)
    except _Refuse as exc:
        raise DataValidationError([exc.problem]) from None
    try:
        return _read_sheet(wb, sheet, stop_after_row, track_numeric)
    except _Refuse as exc:
        raise DataValidationError([exc.problem]) from None
    finally:
        wb.zf.close()


def sheet_names(path: str | Path, limits: Limits | None = None) -> list[str]:
    limits = limits or LIMITS
    path = Path(path)
    check_file(path, limits)
    try:
        wb = _open_workbook(path, limits)
    except _Refuse as exc:
        raise DataValidationError([exc.problem]) from None
    wb.zf.close()
    return [n for n, _s, _m in wb.sheets]


def _read_sheet(wb: _Workbook, sheet: int | str | None, stop_after_row: int | None,
                track_numeric: bool = False) -> XlsxSheet:
    if not wb.sheets:
        raise fail(wb.file, "eine Arbeitsmappe mit mindestens einem Tabellenblatt")
    names = [n for n, _s, _m in wb.sheets]
    if isinstance(sheet, str):
        index = names.index(sheet) if sheet in names else 0
    else:
        index = sheet or 0
    if index >= len(wb.sheets):
        raise fail(wb.file, f"Arbeitsmappe mit mindestens {index + 1} Tabellenblättern – "
                   f"gefunden: {len(wb.sheets)}")
    if stop_after_row is None:
        for i, (name, state, _member) in enumerate(wb.sheets):
            if state in ("hidden", "veryHidden"):
                probe = _sheet_reader(wb, i, stop_after_row=None, probe=True)
                if probe.rows[0][0] is not None:
                    label = "ausgeblendete" if state == "hidden" else "sehr versteckte"
                    raise fail(
                        wb.file,
                        f"keine ausgeblendeten Tabellenblätter mit Daten – Blatt „{name}“ ist "
                        f"{label}s Blatt und enthält Werte, die man in Excel nicht sieht (alte "
                        "Stände?). Blatt einblenden und löschen oder leeren, dann speichern",
                        value=name,
                    )
    name, state, _member = wb.sheets[index]
    if state in ("hidden", "veryHidden"):
        raise fail(wb.file, f"ein sichtbares Tabellenblatt – Blatt „{name}“ ist ausgeblendet",
                   value=name)
    return _sheet_reader(wb, index, stop_after_row=stop_after_row, probe=False,
                         track_numeric=track_numeric)


# --------------------------------------------------------------------------------------------
# Legacy .xls (BIFF) in a bounded child process
# --------------------------------------------------------------------------------------------

_XLS_CHILD = r"""
import json, resource, sys
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import fastexcel
reader = fastexcel.read_excel(sys.argv[1])
idx = int(sys.argv[3])
names = reader.sheet_names
if idx >= len(names):
    print(json.dumps({"sheets": len(names)})); sys.exit(0)
frame = reader.load_sheet(idx, header_row=None, dtypes="string").to_polars()
if frame.height > int(sys.argv[4]) or frame.width > int(sys.argv[5]):
    print(json.dumps({"too_big": [frame.height, frame.width]})); sys.exit(0)
print(json.dumps({"rows": [list(r) for r in frame.iter_rows()], "name": names[idx]}))
"""


def read_xls(path: str | Path, sheet: int = 0, *, limits: Limits | None = None) -> XlsxSheet:
    """Read a legacy Excel 97 .xls sheet in a child process with memory/time limits."""
    limits = limits or LIMITS
    path = Path(path)
    raw = read_limited(path, limits)
    if container_kind(raw[:8]) == "zip":
        return read_xlsx(path, sheet, limits=limits)
    if container_kind(raw[:8]) != "ole":
        raise fail(path.name, "eine Excel-Datei (.xls) – gefunden: keine Excel-Datei")
    check_ole(path, raw, expect_xls=True)
    del raw
    cmd = [sys.executable, "-c", _XLS_CHILD, str(path), str(limits.xls_memory_bytes),
           str(sheet), str(limits.max_rows + 1), str(limits.max_columns)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=limits.xls_timeout_s,
                              env={**os.environ, "POLARS_MAX_THREADS": "1"})
    except subprocess.TimeoutExpired:
        raise fail(path.name, "eine Excel-97-Datei (.xls), die in höchstens "
                   f"{limits.xls_timeout_s:.0f} s gelesen werden kann – bitte als .xlsx "
                   "speichern") from None
    unreadable = ("lesbare Excel-97-Datei (.xls) – die Datei ist beschädigt, kennwortgeschützt "
                  "oder zu groß. In Excel öffnen und als .xlsx speichern")
    if proc.returncode != 0:
        raise fail(path.name, unreadable)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise fail(path.name, unreadable) from None
    if "sheets" in out:
        raise fail(path.name, f"Arbeitsmappe mit mindestens {sheet + 1} Tabellenblättern – "
                   f"gefunden: {out['sheets']}")
    if "too_big" in out:
        h, w = out["too_big"]
        raise fail(path.name, f"höchstens {fmt_n(limits.max_rows)} Zeilen und "
                   f"{fmt_n(limits.max_columns)} Spalten – gefunden: {fmt_n(h)} × {fmt_n(w)}")
    rows = [[None if c is None or c == "" else str(c) for c in r] for r in out["rows"]]
    return XlsxSheet(path.name, out.get("name", ""), sheet, rows)


def read_workbook_sheet(path: str | Path, sheet: int | str | None = 0, *,
                        limits: Limits | None = None, stop_after_row: int | None = None
                        ) -> XlsxSheet:
    """xlsx or legacy xls by content (an .xls renamed .xlsx is refused by :func:`read_xlsx`)."""
    path = Path(path)
    if path.suffix.lower() == ".xls":
        return read_xls(path, sheet if isinstance(sheet, int) else 0, limits=limits)
    return read_xlsx(path, sheet, limits=limits, stop_after_row=stop_after_row)


__all__ = [
    "LIMITS",
    "CsvTable",
    "Encoding",
    "Limits",
    "XlsxSheet",
    "check_csv_lines",
    "check_file",
    "decode_text",
    "detect_encoding",
    "read_csv_records",
    "read_csv_text",
    "read_limited",
    "read_workbook_sheet",
    "read_xls",
    "read_xlsx",
]
