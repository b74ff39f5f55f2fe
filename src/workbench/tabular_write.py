"""Writing tables for German Excel: CSV (``;``, UTF-8 with BOM, decimal comma, dates
31.12.2025) and xlsx, both safe for Excel (``workbench.excel_safety``).

The counterpart of :mod:`workbench.tabular`, which reads such files. Two shapes of input:

* rows as dicts (the observation export and template, re-imported later): :func:`write_csv`
  writes machine-readable numbers (``12,5``, no thousands separator, CRLF lines) and reports
  cells over Excel's limits without cutting; :func:`write_xlsx` cuts them and lists the cuts;
* a polars frame for a download (dashboards): :func:`frame_csv_bytes` /
  :func:`frame_xlsx_bytes`, with the source as the last line.

Text cells Excel would run as a formula (``= + - @`` …) get a leading ``'``; numbers stay
numbers. Write to files through :mod:`workbench.fsutil` (atomic).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from workbench.excel_safety import (
    EXCEL_MAX_CELL_CHARS,
    EXCEL_MAX_ROWS,
    ExcelCut,
    cut_text,
    cuts_summary,
    neutralise_cell,
    neutralise_expr,
)
from workbench.formatting import fmt_date, fmt_number

CSV_SEPARATOR = ";"
CSV_ENCODING = "utf-8-sig"  # UTF-8 with BOM: Excel recognises it, umlauts survive


# --------------------------------------------------------------------------------------------
# Rows (dicts) → CSV / xlsx files
# --------------------------------------------------------------------------------------------


def de_number(value: float | None) -> str:
    """Machine-readable German number for CSV (no thousands separator): 12,5 / 12."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value)).replace(".", ",")


def csv_cell(value: Any, *, number: bool = False) -> Any:
    """One CSV cell: dates German, floats (every value with ``number``) with decimal comma,
    ints as they are, text neutralised for Excel."""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, float) or number:
        return de_number(value)
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return neutralise_cell(str(value))


