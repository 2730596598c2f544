"""hedgesim-calibrate: the search space, a tiny resumable study, its outputs and its errors."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from hedgesim import entry_points
from hedgesim.analysis.pass_rules import evaluate, loss, pass_count
from hedgesim.core.parameters import ModelParameters
from hedgesim.workflows.calibration import command
from hedgesim.workflows.calibration.identification import identification, profile
from hedgesim.workflows.calibration.objective import Objective, base_spec, current_values
from hedgesim.workflows.calibration.plausible import read_plausible
from hedgesim.workflows.calibration.report import calibrated_yaml, rounded
from hedgesim.workflows.calibration.search import CalibrationError, Dimension, read_search, read_starts
from hedgesim.workflows.calibration.study import STUDY_NAME, open_study, run_trials, trials_table
from hedgesim.workflows.results import is_complete
from hedgesim.workflows.targets_file import InputError, read_targets

ROOT = Path(__file__).resolve().parents[1]

PARAMS = {f.name: f for f in fields(ModelParameters)}


def search_file(tmp_path: Path, parameters: dict, **settings) -> Path:
    path = tmp_path / "search.yaml"
    body = {
        "settings": {"trials": 3, "replicates": 6, "final_replicates": 6, "seed": 5} | settings,
        "parameters": parameters,
    }
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


TWO = {
    "trade_non_oil": {"low": 2.0, "high": 12.0},
    "events_positive": {"low": 3.0, "high": 30.0, "log": True},
}


def calibrate(tmp_path: Path, *extra: str, search: Path | None = None, run: str = "run") -> int:
    search = search or search_file(tmp_path, TWO)
    return command.main(
        [
            "--search",
            str(search),
            "--run-dir",
            str(tmp_path / run),
            "--params-out",
            str(tmp_path / run / "calibrated.yaml"),
            "--no-progress",
            *extra,
        ]
    )


def test_the_shipped_search_space_names_real_parameters_inside_their_ranges():
    dims, settings = read_search()
    assert len(dims) >= 10 and settings.trials >= 100 and 20 <= settings.replicates <= 200
    for d in dims:
        meta = PARAMS[d.name].metadata
        assert meta["min"] <= d.low < d.high <= meta["max"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"risk_appetite": {"low": 0, "high": 1}}, "search.parameters.risk_appetite: unknown parameter"),
        (
            {"trust_gain": {"low": 0.5, "high": 2.0}},
            r"trust_gain: range \[0.5, 2.0\]; allowed: .*\[0.0, 1.0\]",
        ),
        ({"trust_gain": {"low": 0.5, "high": 0.1}}, "low < high"),
        ({"trust_gain": {"low": 0.0, "high": 0.1, "log": True}}, "log scale needs low > 0"),
        ({"trust_gain": {"low": 0.0, "high": 0.1, "step": 2}}, r"unknown key\(s\) \['step'\]"),
        ({"trust_gain": 0.3}, "trust_gain=0.3"),
        ({"trust_gain": {"low": 0.01, "high": 0.1, "log": "no"}}, r"log='no'; allowed: true or false"),
        ({"trust_gain": {"low": 0.01, "high": 0.1, "log": 1}}, r"trust_gain.log=1; allowed: true or false"),
        ({"trust_gain": {"low": False, "high": 0.1}}, r"trust_gain: range \[False, 0.1\]"),
    ],
)
def test_bad_search_spaces_are_one_line_errors(tmp_path, parameters, message):
    with pytest.raises(CalibrationError, match=message):
        read_search(search_file(tmp_path, parameters))


def test_a_key_written_twice_in_a_search_file_is_named_not_dropped(tmp_path):
    """YAML keeps the last of two equal keys: the first range of trust_gain was dropped, silently."""
    path = tmp_path / "search.yaml"
    path.write_text(
        "settings: {trials: 3, replicates: 6, final_replicates: 6, seed: 5}\n"
        "parameters:\n"
        "  trust_gain: {low: 0.01, high: 0.1}\n"
        "  trust_gain: {low: 0.2, high: 0.5}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_search(path)
    assert str(err.value) == (
        f"search={str(path)!r} is not valid YAML "
        "(line 4, column 3: key 'trust_gain' appears twice in one mapping)"
    )


def test_bad_search_file_reaches_the_user_as_exit_2(tmp_path, capsys):
    bad = search_file(tmp_path, {"not_a_parameter": {"low": 0, "high": 1}})
    assert calibrate(tmp_path, search=bad) == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hedgesim-calibrate: error: search.parameters.not_a_parameter")


def test_bad_override_is_exit_2(tmp_path, capsys):
    assert calibrate(tmp_path, "params.no_such_knob=1") == command.EXIT_USAGE
    assert "no_such_knob" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_study_writes_parameters_tables_and_resumes(tmp_path, capsys):
    assert calibrate(tmp_path) == 0
    out = capsys.readouterr().out
    assert "targets pass" in out and "naive persistence" in out
    run = tmp_path / "run"
    assert (run / "study.db").is_file() and is_complete(run)
    first = pd.read_csv(run / "trials.csv")
    assert len(first) == 3 and first["loss"].is_monotonic_increasing
    written = (run / "calibrated.yaml").read_text(encoding="utf-8")
    assert written.startswith("# Calibrated mechanism parameters")
    values = yaml.safe_load(written)
    assert set(values) == set(TWO)
    assert 2.0 <= values["trade_non_oil"] <= 12.0 and 3.0 <= values["events_positive"] <= 30.0
    sets = read_plausible(run / "plausible.csv")  # beside the calibrated file, best trial first
    assert sets["trial"].iloc[0] == first["trial"].iloc[0] and 1 <= len(sets) <= 3
    assert {k: sets[k].iloc[0] for k in values} == values
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    judged = pd.read_csv(run / "targets.csv")  # the best trial re-checked on the final ensemble
    evaluated = sum(t.evaluate for t in read_targets())
    assert manifest["trials_total"] == 3 and manifest["targets"] == len(judged) == evaluated
    assert manifest["passed"] == int(judged["passed"].sum())
    assert manifest["loss"] == pytest.approx(loss(judged))
    assert manifest["best_trial"] == first["trial"].iloc[0]

    assert calibrate(tmp_path, "--trials", "5") == 0  # resumes: two more trials, the first three kept
    resumed = pd.read_csv(run / "trials.csv")
    assert len(resumed) == 5
    kept = resumed[resumed["trial"] < 3].sort_values("trial").reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, first.sort_values("trial").reset_index(drop=True))
    assert json.loads((run / "manifest.json").read_text())["trials_run_now"] == 2


@pytest.mark.slow
def test_resuming_with_other_settings_is_refused(tmp_path, capsys):
    assert calibrate(tmp_path) == 0
    capsys.readouterr()
    assert calibrate(tmp_path, "--replicates", "7") == command.EXIT_USAGE
    assert "other settings" in capsys.readouterr().err


@pytest.mark.slow
def test_same_seed_same_study(tmp_path):
    assert calibrate(tmp_path, run="a") == 0
    assert calibrate(tmp_path, run="b") == 0
    a, b = (pd.read_csv(tmp_path / r / "trials.csv") for r in ("a", "b"))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_first_trial_is_the_configured_baseline(tmp_path):
    assert calibrate(tmp_path) == 0
    trials = pd.read_csv(tmp_path / "run" / "trials.csv").set_index("trial")
    configured = current_values(read_search(tmp_path / "search.yaml")[0], [])
    for name, value in configured.items():
        assert trials.loc[0, name] == pytest.approx(value)


def test_identification_separates_pinned_from_free_parameters():
    dims = [Dimension("pinned", 0.0, 10.0), Dimension("free", 0.0, 10.0)]
    rows = [
        {"trial": k, "loss": k / 100, "passed": 0, "pinned": 5.0 + (k % 3) * 0.05, "free": (k * 37) % 10}
        for k in range(100)
    ]
    table = identification(pd.DataFrame(rows), dims)
    labels = dict(zip(table["parameter"], table["identification"], strict=True))
    assert labels == {"pinned": "well identified", "free": "not identified"}
    assert (table["top_trials"] == 5).all()


def test_calibrated_yaml_round_trips_with_its_header():
    text = calibrated_yaml({"b": 2.0, "a": 1.0}, ["line one", "", "line two"])
    assert text.splitlines()[:3] == ["# line one", "#", "# line two"]
    assert yaml.safe_load(text) == {"a": 1.0, "b": 2.0}
    assert rounded({"x": 0.123456789}) == {"x": 0.1235}


@pytest.mark.slow
def test_starting_points_are_tried_right_after_the_configured_baseline(tmp_path):
    search = search_file(tmp_path, TWO)
    body = yaml.safe_load(search.read_text()) | {"starts": [{"trade_non_oil": 9.5}]}
    search.write_text(yaml.safe_dump(body))
    assert calibrate(tmp_path, search=search) == 0
    trials = pd.read_csv(tmp_path / "run" / "trials.csv").set_index("trial")
    configured = current_values(read_search(search)[0], [])
    assert trials.loc[1, "trade_non_oil"] == 9.5
    assert trials.loc[1, "events_positive"] == pytest.approx(configured["events_positive"])


@pytest.mark.parametrize(
    ("starts", "message"),
    [
        ([{"trust_gain": 0.1}], r"starts\[0\].trust_gain: not a free parameter"),
        ([{"trade_non_oil": 50}], r"starts\[0\].trade_non_oil=50; allowed: a number in \[2.0, 12.0\]"),
    ],
)
def test_bad_starting_points_are_one_line_errors(tmp_path, starts, message):
    search = search_file(tmp_path, TWO)
    search.write_text(yaml.safe_dump(yaml.safe_load(search.read_text()) | {"starts": starts}))
    dims, _ = read_search(search)
    with pytest.raises(CalibrationError, match=message):
        read_starts(search, dims)


class Bowl:
    """A loss whose minimum (18.8) is narrower than the spacing of the profile's grid."""

    targets = [SimpleNamespace(evaluate=True)] * 27

    def __init__(self, scale: float):
        self.scale = scale

    def table(self, values):
        return pd.DataFrame({"z": [(values["events_positive"] - 18.8) / self.scale]})

    def scores(self, batch):
        return [(loss(self.table(values)), 0) for values in batch]


