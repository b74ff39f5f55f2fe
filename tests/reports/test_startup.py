"""workbench.startup: our processes skip jsonschema's optional rfc3987_syntax (≈ 2,7 s each),
and notebook validation still works without it."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from workbench.reports.render import execute_report

PROBE = ("import sys, nbformat; nb = nbformat.v4.new_notebook(); nbformat.validate(nb); "
         "bad = nbformat.v4.new_notebook(); bad['cells'] = [{'cell_type': 'code'}]; "
         "ok = False\n"
         "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    ok = True\n"
         "print(repr(sys.modules.get('rfc3987_syntax', 'absent')), ok, "
         "'jsonschema' in sys.modules)")


def test_command_line_process_skips_rfc3987_and_still_validates_notebooks():
    result = subprocess.run([sys.executable, "-c", "import workbench.cli\n" + PROBE],
                            capture_output=True, text=True, timeout=120, check=True)
    # None: the import is blocked; True: an invalid notebook is still rejected; True: the
    # block is in the path that matters (jsonschema was imported after it).
    assert result.stdout.split() == ["None", "True", "True"], result.stderr


def test_dashboard_kernel_skips_rfc3987_from_the_notebooks_first_import():
    """Every dashboard notebook starts with ``from workbench.dashboards import …``; a pre-heated
    kernel then builds the dashboard (plotly, nbformat) without the RFC 3987 parser."""
    result = subprocess.run(
        [sys.executable, "-c", "from workbench.dashboards import AuslaenderanteilDashboard\n"
         + PROBE], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split() == ["None", "True", "True"], result.stderr


def test_without_the_call_the_package_would_be_imported():
    """The probe can tell the difference: a plain process loads rfc3987_syntax."""
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.split()[0] == "<module", result.stdout


def test_report_kernel_skips_rfc3987(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys\nprint(repr(sys.modules.get('rfc3987_syntax', 'absent')), "
        "'nbformat' in sys.modules)")])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    executed = execute_report(str(path), {})
    # cells[0] is the parameters cell papermill injects
    text = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    assert text.split() == ["None", "True"], text
