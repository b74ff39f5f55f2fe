"""Handlungsfelder and Messwerte erfassen dashboards in headless Chromium."""

from __future__ import annotations

import pytest

from tests.dashboards.conftest import PageRecorder, margins_drawn_vs_set, screenshot
from workbench.catalogue import indicators_frame, load_catalogue
from workbench.dashboards.messwerte import _indicator_label
from workbench.store import ObservationStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_handlungsfelder_tabs_traeger_and_example_label(dashboard_server, context):
    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + "voila/render/handlungsfelder.ipynb")
    page.wait_for_selector("[data-testid=beispieldaten]")
    # overview, first tab's Maßnahme charts, Zeitplan and evaluation
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=90_000
    )
    page.wait_for_timeout(500)
    screenshot(page, "handlungsfelder_sachsenheim")
    assert page.locator("[data-testid=beispieldaten]").inner_text().strip() == (
        "Beispieldaten – keine amtlichen Werte"
    )
    titles = page.locator(".lm-TabBar-tabLabel").all_inner_texts()
    assert titles[:2] == ["Sprache und Bildung", "Arbeits- und Ausbildungsmarkt"]
    assert len(titles) == 4
    text = page.locator(".wb-dashboard").first.inner_text()
    assert "Zeitplan" in text and "Statusänderungen" in text
    # every chart names its source and reference date
    notes = page.eval_on_selector_all(
        ".js-plotly-plot .annotation-text", "els => els.map(e => e.textContent)"
    )
    assert notes and all("Quelle" in n or "Stand" in n or "Landkreis" not in n for n in notes)
    assert any("Stand:" in n for n in notes)
    # room for the Maßnahme names was reserved: each chart was laid out once
    margins = margins_drawn_vs_set(page)
    assert len(margins) >= 4 and all(drawn == given for drawn, given in margins), margins

    # a second tab is built when opened
    before = page.locator(".js-plotly-plot").count()
    page.locator(".lm-TabBar-tab").nth(1).click()
    page.wait_for_function(
        "(n) => document.querySelectorAll('.js-plotly-plot').length > n", arg=before
    )

    # another Träger: tab titles follow its catalogue
    page.locator(".wb-traeger select").select_option(label="Landkreis Ludwigsburg")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lm-TabBar-tabLabel')].some("
        "t => t.textContent.includes('Austausch und Information'))"
    )
    screenshot(page, "handlungsfelder_landkreis")
    assert rec.errors == []
    assert rec.external_requests() == []
    page.close()


def test_messwerte_form_rejects_bad_and_stores_good_values(dashboard_server, context, store_db):
    page = context.new_page()
    rec = PageRecorder(page)
    page.goto(dashboard_server.base_url + "voila/render/messwerte_erfassen.ipynb")
    page.wait_for_selector(".wb-field-speichern")
    frame = indicators_frame(load_catalogue("sachsenheim"))
    row = frame.filter(frame["indicator_id"] == "anzahl-sprachkurse").row(0, named=True)
    page.locator(".wb-field-indikator select").select_option(label=_indicator_label(row))
    page.locator(".wb-field-stichtag input").fill("31.12.2025")
    page.locator(".wb-field-quelle input").fill("Kursträgerstatistik")
    save = page.locator(".wb-field-speichern")

    page.locator(".wb-field-wert input").fill("zwölf")
    save.click()
    page.wait_for_selector("#wb-fehler-wert")  # the error under the field
    assert "„zwölf“ ist keine Zahl" in page.locator("#wb-fehler-wert").inner_text()

    page.locator(".wb-field-wert input").fill("-3")
    save.click()
    page.wait_for_function(
        "() => document.getElementById('wb-fehler-wert')?.innerText.includes('ganze Zahl')"
    )
    screenshot(page, "messwerte_fehler")
    store = ObservationStore(store_db)
    assert store.history("sachsenheim", "anzahl-sprachkurse").height == 0

    page.locator(".wb-field-wert input").fill("12")
    save.click()
    page.wait_for_selector(".wb-ok")
    assert "(Version 1)" in page.locator(".wb-ok").inner_text()
    current = store.current("sachsenheim").filter(
        store.current("sachsenheim")["indicator_id"] == "anzahl-sprachkurse"
    )
    assert current.height == 1
    row = current.row(0, named=True)
    assert row["value"] == 12 and row["entered_by"] == "Test Browser"
    assert row["source"] == "Kursträgerstatistik" and str(row["period"]) == "2025-12-31"

    # a correction is a new version; the old one stays and both appear in the history
    page.locator(".wb-field-wert input").fill("13")
    page.locator(".wb-field-kommentar textarea").fill("Korrektur: ein Kurs nachgemeldet")
    save.click()
    page.wait_for_function(
        "() => document.querySelector('.wb-ok')?.innerText.includes('Version 2')"
    )
    history = store.history("sachsenheim", "anzahl-sprachkurse")
    assert history["version"].to_list() == [1, 2]
    assert history["value"].to_list() == [12, 13]
    rows = page.locator("[data-testid=history] tbody tr")
    assert rows.count() == 2
    assert "Korrektur: ein Kurs nachgemeldet" in rows.nth(0).inner_text()
    screenshot(page, "messwerte_gespeichert")
    assert rec.errors == []
    assert rec.external_requests() == []
    page.close()


def test_closing_the_tab_shuts_its_kernel_down(dashboard_server, context):
    """The page's beforeunload beacon frees the kernel at once (plain Voila answers it with
    403, the kernel then lives until culled; culling here is 600 s, far beyond this test)."""
    from tests.dashboards.conftest import wait_until

    page = context.new_page()
    page.goto(dashboard_server.base_url + "voila/render/handlungsfelder.ipynb")
    page.wait_for_selector(".wb-traeger select")  # (Beispieldaten or not: tests share a store)
    kernel = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    assert f"Kernel shutdown: {kernel}" not in dashboard_server.output()
    page.close(run_before_unload=True)
    assert wait_until(lambda: f"Kernel shutdown: {kernel}" in dashboard_server.output(),
                      timeout=20), dashboard_server.output()[-2000:]
