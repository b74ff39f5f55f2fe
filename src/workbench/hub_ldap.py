"""LDAP / Active Directory login for the JupyterHub deployment (``authenticator = "ldap"``).

The hub's ``[ldap]`` TOML section becomes an :class:`LdapSettings`;
:func:`configure_ldap` turns it into JupyterHub configuration for
:class:`WorkbenchLDAPAuthenticator`, a thin subclass of ``jupyterhub-ldapauthenticator``'s
``LDAPAuthenticator``. The directory stays the single source of who may log in and in which
workbench group they are:

* Login binds as the user (DN from a template, or looked up with a service account), so the
  password is checked by the directory, never by the hub.
* The directory groups listed in the mapping are checked for membership (the group search
  of ``LDAPAuthenticator``); their mapped workbench groups (``leitung``, ``traeger-<id>``,
  ``kreis-integration``, ``analyse``, ``admin``) become the user's hub groups
  (``Authenticator.manage_groups``), replacing whatever groups the user had before. A user
  in none of the mapped groups is refused, even if the bind succeeded. ``admin`` also sets
  the hub's admin flag, so removing a user from the directory's admin group revokes it.
* With a service account, the hub asks the directory again every ``aktualisierung_sekunden``
  (``refresh_user``): group changes take effect at the user's next request after that, and
  a user without any mapped group left (or deleted/disabled in the directory) is logged out.
  Without a service account (bind template only) the groups are refreshed at the next login.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldapauthenticator import LDAPAuthenticator
from tornado import web
from traitlets import Dict, Int, Unicode
from traitlets.config import Config

from workbench import access as _access
from workbench.ids import TRAEGER_ID_PATTERN, shown

# The fixed workbench groups a directory group can map to (the hub's roles are defined on
# these names); ``traeger-<id>`` is one group per Träger, ``<id>`` a catalogue id.
FIXED_GROUPS = _access.FIXED_GROUPS
TRAEGER_GROUP_PREFIX = _access.TRAEGER_PREFIX
ADMIN_GROUP = _access.GROUP_ADMIN

DIRECTORY_UNAVAILABLE = (
    "Das Anmeldeverzeichnis (LDAP/Active Directory) ist nicht erreichbar oder sein Zertifikat "
    "ist nicht vertrauenswürdig. Bitte versuchen Sie es später erneut oder wenden Sie sich an "
    "die IT."
)
TLS_MODES = ("ldaps", "starttls", "keine")
_TLS_STRATEGY = {"ldaps": "on_connect", "starttls": "before_bind", "keine": "insecure"}
_DEFAULT_PORT = {"ldaps": 636, "starttls": 389, "keine": 389}

# Members of a group: groupOfNames/AD (member), groupOfUniqueNames, posixGroup (memberUid).
DEFAULT_GROUP_FILTER = "(|(member={userdn})(uniqueMember={userdn})(memberUid={uid}))"
# Login names as typed: AD sAMAccountNames often carry capitals (the hub lowercases them
# afterwards); ldapauthenticator's default regex would refuse "MMuster" before the bind.
LOGIN_NAME_REGEX = r"^[A-Za-z][.A-Za-z0-9_-]{0,63}$"

_KEYS = {
    "server",
    "port",
    "tls",
    "ca_zertifikat",
    "bind_dn_vorlage",
    "dienstkonto_dn",
    "dienstkonto_passwort_datei",
    "benutzer_suchbasis",
    "benutzer_attribut",
    "gruppen_suchbasis",
    "gruppen_filter",
    "gruppen",
    "aktualisierung_sekunden",
}


class LdapSettingsError(ValueError):
    """A wrong value in the ``[ldap]`` section; the message says which key and what is allowed."""


@dataclass(frozen=True)
class LdapSettings:
    """Where the directory is and how its groups map to workbench groups.

    Build it with :meth:`from_toml` / :func:`load_ldap_settings`; the constructor does not
    check values.
    """

    server: str
    """Host name or IP address of the LDAP server / domain controller."""
    groups: Mapping[str, str]
    """Full DN of a directory group → workbench group (``leitung``, ``traeger-<id>``, …)."""
    tls: str = "ldaps"
    """``ldaps`` (TLS from the start, port 636), ``starttls`` (389, TLS before the bind) or
    ``keine`` (plain text; only for a server on this machine)."""
    port: int | None = None
    """``None``: 636 for ``ldaps``, otherwise 389."""
    ca_certificate: Path | None = None
    """CA certificate(s) (PEM) the server's certificate is checked against; ``None``: system CAs."""
    bind_dn_template: str | None = None
    """``uid={username},ou=people,dc=…``: the user's DN built from the login name (no lookup)."""
    service_dn: str | None = None
    """Service account that looks the user's DN up (search bind), e.g. for AD."""
    service_password_file: Path | None = None
    """File holding the service account's password (one line; readable only by the hub)."""
    user_search_base: str | None = None
    """Subtree where users are looked up (search bind)."""
    user_attribute: str = "uid"
    """Attribute holding the login name: ``uid`` (OpenLDAP) or ``sAMAccountName`` (AD)."""
    group_filter: str = DEFAULT_GROUP_FILTER
    """Filter matching a group that has the user as member (``{userdn}``, ``{uid}``)."""
    refresh_seconds: int = 300
    """How old a login's group information may get before the hub asks the directory again."""
    group_search_base: str | None = None
    """Appended to mapping keys that are not full DNs (``CN=GG-…`` → ``CN=GG-…,<base>``)."""

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_PORT[self.tls]

    @property
    def search_bind(self) -> bool:
        return self.service_dn is not None

    def service_password(self) -> str:
        """The service account's password, read when the hub starts (not kept in the TOML)."""
        if self.service_password_file is None:
            raise LdapSettingsError(
                "[ldap] dienstkonto_passwort_datei fehlt: ohne Passwortdatei kann sich das "
                "Dienstkonto nicht am Verzeichnis anmelden."
            )
        try:
            text = self.service_password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise LdapSettingsError(
                f"[ldap] dienstkonto_passwort_datei „{shown(str(self.service_password_file))}“ "
                f"ist nicht lesbar: {exc.strerror or exc}."
            ) from exc
        password = text.strip("\r\n")
        if not password:
            raise LdapSettingsError(
                f"[ldap] dienstkonto_passwort_datei „{shown(str(self.service_password_file))}“ "
                "ist leer."
            )
        return password

    @classmethod
    def from_toml(cls, section: Mapping[str, Any], *, base_dir: Path | None = None) -> LdapSettings:
        """Check the ``[ldap]`` section of the hub configuration and build the settings.

        Relative paths are resolved against ``base_dir`` (the configuration file's folder).
        Every wrong value raises :class:`LdapSettingsError` with a German message naming the key.
        """
        if not isinstance(section, Mapping):
            raise LdapSettingsError("[ldap] muss ein Abschnitt (Tabelle) sein.")
        unknown = sorted(set(section) - _KEYS)
        if unknown:
            raise LdapSettingsError(
                f"[ldap] unbekannte Einstellung(en): {', '.join(shown(k) for k in unknown)}. "
                f"Erlaubt: {', '.join(sorted(_KEYS))}."
            )

        def text(key: str, *, required: bool = False) -> str | None:
            value = section.get(key)
            if value is None:
                if required:
                    raise LdapSettingsError(f"[ldap] {key} fehlt.")
                return None
            if not isinstance(value, str) or not value.strip():
                raise LdapSettingsError(f"[ldap] {key} muss ein nicht leerer Text sein.")
            if any(ord(ch) < 32 for ch in value):
                raise LdapSettingsError(f"[ldap] {key} darf keine Steuerzeichen enthalten.")
            return value.strip()

        def path(key: str) -> Path | None:
            value = text(key)
            if value is None:
                return None
            p = Path(value).expanduser()
            return p if p.is_absolute() or base_dir is None else base_dir / p

        server = text("server", required=True)
        assert server is not None
        if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", server):
            raise LdapSettingsError(
                f"[ldap] server „{shown(server)}“: erwartet ein Rechnername oder eine IP-Adresse "
                "ohne Schema und Port (z. B. „dc01.lra.local“; Port unter „port“)."
            )

        tls = text("tls") or "ldaps"
        if tls not in TLS_MODES:
            raise LdapSettingsError(
                f"[ldap] tls „{shown(tls)}“: erlaubt sind „ldaps“ (empfohlen, Port 636), "
                "„starttls“ (Port 389) oder „keine“ (nur für einen Server auf diesem Rechner)."
            )
        if tls == "keine" and not _is_loopback(server):
            raise LdapSettingsError(
                f"[ldap] tls = „keine“ ist nur für einen Server auf diesem Rechner erlaubt "
                f"(127.0.0.1, ::1, localhost), nicht für „{shown(server)}“: Passwörter gingen "
                "unverschlüsselt über das Netz. Verwenden Sie „ldaps“ oder „starttls“."
            )

        port = section.get("port")
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535
        ):
            raise LdapSettingsError(
                f"[ldap] port „{shown(port)}“: erwartet eine ganze Zahl von 1 bis 65535."
            )

        refresh = section.get("aktualisierung_sekunden", 300)
        if isinstance(refresh, bool) or not isinstance(refresh, int) or not 0 <= refresh <= 86400:
            raise LdapSettingsError(
                f"[ldap] aktualisierung_sekunden „{shown(refresh)}“: erwartet eine ganze Zahl "
                "von 0 bis 86400 (0: Gruppen werden nur bei der Anmeldung gelesen)."
            )

        bind_dn_template = text("bind_dn_vorlage")
        if bind_dn_template is not None and "{username}" not in bind_dn_template:
            raise LdapSettingsError(
                "[ldap] bind_dn_vorlage muss den Platzhalter {username} enthalten, z. B. "
                "„uid={username},ou=people,dc=lra,dc=local“."
            )
        service_dn = text("dienstkonto_dn")
        service_password_file = path("dienstkonto_passwort_datei")
        user_search_base = text("benutzer_suchbasis")
        user_attribute = text("benutzer_attribut") or "uid"
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", user_attribute):
            raise LdapSettingsError(
                f"[ldap] benutzer_attribut „{shown(user_attribute)}“: erwartet ein "
                "Attributname wie „uid“ oder „sAMAccountName“."
            )
        if bind_dn_template is None and service_dn is None:
            raise LdapSettingsError(
                "[ldap] Es fehlt, wie der Benutzer-DN bestimmt wird: entweder bind_dn_vorlage "
                "(z. B. „uid={username},ou=people,dc=lra,dc=local“) oder ein Dienstkonto "
                "(dienstkonto_dn, dienstkonto_passwort_datei, benutzer_suchbasis) – bei Active "
                "Directory das Dienstkonto."
            )
        if service_dn is not None:
            missing = [
                key
                for key, value in (
                    ("dienstkonto_passwort_datei", service_password_file),
                    ("benutzer_suchbasis", user_search_base),
                )
                if value is None
            ]
            if missing:
                raise LdapSettingsError(
                    f"[ldap] Mit dienstkonto_dn fehlt auch: {', '.join(missing)}."
                )
        elif service_password_file is not None:
            raise LdapSettingsError(
                "[ldap] dienstkonto_passwort_datei ist gesetzt, dienstkonto_dn aber nicht."
            )

        group_filter = text("gruppen_filter") or DEFAULT_GROUP_FILTER
        if "{userdn}" not in group_filter and "{uid}" not in group_filter:
            raise LdapSettingsError(
                "[ldap] gruppen_filter muss {userdn} oder {uid} enthalten, z. B. "
                "„(member={userdn})“."
            )
        if not (group_filter.startswith("(") and group_filter.endswith(")")):
            raise LdapSettingsError(
                f"[ldap] gruppen_filter „{shown(group_filter)}“ muss in Klammern stehen, "
                "z. B. „(member={userdn})“."
            )

        group_search_base = text("gruppen_suchbasis")
        raw_groups = section.get("gruppen")
        if not isinstance(raw_groups, Mapping) or not raw_groups:
            raise LdapSettingsError(
                "[ldap.gruppen] fehlt oder ist leer: ordnen Sie jeder Verzeichnisgruppe eine "
                "Werkbank-Gruppe zu, z. B. "
                '„"CN=GG-Integration-Leitung,OU=Gruppen,DC=lra,DC=local" = "leitung"“. '
                "Wer in keiner dieser Gruppen ist, kann sich nicht anmelden."
            )
        groups: dict[str, str] = {}
        seen: dict[str, str] = {}
        for key, value in raw_groups.items():
            dn = _group_dn(key, group_search_base)
            workbench_group = check_workbench_group(value, dn)
            folded = _fold_dn(dn)
            if folded in seen:
                raise LdapSettingsError(
                    f"[ldap.gruppen] Die Verzeichnisgruppe „{shown(dn, 120)}“ steht doppelt "
                    f"(auch als „{shown(seen[folded], 120)}“)."
                )
            seen[folded] = dn
            groups[dn] = workbench_group

        return cls(
            server=server,
            groups=groups,
            tls=tls,
            port=port,
            ca_certificate=path("ca_zertifikat"),
            bind_dn_template=bind_dn_template,
            service_dn=service_dn,
            service_password_file=service_password_file,
            user_search_base=user_search_base,
            user_attribute=user_attribute,
            group_filter=group_filter,
            refresh_seconds=refresh,
            group_search_base=group_search_base,
        )


