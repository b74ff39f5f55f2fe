"""Two people in their browsers through the hub (issue 13): a Sachsenheim editor and a
manager, in headless Chromium, logging in on the German hub login page.

The editor saves a Sachsenheim value (the store shows their login) and is refused for
Ludwigsburg with a German message; the manager sees every dashboard and report and no entry
form. Checked with axe-core (WCAG 2.1 A/AA) on the login page, the start page and the refused
form; logout ends access.
"""

from __future__ import annotations

import pytest

from workbench.store import ObservationStore

from ..dashboards.test_accessibility import _require_axe, axe_violations
from .conftest import PASSWORD, SERVICE, RunningHub

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def axe(page) -> list[dict]:
    return axe_violations(page, _require_axe())


def log_in(page, hub: RunningHub, user: str) -> None:
    page.goto(f"{hub.url}{SERVICE}")  # not logged in: the hub's login page
    page.wait_for_selector("#username_input")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert "Anmeldung" in page.title()
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_selector("[data-testid=login]")
    assert page.locator("[data-testid=login]").inner_text() == user


def test_login_page_is_german_and_accessible(context, hub: RunningHub):
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.wait_for_selector("#username_input")
    assert page.locator("label[for=username_input]").inner_text().startswith("Benutzername")
    assert axe(page) == []
    page.fill("#username_input", "e.mueller")
    page.fill("#password_input", "falsches-passwort")
    page.click("#login_submit")
    page.wait_for_selector(".login_error")
    assert "Anmeldung fehlgeschlagen" in page.locator(".login_error").inner_text()
    assert axe(page) == []


def choose(page, field: str, label: str) -> None:
    page.locator(f".wb-field-{field} select").select_option(label=label)


# a count indicator of each Träger (catalogues in data/catalogues)
COUNTS = {"Stadt Sachsenheim": ("sachsenheim", "anzahl-sprachkurse"),
          "Stadt Ludwigsburg": ("ludwigsburg", "wil-paten")}


def fill_and_save(page, traeger: str, value: str) -> None:
    from workbench.catalogue import indicators_frame, load_catalogue
    from workbench.dashboards.messwerte import _indicator_label

    traeger_id, indicator = COUNTS[traeger]
    frame = indicators_frame(load_catalogue(traeger_id))
    label = _indicator_label(frame.filter(frame["indicator_id"] == indicator).row(0, named=True))
    choose(page, "traeger", traeger)
    # the indicator list follows the Träger (a round trip to the kernel)
    page.wait_for_function(
        "(id) => [...document.querySelectorAll('.wb-field-indikator option')]"
        ".some(o => o.textContent.replace(/\\u00a0/g, ' ').startsWith(id))", arg=label[:30])
    choose(page, "indikator", label)
    page.locator(".wb-field-stichtag input").fill("31.12.2024")
    page.locator(".wb-field-wert input").fill(value)
    page.locator(".wb-field-quelle input").fill("Browsertest")
    page.locator(".wb-field-speichern").click()


