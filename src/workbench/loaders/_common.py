"""Shared parsing helpers for the loaders: decoding, `;`-CSV splitting, vectorised checks.

All checks work on whole polars columns; only the (few) offending rows are turned into
:class:`~workbench.exceptions.Problem` objects. Every string frame built here carries a
``_line`` column with the 1-based line/Excel row a user sees.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import polars as pl

from workbench.exceptions import DataValidationError, Problem

# Official "no value" markers of the statistical offices (Zeichenerklärung):
# "-" nichts vorhanden, "." Zahlenwert unbekannt oder geheimzuhalten,
# "x" Tabellenfach gesperrt, "/" keine Angabe (Aussagewert eingeschränkt), "…" noch nicht verfügbar.
MARKERS: tuple[str, ...] = ("-", ".", "x", "X", "/", "…", "...")
MARKERS_TEXT = "„-“, „.“, „x“, „/“"

MIN_DATE = dt.date(1950, 1, 1)

LINE = "_line"


class Collector:
    """Collects problems for one file; ``raise_if_any`` ends a load with all of them."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.file = self.path.name
        self.problems: list[Problem] = []

    def add(
        self,
        row: int | None,
        column: str | None,
        value: object,
        expected: str,
    ) -> None:
        self.problems.append(
            Problem(self.file, row, column, None if value is None else str(value), expected)
        )

    def file_problem(self, expected: str, value: object = None) -> None:
        self.add(None, None, value, expected)

    def rows(self, frame: pl.DataFrame, column: str, value_col: str, expected: str) -> None:
        """Add one problem per row of ``frame`` (already filtered to the offending rows)."""
        for line, value in frame.select(LINE, value_col).iter_rows():
            self.add(line, column, "" if value is None else value, expected)

    def fail(self) -> DataValidationError:
        return DataValidationError(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataValidationError(self.problems)


# --------------------------------------------------------------------------------------------
# Reading text
# --------------------------------------------------------------------------------------------


def read_bytes(col: Collector) -> bytes:
    """The whole file, after the size limit of :mod:`workbench.tabular` was checked."""
    from workbench import tabular

    json_file = col.path.suffix.lower() in (".json", ".geojson")
    try:
        raw = tabular.read_limited(col.path, json_file=json_file)
    except DataValidationError as exc:
        col.problems.extend(exc.problems)
        raise col.fail() from None
    if not json_file and tabular.container_kind(raw[:8]) != "other":
        col.file_problem("eine Textdatei (CSV) – gefunden: eine Excel-/ZIP-Datei mit Endung "
                         f"„{col.path.suffix}“")
        raise col.fail()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        col.file_problem("Datei ist leer")
        raise col.fail()
    return raw


def decode(raw: bytes, col: Collector, encoding: str) -> str:
    """Decode ``raw`` as ``encoding`` ("utf-8", "latin-1" or "auto"), reporting misfits.

    * UTF-8 expected, other bytes found: one problem per affected line (file is kept readable by
      substituting the bad bytes so the remaining checks still run).
    * Latin-1 expected but the file is valid UTF-8 with non-ASCII characters: the text would be
      garbled (``Ã¼`` for ``ü``) – reported once with the first affected line.
    * ``auto``: UTF-8 if it decodes, Latin-1 otherwise (for user files, which come both ways).

    Before that, :func:`workbench.tabular.detect_encoding` refuses what no expectation can
    repair (a BOM contradicting the body, two BOMs, UTF-8 and Windows-1252 mixed, binary data);
    UTF-16 is accepted for ``auto`` and named as the wrong encoding otherwise.
    """
    from workbench import tabular

    try:
        enc = tabular.detect_encoding(raw, col.file)
    except DataValidationError as exc:
        col.problems.extend(exc.problems)
        raise col.fail() from None
    if enc.codec.startswith("utf-16"):
        if encoding == "auto":
            return tabular.decode_text(raw, col.file)[0]
        wanted = "UTF-8" if encoding == "utf-8" else "Latin-1 (ISO-8859-1)"
        col.file_problem(f"{wanted}-kodierter Text – gefunden: {enc.name}. Bitte als „CSV UTF-8“ "
                         "speichern" if encoding == "utf-8" else
                         f"{wanted}-kodierter Text wie geliefert – gefunden: {enc.name}")
        raise col.fail()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        if encoding == "latin-1":
            col.file_problem(
                "Latin-1 (ISO-8859-1) kodierte Datei wie von GENESIS geliefert – "
                "Datei beginnt mit UTF-8-BOM (wurde sie neu gespeichert?)"
            )
            return raw.decode("utf-8", errors="replace")
    if encoding == "auto":
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    if encoding == "utf-8":
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            for lineno, line in enumerate(raw.split(b"\n"), start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad = line[exc.start : exc.end]
                    col.add(
                        lineno,
                        None,
                        f"Byte 0x{bad.hex().upper()} („{bad.decode('cp1252', errors='replace')}“ "
                        "in Latin-1/Windows-1252)",
                        "UTF-8-kodierter Text (Datei ist vermutlich als Latin-1/ANSI gespeichert)",
                    )
            return raw.decode("utf-8", errors="replace")
    # latin-1: valid UTF-8 with non-ASCII characters means the file was re-saved as UTF-8.
    try:
        as_utf8 = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
    if not as_utf8.isascii():
        for lineno, line in enumerate(as_utf8.split("\n"), start=1):
            if not line.isascii():
                garbled = line.encode("utf-8").decode("latin-1")
                col.add(
                    lineno,
                    None,
                    _first_non_ascii(garbled),
                    "Latin-1 (ISO-8859-1) kodierter Text wie von GENESIS geliefert – "
                    "die Datei ist UTF-8-kodiert",
                )
                break
        return as_utf8
    return raw.decode("latin-1")


def _first_non_ascii(text: str, width: int = 12) -> str:
    for i, ch in enumerate(text):
        if not ch.isascii():
            return text[max(0, i - width) : i + width].strip()
    return text[:width]


def split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def check_separator(
    header_line: str, header_lineno: int, col: Collector, sep: str, expected_header: str
) -> bool:
    """Report a wrong separator in the header line; return False if the file cannot be split."""
    if sep in header_line:
        return True
    others = {";": "Semikolon", ",": "Komma", "\t": "Tabulator", "|": "senkrechter Strich"}
    found = [name for s, name in others.items() if s != sep and s in header_line]
    sep_name = others.get(sep, sep)
    col.add(
        header_lineno,
        None,
        header_line,
        f"Kopfzeile „{expected_header}“ mit {sep_name} „{sep}“ als Trennzeichen"
        + (f" – gefunden: {', '.join(found)}" if found else ""),
    )
    return False


def split_rows(
    lines: Sequence[str],
    first_lineno: int,
    columns: Sequence[str],
    col: Collector,
    *,
    sep: str = ";",
    display: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Split ``lines`` (data rows only) into a string frame with ``columns`` and ``_line``.

    Rows with the wrong number of fields (cut-off rows, wrong separator, stray separators) are
    reported with their line number and left out; quoting (``"a;b"``) is honoured.
    """
    n = len(columns)
    numbers = list(range(first_lineno, first_lineno + len(lines)))
    frame = pl.DataFrame(
        {LINE: pl.Series(numbers, dtype=pl.Int64), "_raw": pl.Series(list(lines), dtype=pl.String)}
    )
    frame = frame.filter(pl.col("_raw").str.strip_chars() != "")
    if frame.is_empty():
        return pl.DataFrame(
            {c: [] for c in [*columns, LINE]},
            schema={**{c: pl.String for c in columns}, LINE: pl.Int64},
        )
    counts = frame.select(
        pl.col("_raw").str.count_matches(sep, literal=True).alias("n"),
        pl.col("_raw").str.contains('"', literal=True).alias("q"),
    )
    frame = frame.with_columns(counts["n"] + 1, counts["q"])  # n = field count (no quotes)
    quoted = frame.filter(pl.col("q"))
    if quoted.height:
        # Quote-aware field count for the few lines with quotes.
        fixed = [
            len(next(csv.reader([raw], delimiter=sep, quotechar='"')))
            for raw in quoted["_raw"].to_list()
        ]
        frame = frame.update(
            quoted.select(LINE, pl.Series("n", fixed, dtype=frame["n"].dtype)), on=LINE
        )
    bad = frame.filter(pl.col("n") != n)
    shown = display or columns
    for line, raw, count in bad.select(LINE, "_raw", "n").iter_rows():
        col.add(
            line,
            None,
            raw,
            f"{n} Felder getrennt durch „{sep}“ ({', '.join(shown[:4])}, …) – gefunden: {count} "
            "Felder (Zeile abgeschnitten oder falsches Trennzeichen?)",
        )
    good = frame.filter(pl.col("n") == n)
    if good.is_empty():
        return pl.DataFrame(schema={**{c: pl.String for c in columns}, LINE: pl.Int64})
    if not good["q"].any():
        parts = good.select(
            pl.col(LINE), pl.col("_raw").str.split_exact(sep, n - 1).alias("_s")
        ).unnest("_s")
        parts.columns = [LINE, *columns]
        return parts.select(*columns, LINE)
    body = "\n".join(good["_raw"].to_list()).encode("utf-8")
    parsed = pl.read_csv(
        io.BytesIO(body),
        has_header=False,
        separator=sep,
        new_columns=list(columns),
        infer_schema=False,
        quote_char='"',
        empty_string_is_null=False,
    )
    return parsed.with_columns(good[LINE])


# --------------------------------------------------------------------------------------------
# Vectorised conversions
# --------------------------------------------------------------------------------------------


def _clean(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame[column].cast(pl.String).str.strip_chars()


def text_col(frame: pl.DataFrame, column: str) -> pl.Series:
    """A text column stripped of surrounding blanks; empty cells become null."""
    s = _clean(frame, column)
    return pl.select(pl.when(s == "").then(None).otherwise(s)).to_series().alias(column)


def to_int(
    frame: pl.DataFrame,
    column: str,
    col: Collector,
    *,
    display: str | None = None,
    markers: Iterable[str] = MARKERS,
    allow_float_zero: bool = False,
    thousands_dot: bool = False,
    required: bool = False,
    nonnegative: bool = True,
) -> pl.Series:
    """Parse a count column: markers → null, anything else non-integer → problem."""
    display = display or column
    s = _clean(frame, column)
    marker = s.is_in(list(markers)).fill_null(False)
    empty = s.is_null() | (s == "")
    digits = s
    if thousands_dot:
        grouped = s.str.contains(r"^-?\d{1,3}(\.\d{3})+$").fill_null(False)
        digits = pl.select(
            pl.when(grouped).then(s.str.replace_all(".", "", literal=True)).otherwise(s)
        ).to_series()
    if allow_float_zero:
        digits = digits.str.replace(r"\.0+$", "")
    ok = digits.str.contains(r"^-?\d+$").fill_null(False)
    bad = ~(ok | marker | empty)
    tmp = frame.select(LINE).with_columns(s.alias("_v"))
    what = "ganze Zahl" + (" oder Kennzeichen " + MARKERS_TEXT if markers else "")
    if nonnegative:
        what = "nicht-negative " + what
    col.rows(tmp.filter(bad), display, "_v", what)
    if required:
        col.rows(
            tmp.filter(empty | marker),
            display,
            "_v",
            "Zahl (Pflichtfeld: leer oder Kennzeichen nicht erlaubt)",
        )
    values = pl.select(
        pl.when(ok).then(digits).otherwise(None).cast(pl.Int64, strict=False)
    ).to_series()
    overflow = (ok & values.is_null()).fill_null(False)
    col.rows(tmp.filter(overflow), display, "_v",
             "ganze Zahl mit höchstens 18 Stellen (Wert zu groß – Tippfehler?)")
    if nonnegative:
        neg = (values < 0).fill_null(False)
        col.rows(tmp.filter(neg), display, "_v", "nicht-negative ganze Zahl")
        values = pl.select(pl.when(neg).then(None).otherwise(values)).to_series()
    return values.alias(column)


def to_float(
    frame: pl.DataFrame,
    column: str,
    col: Collector,
    *,
    display: str | None = None,
    decimal_comma: bool = False,
    markers: Iterable[str] = MARKERS,
    required: bool = False,
    lo: float | None = None,
    hi: float | None = None,
    range_text: str = "",
) -> pl.Series:
    """Parse a decimal column (``1,5`` with ``decimal_comma``); optional range check."""
    display = display or column
    s = _clean(frame, column)
    marker = s.is_in(list(markers)).fill_null(False)
    empty = s.is_null() | (s == "")
    norm = s.str.replace(",", ".", literal=True) if decimal_comma else s
    ok = norm.str.contains(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$").fill_null(False)
    bad = ~(ok | marker | empty)
    tmp = frame.select(LINE).with_columns(s.alias("_v"))
    sep_word = "Dezimalkomma" if decimal_comma else "Dezimalpunkt"
    col.rows(tmp.filter(bad), display, "_v", f"Zahl mit {sep_word} oder Kennzeichen {MARKERS_TEXT}")
    if required:
        col.rows(tmp.filter(empty | marker), display, "_v", "Wert (Pflichtfeld ist leer)")
    values = pl.select(
        pl.when(ok).then(norm).otherwise(None).cast(pl.Float64, strict=False)
    ).to_series()
    if lo is not None or hi is not None:
        out = pl.Series([False] * len(values))
        if lo is not None:
            out = out | (values < lo).fill_null(False)
        if hi is not None:
            out = out | (values > hi).fill_null(False)
        col.rows(tmp.filter(out), display, "_v", range_text or f"Wert zwischen {lo} und {hi}")
        values = pl.select(pl.when(out).then(None).otherwise(values)).to_series()
    return values.alias(column)


def check_key(
    frame: pl.DataFrame,
    column: str,
    col: Collector,
    *,
    lengths: Sequence[int],
    display: str | None = None,
    prefix: str | None = None,
    allowed: Iterable[str] | None = None,
    what: str = "AGS",
) -> pl.Series:
    """Check a territorial key column (digits, allowed lengths, optional prefix/known set)."""
    display = display or column
    s = _clean(frame, column)
    tmp = frame.select(LINE).with_columns(s.alias("_v"))
    length_ok = s.str.len_chars().is_in(list(lengths)).fill_null(False)
    digits_ok = s.str.contains(r"^\d+$").fill_null(False)
    len_text = " oder ".join(str(n) for n in lengths)
    col.rows(
        tmp.filter(~(length_ok & digits_ok)),
        display,
        "_v",
        f"{what} aus {len_text} Ziffern mit führender Null (z. B. 08118067)",
    )
    good = length_ok & digits_ok
    if prefix is not None:
        outside = good & ~s.str.starts_with(prefix).fill_null(False)
        col.rows(
            tmp.filter(outside), display, "_v", f"{what} im Gebiet {prefix} (beginnt mit {prefix})"
        )
        good = good & ~outside
    if allowed is not None:
        unknown = good & ~s.is_in(list(allowed)).fill_null(False)
        col.rows(
            tmp.filter(unknown), display, "_v", f"bekannter {what} (nicht im Gemeindeverzeichnis)"
        )
    return s.alias(column)


def check_duplicates(
    frame: pl.DataFrame, keys: Sequence[str], col: Collector, *, display: str | None = None
) -> None:
    """Report each repeated key combination (all occurrences after the first)."""
    if frame.is_empty():
        return
    dup = frame.filter(pl.struct(keys).is_duplicated())
    if dup.is_empty():
        return
    first = dup.group_by(keys, maintain_order=True).agg(pl.col(LINE).min().alias("_first"))
    later = dup.join(first, on=keys).filter(pl.col(LINE) != pl.col("_first"))
    label = display or " + ".join(keys)
    for row in later.select(LINE, "_first", *keys).iter_rows():
        line, first_line, *vals = row
        col.add(
            line,
            label,
            " / ".join(_show(v) for v in vals),
            f"jede Kombination {label} nur einmal – schon in Zeile {first_line}",
        )


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def check_date_range(
    frame: pl.DataFrame,
    column: str,
    col: Collector,
    *,
    display: str | None = None,
    user: bool = False,
) -> None:
    """Reference dates of official files lie between 1950 and today; dates a user typed
    (``user=True``) between :attr:`workbench.tabular.Limits.min_date` (01.01.1990) and today."""
    from workbench.tabular import LIMITS

    today = dt.date.today()
    low = LIMITS.min_date if user else MIN_DATE
    out = frame.filter(
        pl.col(column).is_not_null() & ((pl.col(column) < low) | (pl.col(column) > today))
    )
    col.rows(
        out.with_columns(pl.col(column).dt.strftime("%d.%m.%Y").alias("_v")),
        display or column,
        "_v",
        f"Stichtag zwischen {low:%d.%m.%Y} und heute ({today:%d.%m.%Y})",
    )


def check_not_greater(
    frame: pl.DataFrame,
    part: str,
    whole: str,
    col: Collector,
    *,
    display_part: str,
    display_whole: str,
) -> None:
    out = frame.filter((pl.col(part) > pl.col(whole)).fill_null(False))
    col.rows(
        out.with_columns(pl.col(part).cast(pl.String).alias("_v")),
        display_part,
        "_v",
        f"höchstens so groß wie „{display_whole}“",
    )


def parse_german_dates(
    frame: pl.DataFrame, column: str, col: Collector, *, display: str | None = None
) -> pl.Series:
    """Parse ``31.12.2023`` or ``2023-12-31`` (and Excel date/date-time cells rendered as ISO,
    ``2023-12-31 14:30:00``: the date counts)."""
    display = display or column
    s = _clean(frame, column).str.replace(
        r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "$1"
    )
    de = s.str.strptime(pl.Date, "%d.%m.%Y", strict=False)
    iso = s.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    values = de.fill_null(iso)
    tmp = frame.select(LINE).with_columns(s.alias("_v"))
    col.rows(
        tmp.filter(values.is_null()),
        display,
        "_v",
        "Datum als TT.MM.JJJJ (z. B. 31.12.2023)",
    )
    return values.alias(column)


def require_columns(
    found: Sequence[str],
    expected: Sequence[str],
    col: Collector,
    *,
    row: int | None,
) -> bool:
    """Report missing and unexpected column names; True when all expected ones exist."""
    missing = [c for c in expected if c not in found]
    for name in missing:
        col.add(row, name, None, f"Spalte „{name}“ fehlt (gefundene Spalten: {', '.join(found)})")
    return not missing


def check_schema(frame: pl.DataFrame, schema: dict[str, pl.DataType], file: str) -> pl.DataFrame:
    """Ensure a loader returns exactly its documented schema (guards against our own drift)."""
    got = dict(frame.schema)
    if list(got) != list(schema) or any(got[k] != v for k, v in schema.items()):
        raise DataValidationError(
            [
                Problem(
                    file,
                    None,
                    None,
                    ", ".join(f"{k}:{v}" for k, v in got.items()),
                    "Spalten/Typen gemäß dokumentiertem Schema "
                    + ", ".join(f"{k}:{v}" for k, v in schema.items()),
                )
            ]
        )
    return frame


def _check_lines(lines: list[str], col: Collector, sep: str) -> None:
    """Row limit, field length and per-line quoting (:func:`workbench.tabular.check_csv_lines`)."""
    from workbench import tabular

    if len(lines) > tabular.LIMITS.max_rows + 100:
        col.file_problem(f"höchstens {tabular.fmt_n(tabular.LIMITS.max_rows)} Datenzeilen – "
                         f"gefunden: {tabular.fmt_n(len(lines))} Zeilen")
        raise col.fail()
    problems = tabular.check_csv_lines(lines, 1, col.file, sep)
    if problems:
        col.problems.extend(problems)
        raise col.fail()


def read_comma_csv(text: str, col: Collector, expected: Sequence[str], label: str) -> pl.DataFrame:
    """Parse a plain comma-separated CSV (GERDA/INKAR style) into strings with ``_line``.

    The header must contain ``expected``; rows with a wrong field count are reported with their
    line number (found in the error path only, so the normal path stays polars-native).
    """
    lines = split_lines(text)
    _check_lines(lines, col, ",")
    header = lines[0]
    if not check_separator(header, 1, col, ",", label):
        raise col.fail()
    found = next(csv.reader([header]))
    if not require_columns(found, expected, col, row=1):
        raise col.fail()
    if len(lines) < 2:
        col.file_problem("Datenzeilen nach der Kopfzeile – Datei enthält nur die Kopfzeile")
        raise col.fail()
    n = len(found)
    # Field count per line, vectorised: drop quoted parts ("Asperg, Stadt"), count commas.
    body = pl.DataFrame({"_raw": lines[1:]}).with_row_index(LINE, offset=2)
    counts = body.with_columns(
        (pl.col("_raw").str.replace_all(r'"[^"]*"', "").str.count_matches(",") + 1).alias("n")
    ).filter((pl.col("n") != n) & (pl.col("_raw").str.strip_chars() != ""))
    for lineno, raw, count in counts.select(LINE, "_raw", "n").iter_rows():
        col.add(
            lineno,
            None,
            raw,
            f"{n} Felder getrennt durch „,“ – gefunden: {count} Felder "
            "(Zeile abgeschnitten oder verschoben?)",
        )
    if col.problems:
        raise col.fail()
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            infer_schema=False,
            truncate_ragged_lines=False,
            empty_string_is_null=True,
        )
    except pl.exceptions.PolarsError as exc:
        col.file_problem(f"lesbare CSV-Datei – {str(exc).splitlines()[0]}")
        raise col.fail() from None
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def read_semicolon_table(
    col: Collector,
    text: str,
    is_header: Callable[[list[str]], bool],
    label: str,
    *,
    max_title_lines: int = 20,
    allow_empty: bool = False,
) -> tuple[list[str], pl.DataFrame]:
    """Find the header line (after optional title lines) of a German ``;`` CSV and split rows.

    The data block ends at a GENESIS footer (``__________``) or where only lines without any
    separator follow (free-text notes). Returns the header names as written and a string frame
    (columns named as in the header) with ``_line``.
    """
    lines = split_lines(text)
    _check_lines(lines, col, ";")
    header_idx = None
    for i, line in enumerate(lines[:max_title_lines]):
        cells = [c.strip().strip('"').strip() for c in line.split(";")]
        if is_header(cells):
            header_idx = i
            break
    if header_idx is None:
        sample = next((ln for ln in lines if ln.strip()), "")
        if ";" not in sample and ("," in sample or "\t" in sample):
            check_separator(sample, lines.index(sample) + 1, col, ";", label)
        else:
            col.add(
                None, None, sample, f"Kopfzeile „{label}“ in den ersten {max_title_lines} Zeilen"
            )
        raise col.fail()
    header = [c.strip().strip('"').strip() for c in lines[header_idx].split(";")]
    while header and header[-1] == "":
        header.pop()
    end = next(
        (i for i in range(header_idx + 1, len(lines)) if lines[i].startswith("_____")), len(lines)
    )
    # Trailing free-text notes (no separator at all) are a footer, not data – unless the line
    # starts like a data row (a key), e.g. a last row written with commas: that is reported.
    while end > header_idx + 1:
        last = lines[end - 1]
        if last.strip(" ;") and (";" in last or re.match(r'\s*"?\d{5,}', last)):
            break
        end -= 1
    body = [_trim_padding(ln, len(header)) for ln in lines[header_idx + 1 : end]]
    if not body and not allow_empty:
        col.file_problem("Datenzeilen nach der Kopfzeile – keine gefunden")
        raise col.fail()
    rows = split_rows(body, header_idx + 2, header, col)
    return header, rows


def _trim_padding(line: str, n: int) -> str:
    """Drop empty trailing fields beyond ``n`` columns (Excel pads CSV rows with ``;;;``)."""
    if line.count(";") <= n - 1 or '"' in line:
        return line
    parts = line.split(";")
    if all(not p.strip() for p in parts[n:]):
        return ";".join(parts[:n])
    return line
