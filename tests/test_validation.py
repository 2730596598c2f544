"""hedgesim-validate: the split cannot see the future, the benchmarks, the scores, the command."""

from __future__ import annotations

import json
import math
import re
import tomllib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hedgesim import entry_points
from hedgesim.analysis.naive_fitted import fitted_naive, listed_months
from hedgesim.analysis.pass_rules import evaluate
from hedgesim.analysis.targets import targets_from_mapping
from hedgesim.workflows.calibration.search import CalibrationError, Dimension, read_search
from hedgesim.workflows.targets_file import read_targets
from hedgesim.workflows.validation import command, scoring
from hedgesim.workflows.validation.benchmarks import judge_draws, prior_draws
from hedgesim.workflows.validation.calibrate import objective, params_of
from hedgesim.workflows.validation.plan import read_plan
from hedgesim.workflows.validation.report import FILES
from hedgesim.workflows.validation.split import read_until, split

ROOT = Path(__file__).resolve().parents[1]
TWO = {
    "trade_non_oil": {"low": 2.0, "high": 12.0},
    "events_positive": {"low": 3.0, "high": 30.0, "log": True},
}


def tiny_plan(tmp_path: Path, **changes) -> Path:
    """A validation plan small enough for a test: two free parameters, a few trials and draws."""
    (tmp_path / "search.yaml").write_text(yaml.safe_dump({"parameters": TWO}), encoding="utf-8")
    body = {
        "origins": ["2014-12", "2013-06"],
        "score_end": "2020-01",
        "search": "search.yaml",
        "trials": 3,
        "replicates": 6,
        "seed": 5,
        "prior_draws": 3,
        "score_replicates": 6,
    } | changes
    path = tmp_path / "validation.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def validate(
    tmp_path: Path, *extra: str, run: str = "run", out: str = "out", plan: Path | None = None
) -> int:
    plan = plan or tiny_plan(tmp_path)
    return command.main(
        [
            "--plan",
            str(plan),
            "--out",
            str(tmp_path / out),
            "--run-dir",
            str(tmp_path / run),
            "--no-progress",
            *extra,
        ]
    )


# --- the pre-registration and the split -----------------------------------------------------


def test_the_shipped_plan_is_the_pre_registered_one():
    plan = read_plan()
    assert plan.origins == ("2014-12", "2013-06") and plan.primary == "2014-12"
    assert plan.score_end == "2020-01" and plan.replicates == 64 and plan.prior_draws >= 100
    assert [d.name for d in plan.dimensions()] == [d.name for d in read_search()[0]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"origins": ["2014-13"]}, r"validation.origins='2014-13'; allowed: a month YYYY-MM"),
        ({"origins": ["2020-06"]}, r"not before score_end"),
        ({"trials": 0}, r"validation.trials=0; allowed: an integer >= 1"),
        ({"seed": 2**32}, r"validation.seed=4294967296; allowed: an integer in \[0, 4294967295\]"),
        ({"colour": "red"}, r"unknown key\(s\) \['colour'\]"),
    ],
)
def test_bad_plans_are_one_line_errors(tmp_path, change, message):
    with pytest.raises(CalibrationError, match=message):
        read_plan(tiny_plan(tmp_path, **change))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"full_params": "nosuch"}, "validation.full_params='nosuch': Could not find 'params/nosuch'"),
        ({"scenario": "nosuch"}, "validation.scenario='nosuch': Could not find 'scenario/nosuch'"),
    ],
)
def test_a_wrong_config_option_in_the_plan_is_refused_before_any_search(tmp_path, capsys, change, message):
    """The full-period calibration runs only after every origin's search: its name is checked first."""
    assert validate(tmp_path, plan=tiny_plan(tmp_path, **change)) == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"hedgesim-validate: error: {message}; allowed: ")
    assert not (tmp_path / "run").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("key", ["score_replicates", "replicates"])
def test_an_ensemble_too_big_is_refused_before_any_search(tmp_path, capsys, monkeypatch, key):
    """The scoring ensemble runs only after every origin's search: too big, it failed there."""
    monkeypatch.setattr("hedgesim.config.spec.machine_memory", lambda: 2_000_000)  # a 2 MB machine
    assert validate(tmp_path, plan=tiny_plan(tmp_path, **{key: 10000})) == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hedgesim-validate: error: validation.{key}=10000 x 156 months needs about 0.5 GB; "
        "allowed: runs under 0.0 GB (half of this machine's 0.0 GB)"
    ]
    assert not (tmp_path / "run").exists() and not (tmp_path / "out").exists()