def test_editor_saves_own_traeger_and_is_refused_elsewhere(context, hub: RunningHub):
    page = context.new_page()
    log_in(page, hub, "e.mueller")
    # after the login, every file of the dashboards loads (fonts come in CORS mode and must
    # not be sent to the login again: the icons would be missing)
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}")
            if SERVICE in r.url and r.status >= 300 else None)
    assert "Sie können Messwerte erfassen für: sachsenheim" in page.content()
    assert axe(page) == []
    page.click("text=Messwerte erfassen")
    page.wait_for_selector(".wb-field-speichern")
    who = page.locator(".wb-field-angemeldet").inner_text()
    assert "Gespeichert wird unter Ihrem Anmeldenamen" in who
    assert page.locator(".wb-field-erfasst-von").count() == 0  # no typed names any more
    page.wait_for_function("() => [...document.fonts].some(f => f.family.includes('Font "
                           "Awesome') && f.status === 'loaded')")
    assert broken == [], broken

    fill_and_save(page, "Stadt Sachsenheim", "31")
    page.wait_for_selector(".wb-ok")
    assert "Gespeichert" in page.locator(".wb-ok").inner_text()
    store = ObservationStore(hub.store)
    saved = store.history("sachsenheim")
    assert saved.filter(saved["value"] == 31.0)["entered_by"].to_list() == ["e.mueller"]
    # the history table on the page names the login, too
    assert "e.mueller" in page.locator("[data-testid=history]").inner_text()

    before = store.refused_writes().height
    fill_and_save(page, "Stadt Ludwigsburg", "8")
    alert = page.locator("[role=alert].wb-form-alert").first
    page.wait_for_function(
        "() => [...document.querySelectorAll('[role=alert]')]"
        ".some(e => e.textContent.includes('nicht schreiben'))")
    assert "„e.mueller“ darf für den Träger „ludwigsburg“ nicht schreiben" in alert.inner_text()
    ludwigsburg = store.history("ludwigsburg")
    assert ludwigsburg.filter(ludwigsburg["entered_by"] == "e.mueller").height == 0
    assert store.refused_writes().height == before + 1
    assert axe(page) == []


def test_manager_reads_and_cannot_open_the_form(context, hub: RunningHub):
    page = context.new_page()
    log_in(page, hub, "l.chef")
    assert page.locator("text=Messwerte erfassen").count() == 0
    assert axe(page) == []
    page.click("text=Berichte (HTML und PDF)")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Berichte 2025"
    page.go_back()
    page.click("text=Handlungsfelder")
    page.wait_for_selector(".wb-dashboard", timeout=120_000)
    response = page.goto(f"{hub.url}{SERVICE}voila/render/messwerte_erfassen.ipynb")
    assert response.status == 403 and "Nur lesen" in page.content()
    # cookies as the browser keeps them
    cookies = {c["name"]: c for c in context.cookies()}
    for name in ("jupyterhub-hub-login", "service-dashboards"):
        assert cookies[name]["httpOnly"] and cookies[name]["sameSite"] in ("Lax", "Strict")
    # logout ends access
    page.goto(f"{hub.url}{SERVICE}")
    page.click("text=Abmelden")
    page.wait_for_load_state()
    page.goto(f"{hub.url}{SERVICE}")
    page.wait_for_selector("#username_input")
    assert page.locator("[data-testid=login]").count() == 0


def test_kreis_integration_writes_for_every_traeger(context, hub: RunningHub):
    page = context.new_page()
    log_in(page, hub, "k.koordi")
    assert "Sie können Messwerte erfassen für: alle Träger" in page.content()
    assert page.locator("text=JupyterLab (eigener Server)").count() == 1
    page.click("text=Messwerte erfassen")
    page.wait_for_selector(".wb-field-speichern")
    fill_and_save(page, "Stadt Ludwigsburg", "12")
    page.wait_for_selector(".wb-ok")
    saved = ObservationStore(hub.store).history("ludwigsburg")
    assert saved.filter(saved["value"] == 12.0)["entered_by"].to_list() == ["k.koordi"]


def test_analyst_reads_and_opens_own_jupyterlab(context, hub: RunningHub):
    page = context.new_page()
    log_in(page, hub, "a.nalyst")
    content = page.content()
    assert "nichts ändern" in content and "Messwerte erfassen" not in content
    page.click("text=JupyterLab (eigener Server)")
    # the hub starts the server (spawn page), then JupyterLab itself loads
    page.wait_for_url("**/user/a.nalyst/lab**", timeout=180_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=180_000)


def test_admin_has_the_hub_admin_page_and_others_do_not(context, hub: RunningHub):
    page = context.new_page()
    log_in(page, hub, "admin.it")
    assert "nichts ändern" in page.content()
    response = page.goto(f"{hub.url}/hub/admin")
    assert response.status == 200
    other = context.browser.new_context()
    try:
        p2 = other.new_page()
        log_in(p2, hub, "l.chef")
        assert p2.goto(f"{hub.url}/hub/admin").status == 403
    finally:
        other.close()
