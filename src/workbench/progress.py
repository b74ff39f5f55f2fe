"""Indicator progress and status, roll-ups and evaluation snapshots (pure functions).

Inputs are the indicator frame of :func:`workbench.catalogue.indicators_frame` and the
observations frame of ``workbench.store.ObservationStore.current()`` (columns
:data:`OBSERVATION_SCHEMA`). Nothing here reads files or the store.

Status rule (per indicator, evaluated at ``as_of``; first matching rule wins)
------------------------------------------------------------------------------
Only observations with ``period <= as_of`` count; the *latest* is the one with the greatest
period. ``expected`` is the share of the Maßnahme's time elapsed, linear from ``start`` to
``due`` (0 before start, 1 from due on). ``tolerance`` defaults to 0.10 (10 percentage points).

0. ``qualitativ`` (qualitative Soll-Zustand): the latest assessment with
   ``assessed_on <= as_of`` (greatest date, then version) → ``bewertet: erreicht`` /
   ``bewertet: teilweise erreicht`` / ``bewertet: nicht erreicht``; none → ``noch nicht
   bewertet``. Observations (notes) are shown but never judged.
1. no observation                                    → ``keine Daten``
2. ``anzahl``/``anteil`` without a numeric target    → ``ohne Zielwert`` (with the trend
   against the previous value: ``trend`` gestiegen/gesunken/unverändert, ``trend_text``)
3. ``meilenstein``: latest value ≥ 1 (erledigt)      → ``erreicht``;
   not done and ``as_of > due``                      → ``verzögert``; otherwise ``im Plan``
4. target met (``hoeher_besser``: latest ≥ target; ``niedriger_besser``: latest ≤ target)
                                                     → ``erreicht``
5. ``as_of > due`` (not met)                         → ``verzögert``
6. progress ≥ expected − tolerance                   → ``im Plan``
7. otherwise                                         → ``gefährdet``

Progress = (latest − baseline) / (target − baseline) — direction-aware by construction, since
for ``niedriger_besser`` the target lies below the baseline. ``progress`` keeps the raw
fraction (may be < 0 or > 1); ``progress_display_pct`` is clipped to 0–100 for bars.

Baseline used: the catalogue's ``ausgangswert``; if unset, 0 for ``anzahl`` ``hoeher_besser``
indicators with a target (counting starts with the Maßnahme), else the first observed value.

Indicators with ``zeitbezug: jahr`` (value = count in the calendar year up to ``period``;
target per year) are judged on the year of their latest observation: baseline 0 within the
year; the time window is that calendar year cut to [start, due]; ``expected`` is measured at
the observation's period; the year is "past due" once ``as_of`` is after 31 December of it.
Targets for ``jahr`` indicators must be ``hoeher_besser`` (checked by the catalogue).

Zielwert: the catalogue's ``zielwert``, superseded by the newest Zielwert stored with
``ObservationStore.set_target`` (``targets=`` argument; columns ``target_catalogue``,
``target_source``, ``target_note`` „Zielwert festgelegt am … von …“).

Roll-ups (Maßnahme, Handlungsfeld, Träger) count EVERY indicator: one column per status in
:data:`STATUSES`, ``n_indicators``, ``summary`` („9 Indikatoren: 1 erreicht, 2 im Plan, …“),
``worst_status`` by :data:`SEVERITY` (verzögert > bewertet: nicht erreicht > gefährdet >
noch nicht bewertet > keine Daten > bewertet: teilweise erreicht > im Plan > bewertet:
erreicht > erreicht > ohne Zielwert), ``n_on_track`` (erreicht + im Plan + bewertet:
erreicht) and ``share_on_track`` = ``n_on_track / n_indicators`` — the base is ALL indicators,
never only those with a target. Every status has a German explanation
(:data:`STATUS_EXPLANATIONS`) saying what the Träger can do and where.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from workbench.catalogue import Catalogue, indicators_frame
from workbench.formatting import fmt_date, fmt_int, fmt_number
from workbench.store import (  # one schema for both sides of the contract
    ASSESSMENT_SCHEMA,
    OBSERVATION_SCHEMA,
    RATINGS,
    TARGET_SCHEMA,
)

BASE_STATUSES: tuple[str, ...] = (
    "erreicht", "im Plan", "gefährdet", "verzögert", "keine Daten", "ohne Zielwert",
)
# Qualitative indicators (Soll-Zustand in words): rated, not measured.
QUALITATIVE_STATUSES: tuple[str, ...] = (
    *(f"bewertet: {r}" for r in RATINGS), "noch nicht bewertet",
)
STATUSES: tuple[str, ...] = (*BASE_STATUSES, *QUALITATIVE_STATUSES)
# Higher = worse; used for "worst status" and for "verbessert/verschlechtert".
SEVERITY: dict[str, int] = {
    "ohne Zielwert": 0,
    "erreicht": 1,
    "bewertet: erreicht": 2,
    "im Plan": 3,
    "bewertet: teilweise erreicht": 4,
    "keine Daten": 5,
    "noch nicht bewertet": 6,
    "gefährdet": 7,
    "bewertet: nicht erreicht": 8,
    "verzögert": 9,
}
ASSESSED = ("erreicht", "im Plan", "gefährdet", "verzögert")
ON_TRACK = ("erreicht", "im Plan", "bewertet: erreicht")
DEFAULT_TOLERANCE = 0.10

ENTRY_DASHBOARD = "„Messwerte erfassen“"
# One explanation per status: what it means and what the responsible Träger can do, where.
STATUS_EXPLANATIONS: dict[str, str] = {
    "erreicht": "Der letzte Messwert erreicht den Zielwert (bei Meilensteinen: erledigt).",
    "im Plan": "Der Fortschritt zum Zielwert entspricht dem Zeitplan der Maßnahme (höchstens "
               "10 Prozentpunkte hinter dem gleichmäßigen Plan).",
    "gefährdet": "Der Fortschritt liegt mehr als 10 Prozentpunkte hinter dem Zeitplan; die "
                 "Maßnahme ist noch nicht fällig.",
    "verzögert": "Die Maßnahme ist fällig, der Zielwert ist aber nicht erreicht (bei "
                 "Meilensteinen: nicht erledigt).",
    "keine Daten": "Für diesen Indikator liegt noch kein Messwert vor. Werte erfasst der "
                   f"Träger im Dashboard {ENTRY_DASHBOARD} oder per Excel-Vorlage.",
    "ohne Zielwert": "Für diesen Indikator ist kein Zielwert festgelegt. Die "
                     "Koordinierungsstelle des Trägers kann ihn im Dashboard "
                     f"{ENTRY_DASHBOARD} unter „Zielwert festlegen“ eintragen; bis dahin "
                     "wird die Entwicklung gegenüber dem vorigen Messwert gezeigt.",
    "bewertet: erreicht": "Qualitatives Ziel, von der Koordinierungsstelle des Trägers als "
                          "erreicht bewertet (Datum, Begründung und Name beim Indikator).",
    "bewertet: teilweise erreicht": "Qualitatives Ziel, von der Koordinierungsstelle des "
                                    "Trägers als teilweise erreicht bewertet (Datum, "
                                    "Begründung und Name beim Indikator).",
    "bewertet: nicht erreicht": "Qualitatives Ziel, von der Koordinierungsstelle des Trägers "
                                "als nicht erreicht bewertet (Datum, Begründung und Name beim "
                                "Indikator).",
    "noch nicht bewertet": "Dieser Indikator hat ein qualitatives Ziel und ist noch nicht "
                           "bewertet. Die Koordinierungsstelle des Trägers kann ihn im "
                           f"Dashboard {ENTRY_DASHBOARD} unter „Qualitatives Ziel bewerten“ "
                           "mit Datum und Begründung bewerten.",
}
TREND_WORDS = {"gestiegen": "↑ gestiegen", "gesunken": "↓ gesunken",
               "unverändert": "→ unverändert"}

PROGRESS_COLUMNS: dict[str, pl.DataType] = {
    "latest_period": pl.Date(),
    "latest_value": pl.Float64(),
    "latest_note": pl.String(),
    "n_values": pl.Int64(),
    "baseline_used": pl.Float64(),
    "baseline_source": pl.String(),
    "change": pl.Float64(),
    "progress": pl.Float64(),
    "progress_pct": pl.Float64(),
    "progress_display_pct": pl.Float64(),
    "expected_pct": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "previous_period": pl.Date(),
    "previous_value": pl.Float64(),
    "trend": pl.String(),
    "trend_text": pl.String(),
    "assessment_rating": pl.String(),
    "assessment_date": pl.Date(),
    "assessment_by": pl.String(),
    "assessment_text": pl.String(),
    "assessment_version": pl.Int64(),
    "explanation": pl.String(),
    "as_of": pl.Date(),
    "is_example": pl.Boolean(),
}
# Added to the indicator frame when stored Zielwerte are applied (always present).
TARGET_COLUMNS: dict[str, pl.DataType] = {
    "target_catalogue": pl.Float64(),
    "target_source": pl.String(),
    "target_set_on": pl.Date(),
    "target_set_by": pl.String(),
    "target_comment": pl.String(),
    "target_version": pl.Int64(),
    "target_note": pl.String(),
}


def empty_observations() -> pl.DataFrame:
    """An observations frame with no rows and the store's schema."""
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def empty_targets() -> pl.DataFrame:
    return pl.DataFrame(schema=TARGET_SCHEMA)


