"""The hub's users file (bcrypt hashes) and its JupyterHub authenticator (issue 13).

For a hub without Active Directory / LDAP: who may log in, with which password and in which
workbench groups, is one TOML file – by default ``var/hub/users.toml`` (:func:`default_users_file`),
elsewhere with the environment variable ``WORKBENCH_HUB_USERS``. Format::

    # Benutzer des Workbench-Hubs – Passwörter nur als bcrypt-Hash (workbench hub user add)
    [users."e.mueller"]
    name = "Erika Müller"
    groups = ["traeger-sachsenheim"]
    password = "$2b$12$..."

* The table key is the login name: ``^[a-z0-9][a-z0-9._-]{0,63}$`` (JupyterHub writes login
  names in lower case, so capitals could never log in). Names with a dot must be quoted
  (``[users."e.mueller"]``); unquoted, TOML reads them as nested tables.
* ``name``: display name (optional, one line). ``groups``: at least one workbench group
  (:func:`workbench.access.is_workbench_group`: ``leitung``, ``kreis-integration``,
  ``analyse``, ``admin``, ``traeger-<kennung>``). ``password``: a bcrypt hash
  (``$2a$``/``$2b$``/``$2y$``) – a plain-text password is refused, never accepted.
* No other keys. At most 1 MiB and 5000 users (checked before parsing).

The ``workbench hub user …`` commands (:mod:`workbench.commands.hub_users`) change the file
through :func:`add_user`, :func:`remove_user`, :func:`set_password`, :func:`set_groups`,
:func:`add_groups` and :func:`remove_groups`. Each change holds an exclusive lock
(``fcntl.flock`` on ``users.toml.lock`` beside the file) while it reads, changes and writes,
so two admins never lose each other's edit, and writes atomically (temp file, fsync,
``os.replace``): readers – the running hub – see the old or the new file, never half of one.
The file is written with mode 0600 (hashes are secrets too), its folder created with 0700.
Hand-written comments are lost when a command rewrites the file.

:class:`WorkbenchFileAuthenticator` logs users in against the file. It re-reads the file
(only when it changed) at every login and, via ``refresh_user``, at the user's next request
once ``auth_refresh_age`` (1 s) has passed: a user removed from the file is logged out (and,
with ``auth_refresh_strict``, their API tokens are refused too), a group removed from a user
is gone from the hub at their next request, the ``admin`` group is the hub's admin flag. The
class is defined on first access (module ``__getattr__``), so the commands, which only change
the file, do not import JupyterHub. Configure it with::

    c.JupyterHub.authenticator_class = "workbench.hub.users.WorkbenchFileAuthenticator"
    c.WorkbenchFileAuthenticator.users_file = "/srv/workbench/var/hub/users.toml"  # optional
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bcrypt

from workbench import paths
from workbench.access import FIXED_GROUPS, GROUP_ADMIN, is_workbench_group
from workbench.exceptions import UsersFileError, escape_control
from workbench.settings import HUB_USERS_ENV

USERS_FILE_ENV = HUB_USERS_ENV
MAX_FILE_BYTES = 1024 * 1024
MAX_USERS = 5000
MIN_PASSWORD_CHARS = 12
# bcrypt reads only the first 72 bytes; longer passwords are refused, not silently cut.
MAX_PASSWORD_BYTES = 72
BCRYPT_ROUNDS = 12
MAX_NAME_CHARS = 200

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_USER_KEYS = ("name", "groups", "password")

HEADER = (
    "# Benutzer des Workbench-Hubs – Passwörter nur als bcrypt-Hash (workbench hub user add)\n"
    "# Geschrieben von „workbench hub user …“; eigene Kommentare gehen dabei verloren.\n"
)

# Checked when the login is unknown, so that a wrong name costs as long as a wrong password
# (an attacker cannot tell existing logins by the answer time). Hash of a random, forgotten
# password; rounds as for real users.
_DUMMY_HASH = b"$2b$12$ogLdjkFP3lsjxUTGHauSjO/S3Y1paPoC/ui/6GjcqRr3q6YCehf1e"


@dataclass(frozen=True)
class HubUser:
    """One entry of the users file."""

    login: str
    groups: tuple[str, ...]
    display_name: str
    password_hash: str = field(repr=False)


def default_users_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$WORKBENCH_HUB_USERS`` if set, else ``var/hub/users.toml`` of the checkout."""
    env = os.environ if environ is None else environ
    value = env.get(USERS_FILE_ENV, "").strip()
    return Path(value).expanduser() if value else paths.var_dir() / "hub" / "users.toml"


