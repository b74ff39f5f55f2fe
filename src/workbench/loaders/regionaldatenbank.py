"""Regionaldatenbank Deutschland: the classic "CSV" export of any table, read generically.

Layout (``;``, decimal comma, UTF-8 or ISO-8859-1/Windows-1252, optional UTF-8 BOM)::

    GENESIS-Tabelle: 12111-01-01-5                      <- line 1: table code
    Zensus 2011, Bevölkerung nach ...;;;                 <- title lines (first cell only)
    - Stichtag 09.05.2011 -;;;
    regionale Tiefe: Gemeinden, Samt-/Verbandsgemeinden;;;
    Zensus 2011;;;                                       <- statistic
    09.05.2011;;;                                        <- optional table-wide date / "Jahr: 2016"
    ;;Bevölkerung;Bevölkerung;...                        <- 1-4 header lines (first cell empty),
    ;;Insgesamt;Insgesamt;...;Ausländer(innen);...          labels repeated over merged cells;
    ;;Insgesamt;männlich;...                                 optional line of dates/years and
    ;;Anzahl;Anzahl;...                                      a line of units (Anzahl, Prozent)
    DG;Deutschland;80219695;...                          <- rows: [time;]key;name[;breakdown];values
    08118;      Ludwigsburg, Landkreis;...                  (name indented by level)
    __________                                           <- footer: notes, copyright, Stand

The number of leading empty cells of the header lines gives the row dimensions. The first of
them is a year/date when the table has several periods (``2016;DG;…`` or ``31.12.2015;DG;…``);
rows may carry a breakdown after the name (age group, nationality: ``…;Hof;unter 3 Jahre;…``).

``variable`` rule: per value column, the header labels from top to bottom joined with
``" | "``, leaving out (a) the line of dates/years, (b) the line of units and (c) lines that
carry one and the same label over every value column (``Bevölkerung``, ``Geschlecht``,
``Nationalität`` – they name the statistic, not the column) unless a column would end up
without a label. Empty label cells are skipped. A row breakdown is appended as the last part:
``Ausländer(innen) | Insgesamt | unter 3 Jahre``.

Time per value: the row's year/date, else the column's (header line of dates/years), else the
table's (a title line ``09.05.2011``, ``Jahr: 2016``, ``Stichtag: 31.12.2015`` or
``- Stichtag 09.05.2011 -``). A full date gives ``reference_date``; a bare year leaves it null.

Markers (Zeichenerklärung): ``-`` nichts vorhanden (value 0), ``.`` unbekannt oder geheim,
``x`` Tabellenfach gesperrt, ``/`` nicht sicher genug, ``...`` fällt später an (value null).

``level`` from the key: ``DG`` Deutschland, 2 digits Land, 3 Regierungsbezirk, 5 Kreis,
7 or 9 digits Gemeindeverband, 8 digits Gemeinde – or Gemeindeverband when longer keys in the
file start with it (Samtgemeinden in Niedersachsen) –, 10–12 digits Gemeinde (member of a
Verbandsgemeinde/Samtgemeinde).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from workbench.cache import input_keyed_cache
from workbench.loaders._common import LINE, Collector, check_schema, read_bytes, split_lines

FOOTER = "__________"
MARKER_VALUES: tuple[str, ...] = ("-", ".", "x", "/", "...")
MARKERS_TEXT = "„-“, „.“, „x“, „/“ oder „...“"
# Unit words GENESIS writes in the unit header line or in brackets after the statistic.
UNITS = frozenset(
    {
        "Anzahl",
        "Prozent",
        "Promille",
        "%",
        "Euro",
        "EUR",
        "Tsd. EUR",
        "1000 EUR",
        "Tausend",
        "1000",
        "Jahre",
        "qkm",
        "km²",
        "ha",
        "Personen",
        "je 1000 Einwohner",
    }
)
ZENSUS_TABLES = ("12111-01-01-5", "12111-01-01-4")
ZENSUS_DATE = dt.date(2011, 5, 9)

SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "title": pl.String(),
    "level": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    "year": pl.Int32(),
    "variable": pl.String(),
    "unit": pl.String(),
    "value": pl.Float64(),
    "marker": pl.String(),
}

ZENSUS_COLUMNS: dict[str, str] = {
    "population": "Insgesamt | Insgesamt",
    "population_male": "Insgesamt | männlich",
    "population_female": "Insgesamt | weiblich",
    "german": "Deutsche | Insgesamt",
    "german_male": "Deutsche | männlich",
    "german_female": "Deutsche | weiblich",
    "foreigners": "Ausländer(innen) | Insgesamt",
    "foreigners_male": "Ausländer(innen) | männlich",
    "foreigners_female": "Ausländer(innen) | weiblich",
}
ZENSUS_SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    **{c: pl.Int64() for c in ZENSUS_COLUMNS},
}
# Zensus 2011 results are disclosure-controlled (SAFE): cells are perturbed independently,
# so Deutsche + Ausländer and männlich + weiblich may miss Insgesamt by a few persons in small
# municipalities. The shipped tables (all levels, Deutschland included) stay within 3 persons;
# the check allows ZENSUS_TOLERANCE persons, so larger gaps mean a damaged or edited file.
ZENSUS_TOLERANCE = 10

_CODE = re.compile(r"^\s*\"?GENESIS-Tabelle:\s*([^;\"]+)")
_YEAR = r"\d{4}"
_DATE = r"\d{2}\.\d{2}\.\d{4}"
_TIME = re.compile(rf"^(?:{_YEAR}|{_DATE})$")
_TITLE_TIME = re.compile(rf"^(?:(?:Jahr|Stichtag|Berichtsjahr|Zeit)\s*:\s*)?({_YEAR}|{_DATE})$")
_TITLE_DATE = re.compile(rf"Stichtag:?\s+({_DATE})")
_UNIT_IN_TITLE = re.compile(r"\(([^()]+)\)\s*$")
_NUMBER = r"^-?\d+(,\d+)?$"
# Land part 01–16 first: a key that lost its leading zero in Excel (8118076) is caught.
_KEY = r"^(DG|(0[1-9]|1[0-6])(\d|\d{3}|\d{5,10})?)$"
_MOJIBAKE = re.compile("Ã[¤¶¼\u0178\u201e\u2013\u0153\u2026]")
_UTF8_SEQ = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def table_code(path: str | Path) -> str | None:
    """The table code from line 1 (``GENESIS-Tabelle: 12111-01-01-5``), or None."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(4096)
    except OSError:
        return None
    first = first.removeprefix(b"\xef\xbb\xbf")
    m = _CODE.match(first.decode("latin-1"))
    return m.group(1).strip() if m else None


