"""Paths a user takes through calibration, validation and the Python API: interruptions, reruns
into the same folders, odd but legal values."""

from __future__ import annotations

import json
import logging
import types
from pathlib import Path

import optuna
import pytest
import yaml

from hedgesim.api import base_spec, vary
from hedgesim.config.errors import ConfigError
from hedgesim.workflows.calibration import command as calibrate_command
from hedgesim.workflows.calibration import study as study_module
from hedgesim.workflows.calibration.lock import hold_lock
from hedgesim.workflows.calibration.refine import REFINED_DIR
from hedgesim.workflows.calibration.search import CalibrationError, Dimension
from hedgesim.workflows.calibration.study import fail_stale_trials, open_study, run_trials
from hedgesim.workflows.targets_file import read_targets
from hedgesim.workflows.validation import command as validate_command
from hedgesim.workflows.validation.calibrate import calibrate_origin
from hedgesim.workflows.validation.plan import read_plan
from hedgesim.workflows.validation.split import split
from test_refine import FLAT_AND_SEEN

ORIGIN = "2014-12"
TWO = {
    "trade_non_oil": {"low": 2.0, "high": 12.0},
    "events_positive": {"low": 3.0, "high": 30.0, "log": True},
}


def _plan(tmp_path: Path, trials: int):
    """A one-origin validation plan of two free parameters and a few small trials."""
    (tmp_path / "search.yaml").write_text(yaml.safe_dump({"parameters": TWO}), encoding="utf-8")
    body = {
        "origins": [ORIGIN],
        "score_end": "2020-01",
        "search": "search.yaml",
        "trials": trials,
        "replicates": 2,
        "seed": 5,
        "prior_draws": 1,
        "score_replicates": 2,
    }
    path = tmp_path / "validation.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return read_plan(path)


def _calibrate(tmp_path: Path, trials: int) -> dict:
    plan = _plan(tmp_path, trials)
    training = split(read_targets(), ORIGIN, plan.score_end).training
    return calibrate_origin(plan, ORIGIN, training, plan.dimensions(), tmp_path / "runs", False)


def _stored(tmp_path: Path) -> list:
    storage = f"sqlite:///{tmp_path / 'runs' / ORIGIN / 'study.db'}"
    return optuna.load_study(study_name=f"hedgesim-validation-{ORIGIN}", storage=storage).trials


def test_a_second_validation_in_the_same_studies_is_refused(tmp_path):
    """Two validations in one run folder added their trials to the same study (60 of 40)."""
    with hold_lock(tmp_path / "runs" / ORIGIN), pytest.raises(CalibrationError, match="in use"):
        _calibrate(tmp_path, trials=1)
    assert not (tmp_path / "runs" / ORIGIN / "study.db").exists()


def test_a_trial_a_killed_validation_left_running_is_failed_on_resume(tmp_path):
    """It stayed RUNNING for ever; a starting point left so was never tried."""
    _calibrate(tmp_path, trials=1)
    storage = f"sqlite:///{tmp_path / 'runs' / ORIGIN / 'study.db'}"
    optuna.load_study(study_name=f"hedgesim-validation-{ORIGIN}", storage=storage).ask()
    facts = _calibrate(tmp_path, trials=2)
    states = [t.state for t in _stored(tmp_path)]
    assert states.count(optuna.trial.TrialState.RUNNING) == 0
    assert states.count(optuna.trial.TrialState.FAIL) == 1
    assert states.count(optuna.trial.TrialState.COMPLETE) == 2
    assert facts["trials"] == 2


class _Interrupted:
    """An objective whose trial is stopped by Ctrl-C."""

    def table(self, values):
        raise KeyboardInterrupt


def test_ctrl_c_in_a_one_at_a_time_search_prints_no_traceback(tmp_path):
    """optuna's warning printed the trial's values and a traceback before the command's one line."""
    said: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = said.append
    logging.getLogger("optuna").addHandler(handler)
    study = open_study(tmp_path, 1, "stamp")
    dims = [Dimension("trade_non_oil", 2.0, 12.0)]
    try:
        with pytest.raises(KeyboardInterrupt):
            run_trials(study, _Interrupted(), dims, 3, [], None, False, batch=1)
    finally:
        logging.getLogger("optuna").removeHandler(handler)
    assert [record.getMessage() for record in said] == []
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL]
    assert optuna.logging.get_verbosity() == optuna.logging.WARNING


def test_ctrl_c_while_optuna_stores_a_trial_is_a_ctrl_c(tmp_path, monkeypatch):
    """optuna's clean-up failed on it with UnboundLocalError: a traceback and exit 1."""
    study = open_study(tmp_path, 1, "stamp")
    monkeypatch.setattr(study_module, "loss", lambda table: 1.0)
    monkeypatch.setattr(study_module, "pass_count", lambda table: 0)

    def cut(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study._storage, "set_trial_state_values", cut)
    objective = types.SimpleNamespace(table=lambda values: None)
    dims = [Dimension("trade_non_oil", 2.0, 12.0)]
    with pytest.raises(KeyboardInterrupt):
        run_trials(study, objective, dims, 3, [], None, False, batch=1)
    monkeypatch.undo()
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.RUNNING]
    assert fail_stale_trials(study) == [0]