# --------------------------------------------------------------------------------------------
# Checks (German messages; never echo a password)
# --------------------------------------------------------------------------------------------


def _shown(value: object, limit: int = 60) -> str:
    text = escape_control(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(path: Path | None, login: str | None = None, line: int | None = None) -> str:
    parts = []
    if path is not None:
        parts.append(f"Benutzerdatei „{_shown(str(path), 200)}“")
    if login is not None:
        parts.append(f"Benutzer „{_shown(login)}“")
    if line is not None:
        parts.append(f"Zeile {line}")
    return (", ".join(parts) + ": ") if parts else ""


def check_login(login: object, *, path: Path | None = None, line: int | None = None) -> str:
    """Return ``login`` if it is an allowed login name, else raise :class:`UsersFileError`."""
    if isinstance(login, str) and LOGIN_PATTERN.fullmatch(login):
        return login
    hint = ""
    if isinstance(login, str) and LOGIN_PATTERN.fullmatch(login.lower()):
        hint = f" Der Hub schreibt Anmeldenamen klein: verwenden Sie „{login.lower()}“."
    raise UsersFileError(
        f"{_where(path, line=line)}Anmeldename „{_shown(login)}“ ist nicht erlaubt: erwartet 1 "
        "bis 64 Zeichen aus Kleinbuchstaben a–z, Ziffern, Punkt, Unterstrich und Bindestrich, "
        f"beginnend mit Buchstabe oder Ziffer.{hint}"
    )


def _group_hint() -> str:
    return (
        f"erlaubt sind {', '.join(FIXED_GROUPS)} und traeger-<kennung> (Kennung des Trägers: "
        "Kleinbuchstaben, Ziffern, Bindestrich), z. B. traeger-sachsenheim"
    )


def check_groups(
    groups: Iterable[object],
    *,
    path: Path | None = None,
    login: str | None = None,
    line: int | None = None,
    allow_empty: bool = False,
) -> tuple[str, ...]:
    """The groups sorted and without duplicates; each must be a workbench group, at least one
    unless ``allow_empty``."""
    found: set[str] = set()
    for group in groups:
        if not isinstance(group, str) or not is_workbench_group(group):
            raise UsersFileError(
                f"{_where(path, login, line)}„{_shown(group)}“ ist keine Werkbank-Gruppe; "
                f"{_group_hint()}."
            )
        found.add(group)
    if not found and not allow_empty:
        raise UsersFileError(
            f"{_where(path, login, line)}keine Gruppe angegeben: jeder Benutzer braucht "
            f"mindestens eine Gruppe ({_group_hint()}). Zum Sperren eines Benutzers: "
            "workbench hub user remove."
        )
    return tuple(sorted(found))


def check_display_name(
    name: object, *, path: Path | None = None, login: str | None = None, line: int | None = None
) -> str:
    """A one-line display name of at most 200 characters (may be empty)."""
    if not isinstance(name, str):
        raise UsersFileError(f"{_where(path, login, line)}name muss ein Text sein.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise UsersFileError(
            f"{_where(path, login, line)}Der Name „{_shown(name)}“ enthält einen Zeilenumbruch "
            "oder ein anderes Steuerzeichen; erwartet ist eine Zeile Text."
        )
    if len(name) > MAX_NAME_CHARS:
        raise UsersFileError(
            f"{_where(path, login, line)}Der Name ist {len(name)} Zeichen lang; höchstens "
            f"{MAX_NAME_CHARS} sind erlaubt."
        )
    return name.strip()


def check_new_password(password: str, login: str | None = None) -> bytes:
    """The password as UTF-8 bytes, if it may be hashed; the message never contains it."""
    who = f"Passwort für „{_shown(login)}“" if login else "Passwort"
    if len(password) < MIN_PASSWORD_CHARS:
        raise UsersFileError(
            f"{who} ist zu kurz ({len(password)} Zeichen): mindestens {MIN_PASSWORD_CHARS} "
            "Zeichen sind nötig."
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise UsersFileError(
            f"{who} enthält einen Zeilenumbruch oder ein anderes Steuerzeichen; das kann im "
            "Anmeldeformular niemand eingeben."
        )
    try:
        data = password.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UsersFileError(f"{who} enthält ungültige Zeichen.") from exc
    if len(data) > MAX_PASSWORD_BYTES:
        raise UsersFileError(
            f"{who} ist zu lang ({len(data)} Bytes in UTF-8): bcrypt wertet nur die ersten "
            f"{MAX_PASSWORD_BYTES} Bytes aus, der Rest würde stillschweigend ignoriert. Wählen "
            f"Sie ein Passwort mit höchstens {MAX_PASSWORD_BYTES} Bytes (Umlaute zählen doppelt)."
        )
    return data


def hash_password(password: str, login: str | None = None) -> str:
    """bcrypt hash (cost 12) of a password that passes :func:`check_new_password`."""
    data = check_new_password(password, login)
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def _check_hash(value: object, path: Path, login: str, line: int | None) -> str:
    if not isinstance(value, str) or not value:
        raise UsersFileError(
            f"{_where(path, login, line)}password fehlt. Setzen Sie es mit: "
            f"workbench hub user password {login}"
        )
    if _BCRYPT_HASH.fullmatch(value):
        return value
    if not value.startswith("$2"):
        # Whatever it is, it must not be shown: it may be the plain-text password.
        raise UsersFileError(
            f"{_where(path, login, line)}password ist kein bcrypt-Hash – ein Passwort im "
            "Klartext wird nicht angenommen. Entfernen Sie es aus der Datei und setzen Sie es "
            f"mit: workbench hub user password {login}"
        )
    raise UsersFileError(
        f"{_where(path, login, line)}password ist kein gültiger bcrypt-Hash (erwartet "
        "$2a$, $2b$ oder $2y$, zweistellige Kosten 04–31, dann 53 Zeichen). Setzen Sie das "
        f"Passwort neu mit: workbench hub user password {login}"
    )


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

_HEADER_LINE = re.compile(
    r"""^\s*\[\s*users\s*\.\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*\]"""
)


def _header_lines(text: str) -> dict[str, int]:
    """Login -> line of its ``[users."…"]`` header, for messages (best effort)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER_LINE.match(line)
        if not match:
            continue
        key = match.group(1)
        try:
            login = tomllib.loads(f"k = {key}")["k"] if key[0] in "\"'" else key
        except tomllib.TOMLDecodeError:
            continue
        found.setdefault(login, number)
    return found


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = os.read(fd, min(65536, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _read_bounded(path: Path) -> str | None:
    """The file's text, ``None`` if it does not exist; refused above :data:`MAX_FILE_BYTES`."""
    try:
        # O_NONBLOCK: a FIFO or device in its place must not hang the hub at open().
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise UsersFileError(f"{_where(path)}ist keine gewöhnliche Datei.")
            size = st.st_size
            # Read one byte more than allowed: a file growing after fstat is caught too.
            data = _read_at_most(fd, MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsersFileError(
            f"{_where(path)}nicht lesbar: {exc.strerror or exc}."
        ) from exc
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        raise UsersFileError(
            f"{_where(path)}ist größer als {MAX_FILE_BYTES // 1024 // 1024} MiB; erwartet ist "
            "eine Benutzerdatei des Hubs (höchstens 5000 Benutzer)."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsersFileError(
            f"{_where(path)}ist nicht in UTF-8 gespeichert (Byte {exc.start + 1})."
        ) from exc


def load_users(path: str | Path) -> dict[str, HubUser]:
    """Read and check the users file; login -> :class:`HubUser`, in file order.

    A missing file means no users (``{}``). Anything else that is not exactly the documented
    format raises :class:`UsersFileError` naming the file, the user and line, and what was
    expected.
    """
    path = Path(path)
    text = _read_bounded(path)
    return {} if text is None else parse_users(text, path)


def parse_users(text: str, path: Path) -> dict[str, HubUser]:
    """Check the users file's ``text`` (read from ``path``, named in messages)."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise UsersFileError(
            f"{_where(path)}ist größer als {MAX_FILE_BYTES // 1024 // 1024} MiB; erwartet ist "
            "eine Benutzerdatei des Hubs (höchstens 5000 Benutzer)."
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{_where(path)}kein gültiges TOML: {exc}.") from exc
    unknown = sorted(set(data) - {"users"})
    if unknown:
        raise UsersFileError(
            f"{_where(path)}unbekannter Eintrag „{_shown(unknown[0])}“; erwartet sind nur "
            'Abschnitte [users."<anmeldename>"].'
        )
    table = data.get("users", {})
    if not isinstance(table, dict):
        raise UsersFileError(
            f'{_where(path)}„users“ muss aus Abschnitten [users."<anmeldename>"] bestehen.'
        )
    if len(table) > MAX_USERS:
        raise UsersFileError(
            f"{_where(path)}{len(table)} Benutzer; höchstens {MAX_USERS} sind erlaubt."
        )
    lines = _header_lines(text)
    users: dict[str, HubUser] = {}
    for login, entry in table.items():
        line = lines.get(login)
        check_login(login, path=path, line=line)
        if not isinstance(entry, dict):
            raise UsersFileError(
                f'{_where(path, login, line)}erwartet ein Abschnitt [users."{login}"] mit '
                "name, groups und password."
            )
        extra = sorted(set(entry) - set(_USER_KEYS))
        if extra:
            dotted = any(isinstance(entry[k], dict) for k in extra)
            hint = (
                f' Anmeldenamen mit Punkt müssen in Anführungszeichen stehen: [users."{login}.…"].'
                if dotted
                else ""
            )
            raise UsersFileError(
                f"{_where(path, login, line)}unbekannter Schlüssel „{_shown(extra[0])}“; "
                f"erlaubt sind {', '.join(_USER_KEYS)}.{hint}"
            )
        raw_groups = entry.get("groups")
        if not isinstance(raw_groups, list):
            raise UsersFileError(
                f"{_where(path, login, line)}groups muss eine Liste sein, z. B. "
                'groups = ["traeger-sachsenheim"].'
            )
        users[login] = HubUser(
            login=login,
            groups=check_groups(raw_groups, path=path, login=login, line=line),
            display_name=check_display_name(entry.get("name", ""), path=path, login=login,
                                            line=line),
            password_hash=_check_hash(entry.get("password"), path, login, line),
        )
    return users


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
                 "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    out = []
    for ch in value:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            # TOML forbids raw control characters (other than tab) in basic strings.
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_users(users: Mapping[str, HubUser]) -> str:
    """The users file's text (sorted by login); :func:`load_users` reads it back unchanged."""
    blocks = [HEADER]
    for login in sorted(users):
        user = users[login]
        groups = ", ".join(toml_string(g) for g in user.groups)
        blocks.append(
            f"[users.{toml_string(login)}]\n"
            f"name = {toml_string(user.display_name)}\n"
            f"groups = [{groups}]\n"
            f"password = {toml_string(user.password_hash)}\n"
        )
    return "\n".join(blocks)


def lock_file(path: str | Path) -> Path:
    """The lock file beside the users file (``users.toml`` -> ``users.toml.lock``)."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


def _ensure_folder(folder: Path) -> None:
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is masked by the umask; the folder of the hashes is the admin's only.
        folder.chmod(0o700)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive lock for a read-change-write of ``path``; waits for another admin's change."""
    _ensure_folder(path.parent)
    fd = os.open(lock_file(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.geteuid() == 0 and path.exists():
            # Like the file itself (_keep_owner): the hub's account must still take the lock.
            st = path.stat()
            os.fchown(fd, st.st_uid, st.st_gid)
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing releases the lock. The lock file stays: deleting it could let a waiting
        # process lock the deleted inode while a third one locks a new file.
        os.close(fd)


def _keep_owner(path: Path, tmp: Path) -> None:
    """Give the new file the old one's owner when root changes it: a root-owned 0600 file
    would lock everybody out of a hub that runs under its own account."""
    if os.geteuid() != 0:
        return
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    os.chown(tmp, st.st_uid, st.st_gid)


def _write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (mode 0600): the old or the new file, never half.

    Not :mod:`workbench.fsutil`: that makes files world-readable (0644) for shared outputs.
    """
    data = text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise UsersFileError(
            f"{_where(path)}würde größer als {MAX_FILE_BYTES // 1024 // 1024} MiB und könnte "
            "nicht mehr gelesen werden; Änderung nicht gespeichert."
        )
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # mkstemp's default, stated: the hashes are secret
        _keep_owner(path, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    # The rename itself must reach the disk, or a power cut could bring back the old file.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _change(path: str | Path, change: Callable[[dict[str, HubUser]], None]) -> None:
    """Read, ``change`` in place, write – all under the lock."""
    path = Path(path)
    with _locked(path):
        users = load_users(path)
        change(users)
        _write_atomic(path, render_users(users))


def _existing(users: Mapping[str, HubUser], login: str, path: Path) -> HubUser:
    user = users.get(login)
    if user is None:
        raise UsersFileError(
            f"{_where(path)}einen Benutzer „{_shown(login)}“ gibt es nicht "
            "(workbench hub user list zeigt alle)."
        )
    return user


def add_user(
    path: str | Path,
    login: str,
    password: str,
    groups: Iterable[str],
    display_name: str = "",
) -> HubUser:
    """Add a user; refused if the login exists already."""
    path = Path(path)
    check_login(login)
    user = HubUser(
        login=login,
        groups=check_groups(groups, login=login),
        display_name=check_display_name(display_name, login=login),
        # Hashed before the lock: bcrypt takes a quarter second, the lock is for the file.
        password_hash=hash_password(password, login),
    )

    def change(users: dict[str, HubUser]) -> None:
        if login in users:
            raise UsersFileError(
                f"{_where(path)}den Benutzer „{login}“ gibt es schon. Passwort ändern: "
                f"workbench hub user password {login}; Gruppen: workbench hub user groups {login}"
            )
        if len(users) >= MAX_USERS:
            raise UsersFileError(
                f"{_where(path)}schon {MAX_USERS} Benutzer; mehr sind nicht erlaubt."
            )
        users[login] = user

    _change(path, change)
    return user


def remove_user(path: str | Path, login: str) -> None:
    """Remove a user: the hub logs them out at their next request."""
    path = Path(path)

    def change(users: dict[str, HubUser]) -> None:
        _existing(users, login, path)
        del users[login]

    _change(path, change)


def set_password(path: str | Path, login: str, password: str) -> None:
    """Replace a user's password hash."""
    path = Path(path)
    password_hash = hash_password(password, login)

    def change(users: dict[str, HubUser]) -> None:
        users[login] = replace(_existing(users, login, path), password_hash=password_hash)

    _change(path, change)


def change_groups(
    path: str | Path,
    login: str,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    replace_with: Iterable[str] | None = None,
) -> HubUser:
    """One locked change of a user's groups: ``replace_with`` them, or ``add`` then ``remove``.

    Removing a group the user is not in is refused (a typo must not look like success), and so
    is removing the last group.
    """
    path = Path(path)
    add, remove = list(add), list(remove)
    # Every named group is checked before the lock, so a typo fails fast and changes nothing.
    check_groups([*add, *remove, *(replace_with or [])], login=login, allow_empty=True)
    result: list[HubUser] = []

    def change(users: dict[str, HubUser]) -> None:
        user = _existing(users, login, path)
        groups = set(user.groups) if replace_with is None else set(replace_with)
        groups |= set(add)
        for group in remove:
            if group not in groups:
                raise UsersFileError(
                    f"{_where(path, login)}nicht in der Gruppe „{_shown(group)}“, nichts "
                    f"geändert (Gruppen: {', '.join(sorted(groups)) or 'keine'})."
                )
            groups.discard(group)
        users[login] = replace(user, groups=check_groups(groups, path=path, login=login))
        result.append(users[login])

    _change(path, change)
    return result[0]


def set_groups(path: str | Path, login: str, groups: Iterable[str]) -> HubUser:
    """Replace a user's groups."""
    return change_groups(path, login, replace_with=list(groups))


def add_groups(path: str | Path, login: str, groups: Iterable[str]) -> HubUser:
    """Add groups to a user (groups they are in already are kept)."""
    return change_groups(path, login, add=groups)


def remove_groups(path: str | Path, login: str, groups: Iterable[str]) -> HubUser:
    """Remove groups from a user (not the last one: use :func:`remove_user`)."""
    return change_groups(path, login, remove=groups)


# --------------------------------------------------------------------------------------------
# Checking a password
# --------------------------------------------------------------------------------------------


def verify_password(users: Mapping[str, HubUser], login: str, password: str) -> HubUser | None:
    """The user if ``password`` is theirs, else ``None``.

    An unknown login (or a password bcrypt cannot take) is checked against a dummy hash, so
    the answer takes about as long as for a wrong password.
    """
    user = users.get(login)
    try:
        data = password.encode("utf-8")
    except UnicodeEncodeError:
        data = b""
    if user is None or not data or len(data) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b"kein-passwort", _DUMMY_HASH)
        return None
    return user if bcrypt.checkpw(data, user.password_hash.encode("ascii")) else None


# --------------------------------------------------------------------------------------------
# JupyterHub
# --------------------------------------------------------------------------------------------

USERS_FILE_BROKEN = (
    "Die Benutzerdatei des Hubs ist fehlerhaft; die Anmeldung ist deshalb gesperrt. Bitte "
    "wenden Sie sich an die Administration."
)


def _authenticator_class() -> type:
    """Define :class:`WorkbenchFileAuthenticator` (imports JupyterHub, ≈ 1.3 s)."""
    import asyncio

    from jupyterhub.auth import Authenticator
    from tornado import web
    from traitlets import Unicode, default

    class WorkbenchFileAuthenticator(Authenticator):
        """Log in against the users file; groups and the admin flag come from the file.

        A user not (or no longer) in the file is refused and, at their next request, logged out.
        If the file cannot be read or is wrong, nobody is let in (fail closed) and the hub log
        says why; after it is fixed, users log in again.
        """

        users_file = Unicode(
            config=True,
            help="The users file (TOML with bcrypt hashes); default $WORKBENCH_HUB_USERS or "
            "var/hub/users.toml.",
        ).tag(allow_config=True)  # the file is the allow list: no "nobody can log in" warning

        @default("users_file")
        def _default_users_file(self) -> str:
            return str(default_users_file())

        @default("manage_groups")
        def _default_manage_groups(self) -> bool:
            return True

        @default("allow_all")
        def _default_allow_all(self) -> bool:
            return False

        @default("auth_refresh_age")
        def _default_auth_refresh_age(self) -> int:
            # Re-check the file at (almost) every request: removal and group changes act at once.
            # Cheap: the file is parsed again only when its content changed.
            return 1

        @default("refresh_pre_spawn")
        def _default_refresh_pre_spawn(self) -> bool:
            return True

        @default("auth_refresh_strict")
        def _default_auth_refresh_strict(self) -> bool:
            # Without it JupyterHub (6.1+) keeps serving API tokens of a user whose refresh
            # failed – a user removed from the file would keep working through their tokens
            # (JupyterLab, services). Our refresh fails only for removed users (or a broken
            # file), so strictness costs present users nothing.
            return True

        _cache_text: str | None = None
        _cache: dict[str, HubUser] | None = None

        def users(self) -> dict[str, HubUser]:
            """The users of the file, read at every call but parsed again only when it changed.

            Compared by content, not by stat: an atomic replace can reuse the old inode number
            within the file system's timestamp granularity, and reading a few KiB is cheap.
            """
            path = Path(self.users_file)
            text = _read_bounded(path)
            if text is None:
                return {}
            if text != self._cache_text or self._cache is None:
                self._cache, self._cache_text = parse_users(text, path), text
            return self._cache

        def _users_or_none(self) -> dict[str, HubUser] | None:
            try:
                return self.users()
            except UsersFileError as exc:
                self.log.error("Users file unusable, nobody is let in: %s", exc)
                return None

        @staticmethod
        def _model(user: HubUser) -> dict[str, Any]:
            # "admin" both ways: leaving the admin group in the file revokes hub admin.
            return {
                "name": user.login,
                "groups": list(user.groups),
                "admin": GROUP_ADMIN in user.groups,
            }

        async def authenticate(self, handler: Any, data: dict[str, Any]) -> dict[str, Any] | None:
            data = data or {}
            login = self.normalize_username(str(data.get("username") or "").strip())
            password = str(data.get("password") or "")
            users = self._users_or_none()
            if users is None:
                raise web.HTTPError(503, USERS_FILE_BROKEN)
            # bcrypt takes ~0.25 s: in a thread, so other requests of the hub are not held up.
            user = await asyncio.to_thread(verify_password, users, login, password)
            if user is None:
                reason = "wrong password" if login in users else "unknown user"
                # Escaped and shortened: the name is whatever was typed into the form.
                self.log.warning("Login refused for '%s': %s", _shown(login), reason)
                return None
            return self._model(user)

        async def check_allowed(
            self, username: str, authentication: dict[str, Any] | None = None
        ) -> bool:
            # The file is the allow list: not allowed_users, not an earlier login.
            users = self._users_or_none()
            return users is not None and username in users

        async def refresh_user(self, user: Any, handler: Any = None) -> bool | dict[str, Any]:
            users = self._users_or_none()
            entry = None if users is None else users.get(user.name)
            if entry is None:
                self.log.warning(
                    "User %s is not in the users file (any more): logged out", _shown(user.name)
                )
                return False
            return self._model(entry)

    WorkbenchFileAuthenticator.__qualname__ = "WorkbenchFileAuthenticator"
    return WorkbenchFileAuthenticator


if TYPE_CHECKING:
    from jupyterhub.auth import Authenticator

    WorkbenchFileAuthenticator: type[Authenticator]


def __getattr__(name: str) -> Any:
    # The authenticator subclasses JupyterHub's Authenticator, whose import costs ≈ 1.3 s
    # (SQLAlchemy, the hub's handlers). It is defined on first access, so the
    # `workbench hub user …` commands, which only change the file, start without it.
    # JupyterHub finds it by its dotted name as usual (getattr on this module).
    if name == "WorkbenchFileAuthenticator":
        cls = _authenticator_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "USERS_FILE_ENV",
    "HubUser",
    "WorkbenchFileAuthenticator",
    "add_groups",
    "add_user",
    "change_groups",
    "check_groups",
    "check_login",
    "default_users_file",
    "hash_password",
    "load_users",
    "parse_users",
    "lock_file",
    "remove_groups",
    "remove_user",
    "render_users",
    "set_groups",
    "set_password",
    "toml_string",
    "verify_password",
]
