"""Every hostile file through ``workbench validate`` and ``workbench import-observations``.

Each run is a forked child of ``driver.py`` with ``RLIMIT_AS`` 1,5 GB and a 20 s alarm. For
every hostile file: exit code 1, a German message naming the file, no traceback, no English
library text, the observation store unchanged, and the documented bound (≤ 10 s, ≤ 500 MB peak
RSS per file and command; docs/eingabedaten-grenzen.md). Good files still import.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import hostile  # noqa: E402

PROJECT = HERE.parents[1]
CATALOGUES = PROJECT / "tests" / "handlungsfelder" / "data" / "store_catalogues"
MAX_SECONDS = 10.0
MAX_RSS_MB = 500.0
ENGLISH = re.compile(
    r"Traceback|Error:|error:|Exception|File is not a zip|EOCD|calamine|Zip error|"
    r"expected|unexpected|not well-formed|invalid|Errno|No such file"
)


def _store_state(db: Path) -> tuple[int, str]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT * FROM observation ORDER BY 1").fetchall()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("hardening")
    env = {
        **os.environ,
        "WORKBENCH_CATALOGUE_DIR": str(CATALOGUES),
        "WORKBENCH_DATA_DIR": str(tmp / "data"),
        "WORKBENCH_USER_DIR": str(tmp / "user"),
        "WORKBENCH_OUTPUT_DIR": str(tmp / "output"),
        "WORKBENCH_CACHE_DIR": str(tmp / "cache"),
        "WORKBENCH_DB": str(tmp / "default.sqlite"),
        "POLARS_MAX_THREADS": "1",
    }
    # One store with a value in it; hostile imports must leave it byte-for-byte unchanged.
    db = tmp / "store.sqlite"
    from workbench.observation import Observation
    from workbench.store import ObservationStore

    store = ObservationStore(db, validate=False)
    store.record(Observation("teststadt", "anzahl-kurse", __import__("datetime").date(2024, 12, 31),
                             3, entered_by="Test", source="vorher"))
    store.close()
    before = _store_state(db)

    files = sorted((HERE / "data").iterdir()) + hostile.write_large(tmp)
    jobs = []
    for f in files:
        jobs.append(f"validate|{f}|{db}")
        if not f.name.startswith("muni_"):
            jobs.append(f"import|{f}|{db}")
    out = tmp / "hostile.json"
    subprocess.run([sys.executable, str(HERE / "driver.py"), str(out), *jobs], env=env,
                   check=True, timeout=600)
    hostile_results = json.loads(out.read_text(encoding="utf-8"))
    after_hostile = _store_state(db)

    good_db = tmp / "good.sqlite"
    ObservationStore(good_db, validate=False).close()
    good_jobs = [f"import|{f}|{good_db}" for f in sorted((HERE / "good").iterdir())]
    good_jobs += [f"validate|{f}|{good_db}" for f in sorted((HERE / "good").iterdir())]
    good_jobs += [f"validate|{PROJECT / 'data' / 'templates'}|{good_db}"]
    out_good = tmp / "good.json"
    subprocess.run([sys.executable, str(HERE / "driver.py"), str(out_good), *good_jobs],
                   env=env, check=True, timeout=600)
    return {
        "hostile": hostile_results,
        "good": json.loads(out_good.read_text(encoding="utf-8")),
        "before": before,
        "after": after_hostile,
        "good_db": good_db,
        "n_files": len(files),
    }


def test_every_hostile_file_is_refused_in_german(runs):
    failures = []
    for r in runs["hostile"]:
        name = Path(r["file"]).name
        out = r["output"]
        problems = []
        if r["exit"] != 1:
            problems.append(f"exit {r['exit']}")
        if name not in out:
            problems.append("file not named")
        if "Traceback" in out:
            problems.append("traceback")
        if ENGLISH.search(out.replace("erwartet:", "")):
            problems.append(f"English text: {ENGLISH.search(out.replace('erwartet:', ''))[0]}")
        if "\x1b" in out:
            problems.append("raw escape sequence reached the terminal")
        if r["seconds"] > MAX_SECONDS:
            problems.append(f"{r['seconds']} s")
        if r["peak_rss_mb"] > MAX_RSS_MB:
            problems.append(f"{r['peak_rss_mb']} MB")
        if problems:
            failures.append(f"{r['command']} {name}: {', '.join(problems)}\n{out[:400]}")
    assert not failures, "\n".join(failures)


def test_store_unchanged_by_hostile_imports(runs):
    assert runs["after"] == runs["before"]


def test_row_and_column_named_where_they_apply(runs):
    by = {(Path(r["file"]).name, r["command"]): r["output"] for r in runs["hostile"]}
    expect = {
        ("obs_unclosed_quote.csv", "import"): "Zeile 2",
        ("obs_quote_swallows_rows.csv", "import"): "in Zeile 2 geöffnete",
        ("obs_mixed_utf8_cp1252.csv", "import"): "Zeile 3",
        ("obs_bom_then_cp1252.csv", "import"): "Windows-1252",
        ("obs_year_9999.csv", "import"): "Zeile 2, Spalte „Stichtag“",
        ("obs_thousands_1500.csv", "import"): "eintausendfünfhundert",
        ("obs_twenty_digits.csv", "import"): "Spalte „Wert“",
        ("muni_twenty_digits.csv", "validate"): "Spalte „Bevölkerung insgesamt“",
        ("muni_parts_nationality.csv", "validate"): "Deutsche + Ausländer",
        ("muni_parts_sex.csv", "validate"): "männlich + weiblich",
        ("obs_milestone_x.csv", "import"): "„x“",
        ("obs_error_cell.xlsx", "validate"): "#DIV/0!",
        ("obs_formula_no_cache.xlsx", "validate"): "Formel in Zelle D2",
        ("obs_formula_fullcalc.xlsx", "import"): "Formel in Zelle D2",
        ("obs_hidden_sheet.xlsx", "import"): "ausgeblendet",
        ("any_dimension_xfd1048576.xlsx", "validate"): "XFD1048576",
        ("any_cell_xfd3000.xlsx", "import"): "XFD3000",
        ("any_encrypted.xlsx", "import"): "kennwortgeschützt",
        ("any_xls_renamed.xlsx", "import"): ".xls",
        ("any_zip_bomb.xlsx", "validate"): "Kompressionsrate",
        ("any_200mb.csv", "import"): "höchstens 50 MB",
        ("obs_150000_rows.csv", "import"): "100.000",
        ("obs_field_200kb.csv", "import"): "32.767",
        ("obs_ansi_escape.csv", "import"): "\\x1b[2J",
    }
    missing = [f"{k}: {v!r} not in {by.get(k, '')[:300]!r}" for k, v in expect.items()
               if v not in by.get(k, "")]
    assert not missing, "\n".join(missing)


def test_good_files_still_import_and_validate(runs):
    bad = [f"{r['command']} {Path(r['file']).name}: exit {r['exit']}\n{r['output'][:400]}"
           for r in runs["good"] if r["exit"] != 0]
    assert not bad, "\n".join(bad)
    with sqlite3.connect(runs["good_db"]) as con:
        got = dict(con.execute("SELECT indicator_id || ' ' || period, value FROM observation "
                               "WHERE indicator_id = 'anteil-a2'").fetchall())
        periods = {p for (p,) in con.execute("SELECT DISTINCT period FROM observation")}
    assert got == {"anteil-a2 2025-12-31": 12.5}  # the percent cell as the user saw it
    assert periods == {"2025-12-31"}  # date cell, date-time cell and text all the same day


def test_outcome_table(runs, capsys):
    """Print the outcome table of the report (run with -s to see it)."""
    rs = runs["hostile"]
    clear = sum(1 for r in rs if r["exit"] == 1 and "Traceback" not in r["output"])
    tracebacks = sum(1 for r in rs if "Traceback" in r["output"])
    aborts = sum(1 for r in rs if r["exit"] < 0 or r["exit"] > 1)
    accepted = sum(1 for r in rs if r["exit"] == 0)
    worst_t = max(rs, key=lambda r: r["seconds"])
    worst_m = max(rs, key=lambda r: r["peak_rss_mb"])
    with capsys.disabled():
        print(f"\n{runs['n_files']} Dateien, {len(rs)} Läufe: {clear} klare deutsche Fehler, "
              f"{tracebacks} Tracebacks, {aborts} Abbrüche, {accepted} still angenommen; "
              f"max. {worst_t['seconds']} s ({Path(worst_t['file']).name}, "
              f"{worst_t['command']}), max. {worst_m['peak_rss_mb']} MB "
              f"({Path(worst_m['file']).name}, {worst_m['command']})")
    assert accepted == tracebacks == aborts == 0
