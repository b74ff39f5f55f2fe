"""The JupyterHub configuration of ``workbench hub``, built from :class:`HubSettings`.

What it sets up (see docs/hub.md):

* JupyterHub with ``configurable-http-proxy`` from the project's ``node_modules``, state in
  ``var/hub/`` (hub database, cookie secret, identity key, users file, JupyterLab homes);
* login: the users file with bcrypt hashes (:mod:`workbench.hub.users`), or LDAP/Active
  Directory when the config file has an ``[ldap]`` section (:mod:`workbench.hub_ldap`);
* roles on the workbench groups (:mod:`workbench.access`): every workbench group may open the
  dashboards service; ``kreis-integration`` and ``analyse`` get their own JupyterLab; members
  of ``admin`` are hub admins (set by the authenticators);
* the dashboards (:class:`workbench.dashboards.app.WorkbenchVoila` with ``hub=True``) as a
  hub-managed service at ``/services/dashboards/``, authenticated per request through the hub;
* ``jupyterhub-idle-culler`` stopping idle JupyterLab servers.

Bound to 127.0.0.1 unless ``public``; public only with TLS (certificate and key) or behind
a reverse proxy on the same machine (:meth:`HubSettings.problems`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import paths
from workbench.access import (
    FIXED_GROUPS,
    JUPYTERLAB_GROUPS,
    traeger_group,
)
from workbench.settings import (
    IDENTITY_KEY_ENV,
    PRINCIPAL_GROUPS_ENV,
    PRINCIPAL_LOGIN_ENV,
    REQUIRE_LOGIN_ENV,
)

SERVICE_NAME = "dashboards"
SERVICE_PREFIX = f"/services/{SERVICE_NAME}/"
IDENTITY_KEY_FILE = "identity_key"


def default_state_dir() -> Path:
    """``var/hub`` of the checkout: hub database, secrets, users file, JupyterLab homes."""
    return paths.var_dir() / "hub"


def proxy_command() -> Path:
    """``configurable-http-proxy`` installed by ``scripts/setup.sh`` (npm, pinned)."""
    return paths.PROJECT_DIR / "node_modules" / ".bin" / "configurable-http-proxy"


def _is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


@dataclass
class HubSettings:
    """Everything ``workbench hub`` can be told (command-line options of the same names)."""

    ip: str = "127.0.0.1"
    port: int = 8000
    state_dir: Path = field(default_factory=default_state_dir)
    public: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    behind_proxy: bool = False
    # host names under which users reach the hub (reverse proxy, intranet name)
    public_names: tuple[str, ...] = ()
    # TOML file with an [ldap] section: LDAP/AD login instead of the users file
    config_file: Path | None = None
    # a jupyterhub_config.py applied after ours (another authenticator, e.g. OIDC)
    jupyterhub_config: Path | None = None
    users_file: Path | None = None
    idle_timeout: int = 3600
    dashboards_pool_size: int | None = None
    # directory of the dashboards' voila.json (pools, kernel caps, culling); default dashboards/
    dashboards_config: Path | None = None
    # internal ports (loopback only); default: port + 1, + 2, + 3
    hub_port: int | None = None
    proxy_api_port: int | None = None
    dashboards_port: int | None = None

    def internal_ports(self) -> tuple[int, int, int]:
        return (self.hub_port or self.port + 1, self.proxy_api_port or self.port + 2,
                self.dashboards_port or self.port + 3)

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None

    def ldap_section(self) -> bool:
        if self.config_file is None:
            return False
        import tomllib

        with open(self.config_file, "rb") as fh:
            return "ldap" in tomllib.load(fh)

    def problems(self) -> list[str]:
        """German reasons not to start (empty: fine)."""
        out = []
        if not self.public and not _is_loopback(self.ip):
            out.append(f"Adresse {self.ip} ist von außen erreichbar: dafür --public angeben "
                       "(nur mit TLS oder hinter einem Reverse-Proxy).")
        if self.public and not (self.tls or self.behind_proxy):
            out.append("--public nur mit TLS (--tls-cert und --tls-key) oder hinter einem "
                       "Reverse-Proxy, der TLS macht (--behind-proxy); siehe docs/hub.md.")
        if (self.tls_cert is None) != (self.tls_key is None):
            out.append("TLS braucht Zertifikat und Schlüssel (--tls-cert und --tls-key).")
        for label, path in (("Zertifikat", self.tls_cert), ("Schlüssel", self.tls_key),
                            ("Konfigurationsdatei", self.config_file),
                            ("JupyterHub-Konfiguration", self.jupyterhub_config),
                            ("Dashboard-Konfiguration", None if self.dashboards_config is None
                             else Path(self.dashboards_config) / "voila.json")):
            if path is not None and not Path(path).is_file():
                out.append(f"{label} {path} nicht gefunden.")
        if not proxy_command().exists():
            out.append(f"configurable-http-proxy fehlt ({proxy_command()}): bitte "
                       "bash scripts/setup.sh ausführen (installiert es mit npm).")
        ports = [self.port, *self.internal_ports()]
        if len(set(ports)) != len(ports):
            out.append(f"Ports doppelt vergeben: {ports}")
        return out


_ACTIVE: HubSettings | None = None


def activate(settings: HubSettings) -> None:
    """Make ``settings`` the ones the shipped ``jupyterhub_config.py`` applies (same process:
    ``workbench hub`` starts JupyterHub in-process)."""
    global _ACTIVE
    _ACTIVE = settings


def active_settings() -> HubSettings:
    return _ACTIVE or HubSettings()


def config_file_path() -> Path:
    """The ``jupyterhub_config.py`` shipped with the package."""
    return Path(__file__).resolve().parent / "jupyterhub_config.py"


def _secret_file(path: Path) -> str:
    """Read a secret, creating it (0600) on first use."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def workbench_environment(state_dir: Path) -> dict[str, str]:
    """What the dashboards service and JupyterLab servers get: the hub's ``WORKBENCH_*``
    settings (store, data, output), the package on ``PYTHONPATH``, login required."""
    env = {k: v for k, v in os.environ.items() if k.startswith("WORKBENCH_")}
    env.pop(IDENTITY_KEY_ENV, None)  # only the dashboards service signs
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    env[REQUIRE_LOGIN_ENV] = "1"
    return env


