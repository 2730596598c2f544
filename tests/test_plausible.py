"""The plausible parameter sets: how they are chosen, written, read, and pooled by hedgesim-reproduce."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgesim.analysis.pass_rules import evaluate
from hedgesim.workflows import parameter_sets as psets
from hedgesim.workflows import reproduction as rep
from hedgesim.workflows import reproduction_options as rep_options
from hedgesim.workflows.calibration import plausible
from hedgesim.workflows.results import is_complete
from hedgesim.workflows.run import run_spec
from hedgesim.workflows.targets_file import InputError, read_targets

CALIBRATED = plausible.read_calibrated()


def trials_table(losses: dict[int, float]) -> pd.DataFrame:
    """A study's trials.csv: trial, loss, passes, two searched parameters (distinct per trial)."""
    return pd.DataFrame(
        {
            "trial": list(losses),
            "loss": list(losses.values()),
            "passed": [30] * len(losses),
            "trade_oil": [12.0 + t / 7 for t in losses],
            "events_positive": [3.0 + t / 3 for t in losses],
        }
    )


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- choosing the sets ----------------------------------------------------------------------


def test_the_sets_are_the_trials_within_the_tolerance_best_first_and_capped():
    trials = trials_table({4: 1.30, 9: 1.25, 2: 1.20, 7: 1.20, 5: 2.0, 8: math.nan, 3: 1.24})
    chosen = plausible.select(trials, tolerance=0.05)
    assert chosen["trial"].tolist() == [2, 7, 3, 9]  # 1.20 (tie: lower trial first) .. 1.25; not 1.30
    assert plausible.select(trials, tolerance=0.05, max_sets=2)["trial"].tolist() == [2, 7]
    assert plausible.select(trials, tolerance=0.101)["trial"].tolist() == [2, 7, 3, 9, 4]
    assert plausible.select(trials, tolerance=1e-9)["trial"].tolist() == [2, 7]


def test_a_set_is_the_calibrated_values_with_the_trials_searched_values_rounded():
    trials = trials_table({11: 1.5, 12: 1.6})
    trials.loc[1, "events_positive"] = math.nan  # a parameter the trial did not search keeps its value
    sets = plausible.parameter_sets(
        trials, {"trade_oil": 16.1, "risk_aversion": 1.305, "events_positive": 13.3}
    )
    assert sets.columns.tolist() == ["trial", "loss", "events_positive", "risk_aversion", "trade_oil"]
    first, second = sets.iloc[0], sets.iloc[1]
    assert first["trade_oil"] == 13.57 and first["events_positive"] == 6.667  # 12 + 11/7, 3 + 11/3
    assert first["risk_aversion"] == 1.305 == second["risk_aversion"]  # not searched: calibrated
    assert second["events_positive"] == 13.3 and second["trade_oil"] == 13.71


def test_the_default_tolerance_is_the_profile_rule_for_one_parameter_and_grows_with_more():
    assert plausible.default_tolerance(71, 1) == pytest.approx(1 / 71, rel=1e-3)  # chi2_1(0.683) = 1
    assert plausible.default_tolerance(71, 49) == pytest.approx(0.7486, abs=1e-4)
    assert plausible.default_tolerance(71, 10) < plausible.default_tolerance(71, 20)
    assert plausible.default_tolerance(142, 10) == pytest.approx(plausible.default_tolerance(71, 10) / 2)