def test_a_bad_plan_reaches_the_user_as_exit_2(tmp_path, capsys):
    assert validate(tmp_path, plan=tiny_plan(tmp_path, origins=["2014-13"])) == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hedgesim-validate: error: validation.origins")


@pytest.mark.parametrize("origin", ["2014-12", "2013-06"])
def test_no_training_target_reads_past_the_origin_and_no_held_out_one_starts_before(origin):
    targets = read_targets()
    s = split(targets, origin, "2020-01")
    last = pd.Timestamp(origin)
    assert s.training and s.held_out
    assert all(read_until(t) <= last for t in s.training)
    assert all(last < t.period.start and t.period.end <= pd.Timestamp("2020-01") for t in s.held_out)
    ids = [t.id for t in (*s.training, *s.held_out, *s.straddling, *s.later)]
    assert len(ids) == len(set(ids))
    assert all(t.role == "evidence" and t.evaluate for t in (*s.training, *s.held_out))


def test_a_measure_reading_past_the_origin_does_not_train():
    # the lowest year of 2011 compares it with 2012-2019: the calibration would see the future
    s = split(read_targets(), "2014-12", "2020-01")
    assert "eu_lowest_2011" in {t.id for t in s.straddling}


def test_only_evidence_targets_take_part():
    rows = [
        _level("a", "relations_eu", "2012-03..2012-04", 5.0),
        _level("b", "relations_eu", "2016-03..2016-04", 9.0)
        | {"class": "fitted", "reason": "a parameter is set from it"},
        _level("c", "relations_eu", "2016-05..2016-06", 9.0),
    ]
    s = split(targets_from_mapping({"targets": rows}), "2014-12", "2020-01")
    assert [t.id for t in s.training] == ["a"] and [t.id for t in s.held_out] == ["c"]


# --- the fitted naive baseline on hand-made targets ---------------------------------------


def _level(tid: str, series: str, period: str, value: float, measure: str = "bimonthly", tol: float = 6.0):
    return {
        "id": tid,
        "series": series,
        "period": period,
        "observed": value,
        "source": "test",
        "confidence": "high",
        "measure": measure,
        "rule": "level",
        "tolerance": tol,
    }


def _template(start: str = "2008-01", end: str = "2020-12") -> pd.DataFrame:
    months = pd.date_range(start, end, freq="MS")
    states = pd.CategoricalDtype(["not_started", "negotiating", "blocked", "concluded"])
    frame = pd.DataFrame({"replicate": 0, "date": months})
    for name in ("relations_eu", "relations_russia", "relations_ukraine", "hedge_eu", "hedge_russia"):
        frame[name] = 0.0
    frame["sanctions_persons"] = 0.0
    frame["trade_eu_turnover"] = 0.0
    for name in ("visa_facilitation", "framework_agreement"):
        frame[name] = pd.Categorical(["not_started"] * len(months), dtype=states)
    return frame


OIL = {2008: 100.0, 2009: 60.0, 2010: 80.0, 2015: 50.0}
CRACKDOWNS = [pd.Timestamp("2010-12-19")]
RELEASES = [pd.Timestamp("2008-08-16"), pd.Timestamp("2015-08-22")]


def _naive(rows, origin="2014-12"):
    training = targets_from_mapping({"targets": rows})
    return fitted_naive(training, pd.Timestamp(origin), _template(), OIL, CRACKDOWNS, RELEASES)


def test_relations_follow_the_least_squares_line_through_the_training_levels():
    # EU two-month levels on the line 10 + 2 per period (1 per month) from 2012-01..02
    rows = [
        _level("e1", "relations_eu", "2012-01..2012-02", 10.0),
        _level("e2", "relations_eu", "2012-05..2012-06", 14.0),
        _level("e3", "relations_eu", "2013-01..2013-02", 22.0),
        _level("r1", "relations_russia", "2012-01..2012-02", 30.0),
    ]
    fit, table = _naive(rows)
    held = targets_from_mapping(
        {
            "targets": [
                _level("eu_2016", "relations_eu", "2016-01..2016-02", 10.0 + 48.0),
                _level("eu_span", "relations_eu", "2016-01..2016-04", 10.0 + 49.0),
                _level("ru_2016", "relations_russia", "2016-01..2016-02", 30.0),
                _level("ua_2016", "relations_ukraine", "2016-01..2016-02", 0.0),
            ]
        }
    )
    judged = evaluate(table, held).set_index("id")
    assert judged["median"].to_dict() == pytest.approx(
        {"eu_2016": 58.0, "eu_span": 59.0, "ru_2016": 30.0, "ua_2016": 0.0}
    )
    assert judged["passed"].all()
    assert fit.lines["relations_eu"][1] == pytest.approx(1.0)  # points per two months, per month
    assert fit.lines["relations_russia"] == (30.0, 0.0)  # one point: a constant


