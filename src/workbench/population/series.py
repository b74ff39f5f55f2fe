"""Helpers on the built frame: one consistent series per area, the sources table."""

from __future__ import annotations

import polars as pl

from workbench.population.schema import SOURCES

# ------------------------------------------------------------------------------------------
# Series helpers
# ------------------------------------------------------------------------------------------

# Preferred yearly share series per level when the caller does not name a source.
SERIES_PREFERENCE: dict[str, tuple[str, ...]] = {
    "Gemeinde": ("user_series", "schaetzung_zensus_regionalatlas", "zensus2022", "gv_isys"),
    "Kreis": ("regionalatlas", "inkar", "gv_isys"),
    "Land": ("regionalatlas", "gv_isys"),
}


def series(pop: pl.DataFrame, ags: str, source: str | None = None) -> pl.DataFrame:
    """One consistent series (one area, one source) sorted by date.

    Without ``source`` the first source of ``SERIES_PREFERENCE`` for the area's level that has
    at least two values is used (a user series before the estimate, the Regionalatlas before
    INKAR), so a series never mixes sources.
    """
    rows = pop.filter(pl.col("ags") == ags)
    if rows.height == 0:
        raise KeyError(f"Kein Gebiet mit AGS {ags} in den Bevölkerungsdaten")
    if source is None:
        level = rows.get_column("level")[0]
        for candidate in SERIES_PREFERENCE[level]:
            if rows.filter(pl.col("source") == candidate).height >= 2:
                source = candidate
                break
        else:
            source = rows.get_column("source")[0]
    return rows.filter(pl.col("source") == source).sort("reference_date")


def sources_table() -> pl.DataFrame:
    """All sources as a table (key, label, publisher, table, licence, status, concept)."""
    return pl.DataFrame(
        [{"key": key, "label": s.label, "publisher": s.publisher, "table": s.table,
          "licence": s.licence, "status": s.status, "concept": s.concept}
         for key, s in SOURCES.items()]
    )
