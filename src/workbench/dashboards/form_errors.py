"""Form errors tied to their fields (WCAG 2.1: 3.3.1, 3.3.3, 4.1.2, 4.1.3).

ipywidgets cannot set ARIA attributes on their inputs. :class:`FormFeedback` is a small
anywidget (its JavaScript ships in this module, no browser code reaches the kernel: it only
reads its own model) that, after each submit:

* marks every invalid field's control (``input``/``select``/``textarea`` inside the widget
  with class ``wb-field-<name>``) with ``aria-invalid="true"`` and
  ``aria-describedby="wb-fehler-<name>"`` – the German error text shown right under the field
  by :class:`FormErrors` – and removes both marks from all other fields of the form;
* moves the focus to the first invalid field (or to the summary when no field is to blame);
* shows the summary in a ``role="alert"`` box (errors) or the confirmation in a
  ``role="status"`` box (saved). Both boxes stay in the page and only change their text,
  which is what makes screen readers announce them.

:class:`FormErrors` is the kernel side: one error slot per field, ``fail``/``ok`` per submit.
"""

from __future__ import annotations

import html

import anywidget
import ipywidgets as w
import traitlets

# Left indent of the error texts: under the input, not under the 120 px description.
_INDENT = "124px"


class FormFeedback(anywidget.AnyWidget):
    """Summary/confirmation of one form and the ARIA marks of its fields (see module doc)."""

    _esm = """
    const CONTROL = "input, select, textarea";
    function render({ model, el }) {
      const alert = document.createElement("div");
      alert.setAttribute("role", "alert");
      alert.tabIndex = -1;  // focus target when no single field is to blame
      const status = document.createElement("div");
      status.setAttribute("role", "status");
      el.append(alert, status);
      const control = (name) => {
        const box = document.querySelector(".wb-field-" + name);
        return box && (box.matches(CONTROL) ? box : box.querySelector(CONTROL));
      };
      const show = () => {
        const kind = model.get("kind"), text = model.get("text") || "";
        alert.textContent = kind === "error" ? text : "";
        status.textContent = kind === "error" ? "" : text;
        alert.className = "wb-form-alert" + (kind === "error" && text
          ? " wb-message wb-error" : "");
        status.className = "wb-form-status" + (kind !== "error" && text
          ? " wb-message" + (kind === "ok" ? " wb-ok" : "") : "");
      };
      // Marks every field of the form; true when all invalid fields found their error text
      // (the error texts are other widgets whose updates may arrive a moment later).
      const mark = () => {
        const invalid = model.get("invalid");
        let complete = true;
        for (const name of model.get("fields")) {
          const input = control(name);
          if (!input) { complete = complete && !invalid.includes(name); continue; }
          const id = "wb-fehler-" + name;
          const others = (input.getAttribute("aria-describedby") || "").split(" ")
            .filter((t) => t && t !== id);
          const error = document.getElementById(id);
          if (invalid.includes(name) && error && error.textContent.trim()) {
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", [id, ...others].join(" "));
          } else {
            if (invalid.includes(name)) { complete = false; }
            input.removeAttribute("aria-invalid");
            if (others.length) { input.setAttribute("aria-describedby", others.join(" ")); }
            else { input.removeAttribute("aria-describedby"); }
          }
        }
        return complete;
      };
      const submitted = () => {
        show();
        let tries = 0;
        const settle = () => {
          if (!mark() && ++tries < 40) { setTimeout(settle, 50); return; }
          if (model.get("kind") !== "error") { return; }
          const first = model.get("invalid").map(control).find(Boolean);
          (first || alert).focus();
        };
        setTimeout(settle, 0);
      };
      show();
      setTimeout(mark, 0);
      model.on("change:seq", submitted);
      model.on("change:text", show);
    }
    export default { render };
    """
    fields = traitlets.List(traitlets.Unicode()).tag(sync=True)  # every field, form order
    invalid = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the invalid ones
    text = traitlets.Unicode("").tag(sync=True)
    kind = traitlets.Unicode("").tag(sync=True)  # "error" | "ok" | "" (information)
    seq = traitlets.Int(0).tag(sync=True)  # one per submit: the same errors refocus again


class FormErrors:
    """Error slots (``w.HTML`` under each field) and the :class:`FormFeedback` of one form.

    ``fields`` maps the store's column label (``Problem.column``, e.g. „Stichtag“) to the
    field's class name part (``wb-field-stichtag`` → ``"stichtag"``), in form order.
    """

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        self.slots = {column: w.HTML("") for column in self.fields}
        self.feedback = FormFeedback(fields=list(self.fields.values()))

    def slot(self, column: str) -> w.HTML:
        """The error text widget to place right under the field of ``column``."""
        return self.slots[column]

    def fail(self, errors: dict[str, str], other: list[str] | None = None) -> None:
        """Show ``errors`` (column → German text) at their fields, ``other`` (problems of no
        field) in the summary, mark the fields and move the focus to the first one."""
        for column, slot in self.slots.items():
            text = errors.get(column)
            slot.value = "" if text is None else (
                f'<div class="wb-message wb-error wb-field-error" id="wb-fehler-'
                f'{self.fields[column]}" style="margin-left:{_INDENT}">{html.escape(text)}</div>')
        at_fields = [c for c in self.fields if c in errors]
        rest = [t for c, t in errors.items() if c not in self.fields] + list(other or [])
        if at_fields:
            names = ", ".join(f"„{c}“" for c in at_fields)
            which = "das Feld" if len(at_fields) == 1 else "die Felder"
            summary = f"Nicht gespeichert: bitte {which} {names} prüfen (Hinweis unter dem Feld)."
        else:
            summary = "Nicht gespeichert."
        if rest:
            # a refusal of the store says "… nicht gespeichert: …" itself
            summary = " ".join(rest) if not at_fields and "nicht gespeichert" in rest[0] \
                else summary + " " + " ".join(rest)
        with self.feedback.hold_sync():
            self.feedback.invalid = [self.fields[c] for c in at_fields]
            self.feedback.kind = "error"
            self.feedback.text = summary
            self.feedback.seq += 1

    def ok(self, text: str) -> None:
        """Clear every error and mark; announce ``text`` (e.g. „Gespeichert: …“)."""
        self._clear()
        with self.feedback.hold_sync():
            self.feedback.invalid = []
            self.feedback.kind = "ok"
            self.feedback.text = text
            self.feedback.seq += 1

    def info(self, text: str, kind: str = "") -> None:
        """A message that is no submit result (e.g. unknown Träger in the link): no focus
        move; ``kind="error"`` shows it as an alert."""
        self._clear()
        with self.feedback.hold_sync():
            self.feedback.invalid = []
            self.feedback.kind = kind
            self.feedback.text = text

    def _clear(self) -> None:
        for slot in self.slots.values():
            slot.value = ""
