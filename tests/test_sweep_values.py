"""Sweeps over values other than numbers (lists, mappings, booleans) and over seed, replicates and
precision: the summary, the dataset read back whole, the figures; the running count, the fan
cells asked for and the folder given to hedgesim-aggregate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import run_cli
from hedgesim.workflows.sweep import aggregate as aggregation
from hedgesim.workflows.sweep import callback, command, figures, plan
from test_sweep import hand_made_multirun

# Short cells: 2 replicates to 2010-12; every override in the folder names, so output.figure
# can be swept.
FAST = [
    "scenario.end=2010-12",
    "output.events=false",
    "hydra.job.config.override_dirname.exclude_keys=[]",
]


def sweep(folder: Path, *overrides: str) -> Path:
    result = run_cli("-m", *overrides, *FAST, f"hydra.sweep.dir={folder}", cwd=folder.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    return folder


@pytest.fixture(scope="module")
def list_sweep(tmp_path_factory) -> Path:
    """2 x 2 cells: a list-valued key and a boolean."""
    tmp = tmp_path_factory.mktemp("values")
    lists = "shocks.disabled_ids=[],[georgia-war]"
    return sweep(tmp / "mr", lists, "output.figure=true,false", "replicates=2")


@pytest.fixture(scope="module")
def seed_sweep(tmp_path_factory) -> Path:
    """2 x 2 x 2 cells: seed, replicates and output precision."""
    tmp = tmp_path_factory.mktemp("seeds")
    return sweep(tmp / "mr", "seed=1,2", "replicates=2,3", "output.precision=float32,float64")


@pytest.mark.slow
def test_a_sweep_over_lists_and_booleans_aggregates(list_sweep):
    table = pd.read_parquet(list_sweep / "summary.parquet")
    assert table["status"].tolist() == ["complete"] * 4
    assert table["shocks.disabled_ids"].tolist() == ["[]", "[]", "[georgia-war]", "[georgia-war]"]
    assert table["output.figure"].tolist() == [True, False, True, False]
    assert table["output.figure"].dtype == bool
    assert pd.read_csv(list_sweep / "summary.csv")["shocks.disabled_ids"].tolist()[2] == "[georgia-war]"
    dataset = pd.read_parquet(list_sweep / "dataset")
    tags = dataset.groupby("cell", observed=True)[["shocks.disabled_ids", "output.figure"]].first()
    assert tags["shocks.disabled_ids"].tolist() == table["shocks.disabled_ids"].tolist()
    assert tags["output.figure"].tolist() == [True, False, True, False]
    record = json.loads((list_sweep / "aggregate.json").read_text())
    assert record["figures"] == ["figures/fans.png"]
    assert any("shocks.disabled ids [georgia-war]" in line for line in record["figure_notes"])


@pytest.mark.slow
def test_a_missing_boolean_cell_reads_as_a_boolean(list_sweep, tmp_path, capsys):
    folder = tmp_path / "mr"
    shutil.copytree(list_sweep, folder)
    gone = pd.read_parquet(folder / "summary.parquet").loc[3, "folder"]
    shutil.rmtree(folder / gone)
    with pytest.raises(SystemExit) as stop:
        command.main([str(folder), "--jobs", "1"])
    assert stop.value.code == 1 and "aggregated 3/4 cells" in capsys.readouterr().err
    table = pd.read_parquet(folder / "summary.parquet")
    assert table["status"].tolist() == ["complete"] * 3 + ["missing"]
    assert table["output.figure"].tolist() == [True, False, True, False]
    assert table["output.figure"].dtype == bool


def test_a_mapping_or_group_value_is_its_override_text(tmp_path):
    cell = ("+scenario.oil_price={2031:50}", "challenges=high_tension", "flag=false")
    keys = ["challenges", "flag", "scenario.oil_price"]
    base = {"seed": 5, "replicates": 2, "challenges": {"trust": 0.5, "vested_interests": 0.5, "tension": 0.3}}
    missing = plan.cell_values(cell, None, base, keys)
    assert missing["scenario.oil_price"] == "{2031:50}" and missing["challenges"] == "high_tension"
    assert missing["flag"] is False and missing["seed"] == 5
    ran = tmp_path / "cell"
    (ran / ".hydra").mkdir(parents=True)
    config = {**base, "flag": False, "scenario": {"oil_price": {2008: 96.9, 2031: 50}}}
    config["challenges"] = {"trust": 0.2, "vested_interests": 0.8, "tension": 0.9}
    (ran / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    values = plan.cell_values(cell, ran, base, keys)
    assert values["scenario.oil_price"] == "{2031:50}" and values["challenges"] == "high_tension"
    assert values["trust"] == 0.2 and values["flag"] is False
    assert plan.override_text({"a": [1, "b"], "c": None}) == "{a:[1,b],c:null}"


PACKAGED_SOURCES = [
    {"path": "hydra.conf", "schema": "pkg", "provider": "hydra"},
    {"path": "hedgesim.conf", "schema": "pkg", "provider": "main"},
    {"path": "", "schema": "structured", "provider": "schema"},
]


def test_a_missing_cell_shows_the_challenges_of_the_option_it_chose(tmp_path):
    """A ``challenges=baseline,high_tension`` sweep whose high_tension cell never ran showed the
    baseline's tension (0.3) in its row: the option's own values come from the recorded sources."""
    own = tmp_path / "conf" / "challenges"
    own.mkdir(parents=True)
    (own / "mine.yaml").write_text("defaults:\n  - high_tension\n  - _self_\ntrust: 0.9\n")
    user = {"path": str(tmp_path / "conf"), "schema": "file", "provider": "command-line"}
    sources = [*PACKAGED_SOURCES, user]
    base = {
        "seed": 5,
        "replicates": 2,
        "challenges": {"trust": 0.5, "vested_interests": 0.5, "tension": 0.3},
        "hydra": {"runtime": {"config_sources": sources}},
    }
    high = plan.cell_values(("challenges=high_tension",), None, base, ["challenges"])
    assert (high["trust"], high["vested_interests"], high["tension"]) == (0.5, 0.5, 0.7)
    mine = plan.cell_values(("challenges=mine",), None, base, ["challenges"])
    assert (mine["trust"], mine["tension"], mine["challenges"]) == (0.9, 0.7, "mine")
    unknown = plan.cell_values(("challenges=gone",), None, base, ["challenges"])
    assert unknown["tension"] == 0.3  # an option the sources no longer hold: the base's values


@pytest.mark.slow
def test_swept_seed_and_replicates_tag_the_dataset(seed_sweep):
    table = pd.read_parquet(seed_sweep / "summary.parquet")
    assert table["seed"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert table["replicates"].tolist() == [2, 2, 3, 3, 2, 2, 3, 3]
    dataset = pd.read_parquet(seed_sweep / "dataset", columns=["cell", "replicate", "seed", "replicates"])
    per_cell = dataset.groupby("cell", observed=True).agg(
        seed=("seed", "first"), replicates=("replicates", "first"), rows=("replicate", "nunique")
    )
    assert per_cell["seed"].tolist() == table["seed"].tolist()
    assert per_cell["replicates"].tolist() == per_cell["rows"].tolist() == table["replicates"].tolist()
    assert pd.read_parquet(seed_sweep / "dataset", filters=[("seed", "==", 2)])["cell"].nunique() == 4


@pytest.mark.slow
def test_seed_and_replicates_tag_the_dataset_only_when_swept(list_sweep):
    columns = pd.read_parquet(list_sweep / "dataset").columns
    assert "seed" not in columns and "replicates" not in columns


@pytest.mark.slow
def test_a_dataset_of_float32_and_float64_cells_reads_back_each_cells_values(seed_sweep):
    table = pd.read_parquet(seed_sweep / "summary.parquet")
    dataset = pd.read_parquet(seed_sweep / "dataset")
    assert dataset["relations_eu"].dtype == "float64" and dataset["trust_blr_eu"].dtype == "float64"
    for cell, folder in zip(table["cell"], table["folder"], strict=True):
        own = pd.read_parquet(seed_sweep / folder / "trajectories.parquet")
        rows = dataset[dataset["cell"] == cell].reset_index(drop=True)
        assert len(rows) == len(own)
        for column in ("relations_eu", "trust_blr_eu", "hedge_eu"):
            assert (rows[column].to_numpy() == own[column].to_numpy().astype("float64")).all(), column
    assert table["output.precision"].tolist() == ["float32", "float64"] * 4
    partitions = sorted((seed_sweep / "dataset").glob("cell=*/part-0.parquet"))
    assert {str(pq.read_schema(p).field("trust_blr_eu").type) for p in partitions} == {"double"}


def test_partitions_typed_differently_are_given_one_schema(tmp_path):
    parts = {0: {"x": pa.array([1.5], pa.float32()), "n": pa.array([1])}, 1: {"x": [0.1], "t": [True]}}
    for cell, columns in parts.items():
        (tmp_path / f"cell={cell}").mkdir()
        pq.write_table(pa.table(columns), tmp_path / f"cell={cell}" / "part-0.parquet")
    aggregation.one_schema(tmp_path)
    back = pd.read_parquet(tmp_path).sort_values("cell").reset_index(drop=True)
    assert back["x"].tolist() == [1.5, 0.1] and back["x"].dtype == "float64"
    assert back["n"].tolist()[0] == 1 and pd.isna(back["n"].tolist()[1])
    assert back["t"].isna().tolist() == [True, False]


def test_a_fan_with_a_misspelt_key_is_refused_in_one_line(tmp_path, capsys):
    folder = hand_made_multirun(tmp_path / "mr")
    with pytest.raises(SystemExit):
        command.main([str(folder), "--jobs", "1", "--no-figures"])
    before = (folder / "summary.csv").read_bytes()
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        command.main([str(folder), "--jobs", "1", "--fan", "challenges.trus=0.2"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "hedgesim-aggregate: error: fan='challenges.trus=0.2': 'challenges.trus' is not a key of the "
        "sweep's cells; allowed: the swept keys challenges.trust, or challenges.vested_interests, "
        "challenges.tension, seed, replicates"
    )
    assert (folder / "summary.csv").read_bytes() == before  # refused before anything is removed
    with pytest.raises(SystemExit) as stop:
        command.main([str(folder), "--jobs", "1", "--fan", "trust=0.2", "--fan", "seed=5,tension=0.3"])
    assert stop.value.code == 1  # cells 1 and 2 failed or are missing; the fans are drawn
    assert "drew figures/fans.png" in capsys.readouterr().err


def finish_job(folder: Path, trust: str) -> None:
    """What a job of the hand-made sweep's cell does last: end, and tell the callback."""
    from omegaconf import OmegaConf

    task = [f"challenges.trust={trust}", "replicates=4"]
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(folder)}, "overrides": {"task": task}}})
    callback.AggregateSweep().on_job_end(config, None)


