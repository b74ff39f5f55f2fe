"""Assumptions (``annahme``), finished projects (history) and quoted context facts:
schema, shipped catalogues against the seed documents, dashboard class and exports."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from workbench import catalogue as cat

PROJECT = Path(__file__).resolve().parents[2]
SEEDS = Path("/work/shared/seeds")
needs_seed = pytest.mark.skipif(not any(SEEDS.glob("00*.txt")),
                                reason="seed documents not available")
PREFIX = "Annahme, nicht aus der Quelle: "


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """Shipped catalogues copied to tmp; store and outputs in tmp (never the project's)."""
    catalogues = tmp_path / "catalogues"
    shutil.copytree(PROJECT / "data" / "catalogues", catalogues)
    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(catalogues))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "store" / "messwerte.sqlite"))
    monkeypatch.setenv("WORKBENCH_OUTPUT_DIR", str(tmp_path / "output"))
    return tmp_path


def _catalogue_text(**indicator_extra: str) -> str:
    """Smallest valid catalogue; ``indicator_extra`` adds raw YAML lines to the indicator."""
    extra = "".join(f"            {k}: {v}\n" for k, v in indicator_extra.items())
    return f"""traeger:
  id: test
  name: Teststadt
  art: Gemeinde
  ags: "08118001"
  konzept: {{titel: Testkonzept, herausgeber: Teststadt, stand: "2025"}}
  zeitplan: {{beginn: 2025-01-01, ende: 2029-12-31}}
handlungsfelder:
  - id: hf
    name: Handlungsfeld
    massnahmen:
      - id: m
        titel: Maßnahme eins
        quelle: {{dokument: Testkonzept}}
        zeitrahmen: kurzfristig
        indikatoren:
          - id: i
            name: Indikator eins
            art: anzahl
{extra}"""


# ---- schema ---------------------------------------------------------------------------------

def test_valid_annahme_is_carried_into_the_indicator_frame():
    c = cat.parse_catalogue(_catalogue_text(
        zielwert="5", annahme="{betrifft: [zielwert], text: Zielwert vom Kreis angenommen}"))
    row = cat.indicators_frame(c).row(0, named=True)
    assert row["target_assumed"] is True
    assert row["assumption"] == PREFIX + "Zielwert vom Kreis angenommen"
    assert c.assumptions() == [PREFIX + "Zielwert vom Kreis angenommen"]


@pytest.mark.parametrize(("annahme", "expected"), [
    ("Zielwert geschätzt", "einen Abschnitt mit „betrifft“"),  # plain text, no structure
    ("{betrifft: [zielwert]}", "einen Abschnitt mit „betrifft“"),  # text missing
    ("{betrifft: [farbe], text: Farbe vom Kreis angenommen}",
     "„farbe“ kann hier nicht angenommen werden"),
    ("{betrifft: [ausgangswert], text: Ausgangswert vom Kreis angenommen}",
     "„ausgangswert“ ist als angenommen markiert, aber nicht angegeben"),
    ("{betrifft: [zielwert], text: kurz}", "nicht leerer Text"),
])
def test_malformed_annahme_is_rejected_in_german(annahme, expected):
    with pytest.raises(cat.CatalogueError) as err:
        cat.parse_catalogue(_catalogue_text(zielwert="5", annahme=annahme), file="test.yaml")
    problem = err.value.problems[0]
    assert problem.path.endswith("annahme") or "annahme" in problem.path
    assert expected in problem.expected or expected in str(err.value), str(err.value)
    assert problem.line is not None


def test_finished_project_needs_its_real_dates():
    text = _catalogue_text().replace(
        "        zeitrahmen: kurzfristig\n",
        "        zeitrahmen: kurzfristig\n        abgeschlossen: abgeschlossen (2015–2018)\n")
    with pytest.raises(cat.CatalogueError) as err:
        cat.parse_catalogue(text)
    assert "tatsächlichen Daten beginn und faellig" in str(err.value)


