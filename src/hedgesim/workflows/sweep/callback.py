"""The Hydra callback of a sweep: a running count of finished cells, then the aggregation.

Configured in conf/hydra/default.yaml under ``hydra.callbacks.aggregate``. ``on_job_end``
runs in whichever worker ran the job, so the count is kept in the sweep folder (``.count.json``),
updated and printed under a lock (``.count.lock``) so that two workers never print one count.
Hydra turns an exception raised by a callback into a warning and exits 0, so the aggregation's
failures are caught here and become one line and a non-zero exit status.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from hedgesim.workflows.results import MANIFEST, write_text
from hedgesim.workflows.run import ERROR
from hedgesim.workflows.sweep.aggregate import EXIT_FAILED, aggregate, failure, report
from hedgesim.workflows.sweep.figures import FIGURES, check_fans
from hedgesim.workflows.sweep.plan import (
    DATASET,
    MULTIRUN,
    CellKey,
    SweepError,
    cell_key,
    planned_cells,
    read_yaml,
    swept_keys,
)
from hedgesim.workflows.sweep.ray_address import check_ray_launcher

FANS = "hydra.callbacks.aggregate.fans"
EXIT_USAGE = 2
"""The exit status of a setting refused before any cell runs, as for the command line's."""


class AggregateSweep(Callback):
    """Hydra callback: counts finished cells as jobs end, aggregates when the multirun ends.

    Its arguments are those of :func:`hedgesim.workflows.sweep.aggregate.aggregate`. When
    cells failed or are missing it says so and exits 1 after aggregating the rest, so scripts
    notice and a re-run can fill the gaps; when the aggregation itself fails (a full disk, a
    folder it cannot write) it says why in one line and exits 1 too.
    """

    def __init__(
        self, fans: Sequence[str] | str | Mapping | None = None, figures: bool = True, n_jobs: int = 1
    ):
        alone = isinstance(fans, str | Mapping)  # one cell, given alone (not letter by letter)
        fans = [fans] if alone else fans
        self.fans = list(fans) if fans else None
        self.figures = figures
        self.n_jobs = n_jobs

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Refuse, before any cell runs, a Ray cluster address where nothing listens for Hydra's
        Ray launcher (one line, exit 1: ``ray_address.check_ray_launcher``), and fan cells the
        aggregation at the end would refuse (a misspelt key): one line and exit 2, as the
        command line's own mistakes."""
        check_ray_launcher(config)
        if not self.fans:
            return
        try:
            cells = planned_cells(config)
            if cells is not None:  # another sweeper: only the cells it ran will tell the keys
                check_fans(self.fans, [k for k in swept_keys(cells) if not k.startswith("hydra.")], FANS)
        except SweepError as err:
            print(f"hedgesim: error: {err}", file=sys.stderr, flush=True)
            raise SystemExit(EXIT_USAGE) from None

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Print the count of finished cells (runs in the worker that ran the job)."""
        folder = Path(str(OmegaConf.select(config, "hydra.sweep.dir", default="")))
        if not (folder / MULTIRUN).is_file():
            return
        cell = cell_key(OmegaConf.select(config, "hydra.overrides.task", default=[]) or [])
        count_finished(folder, cell)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the whole folder and report; exits 1 when some cell is not complete or the
        aggregation fails."""
        folder = Path(str(config.hydra.sweep.dir))
        try:
            table = aggregate(folder, self.fans, self.figures, self.n_jobs)
        except Exception as err:  # Hydra would make it a warning and exit 0
            print(failure("hedgesim", folder, err), file=sys.stderr, flush=True)
            raise SystemExit(EXIT_FAILED) from None
        report(folder, table)


COUNT, COUNT_LOCK = ".count.json", ".count.lock"


