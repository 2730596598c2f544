"""Batched sweeps: a multirun's cells simulated side by side as ensembles, then each cell's folder
written by the same job code as under any other launcher.

Cells whose runs differ only in the challenge levels and mechanism parameters (numbers the
model takes per replicate) share an ensemble: each cell's replicates sit beside the others' on
the replicate axis with their own ids, so each cell's numbers are exactly those of its own run.
Ensembles are cut into chunks sized to memory and run in parallel processes (forked from the
driver where the system can, ``workflows.processes``); each chunk hands
every cell, as Hydra's ``run_job`` would (:mod:`.cell_job`), to the application's own task
function, which finds the cell's ensemble ready (``workflows.run.READY``) instead of
simulating it, and writes the folder as usual.

Jobs are composed once per distinct set of config-group overrides (:mod:`.jobs`), in the
workers, which then reuse one config per group.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hedgesim.config.batching import BatchSettings
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import BYTES_PER_REPLICATE_MONTH, RunSpec, build_job_run
from hedgesim.workflows import processes
from hedgesim.workflows.ensembles import MAX_CHUNK, PER_REPLICATE, simulate
from hedgesim.workflows.results import is_complete
from hedgesim.workflows.run import READY, Ready, already_done, quiet_mesa
from hedgesim.workflows.sweep.cell_job import run_cell_job, use_hydra_config
from hedgesim.workflows.sweep.jobs import CellComposer, Job
from hedgesim.workflows.sweep.ray_address import no_cluster, probe
from hedgesim.workflows.sweep.ray_address import unreachable as unreachable  # batched.unreachable, as before

log = logging.getLogger(__name__)


# --- planning -------------------------------------------------------------------------------


def job_folder(cfg: DictConfig) -> Path:
    """Where a configured job writes (``hydra.sweep.dir``/``hydra.sweep.subdir``)."""
    use_hydra_config(cfg)
    return Path(str(cfg.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)


def chunks(
    composer: CellComposer, jobs: Sequence[Job], settings: BatchSettings, workers: int
) -> list[list[Job]]:
    """Jobs grouped into ensembles (equal but for the challenges and parameters), each group cut
    into chunks that fit in memory, as many as the workers or a multiple of them, of near-equal
    size, so that the workers finish together.

    A job whose config does not build gets a chunk of its own: its job then fails and says why.
    """
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.ensemble_key(), []).append(job)
    plan = []
    for members in groups.values():
        try:
            spec = build_job_run(composer.configure(members[0]))
        except ConfigError:
            plan += [[job] for job in members]
            continue
        size = len(spec.replicate_ids) * spec.calendar.n_steps
        plan += _cut(members, size, min(settings.replicate_months(workers), MAX_CHUNK), workers)
    return plan


def _cut(members: list[Job], size: int, room: int, workers: int) -> list[list[Job]]:
    """``members`` in consecutive chunks: at least one per worker, more when ``room`` (the
    replicate-months a chunk may hold) asks."""
    fit = max(1, room // size)
    count = max(-(-len(members) // fit), min(workers, len(members)))
    count = min(len(members), -(-count // workers) * workers)
    per_chunk = -(-len(members) // count)
    return [members[i : i + per_chunk] for i in range(0, len(members), per_chunk)]


def batch_key(spec: RunSpec) -> RunSpec:
    """What runs sharing an ensemble must have in common: all but the per-replicate parts and the
    replicate ids."""
    blank = dict.fromkeys(PER_REPLICATE)
    return dataclasses.replace(spec, **blank, replicate_ids=(), shocks_used=None)


# --- running --------------------------------------------------------------------------------


def to_simulate(composer: CellComposer, jobs: Sequence[Job]) -> dict[Path, RunSpec]:
    """The runs of the jobs that need simulating, by folder: not those complete already for the
    same config (they are skipped) nor those whose config does not build (they fail)."""
    runs = {}
    for job in jobs:
        cfg = composer.configure(job)
        folder = job_folder(cfg)
        if is_complete(folder) and already_done(composer.task_config(job), folder):
            continue
        try:
            runs[folder.resolve()] = build_job_run(cfg)
        except ConfigError:
            continue
    return runs


def make_ready(runs: dict[Path, RunSpec]) -> None:
    """Simulate the runs, those equal but for their challenges and parameters as one ensemble
    each, and leave every run's part in ``READY`` for its job."""
    groups: list[tuple[RunSpec, list[Path]]] = []
    for folder, spec in runs.items():
        key = batch_key(spec)
        match = next((members for known, members in groups if known == key), None)
        if match is None:
            groups.append((key, [folder]))
        else:
            match.append(folder)
    for _, folders in groups:
        model, slices, seconds = simulate([runs[f] for f in folders])
        replicates = sum(part.stop - part.start for part in slices)
        for folder, part in zip(folders, slices, strict=True):
            share = seconds * (part.stop - part.start) / replicates
            READY[folder] = Ready(runs[folder], model.part(part), share)


def run_chunk(
    jobs: Sequence[Job],
    master: DictConfig,
    hydra_context: HydraContext,
    task_function: TaskFunction,
    singleton_state: dict[Any, Any],
    sweep: str | None = None,
) -> list[JobReturn]:
    """A chunk's jobs (in a worker process): simulated together, then each run as a Hydra job by
    the application's task function, which finds its ensemble ready.

    Args:
        sweep: the sweep's id, so a process composes its chunks with one composer.
    """
    setup_globals()
    Singleton.set_state(singleton_state)
    quiet_mesa()  # forked workers inherit Hydra's log handlers
    composer = CellComposer.of(hydra_context.config_loader, master, sweep)
    try:
        make_ready(to_simulate(composer, jobs))
        returns = []
        for job in jobs:
            config = composer.configure(job)
            returns.append(run_cell_job(hydra_context, task_function, config, composer.task_config(job)))
        return returns
    finally:
        READY.clear()


