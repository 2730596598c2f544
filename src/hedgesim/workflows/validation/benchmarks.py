"""What the calibrated model is compared with on the held-out targets.

* Prior draws: parameter sets drawn uniformly from hedgesim-calibrate's search ranges (on each
  parameter's search scale, log-uniform where it is searched so), seeded. If the calibration
  beats only these, the training targets carried some information forward; if not, the search
  learned nothing the ranges did not already say.
* The fitted naive baseline (:mod:`hedgesim.analysis.naive_fitted`): rules without mechanisms,
  fitted to the same training targets, given the same dated timeline and oil prices.
* The full-period calibration: the committed parameters (conf/params/calibrated.yaml), which saw
  every target, held-out ones included; an in-sample reference, not a competitor.

The draws do not depend on the origin, so each is run once and judged on every origin's
held-out targets together.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hedgesim.analysis.naive_fitted import NaiveFit, fitted_naive
from hedgesim.analysis.pass_rules import evaluate
from hedgesim.analysis.targets import Target
from hedgesim.config.compose import compose_config
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.core.shocks import ShockKind
from hedgesim.workflows.calibration.objective import Objective
from hedgesim.workflows.calibration.search import Dimension
from hedgesim.workflows.run import run_spec
from hedgesim.workflows.validation.plan import Plan


def prior_draws(dims: Sequence[Dimension], count: int, seed: int) -> pd.DataFrame:
    """``count`` parameter sets, uniform on each search scale: one row per draw (``draw``, values)."""
    units = np.random.default_rng(seed).uniform(size=(count, len(dims)))
    rows = [{d.name: d.value_at(float(u)) for d, u in zip(dims, row, strict=True)} for row in units]
    frame = pd.DataFrame(rows, columns=[d.name for d in dims])
    frame.insert(0, "draw", range(count))
    return frame


def judge_draws(
    objective: Objective,
    draws: pd.DataFrame,
    targets: Sequence[Target],
    replicates: int,
    progress: bool = True,
) -> pd.DataFrame:
    """Every draw's ensemble judged on ``targets``: one row per draw and target (``draw``, ``id``,
    ``z``, ``passed``)."""
    from tqdm.auto import tqdm

    names = [c for c in draws.columns if c != "draw"]
    parts = []
    rows = tqdm(
        draws.itertuples(index=False),
        total=len(draws),
        desc="prior draws",
        unit="draw",
        disable=not progress,
        file=sys.stderr,
    )
    for row in rows:
        values = {n: float(getattr(row, n)) for n in names}
        table = evaluate(objective.trajectories(values, replicates), targets)
        parts.append(table[["id", "z", "passed"]].assign(draw=int(row.draw)))
    return pd.concat(parts, ignore_index=True)[["draw", "id", "z", "passed"]]


def full_calibration_spec(plan: Plan) -> RunSpec:
    """The committed calibration as the ``reproduce`` scenario runs it, on the scoring ensemble."""
    cfg = compose_config(
        [
            f"scenario={plan.scenario}",
            f"params={plan.full_params}",
            f"replicates={plan.score_replicates}",
            f"seed={plan.seed}",
        ]
    )
    return build_run(cfg)


def full_calibration(plan: Plan) -> pd.DataFrame:
    """The trajectories of the committed calibration on the scoring ensemble."""
    return run_spec(full_calibration_spec(plan)).trajectories()


def timeline_dates(spec: RunSpec) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """(crackdown months, release months): the crackdowns and concessions of the run's timeline."""
    crackdowns = [
        pd.Timestamp(s.date.to_date()) for s in spec.timeline.shocks if s.kind is ShockKind.CRACKDOWN
    ]
    releases = [
        pd.Timestamp(s.date.to_date()) for s in spec.timeline.shocks if s.kind is ShockKind.CONCESSION
    ]
    return crackdowns, releases


def naive(
    spec: RunSpec, training: Sequence[Target], origin: str, template: pd.DataFrame
) -> tuple[NaiveFit, pd.DataFrame]:
    """The fitted naive baseline at ``origin`` on the run's oil prices; it is told the decisions
    actually taken (crackdowns, releases), which the model must take by its own rules."""
    observed = build_run(
        compose_config(
            [
                f"scenario.start={spec.calendar.start}",
                f"scenario.end={spec.calendar.end}",
                "decisions.mode=observed",
            ]
        )
    )
    crackdowns, releases = timeline_dates(observed)
    return fitted_naive(training, pd.Timestamp(origin), template, spec.oil_prices, crackdowns, releases)
