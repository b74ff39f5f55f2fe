"""``workbench new-catalogue``: start a municipality's Maßnahmenkatalog from the template."""

from __future__ import annotations

from pathlib import Path

import click

from workbench import catalogue


@click.command("new-catalogue")
@click.argument("ags_or_name")
@click.option("--name", help="Anzeigename des Trägers (Standard: amtlicher Kurzname).")
@click.option(
    "--ziel",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Zieldatei (Standard: <Katalogverzeichnis>/<kennung>.yaml).",
)
def new_catalogue(ags_or_name: str, name: str | None, ziel: Path | None) -> None:
    """Neuen Maßnahmenkatalog für eine Gemeinde (AGS oder Name) aus der Vorlage anlegen."""
    from workbench import region
    from workbench.exceptions import escape_control, escape_lines

    try:
        # Any municipality of Baden-Württemberg may keep a catalogue (not only Kreis 08118).
        ags, official = region.resolve(ags_or_name, region.municipalities(kreis=region.LAND_AGS))
        path = catalogue.new_from_template(ags, name or official, ziel)
    except (ValueError, FileExistsError, region.UnknownMunicipalityError) as exc:
        raise click.ClickException(escape_lines(exc)) from exc
    click.echo(f"Katalog angelegt: {escape_control(path)}")
    click.echo("Nächster Schritt: Maßnahmen und Indikatoren aus dem Integrationskonzept eintragen.")
