"""The ``[ldap]`` section: a Landratsamt's settings read as meant, mistakes get German errors."""

from __future__ import annotations

import ssl
import tomllib
from pathlib import Path

import pytest
from traitlets.config import Config

from workbench.hub_ldap import (
    LdapSettings,
    LdapSettingsError,
    WorkbenchLDAPAuthenticator,
    configure_ldap,
    load_ldap_settings,
)

AD_EXAMPLE = """
[ldap]
server = "dc01.lra.local"
tls = "ldaps"
ca_zertifikat = "ca-lra.pem"
dienstkonto_dn = "CN=svc-jupyterhub,OU=Dienstkonten,DC=lra,DC=local"
dienstkonto_passwort_datei = "dienstkonto.passwort"
benutzer_suchbasis = "OU=Mitarbeitende,DC=lra,DC=local"
benutzer_attribut = "sAMAccountName"
gruppen_suchbasis = "OU=Gruppen,DC=lra,DC=local"
gruppen_filter = "(member:1.2.840.113556.1.4.1941:={userdn})"

[ldap.gruppen]
"CN=GG-Integration-Leitung" = "leitung"
"CN=GG-Integration-Sachsenheim" = "traeger-sachsenheim"
"CN=GG-Kreis-Integration,OU=Fachbereiche,DC=lra,DC=local" = "kreis-integration"
"CN=GG-Integration-Analyse" = "analyse"
"CN=GG-Werkbank-Admin" = "admin"
"""


def section(text: str = AD_EXAMPLE) -> dict:
    return tomllib.loads(text)["ldap"]


def test_active_directory_example_is_read_as_meant(tmp_path: Path) -> None:
    settings = LdapSettings.from_toml(section(), base_dir=tmp_path)
    assert settings.effective_port == 636
    assert settings.search_bind
    assert settings.ca_certificate == tmp_path / "ca-lra.pem"
    assert settings.service_password_file == tmp_path / "dienstkonto.passwort"
    assert settings.groups == {
        "CN=GG-Integration-Leitung,OU=Gruppen,DC=lra,DC=local": "leitung",
        "CN=GG-Integration-Sachsenheim,OU=Gruppen,DC=lra,DC=local": "traeger-sachsenheim",
        "CN=GG-Kreis-Integration,OU=Fachbereiche,DC=lra,DC=local": "kreis-integration",
        "CN=GG-Integration-Analyse,OU=Gruppen,DC=lra,DC=local": "analyse",
        "CN=GG-Werkbank-Admin,OU=Gruppen,DC=lra,DC=local": "admin",
    }


def test_configure_ldap_sets_the_authenticator(tmp_path: Path) -> None:
    (tmp_path / "dienstkonto.passwort").write_text("geheim\n")
    settings = LdapSettings.from_toml(section(), base_dir=tmp_path)
    c = Config()
    configure_ldap(c, settings)
    assert c.JupyterHub.authenticator_class is WorkbenchLDAPAuthenticator
    assert c.Authenticator.manage_groups is True
    assert c.Authenticator.allow_all is False and c.Authenticator.allow_existing_users is False
    auth = WorkbenchLDAPAuthenticator(config=c)
    assert auth.server_port == 636 and auth.tls_strategy.name == "on_connect"
    assert auth.tls_kwargs == {
        "validate": ssl.CERT_REQUIRED,
        "ca_certs_file": str(tmp_path / "ca-lra.pem"),
    }
    assert auth.lookup_dn and auth.lookup_dn_search_password == "geheim"
    assert auth.user_attribute == "sAMAccountName"
    assert set(auth.allowed_groups) == set(settings.groups)
    assert auth.group_search_filter == "(member:1.2.840.113556.1.4.1941:={userdn})"
    # Directory DNs compare case-insensitively (AD returns them as it likes).
    assert auth.mapped_groups(
        ["cn=gg-integration-sachsenheim, ou=gruppen, dc=lra, dc=local", "CN=Fremd,DC=x"]
    ) == ["traeger-sachsenheim"]


