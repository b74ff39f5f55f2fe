"""Reports for their readers (issue 12, item 4): no commands, local time, glossary, a
comparison with similar municipalities – checked on the session's rendered batch."""

from __future__ import annotations

import re

from tests.reports.test_other_kreise import text_of


def test_report_speaks_to_readers(first_batch, batch_dir):
    text = text_of(batch_dir / "08118076_Sachsenheim.html")
    assert re.search(r"erstellt am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", text)
    assert "UTC" not in text and not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", text)
    # No operator commands or local addresses for a mayor.
    for operator in ("workbench ", "import-observations", "127.0.0.1", "localhost", "make "):
        assert operator not in text, operator
    assert not re.search(r"\bPP\b", text), "abbreviation PP unexplained"
    assert "6. Begriffe" in text
    for term in ("Ausländeranteil", "AGS (Gemeindeschlüssel)", "Prozentpunkte", "amtlich",
                 "geschätzt", "Stichtag, Stand"):
        assert f"\n{term}\n" in text, term
    assert "08118 = Landkreis Ludwigsburg" in text
    assert "Vergleich mit ähnlich großen Gemeinden" in text
    assert "Gemeinden mit 10.000 bis unter 20.000 Einwohnern" in text
    assert re.search(r"im Landkreis \(\d+ Gemeinden\)\n\d+,\d %\n\d+ von \d+", text)


def test_index_shows_local_time_without_operator_columns(first_batch, batch_dir):
    index = text_of(batch_dir / "index.html")
    assert "UTC" not in index and "Dauer" not in index
    assert re.search(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", index)
