"""Sobol sensitivity: factors, the SALib wiring, and hedgesim-sensitivity end to end."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample

from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import build_run
from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ModelParameters, ParameterError, allowed_range
from hedgesim.workflows import sensitivity, sensitivity_command


def test_allowed_range_is_the_documented_range():
    assert allowed_range(Challenges, "tension") == (0.0, 1.0)
    assert allowed_range(ModelParameters, "repression_persistence") == (0.9, 1.0)
    assert allowed_range(ModelParameters, "sanctions_full") == (0.0, 1000.0)
    with pytest.raises(ParameterError, match=r"Challenges.nope has no allowed range; allowed: trust, "):
        allowed_range(Challenges, "nope")


def test_factor_bounds_come_from_the_parameter_metadata():
    factor = sensitivity.parse_factor("challenges.tension")
    assert (factor.low, factor.high) == (0.0, 1.0)
    narrowed = sensitivity.parse_factor("params.trust_loss=0.1:0.4")
    assert (narrowed.key, narrowed.low, narrowed.high) == ("params.trust_loss", 0.1, 0.4)
    edge = sensitivity.parse_factor("params.repression_persistence=0.9:1")
    assert (edge.low, edge.high) == (0.9, 1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("params.nope", "--param params.nope: unknown parameter; allowed: challenges.trust"),
        ("seed", "--param seed: unknown parameter"),
        ("challenges.trust=0.5:1.5", "bounds out of range"),
        ("challenges.trust=0.8:0.2", "bounds out of range"),
        ("params.repression_persistence=0.5:1", "allowed: low < high within [0.9, 1.0]"),
        ("params.", "--param params.: unknown parameter"),
        ("challenges.trust=a:b", "bounds must read low:high"),
    ],
)
def test_bad_factors_name_key_and_allowed_values(text, message):
    with pytest.raises(ConfigError) as err:
        sensitivity.parse_factor(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_values_go_where_the_keys_say(baseline_spec):
    spec = baseline_spec
    factors = [sensitivity.parse_factor(k) for k in ("challenges.tension", "params.trust_loss")]
    changed = sensitivity.with_values(spec, factors, [0.9, 0.05])
    assert changed.challenges.tension == 0.9 and changed.params.trust_loss == 0.05
    assert changed.challenges.trust == spec.challenges.trust and spec.challenges.tension != 0.9
    with pytest.raises(ParameterError, match="challenges.tension=1.5"):
        sensitivity.with_values(spec, factors, [1.5, 0.05])


def test_sobol_table_ranks_the_inputs_of_a_known_function():
    """y = 4 x1 + x2 (x3 inert): analytic S1 = 16/17, 1/17, 0."""
    factors = [sensitivity.Factor(f"challenges.x{k}", 0.0, 1.0) for k in (1, 2, 3)]
    points = sobol_sample.sample(sensitivity.problem(factors), 1024, calc_second_order=False, seed=1)
    samples = pd.DataFrame(points, columns=[f.key for f in factors])
    samples["y"] = 4 * points[:, 0] + points[:, 1]
    samples["flat"] = 1.0
    table = sensitivity.sobol_table(samples, factors, ["y", "flat"], seed=1).set_index("parameter")
    assert set(table["outcome"]) == {"y"}  # a constant outcome has no index
    assert table.loc["challenges.x1", "S1"] == pytest.approx(16 / 17, abs=0.05)
    assert table.loc["challenges.x2", "S1"] == pytest.approx(1 / 17, abs=0.03)
    assert abs(table.loc["challenges.x3", "ST"]) < 0.01
    assert (table.loc[["challenges.x1", "challenges.x2"], "S1_conf"] > 0).all()
    assert (table["ST_conf"] >= 0).all()


def test_an_outcome_constant_over_the_base_samples_is_named_not_warned():
    """SALib warns "Constant values encountered" and returns zeros when the outcome is the same at
    every point of the two base samples; the table leaves it out and a note names it."""
    factors = [sensitivity.Factor(f"challenges.x{k}", 0.0, 1.0) for k in (1, 2)]
    points = sobol_sample.sample(sensitivity.problem(factors), 8, calc_second_order=False, seed=1)
    samples = pd.DataFrame(points, columns=[f.key for f in factors])
    step = len(factors) + 2  # each base row: A, the D rows with one factor swapped in, B
    samples["swaps_only"] = [0.0 if k % step in (0, step - 1) else float(k) for k in range(len(points))]
    samples["flat"] = 0.25
    samples["y"] = points[:, 0]
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SALib's warning does not reach the user
        table = sensitivity.sobol_table(samples, factors, ["swaps_only", "flat", "y"], seed=1, notes=notes)
    assert set(table["outcome"]) == {"y"}
    assert len(notes) == 2
    assert notes[0].startswith("swaps_only takes the same value at every point of the two base samples")
    assert notes[1].startswith("flat is 0.25 at every one of the 32 points")
    assert all("its Sobol indices are undefined" in n for n in notes)


def test_too_small_a_sample_is_said_with_the_sample_that_would_do():
    table = pd.DataFrame(
        {
            "outcome": ["p", "p", "q", "q"],
            "parameter": ["a", "b", "a", "b"],
            "S1": [1.32, 0.1, 0.5, 0.3],
            "S1_conf": [0.61, 0.2, 0.05, 0.04],
            "ST": [0.9, 0.2, 0.6, 0.4],
            "ST_conf": [0.3, 0.1, 0.08, 0.06],
        }
    )
    notes = sensitivity.sample_size_notes(table, samples=64)
    assert len(notes) == 1 and notes[0].startswith("p: S1 of a is 1.32, above 1")
    # +-0.61 at N = 64 shrinks as 1/sqrt(N): +-0.1 needs 64 x 6.1^2 = 2,381, so N = 4,096
    assert "widest 95% interval is +-0.61" in notes[0] and "--samples 4096" in notes[0]
    assert sensitivity.enough_samples(64, 0.61) == 4096 and sensitivity.enough_samples(64, 0.05) == 64
    wide = table.assign(S1=0.2)  # no index above 1, but the intervals are wide
    assert sensitivity.sample_size_notes(wide, samples=64)[0].startswith("p: its widest 95% interval")


@pytest.mark.slow
def test_sensitivity_command_writes_table_chart_and_manifest(tmp_path, capsys):
    import matplotlib.pyplot as plt

    out = tmp_path / "sens"
    sensitivity_command.main(
        [
            "--param",
            "challenges.tension",
            "--param",
            "challenges.trust=0.2:0.8",
            "--samples",
            "4",
            "--replicates",
            "3",
            "--seed",
            "2",
            "--out",
            str(out),
            "--jobs",
            "2",
            "--outcomes",
            "p_visa_by_2025",
            "median_relations_eu_2030",
        ]
    )
    err = capsys.readouterr().err
    assert "16/16 points" in err and "Constant values encountered" not in err
    samples = pd.read_parquet(out / "samples.parquet")
    factors = [
        sensitivity.Factor("challenges.tension", 0.0, 1.0),
        sensitivity.Factor("challenges.trust", 0.2, 0.8),
    ]
    points = sobol_sample.sample(sensitivity.problem(factors), 4, calc_second_order=False, seed=2)
    np.testing.assert_array_equal(samples[["challenges.tension", "challenges.trust"]].to_numpy(), points)
    assert samples["replicates"].eq(3).all()
    table = pd.read_csv(out / "sobol.csv")
    expected = sensitivity.sobol_table(
        samples, factors, ["p_visa_by_2025", "median_relations_eu_2030"], seed=2
    )
    pd.testing.assert_frame_equal(table, expected, check_exact=False)
    assert "median_relations_eu_2030" in set(table["outcome"])  # a continuous outcome always has indices
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["points"] == 16 and manifest["overrides"] == ["scenario=forward_2030"]
    assert manifest["factors"] == [{"key": f.key, "low": f.low, "high": f.high} for f in factors]
    assert manifest["files"] == ["samples.parquet", "sobol.parquet", "sobol.csv", "sobol.png"]
    assert any("the sample is too small" in n for n in manifest["notes"])  # N = 4 is far too few
    assert all(f"hedgesim-sensitivity: note: {n}" in err for n in manifest["notes"])
    assert (out / "sobol.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []  # the chart is closed once saved


@pytest.mark.slow
def test_points_are_identical_serial_or_parallel():
    spec = build_run(compose_config(["replicates=2", "scenario.end=2012-12"]))
    factors = [sensitivity.parse_factor("challenges.tension")]
    points = np.array([[0.1], [0.7], [0.4]])
    serial = sensitivity.run_points(spec, factors, points, n_jobs=1)
    parallel = sensitivity.run_points(spec, factors, points, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial["challenges.tension"].tolist() == [0.1, 0.7, 0.4] and serial["replicates"].eq(2).all()
    assert serial["median_relations_eu_2030"].isna().all()  # the run ends in 2012: no 2030


@pytest.mark.parametrize(
    "keys", [["challenges.tension", "challenges.trust"], ["challenges.tension", "params.trust_loss"]]
)
def test_points_run_as_one_ensemble_give_each_points_own_outcomes(keys):
    """Points differing in the challenges only share their months before the branch; with a
    parameter they do not: either way each point's outcomes are those of its own run."""
    spec = build_run(
        compose_config(["replicates=3", "seed=4", "scenario=forward_2030", "scenario.end=2024-12"])
    )
    factors = [sensitivity.parse_factor(key) for key in keys]
    points = np.array([[0.1, 0.2], [0.9, 0.25], [0.5, 0.3]])
    together = pd.DataFrame(sensitivity.evaluate_points(spec, factors, points))
    alone = [sensitivity.evaluate(sensitivity.with_values(spec, factors, point)) for point in points]
    pd.testing.assert_frame_equal(together, pd.DataFrame(alone), check_exact=True)
    assert not together.iloc[0].equals(together.iloc[1])  # the points differ


