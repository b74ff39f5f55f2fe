"""„Messwerte erfassen“ by keyboard only: form errors tied to their fields (WCAG 2.1 3.3.1,
3.3.3, 4.1.2, 4.1.3), in headless Chromium.

Each form is filled with Tab, typing and Enter/Space only. A failed submit must mark every
invalid input with ``aria-invalid="true"`` and ``aria-describedby`` → the German error text
under it, move the focus to the first invalid input and announce the summary
(``role="alert"``); axe-core finds nothing in that state. After the fix the marks are gone and
the confirmation is in the ``role="status"`` region.
"""

from __future__ import annotations

import pytest

from tests.dashboards.conftest import PageRecorder, screenshot
from tests.dashboards.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = "voila/render/messwerte_erfassen.ipynb"
# this test's indicators (other browser tests write anzahl-sprachkurse to the shared store)
COUNT, QUAL = "teilnehmende-a2", "engagement-berichte"


@pytest.fixture(scope="module")
def axe_source() -> str:
    from tests.dashboards.test_accessibility import _require_axe

    return _require_axe()


def control(name: str) -> str:
    return f".wb-field-{name} :is(input, select, textarea)"


def tab_to(page, css: str, limit: int = 60) -> None:
    """Press Tab until the focus is on ``css`` (keyboard only, like a user without mouse)."""
    for _ in range(limit):
        if page.evaluate("(css) => document.activeElement?.matches(css) ?? false", css):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{css} nicht per Tab erreichbar")


def type_into(page, name: str, text: str) -> None:
    # ASCII only: Playwright types „ö“ with CDP Input.insertText, which in the widget inputs
    # leaves the caret at the start („zwölf“ arrives as „lfzwö“; not seen on a plain page).
    tab_to(page, control(name))
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def field_state(page, name: str) -> dict:
    """aria-invalid of a field, the text its aria-describedby points to, focus on it."""
    return page.evaluate(
        """(css) => {
          const e = document.querySelector(css);
          const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
          return {invalid: e.getAttribute('aria-invalid'),
                  described: ids.map(i => document.getElementById(i)?.textContent || '#' + i)
                                .join(' | '),
                  focused: e === document.activeElement};
        }""",
        control(name),
    )


def wait_focus(page, name: str) -> None:
    page.wait_for_function("(css) => document.activeElement?.matches(css)", arg=control(name))


