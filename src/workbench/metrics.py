"""Metrics on the tidy ``population`` frame: pure functions, no file access.

Every function takes frames in the schema of ``workbench.population.load_population()``
(``level, ags, name, reference_date, year, population, foreigners, share, source, status``)
and never mixes sources within one series: callers pick the source (or let
``workbench.population.series`` pick one consistent series).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.formatting import fmt_date, fmt_int, fmt_number, fmt_percent
from workbench.region import KREIS_AGS, LAND_AGS

PROJECTION_HORIZON = 2029  # end of the Zeitplan 2025–2029 (Integrationskonzept Sachsenheim)
PROJECTION_STATUS = "Projektion"
ESTIMATED = "geschätzt"
OFFICIAL = "amtlich"

# Default sources per purpose (keys of workbench.population.SOURCES).
ZENSUS = "zensus2022"
ESTIMATE = "schaetzung_zensus_regionalatlas"
USER = "user_series"
REGIONALATLAS = "regionalatlas"
GV = "gv_isys"
ZENSUS2011 = "zensus2011"
STATISTIK_BW = "statistik_bw"


def foreign_share(foreigners: float | int | None, population: float | int | None) -> float | None:
    """Foreigners as percent of population; None if either is missing or population is 0."""
    if foreigners is None or population is None or population == 0:
        return None
    return 100.0 * foreigners / population


def with_share(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill ``share`` from ``foreigners``/``population`` where it is null and both counts exist."""
    computed = pl.when(pl.col("population") > 0).then(
        100.0 * pl.col("foreigners") / pl.col("population")
    )
    return frame.with_columns(pl.coalesce(pl.col("share"), computed).alias("share"))


def _as_date(value: dt.date | int) -> dt.date:
    return dt.date(value, 12, 31) if isinstance(value, int) else value


def _pick(
    series: pl.DataFrame, when: dt.date | int | None, *, last: bool, column: str = "share"
) -> dict[str, Any]:
    """Row of a single series at ``when`` (a date, or a year meaning any date in that year)."""
    rows = series.filter(pl.col(column).is_not_null()).sort("reference_date")
    if isinstance(when, int):
        rows = rows.filter(pl.col("year") == when)
    elif isinstance(when, dt.date):
        rows = rows.filter(pl.col("reference_date") == when)
    if rows.height == 0:
        raise KeyError(f"no value of {column} for {when!r} in the series")
    return rows.row(-1 if last else 0, named=True)


def _check_single_series(series: pl.DataFrame) -> None:
    for column in ("ags", "source"):
        values = series.get_column(column).unique().to_list()
        if len(values) > 1:
            raise ValueError(f"series mixes several {column} values: {sorted(values)}")


def change_points(
    series: pl.DataFrame, start: dt.date | int | None = None, end: dt.date | int | None = None
) -> float:
    """Change of the foreign share in percentage points between two dates of one series.

    ``start``/``end`` are dates or years (default: first and last value of the series).
    """
    _check_single_series(series)
    first = _pick(series, start, last=False)
    final = _pick(series, end, last=True)
    return final["share"] - first["share"]


@dataclass(frozen=True)
class Growth:
    start: dt.date
    end: dt.date
    absolute: int
    percent: float | None


def growth(
    series: pl.DataFrame, start: dt.date | int | None = None, end: dt.date | int | None = None
) -> Growth:
    """Growth of the foreign population (count) between two dates of one series."""
    _check_single_series(series)
    first = _pick(series, start, last=False, column="foreigners")
    final = _pick(series, end, last=True, column="foreigners")
    absolute = final["foreigners"] - first["foreigners"]
    percent = 100.0 * absolute / first["foreigners"] if first["foreigners"] else None
    return Growth(first["reference_date"], final["reference_date"], absolute, percent)


def rank_in_kreis(
    pop: pl.DataFrame, reference_date: dt.date, source: str, kreis: str = KREIS_AGS
) -> pl.DataFrame:
    """Rank of every municipality of ``kreis`` by foreign share (1 = highest; ties share a rank).

    Returns ``ags, name, share, rank, n`` sorted by rank.
    """
    rows = pop.filter(
        (pl.col("level") == "Gemeinde")
        & pl.col("ags").str.starts_with(kreis)
        & (pl.col("reference_date") == reference_date)
        & (pl.col("source") == source)
        & pl.col("share").is_not_null()
    )
    if rows.height == 0:
        raise KeyError(f"no municipal shares for {reference_date} in source {source!r}")
    return (
        rows.select("ags", "name", "share")
        .with_columns(
            pl.col("share").rank(method="min", descending=True).cast(pl.Int64).alias("rank"),
            pl.lit(rows.height, dtype=pl.Int64).alias("n"),
        )
        .sort("rank", german_sort_key("name"))
    )


