#!/usr/bin/env python
"""Fill in the ``sha256`` of ``*.provenance.json`` files whose checksum is still empty.

The provenance content (title, publisher, licence, origin, dates, format notes) is written by
hand; this script only computes checksums so they are never typed. Existing checksums are left
alone unless a file is named explicitly with ``--force`` – a mismatch is a finding, not
something to paper over.

    .venv/bin/python scripts/update_provenance_checksums.py            # data/raw + data/published
    .venv/bin/python scripts/update_provenance_checksums.py --force data/raw/x/new.csv
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from workbench.provenance import SUFFIX, provenance_path, sha256_file


def update(prov: Path, force: bool) -> str | None:
    meta = json.loads(prov.read_text(encoding="utf-8"))
    data = prov.with_name(prov.name[: -len(SUFFIX)])
    digest = sha256_file(data)
    if meta.get("sha256") and not force:
        return None
    meta["sha256"] = digest
    fd, tmp = tempfile.mkstemp(dir=prov.parent, prefix=f".{prov.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, prov)
    return digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="data files (default: all under data/raw, data/published)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite existing checksums of the named files"
    )
    args = parser.parse_args()
    if args.files:
        provs = [provenance_path(f) for f in args.files]
    else:
        from workbench.paths import data_dir, raw_dir

        provs = sorted(
            [*raw_dir().rglob(f"*{SUFFIX}"), *(data_dir() / "published").rglob(f"*{SUFFIX}")]
        )
        args.force = False
    for prov in provs:
        digest = update(prov, args.force)
        print(f"{prov}: {'sha256 ' + digest if digest else 'unverändert'}")


if __name__ == "__main__":
    main()
