"""Handlungsfeld catalogues: Träger → Handlungsfelder → Maßnahmen → Indikatoren.

One YAML file per Träger in :func:`workbench.paths.catalogue_dir` (``<traeger_id>.yaml``).
Keys are German because municipal staff edit these files; the pydantic models below are the
schema. Validation errors name the file, the path inside the YAML
(``handlungsfelder[1].massnahmen[0].indikatoren[2].zielwert``), the line, the value found and
what was expected — in German.

Zeitrahmen rule (user doc: ``docs/handlungsfelder.md``): a Maßnahme starts at the
schedule start (``traeger.zeitplan.beginn``) unless ``beginn`` is given; it is due at the upper
bound of its Zeitrahmen counted from that start, minus one day, so „kurzfristig“ from
2025-01-01 is due 2025-12-31:

====================  ===========================  ==========
zeitrahmen            wording in the concepts      due
====================  ===========================  ==========
``kurzfristig``       innerhalb eines Jahres       start + 1 year − 1 day
``mittelfristig``     ca. 2–3 Jahre                start + 3 years − 1 day
``langfristig``       ca. 3–4 Jahre                start + 4 years − 1 day
``laufend``           Daueraufgabe                 schedule end
====================  ===========================  ==========

A Maßnahme may list several Zeitrahmen (Sachsenheim: „kurzfristig; langfristig“); the longest
one sets the due date. ``faellig`` overrides the computed due date.

Assumptions (``annahme``): whatever a catalogue adds that its source does not say — a target,
a baseline, a schedule, evaluation dates — is marked with a structured ``annahme`` block on the
level it belongs to (``traeger.zeitplan``, a Maßnahme, an Indikator)::

    annahme:
      betrifft: [zielwert]          # which fields are assumed (checked against the level)
      text: Zielwert 3 Kurse je Jahr vom Landkreis angenommen

Every report, dashboard and export prints it as „Annahme, nicht aus der Quelle: …“
(:data:`ASSUMPTION_PREFIX`). A finished project is a Maßnahme with its real ``beginn`` and
``faellig`` and ``abgeschlossen: "abgeschlossen (Projektzeitraum 2015–2018)"``; it is shown as
history and never judged against today's date (``indicators_frame(..., closed=False)``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, get_args

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workbench import paths
from workbench.cache import input_keyed_cache
from workbench.exceptions import CatalogueError, CatalogueProblem
from workbench.exceptions import InvalidIdError as InvalidIdError  # re-exported for callers
from workbench.fsutil import atomic_write
from workbench.ids import check_traeger_id, is_traeger_id

Kind = Literal["anzahl", "anteil", "meilenstein", "qualitativ"]
Direction = Literal["hoeher_besser", "niedriger_besser"]
Zeitrahmen = Literal["kurzfristig", "mittelfristig", "langfristig", "laufend"]
Zeitbezug = Literal["stand", "jahr"]

# The indicator kinds, defined once (value rules per kind: workbench.observation.check_value).
KINDS: tuple[str, ...] = get_args(Kind)
DIRECTIONS: tuple[str, ...] = ("hoeher_besser", "niedriger_besser")
ZEITRAHMEN_YEARS: dict[str, int | None] = {
    "kurzfristig": 1,
    "mittelfristig": 3,
    "langfristig": 4,
    "laufend": None,  # until the end of the schedule
}
ZEITRAHMEN_LABELS = {
    "kurzfristig": "kurzfristig (innerhalb eines Jahres)",
    "mittelfristig": "mittelfristig (ca. 2–3 Jahre)",
    "langfristig": "langfristig (ca. 3–4 Jahre)",
    "laufend": "laufend (gesamter Zeitplan)",
}
TEMPLATE_NAME = "katalog_vorlage.yaml"
ASSUMPTION_PREFIX = "Annahme, nicht aus der Quelle: "
# Fields an ``annahme`` may name, per level.
ASSUMABLE: dict[str, tuple[str, ...]] = {
    "zeitplan": ("beginn", "ende", "evaluation_jahre", "stichtage"),
    "massnahme": ("zeitrahmen", "beginn", "faellig"),
    "indikator": ("zielwert", "ausgangswert", "ausgangsdatum", "zeitbezug", "richtung",
                  "einheit"),
}
_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# The C loader is ~10x faster; both give the same result for our files.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Model(BaseModel):
    # Typos in keys must not be silently ignored: a misspelt "zielwert" would lose the target.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quelle(_Model):
    """Where a Maßnahme comes from (provenance): document plus page and/or section.

    ``inhalt``: what the document itself says that the catalogue uses (short, e.g. „Projekte
    ab 01.04.2015, 3 Jahre“); printed in source lines after the document."""

    dokument: str = Field(min_length=3)
    abschnitt: str | None = None
    seite: int | None = Field(default=None, ge=1)
    inhalt: str | None = None

    def label(self) -> str:
        """„Dokument (Inhalt)“ for source lines."""
        return f"{self.dokument} ({self.inhalt})" if self.inhalt else self.dokument


ANNAHME_FORMAT = (
    "einen Abschnitt mit „betrifft“ (Liste der angenommenen Felder, z. B. [zielwert]) und "
    "„text“ (was angenommen wurde, von wem und warum; mindestens 10 Zeichen)"
)


class Annahme(_Model):
    """A value the catalogue adds that its source does not contain (see module docstring)."""

    betrifft: list[str] = Field(min_length=1)
    text: str = Field(min_length=10)

    def label(self) -> str:
        return ASSUMPTION_PREFIX + self.text


def _annahme_shape(value: Any) -> Any:
    """German message for the common mistakes (plain text, empty block) before pydantic."""
    if value is None:
        return value
    if not isinstance(value, dict) or not value.get("text") or not value.get("betrifft"):
        raise ValueError(ANNAHME_FORMAT)
    if isinstance(value.get("betrifft"), str):
        value = {**value, "betrifft": [value["betrifft"]]}
    if not isinstance(value["betrifft"], list) or not isinstance(value["text"], str):
        raise ValueError(ANNAHME_FORMAT)
    return value


def _check_annahme(annahme: Annahme | None, level: str, owner: BaseModel) -> None:
    if annahme is None:
        return
    allowed = ASSUMABLE[level]
    for key in annahme.betrifft:
        if key not in allowed:
            raise ValueError(
                f"annahme: „{key}“ kann hier nicht angenommen werden – erlaubt: "
                + ", ".join(allowed)
            )
        if key in type(owner).model_fields and getattr(owner, key) in (None, []):
            raise ValueError(
                f"annahme: „{key}“ ist als angenommen markiert, aber nicht angegeben"
            )


class Indikator(_Model):
    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=3)
    art: Kind
    einheit: str | None = None
    richtung: Direction = "hoeher_besser"
    zeitbezug: Zeitbezug = "stand"
    ausgangswert: float | None = None
    ausgangsdatum: dt.date | None = None
    zielwert: float | None = None
    personenbezogen: bool = False
    hinweis: str | None = None
    annahme: Annahme | None = None

    @field_validator("annahme", mode="before")
    @classmethod
    def _annahme_form(cls, value: Any) -> Any:
        return _annahme_shape(value)

    @model_validator(mode="after")
    def _consistent(self) -> Indikator:
        _check_annahme(self.annahme, "indikator", self)
        if self.art == "anteil":
            for key in ("ausgangswert", "zielwert"):
                value = getattr(self, key)
                if value is not None and not 0 <= value <= 100:
                    raise ValueError(f"{key}: Anteil in Prozent zwischen 0 und 100 erwartet")
        if self.art in ("meilenstein", "qualitativ") and self.zielwert is not None:
            raise ValueError(
                "zielwert: bei Art „meilenstein“ oder „qualitativ“ keinen Zielwert angeben "
                "(Meilenstein = erledigt ja/nein)"
            )
        if self.zeitbezug == "jahr" and self.richtung == "niedriger_besser" and self.zielwert:
            raise ValueError(
                "zielwert: Jahresziele (zeitbezug: jahr) werden nur für richtung "
                "hoeher_besser unterstützt – für niedriger_besser zeitbezug: stand verwenden"
            )
        if self.ausgangsdatum is not None and self.ausgangswert is None:
            raise ValueError("ausgangsdatum ohne ausgangswert angegeben")
        return self


class Massnahme(_Model):
    id: str = Field(pattern=_SLUG)
    nummer: int | None = Field(default=None, ge=1)
    titel: str = Field(min_length=3)
    quelle: Quelle
    ist_zustand: list[str] = Field(default_factory=list)
    zeitrahmen: list[Zeitrahmen] = Field(min_length=1)
    beginn: dt.date | None = None
    faellig: dt.date | None = None
    soll_zustand: list[str] = Field(default_factory=list)
    indikatoren: list[Indikator] = Field(min_length=1)
    hinweis: str | None = None
    # Who is responsible, where the source says so („AG 1 …“, „Integrationsbeauftragter“).
    zustaendig: list[str] = Field(default_factory=list)
    annahme: Annahme | None = None
    # Finished project (history): status text, e.g. „abgeschlossen (Projektzeitraum 2015–2018)“.
    abgeschlossen: str | None = Field(default=None, min_length=5)

    @field_validator("annahme", mode="before")
    @classmethod
    def _annahme_form(cls, value: Any) -> Any:
        return _annahme_shape(value)

    @field_validator("zeitrahmen", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Massnahme:
        _check_annahme(self.annahme, "massnahme", self)
        if self.abgeschlossen is not None and (self.beginn is None or self.faellig is None):
            raise ValueError(
                "abgeschlossen: eine abgeschlossene Maßnahme braucht ihre tatsächlichen Daten "
                "beginn und faellig (JJJJ-MM-TT)"
            )
        if self.beginn and self.faellig and self.faellig < self.beginn:
            raise ValueError("faellig: muss nach beginn liegen")
        return self


class Handlungsfeld(_Model):
    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=3)
    massnahmen: list[Massnahme] = Field(min_length=1)
    aktivitaeten: dict[str, list[str]] = Field(default_factory=dict)


class Konzept(_Model):
    titel: str
    herausgeber: str
    stand: str
    datei: str | None = None


class ZeitplanEintrag(_Model):
    """A row of the source's schedule that is not a Maßnahme (Sachsenheim: „Teilnahme an
    Heimatfest“); shown as listed, without invented dates."""

    titel: str = Field(min_length=3)
    hinweis: str | None = None
    quelle: Quelle | None = None


class Zeitplan(_Model):
    beginn: dt.date
    ende: dt.date
    evaluation_jahre: int = Field(default=2, ge=1, le=5)
    # The source's own wording on the evaluation („… – bei Bedarf auch früher.“).
    evaluation_hinweis: str | None = None
    weitere_eintraege: list[ZeitplanEintrag] = Field(default_factory=list)
    annahme: Annahme | None = None

    @field_validator("annahme", mode="before")
    @classmethod
    def _annahme_form(cls, value: Any) -> Any:
        return _annahme_shape(value)

    @model_validator(mode="after")
    def _order(self) -> Zeitplan:
        if self.ende <= self.beginn:
            raise ValueError("ende: muss nach beginn liegen")
        _check_annahme(self.annahme, "zeitplan", self)
        return self


class TraegerInfo(_Model):
    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=2)
    art: Literal["Gemeinde", "Kreis"]
    ags: str = Field(pattern=r"^08\d{3}(\d{3})?$")  # any Kreis/Gemeinde in BW
    konzept: Konzept
    zeitplan: Zeitplan
    beispiel: bool = False
    hinweis: str | None = None

    @model_validator(mode="after")
    def _ags_matches_kind(self) -> TraegerInfo:
        if (self.art == "Kreis") != (len(self.ags) == 5):
            raise ValueError("ags: Kreis hat 5 Stellen (z. B. 08118), Gemeinde 8 Stellen "
                             "(z. B. 08118076)")
        return self


class Foerderung(_Model):
    geber: str
    betrag_eur: float = Field(gt=0)
    programm: str | None = None


class Projekt(_Model):
    id: str = Field(pattern=_SLUG)
    name: str
    beginn: dt.date
    ende: dt.date
    foerderung: list[Foerderung] = Field(default_factory=list)
    quelle: Quelle
    hinweis: str | None = None
    stelle: str | None = None  # posts created for the project, in the source's words


class Finanzierung(_Model):
    """Cost table; ``gesamtkosten_eur − Σ Förderung == eigenanteil_eur`` is checked.

    ``foerderanteil``: the funding share in the source's words („rund 60 %“); checked against
    Σ Förderung / Gesamtkosten (± 2 Prozentpunkte)."""

    gesamtkosten_eur: float = Field(gt=0)
    eigenanteil_eur: float = Field(ge=0)
    foerderanteil: str | None = None
    quelle: Quelle


class KontextFakt(_Model):
    """A fact from a source shown as context in the report (quoted, with Stand and source)."""

    titel: str = Field(min_length=3)
    zitat: str = Field(min_length=10)
    stand: str = Field(min_length=4)
    quelle: Quelle


class Catalogue(_Model):
    traeger: TraegerInfo
    handlungsfelder: list[Handlungsfeld] = Field(min_length=1)
    projekte: list[Projekt] = Field(default_factory=list)
    finanzierung: Finanzierung | None = None
    kontext: list[KontextFakt] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids_and_budget(self) -> Catalogue:
        seen: dict[str, str] = {}
        for kind, ident in self._all_ids():
            if ident in seen:
                raise ValueError(
                    f"id „{ident}“ ({kind}) ist doppelt vergeben (schon als {seen[ident]}); "
                    "ids müssen innerhalb eines Trägers eindeutig sein"
                )
            seen[ident] = kind
        if self.finanzierung is not None and self.projekte:
            funded = sum(f.betrag_eur for p in self.projekte for f in p.foerderung)
            expected = self.finanzierung.gesamtkosten_eur - funded
            if abs(expected - self.finanzierung.eigenanteil_eur) > 0.5:
                raise ValueError(
                    f"finanzierung.eigenanteil_eur: Gesamtkosten − Fördermittel = {expected:.2f}, "
                    f"angegeben {self.finanzierung.eigenanteil_eur:.2f}"
                )
            share = self.finanzierung.foerderanteil
            number = re.search(r"\d+(?:,\d+)?", share or "")
            if share is not None and (
                number is None
                or abs(float(number.group().replace(",", "."))
                       - 100 * funded / self.finanzierung.gesamtkosten_eur) > 2
            ):
                raise ValueError(
                    f"finanzierung.foerderanteil: „{share}“ passt nicht zu Fördermitteln / "
                    f"Gesamtkosten = {100 * funded / self.finanzierung.gesamtkosten_eur:.1f} %"
                )
        return self

    def _all_ids(self):
        for hf in self.handlungsfelder:
            yield "Handlungsfeld", hf.id
            for m in hf.massnahmen:
                yield "Maßnahme", m.id
                for ind in m.indikatoren:
                    yield "Indikator", ind.id
        for p in self.projekte:
            yield "Projekt", p.id

    # Convenience -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.traeger.id

    def massnahme_dates(self, massnahme: Massnahme) -> tuple[dt.date, dt.date]:
        """(start, due) of a Maßnahme by the Zeitrahmen rule in the module docstring."""
        start = massnahme.beginn or self.traeger.zeitplan.beginn
        if massnahme.faellig is not None:
            return start, massnahme.faellig
        dues = []
        for frame in massnahme.zeitrahmen:
            years = ZEITRAHMEN_YEARS[frame]
            if years is None:
                dues.append(self.traeger.zeitplan.ende)
            else:
                dues.append(_add_years(start, years) - dt.timedelta(days=1))
        return start, max(dues)

    def evaluation_dates(self) -> list[dt.date]:
        """Evaluation every ``evaluation_jahre`` years after the start, up to the schedule end
        (2025-01-01 start, 2 years → 2026-12-31 and 2028-12-31), plus the end itself."""
        plan = self.traeger.zeitplan
        out = []
        k = 1
        while True:
            date = _add_years(plan.beginn, k * plan.evaluation_jahre) - dt.timedelta(days=1)
            if date >= plan.ende:
                break
            out.append(date)
            k += 1
        out.append(plan.ende)
        return out

    def massnahmen(self, *, closed: bool | None = None) -> list[Massnahme]:
        """All Maßnahmen in order; ``closed=False`` only current ones, ``True`` only finished
        projects (``abgeschlossen``)."""
        return [m for hf in self.handlungsfelder for m in hf.massnahmen
                if closed is None or (m.abgeschlossen is not None) == closed]

    def dates_from_schedule(self, massnahme: Massnahme) -> bool:
        """True if the Maßnahme's start or due date comes from ``traeger.zeitplan``."""
        if massnahme.abgeschlossen is not None:
            return False
        return massnahme.beginn is None or (
            massnahme.faellig is None and "laufend" in massnahme.zeitrahmen)

    def massnahme_assumptions(self, massnahme: Massnahme) -> list[str]:
        """„Annahme, nicht aus der Quelle: …“ lines behind a Maßnahme's dates (own annahme,
        the schedule's annahme where its dates come from the schedule)."""
        out = []
        plan = self.traeger.zeitplan.annahme
        if plan is not None and self.dates_from_schedule(massnahme):
            out.append(plan.label())
        if massnahme.annahme is not None:
            out.append(massnahme.annahme.label())
        return out

    def assumptions(self, *, closed: bool | None = False,
                    massnahme_ids: Iterable[str] | None = None) -> list[str]:
        """Every assumption label behind what is shown for these Maßnahmen (default: the
        current ones): schedule, Maßnahmen, indicators; in order, without duplicates."""
        wanted = set(massnahme_ids) if massnahme_ids is not None else None
        out: list[str] = []
        plan = self.traeger.zeitplan.annahme
        if plan is not None and closed is not True:
            out.append(plan.label())
        for m in self.massnahmen(closed=closed):
            if wanted is not None and m.id not in wanted:
                continue
            out += self.massnahme_assumptions(m)
            out += [i.annahme.label() for i in m.indikatoren if i.annahme is not None]
        return list(dict.fromkeys(out))

    def documents(self, *, closed: bool | None = False) -> list[str]:
        """Source labels („Dokument (Inhalt)“) of the Maßnahmen, in order, no duplicates."""
        return list(dict.fromkeys(m.quelle.label() for m in self.massnahmen(closed=closed)))

    def source_label(self) -> str:
        k = self.traeger.konzept
        label = f"{k.herausgeber}: {k.titel} ({k.stand})"
        if self.traeger.beispiel and "Beispielkatalog" not in label:
            label += " – Beispielkatalog"
        return label


