"""Format detection: which loader reads a file (by content; the file name only breaks ties).

:func:`detect_format` returns a key of :data:`workbench.loaders.LOADERS` (labels for users in
:data:`FORMAT_LABELS`). It lives beside the loaders so that they never import
:mod:`workbench.validation` (which sits above them: ``validate_path`` runs the loaders).
"""

from __future__ import annotations

import re
from pathlib import Path

from workbench.exceptions import DataValidationError

FORMAT_LABELS: dict[str, str] = {
    "gv_isys": "GV-ISys Gemeindeverzeichnis (Destatis, xlsx/xls)",
    "zensus_flat": "Zensus 2022 GENESIS-CSV (flat)",
    "gerda_census": "GERDA Zensus-2022-Gemeindedaten (CSV)",
    "inkar": "INKAR-Kreisindikatoren via GERDA (CSV)",
    "codebook": "GERDA-Codebuch (CSV)",
    "regionalatlas_timeseries": "Regionalatlas AI0208 Zeitreihe (JSON)",
    "regionalatlas_arcgis": "Regionalatlas ArcGIS-Antwort (JSON)",
    "regionalstatistik_12411_03_03_4": "Regionalstatistik 12411-03-03-4 (GENESIS-CSV, Latin-1)",
    "regionalstatistik_12411_0015": "Regionalstatistik 12411-0015 (GENESIS-CSV, Latin-1)",
    "municipal_series": "Gemeindereihe Bevölkerung nach Nationalität (Vorlage)",
    "observations": "Messwerte Integrationsmonitoring (Vorlage)",
    "published_figures": "Veröffentlichte Kennzahlen (CSV)",
    "geojson": "Gemeindegrenzen (GeoJSON)",
    "provenance": "Herkunftsnachweis (provenance.json)",
    "regionaldatenbank": "Regionaldatenbank Deutschland, Tabellen-CSV (GENESIS-Export)",
    "regionaldatenbank_zensus2011": "Regionaldatenbank 12111-01-01 Zensus 2011 (GENESIS-Export)",
    "statistik_bw_shares": "Statistik BW, Ausländeranteil je Gemeinde (CSV)",
    "statistik_bw_einbuergerungen": "Statistik BW, Einbürgerungen Baden-Württemberg (CSV)",
    "azr_records": "AZR/Fortschreibung/Mikrozensus-Kreisdatensätze (JSON)",
    "zensus2022_einwanderung": "Zensus 2022, Einwanderungsgeschichte je Gemeinde (CSV)",
}

MUNICIPAL_HEADER = ("AGS", "Gemeinde", "Stichtag", "Bevölkerung insgesamt", "Ausländer")


def _head_text(path: Path, n: int = 4096) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(n)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte sequence at the end of the sample is not a Latin-1 signal.
        if exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8", errors="replace")
        return raw.decode("latin-1")