@pytest.mark.parametrize("run_dir", ["out/runs", "out", "."])
def test_studies_and_the_results_folder_must_not_overlap(tmp_path, capsys, run_dir):
    """--run-dir inside --out: the validation ran, then replacing --out whole deleted its studies."""
    _plan(tmp_path, trials=1)
    args = ["--plan", str(tmp_path / "validation.yaml"), "--out", str(tmp_path / "out")]
    code = validate_command.main([*args, "--run-dir", str(tmp_path / run_dir), "--no-progress"])
    assert code == validate_command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "overlap" in err[0] and "--run-dir=" in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ({"trials": 1, "training_targets": None}, "calibrations.2014-12.trials=1: made with other trials"),
        ({"trials": 2, "training_targets": 3}, "calibrations.2014-12.training_targets=3: made on other"),
    ],
)
def test_score_only_refuses_calibrations_made_under_another_plan(tmp_path, capsys, stored, message):
    """The report stated the plan's trials (and training targets) as those the calibrations had."""
    plan = _plan(tmp_path, trials=2)
    training = len(split(read_targets(), ORIGIN, plan.score_end).training)
    entry = {"params": {"trade_non_oil": 7.0, "events_positive": 10.0}, **stored}
    entry["training_targets"] = entry["training_targets"] or training
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "calibrations.yaml").write_text(yaml.safe_dump({ORIGIN: entry}), encoding="utf-8")
    args = ["--plan", str(tmp_path / "validation.yaml"), "--out", str(tmp_path / "out")]
    assert validate_command.main([*args, "--score-only", "--no-progress"]) == validate_command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["calibrations.yaml"]


@pytest.mark.slow
def test_a_second_search_made_after_a_smaller_first_one_starts_again(tmp_path, capsys):
    """Its fingerprint (the values fixed after the first search) no longer matched: the resume
    was refused after the first search had run again, and only a new run folder got past."""
    search = tmp_path / "search.yaml"
    parameters = FLAT_AND_SEEN
    settings = {"trials": 2, "replicates": 4, "final_replicates": 4, "seed": 5, "fix_flat": True}
    search.write_text(yaml.safe_dump({"settings": settings, "parameters": parameters}), encoding="utf-8")
    run = tmp_path / "run"
    argv = ["--search", str(search), "--run-dir", str(run), "--no-write", "--no-progress", "--workers", "1"]
    assert calibrate_command.main(argv) == 0
    storage = f"sqlite:///{run / REFINED_DIR / 'study.db'}"
    second = optuna.load_study(study_name=study_module.STUDY_NAME, storage=storage)
    second.set_user_attr("fingerprint", "made-after-fewer-first-trials")
    capsys.readouterr()
    assert calibrate_command.main([*argv, "--trials", "3"]) == 0
    err = capsys.readouterr().err
    assert "the second search started again (2 trials dropped)" in err
    second = optuna.load_study(study_name=study_module.STUDY_NAME, storage=storage)
    assert second.user_attrs["fingerprint"] != "made-after-fewer-first-trials"
    assert len(second.trials) == 3
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["first_search"]["trials_total"] == 3 and manifest["trials_total"] == 3


def test_a_calibration_into_another_commands_folder_is_refused(tmp_path, capsys):
    """--run-dir results/baseline overwrote the reproduction's report.md, targets.csv and
    manifest.json and mixed the calibration's tables in."""
    folder = tmp_path / "baseline"
    folder.mkdir()
    mine = {"report.md": "# reproduction\n", "targets.csv": "id\n", "bands.csv": "x\n"}
    for name, text in mine.items():
        (folder / name).write_text(text, encoding="utf-8")
    search = tmp_path / "search.yaml"
    search.write_text(
        yaml.safe_dump({"parameters": {"trade_non_oil": TWO["trade_non_oil"]}}), encoding="utf-8"
    )
    argv = ["--run-dir", str(folder), "--search", str(search), "--trials", "1", "--replicates", "2"]
    argv += ["--final-replicates", "2", "--no-fix-flat", "--no-write", "--no-progress", "--workers", "1"]
    assert calibrate_command.main(argv) == calibrate_command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds files a calibration does not write (bands.csv)" in err[0]
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == mine


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: vary(None, {"trust": 0.3}), "base=None; allowed: a RunSpec"),
        (lambda: vary(base_spec(), [("trust", 0.3)]), "challenges=[('trust', 0.3)]; allowed: a mapping"),
        (lambda: vary(base_spec(), None, "risk_aversion=2"), "params='risk_aversion=2'; allowed: a mapping"),
    ],
)
def test_vary_given_no_spec_or_no_mapping_is_one_line(call, message):
    """An AttributeError from deep inside, where vary promises a ConfigError naming the key."""
    with pytest.raises(ConfigError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_study_of_more_trials_than_the_plan_is_refused(tmp_path):
    """The best of every stored trial was taken: calibrations.yaml said 2 trials under a plan of 1
    (and --score-only then refused it)."""
    _calibrate(tmp_path, trials=2)
    with pytest.raises(CalibrationError, match=r"holds a study of 2 trials, more than the plan's trials=1"):
        _calibrate(tmp_path, trials=1)


def test_the_validation_report_names_the_plan_it_read():
    """report.md said "Pre-registered in conf/calibration/validation.yaml" whatever --plan was read."""
    from hedgesim.workflows.validation.plan import PLAN_FILE

    assert validate_command.plan_name(PLAN_FILE) == "conf/calibration/validation.yaml"
    assert validate_command.plan_name(Path("/studies/v40.yaml")) == "/studies/v40.yaml"
