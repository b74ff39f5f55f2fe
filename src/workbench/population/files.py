"""Which raw files feed the model: discovery in the data and user directories (one place
that knows the file names; the cache key is built from these files)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench import paths
from workbench.region import (
    gv_files,
)

# ------------------------------------------------------------------------------------------
# Raw file discovery and caching
# ------------------------------------------------------------------------------------------

def _raw(data_dir: Path) -> Path:
    return data_dir / "raw"


def _user_dir(data_dir: Path | None) -> Path:
    return paths.user_dir(data=data_dir)


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.exists():
            return path
    names = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"Datei fehlt: {names}. Bitte die Rohdaten nach data/raw/ kopieren.")


@dataclass(frozen=True)
class InputFiles:
    gv: tuple[Path, ...]
    zensus: Path
    gerda: Path
    regionalatlas: Path
    inkar: Path | None
    regionalstatistik: Path | None
    published: Path | None
    user: tuple[Path, ...]
    zensus2011: Path | None = None
    statistik_bw: Path | None = None
    zensus2022_counts: Path | None = None
    azr: Path | None = None


def _user_files(user: Path) -> tuple[Path, ...]:
    """Municipal series in the user directory (Regionaldatenbank exports there are tables)."""
    from workbench.loaders.regionaldatenbank import table_code

    if not user.is_dir():
        return ()
    return tuple(
        sorted(
            p for p in user.iterdir()
            if p.suffix.lower() in {".csv", ".xlsx", ".xls"} and not p.name.startswith(("~$", "."))
            and not (p.suffix.lower() == ".csv" and table_code(p))
        )
    )


def input_files(data_dir: Path) -> InputFiles:
    raw = _raw(data_dir)
    optional = {
        "inkar": raw / "gerda" / "gerda_inkar_county_covariates_1995-2022.csv",
        "regionalstatistik": raw / "regionalstatistik" / "12411-03-03-4_31122011_kreise.csv",
        "published": data_dir / "published" / "published_figures.csv",
    }
    return InputFiles(
        gv=gv_files(data_dir),
        zensus=_first_existing(
            raw / "zensus2022" / "1000A-0000_de_flat.csv",
            raw / "zensus2022" / "1000A-0000_de_flat_08118.csv",
        ),
        gerda=_first_existing(
            raw / "gerda" / "gerda_census_2022_municipalities.csv",
            raw / "gerda" / "gerda_census_2022_municipalities_08118.csv",
        ),
        regionalatlas=_first_existing(
            raw / "regionalatlas" / "ai0208_timeseries_states_bw-kreise.json"
        ),
        inkar=optional["inkar"] if optional["inkar"].exists() else None,
        regionalstatistik=(
            optional["regionalstatistik"] if optional["regionalstatistik"].exists() else None
        ),
        published=optional["published"] if optional["published"].exists() else None,
        user=_user_files(_user_dir(data_dir)),
        zensus2011=_zensus2011_file(data_dir),
        statistik_bw=_existing(raw / "statistik_bw" / "stala-auslaenderanteil-gemeinden-2025.csv"),
        zensus2022_counts=_existing(
            raw / "zensus2022_einwanderungsgeschichte"
            / "zensus2022-einwanderungsgeschichte-gemeinden-LB_subset.csv"
        ),
        azr=_existing(raw / "azr_2025" / "kreis_08118_records_31122025.json"),
    )


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def _zensus2011_file(data_dir: Path) -> Path | None:
    """Zensus 2011 per municipality; a newer export in the user directory replaces it."""
    from workbench.loaders.regionaldatenbank import find_table

    try:
        return find_table("12111-01-01-5", data_dir)
    except FileNotFoundError:
        return None


def all_files(files: InputFiles) -> tuple[Path | None, ...]:
    return (*files.gv, files.zensus, files.gerda, files.regionalatlas, files.inkar,
            files.regionalstatistik, files.published, *files.user, files.zensus2011,
            files.statistik_bw, files.zensus2022_counts, files.azr)