def write_csv(path: str | Path, rows: list[dict[str, Any]], columns: list[str], *,
              number_columns: frozenset[str] = frozenset(),
              sheet: str = "CSV") -> list[ExcelCut]:
    """Write the CSV (complete, nothing cut); return the cells/rows over Excel's limits."""
    over: list[ExcelCut] = []
    with open(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        writer = csv.writer(fh, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
        writer.writerow(columns)
        for n, r in enumerate(rows, start=2):
            out = []
            for c in columns:
                v = csv_cell(r.get(c), number=c in number_columns)
                if isinstance(v, str) and len(v) > EXCEL_MAX_CELL_CHARS:
                    over.append(ExcelCut(sheet, n, c, len(v), EXCEL_MAX_CELL_CHARS))
                out.append(v)
            writer.writerow(out)
    if len(rows) + 1 > EXCEL_MAX_ROWS:
        over.append(ExcelCut(sheet, None, None, len(rows) + 1, EXCEL_MAX_ROWS))
    return over


def fit_sheet(sheet_name: str, note_lines: list[str], rows: list[dict[str, Any]],
              columns: list[str], *, full_values: str = "CSV-Export"
              ) -> tuple[list[str], list[dict[str, Any]], list[ExcelCut]]:
    """Cut cells and rows to Excel's limits; a „Gekürzt: …“ line joins the sheet's note
    (naming ``full_values``, where the complete values are)."""
    # Rows above the data: note lines (plus one „Gekürzt“ line), a blank line, the header.
    room = EXCEL_MAX_ROWS - (len(note_lines) + 1 + 2)
    cuts: list[ExcelCut] = []
    fitted: list[dict[str, Any]] = []
    for i, row in enumerate(rows[:room]):
        new = row
        for c in columns:
            v = row.get(c)
            if isinstance(v, str) and len(v) > EXCEL_MAX_CELL_CHARS:
                if new is row:
                    new = dict(row)
                new[c] = cut_text(v)
                cuts.append(ExcelCut(sheet_name, i, c, len(v), EXCEL_MAX_CELL_CHARS))
        fitted.append(new)
    if len(rows) > room:
        cuts.append(ExcelCut(sheet_name, None, None, len(rows), room))
    lines = [cut_text(line) for line in note_lines]
    n_lines = len(lines) + (1 if cuts else 0)
    # Excel row (1-based) of the first data row: note lines, a blank line, the header.
    offset = n_lines + 3 if n_lines else 2
    cuts = [ExcelCut(c.sheet, c.row + offset if c.row is not None else None, c.column,
                     c.original, c.kept) for c in cuts]
    if cuts:
        lines.append(cuts_summary(cuts, limit=3) + " – vollständige Liste im Tabellenblatt "
                     f"„Gekürzt“; vollständige Werte: {full_values}")
    return lines, fitted, cuts


def write_xlsx(path: str | Path, sheets: list[tuple[str, list[str], list[dict[str, Any]]]],
               columns: list[str], *, widths: Mapping[str, int] | None = None,
               freeze_columns: int = 0, notes_sheet: list[str] | None = None,
               full_values: str = "CSV-Export", full_values_how: str = "") -> list[ExcelCut]:
    """Write a workbook, one sheet per ``(name, note lines, rows)``: notes in italics, a
    blank line, the bold header with autofilter, then the rows (dates as dates, numbers as
    numbers, text never a formula). Cells/rows over Excel's limits are cut and listed
    (returned, a note line on the sheet and a sheet „Gekürzt“ saying where the full values
    are: ``full_values`` plus ``full_values_how``). ``notes_sheet`` adds a sheet „Hinweise“
    (first line bold)."""
    import xlsxwriter

    widths = widths or {}
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    note_fmt = wb.add_format({"italic": True})
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ts_fmt = wb.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"})
    num_fmt = wb.add_format({"num_format": "#,##0.########"})
    all_cuts: list[ExcelCut] = []
    for sheet_name, raw_notes, raw_rows in sheets:
        note_lines, rows, cuts = fit_sheet(sheet_name, raw_notes, raw_rows, columns,
                                           full_values=full_values)
        all_cuts.extend(cuts)
        ws = wb.add_worksheet(sheet_name)
        r0 = 0
        for line in note_lines:
            ws.write_string(r0, 0, line, note_fmt)
            r0 += 1
        if note_lines:
            r0 += 1
        ws.write_row(r0, 0, columns, bold)
        for i, row in enumerate(rows, start=r0 + 1):
            for j, c in enumerate(columns):
                v = row.get(c)
                if v is None or v == "":
                    continue
                if isinstance(v, dt.datetime):
                    ws.write_datetime(i, j, v, ts_fmt)
                elif isinstance(v, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
                elif isinstance(v, int | float):
                    ws.write_number(i, j, v, num_fmt)
                else:
                    ws.write_string(i, j, str(v))  # text, never a formula
        for j, c in enumerate(columns):
            ws.set_column(j, j, widths.get(c, 12))
        ws.freeze_panes(r0 + 1, freeze_columns)
        ws.autofilter(r0, 0, r0 + max(len(rows), 1), len(columns) - 1)
    if notes_sheet:
        ws = wb.add_worksheet("Hinweise")
        ws.set_column(0, 0, 110)
        for i, line in enumerate(notes_sheet):
            ws.write_string(i, 0, line, bold if i == 0 else None)
    if all_cuts:
        ws = wb.add_worksheet("Gekürzt")
        ws.set_column(0, 0, 110)
        ws.write_string(0, 0, "Gekürzt: für die Grenzen von Excel (32.767 Zeichen je Zelle, "
                        "1.048.576 Zeilen je Tabellenblatt) gekürzte Werte. Vollständig im "
                        f"{full_values}{full_values_how}.", bold)
        for i, cut in enumerate(all_cuts[: EXCEL_MAX_ROWS - 1], start=1):
            ws.write_string(i, 0, cut.describe())
    wb.close()
    return all_cuts


# --------------------------------------------------------------------------------------------
# Frames → download bytes
# --------------------------------------------------------------------------------------------


def frame_csv_bytes(frame: pl.DataFrame, source_note: str, *, decimals: int = 2) -> bytes:
    """German Excel CSV of a frame: ';' separator, decimal comma (``decimals`` places, no
    thousands separator), dates 31.12.2025, UTF-8 with BOM, the source as last line."""
    text_cols = []
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            text_cols.append(
                pl.col(name).map_elements(
                    lambda v: fmt_number(v, decimals).replace(".", ""), return_dtype=pl.String
                )
            )
        elif dtype == pl.Date:
            text_cols.append(pl.col(name).dt.strftime("%d.%m.%Y"))
        elif dtype.is_numeric():
            text_cols.append(pl.col(name).cast(pl.String))
        else:  # text: formula-like cells neutralised for Excel
            text_cols.append(neutralise_expr(pl.col(name).cast(pl.String)).alias(name))
    body = frame.select(text_cols).write_csv(separator=CSV_SEPARATOR, null_value="")
    return ("\ufeff" + body + f"{source_note}\n").encode("utf-8")


def frame_xlsx_bytes(frame: pl.DataFrame, source_note: str, sheet_name: str) -> bytes:
    """xlsx of a frame: bold header, floats ``0.0``, integers ``#,##0``, dates dd.mm.yyyy,
    the source two rows below the data."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        sheet = book.add_worksheet(sheet_name)
        bold = book.add_format({"bold": True, "bg_color": "#DDE7F0"})
        number = book.add_format({"num_format": "0.0"})
        integer = book.add_format({"num_format": "#,##0"})
        date = book.add_format({"num_format": "dd.mm.yyyy"})
        for col, name in enumerate(frame.columns):
            sheet.write(0, col, name, bold)
            sheet.set_column(col, col, max(12, len(name) + 2))
        for row_idx, row in enumerate(frame.iter_rows(), start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                dtype = frame.dtypes[col]
                if dtype.is_float():
                    sheet.write_number(row_idx, col, value, number)
                elif dtype.is_integer():
                    sheet.write_number(row_idx, col, value, integer)
                elif dtype == pl.Date:
                    sheet.write_datetime(row_idx, col, value, date)
                else:
                    sheet.write(row_idx, col, value)
        sheet.write(frame.height + 2, 0, source_note)
    return buffer.getvalue()
