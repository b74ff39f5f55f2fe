"""Cells that are safe to open in Excel: formula neutralising and Excel's size limits.

Formula injection (CSV injection, OWASP): a spreadsheet program treats a cell that begins
with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``,
``@WEBSERVICE(…)``); a leading tab or carriage return can hide such a cell. Every CSV the
product writes passes its TEXT cells through :func:`neutralise_cell`, which prefixes those cells
with a single quote ``'`` (Excel shows the text, runs nothing). Numbers are written as numbers
by the writers and never prefixed, so ``-3,5`` in a numeric column stays a number.

The prefix is reversible: :func:`unneutralise_cell` removes exactly the one apostrophe that
:func:`neutralise_cell` added, so an exported file imports back to the original text. To make
that exact, a text that already starts with apostrophes followed by a trigger character
(``'=x``) also gets one more apostrophe (``''=x``).

xlsx cells are written with ``write_string`` (never a formula), so they need no prefix; they
are subject to Excel's limits instead: :data:`EXCEL_MAX_CELL_CHARS` characters per cell and
:data:`EXCEL_MAX_ROWS` rows per sheet. :func:`cut_text` and :class:`ExcelCut` record what had
to be cut so that the file („Gekürzt: …“) and the console can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# OWASP "CSV Injection": = + - @ and the tab / carriage return that may precede them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_CELL_CHARS = 32_767
EXCEL_MAX_ROWS = 1_048_576

_NEEDS_PREFIX = re.compile(r"^'*[=+\-@\t\r]")


def neutralise_cell(value: Any) -> Any:
    """Text cell for a CSV meant for Excel: ``'`` before a cell that Excel would run.

    Non-strings (numbers, ``None``) are returned unchanged: numbers stay numbers.
    """
    if isinstance(value, str) and _NEEDS_PREFIX.match(value):
        return "'" + value
    return value


def unneutralise_cell(text: str) -> str:
    """Inverse of :func:`neutralise_cell` for text read from a file: drop the ONE apostrophe
    it added (``'=SUMME(A1)`` → ``=SUMME(A1)``); any other text is returned unchanged."""
    if text.startswith("'") and _NEEDS_PREFIX.match(text[1:]):
        return text[1:]
    return text


def neutralise_expr(expr: Any) -> Any:
    """The same rule as a polars expression on a String column (for ``DataFrame.write_csv``)."""
    import polars as pl

    return (
        pl.when(expr.str.contains(r"^'*[=+\-@\t\r]"))
        .then(pl.lit("'") + expr)
        .otherwise(expr)
    )


def neutralise_frame(frame: Any) -> Any:
    """All String columns of a polars frame neutralised (numeric columns untouched)."""
    import polars as pl

    return frame.with_columns(
        neutralise_expr(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


@dataclass(frozen=True)
class ExcelCut:
    """One thing cut to fit Excel: a cell (``row`` = Excel row, ``column`` = header) or rows
    of a sheet (``column`` None, ``original``/``kept`` = row counts)."""

    sheet: str
    row: int | None
    column: str | None
    original: int
    kept: int

    def describe(self) -> str:
        from workbench.formatting import fmt_int

        if self.column is None:
            return (f"Tabellenblatt „{self.sheet}“: {fmt_int(self.original)} Zeilen, nur die "
                    f"ersten {fmt_int(self.kept)} passen in Excel")
        return (f"Tabellenblatt „{self.sheet}“, Zeile {self.row}, Spalte „{self.column}“: "
                f"{fmt_int(self.original)} Zeichen, gekürzt auf {fmt_int(self.kept)}")


def cut_text(text: str, limit: int = EXCEL_MAX_CELL_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the end marked with „ … [gekürzt]“."""
    if len(text) <= limit:
        return text
    marker = " … [gekürzt]"
    return text[: limit - len(marker)] + marker


def cuts_summary(cuts: list[ExcelCut], limit: int = 5) -> str:
    """One German line for a file note or the console: „Gekürzt: …“."""
    shown = "; ".join(c.describe() for c in cuts[:limit])
    more = f"; … und {len(cuts) - limit} weitere" if len(cuts) > limit else ""
    from workbench.formatting import fmt_int

    return (f"Gekürzt (Grenzen von Excel: {fmt_int(EXCEL_MAX_CELL_CHARS)} Zeichen je Zelle, "
            f"{fmt_int(EXCEL_MAX_ROWS)} Zeilen je Blatt): " + shown + more)
