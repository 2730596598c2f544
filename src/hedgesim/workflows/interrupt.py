"""How a command stops on Ctrl-C: once, with the command's one line, never with a traceback.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, and some places
swallow it with a printed traceback: a ctypes callback, a finaliser, a weakref callback. The
first compile of the engine's kernels (numba, on a cold cache) calls back from llvmlite through
ctypes: a Ctrl-C landing there printed llvmlite's traceback, and the compile it broke could then
fail the run with exit 1 or let it run to its end. So a Ctrl-C that arrives while llvmlite's code
is on the stack is delivered again a moment later, until it lands elsewhere (in numba's own code
it stops the compile cleanly); one swallowed all the same is delivered again quietly; and the
command checks at its end whether one was seen.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

DEFERRING = ("llvmlite",)
"""Packages whose code a Ctrl-C does not interrupt (it waits until they return): llvmlite's
Python code runs inside calls into LLVM and the callbacks LLVM makes, where an exception is
swallowed."""
RETRY_S = 0.05
"""How long a deferred Ctrl-C waits before it is delivered again."""
EXIT_INTERRUPTED = 130
"""A command's exit status after Ctrl-C (128 + SIGINT), as a shell reports it."""


class CtrlC:
    """Remembers a Ctrl-C: one raised where Python swallows exceptions must still stop the
    command instead of letting it report success."""

    seen = False
    armed = False  # redeliveries happen only while a command listens for them
    raised = False  # one KeyboardInterrupt at a time: the command's clean-up is not interrupted
    stop: Callable[[], BaseException] = KeyboardInterrupt  # a worker's: SystemExit (quiet_worker)
    worker = False  # in a pool's worker process (quiet_worker)
    working = True  # a worker: inside a task (worker_task); a command: always

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        """The SIGINT (and SIGTERM) handler: remember, and raise here unless llvmlite's code is
        running (a worker between tasks ends instead: :func:`end_idle_worker`)."""
        cls.seen = True
        if not cls.working:
            end_idle_worker(frame)
            return
        if cls.raised:
            return
        if in_deferring_code(frame):
            deliver_later()
            return
        cls.raised = True
        raise cls.stop()


SENDING = {"send", "send_bytes", "_send_bytes", "_send"}
"""``multiprocessing.connection``'s functions that write a message to the other process."""


def end_idle_worker(frame: FrameType | None) -> None:
    """End a worker that is not running a task (it waits for one, or sends a result back) at
    once, unless it is writing a message: a message cut in two would leave the command's pool
    waiting forever for its end; the stop is then delivered again a moment later."""
    while frame is not None:
        sending = frame.f_code.co_name in SENDING
        if sending and frame.f_globals.get("__name__") == "multiprocessing.connection":
            deliver_later()
            return
        frame = frame.f_back
    end_worker()


def end_worker() -> None:
    """End this worker process now, without going back to its pool, as a worker's own end would:
    its finalisers run (a spawned worker's semaphores are released, with no warning at the
    command's end) and what it printed is flushed."""
    from multiprocessing import util

    util._exit_function()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(EXIT_INTERRUPTED)


def in_deferring_code(frame: FrameType | None) -> bool:
    """Whether a ``DEFERRING`` package's code is on the interrupted stack (the innermost frame
    may be another's: numba's, called back by llvmlite)."""
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).split(".")[0] in DEFERRING:
            return True
        frame = frame.f_back
    return False


def deliver_later() -> None:
    """Deliver the Ctrl-C to the main thread again after ``RETRY_S``, if a command still listens."""

    def again() -> None:
        if CtrlC.armed:
            _thread.interrupt_main(signal.SIGINT)

    timer = threading.Timer(RETRY_S, again)
    timer.daemon = True
    timer.start()