def launch(
    job_overrides: Sequence[Sequence[str]],
    first_num: int,
    config: DictConfig,
    hydra_context: HydraContext,
    task_function: TaskFunction,
    settings: BatchSettings,
) -> list[JobReturn]:
    """Plan the chunks and run them (local processes, Ray or Slurm); the jobs' returns, in order."""
    setup_globals()
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    Path(str(config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    master = HydraConfig.instance().cfg
    composer = CellComposer.of(hydra_context.config_loader, config)
    jobs = [composer.job(lines, num) for num, lines in enumerate(job_overrides, first_num)]
    cpus = _join_ray(settings) if settings.backend == "ray" else None
    workers = settings.workers(cpus)
    try:
        plan = chunks(composer, jobs, settings, workers)
    finally:
        HydraConfig.instance().cfg = master
    log.info(
        "Batched launcher: %d jobs in %d chunks on %d %s, sweep output dir: %s",
        len(jobs),
        len(plan),
        min(workers, len(plan)),
        {"local": "processes", "ray": "Ray workers", "slurm": "Slurm tasks"}[settings.backend],
        config.hydra.sweep.dir,
    )
    sweep = uuid.uuid4().hex
    state = Singleton.get_state()  # a deep copy of Hydra's registries: once, not per chunk
    tasks = [(chunk, config, hydra_context, task_function, state, sweep) for chunk in plan]
    mem_gb = _chunk_gb(composer, plan) if settings.backend == "slurm" else 0
    runs = _run(tasks, settings, min(workers, len(plan)), mem_gb)
    returns = {
        job.num: ret
        for chunk, rets in zip(plan, runs, strict=True)
        for job, ret in zip(chunk, rets, strict=True)
    }
    return [returns[job.num] for job in jobs]


def _run(tasks: list[tuple], settings: BatchSettings, workers: int, mem_gb: int) -> list[list[JobReturn]]:
    """Run the chunks where the settings say: Ray, Slurm, local processes, or here (one worker)."""
    if settings.backend == "ray":
        return _on_ray(tasks)
    if settings.backend == "slurm":
        return _on_slurm(tasks, settings, Path(str(tasks[0][1].hydra.sweep.dir)), mem_gb)
    if workers <= 1:
        return [run_chunk(*task) for task in tasks]
    processes.warm_engine()
    return processes.starmap(run_chunk, tasks, workers)


KEY, INSTEAD = "hydra.launcher.ray_address", "hydra.launcher.backend=local"
"""The batched launcher's key for the Ray cluster, and what a sweep may do without one."""


def _join_ray(settings: BatchSettings) -> int:
    """Join the Ray cluster (``ray_address``, else Ray's own choice); its CPUs.

    An address where nothing listens is refused after a short probe (``ray_address.probe``):
    Ray itself retries it for minutes before it gives up.
    """
    import ray

    if not ray.is_initialized():
        address = settings.ray_address or "auto"
        probe(KEY, address, INSTEAD)
        try:
            ray.init(address=address, log_to_driver=True)
        except ConnectionError as err:  # no cluster there: one line, before any job
            no_cluster(KEY, address, (str(err).splitlines() or ["no answer"])[0], INSTEAD)
    return int(ray.cluster_resources().get("CPU", 1))


def _on_ray(tasks: list[tuple]) -> list[list[JobReturn]]:
    """Run the chunks as Ray tasks of one CPU each, spread over the cluster's nodes."""
    import ray

    remote = ray.remote(num_cpus=1, scheduling_strategy="SPREAD")(run_chunk)
    return ray.get([remote.remote(*task) for task in tasks])


def _chunk_gb(composer: CellComposer, plan: list[list[Job]]) -> int:
    """The memory to ask for each Slurm task: the largest chunk's estimate, plus 1 GB to start."""
    largest = 0
    for chunk in plan:
        try:
            spec = build_job_run(composer.configure(chunk[0]))
        except ConfigError:
            continue
        largest = max(largest, len(chunk) * len(spec.replicate_ids) * spec.calendar.n_steps)
    return 1 + -(-largest * BYTES_PER_REPLICATE_MONTH // 10**9)


def _on_slurm(
    tasks: list[tuple], settings: BatchSettings, sweep_dir: Path, mem_gb: int
) -> list[list[JobReturn]]:
    """Run the chunks as one Slurm array job through submitit (its files in ``.submitit/``), at
    most ``n_jobs`` tasks at once, and wait for them."""
    import submitit

    executor = submitit.AutoExecutor(folder=sweep_dir / ".submitit" / "%j", cluster="slurm")
    executor.update_parameters(
        timeout_min=settings.timeout_min,
        cpus_per_task=1,
        mem_gb=mem_gb,
        slurm_array_parallelism=settings.workers(),
        slurm_setup=list(settings.setup),
        name="hedgesim-batched",
        **({"slurm_partition": settings.partition} if settings.partition else {}),
    )
    jobs = executor.map_array(run_chunk, *zip(*tasks, strict=True))
    return [job.result() for job in jobs]
