"""Benchmark: 39 municipal reports (executed ipynb + HTML), naive CLI loop vs warm kernels.

Naive = what a user would script: per municipality one ``papermill`` CLI run and one
``jupyter nbconvert --to html --no-input`` (both from .venv/bin). Ours = ``workbench reports
--all --format html,ipynb`` (warm kernels, N workers), timed end to end as a subprocess, so
Python start, imports and parameter validation count on both sides. Both run in this
process's run, one after the other, on the same machine state; the ratio is printed.

    .venv/bin/python bench/bench_reports.py                     # full naive loop (39)
    .venv/bin/python bench/bench_reports.py --naive-sample 6    # naive on 6, extrapolated
    .venv/bin/python bench/bench_reports.py --land              # + all BW municipalities
    .venv/bin/python bench/bench_reports.py --pdf --naive-sample 1   # 40 reports with PDF

With ``--pdf`` the main run is ``workbench reports --all --format html,pdf,ipynb`` (39
municipal reports + the Kreis report, tagged PDFs, and the combined Kreis PDF); its phases
(render = notebooks + HTML + ipynb, PDF printing, combined PDF) are read from the manifest.
Then the same 40 HTML files are printed again three times in this run: the printing before
issue 12 (one new tab per report, untagged, no header/footer, 2 at a time), the tagged
printing loading every report from scratch (``print_pdfs(swap=False)``, the pipeline before
the warm-tab swap) and the current ``workbench.reports.pdf.print_pdfs`` (tagged, cover,
header/footer, warm tabs).

With ``--naive-sample N`` the naive time for 39 is extrapolated from N reports (the output
says so). ``--land`` also renders the population-only report for every municipality of
Baden-Württemberg (HTML + ipynb) and prints the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _record import write_result

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
NOTEBOOK = ROOT / "notebooks" / "bericht_gemeinde.ipynb"


def naive(names: list[str], year: int, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, name in enumerate(names):
        target = out / f"{i:02d}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(target), "-p", "gemeinde",
                        name, "-p", "berichtsjahr", str(year), "--no-progress-bar"],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(target)], check=True, capture_output=True)
    return time.perf_counter() - start


def ours(year: int, out: Path, workers: int, extra: list[str],
         formats: str = "html,ipynb") -> float:
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "workbench"), "reports", "--year", str(year), "--out",
                           str(out), "--format", formats, "--workers", str(workers),
                           "--quiet", *extra], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(proc.stdout.strip())
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"workbench reports failed (exit {proc.returncode})")
    return elapsed


# The printing before tagged PDFs (reports/pdf.py until issue 12): untagged, no furniture.
LEGACY_PDF_OPTIONS = {"format": "A4", "print_background": True, "scale": 700 / 900,
                      "margin": {"top": "15mm", "bottom": "15mm", "left": "12mm",
                                 "right": "12mm"}}


def legacy_print(htmls: list[Path], out: Path, concurrency: int = 2) -> float:
    """Print like the previous pipeline did (same browser, a new tab per report)."""
    import asyncio

    from playwright.async_api import async_playwright

    from workbench.reports.pdf import CHARTS_DRAWN_JS, CHROMIUM_ARGS, chromium_path

    out.mkdir(parents=True, exist_ok=True)

    async def run() -> None:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                               args=CHROMIUM_ARGS)
            gate = asyncio.Semaphore(concurrency)

            async def one(html: Path) -> None:
                async with gate:
                    page = await browser.new_page(viewport={"width": 900, "height": 1000})
                    # 60 s like the previous pipeline (Playwright's default 30 s is too
                    # short on a loaded machine).
                    await page.goto(html.resolve().as_uri(), wait_until="load",
                                    timeout=60_000)
                    await page.wait_for_function(CHARTS_DRAWN_JS, timeout=60_000)
                    await page.emulate_media(media="print")
                    await page.pdf(path=str(out / f"{html.stem}.pdf"), **LEGACY_PDF_OPTIONS)
                    await page.close()

            await asyncio.gather(*(one(h) for h in htmls))
            await browser.close()

    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def current_print(htmls: list[Path], out: Path, swap: bool = True) -> float:
    from workbench.reports.pdf import print_pdfs

    start = time.perf_counter()
    errors = print_pdfs([(h, out / f"{h.stem}.pdf") for h in htmls], swap=swap)
    elapsed = time.perf_counter() - start
    failed = [str(e) for e in errors if e is not None]
    if failed:
        raise SystemExit(f"PDF printing failed: {failed[:3]}")
    return elapsed


def pdf_bench(year: int, tmp: Path, workers: int) -> tuple[dict[str, float], float]:
    """40 reports with PDF end to end, then old vs new printing of the same HTML."""
    import json

    t_all = ours(year, tmp / "pdf", workers, ["--all"], formats="html,pdf,ipynb")
    manifest = json.loads((tmp / "pdf" / "manifest.json").read_text(encoding="utf-8"))
    htmls = sorted(p for p in (tmp / "pdf").glob("*.html") if p.name != "index.html")
    combined = manifest.get("kreisbericht", {})
    phases = manifest.get("phases_s", {})
    t_render, t_pdf = float(phases.get("render", 0.0)), float(phases.get("pdf", 0.0))
    t_combined = float(phases.get("kreis_pdf", combined.get("seconds", 0.0)))
    print(f"ours with PDF: {len(htmls)} reports (HTML + tagged PDF + ipynb) and the combined "
          f"Kreis PDF ({combined.get('pdf', 'fehlt')}), {workers} workers: {t_all:.1f} s; "
          f"without the combined PDF {t_all - t_combined:.1f} s")
    print(f"  phases: render (notebooks, HTML, ipynb) {t_render:.1f} s, PDF printing "
          f"{t_pdf:.1f} s ({t_pdf / max(1, len(htmls)):.2f} s per report), combined PDF "
          f"{t_combined:.1f} s; start-up, index and manifest "
          f"{t_all - t_render - t_pdf - t_combined:.1f} s")
    t_legacy = legacy_print(htmls, tmp / "pdf-legacy")
    print(f"printing only, before issue 12 (untagged, new tab per report): {t_legacy:.1f} s "
          f"({t_legacy / len(htmls):.2f} s per report)")
    t_reload = current_print(htmls, tmp / "pdf-reload", swap=False)
    print(f"printing only, tagged, every report loaded from scratch: {t_reload:.1f} s "
          f"({t_reload / len(htmls):.2f} s per report)")
    t_current = current_print(htmls, tmp / "pdf-current")
    print(f"printing only, current (tagged, warm tabs swap the body): {t_current:.1f} s "
          f"({t_current / len(htmls):.2f} s per report); RATIO from scratch/current = "
          f"{t_reload / t_current:.2f}x")
    n = len(htmls)
    return ({
        f"workbench reports --all mit PDF ({n} Berichte + Gesamt-PDF), {workers} Worker":
            t_all,
        f"davon Rechnen (Notebooks, HTML, ipynb), {n} Berichte": t_render,
        f"davon PDF-Druck, {n} Berichte": t_pdf,
        f"davon Gesamt-PDF des Kreises ({n} Kapitel)": t_combined,
        f"ohne Gesamt-PDF ({n} Berichte: HTML + PDF + ipynb)": t_all - t_combined,
        f"nur PDF-Druck, vor Issue 12 (ohne Tags), {n} Berichte": t_legacy,
        f"nur PDF-Druck, getaggt, jeder Bericht neu geladen, {n} Berichte": t_reload,
        f"nur PDF-Druck, jetzt (getaggt, warme Tabs), {n} Berichte": t_current,
    }, t_reload / t_current)


# Issue 12's targets on a 2-core machine: 40 reports as HTML + tagged PDF + ipynb, and the
# combined Kreis PDF on top of that.
TARGET_REPORTS_S = 45.0
TARGET_COMBINED_S = 60.0


def target_notes(pdf_timings: dict[str, float]) -> list[str]:
    """German lines saying whether this run met issue 12's targets (from the measured values,
    so a slower machine or a regression shows as „nicht erreicht“)."""
    def pick(prefix: str) -> float:
        return next(v for k, v in pdf_timings.items() if k.startswith(prefix))

    def line(what: str, seconds: float, target: float) -> str:
        verdict = "erreicht" if seconds <= target else "nicht erreicht"
        return (f"Ziel {what} ≤ {target:.0f} s: {seconds:.1f} s in diesem Lauf – "
                f"{verdict}").replace(".", ",")

    return [line("40 Berichte (HTML + getaggtes PDF + ipynb)", pick("ohne Gesamt-PDF"),
                 TARGET_REPORTS_S),
            line("Gesamt-PDF des Kreises zusätzlich", pick("davon Gesamt-PDF"),
                 TARGET_COMBINED_S)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive-sample", type=int, default=39,
                        help="naive loop on the first N municipalities, extrapolated to 39")
    parser.add_argument("--land", action="store_true",
                        help="also time population-only reports for all BW municipalities")
    parser.add_argument("--pdf", action="store_true",
                        help="also time 40 reports with tagged PDF (+ combined Kreis PDF) and "
                             "the previous vs the current PDF printing")
    parser.add_argument("--keep", action="store_true", help="keep the output directory")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from workbench.region import municipalities

    names = municipalities().get_column("name").to_list()
    tmp = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    print(f"Maschine: {os.cpu_count()} Kerne, Last {os.getloadavg()[0]:.1f}; Ausgabe {tmp}")
    try:
        t_ours = ours(args.year, tmp / "ours", args.workers, ["--all", "--no-kreisbericht"])
        n_html = len([p for p in (tmp / "ours").glob("*.html") if p.name != "index.html"])
        print(f"ours: {n_html} reports (ipynb + HTML), {args.workers} workers: {t_ours:.1f} s")

        sample = names[: max(1, min(args.naive_sample, len(names)))]
        t_naive = naive(sample, args.year, tmp / "naive")
        per = t_naive / len(sample)
        t_naive39 = per * len(names)
        how = ("gemessen" if len(sample) == len(names)
               else f"hochgerechnet aus {len(sample)} Bericht(en), "
                    f"{per:.2f} s je Bericht".replace(".", ","))
        print(f"naive: papermill CLI + nbconvert CLI per report: {t_naive39:.1f} s for "
              f"{len(names)} ({how})")
        print(f"RATIO naive/ours = {t_naive39 / t_ours:.1f}x")
        timings = {f"naiv: papermill + nbconvert je Bericht, {len(names)} Berichte ({how})":
                   t_naive39,
                   f"workbench reports --all, {args.workers} Worker (warme Kernel)": t_ours}

        if args.land:
            from workbench.reports.plan import plan_land_jobs
            from workbench.reports.runner import run_batch

            jobs = plan_land_jobs(args.year)
            start = time.perf_counter()
            result = run_batch(jobs, tmp / "land", formats=("html", "ipynb"),
                               workers=args.workers, progress=False)
            t_land = time.perf_counter() - start
            print(result.summary().splitlines()[0])
            print(f"land: {len(jobs)} population-only reports (Baden-Württemberg): "
                  f"{t_land:.1f} s ({t_land / len(jobs):.2f} s per report)")
            timings[f"{len(jobs)} Berichte Baden-Württemberg (nur Bevölkerung)"] = t_land
        ratios = {"naiv ÷ workbench reports": t_naive39 / t_ours}
        notes: list[str] = []
        if args.pdf:
            pdf_timings, ratios["PDF-Druck: neu geladen ÷ warme Tabs"] = pdf_bench(
                args.year, tmp, args.workers)
            timings.update(pdf_timings)
            notes = target_notes(pdf_timings)
            for note in notes:
                print(note)
        write_result("bench_reports", statistic="ein Lauf",
                     title=f"{len(names)} Gemeindeberichte (ipynb + HTML), Jahr {args.year}",
                     timings=timings, ratios=ratios, notes=notes)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