def empty_assessments() -> pl.DataFrame:
    return pl.DataFrame(schema=ASSESSMENT_SCHEMA)


def _plain(value: float, kind: str, about_persons: bool = False) -> str:
    """A value for a sentence; person counts 1–2 as „.“ (published texts)."""
    if about_persons and 1 <= value <= 2:
        return "."
    if kind == "anteil":
        return f"{fmt_number(value, 1)} %"
    return fmt_int(value) if float(value).is_integer() else fmt_number(value, 1)


def trend_of(previous: float, latest: float) -> str:
    """``gestiegen``/``gesunken``/``unverändert`` (direction of the change, not a rating)."""
    if latest > previous:
        return "gestiegen"
    if latest < previous:
        return "gesunken"
    return "unverändert"


def target_note(set_on: dt.date, set_by: str, catalogue_target: float | None = None,
                catalogue_assumed: bool = False, kind: str = "anzahl") -> str:
    """„Zielwert festgelegt am 12.03.2026 von A. Muster“ (+ which catalogue value it replaces)."""
    text = f"Zielwert festgelegt am {fmt_date(set_on)} von {set_by}"
    if catalogue_target is not None:
        what = "angenommenen Katalogwert" if catalogue_assumed else "Katalogwert"
        text += f" (ersetzt den {what} {_plain(catalogue_target, kind)})"
    return text