def value_at(
    pop: pl.DataFrame, ags: str, reference_date: dt.date | int, source: str
) -> dict[str, Any] | None:
    """The row of ``ags`` at a date (or the last one in a year) of one source, or None."""
    rows = pop.filter((pl.col("ags") == ags) & (pl.col("source") == source))
    try:
        return _pick(rows, reference_date, last=True)
    except KeyError:
        return None


def gaps(
    pop: pl.DataFrame,
    ags: str,
    reference_date: dt.date | int,
    source: str,
    *,
    kreis: str = KREIS_AGS,
    land: str = LAND_AGS,
) -> dict[str, float | None]:
    """Gap of an area's share to Kreis and Land (points, area minus comparison), same source/date.

    A gap is None where the comparison area has no value in that source and date.
    """
    own = value_at(pop, ags, reference_date, source)
    if own is None:
        raise KeyError(f"no share for {ags} at {reference_date} in source {source!r}")
    out: dict[str, float | None] = {"share": own["share"]}
    for key, other in (("kreis", kreis), ("land", land)):
        row = value_at(pop, other, own["reference_date"], source)
        out[f"share_{key}"] = None if row is None else row["share"]
        out[f"gap_{key}"] = None if row is None else own["share"] - row["share"]
    return out


def _decimal_year(day: dt.date) -> float:
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    # 31.12. counts as the end of the year so yearly 31.12. series are equally spaced.
    return day.year + ((day - start).days + 1) / length


def linear_fit(series: pl.DataFrame) -> tuple[float, float]:
    """Least-squares slope (points per year) and intercept of share over decimal year."""
    _check_single_series(series)
    rows = series.filter(pl.col("share").is_not_null()).sort("reference_date")
    if rows.height < 2:
        raise ValueError("a projection needs at least two values")
    xs = [_decimal_year(d) for d in rows.get_column("reference_date").to_list()]
    ys = rows.get_column("share").to_list()
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("a projection needs values at two different dates")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, mean_y - slope * mean_x


def project(
    series: pl.DataFrame, until: int = PROJECTION_HORIZON, since: int | None = None
) -> pl.DataFrame:
    """Linear projection of the share to 31.12. of each year after the last value up to ``until``.

    Least squares over the series (optionally only years >= ``since``). Returns rows in the
    population schema with ``status = "Projektion"``, ``population``/``foreigners`` null and the
    share clipped to 0–100.
    """
    rows = series.filter(pl.col("share").is_not_null())
    if since is not None:
        rows = rows.filter(pl.col("year") >= since)
    slope, intercept = linear_fit(rows)
    last = rows.sort("reference_date").row(-1, named=True)
    dates = [dt.date(y, 12, 31) for y in range(last["reference_date"].year, until + 1)]
    dates = [d for d in dates if d > last["reference_date"]]
    values = [min(100.0, max(0.0, slope * _decimal_year(d) + intercept)) for d in dates]
    return pl.DataFrame(
        {
            "level": [last["level"]] * len(dates),
            "ags": [last["ags"]] * len(dates),
            "name": [last["name"]] * len(dates),
            "reference_date": dates,
            "year": [d.year for d in dates],
            "population": [None] * len(dates),
            "foreigners": [None] * len(dates),
            "share": values,
            "source": [last["source"]] * len(dates),
            "status": [PROJECTION_STATUS] * len(dates),
            "basis": [last.get("basis")] * len(dates),
            "band": [None] * len(dates),
        },
        schema=series.schema,
        strict=False,
    ).select(series.columns)


def _series(pop: pl.DataFrame, ags: str, source: str) -> pl.DataFrame:
    return pop.filter((pl.col("ags") == ags) & (pl.col("source") == source)).sort("reference_date")


def _latest(pop: pl.DataFrame, ags: str, source: str, column: str = "share") -> dict | None:
    rows = _series(pop, ags, source).filter(pl.col(column).is_not_null())
    return rows.row(-1, named=True) if rows.height else None