def test_funding_share_must_match_the_cost_table(isolated):
    path = isolated / "catalogues" / "ludwigsburg.yaml"
    text = path.read_text(encoding="utf-8").replace("foerderanteil: rund 60 %",
                                                    "foerderanteil: rund 75 %")
    with pytest.raises(cat.CatalogueError) as err:
        cat.parse_catalogue(text)
    assert "passt nicht zu Fördermitteln" in str(err.value)


# ---- shipped catalogues ---------------------------------------------------------------------

def test_ludwigsburg_projects_are_history_with_real_dates():
    c = cat.load_catalogue("ludwigsburg")
    closed = c.massnahmen(closed=True)
    assert [m.id for m in closed] == ["wil-patenschaften", "lafi-netzwerk"]
    for m in closed:
        assert c.massnahme_dates(m) == (dt.date(2015, 4, 1), dt.date(2018, 3, 31))
        assert m.abgeschlossen == "abgeschlossen (Projektzeitraum 2015–2018)"
        assert m.quelle.label().endswith("(Projekte ab 01.04.2015, 3 Jahre)")
    # The 2025–2029 schedule is an assumption; history is not part of it.
    assert c.traeger.zeitplan.annahme is not None
    assert all("167/15" not in d for d in c.documents(closed=False))
    assert c.finanzierung.foerderanteil == "rund 60 %"
    assert {p.stelle for p in c.projekte} == {
        "Eine befristete 35%-Projektstelle im Büro für Integration und Migration wurde "
        "geschaffen."}


def test_landkreis_marks_schedule_and_course_target_as_assumptions():
    c = cat.load_catalogue("landkreis")
    frame = cat.indicators_frame(c)
    vwv = frame.filter(pl.col("indicator_id") == "vwv-kurse").row(0, named=True)
    assert vwv["target_assumed"] and "Zielwert 3 Kurse je Jahr" in vwv["assumption"]
    assert "Zeitplan 2025–2029" in c.traeger.zeitplan.annahme.text
    # Targets the web page gives itself are not marked.
    for ident in ("sprachmittler-termine", "newsletter-ausgaben"):
        row = frame.filter(pl.col("indicator_id") == ident).row(0, named=True)
        assert not row["target_assumed"]


