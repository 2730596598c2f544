"""Forked workers end with the command that forked them, however it ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

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
