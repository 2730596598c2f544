"""Scoring a batch of trials on several processes: the calibration on every core.

A batch of trials is split into contiguous shares, one per worker: this process scores the
first share while forked workers score the others, each share side by side as one ensemble
(:meth:`Objective.scores`). A trial's score is the one it gets alone whatever share it is in,
so a calibration on any number of workers takes the very same trials, losses and best values.

Workers are forked once, when the pool starts, and inherit the objective from this process:
nothing but the trials' values goes out and their scores come back. A worker ends within half a
second of the calibration that forked it, however that ends (even killed with SIGKILL), and never
holds the run folder's lock. Where the system cannot fork, or with one worker, everything is
scored here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

from hedgesim.workflows.interrupt import worker_task
from hedgesim.workflows.processes import forking, watch_parent

Scores = Callable[[Sequence[Mapping[str, float]]], list[tuple[float, int]]]

_SCORERS: dict[int, Scores] = {}
"""The scoring function of each started pool, inherited by its forked workers."""


def available_cpus() -> int:
    """The CPUs this process may use, as joblib counts them for the sweeps (affinity and
    container quotas included)."""
    from joblib import cpu_count

    return max(cpu_count(), 1)


def shares(size: int, workers: int) -> list[slice]:
    """``size`` trials in at most ``workers`` contiguous shares as even as can be, none empty
    (but the one share of an empty batch)."""
    parts = max(min(workers, size), 1)
    bounds = [size * k // parts for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts)]


class ScoringPool:
    """Scores batches with ``scores`` on this process and ``workers - 1`` forked ones.

    Use it as a context manager: the workers are forked on entry (before any progress bar or
    storage thread starts) and stopped on exit.
    """

    def __init__(self, scores: Scores, workers: int):
        self.scores = scores
        self.workers = workers if forking() else 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ScoringPool:
        if self.workers > 1:
            _SCORERS[id(self)] = self.scores
            self._pool = ProcessPoolExecutor(
                self.workers - 1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )
            list(self._pool.map(_ready, range(self.workers - 1)))  # fork them now, with nothing else running
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _SCORERS.pop(id(self), None)

    def __call__(self, batch: Sequence[Mapping[str, float]]) -> list[tuple[float, int]]:
        """Each trial's (loss, passes), in the batch's order."""
        parts = shares(len(batch), self.workers)
        if self._pool is None or len(parts) == 1:
            return self.scores(batch)
        key = id(self)
        futures = [self._pool.submit(_score_share, key, list(batch[part])) for part in parts[1:]]
        here = self.scores(batch[parts[0]])
        return here + [score for future in futures for score in future.result()]


@contextlib.contextmanager
def scoring(scores: Scores, workers: int) -> Iterator[Scores]:
    """``scores`` on ``workers`` processes for the block (one worker: ``scores`` itself)."""
    if workers <= 1 or not forking():
        yield scores
        return
    with ScoringPool(scores, workers) as pool:
        yield pool


def _ready(_: int) -> bool:
    """Nothing: makes the pool fork its workers."""
    return True


def _score_share(key: int, batch: list[Mapping[str, float]]) -> list[tuple[float, int]]:
    """A share of a batch, scored in a forked worker by the function it inherited."""
    with worker_task():
        return _SCORERS[key](batch)
