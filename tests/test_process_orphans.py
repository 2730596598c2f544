"""Forked workers end with the command that forked them, however it ends, and when told to stop."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from conftest import process_running
from hedgesim.workflows import processes

pytestmark = pytest.mark.skipif(not processes.forking(), reason="workers are forked")

COMMAND = """
import os, sys, time
from hedgesim.workflows import processes

def task(k):
    sys.stdout.write(f"{os.getpid()}\\n")  # one write: the two workers' lines never interleave
    sys.stdout.flush()
    time.sleep(120)

processes.starmap(task, [(0,), (1,)], 2)
"""
"""A command whose two workers each say their process id and then wait, as a long sweep's do."""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_end_when_their_command_is_killed(how):
    """``kill`` (or a scheduler's time limit) ends a command at once: its workers, forked from it
    and waiting on a queue they hold open themselves, used to wait forever, orphaned."""
    command = subprocess.Popen([sys.executable, "-c", COMMAND], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(command.stdout.readline()) for _ in range(2)]
        assert all(process_running(pid) for pid in pids)
        command.send_signal(how)
        command.wait(timeout=30)
        deadline = time.monotonic() + 10 * processes.PARENT_CHECK_S + 5
        while any(process_running(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(process_running(pid) for pid in pids)
    finally:
        command.kill()
        command.wait()


def _wait_then_clean_up(folder, k):
    """Task ``k``: say it started; the first waits until stopped and then cleans up after itself."""
    (folder / f"started-{k}").write_text(str(os.getpid()))
    if k == 0:
        try:
            time.sleep(60)
        finally:
            (folder / "cleaned-0").write_text("")
    return k


def test_a_worker_stopped_in_its_task_ends_and_takes_no_other(tmp_path):
    """A worker stopped by SIGTERM (or Ctrl-C) during a task sent its ``SystemExit`` back as the
    task's result and went on with the next task queued for it, the whole task; and once back
    waiting for one, it ignored the pool's own ``terminate``, so the command hung in its pool's
    shutdown. It now ends once the task's clean-up has run."""
    tasks = processes.imap(_wait_then_clean_up, [(tmp_path, 0), (tmp_path, 1)], 1)
    stopped = False

    def consume():
        return list(tasks)

    with ThreadPoolExecutor(1) as thread:
        done = thread.submit(consume)
        deadline = time.monotonic() + 30
        while not (tmp_path / "started-0").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(int((tmp_path / "started-0").read_text()), signal.SIGTERM)
        try:
            done.result(timeout=30)
        except BrokenProcessPool:
            stopped = True
    assert stopped
    assert (tmp_path / "cleaned-0").exists()
    assert not (tmp_path / "started-1").exists()


GROUP_COMMAND = """
import random, sys, time
from hedgesim.workflows import processes
from hedgesim.workflows.interrupt import one_line_on_ctrl_c

def task(k):
    end = time.perf_counter() + random.uniform(0.0005, 0.005)
    while time.perf_counter() < end:
        pass
    return [{"k": float(k)}] * 20

with one_line_on_ctrl_c("probe", lambda: "nothing kept"):
    for _ in processes.imap(task, [(k,) for k in range(20000)], 4):
        pass
"""
"""A command whose four workers run many short tasks, each sending a small result back."""


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_command_stopped_with_its_workers_always_ends_with_its_line(how, tmp_path):
    """SIGTERM or Ctrl-C to every process of a command (``kill`` of its group, a scheduler's time
    limit, a terminal): whenever it lands, in a task, between two, while a result is sent or
    tasks are handed out, the command ends with its one line. It hung now and then (a worker
    back waiting for a task while its pool waited for it; a Ctrl-C in the middle of handing out
    tasks, holding the pool's lock), or a worker printed a traceback (stopped in the middle of
    reading a task, it left the rest to the other worker to read as one)."""
    rng = random.Random(7)
    for attempt in range(15):
        command = subprocess.Popen(
            [sys.executable, "-c", GROUP_COMMAND],
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
        )
        try:
            time.sleep(rng.uniform(1.5, 3.0))
            os.killpg(command.pid, how)
            _, err = command.communicate(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(command.pid, signal.SIGKILL)
            command.wait()
        assert (command.returncode, err) == (130, "probe: interrupted; nothing kept\n"), attempt