def apply_targets(indicators: pl.DataFrame, targets: pl.DataFrame | None) -> pl.DataFrame:
    """The indicator frame with the newest stored Zielwert per indicator as ``target``.

    Adds :data:`TARGET_COLUMNS`; ``target_catalogue`` keeps the catalogue's own value,
    ``target_source`` is ``Katalog``, ``festgelegt`` or null. A stored target is a decision,
    not an assumption: ``target_assumed`` becomes false for it.
    """
    if "target_source" in indicators.columns:
        return indicators
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    if targets is not None and targets.height:
        for row in targets.sort("version").iter_rows(named=True):
            newest[(row["traeger_id"], row["indicator_id"])] = row
    rows = []
    for r in indicators.iter_rows(named=True):
        t = newest.get((r["traeger_id"], r["indicator_id"]))
        extra: dict[str, Any] = dict.fromkeys(TARGET_COLUMNS)
        extra["target_catalogue"] = r["target"]
        extra["target_source"] = "Katalog" if r["target"] is not None else None
        if t is not None and r["kind"] in ("anzahl", "anteil"):
            set_on = t["set_at"].date() if t["set_at"] is not None else None
            extra.update(
                target_source="festgelegt", target_set_on=set_on, target_set_by=t["set_by"],
                target_comment=t["comment"], target_version=t["version"],
                target_note=target_note(set_on, t["set_by"], r["target"],
                                        bool(r.get("target_assumed")), r["kind"]),
            )
        rows.append(extra)
    extra_frame = pl.DataFrame(rows, schema=TARGET_COLUMNS, orient="row")
    out = pl.concat([indicators, extra_frame], how="horizontal")
    stored = pl.col("target_source") == "festgelegt"
    stored_values = pl.Series(
        [newest[(r["traeger_id"], r["indicator_id"])]["target"]
         if (r["traeger_id"], r["indicator_id"]) in newest else None
         for r in indicators.select("traeger_id", "indicator_id").iter_rows(named=True)],
        dtype=pl.Float64,
    )
    out = out.with_columns(
        pl.when(stored).then(stored_values).otherwise(pl.col("target")).alias("target"),
        pl.when(stored).then(pl.lit(False)).otherwise(pl.col("target_assumed"))
        .alias("target_assumed"),
    )
    return out