def counts(err: str) -> list[str]:
    return [line.split()[1] for line in err.splitlines() if line.endswith("cells finished")]


def test_the_running_count_counts_each_cell_once_when_jobs_end_together(tmp_path, capsys):
    folder = hand_made_multirun(tmp_path / "mr")  # cells 0.2 (complete) and 0.5 (failed) ended
    (folder / "challenges.trust=0.9").mkdir()
    (folder / "challenges.trust=0.9" / "error.txt").write_text("boom\n")  # so did 0.9, together
    for trust in ("0.9", "0.2", "0.5", "0.2"):  # their callbacks, one after the other; 0.2 twice
        finish_job(folder, trust)
    assert counts(capsys.readouterr().err) == ["1/3", "2/3", "3/3", "3/3"]
    os.utime(folder / "multirun.yaml", ns=(1, 1))  # Hydra writes it anew when the sweep is re-run
    finish_job(folder, "0.5")
    assert counts(capsys.readouterr().err) == ["1/3"]


def test_the_running_count_of_workers_in_parallel_rises_by_one(tmp_path):
    folder = hand_made_multirun(tmp_path / "mr")
    trusts = [f"0.{d}" for d in range(1, 10)]
    planned = (folder / "multirun.yaml").read_text().replace("0.2,0.5,0.9", ",".join(trusts))
    (folder / "multirun.yaml").write_text(planned)  # nine cells, ended by three workers at once
    log = tmp_path / "stderr.txt"
    script = (
        "import sys, os; from pathlib import Path; sys.path[:0] = sys.argv[3:];"
        "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT); os.dup2(fd, 2);"
        "sys.stderr = os.fdopen(2, 'w');"
        "from test_sweep_values import finish_job;"
        "[finish_job(Path(sys.argv[2]), t) for t in os.environ['TRUSTS'].split()]"
    )
    paths = [str(Path(__file__).parent), *sys.path]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(log), str(folder), *paths],
            env={**os.environ, "TRUSTS": " ".join(trusts[k::3])},
        )
        for k in range(3)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    assert counts(log.read_text()) == [f"{n}/9" for n in range(1, 10)]


