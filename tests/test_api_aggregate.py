"""``hedgesim.workflows.sweep.aggregate.aggregate`` called from Python, as docs/sweeps.md shows."""

from __future__ import annotations

import json

import pytest

from hedgesim.workflows.sweep import aggregate as aggregation
from hedgesim.workflows.sweep.plan import SweepError
from test_sweep import hand_made_multirun


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_jobs": 0}, "n_jobs=0; allowed: a count >= 1, or -1 (one per core)"),
        ({"n_jobs": -2}, "n_jobs=-2; allowed: a count >= 1, or -1 (one per core)"),
        ({"n_jobs": 2.0}, "n_jobs=2.0; allowed: a count >= 1, or -1 (one per core)"),
        ({"figures": "no"}, "figures='no'; allowed: True or False"),
    ],
)
def test_bad_options_are_refused_before_the_summary_is_touched(tmp_path, options, message):
    folder = hand_made_multirun(tmp_path / "mr")
    aggregation.aggregate(folder, figures=False)
    before = {name: (folder / name).read_bytes() for name in ("summary.parquet", "aggregate.json")}
    with pytest.raises(SweepError) as err:
        aggregation.aggregate(folder, **options)
    assert str(err.value) == message
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_one_fan_cell_given_as_a_string_is_that_cell(tmp_path):
    folder = hand_made_multirun(tmp_path / "mr")
    aggregation.aggregate(folder, fans="challenges.trust=0.2")
    notes = json.loads((folder / "aggregate.json").read_text())["figure_notes"]
    assert "drew figures/fans.png: EU relations and hedge, the cells asked for: cell 0: trust 0.2" in notes
