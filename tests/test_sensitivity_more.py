"""hedgesim-sensitivity: more edge cases of its options, its table and its outputs."""

from __future__ import annotations

import hashlib
import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample

from hedgesim.config.parameter_sets import PLAUSIBLE_FILE
from hedgesim.workflows import sensitivity, sensitivity_command


def _samples(seed: int = 3) -> tuple[list[sensitivity.Factor], pd.DataFrame]:
    """Points of a known function of two factors, as run_points returns them."""
    factors = [sensitivity.Factor("challenges.trust", 0, 1), sensitivity.Factor("challenges.tension", 0, 1)]
    points = sobol_sample.sample(sensitivity.problem(factors), 16, calc_second_order=False, seed=seed)
    frame = pd.DataFrame(points, columns=[f.key for f in factors])
    return factors, frame.assign(y=frame.iloc[:, 0] + 0.3 * frame.iloc[:, 1] ** 2)


@pytest.mark.parametrize("seed", [0, 5])
def test_the_bootstrap_intervals_repeat_for_every_seed(seed):
    """--seed 0 is allowed, but SALib read a seed of 0 as none: the confidence intervals (and the
    sample-size notes drawn from them) changed from one run to the next."""
    factors, samples = _samples()
    first = sensitivity.sobol_table(samples, factors, ["y"], seed)
    np.random.seed(1)  # the global state SALib fell back on
    again = sensitivity.sobol_table(samples, factors, ["y"], seed)
    pd.testing.assert_frame_equal(first, again)
    assert (first["S1_conf"] > 0).all()


def test_an_outcome_listed_twice_is_refused(tmp_path, capsys):
    """--outcomes p_collapse p_collapse gave every row of p_collapse twice in sobol.csv and
    sobol.parquet, and two identical panels in sobol.png."""
    out = tmp_path / "x"
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(
            ["--samples", "2", "--out", str(out), "--outcomes", "p_collapse", "p_collapse"]
        )
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1
    assert (
        "--outcomes lists an outcome twice: ['p_collapse', 'p_collapse']; allowed: each outcome once" in err
    )
    assert not out.exists()


def test_an_outcome_past_the_runs_end_is_said(monkeypatch):
    """scenario.end=2021-12 gave p_priorities_by_2030 indices that were about agreements by
    2021-12, and p_collapse (from 2021-01 on) 'no factor moves it' at scenario.end=2020-06,
    without a word that the runs stop before the outcome's years."""

    def runs(spec, factors, points, n_jobs):
        frame = pd.DataFrame(points, columns=[f.key for f in factors])
        return frame.assign(p_priorities_by_2030=frame.iloc[:, 0], p_collapse=0.0, p_visa_by_2025=0.5)

    monkeypatch.setattr(sensitivity, "run_points", runs)
    factor = [sensitivity.parse_factor("challenges.trust")]
    outcomes = ["p_visa_by_2025", "p_priorities_by_2030", "p_collapse"]
    notes: list[str] = []
    sensitivity.analyse(
        ["scenario=forward_2030", "scenario.end=2020-06"], factor, 2, 1, 1, outcomes, notes=notes
    )
    said = [n for n in notes if "(scenario.end)" in n]
    assert said == [
        f"{o} needs the runs to reach {m}, but they end at 2020-06 (scenario.end): it reads the months "
        "up to 2020-06 only, not what its name says."
        for o, m in [
            ("p_visa_by_2025", "2025-12"),
            ("p_priorities_by_2030", "2030-12"),
            ("p_collapse", "2021-01"),
        ]
    ]
    notes.clear()
    sensitivity.analyse(["scenario=forward_2030"], factor, 2, 1, 1, outcomes, notes=notes)
    assert not [n for n in notes if "(scenario.end)" in n]


def _die(*_args):
    os._exit(9)  # as a worker the kernel kills for memory


