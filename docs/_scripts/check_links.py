"""Check every relative link and anchor in README.md and docs/*.md without Sphinx or network.

The Sphinx build (-W) already fails on a broken link inside docs/; this also covers README.md,
which is not part of the build, and runs in the test suite in a fraction of a second.
Anchors are GitHub's (and MyST's ``myst_heading_anchors``): the heading text in lower case,
punctuation removed, spaces as hyphens, ``-1``, ``-2`` … for repeated headings.

    .venv/bin/python docs/_scripts/check_links.py     # prints broken links, exit 1 if any
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target) and ![alt](target); target up to the first space or closing parenthesis.
_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"`[^`]*`")


def markdown_files(root: Path = ROOT) -> list[Path]:
    """README.md and every Markdown page under docs/ (not the build output)."""
    files = [root / "README.md"]
    files += sorted(p for p in (root / "docs").rglob("*.md") if "_build" not in p.parts)
    return [p for p in files if p.exists()]


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, line))
    return out


def slugify(title: str) -> str:
    """GitHub's heading anchor (what myst_heading_anchors produces too)."""
    title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link in a heading: its text
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        slug = slugify(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(files: list[Path], root: Path = ROOT) -> list[str]:
    """One German line per relative link whose file or anchor does not exist."""
    problems: list[str] = []
    anchor_cache: dict[Path, set[str]] = {}
    for md in files:
        for number, line in _prose_lines(md.read_text(encoding="utf-8")):
            for target in _LINK.findall(_INLINE_CODE.sub("", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                    continue  # http:, https:, mailto: … – external, see `make linkcheck`
                file_part, _, anchor = target.partition("#")
                dest = (md.parent / unquote(file_part)).resolve() if file_part else md
                where = f"{md.relative_to(root)}, Zeile {number}: Link „{target}“"
                if not dest.exists():
                    problems.append(f"{where} – Datei fehlt")
                    continue
                if anchor and dest.suffix == ".md":
                    known = anchor_cache.setdefault(dest, anchors(dest))
                    if unquote(anchor).lower() not in known:
                        problems.append(f"{where} – keine Überschrift mit diesem Anker")
    return problems


def main() -> int:
    problems = broken_links(markdown_files())
    for problem in problems:
        print(problem)
    print(f"{len(markdown_files())} Dateien geprüft, {len(problems)} kaputte Links.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
