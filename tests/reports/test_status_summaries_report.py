"""The Handlungsfelder section of a rendered report counts every indicator, explains the
statuses once and shows assessments and stored Zielwerte (issue 12, item 1)."""

from __future__ import annotations

import datetime as dt
import os
import re

from tests.reports.test_quellen_annahmen import isolated, render, text_of  # noqa: F401
from workbench import progress as pr


def test_sachsenheim_report_counts_everything_and_explains(render):  # noqa: F811
    from workbench.observation import Observation
    from workbench.store import ObservationStore

    store = ObservationStore(os.environ["WORKBENCH_DB"])  # tmp (fixture ``isolated``)
    store.record(Observation("sachsenheim", "anzahl-sprachkurse", dt.date(2024, 12, 31), 3,
                             entered_by="t", source="Kursstatistik"))
    store.record(Observation("sachsenheim", "anzahl-sprachkurse", dt.date(2025, 6, 30), 5,
                             entered_by="t", source="Kursstatistik"))
    store.set_target("sachsenheim", "arbeitgeberkontakte", 12,
                     set_by="K. Koordi", comment="Beschluss AG 2")
    store.record_assessment("sachsenheim", "turnier-berichte", dt.date(2025, 11, 3),
                            "teilweise erreicht", "Zwei Berichte im Amtsblatt",
                            assessed_by="K. Koordi")
    store.close()
    _, html = render("Sachsenheim", "handlungsfelder")
    text = text_of(html)
    # every indicator counted, with the distribution in words
    assert "Insgesamt 32 Indikatoren:" in text
    assert re.search(r"9 Indikatoren: \d+ erreicht, \d+ im Plan, \d+ gefährdet, \d+ verzögert, "
                     r"\d+ keine Daten, 1 ohne Zielwert", text)
    # never a percentage over a silently reduced base
    assert "100 %" not in text and "im Plan oder erreicht (%)" not in text
    # explanations once, as a legend
    assert text.count(pr.STATUS_EXPLANATIONS["keine Daten"]) == 1
    assert text.count(pr.STATUS_EXPLANATIONS["ohne Zielwert"]) == 1
    assert "workbench " not in text  # no operator commands
    # the assessment and the stored Zielwert with who/when
    assert "bewertet: teilweise erreicht (03.11.2025, Begründung: Zwei Berichte im Amtsblatt; " \
           "bewertet von K. Koordi)" in text
    today = dt.datetime.now(dt.UTC).date()
    assert f"festgelegt am {today:%d.%m.%Y} von K. Koordi" in text
    # trend of a count without target, in words
    assert "↑ gestiegen: 5 am 30.06.2025, vorher 3 am 31.12.2024" in text
