"""What one observation is and the rules a value must follow (beside the catalogue).

An :class:`Observation` is one value of an indicator of a Träger for a Stichtag, as it is
entered (form, import, example data) and handed to :class:`workbench.store.ObservationStore`.
The rules here decide whether it fits: :func:`observation_problems` (fields present, a date,
a number or a note), :func:`indicator_problem` (the indicator is in the Träger's catalogue
and the value fits its kind, :func:`check_value`) and :func:`date_problem` (a plausible
Stichtag for files). The indicator kinds themselves are the catalogue's
(:data:`workbench.catalogue.KINDS`); :func:`catalogue_specs` is what the rules need from a
catalogue (:class:`IndicatorSpec` per indicator).

Information that only an import has (the file row, whether „Quelle“ was filled in) travels
beside the observation in an :class:`ImportRow`, never inside it.

No I/O except reading the catalogue in :func:`catalogue_specs`; messages are German, because
they are shown to the people who enter values.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from types import MappingProxyType

from workbench.cache import input_keyed_cache
from workbench.catalogue import KINDS
from workbench.exceptions import Problem

__all__ = [
    "KINDS",
    "ImportRow",
    "IndicatorSpec",
    "Observation",
    "SpecProvider",
    "catalogue_specs",
    "check_value",
    "date_problem",
    "fmt_value",
    "indicator_problem",
    "observation_problems",
]


@dataclass(frozen=True)
class Observation:
    """One value of an indicator of a Träger for a Stichtag (``period``), as entered.

    ``value`` is the number (Anzahl, Anteil in percent, Meilenstein 1/0); ``note`` the text of
    a qualitative indicator or an explanation; at least one of the two is needed. ``source``
    (document/statistic) and ``entered_by`` are required for the audit trail; ``is_example``
    marks Beispieldaten. The fields are not checked when the object is built (a form shows
    every problem at once): :func:`observation_problems` and :func:`indicator_problem` do that,
    and the store refuses what they refuse.
    """

    traeger_id: str
    indicator_id: str
    period: dt.date
    value: float | None
    note: str | None = None
    _: KW_ONLY
    entered_by: str
    source: str
    comment: str = ""
    is_example: bool = False


@dataclass(frozen=True)
class ImportRow:
    """An observation read from a file, with what only the import knows.

    ``row``: the row number a user sees in Excel or an editor. ``source_given``: False when
    „Quelle“ was empty and defaulted to „Import <Dateiname>“; re-importing the same values
    under another file name then creates no new version (see
    ``ObservationStore.record_many(skip_unchanged=True)``).
    """

    observation: Observation
    row: int
    source_given: bool = True


@dataclass(frozen=True)
class IndicatorSpec:
    """What the rules need to know about an indicator to check a value."""

    indicator_id: str
    kind: str  # one of KINDS
    indicator: str = ""
    unit: str = ""


SpecProvider = Callable[[str], Mapping[str, IndicatorSpec] | None]


def catalogue_specs(traeger_id: str) -> Mapping[str, IndicatorSpec] | None:
    """Indicators of ``traeger_id`` from :mod:`workbench.catalogue`; ``None`` without catalogue.

    ``None`` means "no catalogue for this Träger" (values are then not checked against one).
    Cached on the catalogue file's mtime and size, so an edited catalogue applies at once,
    also in a long-running dashboard.
    """
    from workbench import catalogue

    path = catalogue.catalogue_path(traeger_id)
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return _catalogue_specs(traeger_id, path)


@input_keyed_cache(lambda traeger_id, path: [path], maxsize=64)
def _catalogue_specs(traeger_id: str, path: Path) -> Mapping[str, IndicatorSpec]:
    from workbench import catalogue

    frame = catalogue.indicators_frame(catalogue.load_catalogue(traeger_id))
    return MappingProxyType({
        row["indicator_id"]: IndicatorSpec(
            indicator_id=row["indicator_id"],
            kind=row["kind"],
            indicator=row.get("indicator") or "",
            unit=row.get("unit") or "",
        )
        for row in frame.iter_rows(named=True)
    })


def fmt_value(value: float | None) -> str:
    """A value as it is quoted in a problem: ``3``, ``12,5``, empty for none."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",")


def check_value(spec: IndicatorSpec, value: float | None, note: str | None) -> str | None:
    """Return a German description of what was expected, or ``None`` when the value fits."""
    has_note = note is not None and note.strip() != ""
    if value is not None and not math.isfinite(value):
        return "eine endliche Zahl"
    if spec.kind == "anzahl":
        if value is None:
            return "eine Anzahl (ganze Zahl ≥ 0)"
        if value < 0 or not float(value).is_integer():
            return "eine Anzahl (ganze Zahl ≥ 0)"
    elif spec.kind == "anteil":
        if value is None or not 0 <= value <= 100:
            return "einen Anteil in Prozent zwischen 0 und 100"
    elif spec.kind == "meilenstein":
        if value not in (0, 1):
            return "einen Meilenstein: 1/ja (erreicht) oder 0/nein (nicht erreicht)"
    elif spec.kind == "qualitativ":
        if not has_note:
            return "eine Notiz (qualitativer Indikator: Beschreibung in „Notiz“)"
    else:
        return f"bekannte Indikatorart ({', '.join(KINDS)}), gefunden „{spec.kind}“"
    return None


def observation_problems(obs: Observation, where: str) -> list[Problem]:
    """German problems with the fields of ``obs`` itself (no catalogue needed).

    ``where`` names the file or store in each :class:`Problem`. A value that is not a number
    ends the check (nothing else can be said about it).
    """
    problems: list[Problem] = []
    for text, label in (
        (obs.traeger_id, "Träger"),
        (obs.indicator_id, "Indikator-ID"),
        (obs.entered_by, "Erfasst von"),
        (obs.source, "Quelle"),
    ):
        if not str(text or "").strip():
            problems.append(Problem(where, None, label, "", "nicht leer"))
    if not isinstance(obs.period, dt.date) or isinstance(obs.period, dt.datetime):
        problems.append(Problem(where, None, "Stichtag", str(obs.period), "ein Datum (date)"))
    value = obs.value
    if value is None and not (obs.note or "").strip():
        problems.append(Problem(where, None, "Wert", "", "ein Wert oder eine Notiz"))
    if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)):
        problems.append(Problem(where, None, "Wert", repr(value), "eine Zahl"))
    return problems


def indicator_problem(
    obs: Observation, specs: Mapping[str, IndicatorSpec], where: str
) -> Problem | None:
    """The problem of ``obs`` against its Träger's catalogue indicators ``specs`` (unknown
    indicator id, or a value that does not fit the kind), else ``None``."""
    spec = specs.get(obs.indicator_id or "")
    if spec is None:
        return Problem(where, None, "Indikator-ID", obs.indicator_id or "",
                       f"eine Indikator-ID aus dem Katalog von „{obs.traeger_id or ''}“")
    value = obs.value
    expected = check_value(spec, None if value is None else float(value), obs.note)
    if expected:
        return Problem(where, None, "Wert", fmt_value(value) or (obs.note or ""), expected)
    return None


def date_problem(day: dt.date) -> str | None:
    """German expectation when a Stichtag ``day`` lies outside the sane range of
    :class:`workbench.tabular.Limits` (01.01.1990 to the end of next year)."""
    from workbench.tabular import LIMITS

    if LIMITS.min_date <= day <= LIMITS.max_date():
        return None
    return f"ein Stichtag von {LIMITS.date_range_text()} (Tippfehler im Jahr?)"
