"""How the model tells 2020-2024, out of sample: the dated history run with Belarus's decisions
drawn from its rules, and again with the decisions actually taken imposed.

Nothing after January 2020 is a target: the calibration never sees these years. The figures are
the four facts the model should reproduce (EU relations in 2021 below their 2011 low, Russia's
weight higher in 2022 than in 2019, Ukraine relations negative in 2022, the sanctions list above
its 2012 peak of 243 persons by December 2021), each as the share of replicates where it holds,
and the two states behind them: the share of replicates where Belarus released its political
prisoners between the 2020 crackdown and December 2021, and Russia's pressure and support in 2015
and 2021. The last line printed is one JSON object.

Usage:
    python experiments/history_2024.py [--replicates 300] [--seed 17]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

import hedgesim
from hedgesim.analysis.measures import Panel

PEAK_2012 = 243
"""Persons on the EU list at its 2012 peak (the sanctions_peak_2012 target)."""


def share(held: np.ndarray) -> float:
    """The share of replicates where a fact holds."""
    return round(float(np.mean(held)), 3)


def facts(df: pd.DataFrame) -> dict[str, float]:
    """The four facts, each as the share of replicates where it holds, and the states behind them.

    Measured as the targets are (``analysis.measures.Panel``): the EU index as the published
    two-month sums, complete periods only.
    """
    panel, day = Panel(df), pd.Timestamp
    low_2011 = panel.periods_within("relations_eu", day("2011-01-01"), day("2011-12-01")).min(axis=1)
    mean_2021 = panel.periods_within("relations_eu", day("2021-01-01"), day("2021-12-01")).mean(axis=1)
    listed = panel.matrix("sanctions_persons")[:, panel.layout.position(day("2021-12-01"))]
    after = panel.month_mask(day("2020-09-01"), day("2021-12-01"))
    released = panel.matrix("political_prisoners")[:, after].min(axis=1) < 0.05
    russia = {year: panel.annual_mean("hedge_russia", year) for year in (2019, 2022)}
    return {
        "eu_2021_below_2011_low": share(mean_2021 < low_2011),
        "median_eu_2021_mean": float(np.median(mean_2021)),
        "median_eu_2011_low": float(np.median(low_2011)),
        "russia_up_2019_2022": share(russia[2022] > russia[2019]),
        "ukraine_negative_2022": share(panel.annual_mean("relations_ukraine", 2022) < 0),
        "sanctions_2021_above_2012_peak": share(listed > PEAK_2012),
        "released_by_2021_12": share(released),
        **{
            f"russia_{name}_{year}": round(float(panel.annual_mean(f"russia_{name}", year).mean()), 3)
            for name, year in (("pressure", 2015), ("pressure", 2021), ("support", 2021))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    result = {"replicates": args.replicates, "seed": args.seed}
    for mode in ("rules", "observed"):
        overrides = ["scenario=history_2024", f"decisions.mode={mode}"]
        df = hedgesim.simulate(replicates=args.replicates, seed=args.seed, overrides=overrides)
        result[mode] = facts(df)
        print(f"decisions {mode}: " + "; ".join(f"{k} {v}" for k, v in result[mode].items()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