# Sources of a municipality's yearly values: official points and the estimate between them.
MUNICIPAL_LATEST = (USER, STATISTIK_BW, ESTIMATE)


def date_label(source: str | None, day: dt.date | None) -> str:
    """'31.12.2025', or 'Stand 2025' for a source without a Stichtag (Statistik BW)."""
    if day is None:
        return "–"
    from workbench.population import SOURCES

    info = SOURCES.get(source or "")
    return info.fixed_stand if info is not None and info.fixed_stand else fmt_date(day)


def latest_municipal(pop: pl.DataFrame, ags: str) -> dict | None:
    """The municipality's most recent value: official or estimated, official wins a tie.

    A user's official row counts only for its own date: it never stands in for a later
    estimate or official value.
    """
    rows = pop.filter(
        (pl.col("ags") == ags) & pl.col("source").is_in(MUNICIPAL_LATEST)
        & pl.col("share").is_not_null()
    )
    if rows.height == 0:
        return None
    return rows.sort(
        "reference_date", pl.col("status") == OFFICIAL
    ).row(-1, named=True)


def municipal_series_source(pop: pl.DataFrame, ags: str) -> str | None:
    """The yearly municipal share series to use: a user series if present, else the estimate."""
    for source in (USER, ESTIMATE):
        if _series(pop, ags, source).filter(pl.col("share").is_not_null()).height >= 2:
            return source
    return None


