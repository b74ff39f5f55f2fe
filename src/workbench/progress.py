"""Indicator progress and status, roll-ups and evaluation snapshots (pure functions).

Inputs are the indicator frame of :func:`workbench.catalogue.indicators_frame` and the
observations frame of ``workbench.store.ObservationStore.current()`` (columns
:data:`OBSERVATION_SCHEMA`). Nothing here reads files or the store.

Status rule (per indicator, evaluated at ``as_of``; first matching rule wins)
------------------------------------------------------------------------------
Only observations with ``period <= as_of`` count; the *latest* is the one with the greatest
period. ``expected`` is the share of the Maßnahme's time elapsed, linear from ``start`` to
``due`` (0 before start, 1 from due on). ``tolerance`` defaults to 0.10 (10 percentage points).

1. no observation                                    → ``keine Daten``
2. ``qualitativ``, or ``anzahl``/``anteil`` without a numeric target → ``ohne Zielwert``
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

Roll-ups count statuses per Maßnahme/Handlungsfeld; ``worst_status`` uses
:data:`SEVERITY` (verzögert > gefährdet > keine Daten > im Plan > erreicht > ohne Zielwert);
``share_on_track`` = (erreicht + im Plan) / (erreicht + im Plan + gefährdet + verzögert).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from workbench.catalogue import Catalogue, indicators_frame
from workbench.store import OBSERVATION_SCHEMA  # one schema for both sides of the contract

STATUSES: tuple[str, ...] = (
    "erreicht", "im Plan", "gefährdet", "verzögert", "keine Daten", "ohne Zielwert",
)
# Higher = worse; used for "worst status" and for "verbessert/verschlechtert".
SEVERITY: dict[str, int] = {
    "ohne Zielwert": 0,
    "erreicht": 1,
    "im Plan": 2,
    "keine Daten": 3,
    "gefährdet": 4,
    "verzögert": 5,
}
ASSESSED = ("erreicht", "im Plan", "gefährdet", "verzögert")
DEFAULT_TOLERANCE = 0.10

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
    "as_of": pl.Date(),
    "is_example": pl.Boolean(),
}


def empty_observations() -> pl.DataFrame:
    """An observations frame with no rows and the store's schema."""
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


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
) -> dict[str, Any]:
    """Progress and status of one indicator (row dict of the indicator frame).

    ``observations`` are this indicator's rows (dicts with ``period``, ``value``, ``note``,
    ``is_example``), any order; rows after ``as_of`` are ignored.
    """
    obs = sorted(
        (o for o in observations
         if o["period"] <= as_of and (o["value"] is not None or o.get("note"))),
        key=lambda o: o["period"],
    )
    out: dict[str, Any] = dict.fromkeys(PROGRESS_COLUMNS)
    out.update(as_of=as_of, n_values=len(obs), is_example=False)
    if not obs:
        out.update(status="keine Daten", status_reason="noch kein Messwert erfasst")
        return out

    latest = obs[-1]
    value = latest["value"]
    out.update(
        latest_period=latest["period"],
        latest_value=value,
        latest_note=latest.get("note"),
        is_example=bool(latest.get("is_example")),
    )
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

    if kind == "qualitativ" or (kind in ("anzahl", "anteil") and target is None):
        out.update(status="ohne Zielwert", status_reason="kein Zahlenziel im Katalog")
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


def _percentages(out: dict[str, Any]) -> None:
    if out["progress"] is not None:
        out["progress_pct"] = 100 * out["progress"]
        out["progress_display_pct"] = min(100.0, max(0.0, out["progress_pct"]))


def indicator_progress(
    indicators: pl.DataFrame | Catalogue | dict[str, Catalogue],
    observations: pl.DataFrame,
    as_of: dt.date,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pl.DataFrame:
    """The indicator frame plus :data:`PROGRESS_COLUMNS` (status etc.) as of ``as_of``."""
    ind = _as_indicators(indicators)
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in observations.select("traeger_id", "indicator_id", "period", "value", "note",
                                   "is_example").iter_rows(named=True):
        by_key.setdefault((row["traeger_id"], row["indicator_id"]), []).append(row)
    results = [
        assess_indicator(row, by_key.get((row["traeger_id"], row["indicator_id"]), []),
                         as_of, tolerance)
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


def rollup(progress: pl.DataFrame, by: Iterable[str]) -> pl.DataFrame:
    """Counts per status, ``n_indicators``, ``worst_status``, ``share_on_track`` per group.

    ``share_on_track`` is null where no indicator of the group has an assessable status.
    ``is_example`` is true if any indicator's latest value is example data.
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
    assessed = sum(pl.col(s) for s in ASSESSED)
    return out.with_columns(
        pl.col("_worst").replace_strict(inverse, return_dtype=pl.String).alias("worst_status"),
        pl.when(assessed > 0)
        .then((pl.col("erreicht") + pl.col("im Plan")) / assessed)
        .otherwise(None)
        .alias("share_on_track"),
    ).drop("_worst")


def rollup_massnahmen(progress: pl.DataFrame) -> pl.DataFrame:
    return rollup(progress, ["traeger_id", "handlungsfeld_id", "handlungsfeld",
                             "massnahme_id", "massnahme", "start", "due"])


def rollup_handlungsfelder(progress: pl.DataFrame) -> pl.DataFrame:
    return rollup(progress, ["traeger_id", "handlungsfeld_id", "handlungsfeld"])


def evaluation_snapshot(
    catalogue: Catalogue | pl.DataFrame,
    observations: pl.DataFrame,
    date_a: dt.date,
    date_b: dt.date,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pl.DataFrame:
    """Per indicator: value and status at ``date_a`` and ``date_b`` and how the status moved.

    ``status_change`` is ``verbessert``/``verschlechtert``/``unverändert`` by :data:`SEVERITY`
    (``ohne Zielwert`` ↔ anything counts as ``unverändert``: there is nothing to judge).
    """
    ind = _as_indicators(catalogue)
    a = indicator_progress(ind, observations, date_a, tolerance)
    b = indicator_progress(ind, observations, date_b, tolerance)
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
    """Handlungsfeld roll-up with German column labels for tables shown to users."""
    r = rollup_handlungsfelder(progress)
    return r.select(
        pl.col("handlungsfeld").alias("Handlungsfeld"),
        pl.col("n_indicators").alias("Indikatoren"),
        *[pl.col(s) for s in STATUSES],
        pl.col("worst_status").alias("kritischster Status"),
        (pl.col("share_on_track") * 100).round(0).alias("im Plan oder erreicht (%)"),
        pl.col("is_example").alias("Beispieldaten"),
    )
