"""hedgesim from the wider ABM ecosystem: EMA Workbench calls ``outcomes``, Mesa batch-runs the model."""

from __future__ import annotations

import math
import warnings
from unittest import mock

import mesa
import numpy as np
import pandas as pd
import pytest
from ema_workbench import (
    Constant,
    Model,
    RealParameter,
    ScalarOutcome,
    SequentialEvaluator,
    perform_experiments,
)

import hedgesim
from conftest import run_cli
from hedgesim import api
from hedgesim.analysis.outcomes import OUTCOMES, PROBABILITIES, cell_outcomes
from hedgesim.config.errors import ConfigError
from hedgesim.core import model as core
from hedgesim.core.record import SUMMARY_REPORTERS


def same(a: dict, b: dict) -> bool:
    """Equal dicts of numbers, NaN equal to NaN (an outcome nobody reached is NaN)."""
    return a.keys() == b.keys() and all(
        (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a
    )


# --- outcomes(): one setting's scalar outcomes ---------------------------------------------


def test_outcomes_are_those_of_the_same_run_composed_by_hydra():
    ours = hedgesim.outcomes(
        trust=0.25, vested_interests=0.75, tension=0.6, replicates=6, seed=5, spoiler_rate=0.1
    )
    overrides = [
        "scenario=forward_2030",
        "challenges.trust=0.25",
        "challenges.vested_interests=0.75",
        "challenges.tension=0.6",
        "params.spoiler_rate=0.1",
    ]
    theirs = cell_outcomes(hedgesim.simulate(overrides, replicates=6, seed=5))
    assert same(ours, theirs), (ours, theirs)
    assert set(OUTCOMES) <= set(ours) and ours["replicates"] == 6


def test_outcomes_left_out_are_the_configs_and_change_with_the_inputs():
    default = hedgesim.outcomes(replicates=4, seed=9)
    assert same(
        default, hedgesim.outcomes(trust=0.5, vested_interests=0.5, tension=0.3, replicates=4, seed=9)
    )
    assert not same(default, hedgesim.outcomes(tension=0.9, replicates=4, seed=9))
    assert not same(default, hedgesim.outcomes(replicates=4, seed=10))


def test_numpy_scalars_are_taken_as_the_numbers_they_hold():
    plain = hedgesim.outcomes(trust=0.25, replicates=2, seed=5)
    assert same(plain, hedgesim.outcomes(trust=np.float64(0.25), replicates=np.int64(2), seed=np.int32(5)))


def test_the_config_is_composed_once_and_the_cached_spec_never_changes():
    api.base_spec.cache_clear()
    with mock.patch.object(api, "compose_config", wraps=api.compose_config) as compose:
        hedgesim.outcomes(trust=0.9, replicates=1, seed=1, spoiler_rate=0.2)
        hedgesim.outcomes(trust=0.1, replicates=2, seed=2)
    assert compose.call_count == 1
    spec = api.base_spec(api.FORWARD)
    assert spec.challenges.trust == 0.5 and spec.seed == 20101219 and len(spec.replicate_ids) == 200
    assert spec.params.spoiler_rate != 0.2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trust": 1.5}, "challenges.trust=1.5 is out of range; allowed: a number in [0.0, 1.0]"),
        ({"tension": "high"}, "challenges.tension='high'; allowed: a number in [0.0, 1.0]"),
        ({"vested_interests": True}, "challenges.vested_interests=True; allowed: a number in [0.0, 1.0]"),
        ({"spoiler_rate": 2}, "params.spoiler_rate=2.0 is out of range; allowed: a number in [0.0, 1.0]"),
        ({"replicates": 0}, "replicates=0; allowed: an integer >= 1"),
        ({"replicates": 2.5}, "replicates=2.5; allowed: an integer >= 1"),
        ({"seed": -1}, "seed=-1; allowed: an integer >= 0"),
        ({"trust_gian": 0.1}, "trust_gian=0.1: unknown parameter; allowed: trust, vested_interests, "),
    ],
)
def test_bad_input_to_outcomes_is_one_line_naming_key_value_and_allowed(kwargs, message):
    with pytest.raises(ConfigError) as err:
        hedgesim.outcomes(**kwargs)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    if "unknown" in message:
        assert "trust_gain" in str(err.value)  # the allowed names are listed


