"""``workbench hub user …``: manage the hub's users file (:mod:`workbench.hub.users`).

Passwords are typed twice without echo, or read from standard input (``--passwort-stdin``,
for scripts); they never appear on the command line, where ``ps`` and the shell history
would show them. Hashes are never printed. Wrong input exits with code 2 and a German
message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from workbench.access import group_label, traeger_of_group
from workbench.exceptions import UsersFileError, escape_control
from workbench.hub import users as hub_users

# Longer than any password bcrypt takes: a pasted file is refused, not read without end.
_STDIN_LIMIT = 4096

T = TypeVar("T")


class Failed(click.ClickException):
    """A German message, shown as „Fehler: …“ (click's own prefix is English)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Fehler: {self.format_message()}", err=True)


class BadInput(Failed):
    """Wrong input or a wrong users file; exit code 2 like a usage error."""

    exit_code = 2


def _file(datei: Path | None) -> Path:
    return datei if datei is not None else hub_users.default_users_file()


datei_option = click.option(
    "--datei",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Benutzerdatei (Standard: $WORKBENCH_HUB_USERS, sonst var/hub/users.toml).",
)
stdin_option = click.option(
    "--passwort-stdin",
    is_flag=True,
    default=False,
    help="Passwort von der Standardeingabe lesen (eine Zeile) statt zweimal nachzufragen.",
)


def _read_password(from_stdin: bool, login: str) -> str:
    if from_stdin:
        text = sys.stdin.read(_STDIN_LIMIT + 1)
        if len(text) > _STDIN_LIMIT:
            raise BadInput("Die Standardeingabe ist zu lang für ein Passwort.")
        # One line as `echo` or a password manager writes it: the final line break is not
        # part of the password; any other line break is refused by the password check.
        return text.removesuffix("\n").removesuffix("\r")
    first = click.prompt(f"Passwort für {login}", hide_input=True, default="",
                         show_default=False)
    second = click.prompt("Passwort wiederholen", hide_input=True, default="",
                          show_default=False)
    if first != second:
        raise BadInput("Die beiden Passwörter stimmen nicht überein; nichts geändert.")
    return first


def _warn_missing_catalogues(groups: Iterable[str]) -> None:
    """A Träger group whose Träger has no catalogue gives no rights yet: say so, allow it."""
    wanted = sorted({t for g in groups if (t := traeger_of_group(g)) is not None})
    if not wanted:
        return
    from workbench import paths
    from workbench.catalogue import list_traeger

    known = set(list_traeger())
    for traeger in wanted:
        if traeger not in known:
            click.echo(
                f"Warnung: Für den Träger „{traeger}“ gibt es keinen Maßnahmenkatalog in "
                f"{escape_control(str(paths.catalogue_dir()))}. Die Gruppe traeger-{traeger} "
                "wird trotzdem eingetragen; Messwerte kann sie erst erfassen, wenn der Katalog "
                "angelegt ist (workbench new-catalogue). Tippfehler?",
                err=True,
            )


def _run(action: Callable[[], T]) -> T:
    """Turn the users module's German errors into click errors (exit 2 / 1)."""
    try:
        return action()
    except UsersFileError as exc:
        raise BadInput(escape_control(str(exc))) from exc
    except OSError as exc:
        raise Failed(
            f"Benutzerdatei nicht änderbar: {escape_control(exc.strerror or str(exc))}"
            + (f" ({escape_control(str(exc.filename))})" if exc.filename else "")
        ) from exc


def _groups_text(groups: Iterable[str]) -> str:
    return ", ".join(groups)


@click.group("user", context_settings={"help_option_names": ["-h", "--help"]})
def user() -> None:
    """Benutzer des Hubs verwalten (Benutzerdatei mit bcrypt-Hashes).

    Änderungen wirken ohne Neustart des Hubs: bei der nächsten Anfrage des Benutzers.
    """


@user.command("add")
@click.argument("login")
@click.option(
    "--gruppe",
    "-g",
    "gruppen",
    multiple=True,
    required=True,
    metavar="GRUPPE",
    help="Werkbank-Gruppe (mehrfach möglich): leitung, kreis-integration, analyse, admin, "
    "traeger-<kennung>.",
)
@click.option("--name", default="", help="Anzeigename, z. B. „Erika Müller“.")
@stdin_option
@datei_option
def add(login: str, gruppen: tuple[str, ...], name: str, passwort_stdin: bool,
        datei: Path | None) -> None:
    """Benutzer LOGIN anlegen (fragt das Passwort zweimal ab)."""
    path = _file(datei)
    # Check everything but the password before asking for it.
    _run(lambda: (hub_users.check_login(login), hub_users.check_groups(gruppen, login=login),
                  hub_users.check_display_name(name, login=login)))
    _warn_missing_catalogues(gruppen)
    password = _read_password(passwort_stdin, login)
    created = _run(lambda: hub_users.add_user(path, login, password, gruppen, name))
    click.echo(
        f"Benutzer „{created.login}“ angelegt (Gruppen: {_groups_text(created.groups)}) in "
        f"{escape_control(str(path))}."
    )


@user.command("remove")
@click.argument("login")
@datei_option
def remove(login: str, datei: Path | None) -> None:
    """Benutzer LOGIN entfernen (wird beim nächsten Klick abgemeldet)."""
    path = _file(datei)
    _run(lambda: hub_users.remove_user(path, login))
    click.echo(f"Benutzer „{escape_control(login)}“ entfernt aus {escape_control(str(path))}.")


@user.command("list")
@datei_option
def list_users(datei: Path | None) -> None:
    """Alle Benutzer mit Namen und Gruppen anzeigen (ohne Passwörter)."""
    path = _file(datei)
    users = _run(lambda: hub_users.load_users(path))
    if not users:
        click.echo(f"Keine Benutzer in {escape_control(str(path))}.")
        return
    rows: list[tuple[str, str, str]] = []
    for login in sorted(users):
        entry = users[login]
        for i, group in enumerate(entry.groups):
            first = i == 0
            rows.append((
                login if first else "",
                escape_control(entry.display_name) if first else "",
                f"{group} – {group_label(group)}",
            ))
    header = ("Login", "Name", "Gruppen")
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(2)]
    for row in [header, tuple("-" * w for w in (*widths, len(header[2]))), *rows]:
        click.echo(f"{row[0]:<{widths[0]}} | {row[1]:<{widths[1]}} | {row[2]}".rstrip())
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        click.echo(
            f"Warnung: {escape_control(str(path))} ist für andere lesbar (Rechte {mode:o}); "
            f"die Hashes gehören nur dem Hub: chmod 600 {escape_control(str(path))}",
            err=True,
        )


