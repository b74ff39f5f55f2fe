"""``workbench dashboards``: serve the Voila dashboards."""

from __future__ import annotations

import click

from workbench.commands.options import kreis_option
from workbench.settings import KREIS_ENV


@click.command("dashboards")
@click.option("--port", default=8866, show_default=True, help="Port des Servers.")
@click.option(
    "--pool-size",
    type=click.IntRange(min=0),
    default=None,
    help="Vorgewärmte Kernel je Dashboard (Standard aus dashboards/voila.json; 0 = aus).",
)
@click.option(
    "--no-erfassung",
    is_flag=True,
    default=False,
    help="Dashboard „Messwerte erfassen“ ausschalten (nur Anzeige).",
)
@click.option(
    "--public-name",
    "public_names",
    multiple=True,
    metavar="NAME",
    help="Zusätzlich erlaubter Hostname (z. B. der Name hinter einem Reverse-Proxy); "
    "mehrfach möglich. Erlaubt sind immer 127.0.0.1, localhost und [::1].",
)
@click.option(
    "--max-kernels",
    type=click.IntRange(min=0),
    default=None,
    help="Höchstens so viele Kernel insgesamt, vorgeheizte mitgezählt (Standard aus "
    "dashboards/voila.json; 0 = ohne Grenze). Darüber: HTTP 503.",
)
@click.option(
    "--max-kernels-per-dashboard",
    type=click.IntRange(min=0),
    default=None,
    help="Höchstens so viele offene Seiten je Dashboard (Standard aus dashboards/voila.json; "
    "0 = ohne Grenze). Darüber: HTTP 503.",
)
@kreis_option
def dashboards(
    kreis_ags: str,
    port: int,
    pool_size: int | None,
    no_erfassung: bool,
    public_names: tuple[str, ...],
    max_kernels: int | None,
    max_kernels_per_dashboard: int | None,
) -> None:
    """Voila-Dashboards starten (nur auf 127.0.0.1 erreichbar).

    Beendet sich mit Strg+C oder SIGTERM (systemd) sauber: Port frei, alle Kernel beendet.
    Betrieb: docs/dashboards-betrieb.md.
    """
    from workbench.dashboards.server import DashboardServerError, serve

    try:
        serve(
            port=port,
            block=True,
            pool_size=pool_size,
            erfassung=not no_erfassung,
            public_names=public_names,
            max_kernels=max_kernels,
            max_kernels_per_dashboard=max_kernels_per_dashboard,
            # The kernels read it through region.default_kreis() (a notebook has no CLI).
            env={KREIS_ENV: kreis_ags},
        )
    except DashboardServerError as exc:
        raise click.ClickException(str(exc)) from exc
