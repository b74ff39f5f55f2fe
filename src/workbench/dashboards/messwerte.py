"""Dashboard „Messwerte erfassen“: a form that writes to the observation store.

Validation is the store's own (``ObservationStore.check``/``record``: catalogue kinds, ranges,
required audit fields); this module parses the German input (``12,5``; ``31.12.2025``) with
``workbench.observations_io`` and shows the result in German. Values are never overwritten:
every save is a new version (``record``), shown in the history table.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as w

from workbench import catalogue as cat
from workbench.dashboards.base import header, message, query_params, source_line
from workbench.formatting import MISSING, fmt_date, fmt_number
from workbench.observations_io import parse_number
from workbench.store import ObservationStore
from workbench.validation import DataValidationError, Problem

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
        self.period = w.Text(
            description="Stichtag:",
            placeholder="TT.MM.JJJJ, z. B. 31.12.2025",
            style=style,
            layout=w.Layout(width="360px"),
        )
        self.value = w.Text(
            description="Wert:",
            placeholder="z. B. 12 oder 12,5",
            style=style,
            layout=w.Layout(width="360px"),
        )
        self.note = w.Textarea(
            description="Notiz:",
            placeholder="für qualitative Indikatoren",
            style=style,
            layout=wide,
        )
        self.source = w.Text(
            description="Quelle:", placeholder="z. B. Kursträgerstatistik", style=style, layout=wide
        )
        self.entered_by = w.Text(
            description="Erfasst von:",
            placeholder="Name",
            style=style,
            layout=w.Layout(width="360px"),
        )
        self.comment = w.Textarea(
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
        self.feedback = w.HTML("")
        self.history = w.HTML("")
        self.history.add_class("wb-table")
        for widget, name in (
            (self.traeger, "traeger"),
            (self.indicator, "indikator"),
            (self.period, "stichtag"),
            (self.value, "wert"),
            (self.note, "notiz"),
            (self.source, "quelle"),
            (self.entered_by, "erfasst-von"),
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
                self.kind_hint,
                self.period,
                self.value,
                self.note,
                self.source,
                self.entered_by,
                self.comment,
                self.save,
                self.feedback,
                w.HTML("<h3>Bisherige Werte dieses Indikators (alle Versionen)</h3>"),
                self.history,
            ],
            layout=w.Layout(max_width="1240px", padding="0 8px"),
        )
        self.widget.add_class("wb-dashboard")
        self._load_indicators()

    @classmethod
    def from_request(cls) -> MesswerteErfassenDashboard:
        dashboard = cls()
        wanted = query_params().get("traeger")
        if wanted:
            if wanted in dashboard.catalogues:
                dashboard.traeger.value = wanted
            else:
                dashboard.feedback.value = message(
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
        target = "" if row["target"] is None else f"; Zielwert {fmt_number(row['target'], 0)}"
        self.kind_hint.value = (
            f'<div class="wb-figure-label" style="margin-left:124px">Erwartet: '
            f"{html.escape(KIND_HINT.get(row['kind'], row['kind']))}{html.escape(target)}</div>"
        )
        self._show_history()

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
            rows.append(
                "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
            )
        head = "".join(
            f"<th>{h}</th>"
            for h in (
                "Stichtag",
                "Version",
                "Wert",
                "Notiz",
                "Quelle",
                "Erfasst von",
                "Erfasst am (UTC)",
                "Kommentar",
                "Hinweis",
            )
        )
        self.history.value = (
            f'<table data-testid="history"><thead><tr>{head}</tr></thead><tbody>'
            f"{''.join(rows)}</tbody></table>"
            + source_line(
                f"Messwertspeicher {self.store.path.name}, Stand {fmt_date(dt.date.today())}"
            )
        )

    # ---- submit --------------------------------------------------------------------------
    def parse(self) -> tuple[dict | None, list[str]]:
        """Form fields -> keyword arguments of ``ObservationStore.record`` and German errors."""
        errors: list[str] = []
        period = _parse_date(self.period.value)
        if period is None:
            errors.append(
                f"Stichtag „{self.period.value}“ ist kein Datum – bitte TT.MM.JJJJ "
                "eingeben, z. B. 31.12.2025."
            )
        value = None
        if self.value.value.strip():
            value = parse_number(self.value.value)
            if value is None:
                errors.append(
                    f"Wert „{self.value.value}“ ist keine Zahl – bitte z. B. 12 oder 12,5 eingeben."
                )
        row = {
            "traeger_id": self.traeger.value,
            "indicator_id": self.indicator.value or "",
            "period": period,
            "value": value,
            "note": self.note.value.strip() or None,
            "entered_by": self.entered_by.value.strip(),
            "source": self.source.value.strip(),
            "comment": self.comment.value.strip(),
        }
        if not errors:
            errors += [_problem_text(p) for p in self.store.check(row)]
        return (None if errors else row), errors

    def submit(self) -> int | None:
        """Validate and store; return the stored version, or ``None`` (errors shown)."""
        row, errors = self.parse()
        if errors:
            self.feedback.value = message("Nicht gespeichert: " + " ".join(errors), "error")
            return None
        try:
            version = self.store.record(**row)
        except DataValidationError as exc:
            lines = [_problem_text(p) for p in exc.problems]
            self.feedback.value = message("Nicht gespeichert: " + " ".join(lines), "error")
            return None
        what = "Korrektur gespeichert" if version > 1 else "Gespeichert"
        self.feedback.value = message(
            f"{what}: {self.indicator.label} am {fmt_date(row['period'])} (Version {version}).",
            "ok",
        )
        self._show_history()
        return version

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _parse_date(text: str) -> dt.date | None:
    from workbench.observations_io import parse_date

    return parse_date(text) if text and text.strip() else None


def _problem_text(problem: Problem) -> str:
    # The store's Problem names its file first; a form user needs the field and what is
    # expected.
    found = f" „{problem.value}“" if problem.value else ""
    return f"{problem.column}{found}: erwartet {problem.expected}."


def _indicator_label(row: dict) -> str:
    unit = f" ({row['unit']})" if row["unit"] else ""
    massnahme = row["massnahme"]
    if len(massnahme) > 50:
        massnahme = massnahme[:48] + "…"
    nr = f"{row['massnahme_nr']} " if row["massnahme_nr"] else ""
    return f"{row['indicator']}{unit} – Maßnahme {nr}„{massnahme}“"
