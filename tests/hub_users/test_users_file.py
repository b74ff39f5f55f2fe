"""Reading and writing the users file: round trips, TOML escaping, bounds, German errors."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from workbench.exceptions import UsersFileError
from workbench.hub.users import (
    MAX_USERS,
    USERS_FILE_ENV,
    HubUser,
    add_user,
    default_users_file,
    load_users,
    render_users,
    toml_string,
    verify_password,
)

from .conftest import PEOPLE

# Has the shape of a bcrypt hash (enough for reading; no password matches it).
FORM_HASH = "$2b$12$" + "A" * 53


def test_missing_file_means_no_users(tmp_path: Path) -> None:
    assert load_users(tmp_path / "fehlt" / "users.toml") == {}


def test_default_path_and_environment(tmp_path: Path) -> None:
    assert default_users_file({}).parts[-3:] == ("var", "hub", "users.toml")
    assert default_users_file({USERS_FILE_ENV: str(tmp_path / "u.toml")}) == tmp_path / "u.toml"


def test_documented_example_reads(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text(
        "# Benutzer des Workbench-Hubs – Passwörter nur als bcrypt-Hash\n"
        '[users."e.mueller"]\nname = "Erika Müller"\ngroups = ["traeger-sachsenheim"]\n'
        f'password = "{FORM_HASH}"\n',
        encoding="utf-8",
    )
    users = load_users(path)
    assert users == {
        "e.mueller": HubUser("e.mueller", ("traeger-sachsenheim",), "Erika Müller", FORM_HASH)
    }
    assert FORM_HASH not in repr(users)  # hashes stay out of logs and tracebacks


@pytest.mark.parametrize(
    "name",
    [
        'Erika "Eri" Müller',
        "C:\\Users\\emueller \\\" \\n",
        "Jörg Weiß-Öztürk ÄÖÜäöüß",
        "O'Brien '''",
        "# kein Kommentar",
        '[users."x"] = 1',
        "\\u0041 bleibt wörtlich",
        "Zoë 👩‍💼 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "",
    ],
)
def test_round_trip_tricky_names(tmp_path: Path, name: str) -> None:
    users = {
        "e.mueller": HubUser("e.mueller", ("leitung",), name, FORM_HASH),
        "a-b_c.9": HubUser("a-b_c.9", ("admin", "traeger-x1"), "zweiter", FORM_HASH),
    }
    path = tmp_path / "users.toml"
    path.write_text(render_users(users), encoding="utf-8")
    assert load_users(path) == users
    assert render_users(load_users(path)) == path.read_text(encoding="utf-8")


def test_round_trip_through_add_user(tmp_path: Path) -> None:
    path = tmp_path / "hub" / "users.toml"
    name = 'Hans "Hansi" Back\\slash-Ärger'
    added = add_user(path, "h.back", "Ein-langes-Passwort", ["traeger-sachsenheim"], name)
    loaded = load_users(path)
    assert loaded == {"h.back": added}
    assert loaded["h.back"].display_name == name
    assert loaded["h.back"].password_hash.startswith("$2b$12$")
    assert "Ein-langes-Passwort" not in path.read_text(encoding="utf-8")
    assert verify_password(loaded, "h.back", "Ein-langes-Passwort") == added


@pytest.mark.parametrize(
    "value",
    [
        "".join(chr(i) for i in range(32)) + "\x7f",
        '"\\"',
        "\u2028\u2029\ufeff",
        "ende\\",
    ],
)
def test_toml_string_escapes_everything_toml_forbids(value: str) -> None:
    assert tomllib.loads(f"k = {toml_string(value)}")["k"] == value


@pytest.mark.parametrize("name", ["Zeile eins\nZeile zwei", "Wagen\rrücklauf", "Tab\tname"])
def test_name_with_line_break_or_control_character_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "users.toml"
    with pytest.raises(UsersFileError, match="Steuerzeichen") as err:
        add_user(path, "e.mueller", "Ein-langes-Passwort", ["leitung"], name)
    assert "e.mueller" in str(err.value)
    assert not path.exists()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "users.toml"
    path.write_text("# Kopf\n" + body, encoding="utf-8")
    return path


ENTRY = '[users."e.mueller"]\nname = "Erika"\ngroups = ["leitung"]\n'


@pytest.mark.parametrize(
    ("body", "expected", "login", "line"),
    [
        (
            '[users."e.mueller"]\ngroups = ["chef"]\npassword = "HASH"\n',
            "„chef“ ist keine Werkbank-Gruppe; erlaubt sind leitung",
            "e.mueller",
            2,
        ),
        (
            '[users."e.mueller"]\ngroups = ["traeger-Sachsenheim"]\npassword = "HASH"\n',
            "keine Werkbank-Gruppe",
            "e.mueller",
            2,
        ),
        (
            ENTRY + 'password = "Sommer-2026-geheim"\n',
            "kein bcrypt-Hash – ein Passwort im Klartext wird nicht angenommen. Entfernen Sie "
            "es aus der Datei und setzen Sie es mit: workbench hub user password e.mueller",
            "e.mueller",
            2,
        ),
        (
            ENTRY + 'password = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"\n',
            "Klartext",
            "e.mueller",
            2,
        ),
        (
            ENTRY + 'password = "$2b$12$zu-kurz"\n',
            "kein gültiger bcrypt-Hash (erwartet $2a$, $2b$ oder $2y$",
            "e.mueller",
            2,
        ),
        (
            ENTRY + 'password = "$2x$12$' + "A" * 53 + '"\n',
            "kein gültiger bcrypt-Hash",
            "e.mueller",
            2,
        ),
        (ENTRY, "password fehlt", "e.mueller", 2),
        (
            '[users."E.Mueller"]\ngroups = ["leitung"]\npassword = "HASH"\n',
            "Anmeldename „E.Mueller“ ist nicht erlaubt",
            None,
            2,
        ),
        (
            '[users."-x"]\ngroups = ["leitung"]\npassword = "HASH"\n',
            "Anmeldename „-x“ ist nicht erlaubt",
            None,
            2,
        ),
        (
            '[users.e.mueller]\ngroups = ["leitung"]\npassword = "HASH"\n',
            'Anmeldenamen mit Punkt müssen in Anführungszeichen stehen: [users."e.',
            "e",
            None,
        ),
        (ENTRY.replace("name", "passwort") + 'password = "HASH"\n', "„passwort“", "e.mueller", 2),
        (
            '[users."e.mueller"]\ngroups = "leitung"\npassword = "HASH"\n',
            "groups muss eine Liste sein",
            "e.mueller",
            2,
        ),
        (
            '[users."e.mueller"]\ngroups = []\npassword = "HASH"\n',
            "mindestens eine Gruppe",
            "e.mueller",
            2,
        ),
        (
            '[users."e.mueller"]\nname = 3\ngroups = ["leitung"]\npassword = "HASH"\n',
            "name muss ein Text sein",
            "e.mueller",
            2,
        ),
        ('[users."e.mueller"\n', "kein gültiges TOML", None, None),
        ('admins = ["e.mueller"]\n', "unbekannter Eintrag „admins“", None, None),
        ('users = "e.mueller"\n', '[users."<anmeldename>"]', None, None),
    ],
)
def test_each_error_names_file_user_line_and_expectation(
    tmp_path: Path, body: str, expected: str, login: str | None, line: int | None
) -> None:
    # Two good users before the broken one: the line number must be the broken user's.
    good = "".join(
        f'[users."ok{i}"]\ngroups = ["leitung"]\npassword = "{FORM_HASH}"\n\n' for i in range(2)
    )
    body = body.replace("HASH", FORM_HASH)
    # A top-level key after a table would belong to that table: those cases stand alone.
    path = write(tmp_path, good + body if body.startswith("[") else body)
    with pytest.raises(UsersFileError) as err:
        load_users(path)
    message = str(err.value)
    assert expected in message
    assert f"Benutzerdatei „{path}“" in message
    if login is not None:
        assert f"Benutzer „{login}“" in message
    if line is not None:
        assert f"Zeile {line + 8}" in message  # header comment + two users of 4 lines each
    assert "Sommer-2026-geheim" not in message  # a plain-text password is never echoed


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_bytes(b'[users."m\xfcller"]\n')
    with pytest.raises(UsersFileError, match=r"nicht in UTF-8 gespeichert \(Byte 10\)"):
        load_users(path)


def test_a_fifo_or_folder_in_its_place_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "users.toml"
    os.mkfifo(fifo)
    with pytest.raises(UsersFileError, match="ist keine gewöhnliche Datei"):
        load_users(fifo)
    with pytest.raises(UsersFileError, match=f"„{tmp_path}“: ist keine gewöhnliche Datei"):
        load_users(tmp_path)


def test_file_over_one_mib_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    # Valid TOML (comments only): only the size can make it fail.
    path.write_text(("# " + "x" * 97 + "\n") * (1024 * 1024 // 100 + 1), encoding="utf-8")
    assert path.stat().st_size > 1024 * 1024
    with pytest.raises(UsersFileError, match=f"„{path}“: ist größer als 1 MiB"):
        load_users(path)
    path.write_text(("# " + "x" * 97 + "\n") * (1024 * 1024 // 100 - 1), encoding="utf-8")
    assert load_users(path) == {}


def test_more_than_5000_users_are_refused(tmp_path: Path) -> None:
    def body(n: int) -> str:
        return "".join(
            f'[users.u{i}]\ngroups = ["leitung"]\npassword = "{FORM_HASH}"\n' for i in range(n)
        )

    path = write(tmp_path, body(MAX_USERS))
    assert len(load_users(path)) == MAX_USERS
    path = write(tmp_path, body(MAX_USERS + 1))
    with pytest.raises(UsersFileError, match="5001 Benutzer; höchstens 5000 sind erlaubt"):
        load_users(path)


def test_people_fixture_file_reads(tmp_path: Path, write_people) -> None:
    users = load_users(write_people(tmp_path / "users.toml"))
    assert sorted(users) == sorted(PEOPLE)
    assert users["k.kreis"].groups == ("analyse", "kreis-integration")