def _add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


# ------------------------------------------------------------------------------------------
# Errors (types in workbench.exceptions: CatalogueProblem, CatalogueError)
# ------------------------------------------------------------------------------------------


_EXPECTED = {
    "missing": "Pflichtfeld fehlt",
    "extra_forbidden": "unbekanntes Feld (Tippfehler?) – erlaubte Felder siehe Vorlage "
    "data/templates/katalog_vorlage.yaml",
    "float_parsing": "eine Zahl (z. B. 15 oder 12.5, ohne Einheit)",
    "float_type": "eine Zahl (z. B. 15 oder 12.5, ohne Einheit)",
    "int_parsing": "eine ganze Zahl",
    "int_type": "eine ganze Zahl",
    "int_from_float": "eine ganze Zahl",
    "bool_parsing": "ja/nein (true/false)",
    "bool_type": "ja/nein (true/false)",
    "date_parsing": "ein Datum im Format JJJJ-MM-TT",
    "date_from_datetime_parsing": "ein Datum im Format JJJJ-MM-TT",
    "date_type": "ein Datum im Format JJJJ-MM-TT",
    "string_type": "ein Text",
    "list_type": "eine Liste (Zeilen mit „- “)",
    "dict_type": "ein Abschnitt mit Feldern (Schlüssel: Wert)",
    "model_type": "ein Abschnitt mit Feldern (Schlüssel: Wert)",
    "too_short": "mindestens ein Eintrag / längerer Text",
    "string_too_short": "ein nicht leerer Text",
    "string_pattern_mismatch": "eine Kennung aus Kleinbuchstaben, Ziffern und Bindestrichen "
    "(z. B. „anzahl-sprachkurse“) bzw. ein AGS in Baden-Württemberg (Kreis 08xxx, "
    "Gemeinde 08xxxxxx)",
    "greater_than": "eine Zahl größer als 0",
    "greater_than_equal": "eine Zahl ≥ Mindestwert",
    "less_than_equal": "eine kleinere Zahl",
}


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _expected(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"einer der Werte {allowed.replace(' or ', ', ')}"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    return _EXPECTED.get(kind, err["msg"])


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (deepest existing ancestor if missing)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    nxt = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                nxt = node.value[part]
                line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _value_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(data, dict | list):
        return None
    return str(data)


def parse_catalogue(text: str, file: str = "<text>") -> Catalogue:
    """Parse and validate catalogue YAML text; raise :class:`CatalogueError` in German."""
    try:
        data = yaml.load(text, Loader=_LOADER)  # a safe loader (CSafeLoader/SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(
            [CatalogueProblem(file, "", line, None, f"gültiges YAML (Syntaxfehler: {problem})")]
        ) from exc
    if not isinstance(data, dict):
        raise CatalogueError(
            [CatalogueProblem(file, "", 1, None, "ein YAML-Dokument mit „traeger“ und "
                              "„handlungsfelder“")]
        )
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        root = yaml.compose(text, Loader=_LOADER)  # node tree only needed for line numbers
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            expected = _expected(err)
            # Model-level checks name the field in their message ("zielwert: ..."); point there.
            match = re.match(r"^([a-z_]+(?:\.[a-z_]+)?): (.*)$", expected, flags=re.S)
            if err["type"] == "value_error" and match and "." not in match.group(1):
                loc = (*loc, match.group(1))
                expected = match.group(2)
            problems.append(
                CatalogueProblem(
                    file=file,
                    path=_loc_to_path(loc),
                    line=_node_line(root, loc),
                    value=_value_at(data, loc),
                    expected=expected,
                )
            )
        raise CatalogueError(problems) from None


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------