def test_a_worker_that_dies_is_one_line_and_the_folder_stays(tmp_path, capsys, monkeypatch):
    """A worker killed while running points (the kernel's out-of-memory killer, kill -9) ended
    the command with a BrokenProcessPool traceback."""
    out = tmp_path / "x"
    out.mkdir()
    (out / "sobol.csv").write_text("old\n")
    monkeypatch.setattr(sensitivity, "evaluate_points", _die)
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(["--samples", "2", "--replicates", "1", "--jobs", "2", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 1
    assert err[-1] == (
        f"hedgesim-sensitivity: error: a worker running points died (killed, or out of memory); {out} "
        "is as it was: run it again, with fewer --jobs if memory is short"
    )
    assert not any("Traceback" in line for line in err)
    assert [p.name for p in tmp_path.iterdir()] == ["x"] and (out / "sobol.csv").read_text() == "old\n"


def test_an_override_after_outcomes_is_said_to_be_one(tmp_path, capsys):
    """--outcomes takes every word up to the next option, so an override after it was reported
    as an unknown outcome, the list of outcomes offered as the way out."""
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(
            ["--out", str(tmp_path / "x"), "--outcomes", "p_collapse", "scenario.end=2025-12"]
        )
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1
    assert err == (
        "hedgesim-sensitivity: error: --outcomes ['scenario.end=2025-12']: overrides are read as outcomes "
        "after --outcomes; allowed: overrides before --outcomes, or after -- "
        "(--outcomes p_collapse -- scenario.end=2025-12)"
    )


def test_overrides_may_sit_between_options(tmp_path, monkeypatch):
    """Overrides on both sides of an option (as hedgesim takes them) stopped the command with
    'unrecognized arguments' for the second group."""
    seen = []

    def analyse(overrides, *args):
        seen.append(overrides)
        raise KeyboardInterrupt

    monkeypatch.setattr(sensitivity_command, "analyse", analyse)
    argv = [
        "scenario.end=2025-12",
        "--param",
        "challenges.trust",
        "challenges.tension=0.5",
        "--out",
        str(tmp_path / "x"),
    ]
    with pytest.raises(SystemExit):
        sensitivity_command.main(argv)
    assert seen == [["scenario=forward_2030", "scenario.end=2025-12", "challenges.tension=0.5"]]


def _fan_frame(start: str, months: int) -> pd.DataFrame:
    dates = pd.date_range(start, periods=months, freq="MS")
    return pd.DataFrame({"replicate": 0, "date": dates, "relations_eu": 1.0, "hedge_eu": 0.3})


@pytest.mark.parametrize(("start", "projected"), [("2008-01-01", False), ("2016-01-01", True)])
def test_fans_speak_of_a_projection_only_when_the_runs_reach_one(start, projected):
    """A sweep of the default scenario (2008-2019, no projection) drew fans titled 'history to
    2019, then projection' with a dashed line at 2020 past the last month."""
    import matplotlib.pyplot as plt

    from hedgesim.plots import sweep as sweep_plots

    fig = sweep_plots.fans({"cell 0": _fan_frame(start, 144)})
    try:
        title = fig.get_suptitle()
        dashed = [line for ax in fig.axes for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert ("then projection" in title) is projected and ("no projection" in title) is not projected
        assert len(dashed) == (2 if projected else 0)
    finally:
        plt.close(fig)


def test_the_manifest_names_the_versions_that_drew_the_points(tmp_path):
    """The Sobol points come from SALib over scipy's scrambled Sobol sequence, and the indices
    from SALib: the manifest's versions named neither, so a folder could not say what made it."""
    import argparse
    import json
    from importlib.metadata import version

    factors, samples = _samples()
    table = sensitivity.sobol_table(samples, factors, ["y"], 1)
    args = argparse.Namespace(seed=1, samples=16, replicates=2, outcomes=["y"])
    sensitivity_command.write_outputs(tmp_path / "out", samples, table, factors, args, [], 1.0)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sobol_versions"] == {"SALib": version("SALib"), "scipy": version("scipy")}


def test_an_equals_sign_without_bounds_is_refused():
    """--param challenges.trust= (bounds left out after the '=') sampled the whole range."""
    with pytest.raises(sensitivity.ConfigError) as err:
        sensitivity.parse_factor("challenges.trust=")
    assert str(err.value) == (
        "--param challenges.trust=: bounds must read low:high, e.g. challenges.trust=0.2:0.8"
    )
    assert sensitivity.parse_factor("challenges.trust") == sensitivity.Factor("challenges.trust", 0.0, 1.0)


@pytest.mark.parametrize("line", ["hydra.launcher.n_jobs=4", "hydra/launcher=joblib", "hydra.run.dir=/tmp/y"])
def test_hydra_settings_are_refused_not_ignored(tmp_path, capsys, line):
    """hydra.launcher.n_jobs=4 (or any Hydra setting) was accepted and did nothing: the analysis
    ran on one process and wrote where --out said."""
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(["--samples", "2", "--out", str(tmp_path / "x"), line])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1
    assert err == (
        f"hedgesim-sensitivity: error: {line}: hedgesim-sensitivity runs no Hydra job, so Hydra's settings "
        "would be ignored; allowed: --jobs N (processes), --out DIR (the folder), overrides of the run"
    )
    assert not (tmp_path / "x").exists()


def test_undefined_intervals_print_no_numpy_warning():
    """Intervals all undefined (too few points for the bootstrap) made numpy print 'RuntimeWarning:
    All-NaN slice encountered' and a line of source on the command's stderr, beside its note."""
    table = pd.DataFrame(
        {
            "outcome": ["p", "p"],
            "parameter": ["a", "b"],
            "S1": [2.0, 0.1],
            "S1_conf": [np.nan] * 2,
            "ST": [0.5, 0.2],
            "ST_conf": [np.nan] * 2,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        notes = sensitivity.sample_size_notes(table, samples=2)
    assert notes == [
        "p: S1 of a is 2.00, above 1 (an index is a share of the variance, at most 1), and its 95% intervals "
        "are undefined: the sample is too small to read these indices. The intervals, from so few points, "
        "are no guide: try N = 4 (--samples 4) or more."
    ]


class _Frozen:
    """``datetime`` at one second: two analyses started together."""

    class datetime:
        @staticmethod
        def now():
            import datetime as real

            return real.datetime(2026, 1, 2, 3, 4, 5)


def test_two_analyses_of_the_same_second_keep_both_folders(tmp_path, monkeypatch):
    """Without --out, two analyses started in the same second wrote the same folder
    results/sensitivity/<time>: the one that finished last replaced the other's results."""
    factors, samples = _samples()
    tables = iter([(samples, sensitivity.sobol_table(samples, factors, ["y"], 1))] * 2)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sensitivity_command, "dt", _Frozen)
    monkeypatch.setattr(sensitivity_command, "analyse", lambda *args: next(tables))
    for trust in ("0:0.5", "0.5:1"):
        sensitivity_command.main(["--param", f"challenges.trust={trust}", "--param", "challenges.tension"])
    written = sorted(p.name for p in (tmp_path / "results" / "sensitivity").iterdir())
    assert written == ["2026-01-02_03-04-05", "2026-01-02_03-04-05_2"]
    bounds = [
        json.loads((tmp_path / "results" / "sensitivity" / name / "manifest.json").read_text())["factors"][0]
        for name in written
    ]
    assert [(b["low"], b["high"]) for b in bounds] == [(0.0, 0.5), (0.5, 1.0)]


def _outcomes_of_points(spec, factors, points, n_jobs):
    """run_points without the runs: each outcome a known function of the point."""
    frame = pd.DataFrame(points, columns=[f.key for f in factors])
    return frame.assign(**dict.fromkeys(sensitivity.summary.PROBABILITIES, frame.sum(axis=1)))


def test_the_manifest_records_the_parameter_sets_file(tmp_path, monkeypatch):
    """parameter_sets=plausible spreads the runs over the sets file, but the manifest named only
    the override, not which file's content: the sets could change and the analysis still read
    as made with them."""
    monkeypatch.setattr(sensitivity, "run_points", _outcomes_of_points)
    out = tmp_path / "x"
    sensitivity_command.main(
        ["--samples", "2", "--replicates", "4", "--out", str(out), "parameter_sets=plausible"]
    )
    sets = json.loads((out / "manifest.json").read_text())["parameter_sets"]
    expected = hashlib.sha256(PLAUSIBLE_FILE.read_bytes()).hexdigest()
    assert sets["file"] == "conf/params/plausible.csv" and sets["sha256"] == expected
    assert sets["sets"] == len(pd.read_csv(PLAUSIBLE_FILE, comment="#")) > 1
    sensitivity_command.main(["--samples", "2", "--replicates", "4", "--out", str(out)])
    assert "parameter_sets" not in json.loads((out / "manifest.json").read_text())  # none used


def test_a_factor_the_parameter_sets_vary_is_refused(tmp_path, capsys, monkeypatch):
    """--param params.trust_loss with parameter_sets=plausible ran every replicate at the sampled
    value, the sets' trust_loss silently dropped, while the manifest listed trust_loss among the
    parameters the sets vary."""
    monkeypatch.setattr(sensitivity, "run_points", _outcomes_of_points)
    out = tmp_path / "x"
    args = ["--samples", "2", "--replicates", "4", "--out", str(out), "parameter_sets=plausible"]
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main([*args, "--param", "params.trust_loss=0.1:0.4"])
    assert stop.value.code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--param params.trust_loss: the parameter sets (conf/params/plausible.csv) give it a value" in err
    assert "allowed: parameters the sets do not list, or parameter_sets=null" in err
    sensitivity_command.main([*args, "--param", "params.trust_init_blr_eu=0.1:0.4"])  # not in the sets
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["factors"][0]["key"] == "params.trust_init_blr_eu"
    assert "trust_init_blr_eu" not in manifest["parameter_sets"]["parameters"]


def test_the_help_says_param_replaces_the_three_challenges(tmp_path, capsys, monkeypatch):
    """The help said the indices were "with respect to the three challenges and any parameters
    listed with --param", but a --param samples only the parameters listed."""
    with pytest.raises(SystemExit):
        sensitivity_command.main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "the three challenges and any parameters" not in help_text
    assert "(without --param: the three challenges; with it, only those listed)" in help_text
    monkeypatch.setattr(sensitivity, "run_points", _outcomes_of_points)
    out = tmp_path / "x"
    sensitivity_command.main(
        ["--samples", "2", "--replicates", "4", "--out", str(out), "--param", "params.trust_loss"]
    )
    factors = json.loads((out / "manifest.json").read_text())["factors"]
    assert [f["key"] for f in factors] == ["params.trust_loss"]


def test_an_added_scenario_is_not_silently_replaced_by_the_default(tmp_path, capsys, monkeypatch):
    """+scenario=baseline came after the default scenario=forward_2030 the command put first, and
    Hydra ran forward_2030 without a word; it is now the one-line error it is in hedgesim."""
    assert sensitivity_command.with_scenario(["+scenario=baseline"]) == ["+scenario=baseline"]
    assert sensitivity_command.with_scenario(["scenario.end=2025-12"]) == [
        "scenario=forward_2030",
        "scenario.end=2025-12",
    ]
    assert sensitivity_command.with_scenario(["~scenario"]) == ["scenario=forward_2030", "~scenario"]
    monkeypatch.setattr(sensitivity, "run_points", _outcomes_of_points)
    out = tmp_path / "x"
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(
            ["--samples", "2", "--replicates", "2", "--out", str(out), "+scenario=baseline"]
        )
    assert stop.value.code == 2 and not out.exists()
    assert "scenario appears more than once" in capsys.readouterr().err


def test_an_analysis_with_no_index_says_so_in_words(tmp_path, capsys, monkeypatch):
    """With every outcome left out, the command printed pandas' "Empty DataFrame", "Columns: [...]"
    and "Index: []" where the table goes."""

    def flat(spec, factors, points, n_jobs):
        frame = pd.DataFrame(points, columns=[f.key for f in factors])
        return frame.assign(**dict.fromkeys(sensitivity.summary.PROBABILITIES, 0.5))

    monkeypatch.setattr(sensitivity, "run_points", flat)
    sensitivity_command.main(["--samples", "2", "--replicates", "2", "--out", str(tmp_path / "x")])
    captured = capsys.readouterr()
    assert captured.out == "No outcome has Sobol indices (the notes say why).\n"
    assert captured.err.count("0.5 at every one of the 10 points") == 4


def test_a_sample_too_large_for_memory_is_one_line_before_any_draw(tmp_path, capsys):
    """--samples 2**40 failed in SALib's draw with numpy's MemoryError traceback."""
    out = tmp_path / "x"
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(["--samples", str(2**40), "--replicates", "2", "--out", str(out)])
    assert stop.value.code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        f"hedgesim-sensitivity: error: --samples={2**40}: 5,497,558,138,880 points need about"
    )
    machine = 16 * 10**9  # 8 GB allowed; a sample of 3 factors takes 5 x 1,072 bytes
    sensitivity.check_sample_size(2**20, 3, machine)  # 5.6 GB
    with pytest.raises(
        sensitivity.ConfigError, match=r"--samples=2097152: 10,485,760 points need about 11 GB; "
    ):
        sensitivity.check_sample_size(2**21, 3, machine)
    with pytest.raises(
        sensitivity.ConfigError, match=r"allowed: a power of 2 up to 1,048,576 \(half of this"
    ):
        sensitivity.check_sample_size(2**21, 3, machine)


def test_a_challenges_group_all_sampled_away_is_refused(tmp_path, capsys, monkeypatch):
    """challenges=high_tension with the three challenges sampled (the default) changed nothing:
    every point set all three, and the analysis ran as if the group had not been named."""
    monkeypatch.setattr(sensitivity, "run_points", _outcomes_of_points)
    out = tmp_path / "x"
    args = ["--samples", "2", "--replicates", "2", "--out", str(out), "challenges=high_tension"]
    with pytest.raises(SystemExit) as stop:
        sensitivity_command.main(args)
    assert stop.value.code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "challenges=high_tension: every challenge is sampled (--param)" in err
    sensitivity_command.main([*args, "--param", "challenges.trust"])  # the group holds the other two
    assert json.loads((out / "manifest.json").read_text())["overrides"][-1] == "challenges=high_tension"
