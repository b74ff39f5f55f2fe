"""Deterministic example observations (*Beispieldaten*, keine amtlichen Werte).

Why: the dashboards, reports and the analyst notebook need values to show before a
municipality has entered its own. Every generated row is ``is_example=True`` with
:data:`SOURCE` and :data:`ENTERED_BY`, so everything that shows them labels them.

How values are generated (documented for reproducibility):

* Periods are half-year ends (30.06. and 31.12.) from 2025-06-30 up to ``as_of``.
* Each indicator gets a *profile* by its position in the catalogue, cycling through
  :data:`PROFILES` (so every Träger shows a mix of statuses). ``keine-daten`` indicators get no
  rows at all.
* Noise comes from ``random.Random(f"{SEED}:{traeger}:{indicator}")`` (string seeds are
  hashed with SHA-512 by Python, independent of ``PYTHONHASHSEED``): the same call gives the
  same values on every machine, and a value for a period never depends on ``as_of`` — later
  runs only add new periods (idempotent loading via ``record_many(skip_unchanged=True)``).
* ``stand`` counts grow along the linear plan times the profile's pace (cumulative, never
  decreasing); ``jahr`` counts restart each calendar year; milestones switch 0 → 1 at a
  profile-dependent share of the Zeitrahmen; qualitative indicators get a short note.

Example catalogues for three further municipalities are generated from the catalogue template
(:func:`example_catalogue_text`) with a subset of its indicators and example targets; they are
shipped as ``data/catalogues/beispiel-*.yaml`` with ``beispiel: true``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
import yaml

from workbench import catalogue as cat
from workbench import paths
from workbench.access import GROUP_LOCAL, Principal
from workbench.fsutil import atomic_write
from workbench.observation import Observation

SEED = 20250630
SOURCE = "Beispieldaten (generiert, keine amtlichen Werte)"
ENTERED_BY = "workbench example-data"
FIRST_PERIOD = dt.date(2025, 6, 30)
LAST_PERIOD = dt.date(2029, 12, 31)

# Pace relative to the linear plan (1.0 = exactly on plan); milestone done at this share
# of the Zeitrahmen (> 1: after the due date); None = never reported.
PROFILES: tuple[str, ...] = ("im-plan", "schnell", "langsam", "keine-daten", "stockend",
                             "im-plan", "schnell", "langsam")
PACE = {"im-plan": 1.0, "schnell": 1.5, "langsam": 0.6, "stockend": 0.25}
MILESTONE_DONE_AT = {"im-plan": 0.8, "schnell": 0.4, "langsam": 1.3, "stockend": None}

# Träger with generated observations (if their catalogue exists).
EXAMPLE_MUNICIPALITIES: tuple[tuple[str, str], ...] = (
    ("08118051", "Möglingen"),
    ("08118046", "Kornwestheim"),
    ("08118079", "Bietigheim-Bissingen"),
)
SHIPPED_TRAEGER = ("sachsenheim", "landkreis", "ludwigsburg")

# Example targets for the template indicators: (baseline, target) ranges; None = leave unset.
_TEMPLATE_TARGETS: dict[str, tuple[tuple[int, int] | None, tuple[int, int] | None]] = {
    "anzahl-sprachkurse": ((1, 3), (5, 8)),
    "teilnehmende-sprachkurse": (None, (40, 80)),
    "vermittelte-stellen": (None, (15, 30)),
    "workshops-wohnen": (None, (4, 8)),
    "anteil-privatwohnraum": ((15, 25), (30, 45)),
    "interkulturelle-veranstaltungen": (None, (4, 8)),
    "neuzugaenge-vereine": (None, (10, 25)),
}


def example_traeger_id(name: str) -> str:
    return "beispiel-" + cat.slugify(name)


def example_catalogue_text(ags: str, name: str) -> str:
    """A small example catalogue from the template: subset of indicators, example targets."""
    traeger_id = example_traeger_id(name)
    data = yaml.safe_load(cat.render_template(ags, name, traeger_id, beispiel=True))
    rnd = random.Random(f"{SEED}:catalogue:{traeger_id}")
    data["traeger"]["konzept"] = {
        "titel": f"Beispielkatalog {name} (aus der Vorlage generiert, kein beschlossenes Konzept)",
        "herausgeber": "workbench (Beispiel)",
        "stand": "generiert",
    }
    data["traeger"]["hinweis"] = (
        "Beispielkatalog für Vorführung und Tests: Maßnahmen, Ziel- und Ausgangswerte sind "
        "erfunden und stammen nicht von der Gemeinde."
    )
    for hf in data["handlungsfelder"]:
        for m in hf["massnahmen"]:
            m["quelle"] = {"dokument": "Beispielkatalog (generiert aus katalog_vorlage.yaml)"}
            inds = m["indikatoren"]
            if len(inds) > 1 and rnd.random() < 0.5:  # subset: drop one indicator sometimes
                inds.pop(rnd.randrange(len(inds)))
            for ind in inds:
                base, target = _TEMPLATE_TARGETS.get(ind["id"], (None, None))
                ind["ausgangswert"] = rnd.randint(*base) if base else None
                ind["ausgangsdatum"] = dt.date(2024, 12, 31) if base else None
                if ind["art"] in ("anzahl", "anteil"):
                    ind["zielwert"] = rnd.randint(*target) if target else None
                # keep the files short: drop unset optional keys
                for key in ("ausgangswert", "ausgangsdatum", "zielwert"):
                    if ind.get(key) is None:
                        ind.pop(key, None)
    header = (
        f"# BEISPIELKATALOG {name} – generiert von workbench.examples.example_catalogue_text\n"
        "# aus data/templates/katalog_vorlage.yaml. Keine Angaben der Gemeinde; nur für\n"
        "# Vorführung und Tests. Neu erzeugen statt von Hand ändern.\n"
    )
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    cat.parse_catalogue(text, file=f"{traeger_id}.yaml")
    return text


def write_example_catalogues(directory: Path | None = None) -> list[Path]:
    """Write the example catalogues (atomic per file; existing files are replaced)."""
    directory = directory or paths.catalogue_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for ags, name in EXAMPLE_MUNICIPALITIES:
        path = directory / f"{example_traeger_id(name)}.yaml"
        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write(example_catalogue_text(ags, name))
        written.append(path)
    return written


def example_catalogues() -> dict[str, cat.Catalogue]:
    """Shipped Träger plus the example municipalities (from files, else generated in memory)."""
    available = set(cat.list_traeger())
    out = {tid: cat.load_catalogue(tid) for tid in SHIPPED_TRAEGER if tid in available}
    for ags, name in EXAMPLE_MUNICIPALITIES:
        tid = example_traeger_id(name)
        out[tid] = (cat.load_catalogue(tid) if tid in available
                    else cat.parse_catalogue(example_catalogue_text(ags, name)))
    return out


def periods(as_of: dt.date) -> list[dt.date]:
    """Half-year ends from 2025-06-30 up to ``as_of`` (inclusive)."""
    out = []
    for year in range(FIRST_PERIOD.year, LAST_PERIOD.year + 1):
        for p in (dt.date(year, 6, 30), dt.date(year, 12, 31)):
            if FIRST_PERIOD <= p <= as_of:
                out.append(p)
    return out


def _share(start: dt.date, due: dt.date, at: dt.date) -> float:
    if due <= start:
        return 1.0
    return max(0.0, (at - start).days / (due - start).days)


def _series(ind: dict[str, Any], profile: str, rnd: random.Random,
            all_periods: list[dt.date]) -> list[tuple[dt.date, float | None, str | None]]:
    """Values for every period up to LAST_PERIOD (independent of as_of)."""
    kind, start, due = ind["kind"], ind["start"], ind["due"]
    pace = PACE[profile] * rnd.uniform(0.9, 1.1)
    out: list[tuple[dt.date, float | None, str | None]] = []
    if kind == "qualitativ":
        for p in all_periods:
            if p.month == 12:
                out.append((p, None, f"Beispielnotiz {p.year}: Bericht/Impressionen "
                                     "(Beispieldaten)"))
        return out
    if kind == "meilenstein":
        done_at = MILESTONE_DONE_AT[profile]
        for p in all_periods:
            done = done_at is not None and _share(start, due, p) >= done_at
            out.append((p, 1.0 if done else 0.0, None))
        return out

    target, baseline = ind["target"], ind["baseline"]
    if ind["period_basis"] == "jahr":
        # Count within the calendar year; target per year, else a rate of 2–12 per year.
        rate = target if target is not None else rnd.randint(2, 12)
        if ind["direction"] == "niedriger_besser":
            rate = rnd.randint(20, 40)
        for p in all_periods:
            year_share = 0.5 if p.month == 6 else 1.0
            trend = 1.0
            if ind["direction"] == "niedriger_besser":  # e.g. fewer interpreter assignments
                trend = max(0.3, 1 - 0.12 * (p.year - 2025))
            value = rate * year_share * pace * trend * rnd.uniform(0.85, 1.15)
            out.append((p, float(max(0, round(value))), None))
        return out

    # "stand": cumulative level along the linear plan
    if target is None:
        # No target: a plausible level with slow growth (small counts included on purpose,
        # so small-number suppression is exercised).
        level = float(baseline) if baseline is not None else float(rnd.randint(0, 6))
        step = rnd.uniform(0.5, 4.0) * pace
        for p in all_periods:
            level = level + step * rnd.uniform(0.5, 1.5)
            if ind["direction"] == "niedriger_besser":
                level = max(0.0, level - 2 * step)
            out.append((p, _fit(kind, level), None))
        return out
    base = baseline if baseline is not None else 0.0
    best = None
    for p in all_periods:
        plan = min(1.3, _share(start, due, p) * pace)
        value = base + (target - base) * plan * rnd.uniform(0.95, 1.05)
        value = _fit(kind, value)
        if best is not None and ind["direction"] == "hoeher_besser":
            value = max(value, best)  # cumulative counts do not fall
        best = value
        out.append((p, value, None))
    return out


def _fit(kind: str, value: float) -> float:
    if kind == "anteil":
        return round(min(100.0, max(0.0, value)), 1)
    return float(max(0, math.floor(value + 0.5)))


def generate_examples(as_of: dt.date,
                      catalogues: dict[str, cat.Catalogue] | None = None) -> pl.DataFrame:
    """Example observations up to ``as_of`` (store row columns, ``is_example=True``).

    Columns: traeger_id, indicator_id, period, value, note, entered_by, source, comment,
    is_example. Deterministic (see module docstring).
    """
    catalogues = catalogues if catalogues is not None else example_catalogues()
    all_periods = periods(LAST_PERIOD)
    rows = []
    for tid, catalogue in catalogues.items():
        indicators = cat.indicators_frame(catalogue, closed=False)  # no values for history
        for index, ind in enumerate(indicators.iter_rows(named=True)):
            profile = PROFILES[index % len(PROFILES)]
            if profile == "keine-daten":
                continue
            rnd = random.Random(f"{SEED}:{tid}:{ind['indicator_id']}")
            for period, value, note in _series(ind, profile, rnd, all_periods):
                if period > as_of:
                    break
                rows.append({
                    "traeger_id": tid,
                    "indicator_id": ind["indicator_id"],
                    "period": period,
                    "value": value,
                    "note": note,
                    "entered_by": ENTERED_BY,
                    "source": SOURCE,
                    "comment": f"Profil {profile}",
                    "is_example": True,
                })
    schema = {
        "traeger_id": pl.String, "indicator_id": pl.String, "period": pl.Date,
        "value": pl.Float64, "note": pl.String, "entered_by": pl.String, "source": pl.String,
        "comment": pl.String, "is_example": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def example_observations(as_of: dt.date,
                         catalogues: dict[str, cat.Catalogue] | None = None) -> list[Observation]:
    """:func:`generate_examples` as :class:`~workbench.observation.Observation` objects (the
    store's input)."""
    return [Observation(**row) for row in generate_examples(as_of, catalogues).to_dicts()]


def load_examples_into(store: Any, as_of: dt.date, actor: Principal | None = None) -> int:
    """Write the example rows through ``store.record_many`` (one transaction); return the
    number of new versions. Re-running with identical values writes nothing. ``actor``: who
    writes (``ObservationStore.authorize``; under the hub only Kreis-Integration may)."""
    return store.record_many(example_observations(as_of), skip_unchanged=True, actor=actor)


class StoredOrExamples(NamedTuple):
    """What :func:`observations_for` found: the frame, and whether it is Beispieldaten."""

    observations: pl.DataFrame  # OBSERVATION_SCHEMA of workbench.store
    are_examples: bool  # True: generated Beispielwerte, no measured or official values


def observations_for(traeger_id: str | None = None, as_of: dt.date | None = None,
                     store_path: Path | None = None, *,
                     catalogue: cat.Catalogue | None = None,
                     examples: bool = True) -> StoredOrExamples:
    """Current observations from the store, else example data (the one place that decides).

    Returns ``(observations, are_examples)``. When the store file does not exist or holds no
    values for ``traeger_id``, a temporary store is filled with example data (the default
    store is never created or modified here) and ``are_examples`` is True; every caller labels
    such values as Beispieldaten. ``examples=False``: never examples, an empty frame instead.
    ``catalogue``: generate examples from this Träger's catalogue only (same values; other
    catalogues are not read, so a broken one elsewhere does not matter).
    """
    from workbench.store import OBSERVATION_SCHEMA, ObservationStore

    as_of = as_of or dt.date.today()
    path = store_path or paths.store_path()
    if path.exists():
        current = ObservationStore(path).current(traeger_id)
        if current.height or not examples:
            return StoredOrExamples(current, False)
    if not examples:
        return StoredOrExamples(pl.DataFrame(schema=OBSERVATION_SCHEMA), False)
    # The temporary store only lives for this call: nothing is left behind in /tmp.
    with tempfile.TemporaryDirectory(prefix="workbench-beispiel-") as tmp:
        store = ObservationStore(Path(tmp) / "beispiel.sqlite")
        # A private throw-away store: the generator writes, also under the hub (no person's
        # right is involved; the real store is never touched here).
        generator = Principal(ENTERED_BY, frozenset({GROUP_LOCAL}))
        try:
            if catalogue is not None and traeger_id == catalogue.traeger.id:
                store.record_many(example_observations(as_of, {traeger_id: catalogue}),
                                  skip_unchanged=True, actor=generator)
            else:
                load_examples_into(store, as_of, actor=generator)
            return StoredOrExamples(store.current(traeger_id), True)
        finally:
            store.close()
