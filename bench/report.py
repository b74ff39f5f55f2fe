"""Write ``docs/leistung.md`` from the latest run record of each benchmark in ``bench/results/``.

    .venv/bin/python bench/report.py               # → docs/leistung.md
    .venv/bin/python bench/report.py --out -       # print instead

Each benchmark script writes a record (``bench/_record.py``): date, machine, command, timings,
ratios. A benchmark without a record on this machine is shown with the figures measured when
it was last documented by hand (the README of November 2026), labelled as such with their date
— never mixed with figures of a run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
OUT = ROOT / "docs" / "leistung.md"

# (script, heading, what is compared) in page order.
BENCHMARKS = [
    ("bench_population", "Bevölkerung: Laden, Prüfen, Kennzahlen",
     "alle 10.786 deutschen Gemeinden laden, prüfen, Anteil, Rang im Kreis, Abstand – gegen "
     "pandas mit zeilenweiser Prüfschleife; dazu `load_population()` mit und ohne "
     "Zwischenspeicher"),
    ("bench_reports", "Berichte je Gemeinde",
     "39 Berichte (ipynb + HTML) mit `workbench reports` auf warmen Kerneln – gegen eine "
     "Shell-Schleife aus `papermill` und `jupyter nbconvert --no-input`"),
    ("bench_dashboards", "Dashboards",
     "Dashboard „Ausländeranteil“ im headless Chromium, in der Seite gemessen (Browser-Cache "
     "warm) – gegen Voila mit Standardeinstellungen und demselben Notebook"),
    ("bench_store", "Messwertspeicher",
     "20.000 Messwerte importieren (prüfen + eine Transaktion) – gegen je Wert ein `record()`; "
     "Abfragen; 4 Prozesse schreiben gleichzeitig"),
    ("bench_progress", "Status der Indikatoren",
     "Status von 315 Indikatoren (39 Träger) in einem Durchgang – gegen einen Filter je "
     "Indikator in einer Schleife"),
    ("bench_hub", "Mehrbenutzerbetrieb (Hub)",
     "gleichzeitige Besucher eines Dashboards über den echten Hub (Anmeldung, Proxy, "
     "Dashboard-Dienst) auf HTTP- und Kernel-Websocket-Ebene: Zeit bis die Seite nutzbar ist "
     "(HTML und Widget-Zustände vom Kernel), Speicher je Besucher; Startseite über den Hub "
     "gegen denselben Server ohne Hub (Aufschlag für Anmeldung und Proxy)"),
    ("bench_kernel_memory", "Speicher je Dashboard-Kernel",
     "jeder Besucher eines Dashboards hält einen Kernel: Speicher (RSS, USS, PSS) je "
     "vorgeheiztem Kernel im Leerlauf und des Servers, ein Server je Dashboard (Pool 1); "
     "Ziel ≤ 150 MiB RSS je Kernel (Issue 13)"),
]

# Memory before issue 13's kernel changes, measured by hand with the same script on the
# commit before them (no run record of that code on later machines).
MEMORY_BEFORE = {
    "bench_kernel_memory": {
        "when": "gemessen am 04.12.2026 mit demselben Befehl auf Commit 86d1dc0, vor den "
                "Änderungen; Mittel aus 2 Läufen",
        "rows": [("Kernel Ausländeranteil: RSS", 234.3), ("Kernel Handlungsfelder: RSS", 170.1),
                 ("Kernel Messwerte erfassen: RSS", 150.3),
                 ("Server (Voila, ein Dashboard): RSS", 154.1)],
    },
}


# Figures from the README as measured by hand (shared 2-core machine, others' load running).
DOCUMENTED = {
    "date": "21.11.2026",
    "machine": "geteilte 2-Kern-Maschine, während andere Prozesse liefen",
    "rows": {
        "bench_population": [("workbench (polars) vs. naiv (pandas)", "62 ms vs. 944 ms",
                              "15×")],
        "bench_reports": [
            ("39 Berichte: workbench reports (2 Worker) vs. naive Schleife", "16,6 s vs. 452,6 s",
             "27×"),
            ("1.103 Berichte Baden-Württemberg (nur Bevölkerung, 2 Worker)", "374 s", "–"),
        ],
        "bench_dashboards": [
            ("sichtbar: workbench vs. Standard-Voila", "1,31–1,40 s vs. 7,1–7,5 s", "5,0–5,7×"),
            ("Gemeinde wechseln", "45–52 ms", "–"),
        ],
        "bench_store": [("20.000 Werte: import_observations vs. record() je Wert",
                         "1,2–1,5 s vs. 34–55 s", "29–36×")],
        "bench_progress": [("indicator_progress vs. Filter je Indikator", "10–18 ms vs. 48–105 ms",
                            "≈ 5×")],
    },
}


def german(x: float, digits: int = 1) -> str:
    text = f"{x:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def duration(seconds: float) -> str:
    if seconds < 1:
        return f"{german(seconds * 1000)} ms"
    return f"{german(seconds, 2 if seconds < 10 else 1)} s"


def mib(value: float) -> str:
    return f"{german(value)} MiB"


def latest(results_dir: Path = RESULTS_DIR) -> dict[str, dict]:
    """The newest record per benchmark (file names sort by UTC time)."""
    found: dict[str, dict] = {}
    for path in sorted(results_dir.glob("bench_*-*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        found[record["benchmark"]] = record
    return found


def machine_text(m: dict) -> str:
    parts = [m.get("cpu") or "CPU unbekannt", f"{m.get('cores')} Kerne"]
    if m.get("ram_gib") is not None:
        parts.append(f"{german(m['ram_gib'])} GiB RAM")
    if m.get("load_1min") is not None:
        parts.append(f"Last beim Start {german(m['load_1min'])}")
    parts.append(f"Python {m.get('python')}")
    return ", ".join(parts)


def when(record: dict) -> str:
    stamp = dt.datetime.fromisoformat(record["date"])
    return f"{stamp:%d.%m.%Y %H:%M} UTC"


def render(records: dict[str, dict]) -> str:
    lines = [
        "# Leistung",
        "",
        "<!-- Erzeugt von bench/report.py aus bench/results/ – nicht von Hand bearbeiten. -->",
        "",
        "Jeder Benchmark in `bench/` misst im selben Lauf auch den naiven Weg (was man ohne "
        "dieses Paket schreiben würde) und gibt das Verhältnis aus. Die Maschinen sind geteilt "
        "und laut: die Verhältnisse sind aussagekräftiger als die absoluten Zeiten.",
        "",
        "```bash",
        "make bench                                    # alle Benchmarks (bench/run_all.py)",
        ".venv/bin/python bench/run_all.py population  # nur einer",
        ".venv/bin/python bench/report.py              # diese Seite neu schreiben",
        "```",
        "",
        "Genauigkeit statt Geschwindigkeit: der Rückblick-Test der Schätzung "
        "(`bench/bench_backtest.py`) steht im [Bevölkerungsmodell]"
        "(bevoelkerungsmodell.md#unsicherheit--prozentpunkte-aus-dem-rückblick-test).",
        "",
        "## Überblick",
        "",
        "| Benchmark | Verhältnis (naiv ÷ workbench) | Stand |",
        "|---|---|---|",
    ]
    for name, heading, _ in BENCHMARKS:
        record = records.get(name)
        if record:
            ratio = "; ".join(f"{k}: **{german(v)}×**" for k, v in record["ratios"].items())
            if not ratio and record.get("notes"):
                ratio = record["notes"][0]  # e.g. the memory benchmark's verdict
            stand = f"Lauf vom {when(record)}"
        elif name in DOCUMENTED["rows"]:
            ratio = "; ".join(f"{label}: **{r}**" for label, _, r in DOCUMENTED["rows"][name]
                              if r != "–")
            stand = f"von Hand dokumentiert am {DOCUMENTED['date']}"
        else:
            ratio, stand = "–", "noch kein Lauf"
        lines.append(f"| [{heading}](#{slug(heading)}) (`{name}.py`) | {ratio} | {stand} |")
    for name, heading, what in BENCHMARKS:
        lines += ["", f"## {heading}", "", f"`bench/{name}.py`: {what}.", ""]
        record = records.get(name)
        if record:
            lines += [
                f"Gemessen am **{when(record)}** auf: {machine_text(record['machine'])}.",
                f"Befehl: `{record['command']}`.",
                "",
                f"| Messung | {record['statistic']} |",
                "|---|---|",
            ]
            lines += [f"| {label} | {duration(s)} |" for label, s in record["timings_s"].items()]
            lines += [f"| {label} | {mib(v)} |"
                      for label, v in record.get("memory_mib", {}).items()]
            lines.append("")
            before = MEMORY_BEFORE.get(name)
            if before:
                lines += [f"Vorher ({before['when']}):", "",
                          "| Messung | vorher | dieser Lauf |", "|---|---|---|"]
                now = record.get("memory_mib", {})
                lines += [f"| {label} | {mib(v)} | {mib(now[label]) if label in now else '–'} |"
                          for label, v in before["rows"]]
                lines.append("")
            lines += [f"- Verhältnis {label}: **{german(v)}×**"
                      for label, v in record["ratios"].items()]
            lines += [f"- {note}" for note in record.get("notes", [])]
        elif name not in DOCUMENTED["rows"]:
            lines.append("Noch kein Lauf mit Ergebnisdatei auf dieser Maschine.")
        else:
            lines += [
                f"Noch kein Lauf mit Ergebnisdatei. Die Werte unten sind **von Hand "
                f"dokumentierte Messungen vom {DOCUMENTED['date']}** (README, "
                f"{DOCUMENTED['machine']}), nicht von diesem Skript erzeugt.",
                "",
                "| Messung | Zeit | Verhältnis |",
                "|---|---|---|",
            ]
            lines += [f"| {a} | {b} | {c} |" for a, b, c in DOCUMENTED["rows"][name]]
    return "\n".join(lines) + "\n"


def slug(heading: str) -> str:
    """GitHub/MyST anchor of a heading (lower case, punctuation removed, spaces → hyphens)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--out", default=str(OUT), help="Zieldatei oder - für die Ausgabe")
    args = parser.parse_args(argv)
    text = render(latest(args.results))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"geschrieben: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
