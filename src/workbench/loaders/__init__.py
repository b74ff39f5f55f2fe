"""Loaders for the official formats: one module per format, each ``load_*(path)``.

Every loader reads the file as published, validates it and returns a polars DataFrame with
the module's documented ``SCHEMA`` (or a GeoJSON dict for :mod:`.geo`). Bad input raises
:class:`workbench.exceptions.DataValidationError` listing every problem found.

:data:`LOADERS` maps the format keys of :func:`workbench.loaders.detect.detect_format` to loaders.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def _lazy(module: str, name: str) -> Callable[[str | Path], Any]:
    target = module if "." in module else f"workbench.loaders.{module}"

    def call(path: str | Path) -> Any:
        import importlib

        return getattr(importlib.import_module(target), name)(path)

    call.__name__ = name
    call.__doc__ = f"Lazy alias of {target}.{name}."
    return call


LOADERS: dict[str, Callable[[str | Path], Any]] = {
    "gv_isys": _lazy("gv_isys", "load_gv_isys"),
    "zensus_flat": _lazy("zensus", "load_zensus_flat"),
    "gerda_census": _lazy("gerda", "load_gerda_census"),
    "codebook": _lazy("gerda", "load_codebook"),
    "inkar": _lazy("inkar", "load_inkar_covariates"),
    "regionalatlas_timeseries": _lazy("regionalatlas", "load_regionalatlas_timeseries"),
    "regionalatlas_arcgis": _lazy("regionalatlas", "load_regionalatlas_arcgis"),
    "regionalstatistik_12411_03_03_4": _lazy("regionalstatistik", "load_12411_03_03_4"),
    "regionalstatistik_12411_0015": _lazy("regionalstatistik", "load_12411_0015"),
    "municipal_series": _lazy("municipal_series", "load_municipal_series"),
    "published_figures": _lazy("published", "load_published_figures"),
    "geojson": _lazy("geo", "load_boundaries"),
    "provenance": _lazy("workbench.provenance", "load_provenance_file"),
    "regionaldatenbank": _lazy("regionaldatenbank", "load_regionaldatenbank"),
    "regionaldatenbank_zensus2011": _lazy("regionaldatenbank", "load_zensus2011_gemeinden"),
    "statistik_bw_shares": _lazy("statistik_bw", "load_statistik_bw_shares"),
    "statistik_bw_einbuergerungen": _lazy("statistik_bw", "load_statistik_bw_einbuergerungen"),
    "azr_records": _lazy("azr", "load_azr_records"),
    "zensus2022_einwanderung": _lazy("zensus_einwanderung", "load_zensus2022_einwanderung"),
}


def load_any(path: str | Path) -> Any:
    """Detect the format of ``path`` and load it with the matching loader."""
    from workbench.exceptions import DataValidationError, Problem
    from workbench.loaders.detect import detect_format

    fmt = detect_format(path)
    if fmt is None or fmt not in LOADERS:
        raise DataValidationError(
            [Problem(Path(path).name, None, None, None, "bekanntes Dateiformat")]
        )
    return LOADERS[fmt](path)