def load_regionaldatenbank(path: str | Path) -> pl.DataFrame:
    """Load any Regionaldatenbank "CSV" export into the long :data:`SCHEMA` frame."""
    frame, col = _parse(path)
    col.raise_if_any()
    return check_schema(frame.select(*SCHEMA), SCHEMA, col.file)


def load_zensus2011_gemeinden(path: str | Path) -> pl.DataFrame:
    """Zensus 2011 (09.05.2011) by sex and nationality, 12111-01-01-5 (Gemeinden) or -4 (Kreise).

    Wide, one row per area (all levels of the file), :data:`ZENSUS_SCHEMA`; ``-`` → 0.
    Checks Deutsche + Ausländer(innen) and männlich + weiblich against Insgesamt within the
    disclosure-control tolerance of :data:`ZENSUS_TOLERANCE` persons.
    """
    frame, col = _parse(path)
    code = frame["table"][0] if frame.height else None
    if code is not None and code not in ZENSUS_TABLES:
        col.add(1, None, f"GENESIS-Tabelle: {code}", "Tabelle 12111-01-01-5 oder 12111-01-01-4")
        raise col.fail()
    have = set(frame["variable"].unique().to_list()) if frame.height else set()
    for name, variable in ZENSUS_COLUMNS.items():
        if frame.height and variable not in have:
            col.add(None, variable, None, f"Spalte „{variable}“ (für {name}) in den Kopfzeilen")
    col.raise_if_any()
    frac = frame.filter(pl.col("value").is_not_null() & (pl.col("value") % 1 != 0))
    for line, variable, value in frac.select(LINE, "variable", "value").rows():
        col.add(line, variable, f"{value:g}".replace(".", ","), "ganze Zahl (Personen)")
    col.raise_if_any()
    wide = (
        frame.with_columns(pl.col("value").cast(pl.Int64))
        .filter(pl.col("variable").is_in(list(ZENSUS_COLUMNS.values())))
        .pivot(
            on="variable",
            index=[LINE, "level", "ags", "name", "reference_date"],
            values="value",
            aggregate_function="first",
        )
        .rename({v: k for k, v in ZENSUS_COLUMNS.items()})
        .sort(LINE)
    )
    wrong_date = wide.filter(pl.col("reference_date") != ZENSUS_DATE)
    col.rows(
        wrong_date.with_columns(pl.col("reference_date").cast(pl.String)),
        "Stichtag",
        "reference_date",
        "Zensus-Stichtag 09.05.2011",
    )
    _zensus_sums(wide, col)
    col.raise_if_any()
    return check_schema(wide.select(*ZENSUS_SCHEMA), ZENSUS_SCHEMA, col.file)


