"""The model's vocabulary: columns (``SCHEMA``), statuses, population bases, sources
and their German citations, and the invariants every built frame must satisfy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.exceptions import DataValidationError, Problem

OFFICIAL = "amtlich"
ESTIMATED = "geschätzt"
STATUSES = (OFFICIAL, ESTIMATED)
LEVELS = ("Gemeinde", "Kreis", "Land")

SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(),
    "ags": pl.String(),
    "name": pl.String(),
    "reference_date": pl.Date(),
    "year": pl.Int32(),
    "population": pl.Int64(),
    "foreigners": pl.Int64(),
    "share": pl.Float64(),
    "source": pl.String(),
    "status": pl.String(),
    "basis": pl.String(),
    "band": pl.Float64(),
}

# Population bases: census rebasing (2011, 2022) breaks every series; a series never runs
# smoothly across two bases (charts draw a break, tables and texts say so).
BASIS_VZ1987 = "Volkszählung 1987"
BASIS_Z2011 = "Zensus 2011"
BASIS_Z2022 = "Zensus 2022"
BASIS_REGISTER = "Register"
ZENSUS2011_DATE = dt.date(2011, 5, 9)
ZENSUS2022_DATE = dt.date(2022, 5, 15)
# Statistik BW gives no Stichtag for its "2025" shares. For the estimate (and only to place
# the point on a time axis) it is put on 31.12.2024 – an assumption, printed as such.
STATISTIK_BW_POSITION = dt.date(2024, 12, 31)
STATISTIK_BW_STAND = "Stand 2025"
STATISTIK_BW_ASSUMPTION = (
    "Annahme, nicht aus der Quelle: Statistik BW nennt für „Stand 2025“ keinen Stichtag; "
    "für Diagramm und Schätzung wird der Wert dem 31.12.2024 zugeordnet."
)


@dataclass(frozen=True)
class SourceInfo:
    """German citation data of one source key."""

    label: str  # short label for legends and table footers
    publisher: str
    table: str
    licence: str
    status: str  # amtlich / geschätzt
    concept: str  # what is counted, how it differs from the other sources
    # A source without a Stichtag ("Stand 2025"): shown instead of any date.
    fixed_stand: str | None = None

    def citation(self, reference: str | None = None) -> str:
        """'Quelle: <publisher>, <table> (Stand …)' for chart and table footers."""
        if self.fixed_stand:
            reference = self.fixed_stand.removeprefix("Stand ")
        stand = f", Stand {reference}" if reference else ""
        marker = " – geschätzt" if self.status == ESTIMATED else ""
        return f"Quelle: {self.publisher}, {self.table}{stand}{marker}"


DL_DE = "Datenlizenz Deutschland – Namensnennung 2.0 (dl-de/by-2-0)"
SOURCES: dict[str, SourceInfo] = {
    "zensus2022": SourceInfo(
        label="Zensus 2022",
        publisher="Statistische Ämter des Bundes und der Länder",
        table="Zensus 2022, Tabelle 1000A-0000; Ausländeranteil je Gemeinde via GERDA "
        "(Hilbig u. a.); Ausländerzahl je Gemeinde, wo veröffentlicht, aus der Regionaltabelle "
        "Einwanderungsgeschichte",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Registergestützter Zensus zum 15.05.2022; Anteile auf 1 Nachkommastelle. "
        "Kreis- und Landeswerte aus den Gemeindewerten berechnet (±0,05 Prozentpunkte; ohne "
        "Gemeinden mit geheim gehaltenem Anteil, in Baden-Württemberg eine mit 336 Einwohnern), "
        "außer wo die Ausländerzahl je Gemeinde vorliegt (Landkreis Ludwigsburg: 97.824 von "
        "528.576).",
    ),
    "gv_isys": SourceInfo(
        label="Gemeindeverzeichnis (GV-ISys)",
        publisher="Statistisches Bundesamt (Destatis)",
        table="Gemeindeverzeichnis GV-ISys, Gemeinden nach Fläche und Bevölkerung",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Bevölkerungsfortschreibung zum 31.12. (bis 2010 Basis Volkszählung 1987, "
        "danach Basis Zensus 2011); nur Einwohner insgesamt, keine Staatsangehörigkeit.",
    ),
    "regionalatlas": SourceInfo(
        label="Regionalatlas (AI0208)",
        publisher="Statistische Ämter des Bundes und der Länder",
        table="Regionalatlas Deutschland, Indikator AI0208 „Anteil der ausländischen "
        "Bevölkerung“",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Ausländer laut Bevölkerungsfortschreibung zum 31.12., Kreise und Länder, "
        "1 Nachkommastelle.",
    ),
    "inkar": SourceInfo(
        label="INKAR (BBSR)",
        publisher="Bundesinstitut für Bau-, Stadt- und Raumforschung (BBSR)",
        table="INKAR, Indikator „Ausländer“ (a_ausl_bev) via GERDA",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Ausländeranteil je Kreis zum 31.12., 2 Nachkommastellen; 2022 auf anderer "
        "Bevölkerungsbasis als der Regionalatlas – nicht mit ihm mischen.",
    ),
    "regionalstatistik2011": SourceInfo(
        label="Regionalstatistik 12411-03-03-4",
        publisher="Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland",
        table="Tabelle 12411-03-03-4 (Bevölkerung nach Nationalität)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Bevölkerungsfortschreibung zum 31.12.2011 (Basis Zensus 2011), Anzahl "
        "Ausländer und Einwohner je Kreis und Land.",
    ),
    "landratsamt_azr": SourceInfo(
        label="Landratsamt Ludwigsburg (AZR)",
        publisher="Landratsamt Ludwigsburg",
        table="Webseite der Integrationsbeauftragten (Ausländerzentralregister)",
        licence="Veröffentlichung des Landratsamts (Quellenangabe)",
        status=OFFICIAL,
        concept="Ausländer laut Ausländerzentralregister (AZR) geteilt durch die Einwohner der "
        "Fortschreibung; höher als die Fortschreibung (Regionalatlas 20,0 %).",
    ),
    "stadt_sachsenheim": SourceInfo(
        label="Stadt Sachsenheim (Melderegister)",
        publisher="Stadt Sachsenheim",
        table="Integrationskonzept der Stadt Sachsenheim (Nov. 2024)",
        licence="Veröffentlichung der Stadt (Quellenangabe)",
        status=OFFICIAL,
        concept="Einwohnermelderegister der Stadt; anderes Konzept als Fortschreibung und Zensus.",
    ),
    "landratsamt_zitiert": SourceInfo(
        label="Landratsamt Ludwigsburg (zitiert)",
        publisher="Landratsamt Ludwigsburg, zitiert im Integrationskonzept der Stadt Sachsenheim",
        table="Integrationskonzept Sachsenheim (Nov. 2024), Fußnote 5",
        licence="Veröffentlichung (Quellenangabe)",
        status=OFFICIAL,
        concept="Nur der Anteil ist angegeben; Bezugsgrößen unbekannt.",
    ),
    "veroeffentlicht": SourceInfo(
        label="Veröffentlichte Angabe",
        publisher="laut Tabelle data/published/published_figures.csv",
        table="Veröffentlichte Kennzahl",
        licence="laut Quelle",
        status=OFFICIAL,
        concept="Einzelwert aus einer Veröffentlichung; Quelle siehe Tabelle.",
    ),
    "zensus2011": SourceInfo(
        label="Zensus 2011",
        publisher="Statistische Ämter des Bundes und der Länder, Regionaldatenbank Deutschland",
        table="Tabelle 12111-01-01-5 (Zensus 2011, Bevölkerung nach Geschlecht und "
        "Nationalität)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Zensus zum 09.05.2011: Einwohner und Ausländer je Gemeinde (Anzahl). Beginn "
        "der Bevölkerungsbasis Zensus 2011 (Bruch gegenüber der Volkszählung 1987).",
    ),
    "statistik_bw": SourceInfo(
        label="Statistik BW (Stand 2025)",
        publisher="Statistisches Landesamt Baden-Württemberg",
        table="„Anteil Ausländer/-innen 2025“ je Gemeinde (Seite „Migration und Nationalität“)",
        licence="© Statistisches Landesamt Baden-Württemberg; Verbreitung mit Quellenangabe "
        "gestattet",
        status=OFFICIAL,
        concept="Ausländeranteil je Gemeinde in %, 1 Nachkommastelle, Bevölkerungsfortschreibung "
        "auf Basis Zensus 2022; ein Stichtag ist nicht angegeben („Stand 2025“).",
        fixed_stand=STATISTIK_BW_STAND,
    ),
    "fortschreibung": SourceInfo(
        label="Bevölkerungsfortschreibung",
        publisher="Statistisches Bundesamt (Destatis)",
        table="GENESIS 12411-03-03-4-B (Bevölkerung nach Nationalität und Alter)",
        licence=DL_DE,
        status=OFFICIAL,
        concept="Einwohner und Ausländer laut Bevölkerungsfortschreibung auf Basis Zensus 2022 "
        "zum 31.12.; anderes Zählkonzept als das Ausländerzentralregister (AZR).",
    ),
    "schaetzung_zensus_regionalatlas": SourceInfo(
        label="Schätzung (amtliche Gemeindewerte + Kreisentwicklung)",
        publisher="Eigene Schätzung aus Zensus 2011, Zensus 2022, Statistik BW (Stand 2025) und "
        "der Kreisentwicklung (Regionalatlas AI0208)",
        table="Gemeindeanteile zwischen amtlichen Werten, auf den Kreiswert abgestimmt",
        licence=DL_DE,
        status=ESTIMATED,
        concept="Geschätzt: jährliche Ausländeranteile je Gemeinde werden nicht veröffentlicht. "
        "Zwischen den amtlichen Gemeindewerten wird das Verhältnis zum Kreisanteil übergeleitet; "
        "die Schätzwerte eines Jahres ergeben zusammen den Kreisanteil. Unsicherheit aus einem "
        "Rückblick-Test (± Prozentpunkte).",
    ),
    "user_series": SourceInfo(
        label="Amtliche Gemeindereihe (Nutzerdaten)",
        publisher="Vom Nutzer bereitgestellte amtliche Gemeindereihe",
        table="Bevölkerung nach Nationalität je Gemeinde (Vorlage)",
        licence="laut Quelle",
        status=OFFICIAL,
        concept="Ersetzt die Schätzung für dieselben Gemeinden und Stichtage.",
    ),
}


def date_label(source: str, day: dt.date) -> str:
    """How a value's date is shown: '15.05.2022', or 'Stand 2025' for a source without one."""
    return SOURCES[source].fixed_stand or day.strftime("%d.%m.%Y")