@pytest.mark.parametrize(
    ("scale", "low", "high", "width"), [(0.5, 18.8, 18.8, 0.0), (50.0, 9.49, 22.5, 4 / 9)]
)
def test_the_profile_range_always_holds_the_calibrated_value(scale, low, high, width):
    """The grid (3, 4.0, 5.3, ..., 16.9, 22.5, 30) misses 18.8: the best value is tried too."""
    dim = Dimension("events_positive", 3.0, 30.0, log=True)
    row = profile(Bowl(scale), [dim], {"events_positive": 18.8}).iloc[0]
    assert row["profile_low"] <= 18.8 <= row["profile_high"]
    assert (row["profile_low"], row["profile_high"]) == (
        pytest.approx(low, abs=0.01),
        pytest.approx(high, abs=0.01),
    )
    assert row["profile_width"] == pytest.approx(width)


@pytest.mark.slow
def test_profile_marks_a_parameter_the_targets_ignore_as_not_identified():
    dims, settings = read_search()
    objective = Objective(base_spec([], settings, 8), read_targets())
    free = [Dimension("npp_softening", 0.0, 0.5), next(d for d in dims if d.name == "trade_oil")]
    best = current_values(dims, [])
    table = profile(objective, free, best, points=5).set_index("parameter")
    # Lithuania's concern fades only once the plant runs (October 2020): no target sees it.
    assert table.loc["npp_softening", "profile_width"] == 1.0
    assert table.loc["npp_softening", "profile_identification"] == "not identified"
    # Oil-linked turnover sets most trade targets: most of its range is worse than the best.
    assert table.loc["trade_oil", "profile_width"] < 0.5


