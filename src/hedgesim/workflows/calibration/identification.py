"""How well the targets pin each free parameter: spread of the best trials and loss profiles.

A calibrated value means little if the loss hardly depends on it. Two measures, each as a
share of the parameter's search range: below 0.25 the targets identify it well, below 0.5
weakly, above that not at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hedgesim.analysis.bands import median_band
from hedgesim.workflows.calibration.objective import Objective
from hedgesim.workflows.calibration.search import Dimension

TOP_SHARE = 0.05
PROFILE_POINTS = 9


def label(width: float) -> str:
    """The identification verdict for a width given as a share of the search range."""
    if width < 0.25:
        return "well identified"
    return "weakly identified" if width < 0.5 else "not identified"


def identification(trials: pd.DataFrame, dims: Sequence[Dimension], share: float = TOP_SHARE) -> pd.DataFrame:
    """How tightly the best trials pin each parameter.

    Among the best ``share`` of trials (at least five), the 5-95% spread of each parameter as a
    share of its search range (on the log scale where searched so).

    Args:
        trials: completed trials, best first (study.trials_table).
        dims: the free parameters.
        share: the share of trials counted as the best.
    """
    top = trials.head(max(5, int(math.ceil(share * len(trials)))))
    rows = []
    for d in dims:
        values = top[d.name].to_numpy(dtype=float)
        median, q05, q95 = median_band(values)
        spread = d.unit(q95) - d.unit(q05)
        rows.append(
            {
                "parameter": d.name,
                "best": values[0],
                "median_top": float(median),
                "q05_top": float(q05),
                "q95_top": float(q95),
                "low": d.low,
                "high": d.high,
                "log": d.log,
                "relative_spread": float(spread),
                "identification": label(spread),
                "top_trials": len(top),
            }
        )
    return pd.DataFrame(rows)


def profile(
    objective: Objective,
    dims: Sequence[Dimension],
    best: Mapping[str, float],
    points: int = PROFILE_POINTS,
) -> pd.DataFrame:
    """One-at-a-time loss profile of each parameter around the best values.

    The best trials of an adaptive sampler cluster where it searched last, so their spread can
    look tight for a parameter the loss barely depends on. The profile asks directly: moving one
    parameter across its search range (``points`` values, log-spaced where searched so), others
    at their best, where does the loss stay within one target's worth of the best
    (``loss <= best + 1 / targets``, i.e. the squared errors grow by at most one tolerance)?
    Each parameter's values run side by side as one ensemble (:meth:`Objective.scores`).

    The share of the ``points`` grid values that do is the profile width. The profile range
    (``profile_low``..``profile_high``) is the run of values tried, the best value itself among
    them, that stay within it on either side of the best: it always holds the best value (a grid
    alone need not), and it stops at the first value on each side that does not. A parameter
    without a best value (not among ``best``) is profiled around its grid's lowest loss.
    """
    ((base, _),) = objective.scores([best])
    slack = 1.0 / sum(t.evaluate for t in objective.targets)
    rows = []
    for d in dims:
        grid = [d.value_at(u) for u in np.linspace(0.0, 1.0, points)]
        here = best.get(d.name)
        tried = sorted({*grid, here} if here is not None else grid)
        others = objective.scores([{**best, d.name: v} for v in tried if v != here])
        scored = iter(score for score, _ in others)
        losses = [base if v == here else next(scored) for v in tried]
        fine = [value <= base + slack for value in losses]
        centre = tried.index(here) if here is not None else int(np.argmin(losses))
        low, high = _run_around(fine, centre)
        width = sum(ok for v, ok in zip(tried, fine, strict=True) if v in grid) / points
        rows.append(
            {
                "parameter": d.name,
                "profile_low": float(tried[low]),
                "profile_high": float(tried[high]),
                "profile_width": width,
                "profile_identification": label(width),
                "profile_worst_loss": float(max(losses)),
            }
        )
    return pd.DataFrame(rows)


def _run_around(fine: Sequence[bool], at: int) -> tuple[int, int]:
    """The first and last index of the run of True values in ``fine`` that holds index ``at``."""
    low, high = at, at
    while low > 0 and fine[low - 1]:
        low -= 1
    while high < len(fine) - 1 and fine[high + 1]:
        high += 1
    return low, high
