"""Faults a sweep or a calibration must survive honestly: damaged files, a full disk, a read-only
folder, kill -9, two calibrations on one folder.

Each fault ends one of two ways: the work is recomputed, or the command exits non-zero with one
line saying why. Never a success that did not happen, never a temporary file left behind. The
end-to-end sweep faults (kill -9 mid-sweep, a truncated table, a narrower re-run) are in
tests/test_sweep.py, beside the reference sweep they compare with.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from omegaconf import OmegaConf

from hedgesim.workflows import results
from hedgesim.workflows.calibration import command as calibration
from hedgesim.workflows.calibration import lock
from hedgesim.workflows.calibration import study as studies
from hedgesim.workflows.calibration.search import Dimension
from hedgesim.workflows.sweep import aggregate, callback, command, plan
from test_sweep import MONTHS, synthetic

BIN = Path(sys.executable).parent

# --- a multirun folder written by hand, its cells with checksummed manifests --------------

PLAN = """\
hydra:
  sweeper:
    _target_: hydra._internal.core_plugins.basic_sweeper.BasicSweeper
    params: null
  overrides:
    task:
    - challenges.trust={values}
    - replicates=4
seed: 5
replicates: 4
challenges: {{trust: 0.5, vested_interests: 0.5, tension: 0.3}}
"""
TRUSTS = (0.2, 0.5, 0.9)


def write_plan(folder: Path, trusts) -> None:
    (folder / "multirun.yaml").write_text(PLAN.format(values=",".join(str(t) for t in trusts)))


def multirun(folder: Path, trusts=TRUSTS, replicates: int = 4) -> Path:
    """A multirun whose cells all finished, as run_into leaves them (manifest with checksums).

    Each cell's table has a column of noise so that the cells differ and do not compress away.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_plan(folder, trusts)
    for trust in trusts:
        cell = folder / f"challenges.trust={trust}"
        (cell / ".hydra").mkdir(parents=True)
        (cell / ".hydra" / "overrides.yaml").write_text(f"- challenges.trust={trust}\n- replicates=4\n")
        (cell / ".hydra" / "config.yaml").write_text(
            f"challenges: {{trust: {trust}, vested_interests: 0.5, tension: 0.3}}\nseed: 5\nreplicates: 4\n"
        )
        frame = synthetic(replicates)
        frame["noise"] = np.random.default_rng(int(trust * 10)).random(len(frame))
        results.write_parquet(frame, cell / results.TRAJECTORIES)
        results.write_manifest(cell, files=[results.TRAJECTORIES])
    return folder


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.tmp"))


def run_aggregate(folder: Path, *extra: str) -> int:
    """hedgesim-aggregate in this process; its exit status."""
    with pytest.raises(SystemExit) as stop:
        command.main([str(folder), "--jobs", "1", *extra])
        raise SystemExit(0)
    return stop.value.code


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --- a manifest records each file, and a folder is complete only while its files match ------


def test_the_manifest_records_each_files_size_checksum_and_rows(tmp_path):
    frame = synthetic()
    results.write_parquet(frame, tmp_path / "t.parquet")
    results.write_text("a: 1\n", tmp_path / "config.yaml")
    results.write_manifest(tmp_path, files=["t.parquet", "config.yaml"])
    record = json.loads((tmp_path / "manifest.json").read_text())
    assert record["files"] == ["t.parquet", "config.yaml"]
    table = record["integrity"]["t.parquet"]
    assert table["rows"] == len(frame) and table["bytes"] == (tmp_path / "t.parquet").stat().st_size
    assert table["sha256"] == results.sha256(tmp_path / "t.parquet")
    assert "rows" not in record["integrity"]["config.yaml"]
    assert results.is_complete(tmp_path)


