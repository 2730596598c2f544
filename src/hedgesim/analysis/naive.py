"""What a forecaster without the model's mechanisms would say, and how the model compares.

Judging the targets on naive forecasts made from each replicate's state at the end of 2010
(before the 2011-2019 window) shows what the post-2010 mechanisms add: a target the naive
forecast also passes says little about the mechanisms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hedgesim.analysis.measures import row_slopes
from hedgesim.analysis.pass_rules import evaluate, loss, pass_count
from hedgesim.analysis.targets import Target

NAIVE_METHODS = ("persistence", "linear_trend")
NON_NEGATIVE = ("sanctions_persons", "trade_eu_turnover", "political_prisoners")


def naive_forecast(trajectories: pd.DataFrame, method: str, origin: str = "2010-12") -> pd.DataFrame:
    """What a forecaster standing at ``origin`` would say without the model's mechanisms.

    Each replicate's numeric series after ``origin`` is replaced by its value at the origin
    (``persistence``; the relations indices by their mean over the last two months, the last
    published period) or by the least-squares line through its months up to the origin,
    extended (``linear_trend``). Agreement states are held at their origin state. Evaluating
    the targets on this table shows what the post-origin mechanisms add.
    """
    if method not in NAIVE_METHODS:
        raise ValueError(f"method={method!r}; allowed: {', '.join(NAIVE_METHODS)}")
    end = pd.Timestamp(origin)
    frame = trajectories.sort_values(["replicate", "date"]).reset_index(drop=True)
    months = pd.DatetimeIndex(frame["date"].drop_duplicates().sort_values())
    t = np.asarray((months.year - end.year) * 12 + months.month - end.month, dtype=float)
    before = t <= 0
    if before.sum() < 2 or before.all():
        raise ValueError(f"origin={origin!r} must leave at least two months before it and one after")
    shape = (frame["replicate"].nunique(), len(months))
    for column in frame.columns:
        if column in ("date", "replicate"):
            continue
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = _held_states(frame[column], shape, before)
        elif pd.api.types.is_float_dtype(frame[column]):
            values = frame[column].to_numpy().reshape(shape).copy()
            values[:, ~before] = _naive_block(values[:, before], t[before], t[~before], column, method)
            frame[column] = values.ravel()
    return frame


def _held_states(column: pd.Series, shape: tuple[int, int], before: np.ndarray) -> pd.Categorical:
    """Agreement states after the origin held at each replicate's state in the origin month."""
    codes = column.cat.codes.to_numpy().reshape(shape).copy()
    codes[:, ~before] = codes[:, [np.flatnonzero(before)[-1]]]
    return pd.Categorical.from_codes(codes.ravel(), dtype=column.dtype)


def _naive_block(
    history: np.ndarray, t_hist: np.ndarray, t_future: np.ndarray, column: str, method: str
) -> np.ndarray:
    """Replicate x future-month values of one series under a naive method."""
    if method == "persistence":
        last = history[:, -2:].mean(axis=1) if column.startswith("relations_") else history[:, -1]
        future = np.repeat(last[:, None], t_future.size, axis=1)
    else:
        slope = row_slopes(history, t_hist)
        level = history.mean(axis=1) - slope * t_hist.mean()
        future = level[:, None] + slope[:, None] * t_future[None, :]
    return np.maximum(future, 0.0) if column in NON_NEGATIVE else future


NAIVE_LABELS = {
    "persistence": "naive persistence from 2010-12",
    "linear_trend": "naive linear trend from 2010-12",
    "fitted_naive": "fitted naive baseline (lines and rules fitted to every evidence target, in sample)",
}
"""How each naive forecast is named in reports."""


def naive_tables(trajectories: pd.DataFrame, targets: Sequence[Target]) -> dict[str, pd.DataFrame]:
    """The targets judged on each naive forecast made from the model's state at the end of 2010."""
    return {m: evaluate(naive_forecast(trajectories, m), targets) for m in NAIVE_METHODS}


def comparison(model_table: pd.DataFrame, naive: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per target: the model's and each naive forecast's standardised error and pass."""
    frame = model_table[["id", "observed", "z", "passed"]].rename(
        columns={"z": "z_model", "passed": "pass_model"}
    )
    for name, table in naive.items():
        part = table[["id", "z", "passed"]].rename(columns={"z": f"z_{name}", "passed": f"pass_{name}"})
        frame = frame.merge(part, on="id", how="left")
    return frame


def summary_lines(model_table: pd.DataFrame, naive: Mapping[str, pd.DataFrame]) -> list[str]:
    """One line each for the model and every naive forecast: loss and targets passed."""
    n = len(model_table)
    lines = [
        f"model (calibrated mechanisms): loss {loss(model_table):.3f}, "
        f"{pass_count(model_table)}/{n} targets pass"
    ]
    for name, table in naive.items():
        label = NAIVE_LABELS.get(name, f"naive {name.replace('_', ' ')}")
        lines.append(f"{label}: loss {loss(table):.3f}, {pass_count(table)}/{n} targets pass")
    return lines
