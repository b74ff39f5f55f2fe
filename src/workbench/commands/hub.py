"""``workbench hub``: the multi-user deployment (JupyterHub), and ``workbench hub user``."""

from __future__ import annotations

import importlib
from pathlib import Path

import click


class _HubGroup(click.Group):
    """``user`` comes from its own module (loaded only when used)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return ["user"]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name != "user":
            return None
        return importlib.import_module("workbench.commands.hub_users").user


@click.group("hub", cls=_HubGroup, invoke_without_command=True)
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Adresse, an die der Hub bindet (außer Loopback nur mit --public).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port des Hubs.")
@click.option("--public", is_flag=True, help="Im Intranet erreichbar machen: nur mit TLS "
              "(--tls-cert/--tls-key) oder hinter einem Reverse-Proxy (--behind-proxy).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TLS-Zertifikat (PEM) für HTTPS.")
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Privater Schlüssel (PEM) zum Zertifikat.")
@click.option("--behind-proxy", is_flag=True,
              help="Hinter einem Reverse-Proxy (nginx/Apache) auf derselben Maschine, der TLS "
              "macht; der Hub bleibt auf 127.0.0.1.")
@click.option("--public-name", "public_names", multiple=True, metavar="NAME",
              help="Hostname, unter dem der Hub erreicht wird (z. B. "
              "integration.landkreis-ludwigsburg.de); mehrfach möglich.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="TOML-Datei; mit Abschnitt [ldap] Anmeldung über LDAP/Active "
              "Directory statt Benutzerdatei (docs/hub-ldap.md).")
@click.option("--jupyterhub-config", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Zusätzliche jupyterhub_config.py, nach der Werkbank-"
              "Konfiguration geladen (z. B. Anmeldung über OIDC, docs/hub-ldap.md).")
@click.option("--users-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Benutzerdatei (Standard: var/hub/users.toml).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Zustandsverzeichnis des Hubs (Standard: var/hub).")
@click.option("--idle-timeout", default=3600, show_default=True, type=int,
              help="JupyterLab-Server nach so vielen Sekunden ohne Aktivität beenden.")
@click.option("--pool-size", type=click.IntRange(min=0), default=None,
              help="Vorgewärmte Kernel je Dashboard (Standard aus dashboards/voila.json).")
@click.option("--dashboards-config", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Verzeichnis mit einer eigenen voila.json für die Dashboards "
              "(vorgeheizte Kernel je Dashboard, Kernel-Grenzen; Standard: dashboards/).")
@click.option("--hub-port", type=int, default=None, hidden=True)
@click.option("--proxy-api-port", type=int, default=None, hidden=True)
@click.option("--dashboards-port", type=int, default=None, hidden=True)
@click.pass_context
def hub(ctx: click.Context, **options) -> None:
    """Mehrbenutzerbetrieb: JupyterHub mit Anmeldung, Rollen und Dashboards starten.

    Ohne Unterbefehl startet der Hub (Strg+C oder SIGTERM beendet ihn mit allen Diensten).
    Benutzer anlegen: workbench hub user add LOGIN --gruppe leitung
    """
    if ctx.invoked_subcommand is not None:
        return
    from workbench.hub.config import HubSettings, activate, config_file_path, default_state_dir

    settings = HubSettings(
        ip=options["ip"], port=options["port"], public=options["public"],
        tls_cert=options["tls_cert"], tls_key=options["tls_key"],
        behind_proxy=options["behind_proxy"], public_names=tuple(options["public_names"]),
        config_file=options["config_file"], users_file=options["users_file"],
        jupyterhub_config=options["jupyterhub_config"],
        state_dir=options["state_dir"] or default_state_dir(),
        idle_timeout=options["idle_timeout"], dashboards_pool_size=options["pool_size"],
        dashboards_config=options["dashboards_config"],
        hub_port=options["hub_port"], proxy_api_port=options["proxy_api_port"],
        dashboards_port=options["dashboards_port"],
    )
    problems = settings.problems()
    if problems:
        raise click.UsageError("\n".join(problems))
    activate(settings)
    from jupyterhub.app import JupyterHub

    scheme = "https" if settings.tls else "http"
    click.echo(f"Hub startet: {scheme}://{settings.ip}:{settings.port}/ (Beenden: Strg+C)")
    JupyterHub.launch_instance(["-f", str(config_file_path())])
