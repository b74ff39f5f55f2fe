"""The configuration ``workbench hub`` gives JupyterHub (no hub started here; the running
hub is tested in test_hub_access/test_hub_identity/test_hub_browser)."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from workbench.hub.config import (
    HubSettings,
    activate,
    config_file_path,
    configure,
)

LDAP_TOML = (
    '[ldap]\nserver = "127.0.0.1"\ntls = "keine"\n'
    'bind_dn_vorlage = "uid={username},ou=people,dc=lra,dc=test"\n'
    '[ldap.gruppen]\n"cn=leitung,ou=groups,dc=lra,dc=test" = "leitung"\n'
)


def settings(tmp_path: Path, **kwargs) -> HubSettings:
    return HubSettings(state_dir=tmp_path / "state", users_file=tmp_path / "users.toml",
                       **kwargs)


def configured(s: HubSettings) -> Config:
    c = Config()
    configure(c, s)
    return c


def test_loopback_by_default_and_public_only_with_tls_or_proxy(tmp_path):
    base = [p for p in settings(tmp_path).problems() if "configurable-http-proxy" not in p]
    assert base == []
    exposed = settings(tmp_path, ip="0.0.0.0").problems()
    assert any("--public" in p for p in exposed)
    public = settings(tmp_path, ip="0.0.0.0", public=True).problems()
    assert any("nur mit TLS" in p for p in public)
    half = settings(tmp_path, public=True, tls_cert=tmp_path / "c.pem").problems()
    assert any("Zertifikat und Schlüssel" in p for p in half)
    (tmp_path / "c.pem").write_text("x")
    (tmp_path / "k.pem").write_text("x")
    tls = settings(tmp_path, ip="0.0.0.0", public=True, tls_cert=tmp_path / "c.pem",
                   tls_key=tmp_path / "k.pem").problems()
    assert [p for p in tls if "configurable-http-proxy" not in p] == []
    proxy = settings(tmp_path, public=True, behind_proxy=True).problems()
    assert [p for p in proxy if "configurable-http-proxy" not in p] == []
    clash = settings(tmp_path, port=9000, hub_port=9000).problems()
    assert any("doppelt" in p for p in clash)


def test_cli_refuses_public_without_tls_in_german():
    from workbench.cli import main

    result = CliRunner().invoke(main, ["hub", "--public"])
    assert result.exit_code == 2
    assert "--public nur mit TLS" in result.output


def test_roles_give_rights_by_group_only(tmp_path):
    c = configured(settings(tmp_path))
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["read:users:name!user", "read:users:groups!user"]
    dash = roles["workbench-dashboards"]
    assert dash["scopes"] == ["access:services!service=dashboards"]
    assert {"leitung", "kreis-integration", "analyse", "admin",
            "traeger-sachsenheim", "traeger-ludwigsburg"} <= set(dash["groups"])
    assert roles["workbench-jupyterlab"]["groups"] == ["kreis-integration", "analyse"]
    assert "leitung" not in roles["workbench-jupyterlab"]["groups"]
    assert c.Authenticator.auth_refresh_strict is True


def test_dashboards_service_signs_and_lab_servers_do_not(tmp_path):
    s = settings(tmp_path, port=8100)
    c = configured(s)
    service = next(x for x in c.JupyterHub.services if x["name"] == "dashboards")
    assert "--WorkbenchVoila.hub=True" in service["command"]
    assert "--Voila.base_url=/services/dashboards/" in service["command"]
    assert "--Voila.ip=127.0.0.1" in service["command"]
    assert "--WorkbenchVoila.public_names=127.0.0.1:8100" in service["command"]
    env = service["environment"]
    key_file = s.state_dir / "identity_key"
    assert env["WORKBENCH_IDENTITY_KEY"] == key_file.read_text().strip()
    assert len(env["WORKBENCH_IDENTITY_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert env["WORKBENCH_REQUIRE_LOGIN"] == "1"
    lab = c.Spawner.environment
    assert "WORKBENCH_IDENTITY_KEY" not in lab and lab["WORKBENCH_REQUIRE_LOGIN"] == "1"
    # the key survives a restart (kernels of one deployment share it) …
    assert configured(s).JupyterHub.services[0]["environment"]["WORKBENCH_IDENTITY_KEY"] == \
        env["WORKBENCH_IDENTITY_KEY"]
    # … and the culler is a service
    assert any(x["name"] == "idle-culler" for x in c.JupyterHub.services)


def test_cookies_secure_only_with_tls_or_proxy(tmp_path):
    plain = configured(settings(tmp_path)).JupyterHub.tornado_settings["cookie_options"]
    assert plain == {"samesite": "Lax"}
    proxied = configured(settings(tmp_path, public=True, behind_proxy=True))
    assert proxied.JupyterHub.tornado_settings["cookie_options"]["secure"] is True


def test_users_file_or_ldap(tmp_path):
    c = configured(settings(tmp_path))
    assert c.JupyterHub.authenticator_class == "workbench.hub.users.WorkbenchFileAuthenticator"
    assert c.WorkbenchFileAuthenticator.users_file == str(tmp_path / "users.toml")
    toml = tmp_path / "hub.toml"
    toml.write_text(LDAP_TOML)
    ldap = configured(settings(tmp_path, config_file=toml))
    assert ldap.JupyterHub.authenticator_class.__name__ == "WorkbenchLDAPAuthenticator"


def test_shipped_config_file_applies_settings_and_the_sites_additions(tmp_path):
    extra = tmp_path / "oidc.py"
    extra.write_text('c.JupyterHub.authenticator_class = "generic-oauth"\n')
    activate(settings(tmp_path, port=8200, jupyterhub_config=extra))
    try:
        path = config_file_path()
        c = PyFileConfigLoader(path.name, str(path.parent)).load_config()
    finally:
        activate(HubSettings())
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8200/"
    assert c.JupyterHub.authenticator_class == "generic-oauth"
    assert c.JupyterHub.default_url == "/services/dashboards/"