def quiet_swallowed(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    """An unraisable-exception hook: a Ctrl-C Python swallowed is delivered again, silently;
    anything else goes to ``previous``."""

    def hook(unraisable: Any) -> None:
        ctrl_c = isinstance(unraisable.exc_value, KeyboardInterrupt | SystemExit)
        if CtrlC.seen and ctrl_c:
            CtrlC.raised = False  # swallowed: it has to be raised again
            deliver_later()
            return
        previous(unraisable)

    return hook


@contextlib.contextmanager
def listening() -> Iterator[None]:
    """Handle Ctrl-C as above while the block runs (unless the caller handles SIGINT itself), then
    give the caller its handler and hook back. SIGTERM (``kill``, a cluster scheduler's time
    limit) stops the command as Ctrl-C does, so it too keeps what is finished and leaves no
    staging behind, where by default it would end the process at once."""
    CtrlC.seen = CtrlC.raised = False  # a command called again in one process starts uninterrupted
    ours = threading.current_thread() is threading.main_thread()  # where Python runs handlers
    if not ours or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    hook = sys.unraisablehook
    terminate = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # else the caller's own
    signal.signal(signal.SIGINT, CtrlC.handle)
    if terminate:
        signal.signal(signal.SIGTERM, CtrlC.handle)
    sys.unraisablehook = quiet_swallowed(hook)
    CtrlC.armed = True
    try:
        yield
    finally:
        CtrlC.armed = False
        sys.unraisablehook = hook
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if terminate:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def held() -> Iterator[list[int]]:
    """Hold any Ctrl-C until the block ends (a console script loading its command's module:
    raised inside a compiled module's initialisation, a KeyboardInterrupt becomes an
    ImportError); the list yielded gets one entry per Ctrl-C held. Python's own handler, unless
    the caller ignores SIGINT or handles it itself, is back afterwards."""
    seen: list[int] = []
    ours = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ours:
        signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        yield seen
    finally:
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold a Ctrl-C (or SIGTERM) back until the block ends, then deliver it to whatever handled it
    before (a block that must not be cut in two: renaming files that belong together). Outside the
    main thread, where Python runs no signal handler, or under a handler Python did not install,
    the block runs as it is."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield
        return
    seen: list[int] = []
    held_back = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is not None]
    previous = {s: signal.signal(s, lambda signum, frame: seen.append(signum)) for s in held_back}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(seen):
            signal.raise_signal(signum)


def quiet_worker() -> None:
    """A worker process's initializer: Ctrl-C, which a terminal sends to every process of the
    command, or SIGTERM (``kill`` of the command's process group, a scheduler's time limit, the
    pool's own ``terminate``) ends the worker without a traceback (the command's own process says
    what happened). Inside a task (:func:`worker_task`) it raises ``SystemExit``, so the task's
    clean-up runs, and the worker then ends instead of taking another task; between tasks it ends
    the worker at once (:func:`end_idle_worker`). As in a command, one swallowed by a callback or
    finaliser is raised again, silently."""
    CtrlC.seen = CtrlC.raised = False
    CtrlC.stop = _worker_stop
    CtrlC.worker = CtrlC.armed = True
    CtrlC.working = False
    signal.signal(signal.SIGINT, CtrlC.handle)
    signal.signal(signal.SIGTERM, CtrlC.handle)
    sys.unraisablehook = quiet_swallowed(sys.__unraisablehook__)


@contextlib.contextmanager
def worker_task() -> Iterator[None]:
    """Run a pool worker's task (anywhere else: just run it). A worker stopped during the task
    ends as soon as the task's clean-up has run: going back for another task, it would run that
    whole task, or wait for one while its pool waits for it to end."""
    if not CtrlC.worker:
        yield
        return
    CtrlC.working = True
    try:
        yield
    finally:
        CtrlC.working = False
        if CtrlC.seen:
            end_worker()


def _worker_stop() -> SystemExit:
    return SystemExit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def one_line_on_ctrl_c(prog: str, left: Callable[[], str]) -> Iterator[None]:
    """Run a command's block listening for Ctrl-C (:func:`listening`); a Ctrl-C ends the command
    with one line, ``<prog>: interrupted; <what is left>``, and exit status 130, no traceback.

    Args:
        prog: the command's name.
        left: says, when asked at the interrupt, what the command keeps (a finished result, the
            batches a run resumes from) and what it leaves as it was.
    """
    with listening():
        try:
            yield
        except KeyboardInterrupt:
            print(f"{prog}: interrupted; {left()}", file=sys.stderr)
            raise SystemExit(EXIT_INTERRUPTED) from None