def test_the_console_script_points_at_the_command():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    name = scripts["hedgesim-calibrate"].split(":")[1]
    assert scripts["hedgesim-calibrate"] == f"{entry_points.__name__}:{name}"
    assert entry_points.COMMANDS["hedgesim-calibrate"] == command.__name__ and callable(command.main)
    assert getattr(entry_points, name).__doc__ == f"``hedgesim-calibrate``: :func:`{command.__name__}.main`."


def test_the_modules_docs_calibration_names_exist():
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    names = set(re.findall(r"`(hedgesim(?:\.\w+)+)`", text))
    assert "hedgesim.workflows.calibration.search" in names
    for name in names:
        assert _resolves(name), name


def _resolves(name: str) -> bool:
    """A module, or a name in one (hedgesim.core.parameters.ModelParameters)."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        module, _, attribute = name.rpartition(".")
        return hasattr(importlib.import_module(module), attribute)
    return True


# --- batched trials: one ensemble, each trial as if alone --------------------------------------


@pytest.fixture(scope="module")
def small_objective():
    _, settings = read_search()
    return Objective(base_spec([], settings, 6), read_targets())


def _spread_values(dims, count: int) -> list[dict[str, float]]:
    """``count`` sets of values across the search ranges, each parameter somewhere else."""
    return [
        {d.name: d.value_at((0.2 + 0.31 * k + 0.07 * j) % 1.0) for j, d in enumerate(dims)}
        for k in range(count)
    ]


@pytest.mark.slow
def test_a_batch_of_trials_judges_each_as_its_own_run(small_objective):
    dims, _ = read_search()
    batch = [current_values(dims, []), *_spread_values(dims, 2)]
    tables = small_objective.tables(batch)
    scores = small_objective.scores(batch)
    for values, table, (value, passed) in zip(batch, tables, scores, strict=True):
        alone = evaluate(small_objective.trajectories(values), small_objective.targets)  # the tidy path
        pd.testing.assert_frame_equal(table, alone, check_exact=True)
        pd.testing.assert_frame_equal(small_objective.table(values), alone, check_exact=True)
        assert value == loss(alone) and passed == pass_count(alone)
    assert len({value for value, _ in scores}) == 3  # the trials differ


@pytest.mark.slow
def test_a_batched_study_scores_every_trial_as_alone_and_resumes(tmp_path, small_objective, monkeypatch):
    dims = [d for d in read_search()[0] if d.name in ("trade_non_oil", "events_positive", "risk_aversion")]
    study = open_study(tmp_path / "run", seed=3, stamp="batched")
    starts = [current_values(dims, [])]
    batches, scores = [], small_objective.scores
    monkeypatch.setattr(small_objective, "scores", lambda batch: batches.append(len(batch)) or scores(batch))
    assert run_trials(study, small_objective, dims, 5, starts, None, False, batch=3) == 5
    assert run_trials(study, small_objective, dims, 7, starts, None, False, batch=3) == 2  # resumed
    assert batches == [3, 2, 2]  # one ensemble per batch
    monkeypatch.undo()
    trials = trials_table(study, dims)
    assert sorted(trials["trial"]) == list(range(7))
    assert trials.set_index("trial").loc[0, "trade_non_oil"] == pytest.approx(starts[0]["trade_non_oil"])
    for row in trials.itertuples():
        alone = small_objective.table({d.name: getattr(row, d.name) for d in dims})
        assert row.loss == loss(alone) and row.passed == pass_count(alone)


def test_the_batch_is_a_count_of_one_or_more(tmp_path):
    with pytest.raises(CalibrationError, match=r"search.settings.batch=0; allowed: an integer >= 1"):
        read_search(search_file(tmp_path, TWO, batch=0))
    assert read_search(search_file(tmp_path, TWO))[1].batch == 1  # one at a time unless asked
    assert read_search()[1].batch > 1  # the shipped search runs its trials in batches


# --- batches: proposed in memory, stored whole, resumed exactly ----------------------------------

THREE = ("trade_non_oil", "events_positive", "risk_aversion")


def _three_dims():
    return [d for d in read_search()[0] if d.name in THREE]


class Interrupted:
    """The objective, interrupted (Ctrl-C) while it scores batch number ``stop`` (from 1)."""

    def __init__(self, objective, stop: int):
        self.objective, self.stop, self.calls = objective, stop, 0

    def scores(self, batch):
        self.calls += 1
        if self.calls == self.stop:
            raise KeyboardInterrupt
        return self.objective.scores(batch)


def _stored(run: Path) -> list[tuple]:
    """Every trial of the study file as optuna reads it back: number, state, values, attributes."""
    import optuna

    study = optuna.load_study(study_name=STUDY_NAME, storage=f"sqlite:///{run / 'study.db'}")
    return [(t.number, t.state.name, t.value, t.params, t.user_attrs.get("passed")) for t in study.trials]


@pytest.mark.slow
@pytest.mark.parametrize("stop", [1, 2])
def test_an_interrupted_batch_leaves_nothing_and_the_resumed_study_makes_the_same_trials(
    tmp_path, small_objective, stop
):
    dims, starts = _three_dims(), [current_values(_three_dims(), [])]
    whole = open_study(tmp_path / "whole", seed=3, stamp="batched", name=STUDY_NAME)
    assert run_trials(whole, small_objective, dims, 7, starts, None, False, batch=3) == 7

    study = open_study(tmp_path / "run", seed=3, stamp="batched", name=STUDY_NAME)
    with pytest.raises(KeyboardInterrupt):
        run_trials(study, Interrupted(small_objective, stop), dims, 7, starts, None, False, batch=3)
    kept = [state for _, state, *_ in _stored(tmp_path / "run")]
    assert kept == {1: ["WAITING"], 2: ["COMPLETE"] * 3}[stop]  # the start still waits, or batch 1
    resumed = open_study(tmp_path / "run", seed=3, stamp="batched", name=STUDY_NAME)
    assert run_trials(resumed, small_objective, dims, 7, starts, None, False, batch=3) == 7 - 3 * (stop - 1)
    assert _stored(tmp_path / "run") == _stored(tmp_path / "whole")  # numbers, values, passes: all
    pd.testing.assert_frame_equal(trials_table(resumed, dims), trials_table(whole, dims))


class Unstorable:
    """The objective, whose second trial of a batch has a pass count the study file cannot hold."""

    def __init__(self, objective):
        self.objective = objective

    def scores(self, batch):
        scored = self.objective.scores(batch)
        return [scored[0], (scored[1][0], object()), *scored[2:]]


@pytest.mark.slow
def test_a_batch_is_stored_whole_or_not_at_all(tmp_path, small_objective):
    dims, starts = _three_dims(), [current_values(_three_dims(), [])]
    study = open_study(tmp_path / "run", seed=3, stamp="batched", name=STUDY_NAME)
    assert run_trials(study, small_objective, dims, 3, starts, None, False, batch=3) == 3
    before = _stored(tmp_path / "run")
    with pytest.raises(TypeError, match="not JSON serializable"):
        run_trials(study, Unstorable(small_objective), dims, 6, starts, None, False, batch=3)
    assert _stored(tmp_path / "run") == before  # the first trial of the failed batch was rolled back


@pytest.mark.slow
def test_a_stored_batch_reads_back_as_the_trials_optuna_told(tmp_path, small_objective, monkeypatch):
    from hedgesim.workflows.calibration import batches

    told = []
    store = batches.store_batch
    monkeypatch.setattr(
        batches, "store_batch", lambda study, finished: told.extend(finished) or store(study, finished)
    )
    dims = _three_dims()
    study = open_study(tmp_path / "run", seed=3, stamp="batched", name=STUDY_NAME)
    starts = [current_values(dims, []), {**current_values(dims, []), "risk_aversion": 2.0}]
    assert run_trials(study, small_objective, dims, 5, starts, None, False, batch=4) == 5
    stored = optuna_trials(tmp_path / "run")
    assert [t.number for t in stored] == [t.number for t in told] == list(range(5))
    for mine, theirs in zip(told, stored, strict=True):  # every field optuna keeps of a trial
        assert (theirs.state, theirs.values, theirs.params, theirs.distributions) == (
            mine.state,
            mine.values,
            mine.params,
            mine.distributions,
        )
        assert (theirs.user_attrs, theirs.system_attrs, theirs.intermediate_values) == (
            mine.user_attrs,
            mine.system_attrs,
            {},
        )
        assert (theirs.datetime_start, theirs.datetime_complete) == (
            mine.datetime_start,
            mine.datetime_complete,
        )
    assert stored[1].params["risk_aversion"] == 2.0  # the waiting starts were run and finished in place
    assert stored[0].system_attrs["fixed_params"] == starts[0]


def optuna_trials(run: Path) -> list:
    import optuna

    return optuna.load_study(study_name=STUDY_NAME, storage=f"sqlite:///{run / 'study.db'}").trials


def test_a_study_keeps_its_seed(tmp_path):
    open_study(tmp_path / "run", seed=3, stamp="s")
    assert open_study(tmp_path / "run", seed=3, stamp="s").user_attrs["seed"] == 3
    with pytest.raises(CalibrationError, match="holds a study of seed 3, now 4; allowed: the same seed"):
        open_study(tmp_path / "run", seed=4, stamp="s")


def test_a_log_scale_draw_one_step_past_its_bound_is_clipped_into_the_range():
    """exp(log(5)) is 5.000000000000001: a range ending at a parameter's own limit (room_value's
    5) must not hand the model a value the model refuses."""
    import optuna

    from hedgesim.workflows.calibration.study import suggest

    dims = [Dimension("room_value", 0.03, 5.0, True), Dimension("listing_rate", 0.05, 1.0, False)]
    past = {"room_value": 5.000000000000001, "listing_rate": 0.049999999999999996}
    with pytest.warns(UserWarning):  # optuna says the fixed values are out of range
        values = suggest(optuna.trial.FixedTrial(past), dims)
    assert values == {"room_value": 5.0, "listing_rate": 0.05}
    ModelParameters(**values).validate()
    assert [dims[0].value_at(u) for u in (0.0, 1.0)] == [0.03, 5.0]  # the profiles' grid ends
