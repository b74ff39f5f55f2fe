"""workbench.htmlparts: escaped tables and key figures for reports and dashboards."""

from __future__ import annotations

from workbench import htmlparts


def test_esc():
    assert htmlparts.esc("<a & 'b'>") == "&lt;a &amp; &#x27;b&#x27;&gt;"
    assert htmlparts.esc(None) == ""
    assert htmlparts.esc(3) == "3"


def test_table_escapes_and_marks_numeric_columns():
    out = htmlparts.table(["Gemeinde", "Anteil <%>"], [["<script>", "12,5"], [None, "1"]],
                          numeric={1}, caption="Quelle: A & B", attrs=' class="wb-table"')
    assert out == (
        '<table class="wb-table"><caption>Quelle: A &amp; B</caption><thead><tr>'
        "<th scope=\"col\">Gemeinde</th><th scope=\"col\">Anteil &lt;%&gt;</th></tr></thead><tbody>"
        '<tr><td>&lt;script&gt;</td><td class="num">12,5</td></tr>'
        '<tr><td></td><td class="num">1</td></tr></tbody></table>'
    )


def test_table_without_caption():
    assert htmlparts.table(["A"], []) == (
        "<table><thead><tr><th scope=\"col\">A</th></tr></thead><tbody></tbody></table>")


def test_kpis():
    assert htmlparts.kpi_tile("12,5 %", "Anteil <Zensus>") == (
        '<div class="wb-kpi"><div class="v">12,5 %</div>'
        '<div class="l">Anteil &lt;Zensus&gt;</div></div>')
    card = htmlparts.kpi_card("Einwohner", "1.234", note="Stand 31.12.2024", test_id="ew")
    assert card == (
        '<div class="wb-kpi"><div class="wb-kpi-label">Einwohner</div>'
        '<div class="wb-kpi-value" data-testid="ew">1.234</div>'
        '<div class="wb-kpi-note">Stand 31.12.2024</div></div>')
    assert "wb-kpi-note" not in htmlparts.kpi_card("a", "b")


def test_report_and_dashboard_helpers_use_it():
    from workbench.dashboards import base

    assert base.kpi is htmlparts.kpi_card
