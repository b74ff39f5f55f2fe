"""Parameters are validated before any kernel starts; errors are German with suggestions."""

from __future__ import annotations

from click.testing import CliRunner

from workbench.cli import main
from workbench.reports import engine


def test_unknown_municipality_fails_before_any_kernel(tmp_path):
    out = tmp_path / "out"
    kernels_before = list(engine._all_kernels)
    result = CliRunner().invoke(main, ["reports", "-m", "Sachsenheim", "-m", "Sachsnheim",
                                       "--year", "2024", "--out", str(out)])
    assert result.exit_code == 2
    assert "Unbekannte Gemeinde „Sachsnheim“" in result.output
    assert "Meinten Sie: Sachsenheim" in result.output
    # Nothing started or written: no kernel, no output directory.
    assert engine._all_kernels == kernels_before
    assert not out.exists()


def test_unknown_format_is_rejected(tmp_path):
    result = CliRunner().invoke(main, ["reports", "-m", "Sachsenheim", "--year", "2024",
                                       "--out", str(tmp_path / "o"), "--format", "html,docx"])
    assert result.exit_code == 2
    assert "docx" in result.output
    assert not (tmp_path / "o").exists()


def test_help_notebook_shows_typed_parameters(project_dir):
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    nb = load_notebook_node(str(project_dir / "notebooks" / "bericht_gemeinde.ipynb"))
    params = {p.name: p for p in _infer_parameters(nb)}
    assert params["gemeinde"].inferred_type_name == "str"
    assert params["gemeinde"].default == '"08118076"'  # Sachsenheim, as an AGS
    assert params["berichtsjahr"].inferred_type_name == "int"
    assert params["mit_handlungsfeldern"].inferred_type_name == "bool"
    assert {"datenverzeichnis", "messwerte_db"} <= set(params)
    assert all(p.help for p in params.values()), "every parameter has a German comment"