def available_tables(data_dir: Path | None = None) -> dict[str, Path]:
    """Table code → file to use (see :func:`find_table`) for every table shipped or supplied."""
    shipped, user = _dirs(data_dir)
    codes: set[str] = set()
    for base in (shipped, user):
        for path in _candidates(base):
            code = table_code(path)
            if code:
                codes.add(code)
    return {code: find_table(code, data_dir) for code in sorted(codes)}


def find_table(code: str, data_dir: Path | None = None) -> Path:
    """The file to read for table ``code``: a user export replaces the shipped one.

    User directory: :func:`workbench.paths.user_dir` (``<data_dir>/user`` when ``data_dir`` is
    given); shipped: ``<data_dir>/raw/regionaldatenbank_2018``. Among several user exports the
    one whose content reaches the latest reference date/year wins, then the newest mtime.
    """
    shipped, user = _dirs(data_dir)
    matches = [p for p in _candidates(user) if table_code(p) == code]
    if matches:
        return max(matches, key=lambda p: (_latest_time(p), p.stat().st_mtime))
    matches = [p for p in _candidates(shipped) if table_code(p) == code]
    if matches:
        return max(matches, key=lambda p: (_latest_time(p), p.stat().st_mtime))
    raise FileNotFoundError(
        f"Keine Regionaldatenbank-Tabelle {code} gefunden – erwartet: eine CSV-Datei mit erster "
        f"Zeile „GENESIS-Tabelle: {code}“ in {user} oder {shipped}"
    )


# --------------------------------------------------------------------------------------------
# Finding files
# --------------------------------------------------------------------------------------------


def _dirs(data_dir: Path | None) -> tuple[Path, Path]:
    from workbench import paths

    if data_dir is None:
        return paths.raw_dir() / "regionaldatenbank_2018", paths.user_dir()
    data_dir = Path(data_dir)
    return data_dir / "raw" / "regionaldatenbank_2018", data_dir / "user"