def expected_progress(start: dt.date, due: dt.date, at: dt.date) -> float:
    """Share of [start, due] elapsed at ``at``, clipped to 0–1 (linear plan)."""
    if due <= start:
        return 1.0 if at >= due else 0.0
    share = (at - start).days / (due - start).days
    return min(1.0, max(0.0, share))


def progress_fraction(latest: float, baseline: float, target: float) -> float:
    """(latest − baseline) / (target − baseline); 1.0/0.0 when target equals baseline."""
    if target == baseline:
        return 1.0 if latest == baseline else 0.0
    return (latest - baseline) / (target - baseline)


def target_met(latest: float, target: float, direction: str) -> bool:
    return latest <= target if direction == "niedriger_besser" else latest >= target


def _as_indicators(indicators: pl.DataFrame | Catalogue | dict[str, Catalogue]) -> pl.DataFrame:
    return indicators if isinstance(indicators, pl.DataFrame) else indicators_frame(indicators)


def assess_indicator(
    ind: dict[str, Any],
    observations: Sequence[dict[str, Any]],
    as_of: dt.date,
    tolerance: float = DEFAULT_TOLERANCE,
    assessments: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Progress and status of one indicator (row dict of the indicator frame).

    ``observations`` are this indicator's rows (dicts with ``period``, ``value``, ``note``,
    ``is_example``), any order; rows after ``as_of`` are ignored. ``assessments``: this
    indicator's assessment versions (rows of ``ASSESSMENT_SCHEMA``), used for ``qualitativ``.
    """
    out = _assess(ind, observations, as_of, tolerance, assessments)
    out["explanation"] = STATUS_EXPLANATIONS.get(out["status"])
    return out


def _assess(
    ind: dict[str, Any],
    observations: Sequence[dict[str, Any]],
    as_of: dt.date,
    tolerance: float,
    assessments: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    obs = sorted(
        (o for o in observations
         if o["period"] <= as_of and (o["value"] is not None or o.get("note"))),
        key=lambda o: o["period"],
    )
    out: dict[str, Any] = dict.fromkeys(PROGRESS_COLUMNS)
    out.update(as_of=as_of, n_values=len(obs), is_example=False)
    if obs:
        latest = obs[-1]
        out.update(latest_period=latest["period"], latest_value=latest["value"],
                   latest_note=latest.get("note"), is_example=bool(latest.get("is_example")))
    if ind["kind"] == "qualitativ":
        _rate(out, assessments, as_of)
        return out
    if not obs:
        out.update(status="keine Daten", status_reason="noch kein Messwert erfasst")
        return out

    latest = obs[-1]
    value = latest["value"]
    kind, target, direction = ind["kind"], ind["target"], ind["direction"]
    start, due = ind["start"], ind["due"]
    per_year = ind.get("period_basis") == "jahr"

    # Baseline used for change and progress.
    numeric = [o for o in obs if o["value"] is not None]
    if ind["baseline"] is not None:
        baseline, source = ind["baseline"], "Katalog"
    elif per_year and target is not None:
        baseline, source = 0.0, "0 (Jahreszählung)"
    elif kind == "anzahl" and direction == "hoeher_besser" and target is not None:
        baseline, source = 0.0, "0 (kein Ausgangswert angegeben)"
    elif numeric and kind in ("anzahl", "anteil"):
        baseline, source = numeric[0]["value"], f"erster Messwert ({numeric[0]['period']})"
    else:
        baseline, source = None, None
    out.update(baseline_used=baseline, baseline_source=source)
    if value is not None and baseline is not None:
        out["change"] = value - baseline

    if kind in ("anzahl", "anteil") and target is None:
        _trend(out, numeric, kind, bool(ind.get("about_persons")))
        reason = "kein Zielwert festgelegt"
        out.update(status="ohne Zielwert",
                   status_reason=f"{reason}; {out['trend_text']}" if out["trend_text"]
                   else reason)
        return out

    if kind == "meilenstein":
        done = value is not None and value >= 1
        out.update(
            progress=1.0 if done else 0.0,
            expected_pct=100 * expected_progress(start, due, as_of),
        )
        if done:
            out.update(status="erreicht", status_reason="Meilenstein erledigt")
        elif as_of > due:
            out.update(status="verzögert", status_reason=f"nicht erledigt, fällig {due:%d.%m.%Y}")
        else:
            out.update(status="im Plan", status_reason=f"offen, fällig {due:%d.%m.%Y}")
        _percentages(out)
        return out

    if value is None:  # only a note: cannot judge a numeric target
        out.update(status="keine Daten", status_reason="letzter Eintrag ohne Zahlenwert")
        return out

    if per_year:
        year_end = dt.date(latest["period"].year, 12, 31)
        window_start = max(dt.date(latest["period"].year, 1, 1), start)
        window_end = min(year_end, due)
        expected = expected_progress(window_start, window_end, latest["period"])
        label = f"Jahresziel {latest['period'].year}"
    else:
        window_end = due
        expected = expected_progress(start, due, as_of)
        label = "Zielwert"
    past_due = as_of > window_end
    progress = progress_fraction(value, baseline, target)
    out.update(progress=progress, expected_pct=100 * expected)
    _percentages(out)
    if target_met(value, target, direction):
        out.update(status="erreicht", status_reason=f"{label} erreicht")
    elif past_due:
        out.update(status="verzögert",
                   status_reason=f"{label} bis {window_end:%d.%m.%Y} nicht erreicht")
    elif progress >= expected - tolerance:
        out.update(status="im Plan", status_reason="Fortschritt entspricht dem Zeitplan")
    else:
        out.update(
            status="gefährdet",
            status_reason=f"Fortschritt {100 * progress:.0f} % < erwartet {100 * expected:.0f} %",
        )
    return out


def _trend(out: dict[str, Any], numeric: list[dict[str, Any]], kind: str,
           about_persons: bool) -> None:
    """Direction against the previous numeric value, in words (arrows get a text)."""
    if not numeric:
        return
    last = numeric[-1]
    now = f"{_plain(last['value'], kind, about_persons)} am {fmt_date(last['period'])}"
    if len(numeric) < 2:
        out["trend_text"] = f"erst ein Messwert ({now}), noch keine Entwicklung"
        return
    prev = numeric[-2]
    direction = trend_of(prev["value"], last["value"])
    out.update(
        previous_period=prev["period"], previous_value=prev["value"], trend=direction,
        trend_text=f"{TREND_WORDS[direction]}: {now}, vorher "
                   f"{_plain(prev['value'], kind, about_persons)} am {fmt_date(prev['period'])}",
    )


def latest_assessment(assessments: Sequence[dict[str, Any]],
                      as_of: dt.date) -> dict[str, Any] | None:
    """The assessment that counts at ``as_of``: greatest ``assessed_on`` ≤ as_of, then the
    newest version (a later correction of the same day wins)."""
    valid = [a for a in assessments if a["assessed_on"] <= as_of]
    return max(valid, key=lambda a: (a["assessed_on"], a["version"])) if valid else None


def _rate(out: dict[str, Any], assessments: Sequence[dict[str, Any]], as_of: dt.date) -> None:
    a = latest_assessment(assessments, as_of)
    if a is None:
        out.update(status="noch nicht bewertet",
                   status_reason="qualitatives Ziel, noch keine Bewertung erfasst")
        return
    text = (f"bewertet: {a['rating']} ({fmt_date(a['assessed_on'])}, Begründung: "
            f"{a['justification']}; bewertet von {a['assessed_by']})")
    out.update(
        status=f"bewertet: {a['rating']}", status_reason=text,
        assessment_rating=a["rating"], assessment_date=a["assessed_on"],
        assessment_by=a["assessed_by"], assessment_text=a["justification"],
        assessment_version=a["version"],
        is_example=bool(out["is_example"]) or bool(a.get("is_example")),
    )


def _percentages(out: dict[str, Any]) -> None:
    if out["progress"] is not None:
        out["progress_pct"] = 100 * out["progress"]
        out["progress_display_pct"] = min(100.0, max(0.0, out["progress_pct"]))


def indicator_progress(
    indicators: pl.DataFrame | Catalogue | dict[str, Catalogue],
    observations: pl.DataFrame,
    as_of: dt.date,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    targets: pl.DataFrame | None = None,
    assessments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The indicator frame (+ :data:`TARGET_COLUMNS`) plus :data:`PROGRESS_COLUMNS` as of
    ``as_of``. ``targets``/``assessments``: the store's ``targets()``/``assessments()``.

    ``indicators``: :func:`workbench.catalogue.indicators_frame` or catalogue(s);
    ``observations``: ``ObservationStore.current()``; ``tolerance``: see the status rule in
    the module docstring. The added columns include ``latest_period, latest_value,
    progress, progress_pct, expected_pct, status, status_reason, trend_text, explanation``.

    Example::

        >>> cat = load_catalogue("sachsenheim")
        >>> obs = ObservationStore().current("sachsenheim")
        >>> progress = indicator_progress(cat, obs, dt.date(2026, 6, 30))
        >>> progress.select("indicator_id", "status").head(3)
    """
    ind = apply_targets(_as_indicators(indicators), targets)
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in observations.select("traeger_id", "indicator_id", "period", "value", "note",
                                   "is_example").iter_rows(named=True):
        by_key.setdefault((row["traeger_id"], row["indicator_id"]), []).append(row)
    rated: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if assessments is not None:
        for row in assessments.iter_rows(named=True):
            rated.setdefault((row["traeger_id"], row["indicator_id"]), []).append(row)
    results = [
        assess_indicator(row, by_key.get((row["traeger_id"], row["indicator_id"]), []),
                         as_of, tolerance,
                         rated.get((row["traeger_id"], row["indicator_id"]), []))
        for row in ind.iter_rows(named=True)
    ]
    extra = pl.DataFrame(results, schema=PROGRESS_COLUMNS, orient="row")
    return pl.concat([ind, extra], how="horizontal")