def test_the_naive_lines_need_no_lapack(monkeypatch):
    """The fitted lines are exact least squares in plain arithmetic, not LAPACK's, whose last bits
    differ between builds and processors (np.polyfit put the committed Russia line 5e-15 off its
    two points on one machine and 7e-15 on another, and the reproduction's files differed)."""

    def no_lapack(*args, **kwargs):
        raise AssertionError("the naive fit called LAPACK")

    monkeypatch.setattr(np, "polyfit", no_lapack)
    monkeypatch.setattr(np.linalg, "lstsq", no_lapack)
    points = [(-2.5, 22.0), (21.5, -15.0), (45.5, 1.0)]  # mid-period, in months from the origin
    rows = [
        _level(f"r{k}", "relations_russia", period, level)
        for k, (period, level) in enumerate(
            (("2014-09..2014-10", 22.0), ("2016-09..2016-10", -15.0), ("2018-09..2018-10", 1.0))
        )
    ]
    fit, _ = _naive(rows, origin="2014-12")
    n = len(points)
    mean_x = sum(Fraction(x) for x, _ in points) / n
    mean_y = sum(Fraction(y) for _, y in points) / n
    slope = sum((Fraction(x) - mean_x) * (Fraction(y) - mean_y) for x, y in points) / sum(
        (Fraction(x) - mean_x) ** 2 for x, _ in points
    )
    intercept = mean_y - slope * mean_x
    assert fit.lines["relations_russia"] == pytest.approx((float(intercept), float(slope)), rel=1e-14)


def test_trade_is_a_line_in_the_brent_price():
    rows = [
        _level("t2008", "trade_eu_turnover", "2008", 22.0, "annual_mean", 2.0),  # Brent 100
        _level("t2009", "trade_eu_turnover", "2009", 14.0, "annual_mean", 2.0),  # Brent 60
    ]
    fit, table = _naive(rows)
    assert fit.trade == pytest.approx((2.0, 0.2))
    yearly = table.groupby(table["date"].dt.year)["trade_eu_turnover"].mean()
    assert yearly[2010] == pytest.approx(18.0) and yearly[2016] == pytest.approx(12.0)  # 2016 repeats 2015


def test_a_crackdown_lists_and_a_release_delists():
    rows = [
        _level("s2011", "sanctions_persons", "2011-01", 150.0, "month_value", 24.0),
        _level("s2012", "sanctions_persons", "2012-03..2012-12", 250.0, "window_max", 24.0),
        _level("s2009", "sanctions_persons", "2009-06", 10.0, "month_value", 6.0),
    ]
    fit, table = _naive(rows)
    assert (fit.listed, fit.delisted) == (200.0, 10.0)
    by_month = table.set_index("date")["sanctions_persons"]
    assert by_month["2008-07-01"] == 10.0  # before any event: the remainder
    assert by_month["2010-12-01"] == 200.0 and by_month["2015-07-01"] == 200.0
    assert by_month["2015-08-01"] == 10.0 and by_month["2020-12-01"] == 10.0
    months = pd.date_range("2008-01", "2016-12", freq="MS")
    assert listed_months(months, CRACKDOWNS, RELEASES).sum() == 2015 * 12 + 7 - (2010 * 12 + 11)


def test_without_observations_of_one_state_the_list_keeps_the_other_level():
    fit, _ = _naive([_level("s2011", "sanctions_persons", "2011-01", 150.0, "month_value", 24.0)])
    assert (fit.listed, fit.delisted) == (150.0, 150.0)