def key_figures(
    pop: pl.DataFrame, ags: str, *, kreis: str | None = None, land: str | None = None
) -> dict[str, Any]:
    """Key figures of one municipality (or the Kreis) as a flat dict of plain values.

    Keys: ``ags, name, level, population, population_date`` (GV-ISys), ``zensus_share,
    zensus_date, kreis_zensus_share, land_zensus_share, gap_kreis, gap_land, rank, n``,
    ``series_source, series_status, latest_share, latest_date, latest_foreigners,
    change_points, change_start`` (yearly series: user series or estimate),
    ``kreis_latest_share, kreis_latest_date, land_latest_share`` (Regionalatlas) and
    ``projection_2029`` (linear, on the Kreis Regionalatlas series for the Kreis, else on the
    municipal series). Shares in percent (0–100), dates as ``datetime.date``, ``None`` where
    a source has no value.

    ``pop``: the frame of :func:`workbench.population.load_population`; ``ags``: 8-digit
    municipality or 5-digit Kreis key; ``kreis``/``land``: the areas compared with (default:
    the area's own Kreis and Land). Raises ``KeyError`` for an AGS not in ``pop``.

    Example::

        >>> f = key_figures(load_population(), "08118076")
        >>> f["zensus_share"], f["rank"], f["n"]
        (16.7, 16, 39)
    """
    rows = pop.filter(pl.col("ags") == ags)
    if rows.height == 0:
        raise KeyError(f"unknown area {ags!r}")
    # The area's own Kreis and Land unless given (Land rows compare with the default Kreis).
    kreis = kreis or (ags[:5] if len(ags) >= 5 else KREIS_AGS)
    land = land or kreis[:2]
    level = rows.get_column("level")[0]
    figures: dict[str, Any] = {"ags": ags, "name": rows.get_column("name")[0], "level": level}

    gv = _latest(pop, ags, GV, "population")
    figures["population"] = gv["population"] if gv else None
    figures["population_date"] = gv["reference_date"] if gv else None

    zensus = _latest(pop, ags, ZENSUS)
    figures["zensus_share"] = zensus["share"] if zensus else None
    figures["zensus_date"] = zensus["reference_date"] if zensus else None
    figures["zensus_status"] = zensus["status"] if zensus else None
    figures.update(
        {"kreis_zensus_share": None, "kreis_zensus_status": None, "land_zensus_share": None,
         "gap_kreis": None,
         "gap_land": None, "rank": None, "n": None}
    )
    if zensus:
        g = gaps(pop, ags, zensus["reference_date"], ZENSUS, kreis=kreis, land=land)
        kreis_row = value_at(pop, kreis, zensus["reference_date"], ZENSUS)
        figures.update(
            kreis_zensus_status=kreis_row["status"] if kreis_row else None,
            kreis_zensus_share=g["share_kreis"], land_zensus_share=g["share_land"],
            gap_kreis=g["gap_kreis"] if ags != kreis else None, gap_land=g["gap_land"],
        )
        if level == "Gemeinde":
            ranks = rank_in_kreis(pop, zensus["reference_date"], ZENSUS, kreis)
            mine = ranks.filter(pl.col("ags") == ags)
            if mine.height:
                figures["rank"] = mine.get_column("rank")[0]
                figures["n"] = mine.get_column("n")[0]
    # A Stadtkreis (08111 Stuttgart) has one municipality, the city itself: rank and gap to
    # "its" Kreis would compare the city with itself, so they are left out.
    figures["sole_municipality"] = level == "Gemeinde" and _n_municipalities(pop, kreis) == 1
    if figures["sole_municipality"]:
        figures.update(rank=None, n=None, gap_kreis=None)

    source = municipal_series_source(pop, ags) if level == "Gemeinde" else REGIONALATLAS
    figures.update(series_source=source, series_status=None, latest_share=None,
                   latest_date=None, latest_foreigners=None, change_points=None,
                   change_start=None, projection_2029=None, latest_source=None,
                   latest_label=None, latest_band=None, change_start_label=None,
                   change_start_source=None, change_break=False)
    if source is not None and _latest(pop, ags, source) is not None:
        series = _series(pop, ags, source).filter(pl.col("share").is_not_null())
        last = series.row(-1, named=True)
        if level == "Gemeinde":
            last = latest_municipal(pop, ags) or last
        # Change since the earliest official point of the same kind of count: Zensus 2011
        # for municipalities (else the series start).
        start = _latest(pop, ags, ZENSUS2011) if level == "Gemeinde" else None
        first = start or series.row(0, named=True)
        figures.update(
            series_status=last["status"], latest_share=last["share"],
            latest_date=last["reference_date"], latest_foreigners=last["foreigners"],
            latest_source=last["source"], latest_band=last.get("band"),
            latest_label=date_label(last["source"], last["reference_date"]),
            change_points=last["share"] - first["share"], change_start=first["reference_date"],
            change_start_source=first["source"],
            change_start_label=date_label(first["source"], first["reference_date"]),
            change_break=(first.get("basis") is not None and last.get("basis") is not None
                          and first.get("basis") != last.get("basis")),
        )
        # Project only along the last population basis: a census rebasing is a break.
        segment = series.filter(pl.col("basis").eq_missing(series.get_column("basis")[-1]))
        if segment.height >= 2:
            projected = project(segment)
            figures["projection_2029"] = (
                projected.get_column("share")[-1] if projected.height else segment["share"][-1]
            )
    for key, area in (("kreis", kreis), ("land", land)):
        named = pop.filter(pl.col("ags") == area)
        figures[f"{key}_name"] = named.get_column("name")[0] if named.height else area
        latest = _latest(pop, area, REGIONALATLAS)
        figures[f"{key}_latest_share"] = latest["share"] if latest else None
        figures[f"{key}_latest_date"] = latest["reference_date"] if latest else None
    return figures


def _n_municipalities(pop: pl.DataFrame, kreis: str) -> int:
    rows = pop.filter((pl.col("level") == "Gemeinde") & pl.col("ags").str.starts_with(kreis))
    return rows.get_column("ags").n_unique()


def kreis_word(name: str) -> str:
    """'Landkreis' / 'Stadtkreis' from a Kreis name ('Stadtkreis Stuttgart'), else 'Kreis'."""
    first = name.split(" ")[0]
    return first if first in ("Landkreis", "Stadtkreis") else "Kreis"


def _comparison(value: float, other: float) -> str:
    # Compare on the rounded values the reader sees, so the words match the numbers.
    if round(value, 1) > round(other, 1):
        return "über"
    if round(value, 1) < round(other, 1):
        return "unter"
    return "gleichauf mit"


def in_area(level: str, name: str) -> str:
    """'im Landkreis Ludwigsburg', 'im Stadtkreis Stuttgart', 'in Sachsenheim'."""
    if level == "Kreis" and name.split(" ")[0] in ("Landkreis", "Stadtkreis", "Kreis"):
        return f"im {name}"
    return f"in {name}"


PUBLISHED_CONCEPT = {
    "landratsamt_azr": "Ausländerzentralregister",
    "stadt_sachsenheim": "Melderegister der Stadt",
}


