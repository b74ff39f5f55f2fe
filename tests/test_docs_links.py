"""Every relative link and anchor in README.md and docs/*.md points at something that exists."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "check_links", ROOT / "docs" / "_scripts" / "check_links.py")
check_links = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_links)


def test_every_relative_link_in_readme_and_docs_resolves() -> None:
    files = check_links.markdown_files()
    assert ROOT / "README.md" in files and len(files) > 10
    assert check_links.broken_links(files) == []


def test_readme_stays_a_short_entry_point() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, "README.md: details belong in docs/"


def test_checker_reports_missing_files_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    heading = "## Daten: Herkunft (`workbench validate`)\n"
    (tmp_path / "docs" / "ziel.md").write_text(f"# Ziel\n{heading}{heading}", encoding="utf-8")
    (tmp_path / "README.md").write_text(
        "[gut](docs/ziel.md#daten-herkunft-workbench-validate)\n"
        "[zweite](docs/ziel.md#daten-herkunft-workbench-validate-1)\n"
        "[extern](https://example.org/x) `[code](fehlt.md)`\n"
        "```\n[im Codeblock](fehlt.md)\n```\n"
        "[fehlt](docs/fehlt.md)\n"
        "[anker](docs/ziel.md#gibt-es-nicht)\n",
        encoding="utf-8")
    problems = check_links.broken_links(check_links.markdown_files(tmp_path), root=tmp_path)
    assert problems == [
        "README.md, Zeile 7: Link „docs/fehlt.md“ – Datei fehlt",
        "README.md, Zeile 8: Link „docs/ziel.md#gibt-es-nicht“"
        " – keine Überschrift mit diesem Anker",
    ]