def count_finished(folder: Path, cell: CellKey) -> tuple[int, int | None]:
    """Count a cell whose job ended and print the running count: (counted, planned or None).

    The count is of the jobs of this run of the sweep that ended (every planned cell has a job,
    a cell complete already too), not of the folders finished: two jobs that end together would
    both see the other's folder and print the same count. Under the lock a worker adds its cell
    to the cells counted, writes them back and prints, so each cell counts once and the counts
    printed only rise. The count restarts when Hydra writes ``multirun.yaml`` anew (a re-run).
    """
    stamp = (folder / MULTIRUN).stat().st_mtime_ns
    plan = _cached_plan(str(folder / MULTIRUN), stamp)
    with _locked(folder / COUNT_LOCK):
        counted = _counted(folder / COUNT, stamp)
        if plan is None or cell in set(plan):
            counted.add(tuple(cell))
        cells = sorted(counted)
        write_text(json.dumps({"multirun": stamp, "cells": cells}) + "\n", folder / COUNT)
        total = len(plan) if plan is not None else None
        sys.stderr.write(f"hedgesim: {len(cells)}/{total if total is not None else '?'} cells finished\n")
        sys.stderr.flush()
    return len(cells), total


def _counted(path: Path, stamp: int) -> set[tuple[str, ...]]:
    """The cells counted so far in this run of the sweep (none when the record is another run's)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(record, dict) or record.get("multirun") != stamp:
        return set()
    return {tuple(cell) for cell in record.get("cells", [])}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if need be) across processes and, on a shared
    file system that supports it, machines; without ``fcntl`` (Windows) the block runs unlocked."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:  # a shared file system without locks: a count printed twice is the worst
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def progress(folder: Path) -> tuple[int, int | None]:
    """(finished cells, planned cells or None), as the folder holds them: how far a sweep got,
    whatever run of it finished the cells (the running count is :func:`count_finished`'s).

    A cell counts as finished when it wrote its manifest or its error, whichever launcher ran
    it; with a plan, only the planned cells count (folders of an earlier, other sweep into the
    same folder do not), so the count never exceeds the plan.
    """
    plan = _cached_plan(str(folder / MULTIRUN), (folder / MULTIRUN).stat().st_mtime_ns)
    done = finished_folders(folder)
    if plan is None:
        return len(done), None
    planned = set(plan)
    finished = {key for key in map(_overrides_of, sorted(done)) if key in planned}
    return len(finished), len(plan)


def finished_folders(folder: Path) -> set[str]:
    """Folders under ``folder`` holding a manifest or an error: cells that finished.

    Each finished job counts them, so this looks only where cell folders are (not into a
    finished cell, Hydra's ``.hydra/``, temporaries or the sweep's own outputs: the dataset holds
    a folder per cell), and with plain strings, which take a fraction of pathlib's time.
    """
    found: set[str] = set()
    skipped = (DATASET, FIGURES)
    pending = [os.fspath(folder)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name in skipped or not entry.is_dir():
                    continue
                if any(os.path.exists(os.path.join(entry.path, name)) for name in (MANIFEST, ERROR)):
                    found.add(entry.path)
                else:
                    pending.append(entry.path)  # running, or a level above the cells
        skipped = ()
    return found


def _overrides_of(cell: str) -> CellKey | None:
    """The cell a folder ran, from its ``.hydra/overrides.yaml``; None when it has none."""
    path = os.path.join(cell, ".hydra", "overrides.yaml")
    try:
        return _cached_overrides(path, os.stat(path).st_mtime_ns)
    except (OSError, yaml.YAMLError):  # gone, or being written by its job
        return None


@functools.lru_cache(maxsize=4096)
def _cached_overrides(path: str, mtime: int) -> CellKey:
    """A cell folder's overrides, read once per worker process (and again if they change)."""
    return cell_key(read_yaml(Path(path)) or [])


@functools.lru_cache(maxsize=4)
def _cached_plan(path: str, mtime: int) -> list[CellKey] | None:
    """The plan of a running sweep, read once per worker process (and again if it changes)."""
    return planned_cells(OmegaConf.load(path))
