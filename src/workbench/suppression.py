"""Small-number suppression for published counts about persons (Geheimhaltung).

Rule (as in official statistics):

* **Primary**: a count about persons with value 1 or 2 is shown as „.“. 0 stays „0“ (a zero
  reveals nothing about a person); non-person counts (courses, meetings) are never suppressed.
* **Secondary**: a table with totals is a set of equations ``total = Σ cells`` — one per row
  and, for two-dimensional tables, one per column. If exactly one cell of an equation (a
  member or the total) is hidden, it could be recomputed by subtraction, so one more cell is
  hidden: the smallest member with a value > 0 that is still shown (hiding a 0 protects
  nothing; ties: first in table order); if no such member exists, the total is hidden. This
  repeats until no equation has exactly one hidden cell (a secondary suppression in a row can
  create a single hidden cell in a column).

Tables are long frames: one row per cell, ``dims`` name the table dimensions, the total of a
dimension is the cell whose label is ``total_label`` („Insgesamt“). Groups without a total
row are not protected unless ``totals_published=True`` (the sum is published elsewhere, e.g.
the Kreis value). Analysts use the unsuppressed frames; only what is published goes through
:func:`suppress_table`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from workbench.formatting import SUPPRESSED, fmt_int, fmt_number

PRIMARY_MIN, PRIMARY_MAX = 1, 2
TOTAL_LABEL = "Insgesamt"


def is_primary(value: float | None, about_persons: bool) -> bool:
    """True for person counts 1–2 (the cells that are always hidden)."""
    return bool(about_persons) and value is not None and PRIMARY_MIN <= value <= PRIMARY_MAX


def suppression_flags(
    frame: pl.DataFrame,
    value: str = "value",
    dims: Sequence[str] = ("row",),
    by: Sequence[str] = (),
    *,
    about_persons: str | bool = "about_persons",
    total_label: str = TOTAL_LABEL,
    totals_published: bool = False,
) -> list[str | None]:
    """Per row: ``"primär"``, ``"sekundär"`` or ``None`` (shown).

    ``about_persons`` is a boolean column name or a constant. ``by`` columns separate
    independent tables in one frame (e.g. indicator and period).
    """
    rows = frame.to_dicts()
    persons = [
        (r[about_persons] if isinstance(about_persons, str) else about_persons) for r in rows
    ]
    flags: list[str | None] = [
        "primär" if is_primary(r[value], p) else None for r, p in zip(rows, persons, strict=True)
    ]
    if not any(persons):
        return flags

    # Build the equations once: (member indices, total index or None).
    equations: list[tuple[list[int], int | None]] = []
    for d in dims:
        others = [c for c in (*by, *dims) if c != d]
        groups: dict[tuple, tuple[list[int], list[int]]] = {}
        for i, r in enumerate(rows):
            key = tuple(r[c] for c in others)
            members, totals = groups.setdefault(key, ([], []))
            (totals if r[d] == total_label else members).append(i)
        for members, totals in groups.values():
            if len(totals) > 1:
                raise ValueError(f"Mehr als eine Summenzeile „{total_label}“ in Dimension {d}")
            if totals or totals_published:
                equations.append((members, totals[0] if totals else None))

    changed = True
    while changed:
        changed = False
        for members, total in equations:
            cells = members + ([total] if total is not None else [])
            hidden = [i for i in cells if flags[i] is not None]
            if len(hidden) != 1:
                continue
            candidates = [
                i for i in members
                if flags[i] is None and rows[i][value] is not None and rows[i][value] > 0
            ]
            if candidates:
                pick = min(candidates, key=lambda i: (rows[i][value], i))
            elif total is not None and flags[total] is None:
                pick = total
            else:
                continue  # nothing left to hide: the hidden cell is protected by the range only
            flags[pick] = "sekundär"
            changed = True
    return flags


def suppress_table(
    frame: pl.DataFrame,
    value: str = "value",
    dims: Sequence[str] = ("row",),
    by: Sequence[str] = (),
    *,
    about_persons: str | bool = "about_persons",
    total_label: str = TOTAL_LABEL,
    totals_published: bool = False,
    decimals: int = 0,
) -> pl.DataFrame:
    """``frame`` plus ``suppression`` (primär/sekundär/null) and ``display`` (German text).

    ``display`` is „.“ for suppressed cells, „–“ for missing values, otherwise the number in
    German format (``decimals`` places). The raw ``value`` column is kept for analysts — drop it
    before publishing.
    """
    flags = suppression_flags(frame, value, dims, by, about_persons=about_persons,
                              total_label=total_label, totals_published=totals_published)
    display = [
        SUPPRESSED if flag else (fmt_int(v) if decimals == 0 else fmt_number(v, decimals))
        for v, flag in zip(frame[value].to_list(), flags, strict=True)
    ]
    return frame.with_columns(
        pl.Series("suppression", flags, dtype=pl.String),
        pl.Series("display", display, dtype=pl.String),
    )


def display_values(values: Sequence[float | None], about_persons: bool,
                   total: float | None = None) -> list[str]:
    """Display strings for one group of cells, plus the total's string if ``total`` is given.

    Convenience for a single group: e.g. telc exams per Gemeinde with the Kreis total.
    """
    labels = [str(i) for i in range(len(values))]
    cells = list(values)
    if total is not None:
        labels.append(TOTAL_LABEL)
        cells.append(total)
    frame = pl.DataFrame({"row": labels, "value": cells}, schema={"row": pl.String,
                                                                   "value": pl.Float64})
    return suppress_table(frame, about_persons=about_persons)["display"].to_list()


def published_indicator_table(progress: pl.DataFrame, suppress: bool = True) -> pl.DataFrame:
    """German display table of a progress frame (one row per indicator) for publication.

    Each indicator value stands alone (no totals across indicators), so only primary
    suppression applies; for a suppressed value the progress percentage is hidden as well,
    because value = baseline + progress × (target − baseline) would reveal it. Example values
    are marked „Beispieldaten“ in the column ``Hinweis``.
    """
    from workbench.formatting import MISSING, fmt_date, fmt_percent

    rows = []
    for r in progress.iter_rows(named=True):
        hidden = suppress and is_primary(r["latest_value"], r["about_persons"])
        if r["latest_value"] is None:
            value = r["latest_note"] or MISSING
        elif hidden:
            value = SUPPRESSED
        elif r["kind"] == "meilenstein":
            value = "erledigt" if r["latest_value"] >= 1 else "offen"
        elif r["kind"] == "anteil":
            value = fmt_percent(r["latest_value"])
        else:
            value = fmt_int(r["latest_value"])
        rows.append({
            "Handlungsfeld": r["handlungsfeld"],
            "Maßnahme": r["massnahme"],
            "Indikator": r["indicator"],
            "Stichtag": fmt_date(r["latest_period"]),
            "Wert": value,
            "Einheit": r["unit"] or "",
            "Zielwert": MISSING if r["target"] is None else fmt_number(r["target"], 0),
            "Fortschritt": SUPPRESSED if hidden and r["progress_pct"] is not None
            else fmt_percent(r["progress_pct"], 0),
            "Status": r["status"],
            "Hinweis": "Beispieldaten" if r["is_example"] else "",
        })
    return pl.DataFrame(rows, schema={k: pl.String for k in (
        "Handlungsfeld", "Maßnahme", "Indikator", "Stichtag", "Wert", "Einheit", "Zielwert",
        "Fortschritt", "Status", "Hinweis")})
