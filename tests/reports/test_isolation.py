"""A warm kernel behaves like a fresh one: no state leaks from report A into report B."""

from __future__ import annotations

import pytest

from workbench.reports.engine import WarmKernel
from workbench.reports.export import normalise_html, normalise_notebook, notebook_to_html
from workbench.reports.plan import GEMEINDE_NOTEBOOK, notebook_path
from workbench.reports.render import execute_report


@pytest.fixture(scope="module")
def leck(project_dir):
    return str(project_dir / "tests" / "reports" / "data" / "leck.ipynb")


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


def test_state_of_report_a_is_invisible_in_report_b(leck):
    from workbench.reports import engine

    a = execute_report(leck, {"setzen": True})
    kernel = engine.warm_kernel()
    starts, runs = kernel.starts, kernel.reports_run
    b = execute_report(leck, {"setzen": False})
    # Same kernel process, no restart in between: otherwise this test proves nothing.
    assert kernel.starts == starts and kernel.reports_run == runs + 1
    assert "gesetzt" in _stdout(a)
    first_line, second_line, third_line = _stdout(b).splitlines()[:3]
    # variable `geheim` gone, imports of the cell itself present, cwd restored (os.environ is
    # not restored: nothing in the package writes it, tests/test_settings.py checks that)
    assert first_line == "False True False"
    # plotly renderer/template and the polars table config are back to their defaults
    renderer, template, width = second_line.split()
    assert template == "plotly" and renderer != "png"
    assert int(width) > 100  # pl.Config.set_tbl_rows(3) would shorten the table repr
    # execution counter restarted, Out history empty, sys.path restored
    assert third_line == "4 0 False"


def test_warm_output_equals_fresh_kernel_output(leck):
    execute_report(leck, {"setzen": True})  # dirty the warm kernel first
    warm = execute_report(leck, {"setzen": False})
    fresh = execute_report(leck, {"setzen": False}, engine_name="nbclient")
    assert normalise_notebook(warm) == normalise_notebook(fresh)


def test_report_on_warm_kernel_identical_to_fresh_kernel():
    """The real report: Sachsenheim after Ludwigsburg on a warm kernel == fresh kernel."""
    nb = str(notebook_path(GEMEINDE_NOTEBOOK))
    execute_report(nb, {"gemeinde": "Ludwigsburg", "berichtsjahr": 2025})
    warm = execute_report(nb, {"gemeinde": "Sachsenheim", "berichtsjahr": 2025})
    fresh = execute_report(nb, {"gemeinde": "Sachsenheim", "berichtsjahr": 2025},
                           engine_name="nbclient")
    assert normalise_notebook(warm) == normalise_notebook(fresh)
    assert normalise_html(notebook_to_html(warm, "t")) == normalise_html(
        notebook_to_html(fresh, "t"))
    assert "16,7 %" in notebook_to_html(warm, "t")


def test_dead_kernel_is_replaced(leck):
    from workbench.reports import engine

    kernel = engine.warm_kernel()
    execute_report(leck, {"setzen": False})
    starts = kernel.starts
    from nbclient.util import run_sync

    run_sync(kernel.km.shutdown_kernel)(now=True)
    nb = execute_report(leck, {"setzen": False})
    assert kernel.starts == starts + 1
    assert _stdout(nb).splitlines()[0] == "False True False"


def test_kernel_class_is_registered_with_papermill():
    from papermill.engines import papermill_engines

    engine_cls = papermill_engines.get_engine("workbench_warm")
    assert engine_cls.__name__ == "WarmKernelEngine"
    assert WarmKernel  # the engine's kernel holder


def test_normalise_hides_only_the_creation_minute():
    a = "<p>Bericht 2024 · AGS 08118076 · erstellt am 03.12.2026, 08:15 Uhr</p>"
    b = "<p>Bericht 2024 · AGS 08118076 · erstellt am 03.12.2026, 08:16 Uhr</p>"
    assert normalise_html(a) == normalise_html(b)
    assert normalise_html(a) != normalise_html(a.replace("2024", "2025"))
