"""``workbench hub user …``: the click group in-process (CliRunner) and as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.commands.hub_users import user
from workbench.hub.users import USERS_FILE_ENV, load_users, verify_password


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "hub" / "users.toml"


@pytest.fixture
def catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kataloge"
    folder.mkdir()
    (folder / "sachsenheim.yaml").write_text("traeger: {}\n")
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(folder))
    return folder


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(user, list(args), input=input, catch_exceptions=False)


def test_add_prompts_twice_and_lists_without_hashes(path: Path, catalogues: Path) -> None:
    result = run("add", "e.mueller", "--gruppe", "traeger-sachsenheim", "--name",
                 "Erika Müller", "--datei", str(path),
                 input="Sachsenheim-2026!\nSachsenheim-2026!\n")
    assert result.exit_code == 0, result.output
    assert "Benutzer „e.mueller“ angelegt (Gruppen: traeger-sachsenheim)" in result.output
    assert "Warnung" not in result.output  # the Träger has a catalogue
    assert "Sachsenheim-2026!" not in result.output  # hidden input is not echoed
    users = load_users(path)
    assert verify_password(users, "e.mueller", "Sachsenheim-2026!") is not None

    result = run("list", "--datei", str(path))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split(" | ") == ["Login    ", "Name        ", "Gruppen"]
    assert lines[2] == (
        "e.mueller | Erika Müller | traeger-sachsenheim – Redaktion sachsenheim "
        "(Messwerte dieses Trägers)"
    )
    assert "$2b$" not in result.output


def test_add_with_mismatched_passwords_changes_nothing(path: Path) -> None:
    result = run("add", "e.mueller", "-g", "leitung", "--datei", str(path),
                 input="Erstes-Passwort-1\nAnderes-Passwort-2\n")
    assert result.exit_code == 2
    assert "Fehler: Die beiden Passwörter stimmen nicht überein; nichts geändert." in result.output
    assert not path.exists()


def test_warning_for_a_traeger_without_catalogue(path: Path, catalogues: Path) -> None:
    result = run("add", "x.y", "-g", "traeger-sachsenhiem", "-g", "traeger-sachsenheim",
                 "--passwort-stdin", "--datei", str(path), input="Ein-langes-Passwort\n")
    assert result.exit_code == 0, result.output
    assert "Warnung: Für den Träger „sachsenhiem“ gibt es keinen Maßnahmenkatalog" in (
        result.output
    )
    assert "„sachsenheim“" not in result.output
    assert load_users(path)["x.y"].groups == ("traeger-sachsenheim", "traeger-sachsenhiem")
    # --passwort-stdin: the line break that ends the line is not part of the password.
    assert verify_password(load_users(path), "x.y", "Ein-langes-Passwort") is not None


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["add", "E.Mueller", "-g", "leitung"], "Ein-langes-Passwort\n",
         "verwenden Sie „e.mueller“"),
        (["add", "e.mueller", "-g", "chef"], "Ein-langes-Passwort\n",
         "„chef“ ist keine Werkbank-Gruppe"),
        (["add", "e.mueller", "-g", "leitung", "--name", "a\nb"], "Ein-langes-Passwort\n",
         "Zeilenumbruch"),
        (["add", "e.mueller", "-g", "leitung"], "kurz\n", "zu kurz (4 Zeichen)"),
        (["add", "e.mueller", "-g", "leitung"], "ü" * 40 + "\n", "zu lang (80 Bytes"),
        (["add", "e.mueller", "-g", "leitung"], "zwei\nZeilen-Passwort\n", "Zeilenumbruch"),
        (["remove", "niemand"], None, "einen Benutzer „niemand“ gibt es nicht"),
        (["password", "niemand"], None, "Einen Benutzer „niemand“ gibt es nicht"),
        (["groups", "niemand"], None, "Einen Benutzer „niemand“ gibt es nicht"),
        (["groups", "niemand", "--add", "leitung"], None, "einen Benutzer „niemand“"),
    ],
)
def test_bad_input_exits_2_in_german(
    path: Path, args: list[str], stdin: str | None, expected: str
) -> None:
    stdin_flag = ["--passwort-stdin"] if args[0] == "add" else []
    result = run(*args, *stdin_flag, "--datei", str(path), input=stdin)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Fehler: ")
    assert expected in result.output
    assert not path.exists()


def test_add_without_group_is_a_usage_error(path: Path) -> None:
    result = run("add", "e.mueller", "--datei", str(path))
    assert result.exit_code == 2
    assert "--gruppe" in result.output


def test_groups_password_remove(path: Path) -> None:
    run("add", "k.kreis", "-g", "analyse", "--passwort-stdin", "--datei", str(path),
        input="Kreis-Integration-7\n")
    result = run("groups", "k.kreis", "--add", "kreis-integration", "--add", "admin",
                 "--remove", "analyse", "--datei", str(path))
    assert result.exit_code == 0, result.output
    assert "Gruppen von „k.kreis“: admin, kreis-integration." in result.output
    result = run("groups", "k.kreis", "--datei", str(path))
    assert result.output.splitlines() == [
        "admin – Administration (Benutzer und Gruppen)",
        "kreis-integration – Kreis-Integration (alle Träger, Kataloge, JupyterLab)",
    ]
    result = run("groups", "k.kreis", "--remove", "leitung", "--datei", str(path))
    assert result.exit_code == 2 and "nicht in der Gruppe „leitung“" in result.output

    result = run("password", "k.kreis", "--datei", str(path),
                 input="Neues-Passwort-77\nNeues-Passwort-77\n")
    assert result.exit_code == 0, result.output
    assert "Passwort von „k.kreis“ geändert." in result.output
    users = load_users(path)
    assert verify_password(users, "k.kreis", "Neues-Passwort-77") is not None
    assert verify_password(users, "k.kreis", "Kreis-Integration-7") is None

    result = run("remove", "k.kreis", "--datei", str(path))
    assert result.exit_code == 0
    assert load_users(path) == {}
    assert "Keine Benutzer in" in run("list", "--datei", str(path)).output


def test_default_file_from_environment(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USERS_FILE_ENV, str(path))
    result = run("add", "e.mueller", "-g", "leitung", "--passwort-stdin",
                 input="Ein-langes-Passwort\n")
    assert result.exit_code == 0, result.output
    assert sorted(load_users(path)) == ["e.mueller"]


def test_list_warns_about_a_file_others_can_read(path: Path) -> None:
    run("add", "e.mueller", "-g", "leitung", "--passwort-stdin", "--datei", str(path),
        input="Ein-langes-Passwort\n")
    assert "Warnung" not in run("list", "--datei", str(path)).output
    path.chmod(0o644)
    assert "ist für andere lesbar (Rechte 644)" in run("list", "--datei", str(path)).output


def test_broken_file_exits_2_naming_the_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text('[users."e.mueller"]\ngroups = ["leitung"]\npassword = "Klartext-123"\n')
    result = run("list", "--datei", str(path))
    assert result.exit_code == 2
    assert f"Benutzerdatei „{path}“, Benutzer „e.mueller“, Zeile 1:" in result.output
    assert "Klartext-123" not in result.output


def cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench.commands.hub_users", *args],
        input=input, capture_output=True, text=True, timeout=120,
    )


def test_as_a_real_process(path: Path) -> None:
    result = cli("add", "e.mueller", "-g", "traeger-sachsenheim", "-g", "leitung",
                 "--name", "Erika Müller", "--passwort-stdin", "--datei", str(path),
                 input="Sachsenheim-2026!\n")
    assert result.returncode == 0, result.stderr
    assert "angelegt" in result.stdout
    assert path.stat().st_mode & 0o777 == 0o600
    result = cli("list", "--datei", str(path))
    assert result.returncode == 0 and "Erika Müller" in result.stdout
    assert "$2b$" not in result.stdout + result.stderr

    result = cli("groups", "e.mueller", "--add", "Leitung", "--datei", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("Fehler: ") and "„Leitung“ ist keine Werkbank-Gruppe" in (
        result.stderr
    )
    result = cli("--help")
    assert result.returncode == 0
    assert "Usage: workbench hub user" in result.stdout
    assert "Benutzer des Hubs verwalten" in result.stdout
