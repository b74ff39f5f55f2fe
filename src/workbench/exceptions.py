"""Every error and problem type of workbench, with the German message formatting that belongs
to them. A leaf module: it imports nothing from workbench, so any module may import it
without creating an import circle (enforced by ``tests/test_architecture.py``).

Input files (frictionless-style typed problems): every loader collects *all*
:class:`Problem` objects it finds in a file and raises :class:`DataValidationError` carrying
them, so a user fixes a file in one pass instead of one error per run. Row numbers are 1-based
line numbers as a user sees them in a text editor (CSV/JSON) or the row number Excel shows
(xlsx/xls); ``row=None`` marks a problem with the whole file. Catalogue files have their own
:class:`CatalogueProblem` (YAML path and line instead of row and column).

Messages are German (they are shown to end users); code stays English. Two escape helpers
make text from files safe to show; they differ on purpose and are kept byte-identical to what
users and tests know:

* :func:`escape_control` / :func:`escape_lines`: for the terminal (CLI echo, id errors) –
  ``\\t``/``\\n``/``\\r`` by name, zero-width and bidi characters escaped;
* :func:`escape_problem_text`: inside a one-line :class:`Problem` message – line breaks as
  „⏎“ so the position of a break in a cell stays visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# How many problems are spelled out in an exception message or CLI output per file.
MAX_SHOWN = 25


# --------------------------------------------------------------------------------------------
# Escaping text from files for messages
# --------------------------------------------------------------------------------------------

# Control characters from files must never reach the terminal raw: ESC starts ANSI sequences
# (colours, cursor moves, window titles, OSC 8 links), CR/BS overwrite what was printed,
# bidi overrides reorder text. C0 (incl. TAB/LF/CR), DEL, C1 and the bidi/zero-width format
# characters are shown as visible escapes (``\x1b``, ``\n``, ``\u202e``).
_CONTROL_NAMES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_FORMAT_CONTROLS = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff"
)


def _escape_char(ch: str) -> str:
    if ch in _CONTROL_NAMES:
        return _CONTROL_NAMES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(value: object) -> str:
    """Text safe to print on a terminal: control characters as visible escapes.

    ``"a\\x1b[31mb"`` -> ``'a\\\\x1b[31mb'`` (shown as ``a\\x1b[31mb``). Use it for every value
    the CLI echoes that came from a file or a user (names, cells, problems, error messages).
    """
    text = str(value)
    if text.isprintable() and not _FORMAT_CONTROLS.intersection(text):
        return text  # fast path: nothing to escape
    return "".join(
        _escape_char(ch)
        if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in _FORMAT_CONTROLS
        else ch
        for ch in text
    )


def escape_lines(text: object) -> str:
    """:func:`escape_control` per line: keeps the line breaks of a multi-line message."""
    return "\n".join(escape_control(line) for line in str(text).split("\n"))


_PROBLEM_CONTROL = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def escape_problem_text(text: str) -> str:
    """Make ``text`` safe for a terminal: line breaks as „⏎“, other control characters
    (ANSI escape sequences, bidi overrides, …) as visible ``\\x1b``-style escapes."""
    text = text.replace("\r\n", "⏎").replace("\n", "⏎")
    return _PROBLEM_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                                else f"\\u{ord(m.group()):04x}", text)


def _short(value: str, limit: int = 60) -> str:
    value = escape_problem_text(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# Input files (loaders, tabular, observation import, provenance)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file.

    ``file`` is the file name (no directory), ``row`` the 1-based line/Excel row (``None`` for
    file-level problems), ``column`` the column name as written in the file, ``value`` what was
    found and ``expected`` a German description of what was expected.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column:
            parts.append(f"Spalte „{self.column}“")
        where = ", ".join(parts)
        if self.value is not None:
            text = f"{where}: Wert „{_short(self.value)}“ – erwartet: {self.expected}"
        else:
            text = f"{where}: {self.expected}"
        return escape_problem_text(text)


def format_problems(problems: list[Problem], limit: int = MAX_SHOWN) -> list[str]:
    """German lines for display, capped at ``limit`` with a summary line for the rest."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"… und {len(problems) - limit} weitere Probleme")
    return lines


class DataValidationError(Exception):
    """A file does not match its documented format. ``.problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} Problem{'e' if n != 1 else ''} in den Eingabedaten gefunden:"
        super().__init__(
            "\n".join([head, *("  " + line for line in format_problems(self.problems))])
        )


# --------------------------------------------------------------------------------------------
# Catalogue files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueProblem:
    """One problem in a catalogue file: file, YAML path, line, value found, expectation."""

    file: str
    path: str
    line: int | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file + (f", Zeile {self.line}" if self.line else "")
        if self.path:
            where += f", Feld {self.path}"
        if self.value is not None:
            return f"{where}: Wert „{self.value}“ – erwartet: {self.expected}"
        return f"{where}: {self.expected}"


class CatalogueError(ValueError):
    """A catalogue file is invalid; ``.problems`` lists every problem found."""

    def __init__(self, problems: list[CatalogueProblem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"Maßnahmenkatalog ungültig ({n} Problem{'e' if n != 1 else ''}):"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems[:MAX_SHOWN])]))


# --------------------------------------------------------------------------------------------
# Parameters and ids (German message built by the raiser)
# --------------------------------------------------------------------------------------------


class InvalidIdError(ValueError):
    """An id/name that would be used in a file name does not match its pattern (German)."""


class UnknownMunicipalityError(KeyError):
    """A name or AGS that is not in the register (``workbench.region``; German message with
    close matches or the candidates of an ambiguous name)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class UnknownKreisError(UnknownMunicipalityError):
    """A name or key that is no Kreis of Baden-Württemberg (``region.resolve_kreis``)."""


class ReportParameterError(ValueError):
    """Invalid report parameter (German message for the report reader / CLI user)."""


class NoDataError(LookupError):
    """No values for the requested indicators (German message)."""


# --------------------------------------------------------------------------------------------
# Outputs and services
# --------------------------------------------------------------------------------------------


class OutputWriteError(OSError):
    """An output file could not be written; ``str()`` is German with the path and reason."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path} nicht geschrieben: {reason}")
        self.path = Path(path)
        self.reason = reason


class DashboardServerError(RuntimeError):
    """The server did not start (message in German, for the CLI)."""


class MissingExtraError(RuntimeError):
    """An optional feature whose extra (``pip install workbench[EXTRA]``) is not installed;
    ``str()`` is German and says how to install it."""

    def __init__(self, feature: str, extra: str, packages: str):
        super().__init__(
            f"{feature} braucht {packages}, das nicht installiert ist. Installieren mit: "
            f"pip install \"workbench[{extra}]\" (im Projektverzeichnis: "
            f"pip install -e \".[{extra}]\"; make setup installiert es mit)."
        )
        self.extra = extra


class UsersFileError(ValueError):
    """The hub's users file (``workbench.hub.users``) is unreadable or wrong, or a change to it
    is not allowed; ``str()`` is German and names the file, the user (and line) and what was
    expected."""


__all__ = [
    "MAX_SHOWN",
    "CatalogueError",
    "CatalogueProblem",
    "DashboardServerError",
    "DataValidationError",
    "InvalidIdError",
    "MissingExtraError",
    "NoDataError",
    "OutputWriteError",
    "Problem",
    "ReportParameterError",
    "UnknownMunicipalityError",
    "UsersFileError",
    "escape_control",
    "escape_lines",
    "escape_problem_text",
    "format_problems",
]