def summary_text(pop: pl.DataFrame, ags: str) -> str:
    """Short German plain-language summary of one area's foreign share (Gemeinde or Kreis).

    ``pop``: the frame of :func:`workbench.population.load_population`; ``ags``: 8-digit
    municipality or 5-digit Kreis key. The text compares with the Kreis (or, for a
    Stadtkreis, the Land), gives the rank, the latest value (marked „geschätzt“ with its band
    where estimated), the change since the Zensus 2011 and a projection to 2029; every figure
    is taken from :func:`key_figures`.

    Example::

        >>> print(summary_text(load_population(), "08118076"))
        Der Ausländeranteil in Sachsenheim liegt mit 16,7 % (Zensus 2022) unter dem
        Kreisdurchschnitt von 18,5 %. Damit steht Sachsenheim auf Platz 16 von 39 Städten und
        Gemeinden im Landkreis Ludwigsburg (Platz 1 = höchster Anteil). …
    """
    f = key_figures(pop, ags)
    name, level = f["name"], f["level"]
    where = in_area(level, name)
    sentences: list[str] = []
    has_kreis = f["kreis_zensus_share"] is not None
    if f["zensus_share"] is not None and f.get("sole_municipality") and (
            f["land_zensus_share"] is not None):
        word = _comparison(f["zensus_share"], f["land_zensus_share"])
        value = "" if word == "gleichauf mit" else f" ({fmt_percent(f['land_zensus_share'])})"
        sentences.append(
            f"Der Ausländeranteil {where} liegt mit {fmt_percent(f['zensus_share'])} "
            f"(Zensus 2022) {word} dem Landesdurchschnitt von {f['land_name']}{value}. "
            f"{name} ist ein "
            f"{kreis_word(f['kreis_name'])}: Stadt und Kreis sind dasselbe Gebiet, daher "
            "der Vergleich mit dem Land."
        )
    elif f["zensus_share"] is not None and has_kreis and level == "Gemeinde":
        word = _comparison(f["zensus_share"], f["kreis_zensus_share"])
        if word == "gleichauf mit":
            sentences.append(
                f"Der Ausländeranteil {where} liegt mit {fmt_percent(f['zensus_share'])} "
                f"(Zensus 2022) gleichauf mit dem Kreisdurchschnitt."
            )
        else:
            sentences.append(
                f"Der Ausländeranteil {where} liegt mit {fmt_percent(f['zensus_share'])} "
                f"(Zensus 2022) {word} dem Kreisdurchschnitt von "
                f"{fmt_percent(f['kreis_zensus_share'])}."
            )
    elif f["zensus_share"] is not None:
        estimated = " (aus den Gemeindewerten berechnet)" if f["zensus_status"] == ESTIMATED else ""
        sentences.append(
            f"Der Ausländeranteil {where} lag beim Zensus 2022 bei "
            f"{fmt_percent(f['zensus_share'])}{estimated}."
        )
    if f["rank"] is not None:
        sentences.append(
            f"Damit steht {name} auf Platz {f['rank']} von {f['n']} Städten und Gemeinden "
            f"{in_area('Kreis', f['kreis_name'])} (Platz 1 = höchster Anteil)."
        )
    if f["latest_share"] is not None:
        estimated = f["series_status"] == ESTIMATED
        label = " (geschätzt)" if estimated else ""
        if estimated and f["latest_band"] is not None:
            label = f" (geschätzt, ± {fmt_number(f['latest_band'])} Prozentpunkte)"
        source = "" if estimated or level == "Gemeinde" else " (Regionalatlas)"
        if f["latest_source"] == STATISTIK_BW:
            source = " (Statistisches Landesamt, amtlich)"
        counts = ""
        if f["latest_foreigners"] is not None:
            counts = f", rund {fmt_int(f['latest_foreigners'])} Personen" if estimated else (
                f", {fmt_int(f['latest_foreigners'])} Personen"
            )
        when = (f"Zum {fmt_date(f['latest_date'])}" if f["latest_label"] in (None, fmt_date(
            f["latest_date"])) else f"{f['latest_label']}")
        sentences.append(
            f"{when} beträgt der Anteil{label}{source} "
            f"{fmt_percent(f['latest_share'])}{counts}."
        )
        if f["change_points"] is not None and f["change_start"] != f["latest_date"]:
            direction = "gestiegen" if f["change_points"] > 0 else (
                "gesunken" if f["change_points"] < 0 else "gleich geblieben"
            )
            since = (f"Seit dem Zensus 2011 ({f['change_start_label']})"
                     if f["change_start_source"] == ZENSUS2011
                     else f"Seit {f['change_start'].year}")
            sentences.append(
                f"{since} ist er um "
                f"{fmt_number(abs(f['change_points']))} Prozentpunkte {direction}"
                f"{' (geschätzt)' if estimated else ''}."
            )
            if f["change_break"]:
                sentences.append(
                    "Dazwischen liegt ein Reihenbruch: Seit dem Zensus 2022 gilt eine neue "
                    "Bevölkerungsbasis; die Veränderung enthält auch diese Umstellung."
                )
        if estimated:
            sentences.append(
                "Jährliche Werte je Gemeinde werden nicht veröffentlicht; zwischen den amtlichen "
                "Werten (Zensus 2011, Zensus 2022, Statistik BW Stand 2025) sind sie mit der "
                "Kreisentwicklung (Regionalatlas) geschätzt."
            )
    if level == "Gemeinde" and f["kreis_latest_share"] is not None:
        land = (
            f", {in_area('Land', f['land_name'])} bei {fmt_percent(f['land_latest_share'])}"
            if f["land_latest_share"] is not None else ""
        )
        where_kreis = in_area("Kreis", f["kreis_name"])
        sentences.append(
            f"{where_kreis[0].upper()}{where_kreis[1:]} lag der Anteil zum "
            f"{fmt_date(f['kreis_latest_date'])} "
            f"bei {fmt_percent(f['kreis_latest_share'])}{land} (Regionalatlas)."
        )
    elif f["land_latest_share"] is not None and level == "Kreis":
        where_land = in_area("Land", f["land_name"])
        sentences.append(
            f"{where_land[0].upper()}{where_land[1:]} lag er zum "
            f"{fmt_date(f['land_latest_date'])} bei {fmt_percent(f['land_latest_share'])}."
        )
    published = pop.filter(
        (pl.col("ags") == ags) & pl.col("source").is_in(list(PUBLISHED_CONCEPT))
        & pl.col("foreigners").is_not_null()
    ).sort("reference_date")
    for row in published.iter_rows(named=True):
        sentences.append(
            f"Veröffentlicht ist für den {fmt_date(row['reference_date'])} ein Anteil von "
            f"{fmt_percent(row['share'], 2)} ({fmt_int(row['foreigners'])} Personen, "
            f"{PUBLISHED_CONCEPT[row['source']]} – anderes Zählkonzept)."
        )
    if f["projection_2029"] is not None:
        basis = "geschätzten " if f["series_status"] == ESTIMATED else ""
        sentences.append(
            f"Setzt sich der lineare Trend der {basis}Reihe fort, läge der Anteil 2029 bei "
            f"etwa {fmt_percent(f['projection_2029'])} (Projektion, keine Prognose)."
        )
    return " ".join(sentences)