def run_dir(tmp_path: Path, trials: pd.DataFrame, targets: int = 71) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    trials.to_csv(folder / "trials.csv", index=False)
    manifest = {"targets": targets, "trials_total": len(trials), "best_trial": int(trials["trial"].iloc[0])}
    manifest |= {"settings": {"replicates": 64, "seed": 5, "scenario": "reproduce"}, "git_commit": "abc"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_the_command_writes_the_sets_with_a_header_that_reads_back(tmp_path, capsys):
    trials = trials_table({t: 1.0 + t / 100 for t in range(30)})
    calibrated = tmp_path / "calibrated.yaml"
    calibrated.write_text("trade_oil: 12.0\nevents_positive: 3.0\nrisk_aversion: 2.5\n", encoding="utf-8")
    out = tmp_path / "plausible.csv"
    args = [str(run_dir(tmp_path, trials, targets=40)), "--calibrated", str(calibrated), "--out", str(out)]
    assert plausible.main([*args, "--max-sets", "5"]) == 0
    sets = plausible.read_plausible(out)
    assert sets["trial"].tolist() == [0, 1, 2, 3, 4] and not list(tmp_path.glob(".*.tmp"))
    assert sets.loc[0, ["trade_oil", "events_positive", "risk_aversion"]].tolist() == [12.0, 3.0, 2.5]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Plausible parameter sets") and "30 trials (best trial 0)" in text
    tolerance = plausible.default_tolerance(40, 2)  # 2 searched parameters, 40 targets: 0.0586
    assert f"best + {tolerance:.4g}" in text and "6 trials within, the best 5 kept (at most 5)" in text
    captured = capsys.readouterr()
    assert "5 plausible sets (6 trials within" in captured.out and captured.err == ""  # best == calibrated

    assert plausible.main([*args, "--tolerance", "0.1", "--max-sets", "50"]) == 0
    assert len(plausible.read_plausible(out)) == 11  # losses 1.00 .. 1.10
    calibrated.write_text("trade_oil: 20.0\nevents_positive: 3.0\n", encoding="utf-8")
    assert plausible.main(args) == 0
    assert "differs from calibrated.yaml in 1 parameters" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tolerance", "0"], "--tolerance=0.0; allowed: a finite number > 0"),
        (["--tolerance", "-0.5"], "--tolerance=-0.5; allowed"),
        (["--tolerance", "nan"], "--tolerance=nan; allowed"),
        (["--max-sets", "0"], "--max-sets=0; allowed: an integer >= 1"),
    ],
)
def test_bad_rules_are_one_line_and_exit_2(tmp_path, capsys, extra, message):
    out = tmp_path / "plausible.csv"
    folder = run_dir(tmp_path, trials_table({1: 1.0}))
    assert plausible.main([str(folder), "--out", str(out), *extra]) == plausible.EXIT_USAGE
    assert message in one_line(capsys.readouterr().err) and not out.exists()


def test_a_folder_without_a_finished_study_is_one_line_and_exit_2(tmp_path, capsys):
    assert plausible.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "p.csv")]) == 2
    assert "has no trials.csv; allowed: a folder hedgesim-calibrate finished" in one_line(
        capsys.readouterr().err
    )
    folder = run_dir(tmp_path, trials_table({1: 1.0}), targets=0)
    assert plausible.main([str(folder), "--out", str(tmp_path / "p.csv")]) == 2
    assert "no count of judged targets" in one_line(capsys.readouterr().err)


# --- reading the sets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "are not a CSV table"),
        ("trial,trade_oil\n1,16\n", "allowed: columns trial, loss and one per parameter"),
        ("trial,loss\n1,1.5\n", "allowed: columns trial, loss and one per parameter"),
        ("trial,loss,trade_oil\n", "and 0 rows"),
        ("trial,loss,trade_oil\n1,1.5,16\n2,1.6,lots\n", "row 2, trade_oil='lots'; allowed: a finite number"),
        ("trial,loss,trade_oil\n1,1.5,16\n2,inf,16\n", "row 2, loss="),
        ("trial,loss,trade_oil\n1,1.5,16\n1,1.6,17\n", "trial=1 appears twice"),
    ],
)
def test_malformed_sets_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "plausible.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        plausible.read_plausible(path)


def test_the_committed_sets_read_and_hold_valid_parameters(baseline_spec):
    sets = plausible.read_plausible()
    assert 1 <= len(sets) <= plausible.MAX_SETS and sets["loss"].is_monotonic_increasing
    assert set(CALIBRATED) <= set(sets.columns)
    specs = psets.set_specs(baseline_spec, sets, 1, "plausible.csv")  # every set validates
    assert len({repr(s.params) for s in specs}) == len(sets)


