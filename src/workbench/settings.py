"""The settings of one process, read from the environment once, at the boundary.

A boundary — a CLI command, the first cell of a report notebook (``sections.einrichten``),
a dashboard kernel — builds one :class:`Settings` with :meth:`Settings.from_env` and passes
it (or the paths it needs) down as arguments. Library functions called without settings
fall back to ``Settings.from_env()`` themselves, so ``import workbench;
workbench.load_population()`` works in a notebook as before.

Settings travel one way: nothing in the package writes ``os.environ``. A report pointed at
another data directory gets ``Settings.from_env(data_dir=...)``, not a changed environment;
a subprocess that must see other settings gets an explicit ``env=`` dict.

Only this module and :mod:`workbench.paths` read ``WORKBENCH_*`` variables
(``tests/test_settings.py`` checks it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workbench import paths

KREIS_ENV = "WORKBENCH_KREIS"
POPULATION_CACHE_ENV = "WORKBENCH_POPULATION_CACHE"
CHROMIUM_ENV = "WORKBENCH_CHROMIUM"
USER_ENV = "WORKBENCH_USER"
# Set for the dashboard server and its kernels: the page template loads plotly.js itself.
PLOTLY_PRELOADED_ENV = "WORKBENCH_PLOTLY_PRELOADED"
# Multi-user deployment (workbench hub, issue 13); see workbench.access and workbench.identity.
# Set by the hub for its services and servers: no local fallback user, writes need a login.
REQUIRE_LOGIN_ENV = "WORKBENCH_REQUIRE_LOGIN"
# Set by the hub's spawner for a user's JupyterLab server: whose server it is.
PRINCIPAL_LOGIN_ENV = "WORKBENCH_PRINCIPAL_LOGIN"
PRINCIPAL_GROUPS_ENV = "WORKBENCH_PRINCIPAL_GROUPS"
# The dashboards service's key for signing identities into kernel messages.
IDENTITY_KEY_ENV = "WORKBENCH_IDENTITY_KEY"
# The hub's users file (default var/hub/users.toml).
HUB_USERS_ENV = "WORKBENCH_HUB_USERS"

DEFAULT_CHROMIUM = "/usr/bin/chromium"
_OFF = {"0", "false", "nein", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Where the package reads and writes, and the few switches a deployment sets.

    Build it with :meth:`from_env`; derive a variant with :meth:`replace`.
    """

    data_dir: Path
    """Shipped data (``WORKBENCH_DATA_DIR``, default ``<project>/data``)."""
    user_dir: Path
    """User-provided official series (``WORKBENCH_USER_DIR``, default ``<data>/user``)."""
    db_path: Path
    """SQLite observation store (``WORKBENCH_DB``, default ``<data>/store/observations.sqlite``)."""
    output_dir: Path
    """Generated reports and exports (``WORKBENCH_OUTPUT_DIR``, default ``<project>/output``)."""
    cache_dir: Path
    """Parquet cache of built frames (``WORKBENCH_CACHE_DIR``, default ``<project>/var/cache``)."""
    catalogue_dir: Path
    """Handlungsfeld catalogues (``WORKBENCH_CATALOGUE_DIR``, default ``<data>/catalogues``)."""
    kreis: str | None = None
    """Kreis key a process without CLI works on (``WORKBENCH_KREIS``, set by ``workbench
    dashboards --kreis`` for its kernels); ``None``: Landkreis Ludwigsburg."""
    population_cache: bool = True
    """Keep the built population model as parquet under ``cache_dir``
    (``WORKBENCH_POPULATION_CACHE=0`` switches it off)."""
    chromium: str = DEFAULT_CHROMIUM
    """Chromium binary for the PDF export (``WORKBENCH_CHROMIUM``)."""
    user: str | None = None
    """Who enters values when nobody says (``WORKBENCH_USER``; ``None``: the OS login)."""
    plotly_preloaded: bool = False
    """The dashboard page loads plotly.js itself (``WORKBENCH_PLOTLY_PRELOADED=1``, set by
    the dashboard server for its kernels)."""

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        data_dir: Path | str | None = None,
        db_path: Path | str | None = None,
    ) -> Settings:
        """Read the ``WORKBENCH_*`` variables of ``environ`` (default ``os.environ``).

        ``data_dir``/``db_path`` (e.g. the report parameters ``datenverzeichnis`` and
        ``messwerte_db``) act like ``WORKBENCH_DATA_DIR``/``WORKBENCH_DB``: the paths derived
        from the data directory (user files, store, catalogues) follow it unless their own
        variable is set. Raises ``ValueError`` for a ``WORKBENCH_KREIS`` that is no Kreis key
        of Baden-Württemberg.
        """
        env = dict(os.environ if environ is None else environ)
        if data_dir:
            env[paths.DATA_DIR_ENV] = str(data_dir)
        if db_path:
            env[paths.DB_ENV] = str(db_path)
        return cls(
            data_dir=paths.data_dir(env),
            user_dir=paths.user_dir(env),
            db_path=paths.store_path(env),
            output_dir=paths.output_dir(env),
            cache_dir=paths.cache_dir(env),
            catalogue_dir=paths.catalogue_dir(env),
            kreis=_kreis(env.get(KREIS_ENV, "")),
            population_cache=env.get(POPULATION_CACHE_ENV, "1").strip().lower() not in _OFF,
            chromium=env.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM,
            user=env.get(USER_ENV) or None,
            plotly_preloaded=env.get(PLOTLY_PRELOADED_ENV) == "1",
        )

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` (fields only; derived paths are NOT recomputed — use
        ``from_env(data_dir=...)`` to move the data directory with everything below it)."""
        return dataclasses.replace(self, **changes)

    @property
    def raw_dir(self) -> Path:
        """Raw official files (``<data>/raw``)."""
        return self.data_dir / "raw"

    @property
    def templates_dir(self) -> Path:
        """Templates users fill in (``<data>/templates``)."""
        return self.data_dir / "templates"


def _kreis(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not (value.isdigit() and len(value) == 5 and value.startswith("08")):
        raise ValueError(f"{KREIS_ENV}=„{value}“: erwartet wird ein 5-stelliger "
                         "Kreisschlüssel in Baden-Württemberg (z. B. 08115).")
    return value


def current(settings: Settings | None = None) -> Settings:
    """``settings``, or the process environment's when ``None`` (the public-API fallback)."""
    return settings if settings is not None else Settings.from_env()