def test_a_manifest_that_would_change_only_in_volatile_facts_is_kept(tmp_path, monkeypatch):
    """A committed folder re-written with the same numbers keeps its manifest byte for byte."""
    manifest = tmp_path / "manifest.json"
    results.write_text("a: 1\n", tmp_path / "config.yaml")
    results.write_manifest(tmp_path, files=["config.yaml"], volatile=["seconds"], seconds=1.5, passed=3)
    first = manifest.read_bytes()
    monkeypatch.setattr(results, "git_commit", lambda: "another commit")
    again = {"files": ["config.yaml"], "volatile": ["seconds"], "previous": manifest}
    results.write_manifest(tmp_path, seconds=9.9, passed=3, **again)
    assert manifest.read_bytes() == first and results.is_complete(tmp_path)
    results.write_manifest(tmp_path, seconds=9.9, passed=4, **again)  # a number changed
    assert json.loads(manifest.read_text())["passed"] == 4
    assert json.loads(manifest.read_text())["git_commit"] == "another commit"
    results.write_text("a: 2\n", tmp_path / "config.yaml")  # a file changed
    results.write_manifest(tmp_path, seconds=1.0, passed=4, **again)
    assert json.loads(manifest.read_text())["seconds"] == 1.0 and results.is_complete(tmp_path)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def same_size_other_table(path: Path) -> None:
    """Another whole table of the same size: only the checksum tells."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "because"),
    [
        (truncate, "t.parquet has"),
        (same_size_other_table, "t.parquet does not match its sha256"),
        (lambda p: p.unlink(), "t.parquet is missing"),
        (lambda p: p.with_name("config.yaml").write_text("a: 2\n"), "config.yaml does not match"),
        (lambda p: p.with_name("manifest.json").write_text("{"), "manifest.json cannot be read"),
    ],
    ids=["truncated", "flipped-byte", "deleted", "config-edited", "manifest-garbled"],
)
def test_a_damaged_file_makes_its_folder_incomplete(tmp_path, damage, because):
    results.write_parquet(synthetic(), tmp_path / "t.parquet")
    results.write_text("a: 1\n", tmp_path / "config.yaml")
    results.write_manifest(tmp_path, files=["t.parquet", "config.yaml"])
    damage(tmp_path / "t.parquet")
    assert not results.is_complete(tmp_path)
    assert results.incomplete_because(tmp_path).startswith(because)


def test_a_manifest_without_checksums_still_catches_a_truncated_table(tmp_path):
    """A folder written before manifests held checksums: names only, tables must be whole."""
    synthetic().to_parquet(tmp_path / "t.parquet")
    (tmp_path / "manifest.json").write_text(json.dumps({"files": ["t.parquet"]}))
    assert results.is_complete(tmp_path)
    truncate(tmp_path / "t.parquet")
    assert "t.parquet cannot be read (ArrowInvalid" in results.incomplete_because(tmp_path)


def test_temporaries_of_a_killed_writer_are_removed(tmp_path):
    (tmp_path / ".t.parquet.abc123.tmp").write_bytes(b"half")
    (tmp_path / ".dataset.xyz.tmp" / "cell=0").mkdir(parents=True)
    (tmp_path / "keep.parquet").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".deep.tmp").write_bytes(b"x")
    assert len(results.clean_temporaries(tmp_path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.parquet", "sub"]
    results.clean_temporaries(tmp_path, recursive=True)
    assert temporaries(tmp_path) == []


# --- aggregation: damaged cells, narrower sweeps, temporaries ------------------------------


def test_a_damaged_cell_is_failed_in_the_summary_not_skipped(tmp_path, capsys):
    folder = multirun(tmp_path / "mr")
    assert run_aggregate(folder, "--no-figures") == 0
    truncate(folder / "challenges.trust=0.5" / results.TRAJECTORIES)
    assert plan.cell_status(folder / "challenges.trust=0.5") == plan.FAILED
    assert run_aggregate(folder, "--no-figures") == aggregate.EXIT_INCOMPLETE
    assert "1 cells failed or missing: cell 1 (failed)" in capsys.readouterr().err
    table = pd.read_parquet(folder / "summary.parquet")
    assert table["status"].tolist() == ["complete", "failed", "complete"]
    assert table.loc[1, "error"].startswith("damaged: trajectories.parquet has")
    dataset = pd.read_parquet(folder / "dataset")
    assert sorted(set(dataset["cell"])) == [0, 2] and len(dataset) == 2 * 4 * MONTHS


def test_a_narrower_sweep_into_the_same_folder_keeps_only_its_cells(tmp_path, capsys):
    folder = multirun(tmp_path / "mr")
    assert run_aggregate(folder) == 0
    assert len(pd.read_parquet(folder / "dataset")) == 3 * 4 * MONTHS
    write_plan(folder, (0.9, 0.2))  # the narrower sweep: two of the cells, in another order
    assert callback.progress(folder) == (2, 2)  # the third folder is not this sweep's
    assert run_aggregate(folder) == 0
    assert "aggregated 2/2 cells" in capsys.readouterr().err
    assert sorted(p.name for p in (folder / "dataset").iterdir()) == ["cell=0", "cell=1"]
    dataset = pd.read_parquet(folder / "dataset")
    assert len(dataset) == 2 * 4 * MONTHS
    assert dataset.groupby("cell", observed=True)["challenge_trust"].first().tolist() == [0.9, 0.2]
    assert pd.read_parquet(folder / "summary.parquet")["trust"].tolist() == [0.9, 0.2]
    assert temporaries(folder) == []


def test_progress_never_counts_more_cells_than_planned(tmp_path):
    folder = multirun(tmp_path / "mr")
    write_plan(folder, (0.5,))
    assert callback.progress(folder) == (1, 1)
    (folder / "challenges.trust=0.5" / "manifest.json").unlink()
    assert callback.progress(folder) == (0, 1)


def test_an_aggregation_removes_what_a_killed_one_left(tmp_path):
    folder = multirun(tmp_path / "mr")
    assert run_aggregate(folder) == 0
    planted = [
        folder / ".summary.csv.k1ll3d.tmp",
        folder / ".dataset.k1ll3d.tmp" / "cell=0" / "part-0.parquet",
        folder / "dataset" / "cell=1" / ".part-0.parquet.k1ll3d.tmp",
        folder / "figures" / ".fans.png.k1ll3d.tmp",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    assert run_aggregate(folder) == 0
    assert temporaries(folder) == []


# --- a full disk during aggregation -----------------------------------------------------------


def fail_writing_a_part(table, where, *args, **kwargs):
    """pyarrow's writer on a full disk: part of the file, then ENOSPC."""
    Path(where).write_bytes(b"PAR1 half a part")
    enospc()