@user.command("groups")
@click.argument("login")
@click.option("--add", "hinzu", multiple=True, metavar="GRUPPE",
              help="Gruppe hinzufügen (mehrfach möglich).")
@click.option("--remove", "weg", multiple=True, metavar="GRUPPE",
              help="Gruppe entfernen (mehrfach möglich).")
@datei_option
def groups(login: str, hinzu: tuple[str, ...], weg: tuple[str, ...], datei: Path | None) -> None:
    """Gruppen von LOGIN anzeigen oder mit --add/--remove ändern."""
    path = _file(datei)
    if not hinzu and not weg:
        users = _run(lambda: hub_users.load_users(path))
        if login not in users:
            raise BadInput(f"Einen Benutzer „{escape_control(login)}“ gibt es nicht in "
                           f"{escape_control(str(path))}.")
        for group in users[login].groups:
            click.echo(f"{group} – {group_label(group)}")
        return
    _warn_missing_catalogues(hinzu)
    changed = _run(lambda: hub_users.change_groups(path, login, add=hinzu, remove=weg))
    click.echo(f"Gruppen von „{changed.login}“: {_groups_text(changed.groups)}.")


@user.command("password")
@click.argument("login")
@stdin_option
@datei_option
def password(login: str, passwort_stdin: bool, datei: Path | None) -> None:
    """Passwort von LOGIN neu setzen."""
    path = _file(datei)
    users = _run(lambda: hub_users.load_users(path))
    if login not in users:
        # Before asking: nobody should type a password twice for a typo.
        raise BadInput(f"Einen Benutzer „{escape_control(login)}“ gibt es nicht in "
                       f"{escape_control(str(path))}.")
    new = _read_password(passwort_stdin, login)
    _run(lambda: hub_users.set_password(path, login, new))
    click.echo(f"Passwort von „{escape_control(login)}“ geändert.")


if __name__ == "__main__":
    user(prog_name="workbench hub user")
