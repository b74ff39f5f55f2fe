"""WorkbenchFileAuthenticator called directly (a real instance, real bcrypt, real files)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from tornado import web

from workbench.hub.users import (
    USERS_FILE_ENV,
    WorkbenchFileAuthenticator,
    remove_groups,
    remove_user,
)

from .conftest import PEOPLE


@pytest.fixture
def auth(tmp_path: Path, write_people) -> WorkbenchFileAuthenticator:
    return WorkbenchFileAuthenticator(users_file=str(write_people(tmp_path / "users.toml")))


def login(auth: WorkbenchFileAuthenticator, username: str, password: str):
    return asyncio.run(auth.authenticate(None, {"username": username, "password": password}))


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(USERS_FILE_ENV, str(tmp_path / "aus-env.toml"))
    auth = WorkbenchFileAuthenticator()
    assert auth.users_file == str(tmp_path / "aus-env.toml")
    assert auth.manage_groups is True
    assert auth.allow_all is False
    assert auth.auth_refresh_age == 1
    assert auth.refresh_pre_spawn is True
    assert auth.auth_refresh_strict is True
    assert auth.any_allow_config is True  # no "nobody can log in" warning at hub start


@pytest.mark.parametrize("login_name", sorted(PEOPLE))
def test_right_password_gives_name_groups_and_admin(
    auth: WorkbenchFileAuthenticator, login_name: str
) -> None:
    password, groups, _ = PEOPLE[login_name]
    model = login(auth, login_name, password)
    assert model == {
        "name": login_name,
        "groups": list(groups),
        "admin": "admin" in groups,
    }


def test_login_name_as_typed_with_capitals(auth: WorkbenchFileAuthenticator) -> None:
    assert login(auth, " E.Mueller ", PEOPLE["e.mueller"][0])["name"] == "e.mueller"


def test_wrong_password_and_unknown_user_are_refused_and_logged_without_password(
    auth: WorkbenchFileAuthenticator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    auth.log = logging.getLogger("test-hub-auth")
    assert login(auth, "e.mueller", PEOPLE["k.kreis"][0]) is None
    assert login(auth, "e.mueller", "") is None
    assert login(auth, "e.mueller", "x" * 100) is None
    assert login(auth, "niemand", PEOPLE["e.mueller"][0]) is None
    assert "'e.mueller': wrong password" in caplog.text
    assert "'niemand': unknown user" in caplog.text
    for password, _, _ in PEOPLE.values():
        assert password not in caplog.text


def test_check_allowed_only_for_users_in_the_file(auth: WorkbenchFileAuthenticator) -> None:
    assert asyncio.run(auth.check_allowed("e.mueller", None)) is True
    assert asyncio.run(auth.check_allowed("niemand", {"name": "niemand"})) is False
    remove_user(auth.users_file, "e.mueller")
    assert asyncio.run(auth.check_allowed("e.mueller", None)) is False


def test_refresh_follows_the_file(auth: WorkbenchFileAuthenticator) -> None:
    user = SimpleNamespace(name="w.admin")
    assert asyncio.run(auth.refresh_user(user, None)) == {
        "name": "w.admin",
        "groups": ["admin", "leitung"],
        "admin": True,
    }
    # Leaving the admin group revokes hub admin at the next refresh.
    remove_groups(auth.users_file, "w.admin", ["admin"])
    assert asyncio.run(auth.refresh_user(user)) == {
        "name": "w.admin",
        "groups": ["leitung"],
        "admin": False,
    }
    remove_user(auth.users_file, "w.admin")
    assert asyncio.run(auth.refresh_user(user)) is False
    assert asyncio.run(auth.refresh_user(SimpleNamespace(name="niemand"))) is False


def test_a_broken_file_lets_nobody_in(
    auth: WorkbenchFileAuthenticator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    auth.log = logging.getLogger("test-hub-auth")
    path = Path(auth.users_file)
    path.write_text(path.read_text() + '\n[users."neu"]\npassword = "Klartext-Passwort"\n')
    with pytest.raises(web.HTTPError) as err:
        login(auth, "e.mueller", PEOPLE["e.mueller"][0])
    assert err.value.status_code == 503 and "Benutzerdatei" in err.value.log_message
    assert asyncio.run(auth.check_allowed("e.mueller")) is False
    assert asyncio.run(auth.refresh_user(SimpleNamespace(name="e.mueller"))) is False
    assert "Users file unusable" in caplog.text and "Klartext-Passwort" not in caplog.text


def test_missing_file_nobody_logs_in(tmp_path: Path) -> None:
    auth = WorkbenchFileAuthenticator(users_file=str(tmp_path / "fehlt.toml"))
    assert login(auth, "e.mueller", PEOPLE["e.mueller"][0]) is None
    assert asyncio.run(auth.check_allowed("e.mueller")) is False


def test_commands_start_without_importing_jupyterhub() -> None:
    # `workbench hub user …` only changes the file; JupyterHub's import costs ≈ 1.3 s.
    code = (
        "import sys, workbench.commands.hub_users\n"
        "assert 'jupyterhub' not in sys.modules, 'jupyterhub geladen'\n"
        "from workbench.hub.users import WorkbenchFileAuthenticator as A\n"
        "from jupyterhub.auth import Authenticator\n"
        "assert issubclass(A, Authenticator) and A.__qualname__ == 'WorkbenchFileAuthenticator'\n"
        "from traitlets.utils.importstring import import_item\n"
        "assert import_item('workbench.hub.users.WorkbenchFileAuthenticator') is A\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