def fail_writing_the_csv(text, path):
    """The summary's writer on a full disk, half-way through its temporary."""
    return results.atomic_write(path, lambda tmp: (tmp.write_text(text[:20]), enospc()))


STAGES = {
    "dataset": lambda: mock.patch.object(pq, "write_table", fail_writing_a_part),
    "summary": lambda: mock.patch.object(aggregate, "write_text", fail_writing_the_csv),
    "record": lambda: mock.patch.object(aggregate, "_write_record", lambda *args: enospc()),  # figures drawn
}


@pytest.mark.parametrize("stage", STAGES)
def test_a_full_disk_during_aggregation_fails_loudly_and_cleanly(tmp_path, capsys, stage):
    folder = multirun(tmp_path / "mr")
    assert run_aggregate(folder) == 0
    before = pd.read_parquet(folder / "summary.parquet")
    capsys.readouterr()
    with STAGES[stage]():
        assert run_aggregate(folder) == aggregate.EXIT_FAILED
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"hedgesim-aggregate: error: aggregating {folder} failed (OSError: [Errno 28]")
    assert temporaries(folder) == []
    for name in ("summary.parquet", "summary.csv", "aggregate.json"):  # the old ones are not current
        assert not (folder / name).exists(), name
    assert list((folder / "figures").glob("*.png")) == []  # nor any figure, drawn before or now
    assert run_aggregate(folder) == 0  # once there is room again
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "summary.parquet"), before)
    assert temporaries(folder) == []


def test_the_sweep_callback_exits_non_zero_when_aggregation_fails(tmp_path, capsys):
    """Hydra turns a callback's exception into a warning and exit 0: the callback must not raise one."""
    folder = multirun(tmp_path / "mr")
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(folder)}}})
    hook = callback.AggregateSweep(figures=False, n_jobs=1)
    with mock.patch.object(pq, "write_table", fail_writing_a_part), pytest.raises(SystemExit) as stop:
        hook.on_multirun_end(config=config)
    assert stop.value.code == aggregate.EXIT_FAILED
    assert "No space left on device" in one_line(capsys.readouterr().err)
    assert temporaries(folder) == [] and not (folder / "summary.csv").exists()


