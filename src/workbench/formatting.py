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


def fmt_points_value(value: float | None, decimals: int = 1) -> str:
    """4.45 -> '+4,5': signed points for a place whose label names the unit."""
    return fmt_points(value, decimals).removesuffix(" Prozentpunkte")


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


LOCAL_TZ = "Europe/Berlin"  # the readers' time: reports and indexes never show UTC


def fmt_datetime_local(value: dt.datetime | str | None) -> str:
    """'2026-12-02T14:26:41+00:00' -> '02.12.2026, 15:26 Uhr' (German local time).

    A naive datetime is taken as UTC (what the batch records); None or '' -> '–'.
    """
    from zoneinfo import ZoneInfo

    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(ZoneInfo(LOCAL_TZ))
    return f"{local:%d.%m.%Y, %H:%M} Uhr"
