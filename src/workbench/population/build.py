"""Building the model: every builder, the estimate, validation and the parquet cache."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench import diskcache, paths
from workbench.cache import input_keyed_cache
from workbench.exceptions import DataValidationError
from workbench.population.estimate import estimate_rows, estimation_inputs_cached
from workbench.population.files import InputFiles, all_files, input_files
from workbench.population.schema import basis_expr, validate_population
from workbench.population.sources import (
    checked,
    fortschreibung_rows,
    gv_rows,
    inkar_rows,
    published_rows,
    regionalatlas_rows,
    regionalstatistik_rows,
    statistik_bw_rows,
    user_rows,
    zensus2011_rows,
    zensus2022_rows,
)
from workbench.region import (
    KREIS_AGS,
    area_names,
    municipalities,
)

cache_dir = diskcache.cache_dir  # where the parquet cache lives (tests, docs)


@input_keyed_cache(lambda data_dir, files, kreis: all_files(files), maxsize=4)
def _build(data_dir: str, files: InputFiles, kreis: str) -> pl.DataFrame:
    """Build the model, or read it from the parquet cache for exactly these input files."""
    cached = diskcache.cache_file(diskcache.file_stats(all_files(files)), kreis)
    frame = diskcache.read_parquet(cached)
    if frame is not None:
        try:
            return validate_population(frame)
        except DataValidationError:
            cached.unlink(missing_ok=True)  # outdated schema: rebuild below
    pop = _build_from_files(data_dir, files, kreis)
    diskcache.write_parquet(cached, pop)
    return pop


def _build_from_files(data_dir: str, files: InputFiles, kreis: str) -> pl.DataFrame:
    register = municipalities(Path(data_dir), kreis)
    names = dict(zip(register.get_column("ags"), register.get_column("name"), strict=True))
    names.update(area_names(kreis, Path(data_dir)))

    def add(builder: str, rows: pl.DataFrame | None) -> None:
        if rows is not None:
            parts.append(checked(rows, kreis, builder))

    parts: list[pl.DataFrame] = []
    gv = gv_rows(files.gv, names, kreis)
    add("gv_rows", gv)
    add("zensus2022_rows", zensus2022_rows(files.zensus, files.gerda, names, kreis,
                                           files.zensus2022_counts))
    add("regionalatlas_rows", regionalatlas_rows(files.regionalatlas, kreis, names))
    if files.inkar is not None:
        add("inkar_rows", inkar_rows(files.inkar, kreis, names))
    if files.regionalstatistik is not None:
        add("regionalstatistik_rows", regionalstatistik_rows(files.regionalstatistik, kreis, names))
    if files.published is not None:
        add("published_rows", published_rows(files.published, names))
    if files.zensus2011 is not None:
        add("zensus2011_rows", zensus2011_rows(files.zensus2011, kreis, names))
    if files.statistik_bw is not None:
        add("statistik_bw_rows", statistik_bw_rows(files.statistik_bw, kreis, names))
    if files.azr is not None:
        add("fortschreibung_rows", fortschreibung_rows(files.azr, kreis, names))
    user = user_rows(files.user, names, Path(data_dir))
    add("user_rows", user)
    # The estimate needs the BW-wide anchors (Regionalatlas, Zensus 2011, Statistik BW):
    # elsewhere there is nothing to carry along.
    inputs = estimation_inputs_cached(files)
    if inputs is not None:
        add("estimate_rows", estimate_rows(inputs, kreis, names, user,
                                           gv.filter(pl.col("level") == "Gemeinde")))
    pop = pl.concat(parts).with_columns(basis_expr())
    return validate_population(pop.sort("level", "ags", "source", "reference_date"))


def load_population(data_dir: Path | str | None = None, kreis: str = KREIS_AGS) -> pl.DataFrame:
    """The tidy population frame, validated: one row per area × reference date × source.

    Columns: ``level`` (Gemeinde, Kreis, Land), ``ags``, ``name``, ``reference_date``,
    ``year``, ``population``, ``foreigners`` (null where not published), ``share`` (foreign
    share in percent, 0–100), ``source`` (a key of ``workbench.population.SOURCES``, listed
    in the package docstring), ``status`` (``amtlich`` or ``geschätzt``), ``basis``
    (population basis, e.g. „Zensus 2022“; a series breaks where it changes), ``band``
    (± percentage points of an estimate, else null).

    Parameters: ``data_dir`` – the data directory (default :func:`workbench.paths.data_dir`);
    ``kreis`` – 5-digit AGS of the Kreis whose municipalities get rows (default 08118).

    Cached on the paths, modification times and sizes of every input file (raw files, the
    published figures and the user directory): in-process (repeated calls cost a stat() per
    file) and as parquet under :func:`cache_dir` (a fresh kernel or CLI call skips the Excel
    parsing; ``WORKBENCH_POPULATION_CACHE=0`` switches that off).

    Example::

        >>> pop = load_population()
        >>> zensus = pop.filter(pl.col("ags") == "08118076", pl.col("source") == "zensus2022")
        >>> zensus.get_column("share").item()
        16.7
        >>> load_population(kreis="08115")  # Landkreis Böblingen
    """
    root = Path(data_dir).resolve() if data_dir else paths.data_dir()
    files = input_files(root)
    return _build(str(root), files, kreis)