@pytest.mark.slow
def test_outcomes_match_the_cells_of_a_command_line_sweep(tmp_path):
    base = ["replicates=3", "seed=5", "scenario=forward_2030", "output.figure=false", "output.events=false"]
    folder = tmp_path / "mr"
    done = run_cli("-m", "challenges.trust=0.2,0.9", *base, f"hydra.sweep.dir={folder}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_parquet(folder / "summary.parquet")
    assert sorted(table["trust"]) == [0.2, 0.9]
    for row in table.to_dict("records"):
        ours = hedgesim.outcomes(trust=row["trust"], replicates=3, seed=5)
        assert same(ours, {k: row[k] for k in ours}), row["trust"]


# --- the EMA Workbench ----------------------------------------------------------------------


def test_ema_workbench_explores_the_three_challenges_with_outcomes_as_is():
    model = Model("hedgesim", function=hedgesim.outcomes)
    model.uncertainties = [RealParameter(name, 0.0, 1.0) for name in ("trust", "vested_interests", "tension")]
    model.constants = [Constant("replicates", 4), Constant("seed", 7)]
    names = ["p_visa_by_2025", "p_collapse", "median_hedge_eu_2030"]
    model.outcomes = [ScalarOutcome(name) for name in names]
    experiments, results = perform_experiments(model, 6, evaluator=SequentialEvaluator(model))
    assert len(experiments) == 6 and all(len(results[name]) == 6 for name in names)
    assert experiments["trust"].nunique() == 6  # Latin hypercube: six distinct levels
    for name in names:
        assert np.isfinite(results[name]).all(), name
    for name in set(names) & set(PROBABILITIES):
        assert ((results[name] >= 0) & (results[name] <= 1)).all(), name
    first = experiments.iloc[0]
    again = hedgesim.outcomes(
        trust=first["trust"],
        vested_interests=first["vested_interests"],
        tension=first["tension"],
        replicates=4,
        seed=7,
    )
    assert [results[name][0] for name in names] == [again[name] for name in names]


# --- Mesa's batch_run -----------------------------------------------------------------------


def batch(rng, **extra):
    return mesa.batch_run(
        hedgesim.HedgingModel,
        parameters={"trust": [0.1, 0.9], "replicates": 3},
        rng=rng,
        max_steps=6,
        data_collection_period=1,
        display_progress=False,
        **extra,
    )


def test_batch_run_sweeps_trust_and_returns_the_datacollectors_columns():
    rows = pd.DataFrame(batch([1, 2]))
    assert len(rows) == 2 * 2 * 6  # trust values x seeds x months
    assert set(SUMMARY_REPORTERS) | {"trust", "replicates", "rng", "Step"} <= set(rows.columns)
    assert sorted(set(rows["trust"])) == [0.1, 0.9]
    assert list(rows.loc[rows["RunId"] == 0, "date"]) == [f"2008-0{m}" for m in range(1, 7)]
    # A higher capacity for trust grows the EU's trust in Belarus faster.
    last = rows[rows["Step"] == 6].groupby("trust")["mean_trust_eu_blr"].mean()
    assert last[0.9] > last[0.1]


def test_batch_run_gives_the_same_numbers_for_the_same_rng_and_matches_the_model():
    first, again = pd.DataFrame(batch([1, 2])), pd.DataFrame(batch([1, 2]))
    pd.testing.assert_frame_equal(first, again)
    model = hedgesim.HedgingModel(trust=0.9, replicates=3, rng=2)
    for _ in range(6):
        model.step()
    own = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    mine = first[(first["trust"] == 0.9) & (first["rng"] == 2)].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine[list(own.columns)], own)


def test_batch_run_with_iterations_draws_fresh_seeds():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa prefers rng=[None] * n
        rows = pd.DataFrame(batch(None, iterations=2))
    assert len(rows) == 2 * 2 * 6 and rows["rng"].isna().all()


# --- the batteries-included model -------------------------------------------------------------


def test_the_model_defaults_to_the_calibrated_baseline(baseline_spec):
    model = hedgesim.HedgingModel(rng=3)
    assert isinstance(model, core.HedgingModel)
    assert (str(model.calendar.start), str(model.calendar.end)) == ("2008-01", "2019-12")
    assert model.params == baseline_spec.params and model.challenges == baseline_spec.challenges
    assert model.timeline == baseline_spec.timeline and list(model.replicate_ids) == [0]
    direct = core.HedgingModel(
        baseline_spec.calendar,
        baseline_spec.timeline,
        baseline_spec.params,
        baseline_spec.challenges,
        baseline_spec.stochastic,
        baseline_spec.oil_prices,
        seed=3,
    )
    pd.testing.assert_frame_equal(model.run().trajectories(), direct.run().trajectories())


def test_an_int_rng_repeats_and_a_none_rng_is_kept_in_mesas_seed():
    once = hedgesim.HedgingModel(tension=0.7, replicates=2, rng=11).run().trajectories()
    twice = hedgesim.HedgingModel(tension=0.7, replicates=2, rng=11).run().trajectories()
    pd.testing.assert_frame_equal(once, twice)
    fresh = hedgesim.HedgingModel(tension=0.7, replicates=2, rng=None)
    assert isinstance(fresh._seed, int) and fresh._seed >= 0
    replay = hedgesim.HedgingModel(tension=0.7, replicates=2, rng=fresh._seed)
    pd.testing.assert_frame_equal(fresh.run().trajectories(), replay.run().trajectories())
    generator = hedgesim.HedgingModel(rng=np.random.default_rng(4))
    assert generator._seed == hedgesim.HedgingModel(rng=np.random.default_rng(4))._seed


def test_model_parameters_are_keywords_and_bad_ones_are_one_line():
    model = hedgesim.HedgingModel(spoiler_rate=0.2, trust=0.8, replicates=5, rng=1)
    assert model.params.spoiler_rate == 0.2 and model.challenges.trust == 0.8 and model.n_replicates == 5
    assert api.base_spec(api.BASELINE).params.spoiler_rate != 0.2
    with pytest.raises(ConfigError, match=r"^seed=1: unknown parameter; allowed: trust, .*, rng or "):
        hedgesim.HedgingModel(seed=1)
    with pytest.raises(ConfigError, match=r"^rng=-2; allowed: an integer >= 0$"):
        hedgesim.HedgingModel(rng=-2)
    with pytest.raises(ConfigError, match=r"^rng='abc'; allowed: an integer >= 0, a SeedSequence"):
        hedgesim.HedgingModel(rng="abc")


def test_the_package_exports_the_entry_points():
    assert {"HedgingModel", "outcomes", "simulate", "simulate_run"} <= set(hedgesim.__all__)
    assert hedgesim.HedgingModel is api.HedgingModel and hedgesim.outcomes is api.outcomes


def test_vary_names_an_unknown_key_by_its_config_path():
    with pytest.raises(ConfigError, match=r"^challenges\.trsut=0\.2: unknown key; allowed: trust, vested"):
        api.vary(api.base_spec(), challenges={"trsut": 0.2})
