"""Changing the users file: each change, password rules, 0600/0700, the lock, atomic writes."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workbench.exceptions import UsersFileError
from workbench.hub.users import (
    HubUser,
    add_groups,
    add_user,
    load_users,
    lock_file,
    remove_groups,
    remove_user,
    set_groups,
    set_password,
    verify_password,
)

from .conftest import PEOPLE


def test_add_change_and_remove(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    add_user(path, "e.mueller", "Erstes-Passwort-1", ["traeger-sachsenheim"], "Erika Müller")
    add_user(path, "k.kreis", "Zweites-Passwort-2", ["kreis-integration", "analyse"])
    users = load_users(path)
    assert users["k.kreis"].groups == ("analyse", "kreis-integration")
    assert verify_password(users, "e.mueller", "Erstes-Passwort-1") == users["e.mueller"]
    assert verify_password(users, "e.mueller", "Zweites-Passwort-2") is None
    assert verify_password(users, "niemand", "Erstes-Passwort-1") is None

    with pytest.raises(UsersFileError, match="den Benutzer „e.mueller“ gibt es schon"):
        add_user(path, "e.mueller", "Drittes-Passwort-3", ["leitung"])

    kreis_hash = users["k.kreis"].password_hash
    set_password(path, "e.mueller", "Neues-Passwort-42")
    users = load_users(path)
    assert verify_password(users, "e.mueller", "Erstes-Passwort-1") is None
    assert verify_password(users, "e.mueller", "Neues-Passwort-42") is not None
    assert users["k.kreis"].password_hash == kreis_hash

    assert set_groups(path, "e.mueller", ["leitung", "leitung"]).groups == ("leitung",)
    assert add_groups(path, "e.mueller", ["admin"]).groups == ("admin", "leitung")
    assert remove_groups(path, "e.mueller", ["leitung"]).groups == ("admin",)
    with pytest.raises(UsersFileError, match="nicht in der Gruppe „analyse“, nichts geändert"):
        remove_groups(path, "e.mueller", ["analyse"])
    with pytest.raises(UsersFileError, match="mindestens eine Gruppe.*user remove"):
        remove_groups(path, "e.mueller", ["admin"])
    with pytest.raises(UsersFileError, match="„chef“ ist keine Werkbank-Gruppe"):
        add_groups(path, "e.mueller", ["chef"])
    assert load_users(path)["e.mueller"].groups == ("admin",)

    remove_user(path, "e.mueller")
    assert sorted(load_users(path)) == ["k.kreis"]
    with pytest.raises(UsersFileError, match=f"„{path}“: einen Benutzer „e.mueller“ gibt es "):
        remove_user(path, "e.mueller")
    with pytest.raises(UsersFileError, match="einen Benutzer „x“ gibt es nicht"):
        set_password(path, "x", "Irgendein-Passwort")


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("elf-Zeichen", "zu kurz (11 Zeichen): mindestens 12"),
        ("ä" * 37, "zu lang (74 Bytes in UTF-8): bcrypt wertet nur die ersten 72 Bytes aus"),
        ("x" * 73, "zu lang (73 Bytes"),
        ("mit\nZeilenumbruch", "Zeilenumbruch"),
    ],
)
def test_password_rules(tmp_path: Path, password: str, expected: str) -> None:
    path = tmp_path / "users.toml"
    with pytest.raises(UsersFileError) as err:
        add_user(path, "e.mueller", password, ["leitung"])
    assert expected in str(err.value) and "e.mueller" in str(err.value)
    assert password not in str(err.value)
    assert not path.exists()


def test_password_limits_are_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    add_user(path, "zwoelf", "genau-12-Zei", ["leitung"])
    add_user(path, "lang", "ü" * 36, ["leitung"])  # 72 bytes: the most bcrypt reads
    users = load_users(path)
    assert verify_password(users, "zwoelf", "genau-12-Zei") is not None
    assert verify_password(users, "lang", "ü" * 36) is not None
    assert verify_password(users, "lang", "ü" * 36 + "x") is None


@pytest.mark.parametrize("login", ["E.Mueller", "", "-a", "a/b", "ä", "a" * 65, "a b"])
def test_login_names_refused(tmp_path: Path, login: str) -> None:
    with pytest.raises(UsersFileError, match="Anmeldename .* ist nicht erlaubt"):
        add_user(tmp_path / "users.toml", login, "Ein-langes-Passwort", ["leitung"])


def test_file_0600_folder_0700(tmp_path: Path, write_people) -> None:
    path = tmp_path / "neu" / "hub" / "users.toml"
    old_umask = os.umask(0o000)  # even with the most permissive umask
    try:
        add_user(path, "e.mueller", "Ein-langes-Passwort", ["leitung"])
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert lock_file(path) == path.with_name("users.toml.lock")
    assert lock_file(path).stat().st_mode & 0o777 == 0o600

    # A file someone made readable for everybody is 0600 again after the next change.
    other = write_people(tmp_path / "alt" / "users.toml")
    other.chmod(0o644)
    add_groups(other, "e.mueller", ["leitung"])
    assert other.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="nur root kann den Besitzer ändern")
def test_root_keeps_the_hub_accounts_ownership(tmp_path: Path, write_people) -> None:
    path = write_people(tmp_path / "users.toml")
    os.chown(path, 4321, 4322)  # the hub's service account
    add_groups(path, "e.mueller", ["leitung"])
    st = path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (4321, 4322, 0o600)
    lock = lock_file(path).stat()
    assert (lock.st_uid, lock.st_gid) == (4321, 4322)


def _toggle_groups(path: str, login: str, rounds: int) -> None:
    for i in range(rounds):
        add_groups(path, login, [f"traeger-{login.replace('.', '-')}-{i}"])


def _add_users(path: str, prefix: str, barrier) -> None:  # noqa: ANN001 (a multiprocessing proxy)
    barrier.wait()
    for i in range(3):
        add_user(path, f"{prefix}{i}", f"Passwort-von-{prefix}{i}", ["leitung"])


def test_two_admins_at_once_lose_nothing(tmp_path: Path, write_people) -> None:
    path = write_people(tmp_path / "users.toml")
    rounds = 60
    # Two processes change two users as fast as they can: without the lock, one process's
    # read-change-write regularly overwrites the other's change.
    ctx = multiprocessing.get_context("fork")
    workers = [
        ctx.Process(target=_toggle_groups, args=(str(path), login, rounds))
        for login in ("e.mueller", "k.kreis")
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    users = load_users(path)
    for login in ("e.mueller", "k.kreis"):
        prefix = f"traeger-{login.replace('.', '-')}-"
        added = {g for g in users[login].groups if g.startswith(prefix)}
        assert len(added) == rounds, f"{login}: {rounds - len(added)} Änderungen verloren"
    assert users["w.admin"].groups == PEOPLE["w.admin"][1]


def test_two_admins_adding_users_at_once_both_survive(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    workers = [
        ctx.Process(target=_add_users, args=(str(path), prefix, barrier)) for prefix in "ab"
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    assert sorted(load_users(path)) == ["a0", "a1", "a2", "b0", "b1", "b2"]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, write_people) -> None:
    path = write_people(tmp_path / "users.toml")
    before = path.read_bytes()
    # A real write failure (no mocks): the child may write files of at most half the size
    # (RLIMIT_FSIZE), so writing the new file fails in the middle – like a full disk.
    script = textwrap.dedent(
        f"""
        import resource, signal
        from workbench.hub.users import add_groups
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) // 2}, {len(before) // 2}))
        try:
            add_groups({str(path)!r}, "e.mueller", ["leitung"])
        except OSError as exc:
            print("OSError", exc.errno)
        else:
            print("geschrieben")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "OSError 27", result.stdout + result.stderr  # EFBIG
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.toml", "users.toml.lock"]
    # And the file still works for the next change.
    add_groups(path, "e.mueller", ["leitung"])
    assert load_users(path)["e.mueller"].groups == ("leitung", "traeger-sachsenheim")


def test_unknown_login_costs_about_as_long_as_a_wrong_password(hashes: dict[str, str]) -> None:
    users = {"e.mueller": HubUser("e.mueller", ("leitung",), "", hashes["e.mueller"])}

    def duration(login: str) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            assert verify_password(users, login, "falsches-Passwort") is None
            runs.append(time.perf_counter() - start)
        return sorted(runs)[1]

    # Without the dummy check an unknown name would answer in microseconds.
    assert duration("niemand") > 0.5 * duration("e.mueller")
