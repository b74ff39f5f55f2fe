"""Small HTML fragments shared by reports and dashboards: escaping, tables, key figures.

Every value is escaped here, so callers pass plain (already formatted) text. The report and
the dashboards style the same elements with their own stylesheets
(``reports/templates/bericht``, ``dashboards.base.CSS``), hence two key-figure shapes:
:func:`kpi_tile` (report: value over label) and :func:`kpi_card` (dashboard: label, value,
optional note). Named ``htmlparts`` so it never shadows the standard library's ``html``.
"""

from __future__ import annotations

import html
from collections.abc import Container, Iterable, Sequence
from typing import Any

# From this many columns a table only fits the report's width (screen ~60rem, A4) when its
# cells may break inside words: such tables get the class ``wb-wide`` (report CSS).
WIDE_TABLE_COLUMNS = 8


def esc(value: Any) -> str:
    """Escaped text of ``value`` (``None`` → empty)."""
    return html.escape("" if value is None else str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], *,
          numeric: Container[int] = (), caption: str | None = None, attrs: str = "") -> str:
    """``<table>`` with an optional caption, a header row and one row per item; cells at
    the ``numeric`` column positions get ``class="num"`` (right-aligned). ``attrs`` is
    inserted into the opening tag as given (e.g. ``' class="wb-table"'``)."""
    # scope="col": screen readers and the tagged PDF (/TH) tie each cell to its column.
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>"
            for i, v in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption is not None else ""
    return f"<table{attrs}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kpi_tile(value: str, label: str) -> str:
    """A report key figure: the value above its label."""
    return (f'<div class="wb-kpi"><div class="v">{esc(value)}</div>'
            f'<div class="l">{esc(label)}</div></div>')


def kpi_card(label: str, value: str, note: str = "", test_id: str = "") -> str:
    """A dashboard key figure: label, value (``data-testid`` for UI tests), optional note."""
    attr = f' data-testid="{esc(test_id)}"' if test_id else ""
    note_html = f'<div class="wb-kpi-note">{esc(note)}</div>' if note else ""
    return (
        f'<div class="wb-kpi"><div class="wb-kpi-label">{esc(label)}</div>'
        f'<div class="wb-kpi-value"{attr}>{esc(value)}</div>{note_html}</div>'
    )