def test_agreements_are_held_at_their_state_at_the_origin():
    negotiating = {
        "id": "visa_talks",
        "series": "visa_facilitation",
        "period": "2014-01",
        "observed": "negotiating",
        "source": "test",
        "confidence": "high",
        "measure": "state_in",
        "states": ["negotiating"],
        "rule": "share",
        "condition": "> 0",
        "tolerance": 0.33,
    }
    fit, table = _naive([negotiating, _level("h", "hedge_eu", "2012", 0.4, "annual_mean", 0.1)])
    visa = table.set_index("date")["visa_facilitation"].astype(str)
    assert visa["2013-12-01"] == "not_started" and set(visa["2014-01-01":]) == {"negotiating"}
    assert set(table["framework_agreement"].astype(str)) == {"not_started"}
    assert fit.states["visa_facilitation"] == ("negotiating", pd.Timestamp("2014-01"))
    assert (table["hedge_eu"] == 0.4).all()  # constant at its training observation
    assert table["hedge_russia"].isna().all()  # no observation: no forecast
    assert list(table.columns) == list(_template().columns)


def test_the_naive_has_no_trade_line_without_training_trade():
    fit, table = _naive([_level("e1", "relations_eu", "2012-01..2012-02", 10.0)])
    assert fit.trade is None and table["trade_eu_turnover"].isna().all()
    assert (table["relations_eu"] == 5.0).all()  # one point: constant, halves of the two-month level


# --- the prior draws and the scores ---------------------------------------------------------


def test_prior_draws_are_uniform_on_the_search_scale_and_seeded():
    dims = [Dimension("a", 1.0, 100.0, log=True), Dimension("b", 0.0, 1.0)]
    draws = prior_draws(dims, 400, seed=3)
    assert list(draws.columns) == ["draw", "a", "b"] and len(draws) == 400
    pd.testing.assert_frame_equal(draws, prior_draws(dims, 400, seed=3))
    assert not draws.equals(prior_draws(dims, 400, seed=4))
    assert draws["a"].between(1.0, 100.0).all() and draws["b"].between(0.0, 1.0).all()
    assert abs(np.log10(draws["a"]).mean() - 1.0) < 0.1  # log-uniform: median decade in the middle


@pytest.mark.slow
def test_prior_draws_on_a_tiny_study_are_counted_and_reproducible(tmp_path):
    plan = read_plan(tiny_plan(tmp_path))
    s = split(read_targets(), plan.primary, plan.score_end)
    runner = objective(plan, [*s.training, *s.held_out])
    draws = prior_draws(plan.dimensions(), 3, plan.seed)
    first = judge_draws(runner, draws, s.held_out, 6, progress=False)
    assert len(first) == 3 * len(s.held_out) and sorted(first["draw"].unique()) == [0, 1, 2]
    pd.testing.assert_frame_equal(first, judge_draws(runner, draws, s.held_out, 6, progress=False))
    per_draw = scoring.draws_scores(first, s.held_out)
    assert len(per_draw) == 3 and (per_draw["total"] == len(s.held_out)).all()


def test_the_model_beats_a_benchmark_only_with_a_strictly_lower_loss():
    entry = {"model": {"loss": 1.0}, "prior_draws": {"median_loss": 1.0}, "naive": {"loss": 2.0}}
    assert scoring.beats(entry) == {"prior_draws": False, "naive": True}
    good = {"beats": {"prior_draws": True, "naive": True}}
    assert scoring.verdict({"a": good, "b": good})
    assert not scoring.verdict({"a": good, "b": {"beats": {"prior_draws": True, "naive": False}}})


# --- the command end to end ------------------------------------------------------------------


def _perturbed_targets(tmp_path: Path, origin: str) -> Path:
    """The targets file and its record with every target held out at ``origin`` moved far from
    what was observed: levels and shares shifted, directions and zones turned round."""
    source = Path(command.TARGETS_FILE)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    held = {t.id for t in split(read_targets(), origin, "2020-01").held_out}
    for row in data["targets"]:
        if row["id"] in held:
            _perturb_row(row)
    record = {
        key: yaml.safe_load((source.parent / name).read_text(encoding="utf-8"))
        for key, name in data["record"].items()
    }
    for row in record["bfpi"]["bfpi"]:
        if any(i.startswith(f"bfpi{row['issue']:02d}_{row['vector']}_") for i in held):
            _perturb_bfpi(row)
    for row in record["trade_shares"]["trade_shares"]:
        if any(i.startswith(f"trade_share_{row['year']}_{row.get('measure')}_") for i in held):
            row["shares"] = {
                k: (v + 20 if isinstance(v, (int, float)) else v) for k, v in row["shares"].items()
            }
    for key, name in data["record"].items():
        (tmp_path / f"perturbed_{origin}_{name}").write_text(yaml.safe_dump(record[key], sort_keys=False))
    data["record"] = {key: f"perturbed_{origin}_{name}" for key, name in data["record"].items()}
    path = tmp_path / f"perturbed_{origin}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _perturb_row(row: dict) -> None:
    if row["rule"] == "share":
        op, value = re.match(r"\s*(\S+)\s*(\S+)", row["condition"]).groups()
        row["condition"], row["observed"] = f"{op} {float(value) + 0.5}", "perturbed"
    elif "target_value" in row:
        row["target_value"] += 7 * row["tolerance"]
    else:
        row["observed"] += 7 * row["tolerance"]