OVERVIEW_LABELS: dict[str, str] = {
    "name": "Gemeinde",
    "ags": "AGS",
    "population": "Einwohner 31.12.2023",
    "share_zensus": "Anteil Zensus 2022",
    "rank": "Rang",
    "gap_kreis": "Abstand Kreis (Prozentpunkte)",
    "share_latest": "Anteil zuletzt",
    "latest_date": "Stand",
    "latest_status": "Status",
}


def detect_kreis(pop: pl.DataFrame) -> str:
    """The Kreis whose municipalities the frame holds (08118 for the default model)."""
    prefixes = pop.filter(pl.col("level") == "Gemeinde").get_column("ags").str.slice(0, 5)
    return prefixes.mode().sort()[0] if prefixes.len() else KREIS_AGS


def overview_table(pop: pl.DataFrame, kreis: str | None = None) -> pl.DataFrame:
    """One row per municipality of the Kreis, sorted by name.

    Columns: ``name, ags, population`` (GV-ISys, latest 31.12.), ``population_date,
    share_zensus, rank`` (Zensus 2022, 1 = highest), ``gap_kreis`` (points vs Kreis Zensus
    share), ``share_latest, latest_date, latest_status, latest_source`` (latest value of the
    municipal yearly series: user series where provided, otherwise the estimate, marked
    ``geschätzt``), ``latest_band`` (± percentage points of that estimate, else null).
    Shares in percent (0–100).

    ``pop``: the frame of :func:`workbench.population.load_population`; ``kreis``: 5-digit
    AGS (default: the Kreis the frame was built for).

    Example::

        >>> table = overview_table(load_population())
        >>> table.sort("rank").select("name", "share_zensus", "share_latest").head(3)
    """
    kreis = kreis or detect_kreis(pop)
    gemeinden = pop.filter((pl.col("level") == "Gemeinde") & pl.col("ags").str.starts_with(kreis))
    gv = (
        gemeinden.filter((pl.col("source") == GV) & pl.col("population").is_not_null())
        .sort("reference_date")
        .group_by("ags")
        .agg(pl.col("population").last(), pl.col("reference_date").last().alias("population_date"))
    )
    zensus_date = (
        gemeinden.filter(pl.col("source") == ZENSUS).get_column("reference_date").max()
    )
    ranks = rank_in_kreis(pop, zensus_date, ZENSUS, kreis).select(
        "ags", pl.col("share").alias("share_zensus"), "rank"
    )
    kreis_row = value_at(pop, kreis, zensus_date, ZENSUS)
    kreis_share = kreis_row["share"] if kreis_row else None
    # Latest value per municipality: the most recent date of any official point or
    # estimate; an official value wins a tie (a user row counts only for its own date).
    latest = (
        gemeinden.filter(pl.col("source").is_in(MUNICIPAL_LATEST) & pl.col("share").is_not_null())
        .sort("reference_date", pl.col("status") == OFFICIAL)
        .group_by("ags")
        .agg(
            pl.col("share").last().alias("share_latest"),
            pl.col("reference_date").last().alias("latest_date"),
            pl.col("status").last().alias("latest_status"),
            pl.col("source").last().alias("latest_source"),
            pl.col("band").last().alias("latest_band"),
        )
    )
    names = gemeinden.select("ags", "name").unique(subset="ags", keep="first")
    table = (
        names.join(gv, on="ags", how="left")
        .join(ranks, on="ags", how="left")
        .join(latest, on="ags", how="left")
        .with_columns(
            (pl.col("share_zensus") - kreis_share).alias("gap_kreis")
            if kreis_share is not None
            else pl.lit(None, dtype=pl.Float64).alias("gap_kreis")
        )
        .select(
            "name", "ags", "population", "population_date", "share_zensus", "rank",
            "gap_kreis", "share_latest", "latest_date", "latest_status", "latest_source",
            "latest_band",
        )
        .sort(german_sort_key("name"))
    )
    if table.height == 1:  # a Stadtkreis: the city is the Kreis, no rank or gap to itself
        table = table.with_columns(pl.lit(None, dtype=table.schema["rank"]).alias("rank"),
                                   pl.lit(None, dtype=pl.Float64).alias("gap_kreis"))
    return table


