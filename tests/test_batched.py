"""Batched ensembles: settings that differ per replicate run as one model, value for value.

A batched sweep puts its cells side by side on the replicate axis (each cell's replicate ids
reused), so every cell must come out exactly as its own run would.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hedgesim.core import tables
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.challenges import Challenges
from hedgesim.core.knobs import ParameterError, allowed_range, per_replicate
from hedgesim.core.model import HedgingModel
from hedgesim.core.parameters import ModelParameters
from hedgesim.workflows.run import model_inputs

CELLS = [Challenges(0.0, 1.0, 0.1), Challenges(1.0, 0.0, 0.9), Challenges(0.5, 0.5, 0.3)]
REPLICATES = 4


def _model(spec, challenges, replicate_ids) -> HedgingModel:
    inputs = {**model_inputs(spec), "challenges": challenges, "replicate_ids": replicate_ids}
    return HedgingModel(**inputs)


@pytest.fixture(scope="module")
def short_spec(baseline_spec):
    """The baseline to 2016, challenges from the start, so each cell has years to differ."""
    calendar = RunCalendar(Month(2008, 1), Month(2016, 12))
    return dataclasses.replace(
        baseline_spec, calendar=calendar, timeline=baseline_spec.timeline.before_end_of(calendar)
    )


def test_cells_side_by_side_equal_their_own_runs(short_spec):
    ids = list(range(REPLICATES))
    batched = _model(short_spec, per_replicate(CELLS, [REPLICATES] * len(CELLS)), ids * len(CELLS)).run()
    cells = []
    for k, cell in enumerate(CELLS):
        alone = _model(short_spec, cell, ids).run().trajectories()
        part = batched.record.replicates(slice(k * REPLICATES, (k + 1) * REPLICATES))
        mine = tables.trajectories(part, short_spec.calendar, np.array(ids))
        pd.testing.assert_frame_equal(mine, alone, check_exact=True)
        cells.append(alone)
    assert not cells[0]["relations_eu"].equals(cells[1]["relations_eu"])  # the cells differ


def test_one_value_per_replicate_or_one_number(short_spec):
    wrong = per_replicate(CELLS, [2] * len(CELLS))
    expected = r"challenges\.trust has 6 values; allowed: one number, or one per replicate \(4\)"
    with pytest.raises(ParameterError, match=expected):
        _model(short_spec, wrong, list(range(REPLICATES)))


def test_every_element_is_range_checked():
    challenges = per_replicate(CELLS, [1, 1, 1])
    challenges.tension = np.array([0.2, 1.5, 0.3])
    with pytest.raises(ParameterError, match=r"challenges\.tension=1\.5 is out of range"):
        challenges.validate()


def test_settings_equal_in_every_cell_stay_one_number():
    challenges = per_replicate([Challenges(0.2, 0.5, 0.3), Challenges(0.8, 0.5, 0.3)], [2, 3])
    assert challenges.vested_interests == 0.5 and challenges.tension == 0.3
    np.testing.assert_array_equal(challenges.trust, [0.2, 0.2, 0.8, 0.8, 0.8])


def test_config_text_is_omegaconfs_yaml_byte_for_byte(baseline_spec):
    from omegaconf import OmegaConf

    from hedgesim.config.compose import compose_config
    from hedgesim.config.spec import config_text

    data = OmegaConf.to_container(compose_config(["+experiment=three_challenges"]), resolve=True)
    data["odd"] = {"number_text": "1.0", "bool_text": "true", "null": None, "word": "Astravets – NPP", "n": 3}
    data["long"] = "a sentence " * 30
    assert config_text(data) == OmegaConf.to_yaml(OmegaConf.create(data))


# --- every mechanism parameter may differ per replicate ---------------------------------------

RANGED = [f.name for f in dataclasses.fields(ModelParameters) if "min" in f.metadata]
PAIR = [0, 1]
"""Each cell's replicate ids: two replicates per cell keep the 90-odd batched runs quick."""


@pytest.fixture(scope="module")
def six_years(baseline_spec):
    """The baseline over 2008-2013 only: long enough for every channel to act, quick to run."""
    calendar = RunCalendar(Month(2008, 1), Month(2013, 12))
    return dataclasses.replace(
        baseline_spec, calendar=calendar, timeline=baseline_spec.timeline.before_end_of(calendar)
    )


