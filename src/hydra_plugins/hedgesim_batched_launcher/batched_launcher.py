"""The batched launcher: Hydra's side of it (the plugin class Hydra instantiates).

Hydra finds launchers only in the ``hydra_plugins`` namespace; the work is done in
:mod:`hedgesim.workflows.sweep.batched`. Hydra executes this module without registering it, so
its annotations are evaluated ones (no ``from __future__ import annotations``).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import List, Optional  # noqa: UP035 (OmegaConf reads typing's generics)

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


@dataclass
class BatchedLauncherConf:
    """``hydra/launcher=batched``: a sweep's cells that differ only in the challenges and the
    parameters run side by side as one ensemble, cut into chunks sized to memory, on local
    processes; each cell comes out value for value as its own run, its folder as under joblib."""

    _target_: str = "hydra_plugins.hedgesim_batched_launcher.batched_launcher.BatchedLauncher"
    n_jobs: int = -1
    """Processes running chunks (-1: one per core)."""
    memory_gb: Optional[float] = None  # noqa: UP045 (OmegaConf reads Optional, not X | None)
    """Memory all chunks running at once may take (None: half this machine's)."""
    backend: str = "local"
    """Where chunks run: local processes, or ray (a running Ray cluster)."""
    ray_address: Optional[str] = None  # noqa: UP045
    """The Ray cluster to join (None: RAY_ADDRESS, else the cluster this node belongs to)."""
    partition: Optional[str] = None  # noqa: UP045
    """backend=slurm: the partition (None: the cluster's default)."""
    timeout_min: int = 60
    """backend=slurm: each task's time limit, in minutes."""
    setup: List[str] = field(default_factory=list)  # noqa: UP006
    """backend=slurm: shell lines each task runs first (e.g. activating the environment)."""


ConfigStore.instance().store(
    group="hydra/launcher", name="batched", node=BatchedLauncherConf, provider="hedgesim"
)


class BatchedLauncher(Launcher):
    """Runs a multirun's cells side by side as ensembles sized to memory, on local processes, a
    Ray cluster or Slurm.

    Args:
        settings: the fields of :class:`BatchedLauncherConf` (``hedgesim.config.batching``).
    """

    def __init__(self, **settings: object) -> None:
        from hedgesim.config.batching import BatchSettings

        if settings.get("setup") is not None:
            settings["setup"] = tuple(settings["setup"])
        self.settings = BatchSettings(**settings)
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None

    def setup(
        self, *, hydra_context: "HydraContext", task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from hedgesim.workflows.sweep.batched import launch

        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        return launch(
            job_overrides, initial_job_idx, self.config, self.hydra_context, self.task_function, self.settings
        )