def test_aggregate_of_a_file_says_it_is_not_a_folder(tmp_path, capsys):
    summary = tmp_path / "summary.csv"
    summary.write_text("cell\n0\n")
    with pytest.raises(SystemExit) as stop:
        command.main([str(summary)])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == (
        f"hedgesim-aggregate: error: folder={str(summary)!r} is not a folder; allowed: a multirun folder"
    )
    assert summary.read_text() == "cell\n0\n"


def test_a_fan_cell_can_name_a_list_value(tmp_path):
    table = pd.DataFrame(
        {
            "cell": [0, 1],
            "status": ["complete", "complete"],
            "shocks.disabled_ids": ["[]", "[crimea,donbas-war]"],
            "output.figure": [True, False],
        }
    )
    spec = "shocks.disabled_ids=[crimea, donbas-war],output.figure=false"
    assert figures.fan_pairs(spec) == ["shocks.disabled_ids=[crimea, donbas-war]", "output.figure=false"]
    figures.check_fans([spec], ["output.figure", "shocks.disabled_ids"])
    assert figures.choose_fan_cells(table, [spec, "shocks.disabled_ids=[]"]) == [1, 0]
    assert figures.unmatched_fans(table, [spec]) == []


@pytest.mark.slow
def test_a_glob_in_an_experiments_own_sweep_plans_and_aggregates_its_cells(tmp_path):
    """An experiment whose ``hydra.sweeper.params`` sweeps ``challenges: glob(*)``: Hydra ran its
    three cells, then the aggregation could not expand the plan ("ConfigLoader is not set")."""
    conf = tmp_path / "conf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "globbed.yaml").write_text(
        "# @package _global_\nhydra:\n  sweeper:\n    params:\n      challenges: glob(*,exclude=base*)\n"
    )
    folder = sweep(
        tmp_path / "mr", f"hydra.searchpath=[file://{conf.parent}]", "+experiment=globbed", "replicates=2"
    )
    table = pd.read_parquet(folder / "summary.parquet")
    assert sorted(table["challenges"]) == ["high_tension", "optimistic"]
    assert table["status"].tolist() == ["complete", "complete"]
    assert plan.planned_cells(yaml_config(folder / "multirun.yaml")) == sorted(plan.cell_folders(folder))