@pytest.fixture(scope="module")
def six_years_alone(six_years) -> pd.DataFrame:
    """The base parameters' own run, the first cell of every batched run below."""
    return _params_run(six_years, six_years.params, PAIR).trajectories()


def _params_run(spec, params, replicate_ids) -> HedgingModel:
    inputs = {**model_inputs(spec), "params": params, "replicate_ids": replicate_ids}
    return HedgingModel(**inputs).run()


def _other_value(params: ModelParameters, name: str) -> float:
    """A value inside the field's range, a third of the way from the base value to the far end."""
    low, high = allowed_range(ModelParameters, name)
    value = getattr(params, name)
    far = high if high - value >= value - low else low
    return value + (far - value) / 3.0


def _assert_cells_equal_own_runs(spec, cells, alone) -> pd.DataFrame:
    """Run ``cells`` side by side (PAIR ids each); each cell must equal ``alone[k]`` exactly."""
    batched = _params_run(spec, per_replicate(cells, [len(PAIR)] * len(cells)), PAIR * len(cells))
    for k, own in enumerate(alone):
        part = batched.record.replicates(slice(k * len(PAIR), (k + 1) * len(PAIR)))
        mine = tables.trajectories(part, spec.calendar, np.array(PAIR))
        pd.testing.assert_frame_equal(mine, own, check_exact=True)
    return batched


@pytest.mark.parametrize("name", RANGED)
def test_each_parameter_per_replicate_equals_its_own_runs(six_years, six_years_alone, name):
    other = dataclasses.replace(six_years.params, **{name: _other_value(six_years.params, name)})
    batched = per_replicate([six_years.params, other], [len(PAIR)] * 2)
    assert isinstance(getattr(batched, name), np.ndarray)  # the field really is per replicate
    other_alone = _params_run(six_years, other, PAIR).trajectories()
    _assert_cells_equal_own_runs(six_years, [six_years.params, other], [six_years_alone, other_alone])


def test_every_parameter_differing_at_once_equals_own_runs(six_years, six_years_alone):
    rng = np.random.default_rng(5)
    cells = [six_years.params]
    for _ in range(2):
        values = {}
        for name in RANGED:  # each value within half of the base value either way, in range
            low, high = allowed_range(ModelParameters, name)
            values[name] = float(np.clip(getattr(six_years.params, name) * rng.uniform(0.5, 1.5), low, high))
        cells.append(dataclasses.replace(six_years.params, **values))
    alone = [six_years_alone, *(_params_run(six_years, c, PAIR).trajectories() for c in cells[1:])]
    _assert_cells_equal_own_runs(six_years, cells, alone)
    assert not alone[1]["relations_eu"].equals(alone[2]["relations_eu"])  # the cells differ


def test_every_parameter_is_checked_per_replicate(six_years):
    params = per_replicate([six_years.params, six_years.params], [1, 1])
    params.visa_months = np.array([30.0, 300.0])
    with pytest.raises(ParameterError, match=r"params\.visa_months=300\.0 is out of range"):
        params.validate()


def test_single_precision_keeps_the_double_run_rounded(baseline_spec):
    """``output.precision=float32`` changes what is kept, not what is computed: each real series
    is the float64 run's, rounded once; counts, states and codes are untouched."""
    spec = dataclasses.replace(baseline_spec, replicate_ids=tuple(range(30)))
    double = _model(spec, spec.challenges, spec.replicate_ids).run().record
    single = HedgingModel(**{**model_inputs(spec), "precision": "float32"}).run().record
    reals = [name for name, values in double._arrays.items() if values.dtype == np.float64]
    assert len(reals) > 20
    for name, values in double._arrays.items():
        kept = single.series(name)
        expected = values.astype(np.float32) if name in reals else values
        assert kept.dtype == expected.dtype, name
        np.testing.assert_array_equal(kept, expected, err_msg=name)
    frame = tables.trajectories(single, spec.calendar, np.asarray(spec.replicate_ids))
    assert frame["hedge_russia"].dtype == np.float32
