"""The Python API: compose a config with Hydra overrides, run the model, get tidy tables."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hedgesim.config.compose import compose_config
from hedgesim.workflows.run import SimulationResult, run_config


def simulate(
    overrides: Sequence[str] = (), replicates: int | None = None, seed: int | None = None
) -> pd.DataFrame:
    """Run hedgesim and return one row per replicate and month.

    Args:
        overrides: Hydra overrides, e.g. ``["challenges.trust=0.3", "scenario=forward_2030"]``.
        replicates: ensemble size (overrides the config's ``replicates``).
        seed: run seed (overrides the config's ``seed``).

    Example:
        >>> df = simulate(["challenges.tension=0.6"], replicates=50, seed=7)
    """
    return simulate_run(overrides, replicates, seed).trajectories


def simulate_run(
    overrides: Sequence[str] = (), replicates: int | None = None, seed: int | None = None
) -> SimulationResult:
    """Like :func:`simulate`, with the event log, the config and the model as well."""
    extra = []
    if replicates is not None:
        extra.append(f"replicates={replicates}")
    if seed is not None:
        extra.append(f"seed={seed}")
    cfg = compose_config([*overrides, *extra])
    return run_config(cfg)