TURNED = {"up": "down", "down": "up", "flat": "up", "record_high": "down", "peak_since": "down"}
ZONES = {"negative_zone": "positive_zone", "positive_zone": "negative_zone", "all_positive": "negative_zone"}


def _perturb_bfpi(row: dict) -> None:
    if isinstance(row.get("level"), (int, float)):
        row["level"] += 50
    if row.get("direction") in TURNED:
        row["direction"] = TURNED[row["direction"]]
    if row.get("zone") in ZONES:
        row["zone"] = ZONES[row["zone"]]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The tiny validation on the real targets, both origins calibrated side by side."""
    folder = tmp_path_factory.mktemp("validation")
    status = validate(folder, "--jobs", "2")
    return folder, status


@pytest.mark.slow
@pytest.mark.parametrize("origin", ["2014-12", "2013-06"])
def test_the_split_cannot_see_the_future(first_run, origin):
    folder, _ = first_run
    moved = _perturbed_targets(folder, origin)
    run, out = f"run_{origin}", f"out_{origin}"
    assert validate(folder, "--jobs", "1", "--targets", str(moved), run=run, out=out) in (0, 1)
    calibrations = [yaml.safe_load((folder / o / "calibrations.yaml").read_text()) for o in ("out", out)]
    assert calibrations[0][origin] == calibrations[1][origin]  # timings are in the manifest
    trials = [pd.read_csv(folder / r / origin / "trials.csv") for r in ("run", run)]
    pd.testing.assert_frame_equal(*trials)  # every trial: same values, same training loss
    held = [pd.read_csv(folder / o / "held_out.csv").query("origin == @origin") for o in ("out", out)]
    assert len(held[0]) == len(held[1])  # the same number of targets held out, every one perturbed:
    assert not (held[0][["id", "rule"]].to_numpy() == held[1][["id", "rule"]].to_numpy()).all(axis=1).any()


@pytest.mark.slow
def test_the_command_writes_its_folder_and_score_only_reproduces_it(first_run, capsys):
    tmp_path, status = first_run
    out = tmp_path / "out"
    for name in (*FILES, "manifest.json"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["split"] == "2014-12" and set(summary["origins"]) == {"2014-12", "2013-06"}
    for key, fields in {
        "model": {"passed", "total", "loss"},
        "prior_draws": {"draws", "median_passed", "median_loss"},
        "naive": {"passed", "loss"},
        "full_calibration": {"passed", "total", "loss"},
    }.items():
        assert fields <= set(summary[key]), key
        assert all(fields <= set(e[key]) for e in summary["origins"].values())
    assert summary["prior_draws"]["draws"] == 3
    assert f"Pre-registered in {tmp_path / 'validation.yaml'}: origins" in (out / "report.md").read_text()
    wins = [
        e["model"]["loss"] < e["prior_draws"]["median_loss"] and e["model"]["loss"] < e["naive"]["loss"]
        for e in summary["origins"].values()
    ]
    assert status == (0 if all(wins) else 1)
    first = (out / "report.md").read_text().splitlines()[0]
    assert first.startswith("**Verdict:**") and ("passes" if all(wins) else "fails") in first
    assert first.count("does not beat") == sum(
        (not e["beats"]["prior_draws"]) + (not e["beats"]["naive"]) for e in summary["origins"].values()
    )
    held = pd.read_csv(out / "held_out.csv")
    assert len(held) == sum(e["model"]["total"] for e in summary["origins"].values())
    draws = pd.read_csv(out / "prior_draws.csv")
    assert len(draws) == 3 and {"loss_2014-12", "passed_2013-06"} <= set(draws.columns)
    assert not math.isnan(summary["naive"]["loss"])

    before = (out / "summary.json").read_bytes()
    capsys.readouterr()
    assert validate(tmp_path, "--score-only", run="never_used") == status
    assert (out / "summary.json").read_bytes() == before
    assert not (tmp_path / "never_used").exists()
    manifest = json.loads((out / "manifest.json").read_text())  # the run that made these numbers:
    assert manifest["command"] == f"hedgesim-validate --plan {tmp_path / 'validation.yaml'}"


def test_the_record_names_another_plan_or_targets_file():
    """The manifest's command and the report's plan line name a --plan or --targets that is not
    the packaged one (both read as the pre-registered run's)."""
    default = command.parse_args(["--score-only", "--out", "x"])
    assert command.options_given(default) == ["--score-only"]
    assert command.plan_name(default.plan, default.targets) == "conf/calibration/validation.yaml"
    other = command.parse_args(["--plan", "p.yaml", "--targets", "t.yaml"])
    assert command.options_given(other) == ["--plan", "p.yaml", "--targets", "t.yaml"]
    assert command.plan_name(other.plan, other.targets) == "p.yaml (scored on the targets of t.yaml)"


def test_score_only_without_calibrations_is_exit_2(tmp_path, capsys):
    """The line names --out and what --score-only reads there (it named a file, not the option)."""
    assert validate(tmp_path, "--score-only") == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hedgesim-validate: error: --out={tmp_path / 'out'}: holds no calibrations.yaml, the "
        "calibrations --score-only re-scores; allowed: a folder hedgesim-validate wrote (default "
        "results/validation), or no --score-only"
    ]
    assert not (tmp_path / "out").exists()


