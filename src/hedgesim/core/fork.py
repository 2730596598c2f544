"""An ensemble forked at the branch month: a history simulated once, carried on by many runs.

Runs that differ only in the challenges, which apply from ``scenario.branch``, live the same
months before it, replicate by replicate: the challenges in force are the reference ones, the
parameters are the same (one value, or the same one per replicate), and replicate k draws the
same numbers in any ensemble. A sweep of such runs can simulate those months once for its
distinct replicates, then give each run its own copy of that state to go on from (:func:`fork`).
Each run's numbers are then those of its own run from the first month to the last, and the
shared months cost one run instead of every run.

Every class that holds state per replicate names it in ``REPLICATE_STATE`` (attribute: the axis
its replicates lie on); the model's own state is :data:`ENVIRONMENT`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgesim.core.challenges import Challenges
from hedgesim.core.knobs import check_per_replicate

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel

ENVIRONMENT = {
    "war_tension": 0,
    "tension": 0,
    "territory_used": 0,
    "eap_suspended": 0,
    "disputes": 0,
    "spoiled": 0,
    "impulses": 0,
    "decision": 0,
    "interactions": 0,
    "observed": 0,
    "_draws": -1,
}
"""The model's own state per replicate (its ``_init_environment`` and the month's draws), by
attribute: the axis its replicates lie on."""


def take(value: Any, index: np.ndarray, axis: int = 0) -> Any:
    """``value``'s replicates chosen by ``index`` (repeats allowed) along ``axis``: an array, or
    the arrays in a tuple, a mapping or a dataclass; anything else (None, a number) as it is."""
    if isinstance(value, np.ndarray):
        return np.take(value, index, axis=axis)
    if isinstance(value, tuple):
        return tuple(take(v, index, axis) for v in value)
    if isinstance(value, Mapping):
        return {k: take(v, index, axis) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: take(getattr(value, f.name), index, axis) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def take_state(holder: Any, state: Mapping[str, int], index: np.ndarray) -> None:
    """Replace each attribute of ``state`` (name: replicate axis) by its replicates ``index``."""
    for name, axis in state.items():
        setattr(holder, name, take(getattr(holder, name), index, axis))


def run_forked(model: HedgingModel, index: np.ndarray, challenges: Challenges) -> HedgingModel:
    """Run ``model`` (of the distinct replicates, not yet stepped) to its branch month, fork it
    (:func:`fork`) and run the forked ensemble to the end.

    The DataCollector's ensemble summaries of the months before the branch are then those of the
    distinct replicates; the record, each replicate's numbers, is the same as a run of the whole
    ensemble from the start.
    """
    while model.steps < model.branch_step and not model.finished:
        model.step()
    return fork(model, index, challenges).run()


def fork(model: HedgingModel, index: np.ndarray, challenges: Challenges) -> HedgingModel:
    """Carry ``model`` on as the ensemble of its replicates ``index`` (each as often as it
    appears), with ``challenges`` from the branch month; in place.

    A parameter given per replicate (plausible parameter sets) goes with its replicate.

    Args:
        model: stepped no further than its branch month.
        index: positions among the model's replicates, one per replicate of the new ensemble.
        challenges: the challenges from the branch, each one number or one per new replicate.

    Returns:
        The same model, now holding ``len(index)`` replicates.

    Raises:
        ValueError: the model is past its branch month.
    """
    if model.steps > model.branch_step:
        raise ValueError(f"a model forks at its branch (step {model.branch_step}), not after ({model.steps})")
    index = np.asarray(index, dtype=np.intp)
    check_per_replicate(challenges, "challenges", index.size)
    model.replicate_ids = model.replicate_ids[index]
    model.n_replicates = int(index.size)
    model.challenges = challenges
    model.params = take(model.params, index)
    model.streams = model.streams.taken(index)
    model.record = model.record.taken(index)
    take_state(model, ENVIRONMENT, index)
    for agent in model.deciders:
        take_state(agent, type(agent).REPLICATE_STATE, index)
    return model
