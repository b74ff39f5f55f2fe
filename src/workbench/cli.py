"""The ``workbench`` command line.

Subcommands live in their own modules under ``workbench.commands`` and are imported only
when invoked, so ``workbench --help`` stays fast and one broken area cannot break the rest.
"""

from __future__ import annotations

import importlib

import click

from workbench.startup import skip_unused_imports

# The command line is our own process: skip imports it never uses (see workbench.startup).
skip_unused_imports()

# name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "run": "workbench.commands.run:run",
    "validate": "workbench.commands.validate:validate",
    "summary": "workbench.commands.population:summary",
    "import-observations": "workbench.commands.observations:import_observations",
    "export-observations": "workbench.commands.observations:export_observations",
    "example-data": "workbench.commands.observations:example_data",
    "new-catalogue": "workbench.commands.catalogue:new_catalogue",
    "reports": "workbench.commands.reports:reports",
    "dashboards": "workbench.commands.dashboards:dashboards",
    "hub": "workbench.commands.hub:hub",
}

HELP = {
    "run": "Hauptlauf: Daten prüfen, Berichte erzeugen, Dashboards starten.",
    "validate": "Dateien prüfen (Format erkennen, Fehler mit Zeile und Spalte melden).",
    "summary": "Übersichtstabelle der 39 Gemeinden ausgeben.",
    "import-observations": "Messwerte aus Excel/CSV-Vorlage in den Messwertspeicher importieren.",
    "export-observations": "Messwerte nach Excel/CSV exportieren.",
    "example-data": "Beispieldaten (keine amtlichen Werte) erzeugen.",
    "new-catalogue": "Neuen Maßnahmenkatalog aus der Vorlage anlegen.",
    "reports": "Berichte je Gemeinde erzeugen (papermill).",
    "dashboards": "Voila-Dashboards starten.",
    "hub": "Mehrbenutzerbetrieb (JupyterHub) starten; Benutzer verwalten (hub user).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Use static help texts so --help does not import every subcommand.
        rows = [(name, HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Befehle"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workbench")
def main() -> None:
    """workbench – Integrationsmonitoring für den Landkreis Ludwigsburg."""


if __name__ == "__main__":
    main()