# --- real file systems: a small tmpfs, a read-only mount ------------------------------------


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root only; the test is skipped elsewhere)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Fill a file system to the last byte; returns the filler file."""
    filler = disk / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1):
            while True:
                try:
                    os.write(handle, b"\0" * chunk)
                except OSError as err:
                    assert err.errno == errno.ENOSPC
                    break
    finally:
        os.close(handle)
    return filler


def console(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / name), *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_a_full_tmpfs_during_aggregation_exits_1_and_leaves_nothing_stale(tmp_path):
    with tmpfs(tmp_path / "disk", "4m") as disk:
        folder = multirun(disk / "mr", replicates=20)
        first = console("hedgesim-aggregate", str(folder), "--jobs", "1", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        dataset_bytes = sum(p.stat().st_size for p in (folder / "dataset").rglob("*.parquet"))
        summary_bytes = sum((folder / n).stat().st_size for n in ("summary.parquet", "summary.csv"))
        assert dataset_bytes > 2 * summary_bytes  # removing the old summary does not make room
        filler = fill(disk)
        full = console("hedgesim-aggregate", str(folder), "--jobs", "1", cwd=tmp_path)
        assert full.returncode == 1
        assert "No space left on device" in one_line(full.stderr) and "Traceback" not in full.stderr
        assert temporaries(folder) == []
        assert not (folder / "summary.csv").exists() and not (folder / "aggregate.json").exists()
        filler.unlink()
        again = console("hedgesim-aggregate", str(folder), "--jobs", "1", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert temporaries(folder) == [] and len(pd.read_csv(folder / "summary.csv")) == 3


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` (already filled) made read-only: a read-only tmpfs as root, else permissions."""
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o555)
        try:
            yield folder
        finally:
            for path in [folder, *folder.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)
        return
    staged = folder.with_name(folder.name + "-content")
    folder.rename(staged)
    with tmpfs(folder, "16m"):
        shutil.copytree(staged, folder, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder


def test_aggregating_a_read_only_folder_is_one_line_and_exit_1(tmp_path, capsys):
    folder = multirun(tmp_path / "mr")
    assert run_aggregate(folder) == 0
    capsys.readouterr()
    with read_only(folder):
        assert run_aggregate(folder) == aggregate.EXIT_FAILED
        line = one_line(capsys.readouterr().err)
        assert line.startswith(f"hedgesim-aggregate: error: aggregating {folder} failed (")
        assert "Read-only file system" in line or "Permission denied" in line


def test_a_calibration_into_a_read_only_folder_is_one_line_and_exit_1(tmp_path, capsys):
    outer = tmp_path / "out"
    outer.mkdir()
    with read_only(outer):
        assert calibrate(tmp_path, run_dir=outer / "run") == calibration.EXIT_FAILED
        line = one_line(capsys.readouterr().err)
        assert line.startswith("hedgesim-calibrate: error: ")
        assert "Read-only file system" in line or "Permission denied" in line


# --- calibration: the lock, stale trials, the search's time ----------------------------------


def search_file(tmp_path: Path, trials: int = 3, batch: int = 1) -> Path:
    path = tmp_path / "search.yaml"
    body = {
        "settings": {"trials": trials, "replicates": 6, "final_replicates": 6, "seed": 5}
        | ({"batch": batch} if batch > 1 else {}),
        "parameters": {
            "trade_non_oil": {"low": 2.0, "high": 12.0},
            "events_positive": {"low": 3.0, "high": 30.0, "log": True},
        },
    }
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def calibration_args(tmp_path: Path, run_dir: Path, *extra: str) -> list[str]:
    search = tmp_path / "search.yaml"
    return [
        "--search",
        str(search if search.exists() else search_file(tmp_path)),
        "--run-dir",
        str(run_dir),
        "--params-out",
        str(run_dir / "calibrated.yaml"),
        "--no-progress",
        *extra,
    ]


def calibrate(tmp_path: Path, *extra: str, run_dir: Path | None = None) -> int:
    return calibration.main(calibration_args(tmp_path, run_dir or tmp_path / "run", *extra))


def test_a_second_calibration_on_a_locked_folder_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    with lock.hold_lock(run):  # a calibration at work in the folder (this process)
        assert calibrate(tmp_path) == calibration.EXIT_USAGE
    line = one_line(capsys.readouterr().err)
    assert f"is in use by another calibration (process {os.getpid()})" in line
    assert not (run / "study.db").exists()  # refused before touching the study


def test_a_trial_left_running_is_marked_failed_and_its_start_tried_again(tmp_path):
    import optuna

    run = tmp_path / "run"
    killed = studies.open_study(run, seed=1, stamp="s")
    killed.enqueue_trial({"a": 0.25})
    killed.enqueue_trial({"a": 0.75})
    trial = killed.ask()  # the first start, running when the process was killed
    trial.suggest_float("a", 0.0, 1.0)
    resumed = studies.open_study(run, seed=1, stamp="s")
    assert studies.fail_stale_trials(resumed) == [0]
    states = [(t.number, t.state, t.system_attrs.get("fixed_params")) for t in resumed.trials]
    assert states == [
        (0, optuna.trial.TrialState.FAIL, {"a": 0.25}),
        (1, optuna.trial.TrialState.WAITING, {"a": 0.75}),
        (2, optuna.trial.TrialState.WAITING, {"a": 0.25}),  # enqueued again: still tried
    ]
    assert studies.fail_stale_trials(resumed) == []


class SlowObjective:
    """A stand-in for the model: 0.05 s a trial, interrupted (Ctrl-C) at trial ``stop``."""

    def __init__(self, stop: int | None = None):
        self.calls, self.stop = 0, stop

    def table(self, values):
        self.calls += 1
        if self.calls == self.stop:
            raise KeyboardInterrupt
        time.sleep(0.05)
        return values["a"]


def test_the_search_time_adds_up_across_interruptions(tmp_path, monkeypatch):
    monkeypatch.setattr(studies, "loss", float)
    monkeypatch.setattr(studies, "pass_count", lambda table: 0)
    dims = [Dimension("a", 0.0, 1.0)]
    study = studies.open_study(tmp_path / "run", seed=1, stamp="s")
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        studies.run_trials(study, SlowObjective(stop=4), dims, 10, [], None, False)
    interrupted = time.perf_counter() - started
    assert 0.15 <= studies.searched_seconds(study) <= interrupted + 0.01  # three trials' worth, at least
    first = studies.searched_seconds(study)
    started = time.perf_counter()
    assert studies.run_trials(study, SlowObjective(), dims, 5, [], None, False) == 2
    assert first + 0.1 <= studies.searched_seconds(study) <= first + time.perf_counter() - started + 0.01


def trial_states(db: Path) -> list[tuple[int, str]]:
    """Trial numbers and states, read while another process may be writing."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute("SELECT number, state FROM trials ORDER BY number").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def start_calibration(tmp_path: Path, trials: int) -> subprocess.Popen:
    args = calibration_args(tmp_path, tmp_path / "run", "--trials", str(trials))
    return subprocess.Popen(
        [str(BIN / "hedgesim-calibrate"), *args],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.stderr.read()[-2000:]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def kill_mid_trial(process: subprocess.Popen, mid_trial) -> None:
    """SIGKILL while a trial runs, with no race: freeze the process, look, and only then kill it
    (or let it go on and look again), so a trial cannot finish between the look and the kill."""
    while True:
        wait_for(mid_trial, process)
        process.send_signal(signal.SIGSTOP)
        if mid_trial():
            break
        process.send_signal(signal.SIGCONT)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.slow
def test_kill_9_during_a_calibration_then_resume_fails_the_stale_trial(tmp_path):
    import optuna

    db = tmp_path / "run" / "study.db"
    process = start_calibration(tmp_path, trials=5)

    def mid_trial() -> bool:
        states = [s for _, s in trial_states(db)]
        return "COMPLETE" in states and "RUNNING" in states

    kill_mid_trial(process, mid_trial)
    stale = [n for n, s in trial_states(db) if s == "RUNNING"]
    assert stale, "the kill came between trials"
    killed = optuna.load_study(study_name=studies.STUDY_NAME, storage=f"sqlite:///{db}")
    searched = studies.searched_seconds(killed)
    assert searched > 0  # the killed run's finished trials are counted

    assert calibrate(tmp_path, "--trials", "5") == 0
    states = dict(trial_states(db))
    assert all(states[n] == "FAIL" for n in stale) and "RUNNING" not in states.values()
    completed = sorted(n for n, s in states.items() if s == "COMPLETE")
    assert len(completed) == 5
    trials = pd.read_csv(tmp_path / "run" / "trials.csv")
    assert sorted(trials["trial"]) == completed  # the table is the study
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["stale_trials_failed"] == stale
    assert manifest["seconds_study"] >= round(searched + manifest["seconds_now"], 1) - 0.2
    assert results.is_complete(tmp_path / "run")


@pytest.mark.slow
def test_kill_9_during_a_batched_calibration_keeps_whole_batches_and_the_resume_is_as_if_never_killed(
    tmp_path,
):
    db = tmp_path / "run" / "study.db"
    search_file(tmp_path, trials=30, batch=3)
    process = start_calibration(tmp_path, trials=30)

    def stored() -> list[str]:
        return [s for _, s in trial_states(db) if s != "WAITING"]

    kill_mid_trial(process, lambda: len(stored()) >= 3)  # no earlier than after the first batch
    kept = stored()
    assert 3 <= len(kept) < 30, "the kill came after the last batch"
    assert kept == ["COMPLETE"] * len(kept) and len(kept) % 3 == 0  # whole batches, nothing running

    assert calibrate(tmp_path, "--trials", "30") == 0
    assert calibrate(tmp_path, "--trials", "30", run_dir=tmp_path / "whole") == 0
    resumed, whole = (pd.read_csv(tmp_path / run / "trials.csv") for run in ("run", "whole"))
    pd.testing.assert_frame_equal(resumed, whole)  # the same trials, numbers and losses
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["trials_run_now"] == 30 - len(kept) and manifest["stale_trials_failed"] == []


@pytest.mark.slow
def test_two_calibrations_on_one_folder_the_second_refuses(tmp_path, capsys):
    held = tmp_path / "run" / lock.LOCK
    first = start_calibration(tmp_path, trials=4)
    wait_for(lambda: held.is_file() and held.read_text().strip() == str(first.pid), first)
    assert calibrate(tmp_path, "--trials", "4") == calibration.EXIT_USAGE
    line = one_line(capsys.readouterr().err)
    assert f"in use by another calibration (process {first.pid})" in line
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err[-2000:]
    states = trial_states(tmp_path / "run" / "study.db")
    assert [s for _, s in states] == ["COMPLETE"] * 4  # no interleaved trials
    assert len(pd.read_csv(tmp_path / "run" / "trials.csv")) == 4


def test_a_table_written_in_blocks_reads_back_whole(tmp_path, baseline_spec, monkeypatch):
    """A large run's tables are built and written a block of months at a time: the file holds the
    whole table, row for row, in row groups; a failure midway leaves no file behind."""
    from dataclasses import replace

    from hedgesim.workflows.run import build_model

    monkeypatch.setattr(results, "BLOCK_ROWS", 1000)
    model = build_model(replace(baseline_spec, replicate_ids=tuple(range(30)))).run()
    blocks = results.month_blocks(30, 144)
    assert len(blocks) == 5 and blocks[0] == slice(0, 33) and blocks[-1] == slice(132, 165)
    for table, name in ((model.trajectories, "t.parquet"), (model.event_log, "e.parquet")):
        results.write_parquet_blocks(table, blocks, tmp_path / name)
        assert pq.ParquetFile(tmp_path / name).metadata.num_row_groups == 5
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), table(), check_exact=True)

    def failing(months: slice) -> pd.DataFrame:
        if months.start > 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return model.trajectories(months)

    with pytest.raises(OSError):
        results.write_parquet_blocks(failing, blocks, tmp_path / "f.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.parquet", "t.parquet"]


# --- files that belong together ----------------------------------------------------------------


def test_files_written_together_are_all_replaced_or_none(tmp_path):
    first, second = tmp_path / "calibrated.yaml", tmp_path / "plausible.csv"
    for path in (first, second):
        path.write_text("old", encoding="utf-8")
    (tmp_path / "not_a_folder").write_text("a file", encoding="utf-8")
    with pytest.raises(OSError):  # the third cannot be staged: nothing is replaced
        results.write_texts_together(
            {first: "new", second: "new", tmp_path / "not_a_folder" / "x.csv": "new"}
        )
    assert [p.read_text(encoding="utf-8") for p in (first, second)] == ["old", "old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibrated.yaml", "not_a_folder", "plausible.csv"]
    results.write_texts_together({first: "new", second: "newer"})
    assert [p.read_text(encoding="utf-8") for p in (first, second)] == ["new", "newer"]


def test_a_ctrl_c_during_the_renames_arrives_after_them(tmp_path, monkeypatch):
    paths = [tmp_path / "a", tmp_path / "b"]
    rename = os.replace

    def interrupted(src, dst):
        if Path(dst) == paths[0]:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the first rename and the second
        rename(src, dst)

    monkeypatch.setattr(results.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.write_texts_together(dict.fromkeys(paths, "new"))
    assert [p.read_text(encoding="utf-8") for p in paths] == ["new", "new"]


def test_a_calibration_that_cannot_write_its_plausible_sets_keeps_the_old_parameters(
    tmp_path, monkeypatch, capsys
):
    run = tmp_path / "run"
    run.mkdir()
    old = run / "calibrated.yaml"
    old.write_text("# the previous calibration\n", encoding="utf-8")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(calibration, "plausible_text", full_disk)
    assert calibrate(tmp_path) == calibration.EXIT_FAILED
    assert "No space left on device" in one_line(capsys.readouterr().err)
    assert old.read_text(encoding="utf-8") == "# the previous calibration\n"
    assert not (run / "plausible.csv").exists()
