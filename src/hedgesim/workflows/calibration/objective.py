"""The calibration's objective: parameter values in, the ensemble's targets table out.

Every trial runs the same base run (scenario, shocks, challenges, seed) and changes only the
free parameters, so two trials differ by their parameters alone (common random numbers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hedgesim.analysis.pass_rules import evaluate
from hedgesim.analysis.targets import Target, required_span
from hedgesim.config.compose import compose_config
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.workflows.calibration.search import CalibrationError, Dimension, Settings
from hedgesim.workflows.run import run_spec


class Objective:
    """Runs the model with given parameter values and scores the ensemble against the targets.

    Args:
        spec: the validated base run (scenario, shocks, challenges, default parameters, seed).
        targets: the observed targets.

    Raises:
        CalibrationError: when the run does not cover the months the targets need.
    """

    def __init__(self, spec: RunSpec, targets: Sequence[Target]):
        self.spec = spec
        self.targets = list(targets)
        _check_covers(spec, self.targets)

    def with_values(self, values: Mapping[str, float], replicates: int | None = None) -> RunSpec:
        """The base run with these parameter values (and, if given, another ensemble size)."""
        params = dataclasses.replace(self.spec.params, **values)
        ids = self.spec.replicate_ids if replicates is None else tuple(range(replicates))
        return dataclasses.replace(self.spec, params=params, replicate_ids=ids)

    def trajectories(self, values: Mapping[str, float], replicates: int | None = None) -> pd.DataFrame:
        """The tidy trajectories of the ensemble run with these values."""
        return run_spec(self.with_values(values, replicates)).trajectories()

    def table(self, values: Mapping[str, float], replicates: int | None = None) -> pd.DataFrame:
        """Every target judged on the ensemble run with these values."""
        return evaluate(self.trajectories(values, replicates), self.targets)


def _check_covers(spec: RunSpec, targets: Sequence[Target]) -> None:
    """A run that ends before a target's month would fail every trial: refuse it up front."""
    first, last = required_span(targets)
    start, end = spec.calendar.start, spec.calendar.end
    if (start.year, start.month) > (first.year, first.month) or (end.year, end.month) < (
        last.year,
        last.month,
    ):
        raise CalibrationError(
            f"the run {start}..{end} does not cover the targets' months {first:%Y-%m}..{last:%Y-%m}; "
            "allowed: a scenario that does (e.g. scenario=reproduce)"
        )


def base_spec(overrides: Sequence[str], settings: Settings, replicates: int) -> RunSpec:
    """The calibration's base run: default parameters, the settings' scenario and seed."""
    cfg = compose_config(
        [
            f"scenario={settings.scenario}",
            "params=default",
            *overrides,
            f"replicates={replicates}",
            f"seed={settings.seed}",
        ]
    )
    return build_run(cfg)


def current_values(dims: Sequence[Dimension], overrides: Sequence[str]) -> dict[str, float]:
    """The values the configured baseline uses now (a warm start for the study)."""
    params = build_run(compose_config([*overrides, "replicates=1"])).params
    return {d.name: float(np.clip(getattr(params, d.name), d.low, d.high)) for d in dims}
