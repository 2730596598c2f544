"""A sweep's up-front checks: each config group composed once and each value line once, and the
Ray cluster Hydra's Ray launcher is to join probed before any job."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode

from hedgesim.config.schema import register_configs
from hedgesim.workflows.sweep.callback import AggregateSweep
from hedgesim.workflows.sweep.jobs import CellComposer

LEVELS = ("0", "0.25", "0.5", "0.75", "1")


@pytest.fixture(scope="module")
def composing():
    """Hydra's loader and the sweep's config, as the batched launcher gets them."""
    register_configs()
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://hedgesim.conf"))
    overrides = ["hydra/launcher=batched"]
    master = loader.load_configuration("config", overrides=overrides, run_mode=RunMode.MULTIRUN)
    return loader, master


def grid() -> list[list[str]]:
    """The three challenges at five levels each: 125 jobs."""
    keys = ("challenges.trust", "challenges.vested_interests", "challenges.tension")
    cells = itertools.product(LEVELS, repeat=3)
    return [[f"{k}={v}" for k, v in zip(keys, cell, strict=True)] for cell in cells]


def counted(composer: CellComposer) -> list[int]:
    """The numbers of the jobs ``composer`` composes from now on."""
    composed, configure = [], composer.configure
    composer.configure = lambda job: composed.append(job.num) or configure(job)
    return composed


def test_a_grid_is_checked_by_composing_each_value_once(composing):
    composer = CellComposer(*composing)
    composed = counted(composer)
    composer.check(grid())
    assert composed == [0, 1, 2, 3, 4, 5, 10, 15, 20, 25, 50, 75, 100]


@pytest.mark.parametrize("where", [0, 77, 124])
def test_the_first_job_with_a_bad_value_is_refused_wherever_it_is(composing, where):
    jobs = grid()
    jobs[where][1] = "challenges.vested_interests=lots"
    composer = CellComposer(*composing)
    composed = counted(composer)
    with pytest.raises(ConfigCompositionException, match="challenges.vested_interests=lots"):
        composer.check(jobs)
    assert composed[-1] == where


def test_a_structural_override_composes_its_group(composing):
    jobs = [[*cell, "scenario=forward_2030"] for cell in grid()[:3]] + grid()[:3]
    composer = CellComposer(*composing)
    composed = counted(composer)
    composer.check(jobs)
    assert composed == [0, 1, 2, 3, 4, 5]


# --- Hydra's Ray launcher: the cluster it is to join, probed before any job -------------------

ALLOWED = (
    "allowed: the address of a running cluster (ray start --head, docs/sweeps.md), "
    "or hydra/launcher=ray_local (Ray on this machine)"
)


@pytest.fixture
def closed_port():
    """A loopback ``host:port`` bound but never listening: nobody else can take it meanwhile."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    with held:
        yield f"127.0.0.1:{held.getsockname()[1]}"


def multirun_config(*overrides: str):
    register_configs()
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://hedgesim.conf"))
    return loader.load_configuration("config", overrides=list(overrides), run_mode=RunMode.MULTIRUN)


@pytest.mark.parametrize("by_env", [False, True], ids=["init.address", "RAY_ADDRESS"])
def test_a_ray_cluster_address_where_nothing_listens_is_refused_as_the_sweep_starts(
    closed_port, monkeypatch, capsys, by_env
):
    """``hydra/launcher=ray_cluster`` with no cluster at its address waited on Ray's retries for
    minutes; the sweep's callback probes it for 3 s before any job and says so in one line."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    if by_env:
        monkeypatch.setenv("RAY_ADDRESS", closed_port)
    given = [] if by_env else [f"hydra.launcher.ray.init.address={closed_port}"]
    config = multirun_config("hydra/launcher=ray_cluster", *given)
    with pytest.raises(SystemExit) as stop:
        AggregateSweep().on_multirun_start(config)
    key = "RAY_ADDRESS" if by_env else "hydra.launcher.ray.init.address"
    assert stop.value.code == 1
    assert capsys.readouterr().err.strip() == (
        f"hedgesim: error: {key}={closed_port}: no Ray cluster answers (nothing accepts a connection "
        f"there within 3 s: Connection refused); {ALLOWED}"
    )


@pytest.mark.parametrize("launcher", ["ray_local", "ray_cluster", "batched"])
def test_a_launcher_with_no_address_to_probe_starts(launcher, monkeypatch, capsys):
    """``ray_local`` starts its own Ray, ``ray_cluster``'s ``auto`` without ``RAY_ADDRESS`` is the
    node's own cluster (Ray's to find), and the batched launcher probes as it starts."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    AggregateSweep().on_multirun_start(multirun_config(f"hydra/launcher={launcher}"))
    assert capsys.readouterr().err == ""


def test_a_ray_cluster_sweep_with_nothing_at_its_address_is_one_line_at_once(tmp_path, closed_port):
    exe = Path(sys.executable).with_name("hedgesim")
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "HYDRA_FULL_ERROR")}
    env["RAY_TMPDIR"] = str(tmp_path / "ray")
    address = f"hydra.launcher.ray.init.address={closed_port}"
    line = ["-m", "challenges.trust=0,1", "hydra/launcher=ray_cluster", address, "replicates=2"]
    started = time.monotonic()
    result = subprocess.run(
        [str(exe), *line, f"hydra.sweep.dir={tmp_path / 'mr'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=90,  # Ray alone retried for minutes
    )
    assert time.monotonic() - started < 45
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"hedgesim: error: {address}: no Ray cluster answers (nothing accepts a connection there "
        f"within 3 s: Connection refused); {ALLOWED}"
    )
    assert not (tmp_path / "mr").exists()
