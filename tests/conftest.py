"""Shared fixtures: small, fast runs of the real model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from hedgesim.api import simulate_run
from hedgesim.config.compose import compose_config
from hedgesim.config.spec import RunSpec, build_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def baseline_spec() -> RunSpec:
    """The baseline config composed once per test session (Hydra composition costs ~0.1 s).

    A RunSpec is frozen: vary it with ``dataclasses.replace`` (and replace params or challenges
    the same way) instead of composing again.
    """
    return build_run(compose_config())


def ctrl_c_as_at_a_terminal() -> None:
    """A child process's ``preexec_fn``: Ctrl-C (SIGINT) not ignored, as at a terminal, even when
    the suite runs as a background job, whose children inherit SIGINT ignored (and then rightly
    keep ignoring it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def one_cluster_at_a_time(tmp_path_factory) -> Iterator[None]:
    """Hold the suite's cluster lock while a test runs a Ray or Slurm cluster.

    Two clusters at once would each see the other's processes and servers as their own. The
    xdist_group("clusters") mark keeps those tests in one worker; the lock keeps them apart even
    when the scheduler does not (pytest 9.2 made --dist loadgroup spread them without a word).
    """
    shared = tmp_path_factory.getbasetemp().parent  # one folder for every xdist worker
    with FileLock(shared / "clusters.lock"):
        yield


@pytest.fixture(scope="session")
def small_run():
    """A 40-replicate baseline run shared by the read-only tests."""
    return simulate_run(replicates=40, seed=11)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the hedgesim console script as a user would."""
    exe = Path(sys.executable).with_name("hedgesim")
    env = {**os.environ, "HYDRA_FULL_ERROR": ""}
    env.pop("HYDRA_FULL_ERROR")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def process_running(pid: int) -> bool:
    """Whether a process still runs (a zombie has ended, only not yet reaped by init)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