def test_chunks_hold_eight_per_process_or_fit_in_memory():
    assert sensitivity.chunk_count(320, 50 * 276, 2) == 16
    assert sensitivity.chunk_count(5, 50 * 276, 2) == 5
    assert sensitivity.chunk_count(320, 10_000 * 276, 2) == 320  # each point alone past the cap
    assert sensitivity.chunk_count(320, 1_000 * 276, 1) == 107  # three points a chunk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "6"], "--samples=6; allowed: a power of 2"),
        (["--param", "params.nope"], "--param params.nope: unknown parameter"),
        (["--outcomes", "p_nothing"], "--outcomes ['p_nothing']: unknown"),
        (["--replicates", "0"], "--replicates=0"),
        (  # the option typed, not the config key it sets (replicates=...)
            ["--replicates", "100000000", "--samples", "2"],
            "error: --replicates=100000000 x 276 months needs about 9,660 GB; allowed: runs under",
        ),
        (["--jobs", "0"], "--jobs=0; allowed: a count >= 1, or -1 (one per core)"),
        (["challenges.trust=7"], "challenges.trust=7"),
        (["--seed", "-1"], "--seed=-1; allowed: an integer >= 0"),
        (["seed=5"], "seed=5: this command sets seed itself; allowed: --seed S"),
        (["replicates=7"], "replicates=7: this command sets replicates itself; allowed: --replicates N"),
        (
            ["challenges.trust=0.3"],  # sampled: the override was replaced without a word
            "challenges.trust=0.3: this command sets challenges.trust itself; allowed: --param "
            "challenges.trust=LOW:HIGH (it is sampled)",
        ),
        (
            ["--samples", "2", "scenario.end=2019-12"],  # forward_2030 branches at 2020-01
            "scenario.branch=2020-01 is after scenario.end=2019-12, so challenges.trust=",
        ),
    ],
)
def test_bad_sensitivity_input_is_one_line(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main([*args, "--out", str(tmp_path / "x")])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_an_analysis_with_no_index_writes_its_empty_table(tmp_path):
    """Every outcome left out (each the same at every point) still writes the folder whole: an
    empty Sobol table once failed to be written (Arrow's null type for its empty text columns)."""
    factors = [sensitivity.Factor(f"challenges.x{k}", 0.0, 1.0) for k in (1, 2)]
    points = sobol_sample.sample(sensitivity.problem(factors), 2, calc_second_order=False, seed=1)
    samples = pd.DataFrame(points, columns=[f.key for f in factors]).assign(flat=0.5)
    table = sensitivity.sobol_table(samples, factors, ["flat"], seed=1)
    assert table.empty and table["S1"].dtype == float
    written = sensitivity_command.write_parquet(table, tmp_path / "sobol.parquet")
    assert list(pd.read_parquet(written).columns) == list(table.columns)


def test_the_seed_option_seeds_the_runs(monkeypatch):
    """--seed once seeded the Sobol sample only: every run took the config's seed, and the
    manifest named a seed the runs had not used."""
    seen = []

    def runs(spec, factors, points, n_jobs):
        seen.append(spec.seed)
        raise KeyboardInterrupt  # enough: the runs' spec is known

    monkeypatch.setattr(sensitivity, "run_points", runs)
    with pytest.raises(KeyboardInterrupt):
        sensitivity.analyse(
            ["scenario=forward_2030"], [sensitivity.parse_factor("challenges.trust")], 2, 3, 7
        )
    assert seen == [7]


def test_the_sample_asked_for_is_always_larger_than_the_one_used():
    table = pd.DataFrame(
        {
            "outcome": ["p", "p", "q", "q"],
            "parameter": ["a", "b", "a", "b"],
            "S1": [1.5, 0.0, 2.0, 0.1],
            "S1_conf": [0.0, 0.0, np.nan, np.nan],  # too few points for the bootstrap to spread
            "ST": [0.9, 0.0, 0.5, 0.2],
            "ST_conf": [0.05, 0.0, np.nan, np.nan],
        }
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmax of no number
        notes = sensitivity.sample_size_notes(table, samples=2)
    assert len(notes) == 2 and all("--samples 2)" not in n for n in notes)
    assert notes[0].startswith("p: S1 of a is 1.50, above 1") and "+-0.05" in notes[0]
    assert notes[0].endswith("no guide: try N = 4 (--samples 4) or more.")
    assert "q: S1 of a is 2.00" in notes[1] and "95% intervals are undefined" in notes[1]
    assert notes[1].endswith("(--samples 4) or more.")
    assert "(--samples 128)" in sensitivity.sample_size_notes(table.assign(S1=1.2), samples=64)[0]
