"""Who may write what: the rights of the workbench groups (issue 13), in one place.

A :class:`Principal` is the authenticated person behind a write: their login and their
workbench groups (from the hub: JupyterHub groups of the logged-in user). The store checks
every write against it (:meth:`Principal.can_write`), refuses with
:class:`~workbench.exceptions.AccessDeniedError` (German) and audits the refusal.

Groups (hub groups; the names are the contract between hub, store and docs):

========================== ===============================================================
``leitung``                read every dashboard and report; no writes
``traeger-<traeger_id>``   like Leitung, plus enter/correct/import observations, Zielwerte
                           and assessments of that one Träger (e.g. ``traeger-sachsenheim``)
``kreis-integration``      write for every Träger, manage catalogues, JupyterLab
``analyse``                JupyterLab, read-only on the store (unless also in a Träger group)
``admin``                  hub users and groups (hub admin); no store writes by itself
========================== ===============================================================

Without a hub (``workbench dashboards``, the CLI, JupyterLab on one desk) the single local
user acts as :func:`local_principal` with every right, as before issue 13. With
``WORKBENCH_REQUIRE_LOGIN=1`` (set by ``workbench hub`` for its services and servers) there is
no such fallback: a write without an authenticated principal is refused.

Example::

    >>> p = Principal("e.mueller", frozenset({"traeger-sachsenheim"}))
    >>> p.can_write("sachsenheim"), p.can_write("ludwigsburg")
    (True, False)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workbench.settings import (
    PRINCIPAL_GROUPS_ENV,
    PRINCIPAL_LOGIN_ENV,
    REQUIRE_LOGIN_ENV,
    Settings,
)

GROUP_LEITUNG = "leitung"
GROUP_KREIS = "kreis-integration"
GROUP_ANALYSE = "analyse"
GROUP_ADMIN = "admin"
TRAEGER_PREFIX = "traeger-"
# The single local user (no hub): every right, as the workbench had before issue 13.
GROUP_LOCAL = "lokal"
FIXED_GROUPS: tuple[str, ...] = (GROUP_LEITUNG, GROUP_KREIS, GROUP_ANALYSE, GROUP_ADMIN)
# Groups that get their own JupyterLab server on the hub.
JUPYTERLAB_GROUPS: tuple[str, ...] = (GROUP_KREIS, GROUP_ANALYSE)


GROUP_LABELS: dict[str, str] = {
    GROUP_LEITUNG: "Leitung (nur lesen)",
    GROUP_KREIS: "Kreis-Integration (alle Träger, Kataloge, JupyterLab)",
    GROUP_ANALYSE: "Analyse (JupyterLab, nur lesen)",
    GROUP_ADMIN: "Administration (Benutzer und Gruppen)",
    GROUP_LOCAL: "Einzelplatz (alle Rechte)",
}

_TRAEGER_GROUP = re.compile(r"^traeger-([a-z0-9][a-z0-9-]{0,62})$")


def traeger_group(traeger_id: str) -> str:
    """The Redaktion group of a Träger (``"sachsenheim"`` -> ``"traeger-sachsenheim"``)."""
    return TRAEGER_PREFIX + traeger_id


def traeger_of_group(group: str) -> str | None:
    """``"sachsenheim"`` for ``"traeger-sachsenheim"``, ``None`` for any other group."""
    match = _TRAEGER_GROUP.match(group)
    return match.group(1) if match else None


def is_workbench_group(group: str) -> bool:
    """A group the workbench gives rights to (fixed groups and ``traeger-<id>``)."""
    return group in FIXED_GROUPS or traeger_of_group(group) is not None


def group_label(group: str) -> str:
    """German description of a group for lists and pages."""
    traeger = traeger_of_group(group)
    if traeger is not None:
        return f"Redaktion {traeger} (Messwerte dieses Trägers)"
    return GROUP_LABELS.get(group, group)


@dataclass(frozen=True)
class Principal:
    """An authenticated person: ``login`` (recorded in the store) and ``groups``."""

    login: str
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.login or not self.login.strip():
            raise ValueError("Principal ohne Anmeldenamen")
        object.__setattr__(self, "groups", frozenset(self.groups))

    @property
    def writes_everywhere(self) -> bool:
        return GROUP_KREIS in self.groups or GROUP_LOCAL in self.groups

    def writable_traeger(self) -> frozenset[str]:
        """Träger ids named by this principal's Redaktion groups (not the all-Träger right)."""
        return frozenset(t for g in self.groups if (t := traeger_of_group(g)) is not None)

    def can_write(self, traeger_id: str) -> bool:
        """May enter/correct/import observations, Zielwerte and assessments of ``traeger_id``."""
        return self.writes_everywhere or traeger_id in self.writable_traeger()

    def can_write_any(self) -> bool:
        """May write for at least one Träger (the entry form is offered)."""
        return self.writes_everywhere or bool(self.writable_traeger())

    def can_manage_catalogues(self) -> bool:
        return self.writes_everywhere

    def can_use_jupyterlab(self) -> bool:
        return bool(self.groups & {*JUPYTERLAB_GROUPS, GROUP_LOCAL})

    @classmethod
    def from_hub_user(cls, model: Mapping[str, object]) -> Principal:
        """From a JupyterHub user model (``{"name": ..., "groups": [...]}``)."""
        groups = model.get("groups") or ()
        if not isinstance(groups, Iterable) or isinstance(groups, str):
            groups = ()
        return cls(str(model["name"]), frozenset(str(g) for g in groups))


def login_required(environ: Mapping[str, str] | None = None) -> bool:
    """``True`` under the hub (``WORKBENCH_REQUIRE_LOGIN=1``): no local fallback principal."""
    env = os.environ if environ is None else environ
    return env.get(REQUIRE_LOGIN_ENV, "") not in ("", "0")


def local_login() -> str:
    """Who is entering values without a hub: ``WORKBENCH_USER`` or the OS login."""
    import getpass

    try:
        return Settings.from_env().user or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unbekannt"


def local_principal() -> Principal:
    """The single local user (no hub): :func:`local_login`, every right."""
    return Principal(local_login(), frozenset({GROUP_LOCAL}))


def ambient_principal(environ: Mapping[str, str] | None = None) -> Principal | None:
    """Who writes when a caller passes no principal: the hub user a JupyterLab server (and its
    terminals and kernels) was started for (``WORKBENCH_PRINCIPAL_LOGIN`` and
    ``WORKBENCH_PRINCIPAL_GROUPS``, comma-separated, set by the hub's spawner); else ``None``.

    In a user's own JupyterLab this is a guard against mistakes, not against the user: code
    they run can change its environment. See docs/hub.md ("Grenzen").
    """
    env = os.environ if environ is None else environ
    login = env.get(PRINCIPAL_LOGIN_ENV, "").strip()
    if not login:
        return None
    groups = frozenset(g.strip() for g in env.get(PRINCIPAL_GROUPS_ENV, "").split(",")
                       if g.strip())
    return Principal(login, groups)
