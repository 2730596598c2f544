"""Sweeps end to end: outcomes of a cell, aggregation, resume, failures, launchers, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from hedgesim.analysis import outcomes as summary
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import check_overrides
from hedgesim.workflows import sweep

# A tiny sweep: 2 x 2 cells, 3 replicates, 2008-01..2030-12 (276 months).
GRID = ["challenges.trust=0.2,0.9", "challenges.vested_interests=0.1,0.8"]
BASE = ["replicates=3", "seed=5", "scenario=forward_2030", "output.figure=false", "output.events=false"]
MONTHS = 276


def run_sweep(folder: Path, *extra: str, cwd: Path):
    return run_cli("-m", *GRID, *BASE, *extra, f"hydra.sweep.dir={folder}", cwd=cwd)


def listening_beyond_loopback() -> list[str]:
    """TCP sockets of this machine listening on an address other than loopback (Linux only)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        lines = Path(table).read_text().splitlines()[1:] if Path(table).exists() else []
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address = local.split(":")[0]
            loopback = address in ("0100007F", "00000000000000000000000001000000") or address.endswith(
                "0100007F"
            )
            if state == "0A" and not loopback:  # 0A: LISTEN
                found.append(local)
    return found


def cell_dirs(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.glob("*/manifest.json"))


# --- outcomes of one cell (pure) ---------------------------------------------------------


def synthetic(replicates: int = 4) -> pd.DataFrame:
    """Flat trajectories with milestones and EU relations set by hand."""
    dates = pd.date_range("2008-01-01", "2030-12-01", freq="MS")
    frame = pd.DataFrame(
        {
            "date": np.repeat(dates, replicates),
            "replicate": np.tile(np.arange(replicates), len(dates)),
            "relations_eu": 5.0,
            "hedge_eu": 0.3,
            "hedge_russia": 0.5,
        }
    )
    status = np.full(len(frame), "not_started", dtype=object)
    concluded = {0: "2020-01-01", 1: "2026-01-01"}  # replicates 2 and 3 never conclude
    for rep, when in concluded.items():
        status[(frame["replicate"] == rep) & (frame["date"] >= when)] = "concluded"
    categories = ["not_started", "negotiating", "blocked", "concluded"]
    for name in summary.MILESTONES:
        frame[name] = pd.Categorical(status, categories=categories)
    in_2011 = frame["date"].dt.year == 2011
    frame.loc[in_2011, "relations_eu"] = -5.0  # every replicate's 2011 low is -5
    frame.loc[(frame["replicate"] == 0) & (frame["date"] == "2024-06-01"), "relations_eu"] = -6.0
    frame.loc[(frame["replicate"] == 1) & (frame["date"] == "2019-06-01"), "relations_eu"] = -9.0
    frame.loc[(frame["replicate"] == 2) & (frame["date"].dt.year == 2030), "relations_eu"] = 11.0
    return frame


def test_cell_outcomes_follow_their_definitions():
    row = summary.cell_outcomes(synthetic())
    assert row["replicates"] == 4
    assert row["p_visa_by_2025"] == 0.25  # only replicate 0 (2020-01) by 2025-12
    assert row["p_framework_by_2030"] == 0.5  # replicates 0 and 1
    assert row["p_collapse"] == 0.25  # replicate 0 after 2020; replicate 1's dip is in 2019
    assert row["median_months_to_visa"] == (144 + 216) / 2  # 2020-01 and 2026-01 from 2008-01
    assert row["median_relations_eu_2030"] == 5.0
    assert row["median_hedge_russia_2030"] == 0.5


def test_cell_outcomes_of_nobody_are_nan_not_zero():
    frame = synthetic()
    for name in summary.MILESTONES:
        frame[name] = pd.Categorical(["not_started"] * len(frame), categories=frame[name].cat.categories)
    row = summary.cell_outcomes(frame)
    assert row["p_priorities_by_2030"] == 0.0
    assert np.isnan(row["median_months_to_priorities"])


def test_outcomes_do_not_depend_on_row_order():
    frame = synthetic()
    shuffled = frame.sample(frac=1.0, random_state=np.random.default_rng(3))
    assert summary.cell_outcomes(shuffled) == summary.cell_outcomes(frame)


def test_outcome_names_match_the_row():
    assert set(summary.OUTCOMES) <= set(summary.cell_outcomes(synthetic()))


# --- a small multirun ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory):
    """The tiny sweep run by Hydra's basic (serial) launcher: the reference for the others."""
    tmp = tmp_path_factory.mktemp("basic")
    result = run_sweep(tmp / "mr", "hydra/launcher=basic", cwd=tmp)
    assert result.returncode == 0, result.stderr[-2000:]
    return tmp / "mr", result