def test_score_only_checks_jobs_too(tmp_path, capsys):
    """--score-only --jobs 0 once succeeded: --jobs was checked only where calibrations run."""
    assert validate(tmp_path, "--score-only", "--jobs", "0") == command.EXIT_USAGE
    assert capsys.readouterr().err.strip().endswith("error: --jobs=0; allowed: an integer >= 1")


def test_the_console_script_points_at_the_command():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    name = scripts["hedgesim-validate"].split(":")[1]
    assert scripts["hedgesim-validate"] == f"{entry_points.__name__}:{name}"
    assert entry_points.COMMANDS["hedgesim-validate"] == command.__name__ and callable(command.main)
    assert getattr(entry_points, name).__doc__ == f"``hedgesim-validate``: :func:`{command.__name__}.main`."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "events_positive='abc'; allowed: a number in [0.0, 100.0]"),
        (500.0, "events_positive=500.0; allowed: a number in [0.0, 100.0]"),
        (float("nan"), "events_positive=nan; allowed: a number in [0.0, 100.0]"),
        (True, "events_positive=True; allowed: a number in [0.0, 100.0]"),
    ],
)
def test_a_stored_value_the_model_refuses_is_one_line(value, message):
    """--score-only reads calibrations.yaml, which may have been edited by hand."""
    dims = [
        Dimension(**TWO["trade_non_oil"], name="trade_non_oil"),
        Dimension("events_positive", 3.0, 30.0, True),
    ]
    stored = {"2014-12": {"params": {"trade_non_oil": 6.5, "events_positive": value}}}
    with pytest.raises(CalibrationError) as err:
        params_of(stored, "2014-12", dims)
    assert str(err.value) == f"calibrations.2014-12.params.{message}"
    good = {"2014-12": {"params": {"trade_non_oil": 6, "events_positive": 7.6}}}
    assert params_of(good, "2014-12", dims) == {"trade_non_oil": 6.0, "events_positive": 7.6}


def test_a_run_dir_of_another_commands_files_is_refused_before_any_search(tmp_path, capsys):
    """--run-dir results/baseline put the origins' studies beside the reproduction's files, and
    hedgesim-reproduce then refused to replace its own folder."""
    other = tmp_path / "baseline"
    other.mkdir()
    for name in ("report.md", "targets.csv"):
        (other / name).write_text("the reproduction's\n", encoding="utf-8")
    (other / "2014-12").mkdir()  # an origin's study folder is a validation's own
    assert validate(tmp_path, run="baseline") == command.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hedgesim-validate: error: --run-dir={other} holds files a validation does not write "
        "(report.md, targets.csv), beside which it would put its origins' studies; allowed: a new "
        "folder, or one hedgesim-validate wrote"
    ]
    assert sorted(p.name for p in other.iterdir()) == ["2014-12", "report.md", "targets.csv"]
    assert not any((other / "2014-12").iterdir())
