"""Identifiers that become parts of file names: checked BEFORE any path is built.

A Träger id names its catalogue file (``<catalogue_dir>/<id>.yaml``), a report's AGS and
name its output files. Whatever a user or a file supplies is checked against a strict
pattern first, so ``./sachsenheim``, ``../x``, ``/etc/passwd``, ``C:\\x``, names with NUL or
control characters never reach ``open()`` — and the error message quotes only the (escaped,
shortened) id, never the content of a file it might have pointed to.
"""

from __future__ import annotations

import re

from workbench.exceptions import InvalidIdError, escape_control

# Träger ids (catalogue file stems): lowercase letters, digits, hyphens; 1–64 characters.
TRAEGER_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# AGS of a report: Land 2, Kreis 5, Gemeinde 8 digits.
AGS_PATTERN = re.compile(r"\d{2}|\d{5}|\d{8}")
# File stem of a report (``08118076_Sachsenheim``): built from the AGS and a slug of the name.
REPORT_STEM_PATTERN = re.compile(r"\d{2,8}_[A-Za-z0-9_-]{1,100}")
# A municipality as given on the command line / in notebook parameters: a name or an AGS.
# Letters (with umlauts), digits, spaces and . , ' ( ) - ; no slash, backslash, control chars.
MUNICIPALITY_PATTERN = re.compile(r"[^\W_][\w .,'()\-]{0,99}")


def shown(value: object, limit: int = 60) -> str:
    """The offending value for a message: control characters escaped, shortened."""
    text = escape_control(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_traeger_id(value: object) -> str:
    """Return ``value`` if it is a valid Träger id, else raise :class:`InvalidIdError`."""
    if isinstance(value, str) and TRAEGER_ID_PATTERN.fullmatch(value):
        return value
    raise InvalidIdError(
        f"Ungültige Träger-Kennung „{shown(value)}“: erlaubt sind 1 bis 64 Zeichen aus "
        "Kleinbuchstaben a–z, Ziffern und Bindestrich, beginnend mit Buchstabe oder Ziffer "
        "(z. B. „sachsenheim“); keine Pfade, Punkte oder Schrägstriche."
    )


def is_traeger_id(value: object) -> bool:
    return isinstance(value, str) and TRAEGER_ID_PATTERN.fullmatch(value) is not None


def check_municipality(value: object) -> str:
    """A municipality parameter (name or AGS) before it is resolved against the register."""
    text = str(value).strip() if isinstance(value, str | int) else None
    if text and MUNICIPALITY_PATTERN.fullmatch(text) and ".." not in text:
        return text
    raise InvalidIdError(
        f"Ungültige Gemeindeangabe „{shown(value)}“: erwartet ein Gemeindename (Buchstaben, "
        "Ziffern, Leerzeichen, Bindestrich) oder ein 8-stelliger Gemeindeschlüssel (AGS); "
        "keine Pfade, Schrägstriche oder Steuerzeichen."
    )


def check_report_stem(ags: str, stem: str) -> str:
    """The output file stem of a report (AGS + slug of the name), checked."""
    if AGS_PATTERN.fullmatch(ags) and REPORT_STEM_PATTERN.fullmatch(stem):
        return stem
    raise InvalidIdError(
        f"Ungültiger Dateiname für den Bericht „{shown(stem)}“ (AGS „{shown(ags)}“): erwartet "
        "Gemeindeschlüssel, Unterstrich und Name aus Buchstaben, Ziffern, _ und -."
    )