def detect_format(path: str | Path) -> str | None:
    """Return the format key of ``path`` (see :data:`FORMAT_LABELS`) or ``None`` if unknown.

    Detection reads the content: Excel sheets by their GV-ISys header cells, CSVs by their
    header/title lines, JSON by its keys.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".provenance.json"):
        return "provenance"
    with open(path, "rb") as fh:
        raw_head = fh.read(8)
    if raw_head.startswith(b"PK\x03\x04") or raw_head.startswith(b"\xd0\xcf\x11\xe0"):
        return _detect_excel(path)
    head = _head_text(path)
    stripped = head.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        if '"years"' in head and ('"districts"' in head or '"states"' in head):
            return "regionalatlas_timeseries"
        if '"FeatureCollection"' in head or '"features"' in head:
            if '"ai0208"' in head or '"geometry":null' in head.replace(" ", ""):
                return "regionalatlas_arcgis"
            return "geojson"
        if name.endswith(".json") and '"sha256"' in head:
            return "provenance"
        if "district-azr" in head or "_records_" in name:
            return "azr_records"
        return None
    lines = head.splitlines()
    first = lines[0] if lines else ""
    if first.startswith("statistics_code;") or "1_variable_attribute_code" in first:
        return "zensus_flat"
    if first.lstrip('"').startswith("GENESIS-Tabelle:"):
        return _genesis_format(first, lines)
    if first.strip('"').startswith("Anteil Ausländer") or any(
        ln.replace('"', "").startswith("Regionalschlüssel;Gemeinde;") for ln in lines[:3]
    ):
        return "statistik_bw_shares"
    if first.replace('"', "").startswith("Jahr;Einbürgerungen"):
        return "statistik_bw_einbuergerungen"
    if first.startswith("ags,name,population,german,foreign,immigration_history"):
        return "zensus2022_einwanderung"
    if first.startswith("ags,municipality_name") or "share_foreign_census22" in first:
        return "gerda_census"
    if first.startswith("county_code,year"):
        return "inkar"
    if first.startswith("variable,label"):
        return "codebook"
    if first.lower().startswith("ags;name;level;reference_date"):
        return "published_figures"
    for line in lines[:15]:
        cells = [c.strip().strip('"') for c in line.replace(",", ";").split(";")]
        if cells[:2] == ["AGS", "Gemeinde"] and "Stichtag" in cells:
            return "municipal_series"
        if _is_observations_header(line.replace("\t", ";").split(";")):
            return "observations"
    # Name-based fallback for damaged files (e.g. empty or wrong separator) so that the
    # loader can report *what* is wrong instead of "unknown format".
    return detect_by_name(name)


_TIME_ROW = re.compile(r"^(\d{4}|\d{2}\.\d{2}\.\d{4});(DG|\d{2,12});")


def _genesis_format(first: str, lines: list[str]) -> str:
    """GENESIS "CSV": the two legacy 12411 layouts keep their loaders, all else is generic."""
    code = first.split(":", 1)[1].strip().strip(';"').strip()
    time_rows = any(_TIME_ROW.match(ln) for ln in lines[1:80])
    if code.startswith("12411-03-03-4") and not time_rows:
        return "regionalstatistik_12411_03_03_4"
    if code.startswith("12411-0015") and not time_rows:
        return "regionalstatistik_12411_0015"
    if code in ("12111-01-01-5", "12111-01-01-4"):
        return "regionaldatenbank_zensus2011"
    return "regionaldatenbank"


def detect_by_name(name: str) -> str | None:
    """Format key from a (lower-case) file name alone – for damaged or empty files."""
    if "1000a-0000" in name:
        return "zensus_flat"
    if "12411-03-03-4" in name:
        return "regionalstatistik_12411_03_03_4"
    if "12411-0015" in name:
        return "regionalstatistik_12411_0015"
    if "gerda_census" in name and "codebook" not in name:
        return "gerda_census"
    if "inkar" in name and "codebook" not in name:
        return "inkar"
    if "codebook" in name:
        return "codebook"
    if "published_figures" in name:
        return "published_figures"
    if name.startswith(("12111-01-01-5", "12111-01-01-4")):
        return "regionaldatenbank_zensus2011"
    if re.match(r"(\d{5}-\d{2}-\d{2}-\d|ai\d{3}-\d)", name):
        return "regionaldatenbank"
    if "auslaenderanteil" in name:
        return "statistik_bw_shares"
    if "einbuergerungen" in name:
        return "statistik_bw_einbuergerungen"
    if "einwanderungsgeschichte" in name:
        return "zensus2022_einwanderung"
    if "auszug_gv" in name or "auszuggv" in name:
        return "gv_isys"
    if "bevoelkerung_nationalitaet" in name or name.startswith("gemeindereihe"):
        return "municipal_series"
    if name.endswith((".csv", ".xlsx")) and "nationalit" in name:
        return "municipal_series"
    return None


def _detect_excel(path: Path) -> str | None:
    from workbench import tabular

    for idx in range(3):
        try:
            sheet = tabular.read_workbook_sheet(path, idx, stop_after_row=20)
        except DataValidationError:
            break  # unreadable or no such sheet: the loader/precheck reports why
        for row in sheet.rows[:20]:
            cells = [str(c).strip() for c in row if c not in (None, "")]
            if cells[:1] == ["Satz-art"]:
                return "gv_isys"
            if cells[:2] == ["AGS", "Gemeinde"]:
                return "municipal_series"
            if _is_observations_header(cells):
                return "observations"
    return detect_by_name(path.name.lower())


def _is_observations_header(cells: list[str]) -> bool:
    norm = {c.strip().casefold().replace("ä", "ae") for c in cells}
    return {"traeger", "indikator-id", "stichtag"} <= norm
