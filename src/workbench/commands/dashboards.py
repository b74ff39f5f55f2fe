"""``workbench dashboards``: serve the Voila dashboards."""

from __future__ import annotations

import click


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
def dashboards(port: int, pool_size: int | None, no_erfassung: bool) -> None:
    """Voila-Dashboards starten (nur auf 127.0.0.1 erreichbar)."""
    from workbench.dashboards.server import DashboardServerError, serve

    try:
        serve(port=port, block=True, pool_size=pool_size, erfassung=not no_erfassung)
    except DashboardServerError as exc:
        raise click.ClickException(str(exc)) from exc
