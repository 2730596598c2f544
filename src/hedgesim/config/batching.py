"""The batched launcher's settings (``hydra.launcher.*`` under ``hydra/launcher=batched``),
checked with the rest of the command line before any job starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import BYTES_PER_REPLICATE_MONTH, machine_memory

BACKENDS = ("local", "ray", "slurm")
"""Where the batched launcher runs its chunks."""
LAUNCHER = "hydra_plugins.hedgesim_batched_launcher.batched_launcher.BatchedLauncher"
"""The batched launcher's class, as ``hydra.launcher._target_`` names it."""


@dataclass(frozen=True)
class BatchSettings:
    """How the batched launcher cuts a sweep and where it runs the chunks.

    Args:
        n_jobs: processes running chunks at once (-1: one per core here; on Ray, one per CPU of
            the cluster).
        memory_gb: memory all chunks running at once may take; None: half this machine's.
        backend: where chunks run: ``local`` processes, ``ray`` (a running Ray cluster) or
            ``slurm`` (one Slurm array task per chunk, through submitit).
        ray_address: the Ray cluster to join; None: Ray's own choice (``RAY_ADDRESS``, else the
            cluster this node belongs to).
        partition: the Slurm partition (None: the cluster's default).
        timeout_min: each Slurm task's time limit, in minutes.
        setup: shell lines each Slurm task runs first (e.g. activating the environment).

    Raises:
        ConfigError: a value out of range, in one line.
    """

    n_jobs: int = -1
    memory_gb: float | None = None
    backend: str = "local"
    ray_address: str | None = None
    partition: str | None = None
    timeout_min: int = 60
    setup: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"hydra.launcher.backend={self.backend!r}; allowed: {', '.join(BACKENDS)}")
        if not (self.n_jobs == -1 or self.n_jobs >= 1):
            raise ConfigError(
                f"hydra.launcher.n_jobs={self.n_jobs}; allowed: -1 (one per core) or a count >= 1"
            )
        if self.memory_gb is not None and not self.memory_gb > 0:
            raise ConfigError(
                f"hydra.launcher.memory_gb={self.memory_gb}; allowed: a number of GB > 0, or null"
            )

    @classmethod
    def of(cls, launcher: Any) -> BatchSettings | None:
        """The settings of a composed ``hydra.launcher`` node; None for another launcher."""
        if launcher is None or launcher.get("_target_") != LAUNCHER:
            return None
        known = {
            f: launcher.get(f) for f in ("n_jobs", "memory_gb", "backend", "ray_address") if f in launcher
        }
        return cls(**known)

    def workers(self, cpus: int | None = None) -> int:
        """How many chunks run at once: ``n_jobs``, else one per CPU (``cpus``: a cluster's)."""
        return max(1, cpus or os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    def replicate_months(self, workers: int) -> int:
        """The replicate-months one chunk may hold, so that ``workers`` chunks fit in memory."""
        total = machine_memory() / 2 if self.memory_gb is None else self.memory_gb * 1e9
        return max(1, int(total / workers / BYTES_PER_REPLICATE_MONTH))
