"""Login through a real JupyterHub (+ configurable-http-proxy) with WorkbenchFileAuthenticator.

Reuses the hub test helpers of ``tests/hub_ldap`` (free ports on 127.0.0.1, process groups,
login like a browser with _xsrf); the hub here needs no directory, only the users file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.hub_ldap.conftest import Hub, login, start_plain_hub, stop_group
from workbench.hub.users import add_groups, remove_groups, remove_user

from .conftest import PEOPLE

pytestmark = pytest.mark.slow


def start_file_hub(folder: Path, users_file: Path) -> Hub:
    """``jupyterhub`` with only the authenticator chosen (its defaults do the rest)."""
    login_config = (
        'c.JupyterHub.authenticator_class = "workbench.hub.users.WorkbenchFileAuthenticator"\n'
        f"c.WorkbenchFileAuthenticator.users_file = {str(users_file)!r}\n"
    )
    return start_plain_hub(folder, login_config,
                           scopes=("admin:users", "admin:groups", "tokens"))


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("benutzer") / "users.toml"


@pytest.fixture(scope="module")
def hub(users_file: Path, hashes: dict[str, str], tmp_path_factory) -> Iterator[Hub]:
    from workbench.hub.users import HubUser, render_users

    users = {
        name: HubUser(name, groups, display, hashes[name])
        for name, (_, groups, display) in PEOPLE.items()
    }
    users_file.write_text(render_users(users), encoding="utf-8")
    users_file.chmod(0o600)
    hub = start_file_hub(tmp_path_factory.mktemp("hub-datei"), users_file)
    try:
        yield hub
    finally:
        stop_group(hub.process)


def assert_logged_in(response: requests.Response) -> None:
    assert response.status_code == 302, response.text[-2000:]
    assert response.headers["Location"].startswith("/hub/")
    assert "jupyterhub-hub-login" in response.cookies


def assert_refused(hub: Hub, session: requests.Session, response: requests.Response) -> None:
    assert response.status_code == 403, response.text[-2000:]
    assert "jupyterhub-hub-login" not in session.cookies
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=10)
    assert home.status_code == 302 and "/hub/login" in home.headers["Location"]


def test_login_over_http_with_groups_from_the_file(hub: Hub) -> None:
    session, response = login(hub, "e.mueller", PEOPLE["k.kreis"][0])
    assert_refused(hub, session, response)
    session, response = login(hub, "niemand", PEOPLE["e.mueller"][0])
    assert_refused(hub, session, response)

    for name, (password, groups, _) in PEOPLE.items():
        session, response = login(hub, name.upper() if name == "k.kreis" else name, password)
        assert_logged_in(response)
        home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=10)
        assert home.status_code == 200
        model = hub.api(f"/users/{name}")
        assert sorted(model["groups"]) == list(groups)
        assert model["admin"] is ("admin" in groups)
        assert name in hub.api(f"/groups/{groups[0]}")["users"]
    assert "K.KREIS" not in {u["name"] for u in hub.api("/users")}


def user_token(hub: Hub, name: str) -> str:
    """An API token of ``name``, as JupyterLab and services hold one for the user."""
    response = requests.post(
        f"{hub.url}/hub/api/users/{name}/tokens",
        headers={"Authorization": f"token {hub.token}"},
        json={"note": "test"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


def as_token(hub: Hub, token: str) -> requests.Response:
    return requests.get(
        f"{hub.url}/hub/api/user", headers={"Authorization": f"token {token}"}, timeout=10
    )


def test_file_changes_reach_the_hub_at_the_next_request(hub: Hub, users_file: Path) -> None:
    session, response = login(hub, "w.admin", PEOPLE["w.admin"][0])
    assert_logged_in(response)
    assert hub.api("/users/w.admin")["admin"] is True
    token = user_token(hub, "w.admin")
    assert sorted(as_token(hub, token).json()["groups"]) == ["admin", "leitung"]

    remove_groups(users_file, "w.admin", ["admin"])
    add_groups(users_file, "w.admin", ["traeger-ludwigsburg"])
    time.sleep(1.5)  # auth_refresh_age = 1
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=10)
    assert home.status_code == 200
    model = hub.api("/users/w.admin")
    assert sorted(model["groups"]) == ["leitung", "traeger-ludwigsburg"]
    assert model["admin"] is False
    assert "w.admin" not in hub.api("/groups/admin")["users"]
    time.sleep(1.5)
    # A request with the user's token sees the file's groups too (refreshed on API calls).
    add_groups(users_file, "w.admin", ["analyse"])
    time.sleep(1.5)
    me = as_token(hub, token)
    assert me.status_code == 200, me.text
    assert sorted(me.json()["groups"]) == ["analyse", "leitung", "traeger-ludwigsburg"]

    # Removed from the file: the running session ends, a new login is refused.
    remove_user(users_file, "w.admin")
    time.sleep(1.5)
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=10)
    assert home.status_code == 302 and "/hub/login" in home.headers["Location"]
    session, response = login(hub, "w.admin", PEOPLE["w.admin"][0])
    assert_refused(hub, session, response)
    # Their API tokens (JupyterLab, services) stop working as well (auth_refresh_strict).
    time.sleep(1.5)
    assert as_token(hub, token).status_code == 403


def test_no_password_in_the_hub_log(hub: Hub) -> None:
    text = hub.log_text()
    assert "e.mueller" in text  # the right log, with the logins
    for password, _, _ in PEOPLE.values():
        assert password not in text
    assert "$2b$" not in text
