"""The tidy ``population`` model: one row per area × reference date × source.

``load_population()`` reads the raw official files through ``workbench.loaders`` and returns the
frame documented in ``docs/ARCHITECTURE.md``::

    level, ags, name, reference_date, year, population, foreigners, share, source, status

What is in it (``SOURCES`` holds the German citation for each key):

* ``gv_isys`` – Gemeinde, Kreis and Land totals on 31.12. (2009, 2010, 2013, 2016, 2017, 2021,
  2023); population only.
* ``zensus2022`` – Gemeinde population (1000A-0000) and foreign share (GERDA, 1 decimal) on
  15.05.2022, status ``amtlich``; the foreign *count* is not published, so it stays null there.
  Kreis and Land rows aggregate the municipal values (population exact; share = population
  weighted mean of the rounded municipal shares, ±0,05 PP) and are therefore ``geschätzt``.
* ``regionalatlas`` – Kreis 08118 and Land 08 shares 2011–2024 (AI0208, Fortschreibung).
* ``inkar`` – Kreis 08118 shares 1995–2022 (BBSR); a separate series, never mixed with the
  Regionalatlas (2022 differs by about 0,6 PP).
* ``regionalstatistik2011`` – Kreis and Land counts on 31.12.2011 (12411-03-03-4).
* ``landratsamt_azr``, ``stadt_sachsenheim``, ``landratsamt_zitiert`` – published figures
  (``data/published/published_figures.csv``: AZR, municipal register), each its own source:
  different concepts, not comparable with the Fortschreibung.
* ``schaetzung_zensus_regionalatlas`` – **estimated** yearly municipal shares, see
  :func:`estimate_municipal_shares`; status ``geschätzt``.
* ``user_series`` – official municipal series a user dropped into ``paths.user_dir()``; they
  replace the estimates for the same (ags, reference_date).

Package layout (one module per step, like OWID etl's one step per dataset):

* :mod:`.schema` – columns, statuses, bases, ``SOURCES`` and citations, invariants;
* :mod:`.files` – which raw files feed the model (discovery, cache key);
* :mod:`.sources` – one builder per source, each output checked by ``sources.checked``;
* :mod:`.estimate` – the estimated municipal shares (method: :mod:`workbench.estimation`);
* :mod:`.build` – ``load_population``: all builders, validation, parquet cache;
* :mod:`.series` – helpers on the built frame.

The municipality register and the regional key live in :mod:`workbench.region`.

Example::

    >>> from workbench.population import load_population, series
    >>> pop = load_population()                  # Landkreis Ludwigsburg
    >>> series(pop, "08118076").columns[:4]
    ['level', 'ags', 'name', 'reference_date']
"""

from __future__ import annotations

from workbench.population.build import cache_dir, load_population
from workbench.population.estimate import (
    EstimationInputs,
    estimation_inputs,
    zensus2022_shares,
)
from workbench.population.schema import (
    BASIS_REGISTER,
    BASIS_STARTS,
    BASIS_VZ1987,
    BASIS_Z2011,
    BASIS_Z2022,
    DL_DE,
    ESTIMATED,
    LEVELS,
    OFFICIAL,
    PUBLISHED_SOURCES,
    SCHEMA,
    SOURCES,
    STATISTIK_BW_ASSUMPTION,
    STATISTIK_BW_POSITION,
    STATISTIK_BW_STAND,
    STATUSES,
    ZENSUS2011_DATE,
    ZENSUS2022_DATE,
    SourceInfo,
    basis_expr,
    basis_label_at,
    basis_start,
    citation,
    date_label,
    fmt_day,
    published_source_key,
    validate_population,
)
from workbench.population.series import SERIES_PREFERENCE, series, sources_table

__all__ = [
    "BASIS_REGISTER", "BASIS_STARTS", "BASIS_VZ1987", "BASIS_Z2011", "BASIS_Z2022", "DL_DE",
    "ESTIMATED", "LEVELS", "OFFICIAL", "PUBLISHED_SOURCES", "SCHEMA", "SERIES_PREFERENCE",
    "SOURCES", "STATISTIK_BW_ASSUMPTION", "STATISTIK_BW_POSITION", "STATISTIK_BW_STAND",
    "STATUSES", "ZENSUS2011_DATE", "ZENSUS2022_DATE", "EstimationInputs", "SourceInfo",
    "basis_expr", "basis_label_at", "basis_start", "cache_dir", "citation", "date_label",
    "estimation_inputs", "fmt_day", "load_population", "published_source_key", "series",
    "sources_table", "validate_population", "zensus2022_shares",
]
