"""Sweeps: outcomes of a cell, the plan and aggregation of a folder, and end to end (slow):
resume, failures, launchers; bad input refused before any job starts."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from hedgesim import cli
from hedgesim.analysis import outcomes as summary
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import check_overrides
from hedgesim.workflows import processes, results
from hedgesim.workflows.sweep import aggregate as aggregation
from hedgesim.workflows.sweep import callback, command, figures, plan

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
    assert row["median_relations_eu_2030"] == 10.0  # 5 points a month: 10 per two months (BFPI unit)
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


# --- a multirun folder written by hand (fast) ---------------------------------------------

HAND_PLAN = """\
hydra:
  sweeper:
    _target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper
    params: null
  overrides:
    task:
    - challenges.trust=0.2,0.5,0.9
    - replicates=4
seed: 5
replicates: 4
challenges: {trust: 0.5, vested_interests: 0.5, tension: 0.3}
"""


def hand_made_multirun(folder: Path) -> Path:
    """Three planned cells as Hydra would leave them: trust 0.2 complete, 0.5 failed, 0.9 never ran."""
    folder.mkdir()
    (folder / "multirun.yaml").write_text(HAND_PLAN)
    for trust in (0.2, 0.5):
        hydra_dir = folder / f"challenges.trust={trust}" / ".hydra"
        hydra_dir.mkdir(parents=True)
        (hydra_dir / "overrides.yaml").write_text(f"- challenges.trust={trust}\n- replicates=4\n")
        (hydra_dir / "config.yaml").write_text(
            f"challenges: {{trust: {trust}, vested_interests: 0.5, tension: 0.3}}\nseed: 5\nreplicates: 4\n"
        )
    done = folder / "challenges.trust=0.2"
    synthetic().to_parquet(done / "trajectories.parquet")
    (done / "manifest.json").write_text(json.dumps({"files": ["trajectories.parquet"]}))
    (folder / "challenges.trust=0.5" / "error.txt").write_text("ValueError: boom\n\nTraceback (...)\n")
    stale = plan.dataset_part(folder, 1)  # left by an earlier aggregation, before the cell failed
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"stale")
    return folder


def test_the_plan_lists_cells_that_never_ran(tmp_path):
    folder = hand_made_multirun(tmp_path / "mr")
    cells = plan.load_plan(folder)
    assert cells == [(f"challenges.trust={t}", "replicates=4") for t in ("0.2", "0.5", "0.9")]
    assert sorted(plan.cell_folders(folder)) == cells[:2]
    assert [plan.cell_status(plan.cell_folders(folder).get(c)) for c in cells] == [
        "complete",
        "failed",
        "missing",
    ]
    assert plan.swept_keys(cells) == ["challenges.trust"]
    assert callback.progress(folder) == (2, 3)


def test_aggregate_by_hand_summarises_complete_failed_and_missing_cells(tmp_path, capsys):
    import matplotlib.pyplot as plt

    folder = hand_made_multirun(tmp_path / "mr")
    with pytest.raises(SystemExit) as stop:
        command.main([str(folder), "--jobs", "1"])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert (
        "aggregated 1/3 cells" in err
        and "2 cells failed or missing: cell 1 (failed), cell 2 (missing)" in err
    )
    table = pd.read_parquet(folder / "summary.parquet")
    assert table["status"].tolist() == ["complete", "failed", "missing"]
    assert table["trust"].tolist() == [0.2, 0.5, 0.9]  # the missing cell's from its overrides
    assert (table["tension"] == 0.3).all() and (table["seed"] == 5).all()  # from the sweep's config
    assert table["error"].tolist() == ["", "ValueError: boom", ""]
    assert table["folder"].tolist() == ["challenges.trust=0.2", "challenges.trust=0.5", ""]
    expected = summary.cell_outcomes(synthetic())
    for column in summary.OUTCOMES:
        assert table.loc[0, column] == pytest.approx(expected[column], nan_ok=True), column
    assert table.loc[1:, list(summary.PROBABILITIES)].isna().all().all()
    dataset = pd.read_parquet(folder / "dataset")
    assert len(dataset) == 4 * MONTHS and set(dataset["cell"]) == {0}  # the stale part is gone
    assert (dataset["challenge_trust"] == 0.2).all() and (dataset["challenge_tension"] == 0.3).all()
    record = json.loads((folder / "aggregate.json").read_text())
    assert record["status"] == {"complete": 1, "failed": 1, "missing": 1}
    assert record["swept"] == ["challenges.trust"]
    assert record["figures"] == ["figures/fans.png"]  # one trust value: nothing to map
    assert (folder / "figures" / "fans.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []  # saved figures are closed


def test_cells_read_in_parallel_give_the_same_summary(tmp_path, monkeypatch):
    folder = hand_made_multirun(tmp_path / "mr")
    serial = aggregation.aggregate(folder, figures=False, n_jobs=1)
    monkeypatch.setattr(aggregation, "SERIAL_CELLS", 0)  # a few cells are read here otherwise
    parallel = aggregation.aggregate(folder, figures=False, n_jobs=2)
    pd.testing.assert_frame_equal(parallel, serial)
    assert len(pd.read_parquet(folder / "dataset")) == 4 * MONTHS


# --- a small multirun (slow) ---------------------------------------------------------------


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
    csv = pd.read_csv(folder / "summary.csv")
    assert list(csv.columns) == list(table.columns) and len(csv) == 4
    dataset = pd.read_parquet(folder / "dataset")
    assert len(dataset) == 4 * 3 * MONTHS
    assert dataset.groupby("cell", observed=True).size().tolist() == [3 * MONTHS] * 4
    assert set(dataset["challenge_trust"]) == {0.2, 0.9}
    assert "tension" in dataset and (dataset["challenge_tension"] == 0.3).all()
    drawn = json.loads((folder / "aggregate.json").read_text())["figures"]
    assert drawn == [f"figures/heatmap_{p}.png" for p in summary.PROBABILITIES] + ["figures/fans.png"]
    for name in drawn:
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "4/4 cells finished" in result.stderr
    assert "cell 3 [" in result.stdout and "100% (2030-12)" in result.stdout  # Hydra's job log


@pytest.mark.slow
def test_summary_matches_the_cells_own_trajectories(basic_sweep):
    folder, _ = basic_sweep
    table = pd.read_parquet(folder / "summary.parquet")
    for _, row in table.iterrows():
        own = summary.cell_outcomes(pd.read_parquet(folder / row["folder"] / "trajectories.parquet"))
        for column in summary.OUTCOMES:
            assert row[column] == pytest.approx(own[column], nan_ok=True), (row["cell"], column)


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


@pytest.mark.slow
def test_each_cell_keeps_the_outcomes_its_table_gives(basic_sweep, tmp_path, capsys):
    """A cell writes its outcomes beside its table (listed and checked in its manifest), value for
    value those its table gives; the aggregation takes them from there, and summarises a cell
    written without them (by an earlier hedgesim) from its table, to the same summary."""
    folder, _ = basic_sweep
    table = pd.read_parquet(folder / "summary.parquet")
    for where in table["folder"]:
        cell = folder / where
        assert "outcomes.json" in json.loads((cell / "manifest.json").read_text())["files"]
        strict = json.loads((cell / "outcomes.json").read_text(), parse_constant=_not_json)
        assert None in strict.values()  # an outcome with no value (NaN) is null, as JSON has it
        kept = results.read_outcomes(cell / "outcomes.json")
        own = summary.cell_outcomes(pd.read_parquet(cell / "trajectories.parquet"))
        assert kept.keys() == own.keys()
        assert all(kept[k] == own[k] or (np.isnan(kept[k]) and np.isnan(own[k])) for k in own)
    older, altered = tmp_path / "older", tmp_path / "altered"
    for copy in (older, altered):
        shutil.copytree(folder, copy)
    for where in table["folder"]:
        _forget_outcomes(older / where)
    first = altered / table["folder"].iloc[0]
    kept = {**json.loads((first / "outcomes.json").read_text()), "p_collapse": 0.123}
    (first / "outcomes.json").write_text(json.dumps(kept))
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["integrity"]["outcomes.json"] = {
        "bytes": (first / "outcomes.json").stat().st_size,
        "sha256": results.sha256(first / "outcomes.json"),
    }
    (first / "manifest.json").write_text(json.dumps(manifest))
    for copy in (older, altered):
        command.main([str(copy), "--no-figures"])
    pd.testing.assert_frame_equal(pd.read_parquet(older / "summary.parquet"), table)
    assert pd.read_parquet(altered / "summary.parquet")["p_collapse"].iloc[0] == 0.123  # read, not redone
    other = {**kept, "p_other": 0.5}  # outcomes of another hedgesim: redone from the table
    assert aggregation.recorded_outcomes(first) is not None
    (first / "outcomes.json").write_text(json.dumps(other))
    assert aggregation.recorded_outcomes(first) is None


def _forget_outcomes(cell: Path) -> None:
    """Make a cell as an earlier hedgesim wrote it: no outcomes.json, none in its manifest."""
    manifest = json.loads((cell / "manifest.json").read_text())
    manifest["files"].remove("outcomes.json")
    manifest["integrity"].pop("outcomes.json")
    (cell / "manifest.json").write_text(json.dumps(manifest))
    (cell / "outcomes.json").unlink()


@pytest.mark.slow
def test_aggregate_by_hand_gives_the_same_summary(basic_sweep, tmp_path, capsys):
    folder, _ = basic_sweep
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    shutil.rmtree(copy / "dataset")
    (copy / "summary.parquet").unlink()
    command.main([str(copy), "--no-figures"])
    assert "aggregated 4/4 cells" in capsys.readouterr().err
    pd.testing.assert_frame_equal(
        pd.read_parquet(copy / "summary.parquet"), pd.read_parquet(folder / "summary.parquet")
    )
    assert len(pd.read_parquet(copy / "dataset")) == 4 * 3 * MONTHS


def test_aggregate_of_a_missing_folder_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        command.main([str(tmp_path / "nope")])
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
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("complete already, skipped") == 3
    assert "replicates: 3" in saved.read_text()
    pd.testing.assert_frame_equal(  # recomputed: the same as the reference, common random numbers
        pd.read_parquet(cell / "trajectories.parquet"),
        pd.read_parquet(reference / cell.name / "trajectories.parquet"),
    )


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


# --- faults: kill -9, a damaged table, a narrower re-run (tests/test_faults.py has the rest) --


def data_files(folder: Path) -> dict[str, bytes]:
    """What a sweep's results are, byte for byte: the cells' tables, the summary, the dataset
    and the figures (not the manifests and logs, which hold times)."""
    names = [p.relative_to(folder) for p in folder.rglob("*") if p.is_file()]
    kept = [
        n
        for n in names
        if n.suffix in (".parquet", ".png") or n.name == "summary.csv" or n.name == "config.yaml"
    ]
    return {str(n): (folder / n).read_bytes() for n in sorted(kept) if ".hydra" not in n.parts}


@pytest.mark.slow
def test_kill_9_mid_sweep_then_resume_is_byte_identical(basic_sweep, tmp_path):
    reference, _ = basic_sweep
    folder = tmp_path / "mr"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("hedgesim")),
            "-m",
            *GRID,
            *BASE,
            "hydra/launcher=basic",
            f"hydra.sweep.dir={folder}",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not (folder.is_dir() and cell_dirs(folder)):  # kill it once a first cell is written
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(cell_dirs(folder)) < 4 and not (folder / "summary.csv").exists()
    planted = [  # what a kill in the middle of writing leaves
        cell_dirs(folder)[0] / ".trajectories.parquet.k1ll3d.tmp",
        folder / "dataset" / "cell=1" / ".part-0.parquet.k1ll3d.tmp",
        folder / ".summary.csv.k1ll3d.tmp",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    result = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert list(folder.rglob(".*.tmp")) == []
    expected, got = data_files(reference), data_files(folder)
    assert sorted(got) == sorted(expected)
    for name, data in expected.items():
        assert got[name] == data, name


@pytest.mark.slow
def test_a_truncated_table_is_detected_and_its_cell_recomputed(basic_sweep, tmp_path):
    reference, _ = basic_sweep
    folder = tmp_path / "mr"
    shutil.copytree(reference, folder)
    table = cell_dirs(folder)[2] / "trajectories.parquet"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    result = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("complete already, skipped") == 3
    assert table.read_bytes() == (reference / table.parent.name / table.name).read_bytes()
    for name in ("summary.csv", "summary.parquet"):
        assert (folder / name).read_bytes() == (reference / name).read_bytes()


@pytest.mark.slow
def test_a_full_disk_during_the_sweeps_aggregation_exits_1_and_leaves_nothing_stale(basic_sweep, tmp_path):
    """The cells are there; the disk fills before the aggregation: Hydra's warning, exit 0, no more."""
    from test_faults import fill, tmpfs

    reference, _ = basic_sweep
    with tmpfs(tmp_path / "disk", "4m") as disk:
        folder = disk / "mr"
        shutil.copytree(reference, folder)
        headroom = disk / "headroom"
        headroom.write_bytes(b"\0" * 128 * 1024)  # room for Hydra's job files, not for the dataset
        filler = fill(disk)
        headroom.unlink()
        full = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
        assert full.returncode == 1
        errors = [line for line in full.stderr.splitlines() if "error" in line.lower()]
        assert len(errors) == 1 and "No space left on device" in errors[0], full.stderr[-2000:]
        assert errors[0].startswith(f"hedgesim: error: aggregating {folder} failed")
        assert "Traceback" not in full.stderr and "Callback" not in full.stderr
        assert list(folder.rglob(".*.tmp")) == []
        assert not (folder / "summary.csv").exists() and not (folder / "aggregate.json").exists()
        filler.unlink()
        again = run_sweep(folder, "hydra/launcher=basic", cwd=tmp_path)
        assert again.returncode == 0, again.stderr[-2000:]
        assert list(folder.rglob(".*.tmp")) == []
        assert (folder / "summary.csv").read_bytes() == (reference / "summary.csv").read_bytes()