@pytest.mark.slow
def test_multirun_aggregates_every_cell_and_row(basic_sweep):
    folder, result = basic_sweep
    table = pd.read_parquet(folder / "summary.parquet")
    assert len(table) == 4 and set(table["status"]) == {"complete"}
    assert sorted(zip(table["trust"], table["vested_interests"], strict=True)) == [
        (0.2, 0.1),
        (0.2, 0.8),
        (0.9, 0.1),
        (0.9, 0.8),
    ]
    assert (table["replicates"] == 3).all() and (table["tension"] == 0.3).all()
    for column in summary.PROBABILITIES:
        assert table[column].between(0, 1).all(), column
    csv = pd.read_csv(folder / "summary.csv")
    assert list(csv.columns) == list(table.columns) and len(csv) == 4
    dataset = pd.read_parquet(folder / "dataset")
    assert len(dataset) == 4 * 3 * MONTHS
    assert dataset.groupby("cell", observed=True).size().tolist() == [3 * MONTHS] * 4
    assert set(dataset["challenge_trust"]) == {0.2, 0.9}
    assert "tension" in dataset and (dataset["challenge_tension"] == 0.3).all()
    figures = json.loads((folder / "aggregate.json").read_text())["figures"]
    assert "figures/fans.png" in figures and any("heatmap_p_visa" in f for f in figures)
    for name in figures:
        assert (folder / name).stat().st_size > 1000
    assert "4/4 cells finished" in result.stderr
    assert "cell 3 [" in result.stdout and "100% (2030-12)" in result.stdout  # Hydra's job log


@pytest.mark.slow
def test_summary_matches_the_cells_own_trajectories(basic_sweep):
    folder, _ = basic_sweep
    table = pd.read_parquet(folder / "summary.parquet")
    row = table.iloc[2]
    own = summary.cell_outcomes(pd.read_parquet(folder / row["folder"] / "trajectories.parquet"))
    for column in summary.OUTCOMES:
        assert row[column] == pytest.approx(own[column], nan_ok=True), column


@pytest.mark.slow
def test_aggregate_by_hand_gives_the_same_summary(basic_sweep, tmp_path, capsys):
    folder, _ = basic_sweep
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    shutil.rmtree(copy / "dataset")
    (copy / "summary.parquet").unlink()
    sweep.aggregate_main([str(copy), "--no-figures"])
    assert "aggregated 4/4 cells" in capsys.readouterr().err
    pd.testing.assert_frame_equal(
        pd.read_parquet(copy / "summary.parquet"), pd.read_parquet(folder / "summary.parquet")
    )
    assert len(pd.read_parquet(copy / "dataset")) == 4 * 3 * MONTHS


def test_aggregate_of_a_missing_folder_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        sweep.aggregate_main([str(tmp_path / "nope")])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hedgesim-aggregate: error: folder=") and len(err.splitlines()) == 1


@pytest.mark.slow
def test_resume_recomputes_only_the_deleted_cell(basic_sweep, tmp_path):
    reference, _ = basic_sweep
    folder = tmp_path / "mr"
    shutil.copytree(reference, folder)
    cells = cell_dirs(folder)
    before = {c.name: json.loads((c / "manifest.json").read_text())["finished_utc"] for c in cells}
    shutil.rmtree(cells[1])
    result = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("complete already, skipped") == 3
    after = {c.name: json.loads((c / "manifest.json").read_text())["finished_utc"] for c in cell_dirs(folder)}
    assert set(after) == set(before)
    assert {k for k in after if after[k] != before[k]} <= {cells[1].name}
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / cells[1].name / "trajectories.parquet"),
        pd.read_parquet(reference / cells[1].name / "trajectories.parquet"),
    )


@pytest.mark.slow
def test_a_changed_config_is_not_taken_for_a_complete_cell(basic_sweep, tmp_path):
    reference, _ = basic_sweep
    folder = tmp_path / "mr"
    shutil.copytree(reference, folder)
    cell = cell_dirs(folder)[0]
    saved = cell / "config.yaml"
    saved.write_text(saved.read_text().replace("replicates: 3", "replicates: 2"))
    result = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.count("complete already, skipped") == 3
    assert "replicates: 3" in saved.read_text()


