"""Options shared by several commands (one definition, one German help text)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

_NO_VALUE = "\0"  # `--kreis` given without a value


def _resolve_kreis(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    from workbench import region
    from workbench.exceptions import escape_lines

    if value is None:
        return region.KREIS_AGS
    if value == _NO_VALUE:  # `reports --kreis` used to switch on the Kreis overview
        raise click.BadParameter(
            "--kreis braucht einen Kreis (z. B. --kreis 08115 oder --kreis Böblingen). Die "
            "Kreisübersicht schaltet jetzt --kreisbericht ein.", ctx=ctx, param=param)
    try:
        return region.resolve_kreis(value)[0]
    except region.UnknownKreisError as exc:
        raise click.BadParameter(escape_lines(exc), ctx=ctx, param=param) from None


def kreis_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--kreis AGS_ODER_NAME``: the Kreis to work on, passed on as its 5-digit AGS
    (default 08118 Landkreis Ludwigsburg; '08115', 'Böblingen', 'Stadtkreis Stuttgart')."""
    return click.option(
        "--kreis", "kreis_ags", default=None, metavar="AGS_ODER_NAME",
        is_flag=False, flag_value=_NO_VALUE,
        callback=_resolve_kreis, expose_value=True,
        help="Stadt- oder Landkreis in Baden-Württemberg (Schlüssel oder Name, z. B. 08115 "
             "oder Böblingen; Standard: 08118 Landkreis Ludwigsburg).",
    )(func)
