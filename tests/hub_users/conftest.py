"""Helpers for the users-file tests: real bcrypt hashes (computed once per session, cost 12
as in production) and users files written through the module's own writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.hub.users import HubUser, hash_password, render_users

# Login -> (password, groups, display name) of the test users.
PEOPLE: dict[str, tuple[str, tuple[str, ...], str]] = {
    "e.mueller": ("Sachsenheim-2026!", ("traeger-sachsenheim",), "Erika Müller"),
    "k.kreis": ("Kreis-Integration-7", ("analyse", "kreis-integration"), "Karl Kreis"),
    "w.admin": ("Admin-Werkbank-99", ("admin", "leitung"), "Wilma Admin"),
}


@pytest.fixture(scope="session")
def hashes() -> dict[str, str]:
    """One real bcrypt hash per test user (≈ 0.25 s each, so only once)."""
    return {login: hash_password(pw) for login, (pw, _, _) in PEOPLE.items()}


@pytest.fixture
def write_people(hashes: dict[str, str]) -> Callable[[Path], Path]:
    """Write a users file holding the test users (no hashing per test)."""

    def write(path: Path) -> Path:
        users = {
            login: HubUser(login, groups, name, hashes[login])
            for login, (_, groups, name) in PEOPLE.items()
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_users(users), encoding="utf-8")
        return path

    return write