def german_sort_key(column: str) -> pl.Expr:
    """Sort expression in German dictionary order (Löchgau before Ludwigsburg)."""
    expr = pl.col(column).str.to_lowercase()
    for umlaut, plain in (("ä", "a"), ("ö", "o"), ("ü", "u"), ("ß", "ss")):
        expr = expr.str.replace_all(umlaut, plain, literal=True)
    return expr


def overview_rows(table: pl.DataFrame) -> tuple[list[str], list[list[str]]]:
    """German header and formatted cells of :func:`overview_table` (estimates marked „*“)."""
    pop_dates = table.get_column("population_date").drop_nulls()
    pop_date = pop_dates.max() if pop_dates.len() else None
    header = [
        "Gemeinde", "AGS", f"Einwohner {fmt_date(pop_date)}", "Anteil Zensus 2022", "Rang",
        "Abstand Kreis (PP)", "Anteil zuletzt", "Stand",
    ]
    rows = []
    for row in table.iter_rows(named=True):
        share = fmt_percent(row["share_latest"])
        if row["share_latest"] is not None and row["latest_status"] == ESTIMATED:
            share += "*"
        gap = row["gap_kreis"]
        sign = "" if gap is None or gap == 0 else ("+" if gap > 0 else "−")
        rows.append([
            row["name"], row["ags"], fmt_int(row["population"]), fmt_percent(row["share_zensus"]),
            "–" if row["rank"] is None else str(row["rank"]),
            "–" if gap is None else sign + fmt_number(abs(gap)),
            share,
            date_label(row["latest_source"], row["latest_date"]),
        ])
    return header, rows


