"""German number and date formats for everything a user sees (21,5 %; 119.120; 31.12.2023)."""

from __future__ import annotations

import datetime as dt
import math

# Thin space is what official German publications use in tables; a plain space keeps it
# simple in HTML, PDF and Excel alike, so we use "." as thousands separator (Duden).
_THOUSANDS = "."
_DECIMAL = ","

SUPPRESSED = "."  # official marker: value suppressed (Geheimhaltung)
MISSING = "–"  # shown for "no value"


def _is_missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: float | int | None) -> str:
    """119120 -> '119.120'; None -> '–'."""
    if _is_missing(value):
        return MISSING
    return f"{round(value):,}".replace(",", _THOUSANDS)


def fmt_number(value: float | int | None, decimals: int = 1) -> str:
    """1234.56 -> '1.234,6' (decimals=1)."""
    if _is_missing(value):
        return MISSING
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", _DECIMAL).replace("\0", _THOUSANDS)


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    """21.51 -> '21,5 %' (value already in percent)."""
    if _is_missing(value):
        return MISSING
    return f"{fmt_number(value, decimals)} %"


def fmt_points(value: float | None, decimals: int = 1, signed: bool = True) -> str:
    """4.45 -> '+4,5 Prozentpunkte'... use fmt_points_short for charts ('+4,5 PP')."""
    if _is_missing(value):
        return MISSING
    sign = "+" if signed and value > 0 else ""
    # U+2212 minus looks right in print; keep ASCII '-' in machine-readable exports instead.
    text = fmt_number(abs(value), decimals)
    if value < 0:
        sign = "−"
    return f"{sign}{text} Prozentpunkte"


def fmt_points_short(value: float | None, decimals: int = 1) -> str:
    """4.45 -> '+4,5 PP'."""
    return fmt_points(value, decimals).replace(" Prozentpunkte", " PP")


def fmt_currency(value: float | None, decimals: int = 0) -> str:
    """63000 -> '63.000 €'."""
    if _is_missing(value):
        return MISSING
    return f"{fmt_number(value, decimals)} €"


def fmt_date(value: dt.date | None) -> str:
    """date(2023, 12, 31) -> '31.12.2023'."""
    if value is None:
        return MISSING
    return value.strftime("%d.%m.%Y")


# Plotly layout settings that make every chart use German separators (decimal ",", thousands ".").
PLOTLY_SEPARATORS = ",."


# Control characters from files must never reach the terminal raw: ESC starts ANSI sequences
# (colours, cursor moves, window titles, OSC 8 links), CR/BS overwrite what was printed,
# bidi overrides reorder text. C0 (incl. TAB/LF/CR), DEL, C1 and the bidi/zero-width format
# characters are shown as visible escapes (``\x1b``, ``\n``, ``\u202e``).
_CONTROL_NAMES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_FORMAT_CONTROLS = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff"
)


def _escape_char(ch: str) -> str:
    if ch in _CONTROL_NAMES:
        return _CONTROL_NAMES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(value: object) -> str:
    """Text safe to print on a terminal: control characters as visible escapes.

    ``"a\\x1b[31mb"`` -> ``'a\\\\x1b[31mb'`` (shown as ``a\\x1b[31mb``). Use it for every value
    the CLI echoes that came from a file or a user (names, cells, problems, error messages).
    """
    text = str(value)
    if text.isprintable() and not _FORMAT_CONTROLS.intersection(text):
        return text  # fast path: nothing to escape
    return "".join(
        _escape_char(ch)
        if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in _FORMAT_CONTROLS
        else ch
        for ch in text
    )


def escape_lines(text: object) -> str:
    """:func:`escape_control` per line: keeps the line breaks of a multi-line message."""
    return "\n".join(escape_control(line) for line in str(text).split("\n"))