def yaml_config(path: Path):
    from omegaconf import OmegaConf

    return OmegaConf.load(path)


def test_a_ray_sweep_with_no_cluster_to_join_is_one_line(tmp_path):
    """``hydra.launcher.backend=ray`` with no Ray cluster running printed Ray's ConnectionError
    traceback; it is one line naming the address and what is allowed, and no folder is left."""
    exe = Path(sys.executable).with_name("hedgesim")
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "HYDRA_FULL_ERROR")}
    env["RAY_TMPDIR"] = str(tmp_path / "ray")  # where Ray looks for a running cluster: none here
    (tmp_path / "ray").mkdir()
    line = ["-m", "challenges.trust=0,1", "hydra.launcher.backend=ray", "replicates=2", *FAST]
    result = subprocess.run(
        [str(exe), *line, f"hydra.sweep.dir={tmp_path / 'mr'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("hedgesim: error: hydra.launcher.ray_address=auto: no Ray cluster answers (")
    assert last.endswith(
        "allowed: the address of a running cluster (ray start --head, docs/sweeps.md), "
        "or hydra.launcher.backend=local"
    )
    assert not (tmp_path / "mr").exists()


def test_a_ray_address_where_nothing_listens_is_one_line_at_once(tmp_path):
    """``hydra.launcher.ray_address=HOST:PORT`` with nothing listening there waited on Ray's own
    retries (about 5 minutes) before the one line; a short probe of the port gives it at once."""
    import socket
    import time

    from hedgesim.workflows.sweep import batched

    held = socket.socket()  # bound, never listening: a loopback port nobody else can take meanwhile
    held.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{held.getsockname()[1]}"
    exe = Path(sys.executable).with_name("hedgesim")
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "HYDRA_FULL_ERROR")}
    env["RAY_TMPDIR"] = str(tmp_path / "ray")
    env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # Ray keeps to 127.0.0.1, should it be reached
    (tmp_path / "ray").mkdir()
    line = ["-m", "challenges.trust=0,1", "hydra.launcher.backend=ray", "replicates=2", *FAST]
    started = time.monotonic()
    with held:
        result = subprocess.run(
            [str(exe), *line, f"hydra.launcher.ray_address={address}", f"hydra.sweep.dir={tmp_path / 'mr'}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,  # Ray alone took minutes
        )
        assert time.monotonic() - started < 45
        assert "Connection refused" in batched.unreachable(address)
        assert batched.unreachable("auto") is None
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"hedgesim: error: hydra.launcher.ray_address={address}: no Ray cluster answers (nothing accepts "
        f"a connection there within 3 s: Connection refused); allowed: the address of a running cluster "
        "(ray start --head, docs/sweeps.md), or hydra.launcher.backend=local"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "mr").exists()


def globbed_plan(glob: str):
    """A multirun.yaml's config sweeping ``glob`` over the config sources hedgesim ships."""
    from omegaconf import OmegaConf

    shipped = {"path": "hedgesim.conf", "schema": "pkg", "provider": "main"}
    return OmegaConf.create(
        {
            "hydra": {
                "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"},
                "overrides": {"task": [glob, "replicates=2"]},
                "runtime": {"config_sources": [shipped]},
            }
        }
    )


def test_the_plan_expands_a_glob_as_the_command_line_does():
    """The plan expanded globs with its own copy of the command line's expansion: a glob that
    matched no option planned a cell ``challenges=`` (then listed as missing); it is one line
    naming the glob and the options, as on the command line."""
    cells = plan.planned_cells(globbed_plan("challenges=glob(*,exclude=base*)"))
    assert cells == [("challenges=high_tension", "replicates=2"), ("challenges=optimistic", "replicates=2")]
    with pytest.raises(plan.SweepError) as refused:
        plan.planned_cells(globbed_plan("challenges=glob(z*)"))
    assert str(refused.value) == (
        "multirun.yaml: cannot expand the sweep: challenges=glob(z*): the glob matches none of the "
        "options of challenges; allowed: baseline, high_tension, optimistic"
    )
