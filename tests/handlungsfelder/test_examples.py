"""Example data: deterministic, labelled, valid for the store, idempotent, varied statuses."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import yaml

from workbench import catalogue as cat
from workbench import examples as ex
from workbench import progress as pr

AS_OF = dt.date(2026, 12, 31)


@pytest.fixture(scope="module")
def generated() -> pl.DataFrame:
    return ex.generate_examples(AS_OF)


def test_deterministic_and_independent_of_as_of(generated):
    again = ex.generate_examples(AS_OF)
    assert generated.equals(again)
    later = ex.generate_examples(dt.date(2028, 6, 30))
    assert later.height > generated.height
    assert later.filter(pl.col("period") <= AS_OF).equals(generated)


def test_labelled_as_examples_and_half_year_periods(generated):
    assert generated["is_example"].all()
    assert set(generated["source"]) == {"Beispieldaten (generiert, keine amtlichen Werte)"}
    assert set(generated["entered_by"]) == {"workbench example-data"}
    assert sorted(set(generated["period"])) == [
        dt.date(2025, 6, 30), dt.date(2025, 12, 31), dt.date(2026, 6, 30), dt.date(2026, 12, 31)]
    assert ex.periods(dt.date(2025, 6, 29)) == []


def test_covers_shipped_and_example_traeger(generated):
    ids = set(generated["traeger_id"])
    assert {"sachsenheim", "landkreis", "ludwigsburg"} <= ids
    assert sum(t.startswith("beispiel-") for t in ids) == 3


def test_statuses_vary(generated):
    current = cat.indicators_frame(ex.example_catalogues(), closed=False)
    p = pr.indicator_progress(current, generated, AS_OF)
    # example data has no assessments: qualitative indicators stay "noch nicht bewertet"
    assert set(p["status"]) >= set(pr.BASE_STATUSES) - {"verzögert"}
    later = dt.date(2028, 12, 31)
    assert "verzögert" in set(
        pr.indicator_progress(current, ex.generate_examples(later), later)["status"])
    # Finished projects (history, e.g. Ludwigsburg 2015–2018) get no example values.
    closed = cat.indicators_frame(ex.example_catalogues(), closed=True)
    assert closed.height >= 1
    keys = ["traeger_id", "indicator_id"]
    assert generated.join(closed.select(keys), on=keys, how="inner").height == 0
    # and small person counts occur, so suppression is visible in published outputs
    small = p.filter(pl.col("about_persons") & pl.col("latest_value").is_between(1, 2))
    assert small.height >= 1


def test_values_fit_indicator_kinds(generated):
    ind = cat.indicators_frame(ex.example_catalogues()).select("traeger_id", "indicator_id",
                                                                "kind")
    joined = generated.join(ind, on=["traeger_id", "indicator_id"], how="left")
    assert joined["kind"].null_count() == 0  # every row belongs to a catalogue indicator
    counts = joined.filter(pl.col("kind") == "anzahl")["value"]
    assert (counts >= 0).all() and (counts == counts.round(0)).all()
    assert set(joined.filter(pl.col("kind") == "meilenstein")["value"]) <= {0.0, 1.0}
    qual = joined.filter(pl.col("kind") == "qualitativ")
    assert qual["value"].null_count() == qual.height and qual["note"].null_count() == 0


def test_load_into_real_store_is_idempotent(tmp_path, generated):
    from workbench.store import ObservationStore

    store = ObservationStore(tmp_path / "obs.sqlite")
    n = ex.load_examples_into(store, AS_OF)
    assert n == generated.height
    assert ex.load_examples_into(store, AS_OF) == 0  # identical values: no new versions
    current = store.current()
    assert current.height == generated.height and current["is_example"].all()
    assert set(current["version"]) == {1}
    # a later as-of date adds only the new periods
    n_later = ex.load_examples_into(store, dt.date(2027, 6, 30))
    assert n_later == ex.generate_examples(dt.date(2027, 6, 30)).filter(
        pl.col("period") == dt.date(2027, 6, 30)).height


def test_example_catalogues_are_regenerated_identically_and_marked():
    template = yaml.safe_load(cat.template_path().read_text(encoding="utf-8"))
    template_ids = {i["id"] for hf in template["handlungsfelder"] for m in hf["massnahmen"]
                    for i in m["indikatoren"]}
    for ags, name in ex.EXAMPLE_MUNICIPALITIES:
        tid = ex.example_traeger_id(name)
        shipped = cat.catalogue_path(tid).read_text(encoding="utf-8")
        assert shipped == ex.example_catalogue_text(ags, name), f"{tid}: regenerate the file"
        c = cat.load_catalogue(tid)
        assert c.traeger.beispiel and c.traeger.ags == ags
        assert "Beispielkatalog" in c.source_label()
        ids = set(cat.indicators_frame(c)["indicator_id"])
        assert ids < template_ids  # a proper subset of the template's indicators
        assert cat.indicators_frame(c)["target"].drop_nulls().len() >= 3


def test_observations_for_falls_back_to_examples_without_touching_default(tmp_path):
    missing = tmp_path / "nicht-da.sqlite"
    obs, used = ex.observations_for("sachsenheim", AS_OF, store_path=missing)
    assert used and obs.height > 0 and obs["is_example"].all()
    assert set(obs["traeger_id"]) == {"sachsenheim"}
    assert not missing.exists()


def test_observations_for_leaves_no_temporary_store_behind(tmp_path, monkeypatch):
    # Reports call this once per municipality; a leaked temp dir per call fills /tmp.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    obs, used = ex.observations_for("sachsenheim", AS_OF, store_path=tmp_path / "none.sqlite")
    assert used and obs.height > 0
    assert list((tmp_path / "tmp").iterdir()) == []
