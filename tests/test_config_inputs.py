"""Configuration inputs checked before anything runs: launchers, group sweeps, unknown and null
keys, shock files and parameter-set paths, and the rerun of a run from its saved config."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

import hedgesim
from hedgesim import cli
from hedgesim.config.command_line import check_command_line
from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import ShocksConfig
from hedgesim.config.timeline_files import load_timeline


def one_line(capsys, *args: str, code: int = 2) -> str:
    """The single stderr line ``hedgesim ARGS`` ends with, checked to exit with ``code``."""
    with pytest.raises(SystemExit) as stop:
        cli.main(list(args))
    err = capsys.readouterr().err.strip()
    assert stop.value.code == code, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hedgesim: error: "), err
    return err.removeprefix("hedgesim: error: ")


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_joblib_launcher_n_jobs_is_checked_before_any_job(n_jobs, tmp_path, monkeypatch, capsys):
    """joblib failed every job with its own traceback for n_jobs=0."""
    monkeypatch.chdir(tmp_path)
    args = ["-m", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}", "challenges.trust=0,1"]
    message = one_line(capsys, *args)
    assert message == f"hydra.launcher.n_jobs={n_jobs}; allowed: -1 (one per core) or a count >= 1"
    assert list(tmp_path.iterdir()) == []


def test_a_glob_over_a_config_group_sweeps_its_options(tmp_path, monkeypatch, capsys):
    """``challenges=glob(*)`` was refused ("ConfigLoader is not set"), and Hydra's sweep of it
    failed the aggregation for the same reason."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "sweep"
    cli.main(
        ["-m", "challenges=glob(*)", "replicates=2", "scenario.end=2008-03", "output.figure=false"]
        + ["output.events=false", "hydra.callbacks.aggregate.figures=false", f"hydra.sweep.dir={out}"]
    )
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["folder"].str.split(",").str[0]) == [
        "challenges=baseline",
        "challenges=high_tension",
        "challenges=optimistic",
    ]
    assert set(summary["status"]) == {"complete"}
    assert sorted(summary["tension"]) == [0.2, 0.3, 0.7]


