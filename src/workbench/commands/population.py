"""``workbench summary``: overview table of a Kreis' municipalities (German formats, sources)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import polars as pl

from workbench import metrics
from workbench.commands.options import kreis_option
from workbench.formatting import fmt_int, fmt_number, fmt_percent
from workbench.population import STATISTIK_BW_ASSUMPTION, citation

SORTS = ("name", "rang", "ags", "einwohner")


def format_overview(table: pl.DataFrame, pop: pl.DataFrame, kreis: str | None = None) -> str:
    """The overview as aligned plain text: header, one line per municipality, Kreis line,
    then sources with reference dates and a note on estimates."""
    kreis = kreis or metrics.detect_kreis(pop)
    kreis_rows = pop.filter(pl.col("ags") == kreis)
    kreis_name = kreis_rows.get_column("name")[0] if kreis_rows.height else f"Kreis {kreis}"
    word = metrics.kreis_word(kreis_name)
    pop_date = table.get_column("population_date").max()
    zensus_row = metrics.value_at(pop, kreis, dt.date(2022, 5, 15), metrics.ZENSUS)
    header, rows = metrics.overview_rows(table)
    kreis_gv = pop.filter((pl.col("ags") == kreis) & (pl.col("source") == metrics.GV)
                          & (pl.col("reference_date") == pop_date))
    kreis_pop = kreis_gv.get_column("population")[0] if kreis_gv.height else None
    total = [
        kreis_name, kreis, fmt_int(kreis_pop),
        fmt_percent(zensus_row["share"]) if zensus_row else "–", "", "", "", "",
    ]
    numeric = {2, 3, 4, 5, 6, 7}  # right-aligned (the Stand column too: dates line up)
    widths = [max(len(r[i]) for r in [header, *rows, total]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    rule = "-" * len(line(header))
    out = [line(header), rule, *(line(r) for r in rows), rule, line(total), ""]
    estimated = table.filter(pl.col("latest_status") == "geschätzt").height
    if estimated:
        out.append(
            f"* geschätzt ({estimated} von {table.height} Gemeinden): jährliche Ausländeranteile "
            "je Gemeinde werden nicht veröffentlicht; zwischen den amtlichen Gemeindewerten "
            "(Zensus 2011, Zensus 2022, Statistik BW Stand 2025) ist mit der Kreisentwicklung "
            "(Regionalatlas) geschätzt, Unsicherheit ± "
            f"{fmt_number(table.get_column('latest_band').max())} Prozentpunkte. Amtliche Werte "
            "ersetzen die Schätzung für ihren Stichtag, sobald sie in data/user/ liegen."
        )
    kreis_basis = ("Kreiswert amtlich" if zensus_row and zensus_row["status"] == "amtlich"
                   else "Kreiswert aus den Gemeindewerten berechnet")
    if table.height > 1:
        out.append(f"Rang: 1 = höchster Ausländeranteil im {word} (Zensus 2022). "
                   f"Abstand: Gemeinde minus {word} in Prozentpunkten (Zensus 2022; "
                   f"{kreis_basis}).")
    else:
        out.append(f"{kreis_name}: Stadt und Kreis sind dasselbe Gebiet – kein Rang und kein "
                   "Abstand zum Kreis.")
    sources = table.get_column("latest_source").drop_nulls().unique().sort().to_list()
    out.append(citation(metrics.GV, pop_date))
    out.append(citation(metrics.ZENSUS, dt.date(2022, 5, 15)))
    for source in sources:
        dates = table.filter(pl.col("latest_source") == source).get_column("latest_date")
        out.append(citation(source, dates.max()))
    if "statistik_bw" in sources:
        out.append(STATISTIK_BW_ASSUMPTION)
    return "\n".join(out)


def _sorted(table: pl.DataFrame, sort: str) -> pl.DataFrame:
    if sort == "rang":
        return table.sort("rank", metrics.german_sort_key("name"), nulls_last=True)
    if sort == "ags":
        return table.sort("ags")
    if sort == "einwohner":
        return table.sort("population", descending=True, nulls_last=True)
    return table


@click.command("summary")
@click.option("--sort", "sort", type=click.Choice(SORTS), default="name", show_default=True,
              help="Sortierung der Tabelle.")
@click.option("--gemeinde", "gemeinde", default=None, metavar="NAME|AGS",
              help="Statt der Tabelle die Zusammenfassung einer Gemeinde ausgeben.")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Datenverzeichnis (Standard: data/ bzw. WORKBENCH_DATA_DIR).")
@kreis_option
def summary(sort: str, gemeinde: str | None, data_dir: Path | None, kreis_ags: str) -> None:
    """Übersichtstabelle der Städte und Gemeinden eines Kreises (Standard: Landkreis
    Ludwigsburg; Quellen und Stichtage darunter)."""
    from workbench import region

    pop = _load_or_exit(data_dir, kreis_ags)
    if gemeinde:
        try:
            ags, _ = region.resolve(gemeinde, region.municipalities(data_dir, kreis=kreis_ags))
        except region.UnknownMunicipalityError as exc:
            raise click.BadParameter(str(exc), param_hint="--gemeinde") from None
        click.echo(metrics.summary_text(pop, ags))
        return
    click.echo(format_overview(_sorted(metrics.overview_table(pop, kreis_ags), sort), pop,
                               kreis_ags))


def _load_or_exit(data_dir: Path | None, kreis: str | None = None) -> pl.DataFrame:
    """load_population() with German errors instead of tracebacks (exit code 1)."""
    from workbench.exceptions import DataValidationError, format_problems
    from workbench.population import load_population
    from workbench.region import KREIS_AGS

    try:
        return load_population(data_dir, kreis=kreis or KREIS_AGS)
    except DataValidationError as exc:
        click.secho("Die Bevölkerungsdaten konnten nicht geladen werden:", fg="red", err=True)
        for line in format_problems(exc.problems):
            click.echo(f"  {line}", err=True)
    except FileNotFoundError as exc:
        click.secho(f"Die Bevölkerungsdaten konnten nicht geladen werden: {exc}", fg="red",
                    err=True)
    raise SystemExit(1)
