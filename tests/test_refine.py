"""The calibration's second stage: what the first search leaves flat is fixed by its stated
rule, and the rest searched again (hedgesim.workflows.calibration.refine)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from hedgesim.core.parameters import ModelParameters
from hedgesim.workflows.calibration import command, options
from hedgesim.workflows.calibration.refine import FIXED, REFINED_DIR, fixed_values
from hedgesim.workflows.calibration.search import CalibrationError, read_search
from hedgesim.workflows.targets_file import read_targets
from hedgesim.workflows.validation.calibrate import calibrate_origin
from hedgesim.workflows.validation.plan import read_plan
from hedgesim.workflows.validation.split import split

FLAT_AND_SEEN = {
    "npp_softening": {"low": 0.0, "high": 0.5},
    "events_positive": {"low": 3.0, "high": 30.0, "log": True},
}
"""A two-parameter search: one no target sees (flat, fixed after a first search), one they do."""


def first_search(rows):
    columns = ["parameter", "best", "profile_low", "profile_high", "profile_identification"]
    return pd.DataFrame(rows, columns=columns)


def test_a_flat_parameter_is_fixed_at_its_default_when_its_flat_run_holds_it_else_at_the_best():
    first = first_search(
        [
            ("a", 0.9, 0.2, 1.0, "not identified"),  # default 0.5 inside 0.2..1: the default
            ("b", 0.9, 0.6, 1.0, "not identified"),  # default 0.5 outside 0.6..1: the best
            ("c", 0.9, 0.0, 1.0, "weakly identified"),  # searched again, whatever its default
            ("d", 0.3, 0.1, 0.5, "well identified"),
        ]
    )
    assert fixed_values(first, {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.3}) == {"a": 0.5, "b": 0.9}


def test_fix_flat_must_be_true_or_false(tmp_path):
    path = tmp_path / "search.yaml"
    body = {"settings": {"fix_flat": "yes"}, "parameters": {"trust_gain": {"low": 0.01, "high": 0.1}}}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(CalibrationError, match=r"search.settings.fix_flat='yes'; allowed: true or false"):
        read_search(path)


def test_the_shipped_calibration_fixes_what_its_first_search_leaves_flat():
    assert read_search()[1].fix_flat is True


@pytest.mark.slow
def test_a_parameter_no_target_sees_is_fixed_at_its_default_and_not_searched_again(tmp_path):
    """Lithuania's concern fades only once the plant runs (October 2020): no target sees
    ``npp_softening``, so the first search's profile is flat over all of its range."""
    search = tmp_path / "search.yaml"
    parameters = FLAT_AND_SEEN
    settings = {"trials": 6, "replicates": 6, "final_replicates": 6, "seed": 5, "fix_flat": True}
    search.write_text(yaml.safe_dump({"settings": settings, "parameters": parameters}), encoding="utf-8")
    run, out = tmp_path / "run", tmp_path / "run" / "calibrated.yaml"
    argv = ["--search", str(search), "--run-dir", str(run), "--params-out", str(out), "--no-progress"]
    assert command.main(argv) == 0
    default = ModelParameters().npp_softening
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["first_search"]["fixed"] == {"npp_softening": default}
    assert manifest["first_search"]["trials_total"] == 6 and manifest["trials_total"] == 6
    calibrated = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert calibrated["npp_softening"] == default
    second = pd.read_csv(run / "trials.csv")
    assert "npp_softening" not in second.columns and "events_positive" in second.columns
    assert (run / REFINED_DIR / "study.db").is_file()
    ident = pd.read_csv(run / "identification.csv").set_index("parameter")
    assert ident.loc["npp_softening", "profile_identification"] == FIXED
    assert ident.loc["npp_softening", "best"] == default
    assert ident.loc["events_positive", "profile_identification"] != FIXED
    assert "## Two stages" in (run / "report.md").read_text(encoding="utf-8")
    # A resumed calibration finds both studies complete and runs no trial.
    assert command.main(argv) == 0
    assert json.loads((run / "manifest.json").read_text(encoding="utf-8"))["trials_run_now"] == 0


@pytest.mark.slow
def test_a_search_whose_every_parameter_is_flat_is_one_line_and_exit_2(tmp_path, capsys):
    search = tmp_path / "search.yaml"
    settings = {"trials": 3, "replicates": 4, "final_replicates": 4, "seed": 5, "fix_flat": True}
    body = {"settings": settings, "parameters": {"npp_softening": {"low": 0.0, "high": 0.5}}}
    search.write_text(yaml.safe_dump(body), encoding="utf-8")
    argv = ["--search", str(search), "--run-dir", str(tmp_path / "run"), "--no-write", "--no-progress"]
    assert command.main(argv) == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "hedgesim-calibrate: error: fix_flat: the targets leave every free parameter flat "
        "(npp_softening); allowed: targets that see at least one of them, or fix_flat: false"
    ]


@pytest.mark.slow
def test_each_origin_of_the_held_out_test_fixes_its_own_flat_parameters(tmp_path):
    """hedgesim-validate's calibration at an origin fixes what its training targets leave flat."""
    parameters = FLAT_AND_SEEN
    search = {"settings": {"fix_flat": True}, "parameters": parameters}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(search), encoding="utf-8")
    body = {
        "origins": ["2014-12"],
        "score_end": "2020-01",
        "search": "search.yaml",
        "trials": 3,
        "replicates": 6,
        "seed": 5,
        "prior_draws": 2,
        "score_replicates": 6,
    }
    (tmp_path / "validation.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    plan = read_plan(tmp_path / "validation.yaml")
    assert plan.settings().fix_flat is True
    training = split(read_targets(), "2014-12", plan.score_end).training
    result = calibrate_origin(plan, "2014-12", training, plan.dimensions(), tmp_path / "run", progress=False)
    default = ModelParameters().npp_softening
    assert result["fixed"] == {"npp_softening": default}
    assert list(result["params"]) == [d.name for d in plan.dimensions()]
    assert result["params"]["npp_softening"] == default
    assert result["first_search"]["trials"] == 3 and result["trials"] == 3
    second = pd.read_csv(tmp_path / "run" / "2014-12" / REFINED_DIR / "trials.csv")
    assert "npp_softening" not in second.columns and len(second) == 3


def test_the_command_line_chooses_one_search_or_two_over_the_search_file(tmp_path):
    search = tmp_path / "search.yaml"
    body = {"settings": {"fix_flat": True}, "parameters": {"trust_gain": {"low": 0.01, "high": 0.1}}}
    search.write_text(yaml.safe_dump(body), encoding="utf-8")
    settings = read_search(search)[1]
    for argv, expected in (([], True), (["--no-fix-flat"], False), (["--fix-flat"], True)):
        args = options.parse_args(["--search", str(search), *argv])
        assert options.effective_settings(args, settings).fix_flat is expected