# --- the replicates split across the sets ---------------------------------------------------


def test_each_set_runs_its_own_replicate_ids():
    ids = [psets.set_ids(k, 20) for k in range(50)]
    flat = [i for block in ids for i in block]
    assert flat == list(range(1000))  # distinct, consecutive, the same in any run of 20 a set
    assert psets.set_ids(3, 20) == tuple(range(60, 80))
    assert psets.replicates_per_set(1000, 50) == 20 and psets.replicates_per_set(1000, 30) == 33


def two_sets(tmp_path: Path, second: dict[str, float] | None = None) -> Path:
    """A sets file: the calibrated values, then the calibrated values changed by ``second``."""
    rows = [
        {"trial": 1, "loss": 1.0, **CALIBRATED},
        {"trial": 2, "loss": 1.1, **CALIBRATED, **(second or {})},
    ]
    path = tmp_path / "sets.csv"
    path.write_text("# two sets\n" + pd.DataFrame(rows).to_csv(index=False), encoding="utf-8")
    return path


def test_a_replicate_is_the_same_whatever_the_split(baseline_spec, tmp_path):
    spec = rep.baseline_spec([], 20, 7)
    sets = plausible.read_plausible(two_sets(tmp_path, {"trade_oil": 20.0, "events_positive": 20.0}))
    specs = psets.set_specs(spec, sets, 10, "sets.csv")
    assert [s.replicate_ids for s in specs] == [tuple(range(10)), tuple(range(10, 20))]
    assert specs[1].params.trade_oil == 20.0 and specs[0].params == spec.params
    pooled = psets.pooled_trajectories(specs)
    assert sorted(pooled["replicate"].unique()) == list(range(20))
    alone = run_spec(dataclasses.replace(specs[1], replicate_ids=(12,))).trajectories()
    pd.testing.assert_frame_equal(pooled[pooled["replicate"] == 12].reset_index(drop=True), alone)
    again = psets.pooled_trajectories(psets.set_specs(spec, sets, 10, "sets.csv"))
    pd.testing.assert_frame_equal(pooled, again)
    single = run_spec(spec).trajectories()
    assert pooled.dtypes.equals(single.dtypes)  # the milestones stay categorical
    assert pooled[["date", "replicate"]].equals(single[["date", "replicate"]])  # laid out as one run
    first = pooled["replicate"] < 10  # set 1 is the configured parameters: its replicates agree
    pd.testing.assert_frame_equal(pooled[first], single[first])
    assert not pooled[~first].equals(single[~first])


# --- hedgesim-reproduce --parameter-sets ----------------------------------------------------


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sets")
    sets = two_sets(folder, {"trade_oil": 20.0, "events_positive": 20.0, "listing_rate": 0.9})
    out = folder / "out"
    args = [
        "--parameter-sets",
        "--sets-file",
        str(sets),
        "--replicates",
        "21",
        "--seed",
        "7",
        "--out",
        str(out),
    ]
    return rep.main(args), out


