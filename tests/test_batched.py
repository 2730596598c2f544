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
from hedgesim.core.knobs import ParameterError, per_replicate
from hedgesim.core.model import HedgingModel
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