def _candidates(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted(
        p
        for p in base.rglob("*")
        if p.is_file() and p.suffix.lower() in {".csv", ".txt"} and not p.name.startswith(".")
    )


# Cached on the file's stats: every report looks its Zensus 2011 table up again, and the scan
# of the whole file (~80 ms) was a fifth of a warm report's population section.
@input_keyed_cache(lambda path: [path], maxsize=256)
def _latest_time(path: Path) -> tuple[int, int, int]:
    """Latest year/date mentioned in the file's title, header and time column (cheap scan)."""
    best = (0, 0, 0)
    try:
        raw = path.read_bytes()
    except OSError:
        return best
    text = raw.decode("utf-8", errors="replace")
    body = text.split(FOOTER, 1)[0]
    for line in body.splitlines():
        cells = line.split(";")
        head = cells[:1] if cells[0].strip() else cells
        for cell in head:
            cell = cell.strip()
            for m in re.finditer(r"(?<![\d.])(?:(\d{2})\.(\d{2})\.)?(\d{4})(?![\d.])", cell):
                if len(cell) > 40:
                    break
                day, month, year = m.group(1), m.group(2), int(m.group(3))
                if 1950 <= year <= 2100:
                    cand = (year, int(month or 12), int(day or 31))
                    best = max(best, cand)
    return best


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _decode(raw: bytes, col: Collector) -> tuple[str, str]:
    """Text and a German encoding label; UTF-8 (BOM or not), else Windows-1252/ISO-8859-1."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:400]:
        col.add(
            1,
            None,
            "UTF-16",
            "Textdatei in UTF-8 oder ISO-8859-1/Windows-1252 wie von der Regionaldatenbank "
            "geliefert – Datei ist UTF-16 kodiert (in Excel „CSV UTF-8“ wählen)",
        )
        raise col.fail()
    label = "UTF-8"
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, label = raw[3:], "UTF-8 mit BOM"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _mixed_encoding(raw, col)
        try:
            return raw.decode("cp1252"), "ISO-8859-1/Windows-1252"
        except UnicodeDecodeError:
            return raw.decode("latin-1"), "ISO-8859-1/Windows-1252"
    for lineno, line in enumerate(text.split("\n"), start=1):
        m = _MOJIBAKE.search(line)
        if m:
            col.add(
                lineno,
                None,
                line.strip()[:60],
                f"Umlaute in {label} – gefunden „{m.group(0)}“ (Text wurde doppelt kodiert: "
                "ISO-8859-1-Datei als UTF-8 neu gespeichert?)",
            )
            raise col.fail()
    return text, label


def _mixed_encoding(raw: bytes, col: Collector) -> None:
    """A file that is UTF-8 in some lines and Latin-1 in others cannot be read reliably."""
    if not _UTF8_SEQ.search(raw):
        return
    utf8_lines, latin_lines = [], []
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(lineno)
        except UnicodeDecodeError:
            latin_lines.append((lineno, line))
    if not utf8_lines:
        return
    for lineno, line in latin_lines[:10]:
        col.add(
            lineno,
            None,
            line.decode("cp1252", errors="replace").strip()[:60],
            "einheitlich UTF-8 kodierter Text wie der Rest der Datei – diese Zeile ist "
            "ISO-8859-1/Windows-1252 kodiert (gemischte Kodierung)",
        )
    raise col.fail()


def _cells(line: str) -> list[str]:
    return [_unquote(c) for c in line.split(";")]


def _unquote(cell: str) -> str:
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        cell = cell[1:-1].replace('""', '"').strip()
    return cell


def _parse_time(value: str) -> tuple[dt.date | None, int | None]:
    if re.fullmatch(_DATE, value):
        d, m, y = (int(x) for x in value.split("."))
        try:
            return dt.date(y, m, d), y
        except ValueError:
            return None, None
    if re.fullmatch(_YEAR, value):
        return None, int(value)
    return None, None


def _parse(path: str | Path) -> tuple[pl.DataFrame, Collector]:
    """Parse the whole file; problems are collected in the returned Collector."""
    col = Collector(path)
    text, encoding = _decode(read_bytes(col), col)
    lines = split_lines(text)
    m = _CODE.match(lines[0]) if lines else None
    if m is None:
        col.add(
            1,
            None,
            lines[0][:80] if lines else "",
            "erste Zeile „GENESIS-Tabelle: <Tabellencode>“ einer Regionaldatenbank-CSV "
            f"(gelesen als {encoding})",
        )
        raise col.fail()
    code = m.group(1).strip()

    footer = next((i for i, ln in enumerate(lines) if ln.lstrip('"').startswith(FOOTER)), None)
    end = footer if footer is not None else len(lines)
    titles: list[tuple[int, str]] = []
    headers: list[tuple[int, list[str]]] = []
    data_start = None
    for i in range(1, end):
        cells = _cells(lines[i])
        if not any(cells):
            continue
        if cells[0] == "" and data_start is None:
            headers.append((i + 1, cells))
        elif not headers:
            titles.append((i + 1, cells[0]))
        else:
            data_start = i
            break
    if footer is None:
        col.add(
            len(lines),
            None,
            lines[-1][:60],
            f"Fußzeile ab „{FOOTER}“ (Erläuterungen, Copyright) nach der letzten Datenzeile – "
            f"Datei endet in Zeile {len(lines)} ohne Fußzeile (abgeschnitten?)",
        )
    if not headers:
        last = titles[-1][0] if titles else 1
        col.add(
            last + 1,
            None,
            lines[last] if last < len(lines) else "",
            "Kopfzeilen (beginnen mit „;“, z. B. „;;Insgesamt;männlich;…“) nach den Titelzeilen "
            "– keine gefunden (Datei abgeschnitten?)",
        )
        raise col.fail()
    if data_start is None:
        col.add(
            headers[-1][0] + 1,
            None,
            "",
            "Datenzeilen „Schlüssel;Name;Werte…“ nach den Kopfzeilen – keine gefunden "
            "(Datei abgeschnitten?)",
        )
        raise col.fail()

    n_fields = max(len(c) for _, c in headers)
    for lineno, cells in headers:
        if len(cells) != n_fields:
            col.add(
                lineno,
                f"Spalte {len(cells) + 1}",
                ";".join(cells)[:60],
                f"Kopfzeile mit {n_fields} Feldern wie die übrigen Kopfzeilen – gefunden: "
                f"{len(cells)} (Kopfzeile abgeschnitten?)",
            )
    if col.problems and footer is not None:
        raise col.fail()
    headers = [(n, c + [""] * (n_fields - len(c))) for n, c in headers]
    n_dims = min(next((k for k, c in enumerate(cells) if c), n_fields) for _, cells in headers)
    if n_dims < 2 or n_dims >= n_fields:
        col.add(
            headers[0][0],
            None,
            ";".join(headers[0][1])[:60],
            "Kopfzeile mit mindestens zwei leeren Feldern (Schlüssel, Name) vor den Spaltentiteln",
        )
        raise col.fail()
    n_values = n_fields - n_dims

    # Header lines: dates/years, units, labels.
    col_time: list[str | None] = [None] * n_values
    col_unit: list[str | None] = [None] * n_values
    labels: list[list[str]] = []
    for _, cells in headers:
        vals = cells[n_dims:]
        filled = [v for v in vals if v]
        if filled and all(_TIME.match(v) for v in filled):
            col_time = [v or None for v in vals]
        elif filled and all(v in UNITS for v in filled):
            col_unit = [v or None for v in vals]
        else:
            labels.append(vals)
    if not labels:
        col.add(headers[0][0], None, ";".join(headers[0][1])[:60], "Kopfzeile mit Spaltentiteln")
        raise col.fail()
    kept = list(labels)
    for line in labels:
        if len(set(line)) == 1 and len(kept) > 1:
            rest = [x for x in kept if x is not line]
            if all(any(lab[j] for lab in rest) for j in range(n_values)):
                kept = rest
    variables = [" | ".join(lab[j] for lab in kept if lab[j]) for j in range(n_values)]

    title_texts = [t for _, t in titles]
    table_unit = None
    statistic = [t for t in title_texts if not _TITLE_TIME.match(t)]
    if statistic:
        um = _UNIT_IN_TITLE.search(statistic[-1])
        if um and um.group(1).strip() in UNITS:
            table_unit = um.group(1).strip()
    col_unit = [u or table_unit for u in col_unit]
    table_time: str | None = None
    for t in title_texts:
        tm = _TITLE_TIME.match(t)
        if tm:
            table_time = tm.group(1)
    if table_time is None:
        for t in title_texts:
            tm = _TITLE_DATE.search(t)
            if tm:
                table_time = tm.group(1)
                break
    depth = next((i for i, t in enumerate(title_texts) if "regionale Tiefe" in t), None)
    if depth is not None:
        parts = title_texts[:depth] + [title_texts[depth].split("regionale Tiefe")[0]]
    else:
        parts = title_texts[:-1] if len(title_texts) > 1 else title_texts
    title = re.sub(r"\s+", " ", " ".join(parts)).strip().rstrip(";").strip()

    # Data rows.
    first_cells = _cells(lines[data_start])
    time_in_rows = bool(_TIME.match(first_cells[0])) and n_dims >= 3
    key_idx = 1 if time_in_rows else 0
    n_break = n_dims - key_idx - 2
    names = (
        (["_time"] if time_in_rows else [])
        + ["ags", "_name"]
        + [f"_b{k}" for k in range(n_break)]
        + [f"_v{j}" for j in range(n_values)]
    )
    raw_rows = pl.DataFrame(
        {
            LINE: pl.Series(range(data_start + 1, end + 1), dtype=pl.Int64),
            "_raw": pl.Series(lines[data_start:end], dtype=pl.String),
        }
    ).filter(pl.col("_raw").str.replace_all(r"[;\s\"]", "") != "")
    raw_rows = raw_rows.with_columns(pl.col("_raw").str.split(";").alias("_c"))
    raw_rows = raw_rows.with_columns(pl.col("_c").list.len().alias("_n"))
    display = (
        (["Jahr/Stichtag"] if time_in_rows else [])
        + ["Regionalschlüssel", "Name"]
        + [f"Merkmal {k + 1}" for k in range(n_break)]
        + variables
    )
    for line, raw, n in raw_rows.filter(pl.col("_n") != n_fields).select(LINE, "_raw", "_n").rows():
        missing = display[n] if n < n_fields else None
        col.add(
            line,
            missing,
            raw[:60],
            f"{n_fields} Felder getrennt durch „;“ wie die Kopfzeilen – gefunden: {n} "
            + ("(Zeile abgeschnitten?)" if n < n_fields else "(zusätzliches „;“?)"),
        )
    rows = raw_rows.filter(pl.col("_n") == n_fields)
    rows = rows.select(
        LINE,
        *[
            pl.col("_c").list.get(k).str.strip_chars().str.strip_chars('"').alias(nm)
            for k, nm in enumerate(names)
        ],
    )
    if rows.is_empty():
        col.raise_if_any()
    rows = rows.with_columns(pl.col("_name").str.strip_chars().alias("name"))

    bad_key = rows.filter(~pl.col("ags").str.contains(_KEY).fill_null(False))
    col.rows(
        bad_key,
        "Regionalschlüssel",
        "ags",
        "Regionalschlüssel „DG“ oder 2, 3, 5 bzw. 7–12 Ziffern, beginnend mit dem "
        "Landesschlüssel 01–16 mit führender Null (z. B. 08, 08118, 08118076)",
    )
    if time_in_rows:
        bad_time = rows.filter(~pl.col("_time").str.contains(_TIME.pattern).fill_null(False))
        col.rows(bad_time, "Jahr/Stichtag", "_time", "Jahr JJJJ oder Stichtag TT.MM.JJJJ")
    if n_break:
        rows = rows.with_columns(
            pl.concat_str([pl.col(f"_b{k}") for k in range(n_break)], separator=" | ").alias(
                "_break"
            )
        )
    else:
        rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias("_break"))

    meta = pl.DataFrame(
        {
            "_vi": [f"_v{j}" for j in range(n_values)],
            "_var": variables,
            "unit": pl.Series(col_unit, dtype=pl.String),
            "_ctime": pl.Series(col_time, dtype=pl.String),
        }
    )
    long = rows.unpivot(
        index=[LINE, "ags", "name", "_break", *(["_time"] if time_in_rows else [])],
        on=[f"_v{j}" for j in range(n_values)],
        variable_name="_vi",
        value_name="_cell",
    ).join(meta, on="_vi", how="left", maintain_order="left")
    long = long.with_columns(
        pl.when(pl.col("_break").is_not_null())
        .then(pl.concat_str([pl.col("_var"), pl.col("_break")], separator=" | "))
        .otherwise(pl.col("_var"))
        .alias("variable"),
        pl.col("_cell").str.replace("…", "...", literal=True).alias("_cell"),
    )
    time_expr = pl.col("_time") if time_in_rows else pl.lit(None, dtype=pl.String)
    long = long.with_columns(
        pl.coalesce(time_expr, pl.col("_ctime"), pl.lit(table_time, dtype=pl.String)).alias("_t")
    )
    if long.filter(pl.col("_t").is_null()).height:
        col.add(
            headers[0][0],
            None,
            None,
            "Zeitangabe: Jahr oder Stichtag in der ersten Spalte, in einer Kopfzeile oder in den "
            "Titelzeilen (z. B. „09.05.2011“, „Jahr: 2016“) – nicht gefunden",
        )
    is_num = pl.col("_cell").str.contains(_NUMBER).fill_null(False)
    is_marker = pl.col("_cell").is_in(list(MARKER_VALUES)).fill_null(False)
    long = long.with_columns(is_num.alias("_num"), is_marker.alias("_mark"))
    bad = long.filter(~pl.col("_num") & ~pl.col("_mark"))
    if bad.height:
        bad = bad.with_columns(
            pl.when(pl.col("_ctime").is_not_null())
            .then(pl.concat_str([pl.col("_var"), pl.col("_ctime")], separator=" | "))
            .otherwise(pl.col("_var"))
            .alias("_col")
        )
        for line, column, value in bad.select(LINE, "_col", "_cell").rows():
            col.add(
                line,
                column,
                value,
                f"Zahl (Dezimalkomma, z. B. 13,7) oder Kennzeichen {MARKERS_TEXT}"
                + (" – Dezimalpunkt statt Komma?" if re.fullmatch(r"-?\d+\.\d+", value) else ""),
            )
    long = long.with_columns(
        pl.when(pl.col("_num"))
        .then(pl.col("_cell").str.replace(",", ".", literal=True).cast(pl.Float64, strict=False))
        .when(pl.col("_cell") == "-")
        .then(pl.lit(0.0))
        .otherwise(None)
        .alias("value"),
        pl.when(pl.col("_mark")).then(pl.col("_cell")).otherwise(None).alias("marker"),
        pl.when(pl.col("_t").str.len_chars() == 10)
        .then(pl.col("_t").str.to_date("%d.%m.%Y", strict=False))
        .otherwise(None)
        .alias("reference_date"),
        pl.col("_t").str.slice(-4).cast(pl.Int32, strict=False).alias("year"),
    )
    dup = long.filter(pl.struct("ags", "_t", "variable").is_duplicated())
    if dup.height:
        first = dup.group_by("ags", "_t", "variable").agg(pl.col(LINE).min().alias("_first"))
        later = dup.join(first, on=["ags", "_t", "variable"]).filter(
            pl.col(LINE) != pl.col("_first")
        )
        for line, ags, t, var, first_line in (
            later.select(LINE, "ags", "_t", "variable", "_first").unique(LINE).sort(LINE).rows()
        ):
            col.add(
                line,
                "Regionalschlüssel",
                ags,
                f"jeder Regionalschlüssel nur einmal je Zeitangabe und Merkmal – {ags} / {t} / "
                f"{var} schon in Zeile {first_line}",
            )
    keys = rows["ags"]
    long_keys = keys.filter(keys.str.len_chars() == 11).str.slice(0, 8).unique()
    n = pl.col("ags").str.len_chars()
    long = long.with_columns(
        pl.when(pl.col("ags") == "DG")
        .then(pl.lit("Deutschland"))
        .when(n == 2)
        .then(pl.lit("Land"))
        .when(n == 3)
        .then(pl.lit("Regierungsbezirk"))
        .when(n == 5)
        .then(pl.lit("Kreis"))
        .when((n == 7) | (n == 9))
        .then(pl.lit("Gemeindeverband"))
        .when(n == 8)
        .then(
            pl.when(pl.col("ags").is_in(long_keys.implode()))
            .then(pl.lit("Gemeindeverband"))
            .otherwise(pl.lit("Gemeinde"))
        )
        .when(n >= 10)
        .then(pl.lit("Gemeinde"))
        .otherwise(None)
        .alias("level"),
        pl.lit(code).alias("table"),
        pl.lit(title).alias("title"),
    )
    return long.select(*SCHEMA, LINE), col


def _zensus_sums(wide: pl.DataFrame, col: Collector) -> None:
    """Parts vs. Insgesamt within the disclosure-control tolerance (see module constants)."""
    checks = [
        ("german", "foreigners", "population", "Deutsche + Ausländer(innen)"),
        ("population_male", "population_female", "population", "männlich + weiblich"),
    ]
    for a, b, total, label in checks:
        gap = (pl.col(a) + pl.col(b) - pl.col(total)).abs()
        off = wide.filter((gap > ZENSUS_TOLERANCE).fill_null(False))
        for line, x, y, t in off.select(LINE, a, b, total).rows():
            col.add(
                line,
                ZENSUS_COLUMNS[total],
                f"{label} = {x + y}, Insgesamt = {t}",
                f"{label} gleich Insgesamt bis auf höchstens {ZENSUS_TOLERANCE} Personen "
                "(Geheimhaltungsverfahren im Zensus 2011)",
            )
