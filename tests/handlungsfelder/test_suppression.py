"""Small-number suppression: primary, secondary, no reveal via totals, zeros."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from workbench.suppression import display_values, published_indicator_table, suppress_table

TOTAL = "Insgesamt"


def one_dim(values: list[float], persons: bool = True, with_total: bool = True) -> pl.DataFrame:
    rows = [{"row": f"G{i}", "value": float(v)} for i, v in enumerate(values)]
    if with_total:
        rows.append({"row": TOTAL, "value": float(sum(values))})
    return pl.DataFrame(rows).with_columns(pl.lit(persons).alias("about_persons"))


def attack(table: pl.DataFrame, dims: list[str]) -> list[tuple]:
    """Try to recompute every hidden cell by subtracting the shown cells from a shown total.

    Returns the (cell, recomputed value) pairs an attacker gets; a correct suppression makes
    this list empty.
    """
    revealed = []
    for d in dims:
        others = [c for c in dims if c != d]
        groups = table.group_by(others) if others else [((), table)]
        for _, group in groups:
            total = group.filter(pl.col(d) == TOTAL)
            members = group.filter(pl.col(d) != TOTAL)
            if total.height != 1 or total["display"][0] == ".":
                continue
            hidden = members.filter(pl.col("display") == ".")
            if hidden.height == 1:
                shown = sum(int(x.replace(".", "")) for x in members["display"] if x != ".")
                revealed.append((hidden.row(0), int(total["display"][0].replace(".", "")) - shown))
    return revealed


def test_primary_and_zero():
    out = suppress_table(one_dim([0, 1, 2, 3, 5], with_total=False))
    assert out["display"].to_list() == ["0", ".", ".", "3", "5"]
    assert out["suppression"].to_list() == [None, "primär", "primär", None, None]
    assert out["value"].to_list() == [0, 1, 2, 3, 5]  # raw kept for analysts


def test_secondary_suppresses_next_smallest_positive_cell():
    out = suppress_table(one_dim([1, 7, 4, 9]))
    assert out["display"].to_list() == [".", "7", ".", "9", "21"]
    assert out["suppression"].to_list() == ["primär", None, "sekundär", None, None]
    # zero is not a protection: the next-smallest *positive* cell is hidden, 0 stays 0
    out = suppress_table(one_dim([2, 0, 5, 8]))
    assert out["display"].to_list() == [".", "0", ".", "8", "15"]


def test_without_secondary_the_total_would_reveal_the_cell():
    table = one_dim([1, 7, 4, 9])
    naive = table.with_columns(
        pl.when(pl.col("value").is_between(1, 2)).then(pl.lit("."))
        .otherwise(pl.col("value").cast(pl.Int64).cast(pl.String)).alias("display"))
    assert attack(naive, ["row"]) == [(("G0", 1.0, True, "."), 1)]  # the attack works ...
    assert attack(suppress_table(table), ["row"]) == []             # ... and is blocked


def test_no_person_counts_no_suppression_and_large_numbers_formatted():
    out = suppress_table(one_dim([1, 2, 1500], persons=False))
    assert out["display"].to_list() == ["1", "2", "1.500", "1.503"]
    assert out["suppression"].null_count() == 4


def test_two_cells_hidden_need_no_secondary_and_total_in_range_is_hidden():
    out = suppress_table(one_dim([1, 2, 10]))
    assert out["display"].to_list() == [".", ".", "10", "13"]
    out = suppress_table(one_dim([2, 0]))  # total 2 is itself a small count
    assert out["display"].to_list() == [".", "0", "."]
    # the only other member is 0: hide the total instead
    out = suppress_table(one_dim([1, 0, 0]))
    assert out["display"].to_list() == [".", "0", "0", "."]


@pytest.mark.parametrize("seed", range(25))
def test_two_dimensional_table_no_reveal_by_rows_or_columns(seed):
    import random

    rnd = random.Random(seed)
    gemeinden = ["A", "B", "C", "D"]
    pruefungen = ["B1", "B2", "C1"]
    cells = {(g, p): rnd.choice([0, 1, 2, 3, 4, 6, 9, 15]) for g, p in
             itertools.product(gemeinden, pruefungen)}
    rows = [{"gemeinde": g, "pruefung": p, "value": float(v)} for (g, p), v in cells.items()]
    for g in gemeinden:
        rows.append({"gemeinde": g, "pruefung": TOTAL,
                     "value": float(sum(cells[g, p] for p in pruefungen))})
    for p in pruefungen:
        rows.append({"gemeinde": TOTAL, "pruefung": p,
                     "value": float(sum(cells[g, p] for g in gemeinden))})
    rows.append({"gemeinde": TOTAL, "pruefung": TOTAL, "value": float(sum(cells.values()))})
    table = pl.DataFrame(rows)
    out = suppress_table(table, dims=["gemeinde", "pruefung"], about_persons=True)
    assert attack(out, ["gemeinde", "pruefung"]) == []
    primary = out.filter(pl.col("value").is_between(1, 2))
    assert (primary["display"] == ".").all()
    assert out.filter(pl.col("value") == 0)["display"].eq("0").all()


def test_by_separates_independent_tables_and_display_values_helper():
    frame = pl.concat([one_dim([1, 5, 6]).with_columns(pl.lit("x").alias("ind")),
                       one_dim([3, 5, 6]).with_columns(pl.lit("y").alias("ind"))])
    out = suppress_table(frame, by=["ind"])
    assert out.filter(pl.col("ind") == "x")["display"].to_list() == [".", ".", "6", "12"]
    assert out.filter(pl.col("ind") == "y")["display"].to_list() == ["3", "5", "6", "14"]
    assert display_values([1.0, 5.0, 6.0], about_persons=True, total=12.0) == [
        ".", ".", "6", "12"]
    assert display_values([None, 2.0], about_persons=True) == ["–", "."]


def test_published_indicator_table_hides_value_and_progress():
    import datetime as dt

    from workbench import catalogue as cat
    from workbench import progress as pr

    c = cat.load_catalogue("ludwigsburg")  # wil-paten: persons, target 15
    obs = pl.DataFrame(
        [{"traeger_id": "ludwigsburg", "indicator_id": i, "period": dt.date(2025, 6, 30),
          "value": v, "note": None, "version": 1, "entered_by": "t", "entered_at": None,
          "source": "t", "comment": "", "is_example": True}
         for i, v in [("wil-paten", 2.0), ("wil-neuzugewanderte", 12.0),
                      ("lafi-netzwerktreffen", 1.0), ("wil-matching", 1.0)]],
        schema=pr.OBSERVATION_SCHEMA)
    p = pr.indicator_progress(c, obs, dt.date(2025, 7, 1))
    table = published_indicator_table(p)
    by = {r["Indikator"]: r for r in table.iter_rows(named=True)}
    paten = by["Geschulte Patinnen und Paten"]
    assert (paten["Wert"], paten["Fortschritt"], paten["Hinweis"]) == (".", ".", "Beispieldaten")
    neu = by["Begleitete Neuzuwanderinnen und Neuzuwanderer"]
    assert (neu["Wert"], neu["Fortschritt"], neu["Zielwert"]) == ("12", "40 %", "30")
    # a count of 1 meeting is not about persons: shown
    assert by["Jährliche Netzwerktreffen (Maßnahmen ableiten)"]["Wert"] == "1"
    assert by["Meilenstein: Matching und Start der Begleitung"]["Wert"] == "erledigt"
    assert published_indicator_table(p, suppress=False).filter(
        pl.col("Indikator") == "Geschulte Patinnen und Paten")["Wert"].item() == "2"
