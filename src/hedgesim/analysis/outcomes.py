"""Where a rapprochement leads in one sweep cell: outcomes from a trajectories table.

Pure pandas/numpy, no files: the sweep aggregation, the sensitivity analysis and notebooks
call the same functions, so "P(visa facilitation by 2025)" means the same thing everywhere.

Definitions (per replicate, then over the ensemble):

- a milestone is reached "by" a year when its status is ``concluded`` in some month at or
  before December of that year (agreements are not undone, but the test does not rely on it);
- collapse: EU relations fall below the replicate's own 2011 low (the trough after the 2010
  crackdown) in some month after 2020, i.e. from January 2021 on;
- months to a milestone count from the first month of the run (2008-01 in every scenario)
  to the month it was concluded, over the replicates that reached it;
- "in 2030" values are each replicate's mean over the months of 2030, so one noisy month does
  not decide them; the cell reports their median over replicates. EU relations are in points
  per two months (twice the monthly mean), the unit of the Belarus Foreign Policy Index and of
  every figure of the index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgesim.core.vocabulary import AGREEMENTS

CONCLUDED = "concluded"
RELATIONS_PER_TWO_MONTHS = 2.0
"""The model counts the relations index per month; the Foreign Policy Index sums two months."""
MILESTONES = AGREEMENTS
SHORT = {
    "visa_facilitation": "visa",
    "partnership_priorities": "priorities",
    "framework_agreement": "framework",
}


@dataclass(frozen=True)
class Horizons:
    """The dates the outcomes are read at; defaults follow the research question."""

    visa_by: int = 2025
    agreements_by: int = 2030
    low_year: int = 2011
    collapse_after: int = 2020
    final_year: int = 2030

    def names(self) -> dict[str, str]:
        """Outcome column -> meaning, in table order."""
        return {
            f"p_visa_by_{self.visa_by}": f"share of replicates with visa facilitation concluded by "
            f"{self.visa_by}-12",
            f"p_priorities_by_{self.agreements_by}": "share with partnership priorities concluded by "
            f"{self.agreements_by}-12",
            f"p_framework_by_{self.agreements_by}": "share with a framework agreement concluded by "
            f"{self.agreements_by}-12",
            "p_collapse": f"share whose EU relations fell below their {self.low_year} low after "
            f"{self.collapse_after}",
            f"median_relations_eu_{self.final_year}": f"median over replicates of EU relations in "
            f"{self.final_year}, in points per two months (the Foreign Policy Index's unit)",
            f"median_hedge_eu_{self.final_year}": f"median EU weight of the hedge in {self.final_year}",
            f"median_hedge_russia_{self.final_year}": f"median Russia weight of the hedge in "
            f"{self.final_year}",
            **{
                f"median_months_to_{SHORT[m]}": f"median months from the run start to {m} "
                "(replicates that reached it)"
                for m in MILESTONES
            },
        }


DEFAULT = Horizons()
OUTCOMES = tuple(DEFAULT.names())
COLUMNS = ("replicate", "date", *MILESTONES, "relations_eu", "hedge_eu", "hedge_russia")
"""The trajectories' columns the outcomes read: a sweep's aggregation reads only these."""
PROBABILITIES = tuple(name for name in OUTCOMES if name.startswith("p_"))


def replicate_outcomes(trajectories: pd.DataFrame, horizons: Horizons = DEFAULT) -> pd.DataFrame:
    """One row per replicate: milestone months, collapse, 2030 values.

    Args:
        trajectories: the table ``hedgesim.api`` returns (or a cell's trajectories.parquet).
        horizons: the years the outcomes are read at.

    Returns:
        Columns ``months_to_<milestone>`` (NaN when never concluded), ``collapse`` (bool),
        ``relations_eu_<final>`` (points per two months), ``hedge_eu_<final>``,
        ``hedge_russia_<final>`` (NaN when the run ends before that year), indexed by replicate.
    """
    # pandas' hash factorisation: np.unique's sorted ids and inverse, without sorting every row
    row_of, replicates = pd.factorize(trajectories["replicate"].to_numpy(), sort=True, use_na_sentinel=False)
    dates = trajectories["date"]
    year, month = _year_month(dates)
    start = dates.min()
    months = ((year - start.year) * 12 + (month - start.month)).astype(float)
    per = _PerReplicate(row_of, replicates.size)
    columns: dict[str, object] = {}
    for name in MILESTONES:
        first = per.min(months, (trajectories[name] == CONCLUDED).to_numpy(dtype=bool))
        columns[f"months_to_{SHORT[name]}"] = first
        columns[f"year_{SHORT[name]}"] = start.year + (first + start.month - 1) // 12
    eu = trajectories["relations_eu"].to_numpy(dtype=float)
    low = per.min(eu, year == horizons.low_year)
    later = per.min(eu, year > horizons.collapse_after)
    with np.errstate(invalid="ignore"):
        columns["collapse"] = later < low  # NaN on either side: no collapse
    final = year == horizons.final_year
    for column, scale in (("relations_eu", RELATIONS_PER_TWO_MONTHS), ("hedge_eu", 1), ("hedge_russia", 1)):
        columns[f"{column}_{horizons.final_year}"] = scale * per.mean(
            trajectories[column].to_numpy(dtype=float), final
        )
    return pd.DataFrame(columns, index=pd.Index(replicates, name="replicate"))


def _year_month(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's calendar year and month (1-12); from the months since 1970 when the dates are
    numpy datetimes, a fraction of the time of pandas' accessors."""
    if not (isinstance(dates.dtype, np.dtype) and dates.dtype.kind == "M"):  # a time zone, or no dates
        return dates.dt.year.to_numpy(), dates.dt.month.to_numpy()
    since_1970 = dates.to_numpy().astype("datetime64[M]").astype(np.int64)
    return since_1970 // 12 + 1970, since_1970 % 12 + 1


class _PerReplicate:
    """Reductions over each replicate's rows that a mask keeps (NaN where it keeps none), in
    numpy: a sweep's aggregation reads 125 cells, and pandas' groupby took most of it."""

    def __init__(self, row_of: np.ndarray, n: int):
        self.row_of = row_of
        self.n = n

    def min(self, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        found = np.full(self.n, np.inf)
        np.minimum.at(found, self.row_of[keep], values[keep])
        found[np.isinf(found)] = np.nan
        return found

    def mean(self, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        rows = self.row_of[keep]
        counts = np.bincount(rows, minlength=self.n)
        sums = np.bincount(rows, weights=values[keep], minlength=self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / counts, np.nan)


def cell_outcomes(trajectories: pd.DataFrame, horizons: Horizons = DEFAULT) -> dict[str, float]:
    """The summary row of one cell: probabilities and medians over its replicates.

    A milestone "by" a year past the end of the run counts what happened by the run's end.
    Medians over no replicates (a milestone nobody reached, a year the run does not cover)
    are NaN rather than a made-up number.
    """
    per = replicate_outcomes(trajectories, horizons)
    h, final = horizons, horizons.final_year

    def share_by(short: str, year: int) -> float:
        return float((per[f"year_{short}"] <= year).mean())

    row = {
        f"p_visa_by_{h.visa_by}": share_by("visa", h.visa_by),
        f"p_priorities_by_{h.agreements_by}": share_by("priorities", h.agreements_by),
        f"p_framework_by_{h.agreements_by}": share_by("framework", h.agreements_by),
        "p_collapse": _collapse_share(per["collapse"], trajectories["date"], h),
        f"median_relations_eu_{final}": _median(per[f"relations_eu_{final}"]),
        f"median_hedge_eu_{final}": _median(per[f"hedge_eu_{final}"]),
        f"median_hedge_russia_{final}": _median(per[f"hedge_russia_{final}"]),
    }
    for name in MILESTONES:
        row[f"median_months_to_{SHORT[name]}"] = _median(per[f"months_to_{SHORT[name]}"])
    row["replicates"] = int(len(per))
    return row


def _collapse_share(collapse: pd.Series, dates: pd.Series, horizons: Horizons) -> float:
    """The share of replicates that collapsed; NaN when the run holds no month after
    ``collapse_after`` or none of ``low_year``, so none could (not a share of 0)."""
    year, _ = _year_month(dates)
    if not ((year > horizons.collapse_after).any() and (year == horizons.low_year).any()):
        return float("nan")
    return float(collapse.mean())


def _median(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.median()) if len(values) else float("nan")
