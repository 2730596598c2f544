"""The calibration's second stage: fix what the first search's targets leave flat, search the rest.

A parameter whose one-at-a-time loss profile stays within one target's worth of the best over
half its search range or more (``not identified``) is not measured by the targets: searching it
anyway lets the sampler's best trial wander along flat directions, and its calibrated value is
one admissible choice among many. After the first search, the calibration fixes each such
parameter by a rule stated before any search ran, then searches the others again, starting
from the first search's best. Only the targets the calibration was given are seen, so each
split calibration of hedgesim-validate fixes its own parameters from its training targets.

The rule: a parameter not identified by the first search's profile is fixed at its documented
default when the profile's flat run around the best holds the default, else at the first
search's best value (the flat run always holds that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from hedgesim.workflows.calibration.identification import identification, label, profile
from hedgesim.workflows.calibration.objective import Objective
from hedgesim.workflows.calibration.search import CalibrationError, Dimension

NOT_IDENTIFIED = label(1.0)
FIXED = "fixed after the first search (not identified)"
"""The identification verdict a fixed parameter carries in the second stage's table."""
REFINED_DIR = "refined"
"""The second stage's study folder, inside the calibration's run folder."""


@dataclass(frozen=True)
class Refinement:
    """The second stage's search: the values fixed, the parameters still free, their objective
    (the base run with the fixed values) and the first trial (the first search's best)."""

    fixed: dict[str, float]
    free: list[Dimension]
    objective: Objective
    start: dict[str, float]
    first: pd.DataFrame
    """The first search's identification table (spread of its best trials and profile)."""


def fixed_values(first: pd.DataFrame, defaults: Mapping[str, float]) -> dict[str, float]:
    """The value each parameter the profile does not identify is fixed at: its default when the
    profile's flat run holds it, else the best value the profile was taken around."""
    fixed = {}
    for row in first.itertuples(index=False):
        if row.profile_identification != NOT_IDENTIFIED:
            continue
        default = defaults[row.parameter]
        inside = row.profile_low <= default <= row.profile_high
        fixed[row.parameter] = float(default if inside else row.best)
    return fixed


def refinement(
    objective: Objective,
    dims: Sequence[Dimension],
    trials: pd.DataFrame,
    best: Mapping[str, float],
    defaults: Mapping[str, float],
) -> Refinement:
    """Profile the first search's best, fix what is flat and set up the search of the rest.

    Args:
        objective: the first search's objective (its targets are all the second stage sees).
        dims: the first search's free parameters.
        trials: the first search's completed trials, best first.
        best: the first search's best values (as written: rounded).
        defaults: each parameter's documented default (the uncalibrated value).

    Raises:
        CalibrationError: when the profile leaves every parameter flat (nothing to search again).
    """
    first = identification(trials, dims).merge(profile(objective, dims, best), on="parameter")
    fixed = fixed_values(first, defaults)
    free = [d for d in dims if d.name not in fixed]
    if not free:
        raise CalibrationError(
            f"fix_flat: the targets leave every free parameter flat ({', '.join(fixed)}); allowed: "
            "targets that see at least one of them, or fix_flat: false"
        )
    start = {d.name: best[d.name] for d in free}
    return Refinement(fixed, free, objective.fixing(fixed), start, first)


def fixed_tags(fixed: Mapping[str, float]) -> list[str]:
    """The fixed values as override-like strings, for the second study's fingerprint: a second
    study resumed with other fixed values is refused."""
    return [f"fixed.{k}={v!r}" for k, v in sorted(fixed.items())]


def combined_identification(refined: Refinement, second: pd.DataFrame) -> pd.DataFrame:
    """The second stage's identification table with the fixed parameters' first-stage rows,
    their value the one fixed and their verdict :data:`FIXED`, in the first search's order."""
    fixed_rows = refined.first[refined.first["parameter"].isin(list(refined.fixed))].copy()
    fixed_rows["best"] = fixed_rows["parameter"].map(refined.fixed)
    fixed_rows["profile_identification"] = FIXED
    fixed_rows["identification"] = FIXED
    table = pd.concat([second, fixed_rows], ignore_index=True)
    order = {name: k for k, name in enumerate(refined.first["parameter"])}
    return table.sort_values("parameter", key=lambda s: s.map(order)).reset_index(drop=True)