def catalogue_path(traeger_id: str, directory: Path | None = None) -> Path:
    """``<catalogue_dir>/<traeger_id>.yaml``; the id is checked first (``InvalidIdError``:
    ``./sachsenheim``, ``../x``, absolute paths, NUL … never become a path)."""
    check_traeger_id(traeger_id)
    return (directory or paths.catalogue_dir()) / f"{traeger_id}.yaml"


def list_traeger(directory: Path | None = None) -> list[str]:
    """Ids of all catalogues (file stems), sorted; files whose stem is not a valid Träger id
    (``ids.TRAEGER_ID_PATTERN``) are not catalogues and are left out."""
    directory = directory or paths.catalogue_dir()
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.yaml") if is_traeger_id(p.stem))


def load_catalogue(traeger_id: str, directory: Path | None = None) -> Catalogue:
    """Load and validate ``<catalogue_dir>/<traeger_id>.yaml`` (a Träger's Maßnahmenkatalog).

    ``traeger_id``: the file stem, e.g. ``sachsenheim``; ``directory``: default
    :func:`workbench.paths.catalogue_dir`. Returns the frozen :class:`Catalogue`
    (``traeger``, ``handlungsfelder`` → ``massnahmen`` → ``indikatoren``);
    :func:`indicators_frame` turns it into one row per indicator. Raises
    ``FileNotFoundError`` (German, naming the catalogues there are) or
    :class:`CatalogueError` (file, line, what was expected).

    Example::

        >>> cat = load_catalogue("sachsenheim")
        >>> cat.traeger.name, cat.traeger.ags
        ('Stadt Sachsenheim', '08118076')
        >>> indicators_frame(cat).select("indicator_id", "kind", "target").head(3)
    """
    path = catalogue_path(traeger_id, directory)
    if not path.is_file():
        known = ", ".join(list_traeger(directory)) or "keine"
        raise FileNotFoundError(
            f"Kein Maßnahmenkatalog für „{traeger_id}“ ({path}); vorhanden: {known}"
        )
    catalogue = _parse_cached(path)
    if catalogue.traeger.id != traeger_id:
        raise CatalogueError(
            [CatalogueProblem(path.name, "traeger.id", _node_line(
                yaml.compose(path.read_text(encoding="utf-8")), ("traeger", "id")),
                catalogue.traeger.id, f"die Kennung „{traeger_id}“ (wie der Dateiname)")]
        )
    return catalogue