@pytest.mark.slow
def test_a_failed_cell_neither_stops_nor_spoils_the_others(basic_sweep, tmp_path):
    reference, _ = basic_sweep
    folder = tmp_path / "mr"
    shutil.copytree(reference, folder)
    broken = cell_dirs(folder)[2]
    (broken / "trajectories.parquet").unlink()
    (broken / "trajectories.parquet").mkdir()  # the cell cannot write its table
    result = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
    assert result.returncode == 1
    assert "1 cells failed or missing" in result.stderr and "Traceback" not in result.stderr
    table = pd.read_parquet(folder / "summary.parquet").set_index("folder")
    assert table.loc[broken.name, "status"] == "failed"
    assert "IsADirectoryError" in table.loc[broken.name, "error"]
    assert np.isnan(table.loc[broken.name, "p_visa_by_2025"])
    assert (table.drop(index=broken.name)["status"] == "complete").all()
    assert len(pd.read_parquet(folder / "dataset")) == 3 * 3 * MONTHS
    (broken / "trajectories.parquet").rmdir()
    fixed = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert set(pd.read_parquet(folder / "summary.parquet")["status"]) == {"complete"}
    assert not (broken / "error.txt").exists()


# --- the same cells whichever launcher ran them -------------------------------------------


def assert_same_cells(folder: Path, reference: Path) -> None:
    names = [c.name for c in cell_dirs(reference)]
    assert [c.name for c in cell_dirs(folder)] == names
    for name in names:
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / name / "trajectories.parquet"),
            pd.read_parquet(reference / name / "trajectories.parquet"),
        )
    columns = ["trust", "vested_interests", *summary.OUTCOMES]
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "summary.parquet")[columns],
        pd.read_parquet(reference / "summary.parquet")[columns],
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "launcher",
    [
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=1"],
        ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"],
    ],
    ids=["joblib-2", "joblib-1", "submitit-local"],
)
def test_results_do_not_depend_on_the_launcher(basic_sweep, tmp_path, launcher):
    reference, _ = basic_sweep
    result = run_sweep(tmp_path / "mr", *launcher, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert_same_cells(tmp_path / "mr", reference)


@pytest.mark.slow
def test_ray_on_a_local_instance_gives_the_same_cells(basic_sweep, tmp_path):
    """Ray through the launcher's own ray.init: address local, 127.0.0.1, no dashboard."""
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    reference, _ = basic_sweep
    before = set(listening_beyond_loopback())
    with mock.patch.dict(os.environ, {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}):  # loopback only
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("hedgesim")),
                "-m",
                *GRID,
                *BASE,
                "hydra/launcher=ray_local",
                f"hydra.sweep.dir={tmp_path / 'mr'}",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    opened = set()
    while process.poll() is None:  # watch the sockets while Ray runs
        opened |= set(listening_beyond_loopback()) - before
        time.sleep(0.5)
    out, err = process.communicate()
    assert process.returncode == 0, err[-2000:]
    assert "Started a local Ray instance" in err
    assert not opened, f"Ray listened beyond loopback: {sorted(opened)}"
    assert_same_cells(tmp_path / "mr", reference)


# --- bad sweeps are refused before any job starts -----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["challenges.tension=range(0,2,0.5)"], "challenges.tension=1.5 is out of range"),
        (["challenges.trust=0,0.5", "challenges.tension=0.2,1.2"], "challenges.tension=1.2 is out of range"),
        (["challenges.nope=0,1"], "challenges.nope: unknown key"),
        (["challenges.trust=interval(0,1)"], "the basic sweeper runs only listed values"),
        (["replicates=5,0"], "replicates=0"),
        (["+experiment=three_challenges", "challenges.vested_interests=0,2"], "vested_interests=2.0"),
        (["+experiment=nope"], "Could not find 'experiment/nope'"),
    ],
)
def test_bad_sweeps_are_one_line_and_start_nothing(tmp_path, args, message):
    result = run_cli("-m", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_range_sweep_values_are_each_checked():
    with pytest.raises(ConfigError, match=r"challenges.trust=1.25 is out of range"):
        check_overrides(["challenges.trust=range(0,1.5,0.25)"])
    assert check_overrides(["challenges.trust=range(0,1.01,0.25)"]) == 1 + 5


def test_the_named_experiment_sweeps_125_cells_to_2030():
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from hedgesim.config.compose import CONFIG_MODULE

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
        cfg = compose("config", overrides=["+experiment=three_challenges"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    assert cfg.scenario.name == "forward_2030" and cfg.scenario.end == "2030-12"
    assert len(sweep.planned_cells(cfg)) == 125
    assert check_overrides(["+experiment=three_challenges"]) == 1 + 15


def test_fan_cells_match_numbers_whatever_their_spelling():
    done = pd.DataFrame(
        {
            "cell": [0, 1, 2],
            "tension": [0.0, 0.5, 1.0],
            "trust": [0.5] * 3,
            "p_framework_by_2030": [0.1, 0.5, 0.9],
        }
    )
    picked = sweep.choose_fan_cells(
        done, ["challenges.tension=0,challenges.trust=0.5", "challenges.tension=1"]
    )
    assert picked == [0, 2]
    assert sweep.choose_fan_cells(done, ["challenges.tension=0.3"]) == []
    assert sweep.choose_fan_cells(done, None) == [0, 1, 2]