@pytest.mark.slow
def test_a_narrower_rerun_into_the_same_folder_keeps_only_its_cells(basic_sweep, tmp_path):
    reference, _ = basic_sweep
    folder = tmp_path / "mr"
    shutil.copytree(reference, folder)
    narrower = ["challenges.trust=0.9", "challenges.vested_interests=0.8,0.1"]
    result = run_cli(
        "-m", *narrower, *BASE, "hydra/launcher=basic", f"hydra.sweep.dir={folder}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("complete already, skipped") == 2
    counts = [(int(k), int(n)) for k, n in re.findall(r"(\d+)/(\d+) cells finished", result.stderr)]
    assert counts and all(n == 2 and k <= n for k, n in counts)
    assert sorted(p.name for p in (folder / "dataset").iterdir()) == ["cell=0", "cell=1"]
    dataset = pd.read_parquet(folder / "dataset")
    assert len(dataset) == 2 * 3 * MONTHS
    table = pd.read_parquet(folder / "summary.parquet")
    assert list(zip(table["trust"], table["vested_interests"], strict=True)) == [(0.9, 0.8), (0.9, 0.1)]
    assert dataset.groupby("cell", observed=True)["challenge_vested_interests"].first().tolist() == [0.8, 0.1]
    before = pd.read_parquet(reference / "summary.parquet").set_index("folder")
    for _, row in table.iterrows():
        for column in summary.OUTCOMES:
            assert row[column] == pytest.approx(before.loc[row["folder"], column], nan_ok=True)


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


def _hydra_yaml_without_launcher(path: Path) -> dict:
    """A job's .hydra/hydra.yaml less what names the launcher, the sweep folder and where it ran
    (and the job id, which each launcher spells its own way: basic '0', joblib 'cli_0')."""
    hydra = plan.read_yaml(path)["hydra"]
    hydra["job"].pop("id")
    for key in ("launcher", "sweep"):
        hydra.pop(key)
    for key in ("output_dir", "cwd"):
        hydra["runtime"].pop(key)
    hydra["runtime"]["choices"].pop("hydra/launcher")
    hydra["overrides"]["hydra"] = [o for o in hydra["overrides"]["hydra"] if not o.startswith("hydra")]
    return hydra


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings",
    [[], ["hydra.launcher.n_jobs=1", "hydra.launcher.memory_gb=0.000001"]],
    ids=["two-processes", "one-cell-per-chunk"],
)
def test_the_batched_launcher_writes_what_the_basic_one_writes(basic_sweep, tmp_path, settings):
    """Cells side by side in one ensemble (or, with almost no memory, one per chunk): every file
    of every cell as the basic launcher writes it; the job's Hydra record differs only where it
    names the launcher and the folder."""
    reference, _ = basic_sweep
    result = run_sweep(tmp_path / "mr", "hydra/launcher=batched", *settings, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    chunks = "4 chunks" if settings else "2 chunks"
    assert f"Batched launcher: 4 jobs in {chunks}" in result.stdout + result.stderr
    assert " at time " not in result.stdout + result.stderr  # no line per Mesa step from the workers
    folder = tmp_path / "mr"
    assert_same_cells(folder, reference)
    for cell in cell_dirs(reference):
        mine = folder / cell.name
        for name in ("trajectories.parquet", "config.yaml", ".hydra/config.yaml", ".hydra/overrides.yaml"):
            assert (mine / name).read_bytes() == (cell / name).read_bytes(), name
        assert _hydra_yaml_without_launcher(mine / ".hydra/hydra.yaml") == _hydra_yaml_without_launcher(
            cell / ".hydra/hydra.yaml"
        )
        made, expected = (json.loads((c / "manifest.json").read_text()) for c in (mine, cell))
        assert made["integrity"] == expected["integrity"] and made["rows"] == expected["rows"]
        assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in cell.iterdir())
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "dataset"), pd.read_parquet(reference / "dataset"), check_exact=True
    )


