"""The batched launcher's settings (``hydra.launcher.*`` under ``hydra/launcher=batched``),
checked with the rest of the command line before any job starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import BYTES_PER_REPLICATE_MONTH, machine_memory

LAUNCHER = "hydra_plugins.hedgesim_batched_launcher.batched_launcher.BatchedLauncher"
"""The batched launcher's class, as ``hydra.launcher._target_`` names it."""


@dataclass(frozen=True)
class BatchSettings:
    """How the batched launcher cuts a sweep and where it runs the chunks.

    Args:
        n_jobs: processes running chunks (-1: one per core).
        memory_gb: memory all chunks running at once may take; None: half this machine's.

    Raises:
        ConfigError: a value out of range, in one line.
    """

    n_jobs: int = -1
    memory_gb: float | None = None

    def __post_init__(self) -> None:
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
        return cls(n_jobs=launcher.get("n_jobs", -1), memory_gb=launcher.get("memory_gb"))

    def workers(self) -> int:
        """How many processes run chunks."""
        return max(1, os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    def replicate_months(self) -> int:
        """The replicate-months one chunk may hold, so that all workers fit in memory together."""
        total = machine_memory() / 2 if self.memory_gb is None else self.memory_gb * 1e9
        return max(1, int(total / self.workers() / BYTES_PER_REPLICATE_MONTH))