def wait_status(page, *parts: str) -> None:
    """Wait for a confirmation containing ``parts`` in a ``role="status"`` region; on timeout
    fail with what the page shows instead (alert texts, field values)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "(parts) => [...document.querySelectorAll('[role=status]')].some("
            "e => parts.every(p => e.textContent.includes(p)))", arg=list(parts), timeout=45_000)
    except PlaywrightTimeout:
        state = page.evaluate(
            "() => ({alerts: [...document.querySelectorAll('[role=alert], [role=status]')]"
            ".map(e => e.textContent), values: [...document.querySelectorAll("
            "'[class*=wb-field-] input, [class*=wb-field-] select, [class*=wb-field-] textarea')]"
            ".map(e => e.closest('[class*=wb-field-]').className.match(/wb-field-[\\w-]+/)[0]"
            " + '=' + e.value)})")
        raise AssertionError(f"keine Bestätigung {parts}: {state}") from None


def form_marks(page, names: list[str]) -> list[dict]:
    return [field_state(page, n) | {"name": n} for n in names]


def test_entry_forms_keyboard_only_errors_tied_to_fields(dashboard_server, context, store_db,
                                                         axe_source):
    from workbench.store import ObservationStore

    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + PAGE)
    page.wait_for_selector(".wb-field-speichern", timeout=120_000)
    page.wait_for_timeout(500)

    # ---- observation form: an impossible Stichtag and text in the number field ------------
    tab_to(page, control("indikator"))
    page.keyboard.press("ArrowDown")  # 2nd indicator: anzahl-sprachkurse
    page.keyboard.press("ArrowDown")  # 3rd: teilnehmende-a2 (Anzahl)
    page.wait_for_function(
        "() => document.querySelector('.wb-field-zielwert')?.offsetParent !== null")
    type_into(page, "stichtag", "31.12.1899")
    type_into(page, "wert", "zwanzig")
    type_into(page, "quelle", "Kursstatistik")
    tab_to(page, ".wb-field-speichern")
    page.keyboard.press("Enter")
    wait_focus(page, "stichtag")

    stichtag, wert = field_state(page, "stichtag"), field_state(page, "wert")
    assert stichtag["invalid"] == "true" and stichtag["focused"], stichtag
    assert "außerhalb des erlaubten Zeitraums" in stichtag["described"], stichtag
    assert "01.01.1990" in stichtag["described"], stichtag
    assert wert["invalid"] == "true" and "„zwanzig“ ist keine Zahl" in wert["described"], wert
    for other in ("quelle", "notiz", "kommentar"):
        assert field_state(page, other)["invalid"] is None, other
    # the error text is visible next to the field, not only in the summary
    assert page.locator("#wb-fehler-stichtag").is_visible()
    summary = page.locator("[role=alert].wb-form-alert").first
    assert "Nicht gespeichert" in summary.inner_text()
    assert "„Stichtag“, „Wert“" in summary.inner_text()
    shot = screenshot(page, "messwerte_formular_fehler")
    print(f"\nFehlerzustand: {shot}")
    assert axe_violations(page, axe_source) == []
    store = ObservationStore(store_db)
    assert store.history("sachsenheim", COUNT).height == 0

    # a second failed submit with the same fields moves the focus back to the first one
    type_into(page, "wert", "-3")
    tab_to(page, ".wb-field-speichern")
    page.keyboard.press("Space")
    wait_focus(page, "stichtag")
    page.wait_for_function(
        "() => document.getElementById('wb-fehler-wert')?.textContent.includes('ganze Zahl')")
    assert field_state(page, "wert")["invalid"] == "true"

    # fixed: the focus is on the Stichtag already
    page.keyboard.press("Control+A")
    page.keyboard.type("31.12.2025")
    type_into(page, "wert", "7")
    tab_to(page, ".wb-field-speichern")
    page.keyboard.press("Enter")
    status = page.locator("[role=status].wb-form-status").first
    wait_status(page, "Gespeichert:", "Version 1")
    assert "31.12.2025" in status.inner_text()
    marks = form_marks(page, ["stichtag", "wert", "quelle"])
    assert all(m["invalid"] is None and m["described"] == "" for m in marks), marks
    assert page.locator(".wb-field-error").count() == 0
    assert summary.inner_text() == ""
    assert store.history("sachsenheim", COUNT)["value"].to_list() == [7.0]

    # ---- Zielwert form: text instead of a number, required fields empty --------------------
    type_into(page, "zielwert", "vierzig")
    tab_to(page, ".wb-field-zielwert-speichern")
    page.keyboard.press("Enter")
    wait_focus(page, "zielwert")
    marks = form_marks(page, ["zielwert", "zielwert-begruendung"])
    assert all(m["invalid"] == "true" for m in marks), marks
    assert "keine Zahl" in marks[0]["described"], marks
    assert all("nicht leer" in m["described"] for m in marks[1:]), marks
    assert axe_violations(page, axe_source) == []
    type_into(page, "zielwert", "40")
    type_into(page, "zielwert-begruendung", "Beschluss AG Sprache")
    tab_to(page, ".wb-field-zielwert-speichern")
    page.keyboard.press("Space")
    wait_status(page, "Zielwert 40 gespeichert")
    marks = form_marks(page, ["zielwert", "zielwert-begruendung"])
    assert all(m["invalid"] is None for m in marks), marks
    assert store.targets("sachsenheim")["indicator_id"].to_list() == [COUNT]

    # ---- assessment of a qualitative indicator: no rating, impossible date -----------------
    tab_to(page, control("indikator"))
    page.keyboard.press("End")  # last indicator: engagement-berichte (qualitativ)
    page.wait_for_function(
        "() => document.querySelector('.wb-field-bewertung')?.offsetParent !== null")
    type_into(page, "bewertet-am", "31.02.2026")
    tab_to(page, ".wb-field-bewertung-speichern")
    page.keyboard.press("Enter")
    wait_focus(page, "bewertung")  # the first invalid field is the rating (a select)
    marks = form_marks(page, ["bewertung", "bewertet-am", "bewertung-begruendung"])
    assert all(m["invalid"] == "true" for m in marks), marks
    assert "wählen" in marks[0]["described"] and "kein Datum" in marks[1]["described"], marks
    assert axe_violations(page, axe_source) == []
    page.keyboard.press("ArrowDown")  # „erreicht“
    type_into(page, "bewertet-am", "12.03.2026")
    type_into(page, "bewertung-begruendung", "Zwei Berichte im Gemeindeblatt")
    tab_to(page, ".wb-field-bewertung-speichern")
    page.keyboard.press("Enter")
    wait_status(page, "Bewertung „erreicht“ zum 12.03.2026 gespeichert")
    marks = form_marks(page, ["bewertung", "bewertet-am", "bewertung-begruendung"])
    assert all(m["invalid"] is None for m in marks), marks
    assert store.assessments("sachsenheim", QUAL)["rating"].to_list() == ["erreicht"]
    assert rec.errors == []
    page.close()
