"""Estimated municipal foreign shares between and after official points (model v2).

Pure functions on polars frames, no file access; ``workbench.population`` feeds them the
official points and the Kreis series, ``bench/bench_backtest.py`` measures them.

The method in plain words (the German text for readers is :data:`METHOD_TEXT`):

* **Official municipal points** (anchors): Zensus 2011 (09.05.2011, counts), Zensus 2022
  (15.05.2022), Statistik BW „Stand 2025“ and any official series a user supplied. An
  estimate is never made for a date that has an official value: it *is* the official value.
* **Between two anchors** the municipality's share relative to its Kreis,
  ``r = share_Gemeinde / share_Kreis`` (each on the basis of its own date), moves linearly
  in time from one anchor to the next; the estimate is ``r(t) × share_Kreis(t)``.
* **After the last anchor** the change of the Kreis share since the anchor is shared out:
  partly in proportion to the municipality's share, partly equally, with a size term
  (``share = s0 + b1·s0·(K/K0 − 1) + b2·(K − K0) + b3·ln(Einwohner)·(K − K0)``); ``b1..b3``
  are fitted by least squares on the latest anchor-to-anchor change of every
  Baden-Württemberg municipality (:func:`fit_extrapolation`).
* **Sums to the Kreis**: for every date the estimates of a Kreis are scaled by one common
  factor so that, weighted with the municipalities' populations of the same basis, they
  give the Kreis share of that date (:func:`rake`); official values of that date are kept.
* **Band**: ``± band(h)`` percentage points, where ``h`` is the distance in years to the
  nearest anchor and ``band`` is the 90th percentile of the absolute backtest errors
  (:func:`band_from_backtests`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:  # numpy is imported where it is used: a dashboard kernel never estimates
    import numpy as np

METHOD_TEXT = (
    "Jährliche Ausländeranteile je Gemeinde werden nicht veröffentlicht. Amtliche Werte je "
    "Gemeinde gibt es nur zu drei Zeitpunkten: Zensus 2011 (09.05.2011), Zensus 2022 "
    "(15.05.2022) und Statistisches Landesamt Baden-Württemberg (Stand 2025). Dazwischen wird "
    "geschätzt: Das Verhältnis des Gemeindeanteils zum Kreisanteil wird zwischen zwei amtlichen "
    "Werten gleichmäßig übergeleitet und mit dem Kreisanteil des Jahres (Regionalatlas, "
    "Bevölkerungsfortschreibung) multipliziert. Nach dem letzten amtlichen Wert wird die "
    "Veränderung des Kreisanteils auf die Gemeinden verteilt (teils im Verhältnis zum bisherigen "
    "Anteil, teils gleichmäßig, mit einem Größenzuschlag; die Gewichte sind aus allen Gemeinden "
    "Baden-Württembergs geschätzt). Anschließend werden die Schätzwerte eines Jahres so "
    "angeglichen, dass sie zusammen genau den Kreisanteil ergeben. Die Unsicherheit („± x "
    "Prozentpunkte“) stammt aus einem Rückblick-Test: 90 % der Abweichungen der Methode von "
    "später veröffentlichten amtlichen Werten waren kleiner."
)

ANCHOR_SCHEMA = {
    "ags": pl.String(), "kreis": pl.String(), "reference_date": pl.Date(),
    "share": pl.Float64(), "size": pl.Float64(),
}
KREIS_SCHEMA = {"kreis": pl.String(), "reference_date": pl.Date(), "share": pl.Float64()}
WEIGHT_SCHEMA = {"ags": pl.String(), "reference_date": pl.Date(), "population": pl.Float64()}
ESTIMATE_SCHEMA = {
    "ags": pl.String(), "kreis": pl.String(), "reference_date": pl.Date(),
    "share": pl.Float64(), "band": pl.Float64(), "horizon": pl.Float64(), "method": pl.String(),
}


def years_between(a: dt.date, b: dt.date) -> float:
    """Distance in years (365,25 days)."""
    return (b - a).days / 365.25


@dataclass(frozen=True)
class Extrapolation:
    """Coefficients of the after-the-last-anchor rule (see module docstring)."""

    proportional: float = 1.0  # b1: share of the Kreis change distributed in proportion
    equal: float = 0.0  # b2: share distributed equally (percentage points)
    size: float = 0.0  # b3: per ln(population)

    def predict(self, s0: np.ndarray, k0: np.ndarray, k1: np.ndarray,
                size: np.ndarray) -> np.ndarray:
        import numpy as np

        dk = k1 - k0
        return (s0 + self.proportional * s0 * (k1 / k0 - 1) + self.equal * dk
                + self.size * np.log(size) * dk)


def _features(s0: np.ndarray, k0: np.ndarray, k1: np.ndarray, size: np.ndarray) -> np.ndarray:
    import numpy as np

    dk = k1 - k0
    return np.column_stack([s0 * (k1 / k0 - 1), dk, np.log(size) * dk])


def fit_extrapolation(s0: Sequence[float], s1: Sequence[float], k0: Sequence[float],
                      k1: Sequence[float], size: Sequence[float]) -> Extrapolation:
    """Least-squares coefficients from observed anchor-to-anchor changes.

    ``s0``/``s1``: municipal shares at the two anchors; ``k0``/``k1``: the Kreis shares at
    the same dates; ``size``: population (for the size term).

    >>> fit = fit_extrapolation([10, 20], [12, 24], [10, 10], [12, 12], [1000, 1000])
    >>> round(fit.predict(np.array([10.0]), np.array([10.0]), np.array([12.0]),
    ...                   np.array([1000.0]))[0], 6)
    12.0
    """
    import numpy as np

    s0a, s1a, k0a, k1a, sz = (np.asarray(v, dtype=float) for v in (s0, s1, k0, k1, size))
    ok = np.isfinite(s0a) & np.isfinite(s1a) & np.isfinite(k0a) & np.isfinite(k1a) & (sz > 0)
    if ok.sum() < 10:
        return Extrapolation()
    x = _features(s0a[ok], k0a[ok], k1a[ok], sz[ok])
    beta, *_ = np.linalg.lstsq(x, s1a[ok] - s0a[ok], rcond=None)
    return Extrapolation(*(float(b) for b in beta))


@dataclass(frozen=True)
class Band:
    """± percentage points by distance to the nearest anchor, from backtest percentiles.

    ``points`` are (horizon in years, 90th percentile of |error|), ascending; the band is
    the first point's value up to its horizon, linear between points, the last value after.
    """

    points: tuple[tuple[float, float], ...]

    def at(self, horizon: float) -> float:
        import numpy as np

        if not self.points:
            return math.nan
        hs = [h for h, _ in self.points]
        vs = [v for _, v in self.points]
        return float(np.interp(horizon, hs, vs, left=vs[0], right=vs[-1]))


def band_from_backtests(*results: tuple[float, pl.DataFrame]) -> Band:
    """A :class:`Band` from backtest result frames (column ``error``) and their horizons."""
    points = sorted(
        (horizon, float(frame.get_column("error").abs().quantile(0.9, "higher")))
        for horizon, frame in results if frame.height
    )
    # The band must never shrink with the horizon (a later test was just luckier).
    out: list[tuple[float, float]] = []
    for h, v in points:
        out.append((h, max(v, out[-1][1]) if out else v))
    return Band(tuple(out))


def kreis_at(kreis_series: pl.DataFrame, kreis: str, day: dt.date) -> float | None:
    """Kreis share at ``day``: the value of that date, else linear between its neighbours."""
    rows = kreis_series.filter(pl.col("kreis") == kreis).sort("reference_date")
    dates = rows.get_column("reference_date").to_list()
    values = rows.get_column("share").to_list()
    for d, v in zip(dates, values, strict=True):
        if d == day:
            return v
    for (d0, v0), (d1, v1) in zip(zip(dates, values, strict=True),
                                  zip(dates[1:], values[1:], strict=True), strict=False):
        if d0 < day < d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return None


def rake(estimates: pl.DataFrame, fixed: pl.DataFrame, kreis_share: float,
         weights: dict[str, float]) -> pl.DataFrame:
    """Scale ``estimates.share`` by one factor so all municipalities give ``kreis_share``.

    ``fixed`` holds official shares of the same date (kept as they are); ``weights`` the
    populations of the same basis by AGS. Municipalities without a weight are left out of
    the sum and not scaled (none in the shipped data).
    """
    import numpy as np

    def total(frame: pl.DataFrame) -> tuple[float, float]:
        w = np.array([weights.get(a, np.nan) for a in frame.get_column("ags")], dtype=float)
        s = frame.get_column("share").to_numpy().astype(float)
        ok = np.isfinite(w)
        return float(np.sum(w[ok] * s[ok])), float(np.sum(w[ok]))

    est_sum, est_w = total(estimates)
    fix_sum, fix_w = total(fixed)
    if est_sum <= 0 or est_w + fix_w <= 0:
        return estimates
    factor = (kreis_share * (est_w + fix_w) - fix_sum) / est_sum
    if not math.isfinite(factor) or factor <= 0:
        return estimates
    scaled = [a in weights for a in estimates.get_column("ags")]
    return estimates.with_columns(
        pl.when(pl.Series(scaled)).then(pl.col("share") * factor).otherwise(pl.col("share"))
    )


def estimate(
    anchors: pl.DataFrame,
    kreis_series: pl.DataFrame,
    weights: pl.DataFrame,
    dates: Sequence[dt.date],
    extrapolation: Extrapolation,
    band: Band,
) -> pl.DataFrame:
    """Estimated shares for every municipality in ``anchors`` and every date in ``dates``.

    * ``anchors`` (:data:`ANCHOR_SCHEMA`): official municipal shares with their dates and the
      municipality's size (population, for the size term);
    * ``kreis_series`` (:data:`KREIS_SCHEMA`): Kreis shares, including a value at every
      anchor date that the ratio needs (census dates: the census Kreis value);
    * ``weights`` (:data:`WEIGHT_SCHEMA`): populations of the same basis as the Kreis share
      of that date, for :func:`rake`.

    Dates with an official value or without a Kreis share are skipped. Returns
    :data:`ESTIMATE_SCHEMA` (``method``: ``interpoliert`` or ``fortgeschrieben``).
    """
    import numpy as np

    rows: list[dict] = []
    anchors = anchors.sort("ags", "reference_date")
    weight_map: dict[dt.date, dict[str, float]] = {}
    for (day,), part in weights.group_by(["reference_date"]):
        weight_map[day] = dict(zip(part.get_column("ags"), part.get_column("population"),
                                   strict=True))
    for (ags, kreis), own in anchors.group_by(["ags", "kreis"], maintain_order=True):
        points = list(zip(own.get_column("reference_date"), own.get_column("share"),
                          strict=True))
        size = float(own.get_column("size").drop_nulls().max() or math.nan)
        for day in dates:
            if any(d == day for d, _ in points):
                continue
            k_t = kreis_at(kreis_series, kreis, day)
            if k_t is None:
                continue
            before = [(d, s) for d, s in points if d < day]
            after = [(d, s) for d, s in points if d > day]
            if before and after:
                (d0, s0), (d1, s1) = before[-1], after[0]
                k0, k1 = kreis_at(kreis_series, kreis, d0), kreis_at(kreis_series, kreis, d1)
                if not k0 or not k1:
                    continue
                r0, r1 = s0 / k0, s1 / k1
                r = r0 + (r1 - r0) * (day - d0).days / (d1 - d0).days
                share, method = r * k_t, "interpoliert"
                horizon = min(years_between(d0, day), years_between(day, d1))
            elif before or after:
                d0, s0 = before[-1] if before else after[0]
                k0 = kreis_at(kreis_series, kreis, d0)
                if not k0 or not math.isfinite(size):
                    continue
                share = float(extrapolation.predict(
                    np.array([s0]), np.array([k0]), np.array([k_t]), np.array([size]))[0])
                method = "fortgeschrieben"
                horizon = abs(years_between(d0, day))
            else:
                continue
            rows.append({"ags": ags, "kreis": kreis, "reference_date": day,
                         "share": max(share, 0.0), "band": band.at(horizon),
                         "horizon": horizon, "method": method})
    out = pl.DataFrame(rows, schema=ESTIMATE_SCHEMA)
    if out.height == 0:
        return out
    raked: list[pl.DataFrame] = []
    for (kreis, day), part in out.group_by(["kreis", "reference_date"], maintain_order=True):
        k_t = kreis_at(kreis_series, kreis, day)
        fixed = anchors.filter(
            (pl.col("kreis") == kreis) & (pl.col("reference_date") == day)
        ).select("ags", "share")
        raked.append(rake(part, fixed, k_t, weight_map.get(day, {})))
    return pl.concat(raked).sort("ags", "reference_date")


# ------------------------------------------------------------------------------------------
# Backtest
# ------------------------------------------------------------------------------------------

BACKTEST_SCHEMA = {
    "ags": pl.String(), "kreis": pl.String(), "actual": pl.Float64(),
    "predicted": pl.Float64(), "baseline": pl.Float64(), "error": pl.Float64(),
    "baseline_error": pl.Float64(),
}


def backtest(
    panel: pl.DataFrame,
    *,
    k_anchor: str,
    k_target: str,
    k_baseline_anchor: str,
    rake_weights: str | None = None,
) -> pl.DataFrame:
    """Predict ``actual`` from ``s0`` for every municipality, fitting without its own Kreis.

    ``panel`` columns: ``ags, kreis, s0`` (share at the anchor), ``actual`` (official share
    to predict), ``size`` (population) and the Kreis columns named by ``k_anchor`` (Kreis
    share at the anchor date, same basis as ``s0``), ``k_target`` (Kreis share at the
    target date from the Kreis series) and ``k_baseline_anchor`` (the Kreis value the naive
    baseline divides by). The coefficients for the municipalities of one Kreis are fitted
    on all *other* Kreise (leave one Kreis out), so no prediction has seen its own value or
    its Kreis neighbours' values. ``rake_weights`` names a population column: predictions
    of a Kreis are then scaled to ``k_target`` like :func:`rake` does.

    Baseline ("carry the last census share with the Kreis trend"):
    ``s0 × k_target / k_baseline_anchor``.
    """
    import numpy as np

    panel = panel.filter(pl.all_horizontal(pl.col("s0", "actual", "size").is_not_null()))
    kreis = panel.get_column("kreis").to_numpy()
    s0, y = panel.get_column("s0").to_numpy(), panel.get_column("actual").to_numpy()
    k0, k1 = panel.get_column(k_anchor).to_numpy(), panel.get_column(k_target).to_numpy()
    size = panel.get_column("size").to_numpy().astype(float)
    predicted = np.full_like(y, np.nan, dtype=float)
    for k in np.unique(kreis):
        train = kreis != k
        fit = fit_extrapolation(s0[train], y[train], k0[train], k1[train], size[train])
        mine = ~train
        predicted[mine] = fit.predict(s0[mine], k0[mine], k1[mine], size[mine])
        if rake_weights is not None:
            w = panel.get_column(rake_weights).to_numpy()[mine].astype(float)
            mean = np.sum(w * predicted[mine]) / np.sum(w)
            if mean > 0:
                predicted[mine] *= k1[mine][0] / mean
    baseline = s0 * k1 / panel.get_column(k_baseline_anchor).to_numpy()
    return pl.DataFrame(
        {"ags": panel.get_column("ags"), "kreis": panel.get_column("kreis"), "actual": y,
         "predicted": predicted, "baseline": baseline, "error": predicted - y,
         "baseline_error": baseline - y},
        schema=BACKTEST_SCHEMA,
    )


def error_summary(result: pl.DataFrame, column: str = "error") -> dict[str, float]:
    """MAE, bias, 90th percentile of |error| and n of one backtest column."""
    e = result.get_column(column)
    return {"n": result.height, "mae": float(e.abs().mean()), "bias": float(e.mean()),
            "p90": float(e.abs().quantile(0.9, "higher"))}