def test_a_glob_is_handed_to_hydra_as_the_options_it_matches():
    line = ["-m", "replicates=1", "challenges=glob(*,exclude=base*)", "seed=3"]
    checked = check_command_line(line)
    assert checked.checked == 3
    assert checked.for_hydra == ["replicates=1", "challenges=choice(high_tension,optimistic)", "seed=3"]
    assert cli.pinned(line, checked) == ["-m", *checked.for_hydra, *checked.pin]


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        (
            "challenges=glob(z*)",
            "challenges=glob(z*): the glob matches none of the options of challenges; allowed: "
            "baseline, high_tension, optimistic",
        ),
        ("challenges.trust=glob(*)", "challenges.trust=glob(*): challenges.trust is no config group"),
    ],
)
def test_a_glob_that_cannot_be_swept_is_one_line(override, expect, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert one_line(capsys, "-m", override).startswith(expect)
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_reaches_the_options_of_the_config_dir(tmp_path):
    """A swept group's option found only on --config-dir was refused by the check."""
    (tmp_path / "challenges").mkdir()
    (tmp_path / "challenges" / "calm.yaml").write_text("trust: 0.9\nvested_interests: 0.1\ntension: 0.0\n")
    listed = check_command_line(["-m", "-cd", str(tmp_path), "challenges=calm,baseline"])
    assert listed.checked == 3
    globbed = check_command_line(["-m", "-cd", str(tmp_path), "challenges=glob(*,exclude=[base*,high*])"])
    assert globbed.for_hydra == ["challenges=choice(calm,optimistic)"]
    with pytest.raises(ConfigError, match=r"^challenges.trust=1.5 is out of range"):
        check_command_line(["-m", "-cd", str(tmp_path), "challenges=calm,baseline", "challenges.trust=1.5"])


@pytest.mark.parametrize(
    ("launcher", "allowed"),
    [
        ([], "_target_, backend, memory_gb, n_jobs, partition, ray_address, setup, timeout_min"),
        (["hydra/launcher=joblib"], "_target_, backend, batch_size, max_nbytes, mmap_mode, n_jobs, "),
    ],
)
def test_an_unknown_launcher_key_lists_the_launchers_keys(launcher, allowed, tmp_path, monkeypatch, capsys):
    """It listed the task's keys (challenges, decisions, ...), which a launcher has none of."""
    monkeypatch.chdir(tmp_path)
    message = one_line(capsys, "-m", *launcher, "hydra.launcher.nope=1", "challenges.trust=0,1")
    assert message.startswith(f"hydra.launcher.nope: unknown key; allowed: {allowed}"), message
    assert "challenges" not in message


@pytest.mark.parametrize("line", ["hydra.launcher.n_jobs=1,2", "hydra.job.chdir=true,false"])
def test_a_sweep_over_a_setting_of_hydra_is_one_line(line, tmp_path):
    """Hydra refuses it with a message of its own over several lines, exit 1."""
    with pytest.raises(ConfigError) as info:
        check_command_line(["-m", line, f"hydra.sweep.dir={tmp_path}"])
    assert str(info.value) == f"{line}: Hydra's own settings are not swept; allowed: one value"


@pytest.mark.parametrize("later", ["replicates=3", "replicates=3,5"])
def test_a_key_swept_and_then_given_again_is_refused(later, tmp_path):
    """Hydra gave every cell the later value: a sweep of replicates=2,4 ran one cell of 3, silently."""
    with pytest.raises(ConfigError) as info:
        check_command_line(["-m", "replicates=2,4", later, f"hydra.sweep.dir={tmp_path}"])
    assert str(info.value) == (
        f"{later}: replicates is swept by replicates=2,4 before it, and every cell would take the later "
        "value; allowed: one value or one sweep of replicates"
    )


def test_a_value_and_then_a_sweep_of_the_key_is_the_sweep(tmp_path):
    line = ["-m", "replicates=3", "replicates=2,4", f"hydra.sweep.dir={tmp_path}"]
    assert check_command_line(line).multirun  # no error: the cells take 2 and 4


def test_an_unknown_key_of_hydra_lists_hydras_keys():
    with pytest.raises(ConfigError) as info:
        check_command_line(["-m", "hydra.job.nope.deeper=1"])
    assert str(info.value) == (
        "hydra.job.nope: unknown key; allowed: chdir, config, config_name, env_copy, env_set, id, "
        "name, num, override_dirname"
    )


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        (
            "params.risk_aversion=null",
            "params.risk_aversion=null: the key needs a value; allowed: a number in [0.0, 20.0]",
        ),
        ("seed=null", "seed=null: the key needs a value; allowed: an integer"),
        ("output.figure=null", "output.figure=null: the key needs a value; allowed: true or false"),
        (
            "scenario.start=null",
            "scenario.start=null: the key needs a value; allowed: a month written YYYY-MM",
        ),
        (
            "challenges=null",
            "challenges=null: challenges is a config group, and null names none of its options; "
            "allowed: baseline, high_tension, optimistic",
        ),
        (
            "hydra/launcher=null",
            "hydra/launcher=null: hydra/launcher is a config group, and null names none of its options; "
            "allowed: the name of one of its options (hedgesim --hydra-help lists them)",
        ),
    ],
)
def test_null_for_a_key_that_needs_a_value_is_one_line(override, expect, tmp_path, monkeypatch, capsys):
    """OmegaConf's "field 'X' is not Optional" and Hydra's "Config group override must be a string
    or a list. Got NoneType" said neither the value nor what is allowed."""
    monkeypatch.chdir(tmp_path)
    assert one_line(capsys, override) == expect
    with pytest.raises(ConfigError) as info:
        hedgesim.simulate([override], replicates=1)
    assert str(info.value) == expect


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        (
            "shocks.file=",
            "shocks.file='' is empty; allowed: the path of a YAML or CSV file in UTF-8, or null for the "
            "inline history",
        ),
        ("shocks.extra=' '", "shocks.extra=' ' is empty; allowed: the path of a YAML or CSV file in UTF-8"),
        ("parameter_sets={tmp}", "parameter sets '{tmp}' are a folder, not a file; allowed: a plausible.csv"),
        ("parameter_sets={tmp}/none.csv", "parameter sets '{tmp}/none.csv' do not exist; allowed:"),
    ],
)
def test_an_empty_or_folder_path_says_so(override, expect, tmp_path, monkeypatch, capsys):
    """An empty shock file path was "a folder" (the working one); a folder of parameter sets "did
    not exist"."""
    monkeypatch.chdir(tmp_path)
    message = one_line(capsys, override.format(tmp=tmp_path))
    assert message.startswith(expect.format(tmp=tmp_path)), message