def test_the_pooled_reproduction_writes_both_results(pooled):
    code, out = pooled
    assert code in (0, rep.EXIT_FAILED) and is_complete(out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*rep.SETS_FILES, "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    sets, single = manifest["parameter_sets"], manifest["without_parameter_uncertainty"]
    assert (sets["sets"], sets["replicates_per_set"], sets["trials"]) == (2, 10, [1, 2])
    assert manifest["replicates"] == 20 and sets["best_set_differs_from_configured"] == 0
    assert manifest["command"] == "hedgesim-reproduce --parameter-sets"
    report = (out / "report.md").read_text(encoding="utf-8")
    section = report.split("## With parameter uncertainty", 1)[1].split("\n## ", 1)[0]
    configured_row = (
        f"| configured parameters only | {single['passed']}/{single['targets']} | {single['loss']:.3f} |"
    )
    pooled_row = (
        f"| 2 plausible sets pooled | {manifest['passed']}/{manifest['targets']} | {manifest['loss']:.3f} |"
    )
    assert configured_row in section and pooled_row in section
    assert f"**{manifest['passed']}/{manifest['targets']} evidence targets pass" in report
    assert "differs from the configured parameters" not in section


def test_the_pooled_result_is_judged_on_both_ensembles(pooled):
    _, out = pooled
    targets = read_targets()
    spec = rep.baseline_spec([], 20, 7)
    sets = plausible.read_plausible(out.parent / "sets.csv")
    pooled_table = evaluate(psets.pooled_trajectories(psets.set_specs(spec, sets, 10, "s")), targets)
    single_table = evaluate(run_spec(spec).trajectories(), targets)
    written = pd.read_csv(out / "targets.csv")
    assert written["median"].to_numpy() == pytest.approx(pooled_table["median"].to_numpy(), nan_ok=True)
    compared = pd.read_csv(out / "uncertainty.csv")
    assert compared["q95_single"].to_numpy() == pytest.approx(single_table["q95"].to_numpy(), nan_ok=True)
    assert compared["passed_sets"].tolist() == pooled_table["passed"].tolist()
    assert not np.allclose(compared["median_single"], compared["median_sets"], equal_nan=True)


def test_identical_sets_add_no_uncertainty(tmp_path):
    """Two sets both at the configured values: the pooled ensemble is the configured one, replicate
    for replicate, so the bands and results are the same and every width ratio is 1."""
    out = tmp_path / "out"
    rep.main(
        ["--parameter-sets", "--sets-file", str(two_sets(tmp_path)), "--replicates", "12", "--out", str(out)]
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    single = manifest["without_parameter_uncertainty"]
    assert (manifest["passed"], manifest["loss"]) == (single["passed"], single["loss"])
    widening = manifest["band_widening"]
    assert widening["median_width_ratio"] == 1 and widening["wider"] == widening["narrower"] == 0
    assert widening["now_pass"] == widening["now_fail"] == []
    compared = pd.read_csv(out / "uncertainty.csv")
    assert compared["width_ratio"].dropna().eq(1).all() and len(compared["width_ratio"].dropna()) > 10


def test_the_band_comparison_counts_wider_narrower_and_changed_results():
    single = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "class": ["evidence", "evidence", "evidence", "fitted"],
            "median": [1.0, 2.0, 3.0, 4.0],
            "q05": [0.0, 0.0, 1.0, 0.0],
            "q95": [2.0, 4.0, np.inf, 1.0],
            "passed": [True, False, True, True],
        }
    )
    pooled = single.assign(
        q05=[0.0, 1.0, 0.0, 0.0], q95=[6.0, 3.0, 2.0, 9.0], passed=[False, True, True, True]
    )
    compared = psets.band_comparison(single, pooled)
    assert compared["width_ratio"].tolist()[:2] == [3.0, 0.5] and math.isnan(compared["width_ratio"][2])
    summary = psets.widening(compared)
    assert summary["median_width_ratio"] == 1.75 and summary["ratios"] == 2  # evidence only, finite
    assert (summary["wider"], summary["narrower"], summary["now_pass"], summary["now_fail"]) == (
        1,
        1,
        ["b"],
        ["a"],
    )


@pytest.mark.parametrize(
    ("sets_text", "extra", "message"),
    [
        (None, [], "do not exist; allowed: a plausible.csv"),
        ("trial,loss\n1,1.0\n", [], "allowed: columns trial, loss and one per parameter"),
        ("trial,loss,no_such_knob\n1,1.0,2\n", [], "column 'no_such_knob' is no model parameter"),
        ("trial,loss,trust_gain\n7,1.0,2.5\n", [], "trial 7: params.trust_gain=2.5 is out of range"),
        ("trial,loss,trust_gain\n1,1.0,0.1\n2,1.1,0.2\n3,1.2,0.3\n", ["--replicates", "2"], "at least one"),
        ("trial,loss,trust_gain\n1,1.0,0.1\n", ["params.trust_gain=0.2"], "gives params.trust_gain its own"),
    ],
)
def test_bad_sets_reach_the_user_as_one_line_and_exit_2(tmp_path, capsys, sets_text, extra, message):
    path = tmp_path / "sets.csv"
    if sets_text is not None:
        path.write_text(sets_text, encoding="utf-8")
    out = tmp_path / "out"
    code = rep.main(["--parameter-sets", "--sets-file", str(path), "--out", str(out), *extra])
    assert code == rep.EXIT_USAGE and not out.exists()
    line = one_line(capsys.readouterr().err)
    assert line.startswith("hedgesim-reproduce: error:") and message in line


