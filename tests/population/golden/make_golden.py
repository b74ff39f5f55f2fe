"""Build ``overview_08118.csv`` independently of the package (pandas + json only).

Inputs: ``gemeinden_08118_master.csv`` (copied from /work/shared/data/derived/, built with pandas
by someone else from GV-ISys 31.12.2023, Zensus 1000A-0000 and GERDA) and the raw Regionalatlas
JSON. Run from the project root: ``.venv/bin/python tests/population/golden/make_golden.py``.
"""

import datetime as dt
import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
ROOT = HERE.parents[2]

master = pd.read_csv(HERE / "gemeinden_08118_master.csv", dtype={"ags": str})
ra_path = ROOT / "data/raw/regionalatlas/ai0208_timeseries_states_bw-kreise.json"
ra = json.loads(ra_path.read_text())
kreis = dict(zip(ra["years"], ra["districts"]["08118"], strict=True))

# Kreis Zensus share: sum of rebuilt municipal counts over the Kreis population.
kreis_share = 100 * master["foreign_est_zensus2022"].sum() / master["pop_zensus_2022_05_15"].sum()
# Regionalatlas Kreis share on 15.05.2022, linear between 31.12.2021 and 31.12.2022.
days = (dt.date(2022, 5, 15) - dt.date(2021, 12, 31)).days
anchor = kreis[2021] + (kreis[2022] - kreis[2021]) * days / 365

out = pd.DataFrame(
    {
        "ags": master["ags"],
        "name": master["name"],
        "population": master["pop_2023_12_31"],
        "share_zensus": master["share_foreign_census22"],
        "rank": master["share_foreign_census22"].rank(ascending=False, method="min").astype(int),
        "gap_kreis": master["share_foreign_census22"] - kreis_share,
        "share_latest": master["share_foreign_census22"] * kreis[2024] / anchor,
    }
).sort_values("ags")
out.to_csv(HERE / "overview_08118.csv", index=False, float_format="%.6f")
print(f"Kreis Zensus share {kreis_share:.4f}, anchor {anchor:.4f}")
