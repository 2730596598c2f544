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


@pytest.mark.parametrize("as_given", ["absolute", "relative"])
def test_one_cell_of_a_sweep_given_for_the_sweep_is_refused_and_left_as_it_was(
    tmp_path, monkeypatch, as_given
):
    folder = hand_made_multirun(tmp_path / "mr")
    cell = folder / "challenges.trust=0.2"
    (cell / ".hydra" / "hydra.yaml").write_text("hydra:\n  mode: MULTIRUN\n")
    before = sorted(p.relative_to(cell) for p in cell.rglob("*"))
    if as_given == "relative":
        monkeypatch.chdir(cell)
    given = cell if as_given == "absolute" else "."
    with pytest.raises(SweepError) as err:
        aggregation.aggregate(given)
    assert str(err.value) == (
        f"folder={str(given)!r} is one cell of a sweep, without its multirun.yaml; allowed: a multirun folder"
    )
    assert sorted(p.relative_to(cell) for p in cell.rglob("*")) == before
    assert len(aggregation.aggregate(folder, figures=False)) == 3  # its sweep's folder still is one


def test_collapse_is_undefined_for_runs_that_end_before_it_can_happen():
    """p_collapse counts EU relations below their 2011 low from 2021 on: a sweep to 2012-12
    reported 0.0, as if no replicate had collapsed, where none could."""
    import math

    import hedgesim
    from hedgesim.analysis import outcomes

    early = hedgesim.simulate(["scenario=forward_2030", "scenario.end=2012-12"], replicates=3, seed=1)
    assert math.isnan(outcomes.cell_outcomes(early)["p_collapse"])
    later = hedgesim.simulate(["scenario=forward_2030", "scenario.end=2021-06"], replicates=3, seed=1)
    assert outcomes.cell_outcomes(later)["p_collapse"] in (0.0, 1 / 3, 2 / 3, 1.0)