def test_sachsenheim_responsibilities_and_schedule_rows():
    c = cat.load_catalogue("sachsenheim")
    by_field = {hf.id: hf for hf in c.handlungsfelder}
    for hf_id, ag in (("sprache-bildung", "AG 1"), ("arbeit-ausbildung", "AG 2"),
                      ("wohnen-nachbarschaft", "AG 3"),
                      ("sport-kultur-freizeit-vereine", "AG 4")):
        for m in by_field[hf_id].massnahmen:
            assert m.zustaendig[0].startswith(ag)
            assert any(z.startswith("Integrationsbeauftragter") for z in m.zustaendig)
    plan = c.traeger.zeitplan
    assert plan.evaluation_hinweis.endswith("– bei Bedarf auch früher.")
    assert [e.titel for e in plan.weitere_eintraege] == ["Teilnahme an Heimatfest"]
    assert plan.annahme is not None and "stichtage" in plan.annahme.betrifft


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@needs_seed
@pytest.mark.parametrize("traeger", ["sachsenheim", "landkreis", "ludwigsburg"])
def test_context_facts_quote_the_seed_documents(traeger):
    seeds = _norm(" ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("00*.txt")))
    facts = cat.load_catalogue(traeger).kontext
    assert facts
    for fact in facts:
        assert _norm(fact.zitat) in seeds, fact.zitat


@needs_seed
def test_seed_facts_asked_for_are_present():
    quotes = {t: " ".join(f.zitat for f in cat.load_catalogue(t).kontext)
              for t in ("sachsenheim", "landkreis", "ludwigsburg")}
    assert "27 Unterkünfte, in denen 300 Geflüchtete" in quotes["sachsenheim"]
    assert "Oktober 2024" in quotes["sachsenheim"]
    assert "4,45 Prozentpunkte" in _norm(quotes["landkreis"])
    assert "17. Mai 2021" in _norm(quotes["landkreis"])
    assert "152 Seiten" in quotes["landkreis"]
    assert "vier zentrale Handlungsfelder" in _norm(quotes["landkreis"])
    assert "rund 60 %" in quotes["ludwigsburg"] and "35%-Projektstelle" in quotes["ludwigsburg"]


# ---- dashboard (class output, no browser) ---------------------------------------------------

def test_dashboard_prints_assumptions_and_history(isolated):
    from workbench.dashboards.handlungsfelder import HandlungsfelderDashboard

    d = HandlungsfelderDashboard("landkreis", as_of=dt.date(2025, 12, 31))
    assert "Annahme, nicht aus der Quelle: Zeitplan 2025–2029" in d.assumptions.value
    assert "Zielwert 3 Kurse je Jahr" in d.assumptions.value
    tab = d._tab_boxes[0].children[1].value  # first Maßnahme: VwV-Deutsch-Kurse
    assert "3 (Annahme)" in tab and "Annahme, nicht aus der Quelle: Zielwert 3 Kurse" in tab
    assert "Annahme, nicht aus der Quelle" in d.zeitplan_chart.figure["layout"]["annotations"][
        -1]["text"]
    assert d.history.value == ""

    d.select("ludwigsburg")
    assert "Abgeschlossene Projekte (Geschichte)" in d.history.value
    assert "01.04.2015 – 31.03.2018" in d.history.value
    assert "abgeschlossen (Projektzeitraum 2015–2018)" in d.history.value
    # History is never judged: no finished Maßnahme in the progress frame or the Gantt chart.
    assert not set(d.progress["massnahme_id"]) & {"wil-patenschaften", "lafi-netzwerk"}
    gantt = " ".join(" ".join(t["y"]) for t in d.zeitplan_chart.figure["data"])
    assert "Willkommen in Ludwigsburg" not in gantt


# ---- exports --------------------------------------------------------------------------------

def test_export_and_template_carry_the_assumptions(isolated):
    from workbench.examples import load_examples_into
    from workbench.observations_io import export_observations, write_template
    from workbench.store import ObservationStore

    store = ObservationStore(isolated / "store" / "messwerte.sqlite")
    load_examples_into(store, dt.date(2025, 12, 31))
    out_csv = export_observations(isolated / "output" / "kreis.csv", store,
                                  traeger_id="landkreis")
    with out_csv.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    vwv = [r for r in rows if r["Indikator-ID"] == "vwv-kurse"]
    assert vwv and all("Annahme, nicht aus der Quelle: " in r["Annahme"] for r in vwv)
    assert "Zielwert 3 Kurse je Jahr" in vwv[0]["Annahme"]

    out_xlsx = export_observations(isolated / "output" / "kreis.xlsx", store,
                                   traeger_id="landkreis")
    sheet = fastexcel.read_excel(out_xlsx).load_sheet("Aktuelle Werte", header_row=None,
                                                      dtypes="string").to_polars()
    cells = " ".join(str(v) for v in sheet.to_series(0).to_list() if v)
    assert "Annahmen, nicht aus der Quelle" in cells or "Annahme, nicht aus der Quelle" in cells
    store.close()

    template = write_template("ludwigsburg", isolated / "output" / "vorlage.csv")
    with template.open(encoding="utf-8-sig") as fh:
        trows = {r["Indikator-ID"]: r for r in csv.DictReader(fh, delimiter=";")}
    assert "Zielwert 1 Netzwerktreffen je Jahr" in trows["lafi-netzwerktreffen-jahr"]["Annahme"]
    assert trows["wil-paten"]["Annahme"] == ""  # history: figures from the source itself
