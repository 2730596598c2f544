"""Sweeps through real cluster schedulers on this machine (slow): a two-node Ray cluster and a
one-node Slurm cluster, every server on loopback. Each must give the same cells as the basic
launcher, listen on nothing but 127.0.0.1 (or ::1), and be stopped afterwards.

The Slurm daemons run as root: without root the Slurm test is skipped, except in CI (``CI`` set),
where it fails; with root, missing Slurm or munge programs are a failure, never a skip
(scripts/setup-extras installs them). The Ray test needs neither root nor anything beyond the
``test`` extras.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from conftest import ROOT
from test_sweep import assert_same_cells, cell_dirs

# With the suite run in parallel (make test: pytest-xdist, --dist loadgroup), the cluster tests and
# test_sweep's Ray test share one worker and so run one after another: two Ray instances or a
# Ray and a Slurm cluster at once would each see the other's servers and processes. Each also
# holds the suite's cluster lock (conftest.one_cluster_at_a_time), which keeps them apart
# whatever the scheduler does.
pytestmark = pytest.mark.xdist_group("clusters")

# 2 x 2 cells of 2 replicates over the historical timeline (2008-01..2019-12).
GRID = ["challenges.trust=0.2,0.9", "challenges.vested_interests=0.1,0.8"]
BASE = ["replicates=2", "seed=5", "output.figure=false", "output.events=false"]
CELLS = 4
SWEEP_TIMEOUT_S = 300  # a generous bound on a hung scheduler, not a speed check
HEDGESIM = Path(sys.executable).with_name("hedgesim")
RAY = Path(sys.executable).with_name("ray")
CELL_LOG = re.compile(r" - cell \d+ \[([^\]]+)\]")  # a cell's progress line names its folder
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}  # the last: 127.0.0.1 on a dual-stack socket
COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def need_root_here(what: str) -> None:
    """Skip without root outside CI; in CI a missing requirement is a failure, never a skip."""
    if os.geteuid() == 0:
        return
    message = f"the local {what} cluster needs root (its daemons run as root)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def need_tools(tools: list[str], install: str) -> None:
    """Fail, naming what to install, when a tool is missing (scripts/setup-extras installs them)."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    assert not missing, f"{', '.join(missing)} missing: {install}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(pids: set[int]) -> set[tuple[str, int, str]]:
    """(address, port, process name) of every TCP socket listening in one of ``pids``."""
    found = set()
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids:
            try:
                name = psutil.Process(conn.pid).name()
            except psutil.NoSuchProcess:
                continue
            found.add((conn.laddr.ip, conn.laddr.port, name))
    return found