@input_keyed_cache(lambda path: [path], maxsize=64)
def _parse_cached(path: Path) -> Catalogue:
    # Keyed on mtime and size so an edited file is re-read; Catalogue objects are frozen.
    return parse_catalogue(Path(path).read_text(encoding="utf-8"), file=Path(path).name)


def load_all(directory: Path | None = None) -> dict[str, Catalogue]:
    return {tid: load_catalogue(tid, directory) for tid in list_traeger(directory)}


INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "traeger_id": pl.String(),
    "traeger_name": pl.String(),
    "is_example_catalogue": pl.Boolean(),
    "handlungsfeld_id": pl.String(),
    "handlungsfeld": pl.String(),
    "massnahme_id": pl.String(),
    "massnahme_nr": pl.Int32(),
    "massnahme": pl.String(),
    "zeitrahmen": pl.String(),
    "start": pl.Date(),
    "due": pl.Date(),
    "indicator_id": pl.String(),
    "indicator": pl.String(),
    "kind": pl.String(),
    "unit": pl.String(),
    "direction": pl.String(),
    "period_basis": pl.String(),
    "baseline": pl.Float64(),
    "baseline_date": pl.Date(),
    "target": pl.Float64(),
    "about_persons": pl.Boolean(),
    "source": pl.String(),
    "source_document": pl.String(),
    "responsible": pl.String(),
    "closed": pl.Boolean(),
    "massnahme_status": pl.String(),
    "target_assumed": pl.Boolean(),
    "dates_assumed": pl.Boolean(),
    "assumption": pl.String(),
}


