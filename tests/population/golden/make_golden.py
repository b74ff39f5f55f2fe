"""Build ``overview_08118.csv`` independently of the package (pandas + json only).

Inputs: ``gemeinden_08118_master.csv`` (copied from /work/shared/data/derived/, built with pandas
by someone else from GV-ISys 31.12.2023, Zensus 1000A-0000 and GERDA) and the raw Zensus 2022
table on immigration history (exact foreign counts per municipality). Run from the project root:
``.venv/bin/python tests/population/golden/make_golden.py``.

The latest estimate is not in the golden file: its properties (agrees with every official point,
sums to the Kreis value, band from the backtest) are tested in ``test_estimation.py``.
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
ROOT = HERE.parents[2]

master = pd.read_csv(HERE / "gemeinden_08118_master.csv", dtype={"ags": str})
counts = pd.read_csv(
    ROOT / "data/raw/zensus2022_einwanderungsgeschichte"
    / "zensus2022-einwanderungsgeschichte-gemeinden-LB_subset.csv", dtype={"ags": str})

# Kreis Zensus share: exact foreign count of all 39 municipalities over their population.
kreis_share = 100 * counts["foreign"].sum() / counts["population"].sum()

out = pd.DataFrame(
    {
        "ags": master["ags"],
        "name": master["name"],
        "population": master["pop_2023_12_31"],
        "share_zensus": master["share_foreign_census22"],
        "rank": master["share_foreign_census22"].rank(ascending=False, method="min").astype(int),
        "gap_kreis": master["share_foreign_census22"] - kreis_share,
    }
).sort_values("ags")
out.to_csv(HERE / "overview_08118.csv", index=False, float_format="%.6f")
print(f"Kreis Zensus share {kreis_share:.4f} ({counts['foreign'].sum()} / "
      f"{counts['population'].sum()})")