def test_missing_password_file_stops_the_hub_with_a_german_message(tmp_path: Path) -> None:
    settings = LdapSettings.from_toml(section(), base_dir=tmp_path)
    with pytest.raises(LdapSettingsError, match="dienstkonto_passwort_datei .* nicht lesbar"):
        configure_ldap(Config(), settings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('tls = "ldaps"', 'tls = "ssl"'), "tls „ssl“: erlaubt sind"),
        (('tls = "ldaps"', 'tls = "keine"'), "nur für einen Server auf diesem Rechner"),
        (('server = "dc01.lra.local"', 'server = "ldaps://dc01"'), "ohne Schema und Port"),
        (('tls = "ldaps"', "port = 70000"), "port „70000“"),
        (('= "leitung"', '= "Leitung"'), "„Leitung“ .* ist keine Werkbank-Gruppe"),
        (('= "traeger-sachsenheim"', '= "traeger-../x"'), "keine Werkbank-Gruppe"),
        (('"CN=GG-Integration-Analyse" = "analyse"', '"CN=gg-integration-leitung" = "analyse"'),
         "steht doppelt"),
        (('gruppen_suchbasis = "OU=Gruppen,DC=lra,DC=local"', ""), "kein vollständiger DN"),
        (('benutzer_suchbasis = "OU=Mitarbeitende,DC=lra,DC=local"', ""),
         "Mit dienstkonto_dn fehlt auch: benutzer_suchbasis"),
        (('gruppen_filter = "(member:1.2.840.113556.1.4.1941:={userdn})"',
          'gruppen_filter = "(member=x)"'), "muss {userdn} oder {uid} enthalten"),
        (('tls = "ldaps"', 'tls = "ldaps"\npasswort = "x"'), "unbekannte Einstellung.*passwort"),
    ],
)
def test_wrong_values_get_german_errors(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in AD_EXAMPLE
    with pytest.raises(LdapSettingsError, match=message):
        LdapSettings.from_toml(section(AD_EXAMPLE.replace(old, new)))


def test_no_way_to_find_the_user_dn_is_an_error() -> None:
    text = "\n".join(
        line for line in AD_EXAMPLE.splitlines()
        if not line.startswith(("dienstkonto", "benutzer_suchbasis"))
    )
    with pytest.raises(LdapSettingsError, match="bind_dn_vorlage .* oder ein Dienstkonto"):
        LdapSettings.from_toml(section(text))


def test_empty_mapping_is_an_error() -> None:
    text = AD_EXAMPLE.split("[ldap.gruppen]")[0]
    with pytest.raises(LdapSettingsError, match="ldap.gruppen\\] fehlt oder ist leer"):
        LdapSettings.from_toml(section(text))


def test_plain_ldap_is_allowed_on_loopback_only() -> None:
    text = (
        '[ldap]\nserver = "127.0.0.1"\ntls = "keine"\n'
        'bind_dn_vorlage = "uid={username},ou=people,dc=lra,dc=test"\n'
        '[ldap.gruppen]\n"cn=leitung,ou=groups,dc=lra,dc=test" = "leitung"\n'
    )
    settings = LdapSettings.from_toml(section(text))
    assert settings.effective_port == 389 and not settings.search_bind


def test_load_ldap_settings_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nauthenticator = "ldap"\n')
    with pytest.raises(LdapSettingsError, match="keinen Abschnitt \\[ldap\\]"):
        load_ldap_settings(config)
    config.write_text("[ldap\n")
    with pytest.raises(LdapSettingsError, match="kein gültiges TOML"):
        load_ldap_settings(config)
    config.write_text(AD_EXAMPLE)
    assert load_ldap_settings(config).ca_certificate == tmp_path / "ca-lra.pem"


def test_missing_slapd_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    from . import conftest

    monkeypatch.setattr(conftest, "SLAPD", "/nicht/vorhanden/slapd")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="slapd"):
        conftest.require_slapd()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install slapd"):
        conftest.require_slapd()
