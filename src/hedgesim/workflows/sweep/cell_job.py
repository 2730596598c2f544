"""One job of a batched sweep, run as Hydra's ``run_job`` runs it, without copying its config.

Hydra's ``run_job`` copies the job's config twice and writes ``.hydra/`` with OmegaConf's
pure-Python YAML emitter: about 0.1 s a job, more than writing the cell's tables. The batched
launcher holds each job's config and its application part already (reused per group, see
:mod:`.jobs`), so this does the same steps in the same order from them: the output folder, the
job's logging, ``.hydra/config.yaml``, ``hydra.yaml`` and ``overrides.yaml`` (byte for byte
what Hydra writes), the environment, the callbacks around the task function, the job's return.

The returned JobReturn carries the status, return value, overrides and working folder; not the
configs, which the launcher reuses for the next job (they are in the job's ``.hydra/``).
"""

from __future__ import annotations

import os
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobRuntime, JobStatus, _flush_loggers, configure_log, env_override
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from hedgesim.config import shared_parts
from hedgesim.config.spec import config_text
from hedgesim.workflows.results import write_text


def run_cell_job(
    hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig, task: DictConfig
) -> JobReturn:
    """Run one job of a sweep (``hydra.sweep.dir``/``hydra.sweep.subdir``).

    Args:
        hydra_context: the sweep's Hydra context (its callbacks are called around the task).
        task_function: the application's task function.
        config: the job's whole config (Hydra's node included).
        task: the job's config without Hydra's node, what the task function receives.
    """
    original = HydraConfig.instance().cfg
    use_hydra_config(config)
    output_dir = Path(str(config.hydra.sweep.dir)) / str(config.hydra.sweep.subdir)
    with read_write(config.hydra.runtime), open_dict(config.hydra.runtime):
        config.hydra.runtime.output_dir = os.path.abspath(output_dir)
    old_cwd = os.getcwd()
    chdir = bool(config.hydra.job.chdir)  # None reads as False from version_base 1.2 on
    try:
        ret = JobReturn(overrides=list(config.hydra.overrides.task))
        output_dir.mkdir(parents=True, exist_ok=True)
        if chdir:
            os.chdir(output_dir)
        ret.working_dir = os.getcwd()
        configure_log(config.hydra.job_logging, config.hydra.verbose)
        if config.hydra.output_subdir is not None:
            _save_job_configs(
                config, task, Path(config.hydra.runtime.output_dir) / config.hydra.output_subdir
            )
        with env_override(dict(config.hydra.job.env_set)):
            hydra_context.callbacks.on_job_start(config=config, task_function=task_function)
            try:
                ret.return_value = task_function(task)
                ret.status = JobStatus.COMPLETED
            except Exception as err:  # as run_job: the sweep goes on, the return says why
                ret.return_value = err
                ret.status = JobStatus.FAILED
        ret.task_name = JobRuntime.instance().get("name")
        _flush_loggers()
        ret.cfg, ret.hydra_cfg = task, HydraConfig.instance().cfg
        hydra_context.callbacks.on_job_end(config=config, job_return=ret)
        ret.cfg = ret.hydra_cfg = None  # reused by the next job: the files in .hydra/ keep them
        return ret
    finally:
        HydraConfig.instance().cfg = original
        if chdir:
            os.chdir(old_cwd)


def use_hydra_config(config: DictConfig) -> None:
    """Make ``config``'s Hydra node the current one (``HydraConfig.get()``), as Hydra's
    ``set_config`` does, but without its deep copy of the node (more time than writing a job's
    tables): the job's config stands in itself, its Hydra node read-only as ``set_config``
    leaves it, so interpolations from the Hydra node into the application's part still resolve."""
    OmegaConf.set_readonly(config.hydra, True)
    HydraConfig.instance().cfg = config  # type: ignore[assignment]


def _save_job_configs(config: DictConfig, task: DictConfig, folder: Path) -> None:
    """``.hydra/config.yaml``, ``hydra.yaml`` and ``overrides.yaml``, as Hydra writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    hydra = {"hydra": shared_parts.to_container(config.hydra, resolve=False, enum_to_str=True)}
    write_text(
        config_text(shared_parts.to_container(task, resolve=False, enum_to_str=True)), folder / "config.yaml"
    )
    write_text(config_text(hydra), folder / "hydra.yaml")
    write_text(config_text(list(config.hydra.overrides.task)), folder / "overrides.yaml")