BASIS_STARTS = {BASIS_Z2011: ZENSUS2011_DATE, BASIS_Z2022: ZENSUS2022_DATE}


def basis_start(basis: str | None) -> dt.date | None:
    """The census day a population basis starts on (None for other bases)."""
    return BASIS_STARTS.get(basis or "")


def basis_label_at(day: dt.date) -> str:
    """'Zensus 2022' for a break on 15.05.2022."""
    return next((b for b, d in BASIS_STARTS.items() if d == day), fmt_day(day))


def fmt_day(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def citation(source: str, reference: dt.date | str | None = None) -> str:
    """German source line for a chart or table, e.g. 'Quelle: …, Stand 15.05.2022'."""
    if isinstance(reference, dt.date):
        reference = reference.strftime("%d.%m.%Y")
    return SOURCES[source].citation(reference)




def to_schema(rows: pl.DataFrame | dict) -> pl.DataFrame:
    """Cast/complete to SCHEMA (missing columns become null) and order the columns."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
    exprs = []
    for column, dtype in SCHEMA.items():
        if column in frame.columns:
            exprs.append(pl.col(column).cast(dtype))
        elif column == "year":
            exprs.append(pl.col("reference_date").dt.year().cast(dtype).alias("year"))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(column))
    return frame.select(exprs)


PUBLISHED_SOURCES = (
    "landratsamt_azr", "landratsamt_zitiert", "stadt_sachsenheim", "veroeffentlicht"
)


def published_source_key(publisher: str | None) -> str:
    """Source key of a row of the published-figures table, by its publisher."""
    publisher = (publisher or "").strip()
    if publisher == "Landratsamt Ludwigsburg":
        return "landratsamt_azr"
    if publisher == "Stadt Sachsenheim":
        return "stadt_sachsenheim"
    if publisher.startswith("Stadt Sachsenheim (zitiert Landratsamt"):
        return "landratsamt_zitiert"
    return "veroeffentlicht"


def basis_expr() -> pl.Expr:
    """The population basis of a row by source and date (where a builder did not set it).

    GV-ISys keeps the Zensus-2011 basis up to 31.12.2023 (its own notes); the Regionalatlas
    is taken as Zensus-2022-based from 31.12.2022 on (an assumption: the file says nothing on
    its basis; its 2022 value fits the Zensus 2022 Kreis value, the 2021 value the old basis).
    """
    date = pl.col("reference_date")
    by_date = (
        pl.when(date < ZENSUS2011_DATE).then(pl.lit(BASIS_VZ1987))
        .when(date < ZENSUS2022_DATE).then(pl.lit(BASIS_Z2011))
        .otherwise(pl.lit(BASIS_Z2022))
    )
    return (
        pl.when(pl.col("basis").is_not_null()).then(pl.col("basis"))
        .when(pl.col("source").is_in(list(PUBLISHED_SOURCES))).then(pl.lit(BASIS_REGISTER))
        .when(pl.col("source") == "user_series").then(pl.lit(None, dtype=pl.String))
        .when(pl.col("source").is_in(["gv_isys", "inkar"]) & (date >= ZENSUS2011_DATE))
        .then(pl.lit(BASIS_Z2011))
        .otherwise(by_date)
        .alias("basis")
    )


def validate_population(pop: pl.DataFrame, origin: str = "population (Modell)") -> pl.DataFrame:
    """Check schema and invariants; raise ``DataValidationError`` listing every violation."""
    problems: list[Problem] = []
    if dict(pop.schema) != SCHEMA:
        problems.append(
            Problem(origin, None, None, str(dict(pop.schema)), f"Spalten und Typen {SCHEMA}")
        )
        raise DataValidationError(problems)
    checks = [
        ("level", ~pl.col("level").is_in(LEVELS), "Gemeinde, Kreis oder Land"),
        ("status", ~pl.col("status").is_in(STATUSES), "amtlich oder geschätzt"),
        ("source", ~pl.col("source").is_in(list(SOURCES)), "ein Schlüssel aus SOURCES"),
        ("ags", pl.col("ags").is_null() | ~pl.col("ags").str.contains(r"^\d{2}(\d{3}(\d{3})?)?$"),
         "AGS mit 2, 5 oder 8 Ziffern"),
        ("name", pl.col("name").is_null(), "ein Gebietsname"),
        ("reference_date", pl.col("reference_date").is_null(), "ein Stichtag"),
        ("population", pl.col("population") < 0, "Einwohner ≥ 0"),
        ("foreigners", (pl.col("foreigners") < 0) | (pl.col("foreigners") > pl.col("population")),
         "0 ≤ Ausländer ≤ Einwohner"),
        ("share", (pl.col("share") < 0) | (pl.col("share") > 100), "Anteil zwischen 0 und 100"),
        ("share", pl.col("share").is_null() & pl.col("population").is_null(),
         "Einwohner oder Anteil"),
    ]
    indexed = pop.with_row_index("_row", offset=1)
    for column, bad, expected in checks:
        for row in indexed.filter(bad.fill_null(False)).head(25).iter_rows(named=True):
            problems.append(Problem(origin, row["_row"], column, str(row[column]), expected))
    dupes = indexed.filter(pl.struct("ags", "reference_date", "source").is_duplicated())
    for row in dupes.head(25).iter_rows(named=True):
        problems.append(
            Problem(origin, row["_row"], "ags", f"{row['ags']} {row['reference_date']} "
                    f"{row['source']}", "höchstens eine Zeile je Gebiet, Stichtag und Quelle")
        )
    if problems:
        raise DataValidationError(problems)
    return pop
