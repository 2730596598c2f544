"""A calibration on several processes: each batch split over forked workers, the same results."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import pandas as pd
import pytest
import yaml

from conftest import process_running
from hedgesim.workflows import processes
from hedgesim.workflows.calibration import command, lock, workers
from hedgesim.workflows.calibration.objective import Objective, base_spec, current_values
from hedgesim.workflows.calibration.search import read_search
from hedgesim.workflows.targets_file import read_targets
from test_calibrate import TWO, calibrate, search_file

pytestmark = pytest.mark.skipif(not workers.forking(), reason="workers are forked")


@pytest.mark.parametrize(
    ("size", "count", "expected"),
    [(16, 2, [8, 8]), (5, 2, [2, 3]), (1, 4, [1]), (3, 8, [1, 1, 1]), (7, 3, [2, 2, 3]), (0, 2, [0])],
)
def test_a_batch_is_split_into_contiguous_even_shares(size, count, expected):
    parts = workers.shares(size, count)
    assert [p.stop - p.start for p in parts] == expected
    assert parts[0].start == 0 and parts[-1].stop == size
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False))


def test_scores_on_workers_equal_the_scores_here():
    dims, settings = read_search()
    objective = Objective(base_spec([], settings, 4), read_targets())
    at = lambda d, j, k: d.value_at((0.15 + 0.29 * k + 0.05 * j) % 1.0)
    spread = ({d.name: at(d, j, k) for j, d in enumerate(dims)} for k in range(4))
    batch = [current_values(dims, []), *spread]
    here = objective.scores(batch)
    with objective.on_workers(3) as on_three:
        assert on_three is objective
        split = objective.scores(batch)
        one = objective.scores(batch[:1])  # too few to split: scored here
    assert split == here and one == here[:1]
    assert len({score for score, _ in here}) == len(batch)  # the trials differ
    assert objective.scores(batch[1:3]) == here[1:3]  # the workers are gone; scored here again


def test_a_worker_that_fails_reaches_the_caller():
    def scores(batch):
        if batch[0]["x"] > 1:
            raise ValueError("no such trial")
        return [(b["x"], 0) for b in batch]

    with workers.scoring(scores, 2) as scored:
        with pytest.raises(ValueError, match="no such trial"):
            scored([{"x": 0.0}, {"x": 2.0}])  # the second share, scored by the worker
        assert scored([{"x": 0.0}, {"x": 1.0}]) == [(0.0, 0), (1.0, 0)]  # the pool still serves


@pytest.mark.slow
def test_a_calibration_on_two_workers_makes_the_same_trials_as_on_one(tmp_path):
    search = search_file(tmp_path, TWO, trials=6, batch=3)
    assert calibrate(tmp_path, "--workers", "1", search=search, run="one") == 0
    assert calibrate(tmp_path, "--workers", "2", search=search, run="two") == 0
    one, two = (pd.read_csv(tmp_path / run / "trials.csv") for run in ("one", "two"))
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    calibrated = [yaml.safe_load((tmp_path / run / "calibrated.yaml").read_text()) for run in ("one", "two")]
    assert calibrated[0] == calibrated[1]
    profiles = [pd.read_csv(tmp_path / run / "identification.csv") for run in ("one", "two")]
    pd.testing.assert_frame_equal(*profiles, check_exact=True)


def test_workers_must_be_one_or_more(tmp_path, capsys):
    assert calibrate(tmp_path, "--workers", "0") == 2
    err = capsys.readouterr().err.strip()
    assert err == "hedgesim-calibrate: error: --workers=0; allowed: an integer >= 1"


def test_a_dead_worker_breaks_the_pool_and_the_command_says_it_in_one_line(tmp_path, capsys, monkeypatch):
    def scores(batch):
        if batch[0]["x"] > 1:
            os._exit(1)  # killed, as by the kernel's out-of-memory killer
        return [(b["x"], 0) for b in batch]

    with workers.scoring(scores, 2) as scored, pytest.raises(BrokenProcessPool):
        scored([{"x": 0.0}, {"x": 2.0}])

    def dies(args):
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(command, "calibrate", dies)
    assert calibrate(tmp_path) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("hedgesim-calibrate: error: a worker scoring trials died") and "\n" not in err


def test_a_process_forked_under_the_lock_does_not_hold_it(tmp_path):
    fork = multiprocessing.get_context("fork")
    running = fork.Event()
    with lock.hold_lock(tmp_path):
        child = fork.Process(target=_sleep_once_running, args=(running,))  # as a scoring worker is
        child.start()
        assert running.wait(10)  # past its start (and its after-fork handlers)
    try:
        assert child.is_alive()
        with lock.hold_lock(tmp_path):  # the lock ended with its holder, not with the child
            pass
    finally:
        child.kill()
        child.join()


def _sleep_once_running(running) -> None:
    running.set()
    time.sleep(30)


@pytest.mark.slow
def test_workers_end_when_the_calibration_that_forked_them_is_killed(tmp_path):
    script = (
        "import os, sys, time\n"
        "from hedgesim.workflows.calibration import workers\n"
        "with workers.scoring(lambda batch: [(0.0, 0)] * len(batch), 3) as scored:\n"
        "    scored([{}, {}, {}])\n"
        "    print(*scored._pool._processes, flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pids = [int(pid) for pid in process.stdout.readline().split()]
    assert len(pids) == 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10 * processes.PARENT_CHECK_S + 5
    while any(process_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(process_running(pid) for pid in pids)
