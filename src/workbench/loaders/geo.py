"""Municipality boundaries as GeoJSON (BKG VG250, simplified, WGS84 / CRS84).

Source files ``data/raw/geo/gemeinden_simplify200_{BW,08118}.geojson``: © GeoBasis-DE / BKG 2013
(Daten verändert), Gebietsstand about 2013 – the 39 municipalities of 08118 are unchanged
since the 1970s reform, so the shapes fit every year 2009–2024.

:func:`load_boundaries` returns the FeatureCollection as a ``dict`` with only ``GF == 4``
features (land areas with population; ``GF 2`` are lakes / unassigned areas), every feature
carrying an 8-digit ``AGS`` property (rebuilt from the 12-digit ``RS`` if absent) and its
``GEN`` name. The nested ``destatis`` object (population of about 2012/13) is removed so it
cannot be mistaken for data. Use ``featureidkey="properties.AGS"`` in plotly choropleths.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.cache import input_keyed_cache
from workbench.loaders._common import Collector, decode, read_bytes

GEOMETRIES = ("Polygon", "MultiPolygon")


def default_path(kreis: str | None = None, data_dir: Path | None = None) -> Path:
    """The shipped boundary file for ``kreis`` below ``data_dir`` (default: the settings')."""
    from workbench.paths import raw_dir

    raw = Path(data_dir) / "raw" if data_dir else raw_dir()
    suffix = "08118" if kreis == "08118" else "BW"
    return raw / "geo" / f"gemeinden_simplify200_{suffix}.geojson"


def load_boundaries(path: str | Path | None = None) -> dict:
    """Load and check a municipality GeoJSON (default: all of Baden-Württemberg)."""
    col = Collector(path or default_path())
    text = decode(read_bytes(col), col, "utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        col.add(
            exc.lineno,
            None,
            text[max(0, exc.pos - 30) : exc.pos + 10],
            f"gültiges JSON (Spalte {exc.colno}: {exc.msg}; Datei abgeschnitten?)",
        )
        raise col.fail() from None
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        col.file_problem("GeoJSON-FeatureCollection mit „features“")
        raise col.fail()
    kept: list[dict] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(data["features"], start=1):
        where = f"features[{i}]"
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            col.add(None, where, None, "Feature mit „properties“")
            continue
        if props.get("GF") != 4:
            continue
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRIES:
            col.add(
                None,
                f"{where}.geometry",
                (geometry or {}).get("type") if isinstance(geometry, dict) else geometry,
                "Polygon oder MultiPolygon",
            )
            continue
        ags = str(props.get("AGS") or "")
        if not ags:
            rs = str(props.get("RS") or "")
            ags = rs[:5] + rs[9:12] if len(rs) == 12 else ""
        if not (ags.isdigit() and len(ags) == 8):
            col.add(None, f"{where}.AGS", ags, "8-stelliger AGS (oder 12-stelliger RS)")
            continue
        if ags in seen:
            col.add(None, f"{where}.AGS", ags, f"eindeutiger AGS – schon in features[{seen[ags]}]")
            continue
        seen[ags] = i
        clean = {k: v for k, v in props.items() if k != "destatis"}
        clean["AGS"] = ags
        kept.append({"type": "Feature", "geometry": geometry, "properties": clean})
    if not kept and not col.problems:
        col.file_problem("mindestens ein Gemeinde-Feature (GF = 4)")
    col.raise_if_any()
    out = {k: v for k, v in data.items() if k != "features"}
    out["features"] = kept
    return out


def kreis_geojson(kreis: str = "08118", data_dir: Path | None = None) -> dict:
    """Municipality boundaries of one Kreis: Landkreis Ludwigsburg (08118, the default) from
    its own file, any other Baden-Württemberg Kreis cut from the Land file (parsed once per
    file version); files below ``data_dir`` (default: the settings' data directory)."""
    if kreis == "08118":
        return load_boundaries(default_path("08118", data_dir))
    data = _land_boundaries(default_path(kreis, data_dir))
    features = [f for f in data["features"] if f["properties"]["AGS"].startswith(kreis)]
    return {**data, "features": features}


@input_keyed_cache(lambda path: [path], maxsize=2)
def _land_boundaries(path: Path) -> dict:
    return load_boundaries(path)