def rank_and_gap_by_kreis(municipal: pl.DataFrame) -> pl.DataFrame:
    """Share, rank within each Kreis and gap to the Kreis for many municipalities at once.

    Input: ``ags`` (8 digits), ``population``, ``share`` (percent; null = suppressed).
    Adds ``kreis`` (AGS[0:5]), ``foreigners`` (round(population × share / 100), a derived
    count), ``kreis_share`` (population-weighted over the municipalities with a share),
    ``rank`` (1 = highest share in its Kreis, ties share a rank; null without share), ``n``
    (municipalities with a share in the Kreis) and ``gap_kreis`` (points).
    """
    frame = municipal.with_columns(
        pl.col("ags").str.slice(0, 5).alias("kreis"),
        (pl.col("population") * pl.col("share") / 100).round(0).cast(pl.Int64).alias("foreigners"),
    )
    with_share = pl.col("share").is_not_null()
    return frame.with_columns(
        (100.0 * pl.col("foreigners").sum().over("kreis")
         / pl.col("population").filter(with_share).sum().over("kreis")).alias("kreis_share"),
        pl.col("share").rank(method="min", descending=True).over("kreis").cast(pl.Int64)
        .alias("rank"),
        pl.col("share").count().over("kreis").cast(pl.Int64).alias("n"),
    ).with_columns((pl.col("share") - pl.col("kreis_share")).alias("gap_kreis"))


# Size classes by population (the usual classes of the Gemeindestatistik, upper bound excl.).
SIZE_CLASSES: tuple[tuple[int, float, str], ...] = (
    (0, 2_000, "unter 2.000 Einwohnern"),
    (2_000, 5_000, "2.000 bis unter 5.000 Einwohnern"),
    (5_000, 10_000, "5.000 bis unter 10.000 Einwohnern"),
    (10_000, 20_000, "10.000 bis unter 20.000 Einwohnern"),
    (20_000, 50_000, "20.000 bis unter 50.000 Einwohnern"),
    (50_000, 100_000, "50.000 bis unter 100.000 Einwohnern"),
    (100_000, float("inf"), "100.000 und mehr Einwohnern"),
)


def size_class(population: float) -> tuple[int, float, str]:
    """(lower, upper, German label) of the size class of a population: 2644 → 2.000–5.000."""
    for lower, upper, label in SIZE_CLASSES:
        if lower <= population < upper:
            return lower, upper, label
    raise ValueError(f"keine Größenklasse für {population!r} Einwohner")


def similar_municipalities(shares: pl.DataFrame, ags: str) -> dict[str, Any] | None:
    """Compare a municipality with municipalities of the same size class, in its Kreis and in
    the whole frame (Baden-Württemberg).

    ``shares``: one row per municipality with ``ags, kreis, share, size`` (e.g. the Zensus
    2022 anchors of ``population.estimation_inputs()``). Returns ``class_label, share,
    kreis_n, kreis_median, kreis_rank, land_n, land_median, land_rank`` (rank 1 = highest
    share within the class; n counts the municipality itself) or None when it is not in
    ``shares``.

    Example::

        >>> f = similar_municipalities(anchors, "08118016")
        >>> f["class_label"], f["kreis_n"]
        ('2.000 bis unter 5.000 Einwohnern', 8)
    """
    own = shares.filter(pl.col("ags") == ags)
    if own.height == 0:
        return None
    row = own.row(0, named=True)
    lower, upper, label = size_class(row["size"])
    same = shares.filter((pl.col("size") >= lower) & (pl.col("size") < upper)
                         & pl.col("share").is_not_null())
    kreis = same.filter(pl.col("kreis") == row["kreis"])

    def rank(frame: pl.DataFrame) -> int:
        return int((frame.get_column("share") > row["share"]).sum()) + 1

    return {
        "class_label": label, "share": row["share"],
        "kreis_n": kreis.height, "kreis_median": kreis.get_column("share").median(),
        "kreis_rank": rank(kreis),
        "land_n": same.height, "land_median": same.get_column("share").median(),
        "land_rank": rank(same),
    }