def run_watched(
    args: list[str], cwd: Path, env: dict[str, str], pids: Callable[[], set[int]]
) -> tuple[subprocess.CompletedProcess, set[tuple[str, int, str]]]:
    """Run a sweep in a session of its own; returns it and every socket ``pids()`` listened on
    while it ran."""
    process = subprocess.Popen(
        [str(HEDGESIM), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen: set[tuple[str, int, str]] = set()
    deadline = time.monotonic() + SWEEP_TIMEOUT_S
    try:
        while process.poll() is None and time.monotonic() < deadline:
            seen |= listening(pids() | {process.pid, *session_pids(process.pid)})
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            stop_session(process.pid)
    out, err = process.communicate()
    assert time.monotonic() < deadline, f"the sweep did not end within {SWEEP_TIMEOUT_S} s: {err[-2000:]}"
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), seen


def alive(pid: int) -> bool:
    """Running, or stopped, but not gone and not a zombie waiting for its parent."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def describe(pid: int) -> str:
    """A process as a failure message names it: pid, name, state, parent, UTS namespace, command."""
    try:
        proc = psutil.Process(pid)
        uts = os.readlink(f"/proc/{pid}/ns/uts") if os.path.exists(f"/proc/{pid}/ns/uts") else "?"
        command = " ".join(proc.cmdline())[:200]
        return f"{pid} {proc.name()} {proc.status()} ppid={proc.ppid()} {uts} {command}"
    except (psutil.NoSuchProcess, OSError):
        return f"{pid} (gone)"


def session_pids(sid: int) -> set[int]:
    """Live processes of session ``sid`` (zombies waiting for their parent don't count)."""
    found = set()
    for pid in psutil.pids():
        try:
            if os.getsid(pid) == sid and alive(pid):
                found.add(pid)
        except (ProcessLookupError, PermissionError):
            continue
    return found


def stop_session(sid: int) -> None:
    """TERM every process of session ``sid``, KILL what is left after 5 s, wait for all."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        for pid in session_pids(sid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while session_pids(sid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not session_pids(sid):
            return


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sweep run by Hydra's basic (serial) launcher: what every cluster must give."""
    tmp = tmp_path_factory.mktemp("basic")
    result = subprocess.run(
        [str(HEDGESIM), "-m", *GRID, *BASE, "hydra/launcher=basic", f"hydra.sweep.dir={tmp / 'mr'}"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=SWEEP_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(cell_dirs(tmp / "mr")) == CELLS
    return tmp / "mr"


# --- Ray: a head and a worker node on 127.0.0.1 --------------------------------------------

# RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 is what keeps a Ray node on 127.0.0.1: with it unset, Ray
# replaces a loopback node address by the machine's own and its servers listen on every
# interface. But with it, `ray start --address=...` refuses to add a node. The worker's
# `ray start` is therefore Ray's own command with that one refusal lifted: past the check, the
# node keeps 127.0.0.1 as its address and every process it starts sees the setting. A real
# cluster needs none of this (docs/sweeps.md).
RAY_START_WORKER = """\
import sys
from ray._private import ray_constants, services
from ray.scripts.scripts import main

assert hasattr(ray_constants, "ENABLE_RAY_CLUSTER") and hasattr(services, "resolve_ip_for_localhost")
ray_constants.ENABLE_RAY_CLUSTER = True  # past the refusal to add a node
services.resolve_ip_for_localhost = lambda host: host  # 127.0.0.1 stays the node's address
sys.argv[0] = "ray"
main()
"""


class RayCluster:
    """A head and a worker node started with `ray start`, each in a session of its own.

    Stopped by their sessions, not with `ray stop`, which would stop every Ray on the machine.
    Each node has its own temporary folder (logs and sockets) and one CPU; the dashboard is off,
    token authentication on, with a token of its own.
    """

    def __init__(self, where: Path):
        self.where = where
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.sessions: list[int] = []
        self.env = {
            **os.environ,
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(16),
            "AUTOSCALER_METRIC_PORT": str(free_port()),  # fixed ports by default: taken by another Ray
            "DASHBOARD_METRIC_PORT": str(free_port()),
        }

    def node_dir(self, name: str) -> Path:
        return self.where / name

    def start(self) -> None:
        head = [str(RAY), "start", "--head", f"--port={self.port}", "--include-dashboard=false"]
        self._start("head", [*head, f"--ray-client-server-port={free_port()}"])
        worker = [sys.executable, "-c", RAY_START_WORKER, "start", f"--address={self.address}"]
        self._start("worker", worker)

    def _start(self, name: str, command: list[str]) -> None:
        """Run a node's `ray start` in a session of its own; its daemons stay in that session."""
        folder = self.node_dir(name)
        folder.mkdir(parents=True)
        process = subprocess.Popen(
            [
                *command,
                "--node-ip-address=127.0.0.1",
                f"--dashboard-agent-listen-port={free_port()}",
                "--num-cpus=1",
                f"--temp-dir={folder}",
                "--disable-usage-stats",
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.sessions.append(process.pid)
        out, _ = process.communicate(timeout=120)
        out = COLOURS.sub("", out)
        assert process.returncode == 0, f"ray start ({name}) failed:\n{out[-3000:]}"
        assert "Ray runtime started" in out and "Local node IP: 127.0.0.1" in out, out[-3000:]

    def pids(self) -> set[int]:
        return set().union(*(session_pids(sid) for sid in self.sessions))

    def raylets(self) -> list[int]:
        return [p for p in self.pids() if psutil.Process(p).name() == "raylet"]

    def stop(self) -> None:
        for sid in reversed(self.sessions):
            stop_session(sid)

    def cells_run_by(self, name: str) -> set[str]:
        """Cell folders named in the job logs of a node's Ray workers."""
        logs = self.node_dir(name).glob("session_*/logs/worker-*.out")
        return {m for path in logs for m in CELL_LOG.findall(path.read_text(errors="replace"))}


@pytest.fixture
def ray_cluster(one_cluster_at_a_time) -> Iterator[RayCluster]:
    # a short folder: Ray's unix sockets live in it, and their paths are limited to 107 bytes
    cluster = RayCluster(Path(tempfile.mkdtemp(prefix="ray-")))
    try:
        cluster.start()
        assert len(cluster.raylets()) == 2
        yield cluster
    finally:
        cluster.stop()
        left = cluster.pids()
        shutil.rmtree(cluster.where, ignore_errors=True)
        assert not left, f"Ray processes outlived the cluster: {[describe(p) for p in sorted(left)]}"


def sweep_on_ray(ray_cluster: RayCluster, launcher: list[str], reference: Path, tmp_path: Path):
    """The grid through ``launcher`` on the two-node Ray cluster (``RAY_ADDRESS`` set): the same
    cells as the basic launcher, every cell run on one node or the other and both nodes used,
    nothing beyond loopback.

    Returns:
        The sweep's completed process and the sockets seen listening while it ran.
    """
    env = {**ray_cluster.env, "RAY_ADDRESS": ray_cluster.address}
    folder = tmp_path / "mr"
    args = ["-m", *GRID, *BASE, *launcher, f"hydra.sweep.dir={folder}"]
    result, seen = run_watched(args, tmp_path, env, ray_cluster.pids)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_cells(folder, reference)
    beyond = {s for s in seen if s[0] not in LOOPBACK}
    assert not beyond, f"the Ray cluster listened beyond loopback: {sorted(beyond)}"
    on_head, on_worker = ray_cluster.cells_run_by("head"), ray_cluster.cells_run_by("worker")
    assert on_head and on_worker, (on_head, on_worker)  # both nodes ran cells
    assert on_head | on_worker == {c.name for c in cell_dirs(folder)}
    return result, seen


@pytest.mark.slow
def test_a_two_node_ray_cluster_gives_the_same_cells(reference, ray_cluster, tmp_path):
    """`ray start --head` plus `ray start --address=127.0.0.1:<port>`, then the documented
    command: hydra/launcher=ray_cluster (address auto) with RAY_ADDRESS set."""
    spread = "+hydra.launcher.ray.remote.scheduling_strategy=SPREAD"  # cells on both nodes
    result, seen = sweep_on_ray(ray_cluster, ["hydra/launcher=ray_cluster", spread], reference, tmp_path)
    assert "Connecting to existing Ray cluster" in result.stderr + result.stdout
    names = {name for _, _, name in seen}
    assert {"gcs_server", "raylet"} <= names and ray_cluster.port in {port for _, port, _ in seen}


@pytest.mark.slow
def test_the_batched_launcher_runs_its_chunks_on_a_two_node_ray_cluster(reference, ray_cluster, tmp_path):
    """hydra/launcher=batched with backend=ray: one chunk per CPU of the cluster (two), spread
    over both nodes; the same cells as the basic launcher, nothing beyond loopback."""
    launcher = ["hydra/launcher=batched", "hydra.launcher.backend=ray"]
    result, _ = sweep_on_ray(ray_cluster, launcher, reference, tmp_path)
    assert "Batched launcher: 4 jobs in 2 chunks on 2 Ray workers" in result.stderr + result.stdout


# --- Slurm: munged, slurmctld and slurmd on 127.0.0.1 (scripts/slurm-local) -----------------

SLURM_LOCAL = ROOT / "scripts" / "slurm-local"
SLURM_TOOLS = ["munged", "mungekey", "slurmctld", "slurmd", "sinfo", "sbatch", "srun", "unshare"]
SLURM_INSTALL = "scripts/setup-extras installs Debian's slurmctld, slurmd, slurm-client and munge"
# What a Slurm cluster runs: the daemons, the step daemon and srun of each job, munge.
SLURM_PROCESSES = {"slurmctld", "slurmscriptd", "slurmd", "slurmstepd", "srun", "munged"}


def slurm_pids() -> set[int]:
    return {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in SLURM_PROCESSES}


def slurm_conf(conf: Path) -> dict[str, str]:
    """The settings of a slurm.conf, by name (a node's or partition's line under its first key)."""
    lines = conf.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pytest.fixture
def slurm_cluster(one_cluster_at_a_time) -> Iterator[Path]:
    """A one-node cluster from scripts/slurm-local, stopped (and checked stopped) afterwards."""
    need_root_here("Slurm")
    need_tools(SLURM_TOOLS, SLURM_INSTALL)
    before = slurm_pids()
    # a short folder: munged's and slurmd's unix sockets live in it (paths of at most 107 bytes)
    where = Path(tempfile.mkdtemp(prefix="slurm-"))
    try:
        started = subprocess.run(
            [str(SLURM_LOCAL), "start", str(where)], capture_output=True, text=True, timeout=120
        )
        logs = "".join(p.read_text(errors="replace")[-1500:] for p in where.glob("**/*.log"))
        assert started.returncode == 0, started.stderr + logs
        yield where / "slurm.conf"
    finally:
        cluster = slurm_pids() - before
        stopped = subprocess.run(
            [str(SLURM_LOCAL), "stop", str(where)], capture_output=True, text=True, timeout=120
        )
        left = {pid for pid in cluster if alive(pid)}
        shutil.rmtree(where, ignore_errors=True)
        assert stopped.returncode == 0, stopped.stderr
        described = [describe(p) for p in sorted(left)]
        assert not left, f"Slurm processes outlived the cluster: {described}; stop said: {stopped.stderr}"


def sweep_on_slurm(slurm_cluster: Path, launcher: list[str], reference: Path, tmp_path: Path, tasks: int):
    """The grid through ``launcher`` on the local Slurm cluster: the same cells as the basic
    launcher, ``tasks`` array tasks run by slurmd that name every cell, nothing beyond loopback.

    Returns:
        The sweep's completed process and the sockets seen listening while it ran.
    """
    env = {**os.environ, "SLURM_CONF": str(slurm_cluster)}
    folder = tmp_path / "mr"
    result, seen = run_watched(
        ["-m", *GRID, *BASE, *launcher, f"hydra.sweep.dir={folder}"], tmp_path, env, slurm_pids
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_cells(folder, reference)
    ran = sorted(folder.glob(".submitit/*_*/*_0_log.out"))  # <array job>_<task>/: one per task
    assert len(ran) == tasks, ran
    logs = [path.read_text(errors="replace") for path in ran]
    assert all("hostname=localhost" in log for log in logs)  # run by slurmd, as node localhost
    assert {m for log in logs for m in CELL_LOG.findall(log)} == {c.name for c in cell_dirs(folder)}
    beyond = {s for s in seen if s[0] not in LOOPBACK}
    assert not beyond, f"the Slurm cluster listened beyond loopback: {sorted(beyond)}"
    return result, seen


@pytest.mark.slow
def test_a_one_node_slurm_cluster_gives_the_same_cells(reference, slurm_cluster, tmp_path):
    """hydra/launcher=slurm (submitit): one array job of 4 tasks, 2 at a time, on partition debug."""
    conf = slurm_conf(slurm_cluster)
    launcher = [
        "hydra/launcher=slurm",
        "hydra.launcher.partition=debug",
        "hydra.launcher.timeout_min=5",
        "hydra.launcher.mem_gb=1",
        "hydra.launcher.array_parallelism=2",
    ]
    _, seen = sweep_on_slurm(slurm_cluster, launcher, reference, tmp_path, tasks=CELLS)
    ports = {(name, port) for _, port, name in seen}
    assert ("slurmctld", int(conf["SlurmctldPort"])) in ports and ("slurmd", int(conf["SlurmdPort"])) in ports
    low, high = map(int, conf["SrunPortRange"].split("-"))
    assert any(name == "srun" and low <= port <= high for name, port in ports)  # each job's srun


@pytest.mark.slow
def test_the_batched_launcher_runs_its_chunks_as_a_slurm_array(reference, slurm_cluster, tmp_path):
    """hydra/launcher=batched with backend=slurm: one array job of 2 tasks (chunks of 2 cells),
    run by slurmd; the same cells as the basic launcher, nothing beyond loopback."""
    launcher = [
        "hydra/launcher=batched",
        "hydra.launcher.backend=slurm",
        "hydra.launcher.n_jobs=2",
        "hydra.launcher.partition=debug",
        "hydra.launcher.timeout_min=5",
    ]
    result, _ = sweep_on_slurm(slurm_cluster, launcher, reference, tmp_path, tasks=2)
    assert "Batched launcher: 4 jobs in 2 chunks on 2 Slurm tasks" in result.stderr + result.stdout