def indicators_frame(
    catalogues: Catalogue | dict[str, Catalogue] | list[Catalogue],
    *,
    closed: bool | None = None,
) -> pl.DataFrame:
    """One row per indicator (columns :data:`INDICATOR_SCHEMA`), in catalogue order.

    ``zeitrahmen`` joins several Zeitrahmen with „; “; ``start``/``due`` follow the rule in
    the module docstring; ``source`` is the Maßnahme's quelle as „Dokument, Abschnitt, S. n“,
    ``source_document`` „Dokument (Inhalt)“ for source lines. ``closed``/``massnahme_status``:
    finished project (history); ``closed=False`` keeps only current Maßnahmen (what progress
    is judged on), ``True`` only finished ones. ``assumption``: „Annahme, nicht aus der
    Quelle: …“ for everything behind this row that the source does not say (indicator,
    Maßnahme, schedule), else null; ``target_assumed``/``dates_assumed`` flag the cells.
    """
    if isinstance(catalogues, Catalogue):
        catalogues = [catalogues]
    elif isinstance(catalogues, dict):
        catalogues = list(catalogues.values())
    rows = []
    for cat in catalogues:
        for hf in cat.handlungsfelder:
            for m in hf.massnahmen:
                if closed is not None and (m.abgeschlossen is not None) != closed:
                    continue
                start, due = cat.massnahme_dates(m)
                dates_notes = cat.massnahme_assumptions(m)
                for ind in m.indikatoren:
                    notes = [*dates_notes] + ([ind.annahme.label()] if ind.annahme else [])
                    rows.append({
                        "traeger_id": cat.traeger.id,
                        "traeger_name": cat.traeger.name,
                        "is_example_catalogue": cat.traeger.beispiel,
                        "handlungsfeld_id": hf.id,
                        "handlungsfeld": hf.name,
                        "massnahme_id": m.id,
                        "massnahme_nr": m.nummer,
                        "massnahme": m.titel,
                        "zeitrahmen": "; ".join(m.zeitrahmen),
                        "start": start,
                        "due": due,
                        "indicator_id": ind.id,
                        "indicator": ind.name,
                        "kind": ind.art,
                        "unit": ind.einheit,
                        "direction": ind.richtung,
                        "period_basis": ind.zeitbezug,
                        "baseline": ind.ausgangswert,
                        "baseline_date": ind.ausgangsdatum,
                        "target": ind.zielwert,
                        "about_persons": ind.personenbezogen,
                        "source": _quelle_label(m.quelle),
                        "source_document": m.quelle.label(),
                        "responsible": "; ".join(m.zustaendig) or None,
                        "closed": m.abgeschlossen is not None,
                        "massnahme_status": m.abgeschlossen,
                        "target_assumed": bool(ind.annahme and "zielwert" in ind.annahme.betrifft),
                        "dates_assumed": bool(dates_notes),
                        "assumption": join_assumptions(notes),
                    })
    return pl.DataFrame(rows, schema=INDICATOR_SCHEMA, orient="row")