def check_workbench_group(value: object, where: str = "") -> str:
    """Return ``value`` if it is one of the fixed workbench groups or ``traeger-<id>``."""
    if isinstance(value, str):
        if value in FIXED_GROUPS:
            return value
        if value.startswith(TRAEGER_GROUP_PREFIX) and TRAEGER_ID_PATTERN.fullmatch(
            value[len(TRAEGER_GROUP_PREFIX) :]
        ):
            return value
    context = f" (für „{shown(where, 120)}“)" if where else ""
    raise LdapSettingsError(
        f"[ldap.gruppen] „{shown(value)}“{context} ist keine Werkbank-Gruppe. Erlaubt sind "
        f"{', '.join(FIXED_GROUPS)} und traeger-<kennung> mit der Kennung des Trägers "
        "(Kleinbuchstaben, Ziffern, Bindestrich), z. B. traeger-sachsenheim."
    )


def load_ldap_settings(config_file: Path, section: str = "ldap") -> LdapSettings:
    """Read ``[ldap]`` from the hub's TOML configuration file."""
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LdapSettingsError(
            f"Konfigurationsdatei „{shown(str(config_file))}“ ist nicht lesbar: "
            f"{exc.strerror or exc}."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise LdapSettingsError(
            f"Konfigurationsdatei „{shown(str(config_file))}“ ist kein gültiges TOML: {exc}."
        ) from exc
    if section not in data:
        raise LdapSettingsError(
            f"Konfigurationsdatei „{shown(str(config_file))}“ hat keinen Abschnitt [{section}], "
            'obwohl authenticator = "ldap" gewählt ist.'
        )
    return LdapSettings.from_toml(data[section], base_dir=config_file.parent)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _fold_dn(dn: str) -> str:
    """DNs compare case-insensitively and without blanks around separators."""
    return re.sub(r"\s*([,=])\s*", r"\1", dn).lower()


def _group_dn(key: object, base: str | None) -> str:
    if not isinstance(key, str) or "=" not in key or any(ord(ch) < 32 for ch in key):
        raise LdapSettingsError(
            f"[ldap.gruppen] „{shown(key)}“ ist kein DN einer Verzeichnisgruppe, erwartet z. B. "
            "„CN=GG-Integration-Leitung,OU=Gruppen,DC=lra,DC=local“."
        )
    key = key.strip()
    if re.search(r"(^|,)\s*dc\s*=", key, flags=re.IGNORECASE):
        return key
    if base is None:
        raise LdapSettingsError(
            f"[ldap.gruppen] „{shown(key, 120)}“ ist kein vollständiger DN (kein DC=…): "
            "geben Sie den ganzen DN an oder setzen Sie gruppen_suchbasis."
        )
    return f"{key},{base}"


class WorkbenchLDAPAuthenticator(LDAPAuthenticator):
    """``LDAPAuthenticator`` that maps directory groups to the workbench's hub groups.

    Needs ``Authenticator.manage_groups = True`` (set by :func:`configure_ldap`): the
    returned ``groups`` replace the user's hub groups at every login and refresh.
    """

    group_mapping = Dict(
        value_trait=Unicode(),
        config=True,
        help="Directory group DN -> workbench hub group; allowed_groups are its keys.",
    )
    refresh_search_user = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Service account DN used to re-read a logged-in user's groups (refresh_user).",
    )
    refresh_search_password = Unicode(None, allow_none=True, config=True)
    refresh_timeout = Int(10, config=True, help="Seconds for the directory to answer a refresh.")

    def mapped_groups(self, ldap_groups: list[str]) -> list[str]:
        folded = {_fold_dn(dn): group for dn, group in self.group_mapping.items()}
        return sorted({folded[_fold_dn(dn)] for dn in ldap_groups if _fold_dn(dn) in folded})

    async def authenticate(self, handler: Any, data: dict[str, Any]) -> dict[str, Any] | None:
        try:
            # ldap3 blocks; in a thread a slow domain controller delays this login only,
            # not every other request of the hub.
            model = await asyncio.to_thread(
                asyncio.run, LDAPAuthenticator.authenticate(self, handler, data)
            )
        except LDAPException as exc:
            # Unreachable server or a certificate that does not check out: say so, instead of
            # a 500 page or a misleading "wrong password".
            self.log.error("LDAP server %s unusable: %s", self.server_address, exc)
            raise web.HTTPError(503, DIRECTORY_UNAVAILABLE) from exc
        if model is None:
            return None
        groups = self.mapped_groups(model["auth_state"]["ldap_groups"])
        model["groups"] = groups
        # Authoritative both ways: leaving the directory's admin group revokes hub admin.
        model["admin"] = ADMIN_GROUP in groups
        return model

    async def check_allowed(self, username: str, auth_model: dict[str, Any] | None = None) -> bool:
        # Only membership in a mapped directory group admits a user – not allowed_users,
        # not an earlier login (allow_existing_users is off as well).
        groups = (auth_model or {}).get("groups") or []
        if not groups:
            self.log.warning("LDAP user %r is in none of the mapped groups: refused", username)
        return bool(groups)

    async def refresh_user(self, user: Any, handler: Any = None) -> bool | dict[str, Any]:
        """Re-read the user's groups with the service account (no password needed).

        ``False`` logs the user out: no longer in the directory or in no mapped group.
        Without a service account the login's groups stay until the next login.
        """
        if self.refresh_search_user is None:
            return True
        try:
            groups = await asyncio.to_thread(self._directory_groups, user.name)
        except LDAPException as exc:
            # Directory unreachable: keep the session rather than logging everyone out; the
            # groups are checked again at the next refresh.
            self.log.error("LDAP refresh for %r failed, groups unchanged: %s", user.name, exc)
            return True
        if groups is None or not groups:
            self.log.warning("LDAP user %r lost all mapped groups: logged out", user.name)
            return False
        return {"name": user.name, "groups": groups, "admin": ADMIN_GROUP in groups}

    def _directory_groups(self, username: str) -> list[str] | None:
        conn = ldap3.Connection(
            ldap3.Server(
                self.server_address,
                port=self.server_port,
                use_ssl=self.tls_strategy.name == "on_connect",
                tls=ldap3.Tls(**self.tls_kwargs),
                connect_timeout=self.refresh_timeout,
            ),
            user=self.refresh_search_user,
            password=self.refresh_search_password,
            auto_bind=(
                ldap3.AUTO_BIND_TLS_BEFORE_BIND
                if self.tls_strategy.name == "before_bind"
                else ldap3.AUTO_BIND_NO_TLS
            ),
            receive_timeout=self.refresh_timeout,
        )
        try:
            conn.search(
                search_base=self.user_search_base,
                search_scope=ldap3.SUBTREE,
                search_filter=f"({self.user_attribute}={escape_filter_chars(username)})",
                attributes=[self.user_attribute],
            )
            if len(conn.entries) != 1:
                return None
            entry = conn.entries[0]
            userdn = entry.entry_dn
            uid = str(entry[self.user_attribute].value)
            found = []
            for group in self.group_mapping:
                if conn.search(
                    search_base=group,
                    search_scope=ldap3.BASE,
                    search_filter=self.group_search_filter.format(
                        userdn=escape_filter_chars(userdn), uid=escape_filter_chars(uid)
                    ),
                    attributes=["cn"],
                ):
                    found.append(group)
            return self.mapped_groups(found)
        finally:
            conn.unbind()