SHOCK_FILES = {
    "bool.yaml": "- {date: 2012-06, kind: war, actors: [RUS, UKR], size: true}\n",
    "ua.yaml": "- {date: 2012-06, kind: war, actors: [RUS, UA], size: 0.5}\n",
    "xyz.csv": "date,kind,actors,size\n2012-06,war,RUS;XYZ,high\n",
    "early.csv": "date,kind,actors,size\n2012-06,war,RUS;UKR,high\n2001-06,war,RUS,low\n",
}


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        (
            "shocks.file=bool.yaml",
            "shocks.file bool.yaml line 1: size=true is not a number; allowed: a number in [0, 1] or one "
            "of low, medium, high",
        ),
        (
            "shocks.file=ua.yaml",
            "shocks.file ua.yaml line 1: actors=['RUS', 'UA'] names unknown code 'UA'; allowed: BLR, EU, "
            "GEO, LTU, LVA, POL, RUS, UKR",
        ),
        ("shocks.extra=xyz.csv", "shocks.extra xyz.csv line 2: actors='RUS;XYZ' names unknown code 'XYZ'"),
        (
            "shocks.file=early.csv",
            "shocks.file early.csv line 3: shock '2001-06-war', date 2001-06 is outside the run; allowed: "
            "2008-01..2019-12",
        ),
        ("shocks.extra=early.csv", "shocks.extra early.csv line 3: shock '2001-06-war', date 2001-06 is"),
        ("shocks.timeline.1.date=2001-05", "shocks.timeline[1]: shock 'assistance-protocol', date 2001-05"),
    ],
)
def test_a_bad_shock_names_its_key_file_and_line(override, expect, tmp_path, monkeypatch, capsys):
    """size: true was read as 1.0, an unknown code such as UA was taken (a war naming it does not
    put Ukraine at war), and a shock before the run named neither its key nor its line."""
    monkeypatch.chdir(tmp_path)
    for name, text in SHOCK_FILES.items():
        (tmp_path / name).write_text(text)
    message = one_line(capsys, override)
    assert message.startswith(expect), message


def test_a_spreadsheets_rows_of_empty_cells_are_skipped(tmp_path):
    """A spreadsheet saves its empty rows as ,,, : they failed as shocks with no date."""
    blank = tmp_path / "blank_rows.csv"
    blank.write_text("date,kind,actors,size\n2012-06,war,RUS;UKR,high\n,,,\n2013-06,npp,LTU,0.5\n , ,,\n")
    plain = tmp_path / "plain.csv"
    plain.write_text("date,kind,actors,size\n2012-06,war,RUS;UKR,high\n2013-06,npp,LTU,0.5\n")
    timeline = load_timeline(ShocksConfig(file=str(blank)))
    assert [(str(s.date), s.kind.value, s.size) for s in timeline.shocks] == [
        ("2012-06", "war", 1.0),
        ("2013-06", "npp", 0.5),
    ]
    assert timeline == load_timeline(ShocksConfig(file=str(plain)))


