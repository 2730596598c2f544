"""An ensemble forked at its branch month: the shared months simulated once, every replicate's
numbers those of a run of the whole ensemble from the start."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hedgesim.config.compose import compose_config
from hedgesim.config.spec import build_run
from hedgesim.core import fork
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.challenges import Challenges
from hedgesim.core.knobs import allowed_range, per_replicate
from hedgesim.core.model import HedgingModel
from hedgesim.workflows import ensembles
from hedgesim.workflows.run import model_inputs

CELLS = [Challenges(0.0, 1.0, 0.1), Challenges(1.0, 0.0, 0.9), Challenges(0.5, 0.5, 0.6)]
IDS = [3, 8, 11, 20]


@pytest.fixture(scope="module")
def forward_spec():
    """The forward scenario to 2023 (branch 2020-01, drawn shocks from 2022-03), so the forked
    months see the challenges, the rules' decisions and the drawn shocks."""
    spec = build_run(compose_config(["scenario=forward_2030", "seed=11"]))
    calendar = RunCalendar(spec.calendar.start, Month(2023, 12))
    return dataclasses.replace(spec, calendar=calendar, timeline=spec.timeline.before_end_of(calendar))


def _model(spec, challenges, ids, **extra) -> HedgingModel:
    return HedgingModel(**{**model_inputs(spec), "challenges": challenges, "replicate_ids": ids, **extra})


def _same_records(mine: HedgingModel, straight: HedgingModel) -> None:
    assert mine.record.steps_done == straight.record.steps_done == straight.calendar.n_steps
    for name in straight.record._arrays:
        np.testing.assert_array_equal(mine.record.series(name), straight.record.series(name), err_msg=name)
    pd.testing.assert_frame_equal(mine.event_log(), straight.event_log(), check_exact=True)


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_a_forked_ensemble_is_the_whole_ensemble_run_from_the_start(forward_spec, precision):
    counts = [len(IDS)] * len(CELLS)
    challenges = per_replicate(CELLS, counts)
    straight = _model(forward_spec, challenges, IDS * len(CELLS), precision=precision).run()
    base = _model(forward_spec, CELLS[0], IDS, precision=precision)
    forked = fork.run_forked(base, np.tile(np.arange(len(IDS)), len(CELLS)), challenges)
    assert forked is base and forked.branch_step == 144 and forked.n_replicates == 12
    _same_records(forked, straight)
    later = straight.record.series("relations_eu")[-1]
    assert not np.array_equal(later[:4], later[4:8])  # the cells part after the branch


def test_replicates_may_be_taken_in_any_order_and_more_than_once(forward_spec):
    index = np.array([2, 0, 2, 3, 1])
    straight = _model(forward_spec, CELLS[1], [IDS[i] for i in index]).run()
    forked = fork.run_forked(_model(forward_spec, CELLS[0], IDS), index, CELLS[1])
    _same_records(forked, straight)
    np.testing.assert_array_equal(forked.replicate_ids, [IDS[i] for i in index])


def test_every_state_per_replicate_is_carried(forward_spec):
    """Each array of the model's and the agents' state with a replicates axis (7 of them here,
    parameters per replicate too) is named in ENVIRONMENT or the agent's REPLICATE_STATE, so a
    fork copies all of it."""
    model = _model(forward_spec, CELLS[0], list(range(7)), params=_params_per_replicate(forward_spec, 7))
    for _ in range(150):
        model.step()
    holders = [(model, fork.ENVIRONMENT, {"replicate_ids", "params"})] + [
        (agent, type(agent).REPLICATE_STATE, set()) for agent in model.deciders
    ]
    for holder, declared, other in holders:
        for name, value in vars(holder).items():
            if name not in other and any(7 in np.shape(a) for a in _arrays(value)):
                assert name in declared, f"{type(holder).__name__}.{name} is per replicate, not declared"
        assert set(declared) <= set(vars(holder)), type(holder).__name__


def _params_per_replicate(spec, n: int):
    """Every parameter one value per replicate, spread around its value in ``spec``."""
    spread = np.linspace(0.9, 1.1, n)
    values = {}
    for f in dataclasses.fields(spec.params):
        value = getattr(spec.params, f.name)
        low, high = allowed_range(type(spec.params), f.name)
        values[f.name] = np.clip(value * spread, low, high)
    return dataclasses.replace(spec.params, **values)


def test_parameters_per_replicate_go_with_their_replicates(forward_spec):
    params = _params_per_replicate(forward_spec, len(IDS))
    index = np.array([3, 1, 1, 0, 2])
    taken = fork.take(params, index)
    straight = _model(forward_spec, CELLS[2], [IDS[i] for i in index], params=taken).run()
    forked = fork.run_forked(_model(forward_spec, CELLS[0], IDS, params=params), index, CELLS[2])
    _same_records(forked, straight)
    np.testing.assert_array_equal(forked.params.trust_gain, params.trust_gain[index])


def _arrays(value) -> list:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple | list):
        return [a for v in value for a in _arrays(v)]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [a for f in dataclasses.fields(value) for a in _arrays(getattr(value, f.name))]
    return []


def test_a_model_forks_at_its_branch_not_after(forward_spec):
    model = _model(forward_spec, CELLS[0], IDS)
    for _ in range(145):
        model.step()
    with pytest.raises(ValueError, match="forks at its branch"):
        fork.fork(model, np.arange(4), CELLS[1])


def test_ensembles_share_the_history_only_where_it_is_shared(forward_spec, monkeypatch):
    """Runs with the same replicates and parameters (one value each, or the same per replicate)
    fork at their branch; runs whose parameters differ run whole from the start. Either way each
    run's part is its own run."""
    forks = []
    monkeypatch.setattr(fork, "fork", lambda *a, real=fork.fork: forks.append(1) or real(*a))
    specs = [dataclasses.replace(forward_spec, challenges=c, replicate_ids=tuple(IDS)) for c in CELLS[:2]]
    gain = dataclasses.replace(forward_spec.params, trust_gain=0.3)
    spread = _params_per_replicate(forward_spec, len(IDS))
    cases = [
        (specs, 1),
        ([dataclasses.replace(s, params=spread) for s in specs], 1),
        ([specs[0], dataclasses.replace(specs[1], params=gain)], 0),
        ([dataclasses.replace(specs[0], params=spread), specs[1]], 0),
    ]
    for jobs, forked in cases:
        forks.clear()
        model, slices, _ = ensembles.simulate(jobs)
        assert len(forks) == forked
        for spec, part in zip(jobs, slices, strict=True):
            alone = _model(spec, spec.challenges, IDS, params=spec.params).run()
            pd.testing.assert_frame_equal(
                model.part(part).trajectories(), alone.trajectories(), check_exact=True
            )
