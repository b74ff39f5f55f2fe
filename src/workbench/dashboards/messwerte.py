"""Dashboard „Messwerte erfassen“: a form that writes to the observation store.

The form builds a ``workbench.observation.Observation``; validation is the rules of that
module as the store applies them (``ObservationStore.check``/``record``: catalogue kinds,
ranges, required audit fields); this module parses the German input (``12,5``; ``31.12.2025``) with
``workbench.observations_io`` and shows the result in German. Values are never overwritten:
every save is a new version (``record``), shown in the history table.

„Zielwert festlegen“ (``ObservationStore.set_target``, anzahl/anteil) and „Qualitatives Ziel
bewerten“ (``ObservationStore.record_assessment``, qualitativ) are versioned and audited the
same way. Errors of all three forms are shown under the field they concern, tied to it for
screen readers, and the focus moves to the first invalid field
(``workbench.dashboards.form_errors``).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as w
import polars as pl

from workbench import catalogue as cat
from workbench import htmlparts
from workbench.access import GROUP_LOCAL, Principal
from workbench.dashboards.base import header, query_params, source_line
from workbench.dashboards.form_errors import FormErrors
from workbench.exceptions import AccessDeniedError, DataValidationError, Problem
from workbench.formatting import MISSING, fmt_date, fmt_number
from workbench.identity import current_principal
from workbench.observation import Observation, date_problem
from workbench.observations_io import parse_number
from workbench.progress import target_note
from workbench.store import NOT_LOGGED_IN, RATINGS, ObservationStore
from workbench.tabular import LIMITS

KIND_HINT = {
    "anzahl": "Anzahl (ganze Zahl ≥ 0)",
    "anteil": "Anteil in Prozent (0 bis 100, z. B. 12,5)",
    "meilenstein": "Meilenstein: 1 = erreicht, 0 = nicht erreicht",
    "qualitativ": "qualitativ: Beschreibung in „Notiz“",
}


class MesswerteErfassenDashboard:
    """Entry form for indicator values with German validation and a version history."""

    def __init__(self, traeger_id: str | None = None, store_path: Path | str | None = None):
        self.store = ObservationStore(store_path)
        self.traeger_ids = cat.list_traeger()
        catalogues = cat.load_all()
        self.catalogues = {t: catalogues[t] for t in self.traeger_ids if t in catalogues}
        default = traeger_id or (
            "sachsenheim" if "sachsenheim" in self.catalogues else next(iter(self.catalogues))
        )
        style = {"description_width": "120px"}
        wide = w.Layout(width="640px")
        self.traeger = w.Dropdown(
            options=[
                (c.traeger.name + (" (Beispiel)" if c.traeger.beispiel else ""), t)
                for t, c in self.catalogues.items()
            ],
            value=default,
            description="Träger:",
            style=style,
            layout=wide,
        )
        self.indicator = w.Dropdown(description="Indikator:", style=style, layout=wide)
        self.kind_hint = w.HTML("")
        self.period = _field(w.Text,
            description="Stichtag:",
            placeholder="TT.MM.JJJJ, z. B. 31.12.2025",
            style=style,
            layout=w.Layout(width="360px"),
        )
        self.value = _field(w.Text,
            description="Wert:",
            placeholder="z. B. 12 oder 12,5",
            style=style,
            layout=w.Layout(width="360px"),
        )
        self.note = _field(w.Textarea,
            description="Notiz:",
            placeholder="für qualitative Indikatoren",
            style=style,
            layout=wide,
        )
        self.source = _field(w.Text,
            description="Quelle:", placeholder="z. B. Kursträgerstatistik", style=style, layout=wide
        )
        # Who saves is the logged-in person (hub) or the local user, never a typed name
        # (issue 13): shown here, recorded by the store.
        self.who = w.HTML("")
        self.who.add_class("wb-field-angemeldet")
        self.comment = _field(w.Textarea,
            description="Kommentar:",
            placeholder="z. B. Korrektur: Zählfehler behoben",
            style=style,
            layout=wide,
        )
        self.save = w.Button(
            description="Speichern",
            button_style="primary",
            icon="save",
            layout=w.Layout(width="180px", margin="8px 0 0 124px"),
        )
        # field errors: the store's column label -> the field's wb-field-<name>
        self.errors = FormErrors({
            "Indikator-ID": "indikator", "Stichtag": "stichtag", "Wert": "wert",
            "Notiz": "notiz", "Quelle": "quelle", "Kommentar": "kommentar"})
        self.feedback = self.errors.feedback
        self.history = w.HTML("")
        self.history.add_class("wb-table")
        self._build_target_form(style, wide)
        self._build_assessment_form(style, wide)
        for widget, name in (
            (self.traeger, "traeger"),
            (self.indicator, "indikator"),
            (self.period, "stichtag"),
            (self.value, "wert"),
            (self.note, "notiz"),
            (self.source, "quelle"),
            (self.comment, "kommentar"),
            (self.save, "speichern"),
        ):
            widget.add_class(f"wb-field-{name}")
        self.traeger.observe(lambda ch: self._load_indicators(), names="value")
        self.indicator.observe(lambda ch: self._show_indicator(), names="value")
        self.save.on_click(lambda _b: self.submit())
        self.widget = w.VBox(
            [
                header(
                    "Messwerte erfassen",
                    "Werte werden nie überschrieben: eine Korrektur wird als neue Version "
                    "gespeichert.",
                ),
                self.traeger,
                self.indicator,
                self.errors.slot("Indikator-ID"),
                self.kind_hint,
                self.period,
                self.errors.slot("Stichtag"),
                self.value,
                self.errors.slot("Wert"),
                self.note,
                self.errors.slot("Notiz"),
                self.source,
                self.errors.slot("Quelle"),
                self.comment,
                self.errors.slot("Kommentar"),
                self.who,
                self.save,
                self.feedback,
                w.HTML("<h2>Bisherige Werte dieses Indikators (alle Versionen)</h2>"),
                self.history,
                self.target_box,
                self.assessment_box,
            ],
            layout=w.Layout(max_width="1240px", padding="0 8px"),
        )
        self.widget.add_class("wb-dashboard")
        self._load_indicators()
        self._show_who(current_principal())

    def _show_who(self, principal: Principal | None) -> None:
        if principal is None:
            text = ("Gespeichert wird unter Ihrem Anmeldenamen; nur Träger Ihrer Gruppen "
                    "können gespeichert werden.")
        elif GROUP_LOCAL in principal.groups:
            text = f"Gespeichert wird als „{principal.login}“ (Einzelplatz, ohne Anmeldung)."
        else:
            text = f"Gespeichert wird als „{principal.login}“ (angemeldet)."
        self.who.value = (f'<p class="wb-figure-label" style="margin-left:124px">'
                          f"{html.escape(text)}</p>")

    @classmethod
    def from_request(cls) -> MesswerteErfassenDashboard:
        dashboard = cls()
        wanted = query_params().get("traeger")
        if wanted:
            if wanted in dashboard.catalogues:
                dashboard.traeger.value = wanted
            else:
                dashboard.errors.info(
                    f"Unbekannter Träger „{wanted}“ – bitte oben auswählen.", "error"
                )
        return dashboard

    # ---- form state ----------------------------------------------------------------------
    def _load_indicators(self) -> None:
        frame = cat.indicators_frame(self.catalogues[self.traeger.value])
        self._indicators = {r["indicator_id"]: r for r in frame.iter_rows(named=True)}
        self.indicator.options = [
            (_indicator_label(r), r["indicator_id"]) for r in self._indicators.values()
        ]
        if self._indicators:
            self.indicator.value = next(iter(self._indicators))
        self._show_indicator()

    def _show_indicator(self) -> None:
        row = self._indicators.get(self.indicator.value)
        if row is None:
            self.kind_hint.value = ""
            self.history.value = ""
            return
        target = self._target_text(row)
        target = f"; {target}" if target else ""
        self.kind_hint.value = (
            f'<div class="wb-figure-label" style="margin-left:124px">Erwartet: '
            f"{html.escape(KIND_HINT.get(row['kind'], row['kind']))}{html.escape(target)}</div>"
        )
        self.target_box.layout.display = "" if row["kind"] in ("anzahl", "anteil") else "none"
        self.assessment_box.layout.display = "" if row["kind"] == "qualitativ" else "none"
        self._show_history()
        self._show_target_history()
        self._show_assessments()

    def _show_history(self) -> None:
        hist = self.store.history(self.traeger.value, self.indicator.value)
        if hist.height == 0:
            self.history.value = "<p>Noch keine Werte erfasst.</p>"
            return
        rows = []
        for r in hist.sort("period", "version", descending=[True, True]).iter_rows(named=True):
            value = (
                MISSING if r["value"] is None else fmt_number(r["value"], 2).rstrip("0").rstrip(",")
            )
            cells = [
                fmt_date(r["period"]),
                str(r["version"]),
                value,
                r["note"] or "",
                r["source"] or "",
                r["entered_by"] or "",
                r["entered_at"].strftime("%d.%m.%Y %H:%M") if r["entered_at"] else "",
                r["comment"] or "",
                "Beispieldaten" if r["is_example"] else "",
            ]
            rows.append(cells)
        head = ["Stichtag", "Version", "Wert", "Notiz", "Quelle", "Erfasst von",
                "Erfasst am (UTC)", "Kommentar", "Hinweis"]
        self.history.value = (
            _table(head, rows, "history")
            + source_line(
                f"Messwertspeicher {self.store.path.name}, Stand {fmt_date(dt.date.today())}"
            )
        )

    # ---- submit --------------------------------------------------------------------------
    def _allowed(self, actor: Principal | None, action: str, form: FormErrors) -> bool:
        """Rights first (checked and audited by the store): someone who may not write for
        this Träger learns that at once, not after fixing every field."""
        try:
            self.store.authorize(actor, action, [self.traeger.value],
                                 f"{self.indicator.value or ''} (Formular)")
        except AccessDeniedError as exc:
            form.fail({}, [str(exc)])
            return False
        return True

    @staticmethod
    def _login() -> str:
        """The login recorded for this save (the store replaces it by the authenticated
        one; under the hub without one the store refuses the save)."""
        principal = current_principal()
        return principal.login if principal is not None else NOT_LOGGED_IN

    def parse(self) -> tuple[Observation | None, dict[str, str]]:
        """Form fields -> the :class:`Observation` for ``ObservationStore.record`` and German
        errors by field label („Stichtag“, „Wert“, … as in ``Problem.column``)."""
        errors: dict[str, str] = {}
        period = _parse_date(self.period.value)
        if period is None:
            errors["Stichtag"] = (
                f"Stichtag „{self.period.value}“ ist kein Datum – bitte TT.MM.JJJJ "
                "eingeben, z. B. 31.12.2025."
            )
        elif date_problem(period):
            errors["Stichtag"] = (
                f"Stichtag „{self.period.value.strip()}“ liegt außerhalb des erlaubten Zeitraums"
                f" – bitte ein Datum von {LIMITS.date_range_text()} eingeben (Tippfehler im "
                "Jahr?)."
            )
        value = None
        if self.value.value.strip():
            value = parse_number(self.value.value)
            if value is None:
                errors["Wert"] = (
                    f"Wert „{self.value.value}“ ist keine Zahl – bitte z. B. 12 oder 12,5 eingeben."
                )
        obs = Observation(
            self.traeger.value,
            self.indicator.value or "",
            period,  # None only together with an error above
            value,
            self.note.value.strip() or None,
            entered_by=self._login(),
            source=self.source.value.strip(),
            comment=self.comment.value.strip(),
        )
        for problem in self.store.check(obs):
            if problem.column == "Stichtag" and period is None:
                continue  # already said in German above
            if problem.column == "Wert" and "Wert" in errors:
                continue
            errors.setdefault(problem.column, _problem_text(problem))
        return (None if errors else obs), errors

    def submit(self) -> int | None:
        """Validate and store; return the stored version, or ``None`` (errors shown at their
        fields, the summary announced, the focus on the first invalid field)."""
        actor = current_principal()
        if not self._allowed(actor, "Messwert", self.errors):
            return None
        obs, errors = self.parse()
        if errors or obs is None:
            self.errors.fail(errors)
            return None
        try:
            version = self.store.record(obs, actor=actor)
        except AccessDeniedError as exc:
            self.errors.fail({}, [str(exc)])
            return None
        except DataValidationError as exc:
            found: dict[str, str] = {}
            for p in exc.problems:
                found.setdefault(p.column, _problem_text(p))
            self.errors.fail(found)
            return None
        what = "Korrektur gespeichert" if version > 1 else "Gespeichert"
        self.errors.ok(
            f"{what}: {self.indicator.label} am {fmt_date(obs.period)} (Version {version})."
        )
        self._show_history()
        return version

    # ---- Zielwert festlegen ------------------------------------------------------------------
    def _build_target_form(self, style: dict, wide: w.Layout) -> None:
        narrow = w.Layout(width="360px")
        self.target_value = _field(w.Text, description="Zielwert:",
                                   placeholder="z. B. 12 oder 12,5", style=style, layout=narrow)
        self.target_comment = _field(w.Textarea,
            description="Begründung:", placeholder="z. B. Beschluss des Gemeinderats vom …",
            style=style, layout=wide)
        self.target_save = w.Button(description="Zielwert speichern", button_style="primary",
                                    icon="save", layout=w.Layout(width="200px",
                                                                 margin="8px 0 0 124px"))
        self.target_form = FormErrors({"Zielwert": "zielwert",
                                       "Begründung": "zielwert-begruendung"})
        self.target_errors = self.target_form.slots
        self.target_feedback = self.target_form.feedback
        self.target_history = w.HTML("")
        self.target_history.add_class("wb-table")
        for widget, name in ((self.target_value, "zielwert"),
                             (self.target_comment, "zielwert-begruendung"),
                             (self.target_save, "zielwert-speichern")):
            widget.add_class(f"wb-field-{name}")
        self.target_save.on_click(lambda _b: self.submit_target())
        e = self.target_errors
        self.target_box = w.VBox([
            w.HTML("<h2>Zielwert festlegen</h2><p>Ein hier festgelegter Zielwert ersetzt den "
                   "Zielwert des Katalogs; frühere Zielwerte bleiben in der Liste sichtbar.</p>"),
            self.target_value, e["Zielwert"],
            self.target_comment, e["Begründung"], self.target_save, self.target_feedback,
            self.target_history,
        ])

    def _target_text(self, row: dict) -> str:
        """„Zielwert 12 (festgelegt am … von …)“ / „Zielwert 3 (Annahme)“ / ""."""
        stored = self.store.targets(self.traeger.value).filter(
            pl.col("indicator_id") == row["indicator_id"])
        if stored.height:
            t = stored.row(0, named=True)
            return (f"Zielwert {_fmt(t['target'])} ("
                    f"{target_note(t['set_at'].date(), t['set_by'])[len('Zielwert '):]})")
        if row["target"] is None:
            return ""
        return (f"Zielwert {_fmt(row['target'])} (Katalog"
                + (", Annahme" if row.get("target_assumed") else "") + ")")

    def submit_target(self) -> int | None:
        """Validate and store the Zielwert of the selected indicator; return its version."""
        if not self._allowed(current_principal(), "Zielwert", self.target_form):
            return None
        value = None
        errors: dict[str, str] = {}
        if not self.target_value.value.strip():
            errors["Zielwert"] = "Bitte einen Zielwert eingeben, z. B. 12 oder 12,5."
        else:
            value = parse_number(self.target_value.value)
            if value is None:
                errors["Zielwert"] = (f"„{self.target_value.value}“ ist keine Zahl – bitte "
                                      "z. B. 12 oder 12,5 eingeben.")
        row = {"traeger_id": self.traeger.value, "indicator_id": self.indicator.value or "",
               "value": value, "set_by": self._login(),
               "comment": self.target_comment.value.strip()}
        for problem in self.store.check_target(row):
            if problem.column == "Zielwert" and "Zielwert" in errors:
                continue
            errors.setdefault(problem.column, _problem_text(problem))
        if errors:
            self.target_form.fail(errors)
            return None
        try:
            version = self.store.set_target(row["traeger_id"], row["indicator_id"], value,
                                            set_by=row["set_by"], comment=row["comment"],
                                            actor=current_principal())
        except AccessDeniedError as exc:
            self.target_form.fail({}, [str(exc)])
            return None
        self.target_form.ok(
            f"Zielwert {_fmt(value)} gespeichert für {self.indicator.label} (Version "
            f"{version}).")
        self._show_indicator()
        return version

    def _show_target_history(self) -> None:
        row = self._indicators.get(self.indicator.value)
        hist = self.store.target_history(self.traeger.value, self.indicator.value)
        lines = []
        if row is not None and row["target"] is not None:
            lines.append(["Katalog", _fmt(row["target"])
                          + (" (Annahme)" if row.get("target_assumed") else ""), "", "",
                          "Zielwert aus dem Maßnahmenkatalog"])
        for r in hist.sort("version", descending=True).iter_rows(named=True):
            lines.append([f"Version {r['version']}", _fmt(r["target"]), r["set_by"],
                          r["set_at"].strftime("%d.%m.%Y %H:%M"), r["comment"]])
        if not lines:
            self.target_history.value = "<p>Noch kein Zielwert festgelegt.</p>"
            return
        self.target_history.value = _table(
            ["Herkunft", "Zielwert", "Festgelegt von", "Festgelegt am (UTC)", "Begründung"],
            lines, "zielwert-historie")

    # ---- Qualitatives Ziel bewerten ----------------------------------------------------------
    def _build_assessment_form(self, style: dict, wide: w.Layout) -> None:
        narrow = w.Layout(width="360px")
        self.rating = w.Dropdown(options=[("bitte wählen", "")] + [(r, r) for r in RATINGS],
                                 value="", description="Bewertung:", style=style,
                                 layout=narrow)
        self.assessed_on = _field(w.Text, description="Bewertet am:", placeholder="TT.MM.JJJJ",
                                  style=style, layout=narrow)
        self.justification = _field(w.Textarea, description="Begründung:", style=style, layout=wide,
                                        placeholder="z. B. zwei von vier Turnieren mit Bericht")
        self.assessment_save = w.Button(description="Bewertung speichern",
                                        button_style="primary", icon="save",
                                        layout=w.Layout(width="200px", margin="8px 0 0 124px"))
        self.assessment_form = FormErrors({
            "Bewertung": "bewertung", "Bewertet am": "bewertet-am",
            "Begründung": "bewertung-begruendung"})
        self.assessment_errors = self.assessment_form.slots
        self.assessment_feedback = self.assessment_form.feedback
        self.assessment_history = w.HTML("")
        self.assessment_history.add_class("wb-table")
        for widget, name in ((self.rating, "bewertung"), (self.assessed_on, "bewertet-am"),
                             (self.justification, "bewertung-begruendung"),
                             (self.assessment_save, "bewertung-speichern")):
            widget.add_class(f"wb-field-{name}")
        self.assessment_save.on_click(lambda _b: self.submit_assessment())
        e = self.assessment_errors
        self.assessment_box = w.VBox([
            w.HTML("<h2>Qualitatives Ziel bewerten</h2><p>Eine Bewertung wird mit Datum, "
                   "Begründung und Namen gespeichert; frühere Bewertungen bleiben erhalten.</p>"),
            self.rating, e["Bewertung"], self.assessed_on, e["Bewertet am"],
            self.justification, e["Begründung"],
            self.assessment_save, self.assessment_feedback, self.assessment_history,
        ])

    def submit_assessment(self) -> int | None:
        """Validate and store an assessment of the selected indicator; return its version."""
        if not self._allowed(current_principal(), "Bewertung", self.assessment_form):
            return None
        errors: dict[str, str] = {}
        when = _parse_date(self.assessed_on.value)
        if when is None:
            errors["Bewertet am"] = (f"„{self.assessed_on.value}“ ist kein Datum – bitte "
                                     "TT.MM.JJJJ eingeben, z. B. 12.03.2026.")
        if not self.rating.value:
            errors["Bewertung"] = ("Bitte „erreicht“, „teilweise erreicht“ oder „nicht "
                                   "erreicht“ wählen.")
        row = {"traeger_id": self.traeger.value, "indicator_id": self.indicator.value or "",
               "assessed_on": when, "rating": self.rating.value,
               "justification": self.justification.value.strip(),
               "assessed_by": self._login()}
        for problem in self.store.check_assessment(row):
            errors.setdefault(problem.column, _problem_text(problem))
        if errors:
            self.assessment_form.fail(errors)
            return None
        try:
            version = self.store.record_assessment(
                row["traeger_id"], row["indicator_id"], when, row["rating"],
                row["justification"], assessed_by=row["assessed_by"],
                actor=current_principal())
        except AccessDeniedError as exc:
            self.assessment_form.fail({}, [str(exc)])
            return None
        self.assessment_form.ok(
            f"Bewertung „{row['rating']}“ zum {fmt_date(when)} gespeichert (Version "
            f"{version}).")
        self._show_assessments()
        return version

    def _show_assessments(self) -> None:
        hist = self.store.assessments(self.traeger.value, self.indicator.value)
        if hist.height == 0:
            self.assessment_history.value = "<p>Noch nicht bewertet.</p>"
            return
        lines = [[f"Version {r['version']}", fmt_date(r["assessed_on"]), r["rating"],
                  r["justification"], r["assessed_by"], r["entered_at"].strftime("%d.%m.%Y %H:%M")]
                 for r in hist.sort("version", descending=True).iter_rows(named=True)]
        self.assessment_history.value = _table(
            ["Version", "Bewertet am", "Bewertung", "Begründung", "Bewertet von",
             "Erfasst am (UTC)"], lines, "bewertung-historie")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _field(cls: type, **kwargs) -> w.Widget:
    """A text field that sends its value when it is left (blur) or Enter is pressed, not on
    every keystroke. Why: ipywidgets holds back a field's further updates while one is on its
    way to the kernel, but sends a button click at once – a fast "type, then click Speichern"
    (or a slow round trip through the hub) could save the previous value. With one update per
    field, sent when the focus moves to the button, the value always arrives first."""
    return cls(continuous_update=False, **kwargs)


def _fmt(value: float) -> str:
    return fmt_number(value, 2).rstrip("0").rstrip(",")


def _table(head: list[str], rows: list[list[str]], testid: str) -> str:
    return htmlparts.table(head, rows, attrs=f' data-testid="{testid}"')


def _parse_date(text: str) -> dt.date | None:
    from workbench.observations_io import parse_date

    return parse_date(text) if text and text.strip() else None


def _problem_text(problem: Problem) -> str:
    # The store's Problem names its file first; a form user needs the field and what is
    # expected.
    if problem.expected == "nicht leer" and not problem.value:
        return f"{problem.column}: darf nicht leer sein – bitte ausfüllen."
    found = f" „{problem.value}“" if problem.value else ""
    return f"{problem.column}{found}: erwartet {problem.expected}."


def _indicator_label(row: dict) -> str:
    unit = f" ({row['unit']})" if row["unit"] else ""
    massnahme = row["massnahme"]
    if len(massnahme) > 50:
        massnahme = massnahme[:48] + "…"
    nr = f"{row['massnahme_nr']} " if row["massnahme_nr"] else ""
    return f"{row['indicator']}{unit} – Maßnahme {nr}„{massnahme}“"
