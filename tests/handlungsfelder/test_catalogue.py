"""Catalogue schema, the shipped catalogues against the seed documents, errors, template."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from workbench import catalogue as cat
from workbench.catalogue import CatalogueError

SEEDS = Path("/work/shared/seeds")
SACHSENHEIM_SEED = next(iter(SEEDS.glob("004_*.txt")), None)
needs_seed = pytest.mark.skipif(SACHSENHEIM_SEED is None, reason="seed documents not available")


def _norm(text: str) -> str:
    text = re.sub(r"[¹²³⁴⁵⁶⁷⁸⁹⁰]+", "", text)
    text = re.sub(r"<[^>]+>", " ", text).replace("▪", " ")
    text = re.sub(r"\s+-\s", "- ", text)
    return re.sub(r"\s+", " ", text).strip()


def _seed_section() -> list[str]:
    lines = SACHSENHEIM_SEED.read_text(encoding="utf-8").splitlines()
    start = lines.index("Handlungsfelder der Arbeitsgruppen")
    end = lines.index("Mögliche Aktivitäten der Arbeitsgruppen innerhalb der Handlungsfelder")
    return lines[start:end]


def test_shipped_catalogues_validate():
    catalogues = cat.load_all()
    assert {"sachsenheim", "landkreis", "ludwigsburg"} <= set(catalogues)
    frame = cat.indicators_frame(catalogues)
    assert frame.columns[:2] == ["traeger_id", "traeger_name"]
    for column in ("handlungsfeld", "massnahme", "zeitrahmen", "start", "due", "indicator",
                   "kind", "unit", "direction", "baseline", "baseline_date", "target",
                   "about_persons"):
        assert column in frame.columns
    assert set(frame["kind"].unique()) <= set(cat.KINDS)
    assert frame.select(pl.struct("traeger_id", "indicator_id").is_unique().all()).item()
    assert (frame["due"] > frame["start"]).all()


@needs_seed
def test_sachsenheim_fields_and_massnahmen_match_seed():
    section = _seed_section()
    c = cat.load_catalogue("sachsenheim")
    assert c.traeger.ags == "08118076"  # Sachsenheim, Stadt in the Zensus 2022 file
    fields = ["Sprache und Bildung", "Arbeits- und Ausbildungsmarkt",
              "Wohnen/ gute Nachbarschaft", "Sport, Kultur, Freizeit, Vereine"]
    assert [hf.name for hf in c.handlungsfelder] == fields
    # Maßnahmen per field, in seed order: a field heading is a line equal to its name.
    seed_titles: dict[str, list[str]] = {}
    current = None
    for line in section:
        if line.strip() in fields:
            current = line.strip()
            seed_titles[current] = []
        m = re.match(r"^Maßnahmen? \d+\t(.+)$", line)
        if m:
            seed_titles[current].append(_norm(m.group(1)))
    assert list(seed_titles) == fields
    for hf in c.handlungsfelder:
        assert [_norm(m.titel) for m in hf.massnahmen] == seed_titles[hf.name]
    assert sum(len(v) for v in seed_titles.values()) == 10


@needs_seed
def test_sachsenheim_every_indicator_of_the_seed_is_encoded():
    section = _seed_section()
    indicator_lines = [line.split("\t", 1)[1] for line in section if line.startswith("Indikator\t")]
    massnahmen = [m for hf in cat.load_catalogue("sachsenheim").handlungsfelder
                  for m in hf.massnahmen]
    assert len(indicator_lines) == len(massnahmen)
    total = 0
    for line, m in zip(indicator_lines, massnahmen, strict=True):
        names = [_norm(i.name) for i in m.indikatoren]
        if "▪" in line:
            items = [_norm(x) for x in line.split("▪")[1:]]
            assert names == items, m.id
        else:
            # No bullets in the extracted text: the indicator texts must tile the line exactly.
            assert " ".join(names) == _norm(line), m.id
        total += len(names)
    assert total == 32


@needs_seed
def test_sachsenheim_zeitrahmen_ist_soll_verbatim():
    section = _seed_section()
    text = _norm(" ".join(section))
    frames = [re.findall(r"(kurzfristig|mittelfristig|langfristig)", line.lower())
              for line in section if re.match(r"^Zeitra\w*\t", line)]
    c = cat.load_catalogue("sachsenheim")
    massnahmen = [m for hf in c.handlungsfelder for m in hf.massnahmen]
    assert frames == [list(m.zeitrahmen) for m in massnahmen]
    for m in massnahmen:
        for item in [*m.ist_zustand, *m.soll_zustand]:
            assert _norm(item) in text, (m.id, item)
        # The concept gives no numeric targets or baselines.
        assert all(i.zielwert is None and i.ausgangswert is None for i in m.indikatoren)
    seed = SACHSENHEIM_SEED.read_text(encoding="utf-8")
    assert "Alle zwei Jahre soll eine Evaluation stattfinden" in seed
    assert c.traeger.zeitplan.evaluation_jahre == 2
    assert (c.traeger.zeitplan.beginn.year, c.traeger.zeitplan.ende.year) == (2025, 2029)


def test_zeitrahmen_rule_and_override():
    c = cat.load_catalogue("sachsenheim")
    by_id = {m.id: m for hf in c.handlungsfelder for m in hf.massnahmen}
    # start 2025-01-01: + 1/3/4 years − 1 day
    assert c.massnahme_dates(by_id["sprachkurse-gefluechtete"]) == (
        dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert c.massnahme_dates(by_id["mehrsprachigkeit"])[1] == dt.date(2027, 12, 31)
    assert c.massnahme_dates(by_id["schwaebische-kehrwoche"])[1] == dt.date(2028, 12, 31)
    # "kurzfristig; langfristig": the longer one sets the due date
    assert c.massnahme_dates(by_id["begegnungsorte-vernetzung"])[1] == dt.date(2028, 12, 31)
    assert c.evaluation_dates() == [dt.date(2026, 12, 31), dt.date(2028, 12, 31),
                                    dt.date(2029, 12, 31)]
    kreis = cat.indicators_frame(cat.load_catalogue("landkreis"))
    row = kreis.filter(pl.col("indicator_id") == "sprachmittler-termine").row(0, named=True)
    assert (row["start"], row["due"]) == (dt.date(2025, 5, 3), dt.date(2025, 7, 31))
    assert row["target"] == 3


@needs_seed
def test_ludwigsburg_projects_and_cost_table_from_seed():
    seed = next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8")

    def eur(label: str) -> float:
        m = re.search(label + r"\s+([\d.]+) EUR", seed)
        return float(m.group(1).replace(".", ""))

    c = cat.load_catalogue("ludwigsburg")
    funding = {p.id: sum(f.betrag_eur for f in p.foerderung) for p in c.projekte}
    assert funding == {"projekt-wil": eur("Fördermittel WiL"),
                       "projekt-lafi": eur("Fördermittel LAfl")}
    assert c.finanzierung.gesamtkosten_eur == eur("Gesamtkosten")
    assert c.finanzierung.eigenanteil_eur == eur("Restkosten")
    # The 2015–2018 projects are history with the source's own figures …
    history = cat.indicators_frame(c, closed=True).filter(pl.col("target").is_not_null())
    assert dict(zip(history["indicator_id"], history["target"], strict=True)) == {
        "wil-paten": 15.0, "wil-neuzugewanderte": 30.0, "lafi-netzwerktreffen": 1.0}
    assert history["assumption"].is_null().all()
    # … the only current target is marked as an assumption.
    current = cat.indicators_frame(c, closed=False).filter(pl.col("target").is_not_null())
    assert current["indicator_id"].to_list() == ["lafi-netzwerktreffen-jahr"]
    assert current["target_assumed"].to_list() == [True]
    assert "ca. 15 geschulte Patinnen und Paten 1 Jahr lang rund 30 bis 40" in seed


def test_landkreis_offers():
    frame = cat.indicators_frame(cat.load_catalogue("landkreis"))
    ids = set(frame["indicator_id"])
    assert {"vwv-kurse", "vwv-teilnehmende", "telc-b1-abgelegt", "telc-b1-bestanden",
            "telc-b2-abgelegt", "telc-b2-bestanden", "sprachmittler-geschult",
            "treffen-integrationsbeauftragte", "treffen-kurstraeger-bamf",
            "newsletter-ausgaben"} <= ids
    news = frame.filter(pl.col("indicator_id") == "newsletter-ausgaben").row(0, named=True)
    assert (news["target"], news["period_basis"]) == (2.0, "jahr")


# --- errors -------------------------------------------------------------------------------


def _sachsenheim_text() -> str:
    return cat.catalogue_path("sachsenheim").read_text(encoding="utf-8")


def _replace_nth_key(text: str, key: str, n: int, new_line: str) -> tuple[str, int]:
    """Replace the n-th (0-based) line starting with ``key:`` (any indent); return line no."""
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if line.strip().startswith(key + ":")]
    i = hits[n]
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = indent + new_line
    return "\n".join(lines) + "\n", i + 1


def test_bad_value_error_names_file_path_line_value_expected():
    # The 3rd indicator of the 1st Maßnahme of the 2nd Handlungsfeld is "arbeitgeberkontakte"
    # (checked on the parsed YAML); a bad zielwert is inserted right after its id line.
    text = _sachsenheim_text()
    data = yaml.safe_load(text)
    target = data["handlungsfelder"][1]["massnahmen"][0]["indikatoren"][2]
    assert target["id"] == "arbeitgeberkontakte"
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "id: arbeitgeberkontakte" in line)
    lines.insert(start + 1, " " * 12 + "zielwert: viele")
    bad = "\n".join(lines)
    with pytest.raises(CatalogueError) as info:
        cat.parse_catalogue(bad, file="sachsenheim.yaml")
    (problem,) = info.value.problems
    assert problem.path == "handlungsfelder[1].massnahmen[0].indikatoren[2].zielwert"
    assert problem.line == start + 2
    assert problem.value == "viele"
    assert "Zahl" in problem.expected
    message = str(info.value)
    assert "sachsenheim.yaml" in message and f"Zeile {start + 2}" in message
    assert "erwartet" in message


def test_unknown_key_wrong_literal_and_duplicate_id():
    text = _sachsenheim_text()
    bad, line = _replace_nth_key(text, "art", 1, "art: zahl")  # 0 is traeger.art
    with pytest.raises(CatalogueError) as info:
        cat.parse_catalogue(bad, file="x.yaml")
    (p,) = info.value.problems
    assert p.path == "handlungsfelder[0].massnahmen[0].indikatoren[0].art"
    assert p.value == "zahl" and p.line == line
    assert "anzahl" in p.expected and "meilenstein" in p.expected

    bad = text.replace("richtung: niedriger_besser", "richtng: niedriger_besser", 1)
    with pytest.raises(CatalogueError) as info:
        cat.parse_catalogue(bad, file="x.yaml")
    assert info.value.problems[0].path.endswith("indikatoren[3].richtng")
    assert "unbekanntes Feld" in info.value.problems[0].expected

    bad = text.replace("id: mehrsprachige-materialien", "id: anzahl-sprachkurse", 1)
    with pytest.raises(CatalogueError, match="anzahl-sprachkurse.*doppelt"):
        cat.parse_catalogue(bad, file="x.yaml")


def test_meilenstein_with_target_and_budget_mismatch_and_yaml_syntax():
    text = _sachsenheim_text()
    bad = text.replace(
        "name: Rahmenkonzept für ehrenamtliche Sprachkurse liegt vor\n            art: meilenstein",
        "name: Rahmenkonzept für ehrenamtliche Sprachkurse liegt vor\n            art: meilenstein"
        "\n            zielwert: 1", 1)
    assert bad != text
    with pytest.raises(CatalogueError) as info:
        cat.parse_catalogue(bad, file="x.yaml")
    assert info.value.problems[0].path == "handlungsfelder[0].massnahmen[0].indikatoren[0].zielwert"

    lb = cat.catalogue_path("ludwigsburg").read_text(encoding="utf-8")
    with pytest.raises(CatalogueError, match="Gesamtkosten − Fördermittel = 80160.00"):
        cat.parse_catalogue(lb.replace("eigenanteil_eur: 80160", "eigenanteil_eur: 80000"))

    with pytest.raises(CatalogueError) as info:
        cat.parse_catalogue("traeger:\n  id: [unclosed\n", file="kaputt.yaml")
    assert "YAML" in str(info.value) and info.value.problems[0].line is not None


def test_annual_target_must_be_hoeher_besser():
    text = _sachsenheim_text()
    bad = text.replace("            richtung: niedriger_besser\n",
                       "            richtung: niedriger_besser\n            zielwert: 10\n", 1)
    assert bad != text
    with pytest.raises(CatalogueError) as info:
        cat.parse_catalogue(bad, file="x.yaml")
    (p,) = info.value.problems
    assert p.path == "handlungsfelder[0].massnahmen[0].indikatoren[3].zielwert"
    assert "hoeher_besser" in p.expected


def test_load_checks_id_matches_file_name(tmp_path):
    text = _sachsenheim_text()
    (tmp_path / "anders.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="anders"):
        cat.load_catalogue("anders", tmp_path)
    with pytest.raises(FileNotFoundError, match="anders"):
        cat.load_catalogue("fehlt", tmp_path)


# --- template -----------------------------------------------------------------------------


def test_template_round_trip_and_no_overwrite(tmp_path):
    path = cat.new_from_template("08118051", "Möglingen", tmp_path / "moeglingen.yaml")
    c = cat.load_catalogue("moeglingen", tmp_path)
    assert (c.traeger.name, c.traeger.ags, c.traeger.beispiel) == ("Möglingen", "08118051", False)
    template = yaml.safe_load(cat.template_path().read_text(encoding="utf-8"))
    n_template = sum(len(m["indikatoren"]) for hf in template["handlungsfelder"]
                     for m in hf["massnahmen"])
    frame = cat.indicators_frame(c)
    assert frame.height == n_template
    assert frame["target"].null_count() == frame.height  # targets are for users to fill in
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        cat.new_from_template("08118051", "Möglingen", path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["moeglingen.yaml"]  # no temp files left
    with pytest.raises(ValueError, match="08xxxxxx"):
        cat.new_from_template("0811805", "X", tmp_path / "x.yaml")


def test_cli_new_catalogue(tmp_path, monkeypatch):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_CATALOGUE_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(main, ["new-catalogue", "Bietigheim-Bissingen"])
    assert result.exit_code == 0, result.output
    assert cat.load_catalogue("bietigheim-bissingen").traeger.ags == "08118079"
    again = runner.invoke(main, ["new-catalogue", "08118079"])
    assert again.exit_code != 0 and "existiert bereits" in again.output
    bad = runner.invoke(main, ["new-catalogue", "Atlantis"])
    assert bad.exit_code != 0 and "Unbekannte Gemeinde „Atlantis“" in bad.output
    # Any municipality of Baden-Württemberg, by AGS or unambiguous name.
    other = runner.invoke(main, ["new-catalogue", "Aidlingen"])
    assert other.exit_code == 0, other.output
    assert cat.load_catalogue("aidlingen").traeger.ags == "08115001"