def test_a_runs_config_yaml_alone_reruns_it(tmp_path, monkeypatch, capsys):
    """``--config-dir RUN --config-name config`` ran the packaged config (which shadows RUN's on
    Hydra's search path), and with --config-path the saved values had no schema ('dict' object
    has no attribute 'scenario')."""
    monkeypatch.chdir(tmp_path)
    extra = tmp_path / "extra.csv"
    extra.write_text("date,kind,actors,size,id\n2008-09,war,RUS;UKR,high,imagined-war\n")
    first, again = tmp_path / "first", tmp_path / "again"
    cli.main(
        ["replicates=3", "seed=5", "scenario.end=2009-06", "challenges.trust=0.7", "output.figure=false"]
        + ["scenario.oil_price={2009:30}", f"shocks.extra={extra}", f"hydra.run.dir={first}"]
    )
    extra.unlink()  # the saved config lists its shocks: the file is not needed
    cli.main(["--config-dir", str(first), "--config-name", "config", f"hydra.run.dir={again}"])
    for table in ("trajectories.parquet", "events.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(again / table), pd.read_parquet(first / table))
    saved = (first / "config.yaml").read_text()
    assert "replicates: 3" in saved and "imagined-war" in saved and "2009: 30.0" in saved
    assert yaml.safe_load((again / "config.yaml").read_text()) == yaml.safe_load(saved)
    manifest = json.loads((again / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["replicates"] == 3


def test_a_config_dir_whose_config_yaml_is_no_config_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("- just\n- a list\n")
    message = one_line(capsys, "--config-dir", "run", "--config-name", "config")
    assert message == (
        "--config-dir run: config.yaml holds no config values; allowed: a run folder's config.yaml, "
        "as hedgesim wrote it"
    )


SHOCK_KEYS = "allowed: actors, date, end, id, kind, label, size, source"


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        (
            "shocks.timeline=[{date: 2015-01, kind: war, actors: [RUS], size: 0.5, labl: x}]",
            f"shocks.timeline[0].labl: unknown key; {SHOCK_KEYS}",
        ),
        (
            "decisions.observed=[{date: 2015-01, knd: war}]",
            f"decisions.observed[0].knd: unknown key; {SHOCK_KEYS}",
        ),
        ("shocks.timeline.1={date: 2015-01, labl: x}", f"shocks.timeline[1].labl: unknown key; {SHOCK_KEYS}"),
        ("shocks={timeline: [{}, {labl: x}]}", f"shocks.timeline[1].labl: unknown key; {SHOCK_KEYS}"),
        (
            "shocks.timeline=[5]",
            "shocks.timeline[0]=5 is not a shock; allowed: a mapping like {date: 2015-01, kind: war, "
            "actors: [RUS], size: 0.5}",
        ),
        (
            "shocks.timeline=[{date: 2015-01, kind: war, actors: RUS, size: 0.5}]",
            "shocks.timeline[0].actors='RUS' is not a list; allowed: a list in brackets, e.g. [RUS,UKR]",
        ),
        (
            "shocks.timeline=[{date: 2015-01, kind: war, actors: [RUS], size: high}]",
            "shocks.timeline[0].size='high' is not a number; allowed: a number",
        ),
        (
            "shocks.timeline=[{date: 2015-01, kind: war, actors: [RUS], size: [1,2]}]",
            "shocks.timeline[0].size=[1, 2] is not a single value; allowed: a number",
        ),
    ],
)
def test_a_shock_entry_on_the_command_line_names_its_keys(override, expect, tmp_path, monkeypatch, capsys):
    """An unknown key in a shock entry was named bare ('labl') with the top-level keys as allowed
    (challenges, decisions, ...), and a wrong value named no entry."""
    monkeypatch.chdir(tmp_path)
    assert one_line(capsys, override) == expect
    with pytest.raises(ConfigError) as info:
        hedgesim.simulate([override], replicates=1)
    assert str(info.value) == expect
    assert list(tmp_path.iterdir()) == []


OIL_ALLOWED = "allowed: years as integers and prices in USD/bbl as numbers, e.g. {2030:50}"


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        (
            "+scenario.oil_price={abc:50}",
            f"+scenario.oil_price={{abc:50}}: 'abc' is not a year; {OIL_ALLOWED}",
        ),
        (
            "scenario.oil_price={2010.5:50}",
            f"scenario.oil_price={{2010.5:50}}: 2010.5 is not a year; {OIL_ALLOWED}",
        ),
        (
            "scenario.oil_price={true:50}",
            f"scenario.oil_price={{true:50}}: True is not a year; {OIL_ALLOWED}",
        ),
        (
            "scenario.oil_price={2010:null}",
            f"scenario.oil_price={{2010:null}}: the price of 2010 is None, not a number; {OIL_ALLOWED}",
        ),
        ("scenario.oil_price=5", f"scenario.oil_price=5: not a mapping of years to prices; {OIL_ALLOWED}"),
        (
            "scenario={oil_price: {x: 1}}",
            f"scenario={{oil_price: {{x: 1}}}}: 'x' is not a year; {OIL_ALLOWED}",
        ),
    ],
)
def test_an_oil_price_that_is_no_year_and_price_says_what_is_allowed(
    override, expect, tmp_path, monkeypatch, capsys
):
    """``+scenario.oil_price={abc:50}`` read "Key abc (str) is incompatible with (int)", and a
    null price "Incompatible value 'None'", neither saying what is allowed."""
    monkeypatch.chdir(tmp_path)
    assert one_line(capsys, override) == expect
    with pytest.raises(ConfigError) as info:
        hedgesim.simulate([override], replicates=1)
    assert str(info.value) == expect
    assert hedgesim.simulate(["scenario.oil_price={2010:'50'}"], replicates=1, seed=1).shape[0] > 0