def configure_ldap(c: Config, settings: LdapSettings) -> None:
    """Configure the hub to log users in against the directory of ``settings``.

    Sets the authenticator class, the server, TLS, how the user's DN is found, the group
    mapping and ``manage_groups``; leaves everything else (spawner, services, roles on the
    workbench groups) to the caller. Reads the service account's password file now, so a
    missing file stops the hub at start with a German message.
    """
    auth = c.WorkbenchLDAPAuthenticator
    c.JupyterHub.authenticator_class = WorkbenchLDAPAuthenticator
    c.Authenticator.manage_groups = True
    # Nobody is let in by name or by an earlier login: only a mapped group admits.
    c.Authenticator.allow_all = False
    c.Authenticator.allow_existing_users = False
    c.Authenticator.auth_refresh_age = settings.refresh_seconds
    c.Authenticator.refresh_pre_spawn = settings.search_bind

    auth.server_address = settings.server
    auth.server_port = settings.effective_port
    auth.tls_strategy = _TLS_STRATEGY[settings.tls]
    tls_kwargs: dict[str, Any] = {}
    if settings.tls != "keine":
        import ssl

        tls_kwargs["validate"] = ssl.CERT_REQUIRED
        if settings.ca_certificate is not None:
            tls_kwargs["ca_certs_file"] = str(settings.ca_certificate)
    auth.tls_kwargs = tls_kwargs
    auth.valid_username_regex = LOGIN_NAME_REGEX

    if settings.search_bind:
        password = settings.service_password()
        auth.lookup_dn = True
        auth.lookup_dn_search_user = settings.service_dn
        auth.lookup_dn_search_password = password
        auth.user_search_base = settings.user_search_base
        auth.user_attribute = settings.user_attribute
        auth.lookup_dn_user_dn_attribute = settings.user_attribute
        # The hub name is the login name (lowercased by the hub), not the DN's attribute.
        auth.use_lookup_dn_username = False
        if settings.refresh_seconds > 0:
            auth.refresh_search_user = settings.service_dn
            auth.refresh_search_password = password
    if settings.bind_dn_template is not None:
        auth.bind_dn_template = [settings.bind_dn_template]
    if not settings.search_bind:
        auth.user_attribute = settings.user_attribute

    auth.allowed_groups = list(settings.groups)
    auth.group_search_filter = settings.group_filter
    auth.group_mapping = dict(settings.groups)


__all__ = [
    "FIXED_GROUPS",
    "LdapSettings",
    "LdapSettingsError",
    "WorkbenchLDAPAuthenticator",
    "check_workbench_group",
    "configure_ldap",
    "load_ldap_settings",
]
