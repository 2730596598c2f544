"""The inputs a HedgingModel is built from, defaulted and checked: parameters, the branch month,
the replicates it holds and the monthly oil price."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.shocks import StochasticShocks


def checked_inputs(
    params: ModelParameters | None, challenges: Challenges | None, stochastic: StochasticShocks | None
) -> tuple[ModelParameters, Challenges, StochasticShocks]:
    """The inputs, defaulted and validated by their own ``validate`` (the model can be built
    without the config layer, so it checks what it is given; the ranges live in one place)."""
    checked = (params or ModelParameters(), challenges or Challenges(), stochastic or StochasticShocks())
    for inputs in checked:
        inputs.validate()
    return checked


REFERENCE_CHALLENGES = Challenges()


def branch_step(branch: Month | None, calendar: RunCalendar) -> int:
    """The step from which the challenges apply: 0 without a branch or before the run."""
    if branch is None or branch <= calendar.start:
        return 0
    if branch > calendar.end:
        return calendar.n_steps
    return calendar.step_of(branch)


def replicate_ids_of(replicates: int, replicate_ids: Sequence[int] | None) -> np.ndarray:
    """Which replicates this instance holds: 0..replicates-1 unless named."""
    ids = np.arange(replicates) if replicate_ids is None else np.asarray(replicate_ids)
    if ids.ndim != 1 or ids.size == 0 or (ids < 0).any():
        raise ValueError(f"replicate_ids={list(ids)!r}; allowed: one or more indices >= 0")
    return ids.astype(np.int64)


def monthly_prices(annual: Mapping[int, float], calendar: RunCalendar) -> np.ndarray:
    """The annual oil price for every month of the run; later years repeat the last known."""
    if not annual:
        return np.full(calendar.n_steps, 100.0)
    years = sorted(int(y) for y in annual)
    prices = []
    for step in range(calendar.n_steps):
        year = calendar.month_at(step).year
        known = [y for y in years if y <= year] or [years[0]]
        prices.append(float(annual[known[-1]]))
    return np.array(prices)
