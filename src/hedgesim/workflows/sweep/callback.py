"""The Hydra callback of a sweep: a running count of finished cells, then the aggregation.

Configured in conf/hydra/default.yaml under ``hydra.callbacks.aggregate``. ``on_job_end``
runs in whichever worker ran the job, so the count is read from the folder, not kept here.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from hedgesim.workflows.results import MANIFEST
from hedgesim.workflows.run import ERROR
from hedgesim.workflows.sweep.aggregate import aggregate, report
from hedgesim.workflows.sweep.plan import MULTIRUN, CellKey, planned_cells


class AggregateSweep(Callback):
    """Hydra callback: counts finished cells as jobs end, aggregates when the multirun ends.

    Its arguments are those of :func:`hedgesim.workflows.sweep.aggregate.aggregate`. When
    cells failed or are missing it says so and exits 1 after aggregating the rest, so scripts
    notice and a re-run can fill the gaps.
    """

    def __init__(self, fans: Sequence[str] | None = None, figures: bool = True, n_jobs: int = 1):
        self.fans = list(fans) if fans else None
        self.figures = figures
        self.n_jobs = n_jobs

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Print the count of finished cells (runs in the worker that ran the job)."""
        folder = Path(str(OmegaConf.select(config, "hydra.sweep.dir", default="")))
        if not (folder / MULTIRUN).is_file():
            return
        finished, total = progress(folder)
        sys.stderr.write(f"hedgesim: {finished}/{total if total is not None else '?'} cells finished\n")
        sys.stderr.flush()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the whole folder and report; exits 1 when some cell is not complete."""
        folder = Path(str(config.hydra.sweep.dir))
        report(folder, aggregate(folder, self.fans, self.figures, self.n_jobs))


def progress(folder: Path) -> tuple[int, int | None]:
    """(finished cells, planned cells or None): for the running count of a sweep.

    A cell counts as finished when it wrote its manifest or its error, whichever launcher ran it.
    """
    plan = _cached_plan(str(folder / MULTIRUN), (folder / MULTIRUN).stat().st_mtime_ns)
    done = {p.parent for p in folder.rglob(MANIFEST)} | {p.parent for p in folder.rglob(ERROR)}
    return len(done), (len(plan) if plan is not None else None)


@functools.lru_cache(maxsize=4)
def _cached_plan(path: str, mtime: int) -> list[CellKey] | None:
    """The plan of a running sweep, read once per worker process (and again if it changes)."""
    return planned_cells(OmegaConf.load(path))
