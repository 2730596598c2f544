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

import pandas as pd

import hedgesim

PEAK_2012 = 243
"""Persons on the EU list at its 2012 peak (the sanctions_peak_2012 target)."""


def two_month_sums(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """A relations index as the published two-month sums, per replicate, year and period."""
    dates = pd.to_datetime(df["date"])
    frame = df.assign(year=dates.dt.year, period=(dates.dt.month - 1) // 2)
    return frame.groupby(["replicate", "year", "period"])[column].sum().reset_index()


def facts(df: pd.DataFrame) -> dict[str, float]:
    """The four facts, each as the share of replicates where it holds, and the states behind them."""
    dates = pd.to_datetime(df["date"])
    years = df.assign(year=dates.dt.year)
    two = two_month_sums(df, "relations_eu")
    low_2011 = two[two["year"] == 2011].groupby("replicate")["relations_eu"].min()
    mean_2021 = two[two["year"] == 2021].groupby("replicate")["relations_eu"].mean()
    weight = years.groupby(["replicate", "year"])["hedge_russia"].mean().unstack()
    ukraine = years[years["year"] == 2022].groupby("replicate")["relations_ukraine"].mean()
    listed = df[dates == "2021-12-01"].set_index("replicate")["sanctions_persons"]
    after = df[(dates >= "2020-09-01") & (dates <= "2021-12-01")]
    released = after.groupby("replicate")["political_prisoners"].min() < 0.05
    russia = years[years["year"].isin([2015, 2021])].groupby("year")[["russia_pressure", "russia_support"]]
    states = russia.mean().round(3)
    return {
        "eu_2021_below_2011_low": round(float((mean_2021 < low_2011).mean()), 3),
        "median_eu_2021_mean": float(mean_2021.median()),
        "median_eu_2011_low": float(low_2011.median()),
        "russia_up_2019_2022": round(float((weight[2022] > weight[2019]).mean()), 3),
        "ukraine_negative_2022": round(float((ukraine < 0).mean()), 3),
        "sanctions_2021_above_2012_peak": round(float((listed > PEAK_2012).mean()), 3),
        "released_by_2021_12": round(float(released.mean()), 3),
        "russia_pressure_2015": float(states.loc[2015, "russia_pressure"]),
        "russia_pressure_2021": float(states.loc[2021, "russia_pressure"]),
        "russia_support_2021": float(states.loc[2021, "russia_support"]),
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
