"""One calibration at a time in a run folder: the folder's lock, and what holding it tells.

:func:`hold_lock` takes ``<run folder>/.lock`` exclusively for as long as a calibration runs, and
a second one is refused. Holding it, a calibration knows that a trial still marked RUNNING was
left by a killed process (hedgesim.workflows.calibration.study.fail_stale_trials). A process
forked while the lock is held (a scoring worker) closes its copy of it, so the lock ends with the
calibration however its workers end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from hedgesim.workflows.calibration.search import CalibrationError

LOCK = ".lock"


_HELD_LOCKS: set[int] = set()
"""The descriptors of the run-folder locks this process holds: a forked child closes its copies."""


def _close_held_locks() -> None:
    """In a forked child (a scoring worker): close the inherited lock descriptors, so the lock is
    the parent's alone and ends with it, whatever becomes of the child."""
    for handle in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(handle)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


@contextlib.contextmanager
def hold_lock(run_dir: Path) -> Iterator[Path]:
    """Hold ``run_dir/.lock`` exclusively while the block runs (the operating system releases it
    when the process ends, however it ends).

    Raises:
        CalibrationError: when another process holds it: another calibration works in that folder.
        OSError: when the folder cannot be written.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    _HELD_LOCKS.add(handle)
    try:
        try:
            import fcntl
        except ImportError:  # not a POSIX system: no lock to take
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(handle, 32, 0).decode(errors="replace").strip() or "unknown"
                raise CalibrationError(
                    f"run folder {str(run_dir)!r} is in use by another calibration (process {holder}); "
                    "allowed: wait for it to end, or another --run-dir"
                ) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        _HELD_LOCKS.discard(handle)
        os.close(handle)
