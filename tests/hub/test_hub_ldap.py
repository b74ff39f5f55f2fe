"""``workbench hub --config hub.toml`` with an ``[ldap]`` section, against a real slapd:
a directory user logs in with the password of the directory, their directory groups become
workbench rights in the dashboards, a wrong password is refused (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..hub_ldap.conftest import PEOPLE, Slapd, ldap_toml, slapd  # noqa: F401 - fixture
from .conftest import SERVICE, RunningHub, launch, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ldap_hub(slapd: Slapd, tmp_path_factory) -> Iterator[RunningHub]:  # noqa: F811
    folder = tmp_path_factory.mktemp("hub-ldap-workbench")
    (folder / "hub.toml").write_text(ldap_toml(slapd, folder, mode="dienstkonto-ldaps",
                                               refresh=1))
    leiter = PEOPLE["lleitner"]
    running = launch(folder, ["--config", str(folder / "hub.toml")], leiter.uid,
                     leiter.password)
    try:
        yield running
    finally:
        stop(running)
    assert running.left_after_stop == []  # type: ignore[attr-defined]


def test_directory_editor_gets_the_rights_of_their_directory_group(ldap_hub: RunningHub):
    person = PEOPLE["sredakteur"]
    session = ldap_hub.login(person.uid, person.password)
    page = session.get(f"{ldap_hub.url}{SERVICE}", timeout=30).text
    assert f'data-testid="login">{person.uid}<' in page
    assert "für: sachsenheim" in page and "Messwerte erfassen" in page


def test_directory_manager_reads_only(ldap_hub: RunningHub):
    person = PEOPLE["lleitner"]
    session = ldap_hub.login(person.uid, person.password)
    page = session.get(f"{ldap_hub.url}{SERVICE}", timeout=30).text
    assert "nichts ändern" in page and "Messwerte erfassen" not in page


def test_wrong_directory_password_is_refused(ldap_hub: RunningHub):
    session = ldap_hub.login("sredakteur", "falsch-falsch")
    assert "jupyterhub-hub-login" not in session.cookies
    after = session.get(f"{ldap_hub.url}{SERVICE}", timeout=30)
    assert "Angemeldet als" not in after.text and 'name="password"' in after.text
