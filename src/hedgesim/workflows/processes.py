"""Local worker processes for a sweep's chunks and figures and a sensitivity analysis's points.

Where the system can fork, workers are forked from this process: they start with its imports
(Mesa, pandas, Hydra: about two seconds a process) and its compiled kernels, instead of
importing and loading them again each. Elsewhere they are joblib's loky processes, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from hedgesim.workflows.interrupt import deferred, quiet_worker, worker_task

GRACE_S = 5.0
"""How long :func:`stop_children` waits for interrupted workers to end by themselves."""
PARENT_CHECK_S = 0.5
"""How often a forked worker checks that the command that forked it is still there."""


def forking() -> bool:
    """Whether workers are forked from this process (else started fresh by joblib's loky)."""
    return "fork" in multiprocessing.get_all_start_methods()


_FORKED_TASKS: list[tuple[Callable[..., Any], tuple]] = []
"""The calls forked workers make, inherited with the rest of this process: a worker gets only a
task's index, so neither the function (Hydra's task function is not picklable) nor its
arguments are pickled on the way out; only the results come back pickled."""


def starmap(function: Callable[..., Any], tasks: Sequence[tuple], workers: int) -> list[Any]:
    """``function(*task)`` for every task on ``workers`` processes, results in task order; tasks
    go out one at a time, so the workers finish together.

    Raises:
        concurrent.futures.process.BrokenProcessPool: a forked worker died (killed, out of
            memory) before its task ended; loky raises its own ``TerminatedWorkerError``.
    """
    return list(imap(function, tasks, workers))


def imap(function: Callable[..., Any], tasks: Sequence[tuple], workers: int) -> Iterator[Any]:
    """:func:`starmap`'s results one at a time, in task order, each as soon as it and those
    before it are done (a caller can say how far the work is)."""
    if not forking():
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator")
        yield from parallel(delayed(function)(*task) for task in tasks)
        return
    _FORKED_TASKS[:] = [(function, task) for task in tasks]
    fork = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=fork, initializer=watch_parent, initargs=(os.getpid(),))
    try:
        with deferred():  # a Ctrl-C inside submit, holding the pool's locks, would hang its shutdown
            futures = [pool.submit(_forked_call, index) for index in range(len(tasks))]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # stopped early: no queued task starts
        _FORKED_TASKS.clear()


def stop_children(grace_s: float = GRACE_S) -> None:
    """End this process's worker processes after an interrupt: those that got the Ctrl-C end
    within ``grace_s`` (quietly, :func:`hedgesim.workflows.interrupt.quiet_worker`); one started
    after it never got it and would run its whole task, so it is terminated."""
    children = multiprocessing.active_children()
    deadline = time.monotonic() + grace_s
    for child in children:
        child.join(max(deadline - time.monotonic(), 0.0))
    for child in children:
        if child.is_alive():
            child.terminate()
            child.join()


STARTED_WITH: list[Any] = []
"""In a worker :func:`watch_parent` started: what its pool gave it at its start (``given``)."""


def watch_parent(parent: int, *given: Any) -> None:
    """A worker's initializer: end it as soon as the command that started it is gone, and
    quietly on Ctrl-C. A command killed (SIGTERM from ``kill`` or a scheduler's time limit,
    SIGKILL, the out-of-memory killer) cannot stop its workers, and an orphan would wait for a
    task forever on a queue it holds open itself.

    Args:
        parent: the command's process id.
        given: what a spawned worker can only be handed at its start (a queue), kept in
            ``STARTED_WITH``. This module is light on purpose: a spawned worker imports its
            initializer's module before running it, and a Ctrl-C during a heavy import (pandas)
            would end the worker with a traceback.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    quiet_worker()  # first: Ctrl-C or SIGTERM end it quietly; the command says what it keeps
    STARTED_WITH[:] = given
    threading.Thread(target=watch, name="hedgesim-parent-watch", daemon=True).start()


def warm_engine() -> None:
    """Import the model and load its compiled kernels here, once, so that workers forked from
    this process start with them (about a second each otherwise)."""
    if forking():
        import hedgesim.core.model  # noqa: F401 (imported for the workers forked from this process)
        from hedgesim.core import kernels

        kernels.warm()


def _forked_call(index: int) -> Any:
    function, task = _FORKED_TASKS[index]
    with worker_task():
        return function(*task)