def join_assumptions(labels: Iterable[str]) -> str | None:
    """One cell for tables/exports: „Annahme, nicht aus der Quelle: A; B“ (null if none)."""
    texts = [lab.removeprefix(ASSUMPTION_PREFIX) for lab in dict.fromkeys(labels)]
    return ASSUMPTION_PREFIX + "; ".join(texts) if texts else None


def _quelle_label(q: Quelle) -> str:
    parts = [q.dokument]
    if q.abschnitt:
        parts.append(q.abschnitt)
    if q.seite:
        parts.append(f"S. {q.seite}")
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------
# New catalogue from the template
# ------------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """'Bietigheim-Bissingen, Stadt' -> 'bietigheim-bissingen'; umlauts transliterated."""
    text = text.split(",")[0].strip().lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def template_path() -> Path:
    return paths.templates_dir() / TEMPLATE_NAME


def render_template(ags: str, name: str, traeger_id: str | None = None, *,
                    beispiel: bool = False) -> str:
    """Template text with Träger id, name and AGS filled in."""
    text = template_path().read_text(encoding="utf-8")
    traeger_id = traeger_id or slugify(name)
    text = (
        text.replace("__TRAEGER_ID__", traeger_id)
        .replace("__NAME__", name)
        .replace("__AGS__", ags)
        .replace("beispiel: false", f"beispiel: {'true' if beispiel else 'false'}")
    )
    return text


def new_from_template(ags: str, name: str, path: Path | None = None) -> Path:
    """Create a catalogue for a municipality from the template; returns the new file.

    The result is validated before it is written; the write is atomic (temp file + rename)
    and never overwrites an existing catalogue (``FileExistsError``).
    """
    if not re.fullmatch(r"08\d{6}", ags):
        raise ValueError(
            f"AGS „{ags}“: erwartet 8 Ziffern einer Gemeinde in Baden-Württemberg (08xxxxxx)")
    traeger_id = slugify(name)
    if not traeger_id:
        raise ValueError(f"Name „{name}“ ergibt keine gültige Kennung")
    path = path or catalogue_path(traeger_id)
    text = render_template(ags, name, path.stem)
    parse_catalogue(text, file=path.name)  # a template that does not validate is a bug
    # overwrite=False links instead of replacing: it fails if the target exists, so two
    # concurrent calls cannot both "win".
    try:
        with atomic_write(path, "w", encoding="utf-8", overwrite=False) as fh:
            fh.write(text)
    except FileExistsError:
        raise FileExistsError(
            f"Katalog {path} existiert bereits – wird nicht überschrieben"
        ) from None
    return path