@pytest.mark.parametrize(
    "overrides",
    [
        ["scenario.branch=2005-01", "challenges.trust=0.9"],
        ["scenario=forward_2030", "scenario.branch=2007-12"],
        ["scenario.branch=2007-12", "decisions=history", "decisions.mode=observed"],
    ],
)
def test_a_branch_before_the_run_is_refused(overrides, tmp_path, monkeypatch, capsys):
    """It was taken without a word: the run went as if it branched at its start (the challenges
    from the first month, Belarus's dated decisions without a rule all dropped)."""
    monkeypatch.chdir(tmp_path)
    branch = next(o.split("=")[1] for o in overrides if o.startswith("scenario.branch="))
    expect = (
        f"scenario.branch={branch} is before scenario.start=2008-01; allowed: a branch from scenario.start "
        "on (2008-01: the challenges rewrite the run), or scenario.branch=null"
    )
    assert one_line(capsys, *overrides) == expect
    with pytest.raises(ConfigError) as info:
        hedgesim.simulate(overrides, replicates=1)
    assert str(info.value) == expect
    assert list(tmp_path.iterdir()) == []
    assert hedgesim.simulate(["scenario.branch=2008-01"], replicates=1, seed=1).shape[0] > 0


NO_MONTH = "no month of the run (2008-01..2019-12) takes the price of {year}, so it would change nothing"
YEARS_IN_RUN = (
    "allowed: years 2008 to 2019 (a year's price holds until the next year listed, the last one's to the end)"
)


@pytest.mark.parametrize(
    ("args", "line", "year"),
    [
        (["+scenario.oil_price={2031:50}"], "+scenario.oil_price={2031:50}", 2031),
        (["scenario.oil_price={2020:50}"], "scenario.oil_price={2020:50}", 2020),
        (["+scenario.oil_price={2005:50}"], "+scenario.oil_price={2005:50}", 2005),
        (["-m", "+scenario.oil_price={2010:50},{2031:50}"], "+scenario.oil_price={2031:50}", 2031),
    ],
)
def test_an_oil_price_outside_the_run_is_refused(args, line, year, tmp_path, monkeypatch, capsys):
    """A price for a year no month of the run takes was accepted without a word: the run was the
    same, and the user believed the price had been used."""
    monkeypatch.chdir(tmp_path)
    expect = f"{line}: {NO_MONTH.format(year=year)}; {YEARS_IN_RUN}"
    assert one_line(capsys, *args) == expect
    assert list(tmp_path.iterdir()) == []
    if "-m" not in args:
        with pytest.raises(ConfigError) as info:
            hedgesim.simulate(args, replicates=1)
        assert str(info.value) == expect


@pytest.mark.parametrize(
    "overrides",
    [
        ["scenario=forward_2030", "+scenario.oil_price={2030:50}"],
        ["scenario.start=2006-01", "+scenario.oil_price={2005:50}"],
        ["scenario.end=2019-12,2031-12", "+scenario.oil_price={2031:50}"],
    ],
)
def test_an_oil_price_some_run_takes_passes(overrides):
    """A year of a longer run in the sweep, or one that holds into the run from before its start."""
    assert check_command_line(["-m", *overrides]).checked >= 1


@pytest.mark.parametrize(
    ("override", "example"),
    [
        (
            "shocks.timeline={date: 2015-01, kind: war}",
            "[{date: 2015-01, kind: war, actors: [RUS], size: 0.5}]",
        ),
        ("decisions.observed=5", "[{date: 2015-01, kind: war, actors: [RUS], size: 0.5}]"),
        ("shocks.timeline.0.actors=RUS", "[RUS,UKR]"),
        ("shocks.disabled_ids=crimea", "[crimea,donbas-war]"),
        ("shocks.disabled_kinds=war", "[war,npp]"),
    ],
)
def test_a_list_given_without_brackets_shows_one_of_its_own(override, example, tmp_path, monkeypatch, capsys):
    """A shock without the list's brackets read "Cannot merge DictConfig with ListConfig", and
    actors or ids without them were shown kinds as the example ([war,npp])."""
    monkeypatch.chdir(tmp_path)
    expect = f"{override}: not a list; allowed: a list in brackets, e.g. {example}"
    assert one_line(capsys, override) == expect
    with pytest.raises(ConfigError) as info:
        hedgesim.simulate([override], replicates=1)
    assert str(info.value) == expect
