"""hedgesim-validate's origin processes end with the validation that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import process_running
from hedgesim.workflows import processes
from test_validation import tiny_plan

ORIGINS = ("2014-12", "2013-06")


@pytest.mark.slow
def test_the_origins_searches_end_when_the_validation_is_killed(tmp_path):
    """Killed with SIGKILL, the validation cannot stop its origins' processes: they went on
    searching alone, holding each study's lock, so a rerun was refused until they ended."""
    plan = tiny_plan(tmp_path, trials=100000)
    command = [sys.executable, "-m", "hedgesim.workflows.validation", "--plan", str(plan)]
    command += ["--out", str(tmp_path / "out"), "--run-dir", str(tmp_path / "run"), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        holders = _lock_holders(tmp_path / "run", deadline=time.monotonic() + 120)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert len(holders) == 2 and process.pid not in holders  # each origin in its own process
    deadline = time.monotonic() + 10 * processes.PARENT_CHECK_S + 5
    while any(process_running(pid) for pid in holders) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(process_running(pid) for pid in holders)


def _lock_holders(run: Path, deadline: float) -> list[int]:
    """The pids written in the origins' study locks, once both are taken."""
    while time.monotonic() < deadline:
        texts = [_read(run / origin / ".lock") for origin in ORIGINS]
        if all(texts):
            return [int(text) for text in texts]
        time.sleep(0.2)
    return []


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
