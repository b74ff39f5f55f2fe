"""Docstrings, comments and messages in src/ point only at project files that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "workbench"

# A concrete project file named in source text: the docs pages (docs/*.md, also in German user
# messages), tests, benchmarks, notebooks, dashboards and the shipped data files. Patterns
# (``beispiel-*.yaml``), placeholders (``{version}``) and directories are not matched; nor is
# ``docs/data/…json``, which names a file of an upstream repository (loaders/azr.py).
_PATH = re.compile(
    r"(?<![\w/.-])("
    r"docs/[\w.-]+\.md"
    r"|(?:tests|bench|notebooks|dashboards|scripts)/[\w/.-]+\.(?:py|ipynb|json|sh)"
    r"|data/(?:templates|published|catalogues|raw)/[\w/.-]+\.(?:yaml|csv|xlsx|json|geojson)"
    r")(?![\w*{])"
)


def mentioned_paths(root: Path = SRC) -> dict[str, list[str]]:
    """Path → the ``file:line`` places in ``root``'s Python files that mention it."""
    found: dict[str, list[str]] = {}
    for source in sorted(root.rglob("*.py")):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            for match in _PATH.finditer(line):
                path = match.group(1).rstrip(".")
                found.setdefault(path, []).append(f"{source.relative_to(root)}:{number}")
    return found


def test_every_docs_page_named_in_src_exists() -> None:
    mentioned = mentioned_paths()
    pages = [p for p in mentioned if p.startswith("docs/")]
    assert len(pages) >= 5, pages  # the scan finds the pages src/ refers readers to
    missing = {p: mentioned[p] for p in pages if not (ROOT / p).is_file()}
    assert missing == {}, "src/ points at docs pages that do not exist"


def test_every_project_file_named_in_src_exists() -> None:
    mentioned = mentioned_paths()
    missing = {p: where for p, where in mentioned.items() if not (ROOT / p).exists()}
    assert missing == {}, "src/ points at files that do not exist"


def test_scan_finds_missing_pages_and_skips_patterns(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        '"""See docs/gibt-es-nicht.md and tests/reports/test_x.py."""\n'
        "# data/catalogues/beispiel-*.yaml, data/templates/vorlage.{xlsx,csv}, docs/data/x.json\n"
        'URL = f"workbench/assets/plotly/{v}/bench/x.py"\n',
        encoding="utf-8")
    found = mentioned_paths(tmp_path)
    assert sorted(found) == ["docs/gibt-es-nicht.md", "tests/reports/test_x.py"]
