"""The analyst entry points promised in the README exist and return validated frames."""

import polars as pl

import workbench


def test_import_workbench_exposes_loaders_lazily() -> None:
    pop = workbench.load_population()
    assert isinstance(pop, pl.DataFrame)
    assert {"level", "ags", "share", "source", "status"} <= set(pop.columns)
    text = workbench.metrics.summary_text(pop, "08118076")
    assert "Sachsenheim" in text and "16,7 %" in text


def test_shortcuts_are_the_module_functions() -> None:
    assert workbench.load_catalogue is workbench.catalogue.load_catalogue
    assert workbench.ObservationStore is workbench.store.ObservationStore
    assert workbench.load_catalogue("sachsenheim").traeger.ags == "08118076"