def reader_groups() -> list[str]:
    """Groups that may open the dashboards and reports: the fixed ones and one Redaktion
    group per Träger with a catalogue (a new Träger needs a hub restart)."""
    from workbench import catalogue

    return [*FIXED_GROUPS, *(traeger_group(t) for t in catalogue.list_traeger())]


def configure(c: Any, settings: HubSettings) -> None:
    """Fill the JupyterHub config object ``c`` from ``settings``."""
    state = Path(settings.state_dir)
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    hub_port, proxy_api_port, dashboards_port = settings.internal_ports()
    scheme = "https" if settings.tls else "http"

    c.JupyterHub.bind_url = f"{scheme}://{settings.ip}:{settings.port}/"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [str(proxy_command())]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    if settings.tls:
        c.JupyterHub.ssl_cert = str(settings.tls_cert)
        c.JupyterHub.ssl_key = str(settings.tls_key)
    # Session cookies: HttpOnly is JupyterHub's default; SameSite=Lax keeps them off
    # cross-site requests; Secure when the hub is reached over TLS.
    cookie_options: dict[str, Any] = {"samesite": "Lax"}
    if settings.tls or settings.behind_proxy:
        cookie_options["secure"] = True
    c.JupyterHub.tornado_settings = {"cookie_options": cookie_options}
    c.JupyterHub.cookie_max_age_days = 1
    c.JupyterHub.default_url = SERVICE_PREFIX
    # German login page (templates/login.html extends JupyterHub's own)
    c.JupyterHub.template_paths = [str(Path(__file__).resolve().parent / "templates")]
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True

    # -- login
    if settings.ldap_section():
        from workbench.hub_ldap import configure_ldap, load_ldap_settings

        configure_ldap(c, load_ldap_settings(Path(settings.config_file)))  # type: ignore[arg-type]
    else:
        from workbench.hub.users import default_users_file

        c.JupyterHub.authenticator_class = "workbench.hub.users.WorkbenchFileAuthenticator"
        c.WorkbenchFileAuthenticator.users_file = str(settings.users_file
                                                      or default_users_file())

    # A user the authenticator no longer knows (removed from the users file or the
    # directory) loses access also on token requests – the dashboards ask the hub with the
    # user's OAuth token – not only at their next hub page.
    c.Authenticator.auth_refresh_strict = True

    # -- dashboards service
    identity_key = _secret_file(state / IDENTITY_KEY_FILE)
    service_env = workbench_environment(state)
    service_env[IDENTITY_KEY_ENV] = identity_key
    service_env["JUPYTERHUB_COOKIE_OPTIONS"] = json.dumps(cookie_options)
    dashboards = paths.dashboards_dir()
    names = [f"{host}:{settings.port}" for host in ("127.0.0.1", "localhost", "[::1]")]
    names += list(settings.public_names)
    command = [
        sys.executable, "-m", "workbench.dashboards.app", str(dashboards),
        f"--Voila.config_file_paths={settings.dashboards_config or dashboards}",
        "--WorkbenchVoila.hub=True",
        f"--Voila.base_url={SERVICE_PREFIX}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={dashboards_port}",
        "--Voila.port_retries=0",
        "--no-browser",
        *(f"--WorkbenchVoila.public_names={n}" for n in names),
    ]
    if settings.dashboards_pool_size is not None:
        command += [f"--VoilaConfiguration.default_pool_size={settings.dashboards_pool_size}",
                    f"--VoilaConfiguration.preheat_kernel={settings.dashboards_pool_size > 0}"]
    c.JupyterHub.services = [
        {
            "name": SERVICE_NAME,
            "display": True,
            "url": f"http://127.0.0.1:{dashboards_port}",
            "command": command,
            "environment": service_env,
            "oauth_no_confirm": True,
            # the user model the service reads must carry the groups (the rights)
            "oauth_client_allowed_scopes": ["read:users:groups!user"],
        },
        {
            "name": "idle-culler",
            # checks every minute (more often for short timeouts, so none is overrun by much)
            "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                        f"--timeout={settings.idle_timeout}",
                        f"--cull-every={max(5, min(60, settings.idle_timeout // 2))}"],
        },
    ]

    # -- roles: rights come from the workbench groups, nothing from being a hub user
    c.JupyterHub.load_roles = [
        {"name": "user", "description": "Jede angemeldete Person: nur sich selbst sehen",
         "scopes": ["read:users:name!user", "read:users:groups!user"]},
        {"name": "workbench-dashboards",
         "description": "Dashboards und Berichte öffnen (Lesen; Schreibrechte prüft der "
                        "Messwertspeicher nach den Gruppen)",
         "scopes": [f"access:services!service={SERVICE_NAME}"],
         "groups": reader_groups()},
        {"name": "workbench-jupyterlab",
         "description": "Eigener JupyterLab-Server",
         "scopes": ["self"],
         "groups": list(JUPYTERLAB_GROUPS)},
        {"name": "idle-culler",
         "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
         "services": ["idle-culler"]},
    ]

    # -- JupyterLab servers (same OS user as the hub, one home per person)
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")
    c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    c.Spawner.args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    lab_env: dict[str, Any] = workbench_environment(state)
    lab_env[PRINCIPAL_LOGIN_ENV] = lambda spawner: spawner.user.name
    lab_env[PRINCIPAL_GROUPS_ENV] = lambda spawner: ",".join(
        sorted(g.name for g in spawner.user.groups))
    c.Spawner.environment = lab_env