def latest_values(observations: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Latest observation per Träger × indicator with ``period <= as_of``."""
    return (
        observations.filter(pl.col("period") <= as_of)
        .sort("period")
        .group_by("traeger_id", "indicator_id", maintain_order=True)
        .last()
        .sort("traeger_id", "indicator_id")
    )


def status_summary(counts: dict[str, int], n: int | None = None) -> str:
    """„9 Indikatoren: 1 erreicht, 2 im Plan, 0 gefährdet, 0 verzögert, 4 keine Daten,
    2 ohne Zielwert“ — every indicator counted; qualitative ones appended when present."""
    n = sum(counts.get(s, 0) for s in STATUSES) if n is None else n
    parts = [f"{counts.get(s, 0)} {s}" for s in BASE_STATUSES]
    rated = [counts.get(f"bewertet: {r}", 0) for r in RATINGS]
    pending = counts.get("noch nicht bewertet", 0)
    if sum(rated) or pending:
        parts.append(f"{sum(rated)} qualitativ bewertet ("
                     + ", ".join(f"{k} {r}" for k, r in zip(rated, RATINGS, strict=True))
                     + ")")
        parts.append(f"{pending} noch nicht bewertet")
    return f"{n} {'Indikator' if n == 1 else 'Indikatoren'}: " + ", ".join(parts)


def rollup(progress: pl.DataFrame, by: Iterable[str]) -> pl.DataFrame:
    """Counts per status (all :data:`STATUSES`), ``n_indicators``, ``worst_status``,
    ``n_on_track``, ``share_on_track`` and the German ``summary`` per group.

    ``share_on_track`` = ``n_on_track / n_indicators``: its base is EVERY indicator of the
    group (also those without target or data), so it is never „100 %“ over a reduced base.
    ``is_example`` is true if any indicator's latest value is example data.

    ``progress``: the frame of :func:`indicator_progress`; ``by``: its grouping columns
    (kept in the result). :func:`rollup_massnahmen`, :func:`rollup_handlungsfelder` and
    :func:`rollup_traeger` are the three groupings the reports and dashboards use.

    Example::

        >>> rollup(progress, ["traeger_id", "handlungsfeld"]).select(
        ...     "handlungsfeld", "n_indicators", "worst_status", "summary")
    """
    by = list(by)
    counts = [(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in STATUSES]
    out = progress.group_by(by, maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("n_indicators"),
        *counts,
        pl.col("status").replace_strict(SEVERITY, return_dtype=pl.Int64).max().alias("_worst"),
        pl.col("is_example").any().alias("is_example"),
    )
    inverse = {v: k for k, v in SEVERITY.items()}
    on_track = sum(pl.col(s) for s in ON_TRACK)
    out = out.with_columns(
        pl.col("_worst").replace_strict(inverse, return_dtype=pl.String).alias("worst_status"),
        on_track.cast(pl.Int64).alias("n_on_track"),
        (on_track / pl.col("n_indicators")).alias("share_on_track"),
    ).drop("_worst")
    summaries = [status_summary(r, r["n_indicators"]) for r in out.iter_rows(named=True)]
    return out.with_columns(pl.Series("summary", summaries, dtype=pl.String))


def rollup_massnahmen(progress: pl.DataFrame) -> pl.DataFrame:
    """:func:`rollup` per Maßnahme: ``traeger_id, handlungsfeld_id, handlungsfeld,
    massnahme_id, massnahme, start, due`` plus the status counts and ``summary``.

    Example::

        >>> rollup_massnahmen(progress).select("massnahme", "due", "worst_status")
    """
    return rollup(progress, ["traeger_id", "handlungsfeld_id", "handlungsfeld",
                             "massnahme_id", "massnahme", "start", "due"])


def rollup_handlungsfelder(progress: pl.DataFrame) -> pl.DataFrame:
    """:func:`rollup` per Handlungsfeld: ``traeger_id, handlungsfeld_id, handlungsfeld``
    plus the status counts, ``share_on_track`` and ``summary``.

    Example::

        >>> rollup_handlungsfelder(progress).select("handlungsfeld", "n_indicators", "summary")
    """
    return rollup(progress, ["traeger_id", "handlungsfeld_id", "handlungsfeld"])


def rollup_traeger(progress: pl.DataFrame) -> pl.DataFrame:
    """:func:`rollup` per Träger: ``traeger_id, traeger_name`` plus the status counts and
    ``summary`` („32 Indikatoren: 0 erreicht, 0 im Plan, …“).

    Example::

        >>> rollup_traeger(progress).get_column("summary").item()
    """
    return rollup(progress, ["traeger_id", "traeger_name"])


def evaluation_snapshot(
    catalogue: Catalogue | pl.DataFrame,
    observations: pl.DataFrame,
    date_a: dt.date,
    date_b: dt.date,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    targets: pl.DataFrame | None = None,
    assessments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per indicator: value and status at ``date_a`` and ``date_b`` and how the status moved.

    ``status_change`` is ``verbessert``/``verschlechtert``/``unverändert`` by :data:`SEVERITY`
    (``ohne Zielwert`` ↔ anything counts as ``unverändert``: there is nothing to judge).
    """
    ind = apply_targets(_as_indicators(catalogue), targets)
    a = indicator_progress(ind, observations, date_a, tolerance, assessments=assessments)
    b = indicator_progress(ind, observations, date_b, tolerance, assessments=assessments)
    keep = ["latest_period", "latest_value", "progress_pct", "status", "is_example"]
    out = ind.select(
        "traeger_id", "handlungsfeld", "massnahme_id", "massnahme", "indicator_id", "indicator",
        "kind", "unit", "target", "about_persons",
    )
    out = pl.concat(
        [out, a.select([pl.col(c).alias(f"{c}_a") for c in keep]),
         b.select([pl.col(c).alias(f"{c}_b") for c in keep])],
        how="horizontal",
    )
    sev_a = pl.col("status_a").replace_strict(SEVERITY, return_dtype=pl.Int64)
    sev_b = pl.col("status_b").replace_strict(SEVERITY, return_dtype=pl.Int64)
    neutral = (pl.col("status_a") == "ohne Zielwert") | (pl.col("status_b") == "ohne Zielwert")
    return out.with_columns(
        (pl.col("latest_value_b") - pl.col("latest_value_a")).alias("change"),
        pl.when(neutral | (sev_a == sev_b)).then(pl.lit("unverändert"))
        .when(sev_b < sev_a).then(pl.lit("verbessert"))
        .otherwise(pl.lit("verschlechtert"))
        .alias("status_change"),
        (pl.col("is_example_a") | pl.col("is_example_b")).alias("is_example"),
        pl.lit(date_a).alias("date_a"),
        pl.lit(date_b).alias("date_b"),
    )


def last_evaluation_date(catalogue: Catalogue, as_of: dt.date) -> dt.date:
    """The latest scheduled evaluation date before ``as_of`` (else the schedule start)."""
    past = [d for d in catalogue.evaluation_dates() if d < as_of]
    return past[-1] if past else catalogue.traeger.zeitplan.beginn


def status_overview(progress: pl.DataFrame) -> pl.DataFrame:
    """Handlungsfeld roll-up with German column labels for tables shown to users and
    exports: every status counted, „im Plan oder erreicht“ as „3 von 9“ (base: all
    indicators), the distribution in words."""
    r = rollup_handlungsfelder(progress)
    present = [s for s in STATUSES
               if s in BASE_STATUSES or (r.height and r[s].sum() > 0)
               or (s in QUALITATIVE_STATUSES and "qualitativ" in set(progress["kind"]))]
    return r.select(
        pl.col("handlungsfeld").alias("Handlungsfeld"),
        pl.col("n_indicators").alias("Indikatoren"),
        *[pl.col(s) for s in present],
        pl.col("worst_status").alias("kritischster Status"),
        pl.format("{} von {}", pl.col("n_on_track"), pl.col("n_indicators"))
        .alias("im Plan oder erreicht (von allen Indikatoren)"),
        pl.col("summary").alias("Verteilung"),
        pl.col("is_example").alias("Beispieldaten"),
    )


def status_legend(statuses: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(status, German explanation) for ``statuses`` (default: all), in :data:`STATUSES`
    order — the legend of reports, dashboards and exported status tables."""
    wanted = set(STATUSES if statuses is None else statuses)
    return [(s, STATUS_EXPLANATIONS[s]) for s in STATUSES if s in wanted]


def status_table(progress: pl.DataFrame) -> pl.DataFrame:
    """One row per indicator with status, detail (trend, assessment, Zielwert note) and the
    explanation — the exported status table (German columns)."""
    rows = []
    for r in progress.iter_rows(named=True):
        value = r["latest_value"]
        hidden = bool(r["about_persons"]) and value is not None and 1 <= value <= 2
        # A suppressed person count must not come back through a progress percentage.
        reason = ("Wert unterdrückt (1–2 Personen)"
                  if hidden and r["status"] in ASSESSED else r["status_reason"])
        detail = [reason or ""]
        if r.get("target_note"):
            detail.append(r["target_note"])
        rows.append({
            "Handlungsfeld": r["handlungsfeld"],
            "Maßnahme": r["massnahme"],
            "Indikator": r["indicator"],
            "Status": r["status"],
            "Einzelheiten": "; ".join(d for d in detail if d),
            "Erläuterung": r["explanation"] or "",
            "Beispieldaten": "ja" if r["is_example"] else "",
        })
    return pl.DataFrame(rows, schema={k: pl.String for k in (
        "Handlungsfeld", "Maßnahme", "Indikator", "Status", "Einzelheiten", "Erläuterung",
        "Beispieldaten")})