def test_without_the_flag_the_default_folder_is_the_single_set_one():
    assert rep.parse_args([]).out == rep_options.DEFAULT_OUT
    assert rep.parse_args(["--parameter-sets"]).out == rep_options.DEFAULT_SETS_OUT
    assert rep.parse_args(["--parameter-sets", "--out", "x"]).out == Path("x")


# --- parameter_sets=plausible in any run -----------------------------------------------------


def _short(spec, end: str = "2011-12"):
    from hedgesim.core.calendar import Month, RunCalendar

    calendar = RunCalendar(spec.calendar.start, Month.parse(end))
    return dataclasses.replace(spec, calendar=calendar, timeline=spec.timeline.before_end_of(calendar))


def test_replicate_r_runs_set_r_mod_k_and_equals_a_run_of_that_set(baseline_spec):
    from hedgesim.config.compose import compose_config
    from hedgesim.config.parameter_sets import PLAUSIBLE_FILE, read_sets, set_parameters
    from hedgesim.config.spec import build_run

    sets = read_sets(PLAUSIBLE_FILE)
    k = len(sets)
    spec = build_run(compose_config(["parameter_sets=plausible", "replicates=2", f"first_replicate={k - 1}"]))
    assert spec.replicate_ids == (k - 1, k)
    name = set_parameters(sets)[0]
    np.testing.assert_array_equal(getattr(spec.params, name), sets[name].to_numpy()[[k - 1, 0]])
    unlisted = next(f.name for f in dataclasses.fields(spec.params) if f.name not in set(sets.columns))
    assert getattr(spec.params, unlisted) == getattr(baseline_spec.params, unlisted)  # one number still
    assert spec.sets_used["file"] == "conf/params/plausible.csv" and spec.sets_used["sets"] == k
    pooled = run_spec(_short(spec)).trajectories()
    for row, rid in ((k - 1, k - 1), (0, k)):  # replicate k runs set 0, as replicate 0 would
        values = {n: float(sets[n].iloc[row]) for n in set_parameters(sets)}
        alone_spec = dataclasses.replace(
            _short(baseline_spec),
            params=dataclasses.replace(baseline_spec.params, **values),
            replicate_ids=(rid,),
        )
        alone = run_spec(alone_spec).trajectories()
        mine = pooled[pooled["replicate"] == rid].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_exact=True)


def test_batched_cells_with_parameter_sets_equal_their_own_runs(baseline_spec):
    from hedgesim.config.compose import compose_config
    from hedgesim.config.spec import build_run
    from hedgesim.workflows.ensembles import simulate

    specs = [
        _short(
            build_run(compose_config(["parameter_sets=plausible", "replicates=3", f"challenges.trust={t}"]))
        )
        for t in (0.1, 0.9)
    ]
    model, slices, _ = simulate(specs)
    for spec, part in zip(specs, slices, strict=True):
        pd.testing.assert_frame_equal(
            model.part(part).trajectories(), run_spec(spec).trajectories(), check_exact=True
        )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["parameter_sets=plausible", "params.trust_gain=0.1"],
            "parameter_sets=plausible gives params.trust_gain",
        ),
        (["parameter_sets=no_such.csv"], "parameter sets 'no_such.csv' do not exist"),
    ],
)
def test_parameter_sets_refuse_what_they_cannot_do_in_one_line(tmp_path, overrides, expected):
    from conftest import run_cli

    result = run_cli(*overrides, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("hedgesim: error: ") and expected in result.stderr
    assert not (tmp_path / "run").exists()