def test_local_workers_return_in_task_order_and_a_dead_one_fails_the_call():
    """Forked (or loky) workers give each task's result in order; a worker that dies mid-task
    (killed, out of memory) makes the call fail instead of waiting for it forever."""
    assert processes.starmap(pow, [(2, k) for k in range(7)], 2) == [2**k for k in range(7)]
    if processes.forking():
        with pytest.raises(BrokenProcessPool):
            processes.starmap(os._exit, [(3,), (4,)], 2)


@pytest.mark.slow
def test_the_batched_launcher_keeps_runs_apart_that_differ_in_more_than_the_challenges(tmp_path):
    """Seeds differ: two ensembles (a parameter differing does not part them); each cell equals
    the basic launcher's."""
    grid = ["params.trust_gain=0.02,0.2", "seed=5,6", *BASE[:1], *BASE[2:]]
    folders = {}
    for launcher in ("basic", "batched"):
        folders[launcher] = tmp_path / launcher
        result = run_cli(
            "-m", *grid, f"hydra/launcher={launcher}", f"hydra.sweep.dir={folders[launcher]}", cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr[-2000:]
    assert "4 jobs in 4 chunks" in result.stdout + result.stderr  # 2 ensembles, 2 chunks each
    assert_same_cells(folders["batched"], folders["basic"])


@pytest.mark.slow
def test_the_batched_launcher_resumes_only_the_cells_not_complete(basic_sweep, tmp_path):
    folder = tmp_path / "mr"
    first = run_sweep(folder, "hydra/launcher=batched", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    cells = cell_dirs(folder)
    (cells[1] / "manifest.json").unlink()
    kept = {c.name: (c / "trajectories.parquet").stat().st_mtime_ns for c in cells}
    again = run_sweep(folder, "hydra/launcher=batched", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert (
        again.stderr.count("complete already, skipped") + again.stdout.count("complete already, skipped") == 3
    )
    rewritten = [
        c.name for c in cell_dirs(folder) if (c / "trajectories.parquet").stat().st_mtime_ns != kept[c.name]
    ]
    assert rewritten == [cells[1].name]
    assert_same_cells(folder, basic_sweep[0])


@pytest.mark.slow
@pytest.mark.xdist_group("clusters")  # run apart from the cluster tests (tests/test_clusters.py)
def test_ray_on_a_local_instance_gives_the_same_cells(basic_sweep, one_cluster_at_a_time, tmp_path):
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


BAD_SWEEPS = [
    (["challenges.tension=range(0,2,0.5)"], "challenges.tension=1.5 is out of range"),
    (["challenges.trust=0,0.5", "challenges.tension=0.2,1.2"], "challenges.tension=1.2 is out of range"),
    (["challenges.nope=0,1"], "challenges.nope: unknown key"),
    (["challenges.trust=interval(0,1)"], "the basic sweeper runs only listed values"),
    (["replicates=5,0"], "replicates=0"),
    pytest.param(  # composes all 15 values of the experiment: seconds
        ["+experiment=three_challenges", "challenges.vested_interests=0,2"],
        "vested_interests=2.0",
        marks=pytest.mark.slow,
    ),
    (["+experiment=nope"], "Could not find 'experiment/nope'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_SWEEPS)
def test_bad_sweeps_are_refused_before_hydra_starts(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(["-m", *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hedgesim: error: ") and message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), BAD_SWEEPS)
def test_bad_sweeps_are_one_line_and_start_nothing(tmp_path, args, message):
    """The same refusals through the console script: no traceback, no folder."""
    result = run_cli("-m", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_range_sweep_values_are_each_checked():
    """Each value a range expands to is composed and validated (its refusal: BAD_SWEEPS)."""
    assert check_overrides(["challenges.trust=range(0,1.01,0.5)"]) == 1 + 3  # the base, 0, 0.5, 1


def test_the_named_experiment_plans_125_cells_to_2030_and_aggregates_them():
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.utils import instantiate

    from hedgesim.config.compose import CONFIG_MODULE
    from hedgesim.config.schema import register_configs

    register_configs()  # the app registers its schema before composing; so must a test run alone
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
        cfg = compose("config", overrides=["+experiment=three_challenges"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    assert cfg.scenario.name == "forward_2030" and cfg.scenario.end == "2030-12"
    cells = plan.planned_cells(cfg)
    assert len(cells) == 125 and len(set(cells)) == 125
    assert plan.swept_keys(cells) == ["challenges.tension", "challenges.trust", "challenges.vested_interests"]
    hook = instantiate(cfg.hydra.callbacks.aggregate)  # the callback Hydra will call
    assert isinstance(hook, callback.AggregateSweep) and hook.n_jobs == -1 and len(hook.fans) == 3


@pytest.mark.slow
def test_the_named_experiment_is_checked_value_by_value():
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
    picked = figures.choose_fan_cells(
        done, ["challenges.tension=0,challenges.trust=0.5", "challenges.tension=1"]
    )
    assert picked == [0, 2]
    assert figures.choose_fan_cells(done, ["challenges.tension=0.3"]) == []
    assert figures.choose_fan_cells(done, None) == [0, 1, 2]


@pytest.mark.slow
def test_aggregate_refuses_a_folder_that_is_not_one_multirun_and_touches_nothing(
    basic_sweep, tmp_path, capsys
):
    """A parent of sweeps, or a folder of single runs, is not one multirun: aggregating it once
    mixed their cells and, before failing, cleared its summary files, figures/*.png and .*.tmp."""
    folder, _ = basic_sweep
    parent = tmp_path / "parent"
    shutil.copytree(folder, parent / "mr")
    mine = {"summary.csv": "my own table", "figures/mine.png": "my own figure", ".notes.tmp": "mine"}
    for name, text in mine.items():
        (parent / name).parent.mkdir(parents=True, exist_ok=True)
        (parent / name).write_text(text)
    with pytest.raises(SystemExit) as stop:
        command.main([str(parent)])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"hedgesim-aggregate: error: folder='{parent}' holds other multirun folders (mr); "
        "allowed: one multirun folder (the hydra.sweep.dir of one sweep)\n"
    )
    assert {name: (parent / name).read_text() for name in mine} == mine

    runs = tmp_path / "runs"
    cell = cell_dirs(folder)[0]
    shutil.copytree(cell, runs / "one")
    hydra_yaml = runs / "one" / ".hydra" / "hydra.yaml"
    hydra_yaml.write_text(hydra_yaml.read_text().replace("mode: MULTIRUN", "mode: RUN"))
    with pytest.raises(SystemExit) as stop:
        command.main([str(runs)])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert "holds no multirun.yaml and runs that are not jobs of a multirun (e.g. one)" in said

    unplanned = tmp_path / "unplanned"  # a sweep's own cells without Hydra's plan still aggregate
    shutil.copytree(folder, unplanned)
    (unplanned / "multirun.yaml").unlink()
    command.main([str(unplanned), "--no-figures"])
    assert "aggregated 4/4 cells" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("sweep", "expect"),
    [
        (["challenges.trust=0,0.5,0"], "challenges.trust=0,0.5,0 lists 0 twice; allowed: each value once"),
        (
            ["output.events=true,false", "challenges.trust=0,1"],
            "output.events=true,false: output.events is left out of the cells' folder names "
            "(hydra.job.config.override_dirname.exclude_keys), so its cells would share one folder; "
            "allowed: one value of output.events per sweep",
        ),
    ],
)
def test_a_sweep_whose_cells_would_share_a_folder_is_refused_up_front(sweep, expect):
    """Two cells in one folder overwrote each other's files (one folder held one job's overrides
    and the other's tables), and the aggregation then failed with an Arrow error."""
    with pytest.raises(ConfigError) as refused:
        check_overrides(sweep)
    assert str(refused.value) == expect
    assert check_overrides(["output.events=false", "challenges.trust=0,1"]) == 3  # one value: one folder each


@pytest.mark.parametrize(
    ("setting", "expect"),
    [
        ("hydra.callbacks.aggregate.n_jobs=0", "n_jobs=0; allowed: a count >= 1, or -1 (one per core)"),
        ("hydra.callbacks.aggregate.figures=maybe", "figures='maybe'; allowed: true or false"),
    ],
)
def test_aggregation_settings_are_checked_before_any_job(setting, expect):
    """n_jobs=0 once failed only at the sweep's end, after every job and after the aggregation
    had removed the summary; figures=maybe was taken as true."""
    with pytest.raises(ConfigError, match=re.escape(expect)):
        check_overrides(["challenges.trust=0,1", setting])


def test_aggregate_refuses_jobs_0_and_keeps_the_summary(tmp_path, capsys):
    from hedgesim.workflows.sweep import command

    (tmp_path / "summary.csv").write_text("cell\n0\n")
    with pytest.raises(SystemExit) as stop:
        command.main([str(tmp_path), "--jobs", "0"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "hedgesim-aggregate: error: --jobs=0; allowed: a count >= 1, or -1 (one per core)"
    )
    assert (tmp_path / "summary.csv").read_text() == "cell\n0\n"


def test_a_sweep_into_a_folder_of_other_sweeps_is_refused_before_any_job(tmp_path, capsys):
    """It ran every cell, then its aggregation refused the folder (it holds another multirun)."""
    old = tmp_path / "old"
    (old / "cell" / ".hydra").mkdir(parents=True)
    (old / "multirun.yaml").write_text("{}\n")
    (old / "cell" / ".hydra" / "overrides.yaml").write_text("- challenges.trust=0\n")
    with pytest.raises(SystemExit) as stop:
        cli.main(["-m", "challenges.trust=0,1", "replicates=2", f"hydra.sweep.dir={tmp_path}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"hedgesim: error: hydra.sweep.dir={tmp_path}: folder='{tmp_path}' holds other multirun folders "
        "(old); allowed: one multirun folder (the hydra.sweep.dir of one sweep)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_a_sweep_whose_cell_folder_names_are_too_long_is_refused_up_front():
    """Ten params overrides named each cell's folder in about 300 bytes: every job failed with a
    traceback (File name too long) and the sweep folder was removed."""
    many = [f"params.trust_init_{pair}=0.25" for pair in ("blr_eu", "eu_blr", "blr_russia", "russia_blr")]
    many += ["params.trust_gain=0.05", "params.trust_loss=0.15", "params.trust_floor=0.05"]
    many += ["params.trust_drift=0.06", "params.trust_challenge_shift=0.3", "params.risk_aversion=0.4"]
    with pytest.raises(ConfigError, match=r"up to 298 bytes; allowed: at most 255 bytes in a name"):
        check_overrides(["challenges.trust=0,1", *many])
    assert check_overrides(["challenges.trust=0,1", *many, "hydra.sweep.subdir=${hydra.job.num}"]) == 3
    assert check_overrides(many) == 1  # one run: its folder is not named by its overrides
