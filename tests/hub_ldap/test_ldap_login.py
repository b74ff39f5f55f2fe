"""Login against a real slapd through a real JupyterHub + configurable-http-proxy.

Two deployments: Active-Directory style (service account looks the user up, LDAPS with the
Landratsamt's CA, groups refreshed every second) and OpenLDAP style (DN from a template,
STARTTLS on port 389). Logins go over HTTP like a browser's: login page, _xsrf, POST.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import (
    MAPPING,
    PEOPLE,
    ROOT_PASSWORD,
    SERVICE_PASSWORD,
    Hub,
    Slapd,
    ldap_toml,
    login,
    start_hub,
    stop_group,
    write_tls_files,
)

pytestmark = pytest.mark.slow


def expected_groups(uid: str) -> list[str]:
    return sorted(MAPPING[cn] for cn in PEOPLE[uid].directory_groups if cn in MAPPING)


@pytest.fixture(scope="module")
def ad_hub(slapd: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("hub-ad")
    # Rights hang on the workbench groups as hub roles (as `workbench hub` defines them);
    # the groups themselves come from the directory only.
    roles = """
c.JupyterHub.load_roles.append(
    {"name": "werkbank-leitung", "scopes": ["read:users:name"], "groups": ["leitung"]}
)
"""
    hub = start_hub(
        folder, ldap_toml(slapd, folder, mode="dienstkonto-ldaps", refresh=1), extra=roles
    )
    try:
        yield hub
    finally:
        stop_group(hub.process)


@pytest.fixture(scope="module")
def template_hub(slapd: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("hub-vorlage")
    hub = start_hub(folder, ldap_toml(slapd, folder, mode="vorlage-starttls"))
    try:
        yield hub
    finally:
        stop_group(hub.process)


def assert_logged_in(hub: Hub, response) -> None:
    assert response.status_code == 302, response.text[-2000:]
    assert response.headers["Location"].startswith("/hub/")
    assert "jupyterhub-hub-login" in response.cookies


def assert_refused(hub: Hub, session, response) -> None:
    assert response.status_code == 403, response.text[-2000:]
    assert "jupyterhub-hub-login" not in session.cookies
    # Still not logged in: the hub's pages send the visitor back to the login form.
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=10)
    assert home.status_code == 302 and "/hub/login" in home.headers["Location"]


@pytest.mark.parametrize("uid", ["lleitner", "sredakteur", "kbeauftragt", "wadmin"])
def test_directory_user_logs_in_with_mapped_hub_groups(ad_hub: Hub, uid: str) -> None:
    session, response = login(ad_hub, uid, PEOPLE[uid].password)
    assert_logged_in(ad_hub, response)
    home = session.get(f"{ad_hub.url}/hub/home", allow_redirects=False, timeout=10)
    assert home.status_code == 200
    model = ad_hub.api(f"/users/{uid}")
    assert sorted(model["groups"]) == expected_groups(uid)
    assert model["admin"] is (uid == "wadmin")
    # The hub's groups hold exactly the mapped members (manage_groups).
    group = ad_hub.api(f"/groups/{expected_groups(uid)[0]}")
    assert uid in group["users"]
    # The logged-in user's own view: name, groups and the rights of the group's role.
    me = session.get(f"{ad_hub.url}/hub/api/user", timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["name"] == uid and sorted(me.json()["groups"]) == expected_groups(uid)
    # leitung's role gives read:users:name; the hub admin has every scope anyway.
    assert ("read:users:name" in me.json()["scopes"]) is (uid in ("lleitner", "wadmin"))
    assert ("admin:users" in me.json()["scopes"]) is (uid == "wadmin")


def test_login_name_with_capitals_is_the_same_hub_user(ad_hub: Hub) -> None:
    # AD users type their sAMAccountName as they know it; the hub account is lowercase.
    _, response = login(ad_hub, "LLeitner", PEOPLE["lleitner"].password)
    assert_logged_in(ad_hub, response)
    names = {u["name"] for u in ad_hub.api("/users")}
    assert "lleitner" in names and "LLeitner" not in names


def test_wrong_password_is_refused(ad_hub: Hub) -> None:
    session, response = login(ad_hub, "sredakteur", PEOPLE["lleitner"].password)
    assert_refused(ad_hub, session, response)
    session, response = login(ad_hub, "sredakteur", "")
    assert_refused(ad_hub, session, response)


def test_unknown_user_and_filter_characters_are_refused(ad_hub: Hub) -> None:
    for name in ["niemand", "*", "sred*", "sredakteur)(uid=*"]:
        session, response = login(ad_hub, name, PEOPLE["sredakteur"].password)
        assert_refused(ad_hub, session, response)


def test_user_in_no_mapped_group_is_refused(ad_hub: Hub) -> None:
    # The directory accepts the password (bind works), but GG-Kantine maps to nothing.
    session, response = login(ad_hub, "kkantine", PEOPLE["kkantine"].password)
    assert_refused(ad_hub, session, response)
    assert "kkantine" not in {u["name"] for u in ad_hub.api("/users")}


def test_group_change_in_directory_reaches_the_hub_at_the_next_request(
    ad_hub: Hub, slapd: Slapd
) -> None:
    session, response = login(ad_hub, "sredakteur", PEOPLE["sredakteur"].password)
    assert_logged_in(ad_hub, response)
    assert ad_hub.api("/users/sredakteur")["groups"] == ["traeger-sachsenheim"]
    try:
        # Moved from Sachsenheim to Ludwigsburg in the directory.
        slapd.set_members("GG-Integration-Sachsenheim", [])
        slapd.set_members("GG-Integration-Ludwigsburg", ["sredakteur"])
        time.sleep(1.5)  # aktualisierung_sekunden = 1
        home = session.get(f"{ad_hub.url}/hub/home", allow_redirects=False, timeout=10)
        assert home.status_code == 200
        assert ad_hub.api("/users/sredakteur")["groups"] == ["traeger-ludwigsburg"]
        assert "sredakteur" not in ad_hub.api("/groups/traeger-sachsenheim")["users"]

        # Removed from every mapped group: the session ends, a new login is refused.
        slapd.set_members("GG-Integration-Ludwigsburg", [])
        time.sleep(1.5)
        home = session.get(f"{ad_hub.url}/hub/home", allow_redirects=False, timeout=10)
        assert home.status_code == 302 and "/hub/login" in home.headers["Location"]
        session, response = login(ad_hub, "sredakteur", PEOPLE["sredakteur"].password)
        assert_refused(ad_hub, session, response)
    finally:
        slapd.set_members("GG-Integration-Sachsenheim", ["sredakteur"])
        slapd.set_members("GG-Integration-Ludwigsburg", [])
    _, response = login(ad_hub, "sredakteur", PEOPLE["sredakteur"].password)
    assert_logged_in(ad_hub, response)
    assert ad_hub.api("/users/sredakteur")["groups"] == ["traeger-sachsenheim"]


def test_admin_flag_follows_the_directory_group(ad_hub: Hub, slapd: Slapd) -> None:
    _, response = login(ad_hub, "wadmin", PEOPLE["wadmin"].password)
    assert_logged_in(ad_hub, response)
    assert ad_hub.api("/users/wadmin")["admin"] is True
    try:
        slapd.set_members("GG-Werkbank-Admin", [])
        slapd.set_members("GG-Integration-Leitung", ["lleitner", "wadmin"])
        _, response = login(ad_hub, "wadmin", PEOPLE["wadmin"].password)
        assert_logged_in(ad_hub, response)
        model = ad_hub.api("/users/wadmin")
        assert model["admin"] is False and model["groups"] == ["leitung"]
    finally:
        slapd.set_members("GG-Werkbank-Admin", ["wadmin"])
        slapd.set_members("GG-Integration-Leitung", ["lleitner"])


def test_no_password_in_the_hub_log(ad_hub: Hub) -> None:
    # The hub logs at DEBUG level here; neither user nor service passwords may appear.
    text = ad_hub.log_text()
    assert "sredakteur" in text  # the log is the right one and has the logins
    for secret in [SERVICE_PASSWORD, ROOT_PASSWORD, *(p.password for p in PEOPLE.values())]:
        assert secret not in text


def test_bind_dn_template_deployment(template_hub: Hub) -> None:
    session, response = login(template_hub, "kbeauftragt", PEOPLE["kbeauftragt"].password)
    assert_logged_in(template_hub, response)
    groups = sorted(template_hub.api("/users/kbeauftragt")["groups"])
    assert groups == ["analyse", "kreis-integration"]
    session, response = login(template_hub, "kbeauftragt", "falsch")
    assert_refused(template_hub, session, response)
    session, response = login(template_hub, "kkantine", PEOPLE["kkantine"].password)
    assert_refused(template_hub, session, response)


def test_ldaps_with_a_certificate_of_another_ca_is_refused(
    slapd: Slapd, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The hub checks the directory's certificate: a server the configured CA did not sign
    # gets no passwords, and the user reads why (503, German), not "wrong password".
    folder = tmp_path_factory.mktemp("hub-fremde-ca")
    other_ca, _, _ = write_tls_files(folder)
    hub = start_hub(folder, ldap_toml(slapd, folder, mode="dienstkonto-ldaps", ca_file=other_ca))
    try:
        session, response = login(hub, "lleitner", PEOPLE["lleitner"].password)
        assert response.status_code == 503, response.text[-2000:]
        assert "Anmeldeverzeichnis" in response.text
        assert "jupyterhub-hub-login" not in session.cookies
        assert "certificate verify failed" in hub.log_text().lower()
    finally:
        stop_group(hub.process)


@pytest.mark.browser
def test_login_form_in_chromium(ad_hub: Hub) -> None:
    """A directory user logs in through the hub's form in headless Chromium."""
    from workbench.reports.pdf import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} fehlt: Browser-Tests brauchen Debians chromium (apt-get install)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{ad_hub.url}/hub/login?next=%2Fhub%2Fhome")
            page.fill("#username_input", "sredakteur")
            page.fill("#password_input", "falsch")
            page.click("#login_submit")
            page.wait_for_load_state()
            assert "/hub/login" in page.url
            # The hub's login error (its wording is the hub's template, not ours).
            assert page.locator(".login_error").is_visible()

            page.fill("#username_input", "SRedakteur")
            page.fill("#password_input", PEOPLE["sredakteur"].password)
            page.click("#login_submit")
            page.wait_for_url("**/hub/home")
            assert "sredakteur" in page.inner_text("body")
            assert ad_hub.api("/users/sredakteur")["groups"] == ["traeger-sachsenheim"]
        finally:
            browser.close()


def test_test_directory_refuses_plain_text_binds(slapd: Slapd) -> None:
    # The premise of the LDAPS/STARTTLS tests: a bind without TLS would be refused, so the
    # logins above prove the hub encrypts before sending a password.
    import ldap3
    from ldap3.core.exceptions import LDAPConfidentialityRequiredResult

    with pytest.raises(LDAPConfidentialityRequiredResult):
        ldap3.Connection(
            ldap3.Server("127.0.0.1", port=slapd.port),
            user="uid=lleitner,ou=Mitarbeitende,dc=lra-test,dc=de",
            password=PEOPLE["lleitner"].password,
            auto_bind=ldap3.AUTO_BIND_NO_TLS,
            raise_exceptions=True,
        )
