"""The analyst entry points promised in the README exist and return validated frames."""

import inspect
import re
import subprocess
import sys

import polars as pl
import pytest

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


def test_every_public_name_resolves_and_dir_lists_them() -> None:
    for name in workbench.__all__:
        assert getattr(workbench, name) is not None, name
    listed = dir(workbench)
    assert set(workbench.__all__) <= set(listed)
    assert {"region", "exceptions", "load_population", "ObservationStore"} <= set(listed)
    # Implementation details stay out of tab completion.
    assert not {"importlib", "Any", "annotations", "_importlib", "_SUBMODULES"} & set(listed)


def test_import_workbench_imports_no_heavy_dependencies() -> None:
    code = ("import sys, workbench; dir(workbench); workbench.__all__; "
            "print(sorted(m for m in ('polars', 'plotly', 'numpy', 'workbench.population') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


# The analyst entry points whose help() must show an example (columns and parameters are
# in the same docstrings; the example is the part most easily lost in an edit).
DOCUMENTED = [
    "load_population",
    "municipalities",
    "load_catalogue",
    "ObservationStore",
    "region.resolve",
    "metrics.summary_text",
    "metrics.overview_table",
    "metrics.key_figures",
    "figures.population.trend_chart",
    "progress.indicator_progress",
    "progress.rollup",
    "progress.rollup_massnahmen",
    "progress.rollup_handlungsfelder",
    "progress.rollup_traeger",
]


@pytest.mark.parametrize("dotted", DOCUMENTED)
def test_public_functions_have_an_example_in_their_docstring(dotted: str) -> None:
    obj = workbench
    for part in dotted.split("."):
        obj = getattr(obj, part)
    doc = inspect.getdoc(obj) or ""
    assert re.search(r"^Example(s)?::?$", doc, re.MULTILINE), f"{dotted}: no Example section"
    example = doc.split("Example", 1)[1]
    assert ">>> " in example, f"{dotted}: the example shows no call"
