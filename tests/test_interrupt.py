"""Ctrl-C stops a command without a traceback (hedgesim.workflows.interrupt): not inside llvmlite's code,
where Python would swallow it, and raised again when a callback swallowed it all the same."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ctrl_c_as_at_a_terminal
from hedgesim.workflows.interrupt import CtrlC, listening

WAITING = """
import time

def wait_for_ctrl_c(done: str) -> None:
    print(done, flush=True)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        time.sleep(0.005)
    print("never interrupted")
"""
"""What the scripts do after the work a Ctrl-C arrived in: say it is done, then wait for it."""


def run_script(body: str) -> subprocess.CompletedProcess:
    """``body`` in a fresh Python whose SIGINT is Python's default, as at a terminal."""
    return subprocess.run(
        [sys.executable, "-c", WAITING + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )


def test_a_ctrl_c_swallowed_by_a_ctypes_callback_is_raised_again_quietly():
    """A Ctrl-C handled inside a ctypes callback (as in llvmlite's object cache on a first
    compile) is swallowed by ctypes; it comes back in the code that follows, with no traceback."""
    done = run_script(
        """
        import ctypes, os, signal, time
        from hedgesim.workflows.interrupt import listening

        def callback():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs here, inside the callback
                pass

        with listening():
            try:
                ctypes.CFUNCTYPE(None)(callback)()
                wait_for_ctrl_c("callback returned")
            except KeyboardInterrupt:
                print("interrupted after the callback")
        """
    )
    assert done.stdout.split("\n")[:2] == ["callback returned", "interrupted after the callback"], done
    assert done.stderr == ""  # Python's "Exception ignored on calling ctypes callback function" is not shown
    assert done.returncode == 0


@pytest.mark.parametrize("worker", [True, False], ids=["quiet_worker", "python"])
def test_a_workers_ctrl_c_swallowed_by_a_finaliser_is_raised_again_quietly(worker):
    """In a worker process, Ctrl-C ends the worker with SystemExit; one raised inside a
    finaliser (a weakref callback, a ``__del__``) is swallowed by Python and would leave the
    worker running after printing a traceback: it comes back in the code that follows."""
    done = run_script(
        f"""
        import os, signal, sys
        from hedgesim.workflows import interrupt

        if {worker}:
            interrupt.quiet_worker()
        else:  # the same SystemExit, with Python's own handling of what a finaliser raises
            signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

        class Finalised:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(1000):  # the handler runs here, inside the finaliser
                    pass

        with interrupt.worker_task():  # a worker's task: anywhere else, a worker ends at once
            try:
                Finalised()
                wait_for_ctrl_c("finalised")
            except SystemExit as stop:
                print("stopped", stop.code)
        """
    )
    if worker:
        assert done.stdout.split("\n")[:2] == ["finalised", "stopped 130"], done
        assert done.stderr == ""
    else:  # the hazard: a traceback, and the worker runs on
        assert done.stdout.split("\n")[:2] == ["finalised", "never interrupted"], done
        assert "Exception ignored in" in done.stderr and "SystemExit" in done.stderr


def test_a_ctrl_c_waits_until_llvmlite_code_returns():
    """While llvmlite's code is on the stack (here a function of its name calling the standard
    library), the Ctrl-C is held back and delivered again until it lands in other code."""
    done = run_script(
        """
        import os, signal, time
        from hedgesim.workflows.interrupt import listening

        compiler_code = {"__name__": "llvmlite.binding.fake", "os": os, "signal": signal, "time": time}
        exec(
            "def compile_pass():\\n"
            "    os.kill(os.getpid(), signal.SIGINT)\\n"
            "    end = time.monotonic() + 0.3\\n"
            "    while time.monotonic() < end:\\n"
            "        time.sleep(0.001)\\n"
            "    return 'compiled'\\n",
            compiler_code,
        )
        with listening():
            try:
                wait_for_ctrl_c(compiler_code["compile_pass"]())
            except KeyboardInterrupt:
                print("interrupted after the pass")
        """
    )
    assert done.stdout.split("\n")[:2] == ["compiled", "interrupted after the pass"], done
    assert done.stderr == "" and done.returncode == 0


COMPILE_SCRIPT = """
import contextlib, signal, sys, time
import numba
from hedgesim.workflows.interrupt import listening

def at_the_callback(frame, event, arg):
    # a Ctrl-C handled at the first line of llvmlite's object-cache callback, as on a terminal
    if event == "call" and frame.f_code.co_name == "_raw_object_cache_notify":
        sys.setprofile(None)
        signal.getsignal(signal.SIGINT)(signal.SIGINT, frame)

@numba.njit(cache=True)
def plus_one(x):
    return x + 1

with listening() if sys.argv[1] == "hedgesim" else contextlib.nullcontext():
    try:
        sys.setprofile(at_the_callback)
        print(plus_one(1), flush=True)
        sys.setprofile(None)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            time.sleep(0.005)
        print("never interrupted")
    except KeyboardInterrupt:
        print("interrupted after the compile")
"""


@pytest.mark.parametrize("handler", ["python", "hedgesim"])
def test_a_ctrl_c_during_a_first_compile(tmp_path, handler):
    """numba's first compile of a kernel (a cold cache) calls back from llvmlite through ctypes.
    Python's own handler raises there: the error is swallowed with a traceback, the kernel's
    object code is lost, and the program runs on as if nothing was pressed. hedgesim's handler
    lets the callback finish, then stops the program (in numba's code or after it), silently."""
    (tmp_path / "compile_once.py").write_text(COMPILE_SCRIPT)
    cache = tmp_path / "numba-cache"
    done = subprocess.run(
        [sys.executable, "compile_once.py", handler],
        cwd=tmp_path,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    assert done.returncode == 0, done.stderr
    if handler == "python":  # the hazard, as Python alone leaves it
        assert "Exception ignored on calling ctypes callback function" in done.stderr
        assert done.stdout.split("\n")[:2] == ["2", "never interrupted"]
    else:
        assert done.stderr == ""
        assert done.stdout.strip().splitlines()[-1] == "interrupted after the compile", done.stdout


def test_other_unraisable_errors_are_still_reported():
    done = run_script(
        """
        import ctypes
        from hedgesim.workflows.interrupt import listening

        def callback():
            raise ValueError("a real bug")

        with listening():
            ctypes.CFUNCTYPE(None)(callback)()
        print("went on")
        """
    )
    assert "ValueError: a real bug" in done.stderr and done.stdout.strip() == "went on"


def test_listening_gives_the_callers_handler_and_hook_back():
    hook = sys.unraisablehook
    with listening():
        assert signal.getsignal(signal.SIGINT) == CtrlC.handle
        assert sys.unraisablehook is not hook and CtrlC.armed
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert sys.unraisablehook is hook and not CtrlC.armed


def test_a_caller_with_its_own_sigint_handler_keeps_it():
    own = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        mine = signal.getsignal(signal.SIGINT)
        with listening():
            assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, own)


@pytest.mark.slow
def test_ctrl_c_during_the_first_compile_costs_one_line(tmp_path):
    """The engine's first run on a cold numba cache compiles its kernels; a Ctrl-C sent as soon
    as the first compiled kernel reaches the cache still ends the command with one line, exit
    130 and nothing kept."""
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    exe = Path(sys.executable).with_name("hedgesim")
    process = subprocess.Popen(
        [str(exe), "replicates=2000", "scenario=forward_2030"],
        cwd=tmp_path,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    deadline = time.monotonic() + 120
    while not any(cache.rglob("*.nbc")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert err.strip() == "hedgesim: interrupted; nothing was kept"
    assert process.returncode == 130
    assert not list((tmp_path / "results").rglob("manifest.json"))


# --- every command: Ctrl-C while it loads and while it works (workers included) ---------------

COMMANDS = {
    "hedgesim-reproduce": ["--replicates", "20000", "--out", "{out}"],
    "hedgesim-sensitivity": ["--samples", "64", "--replicates", "100", "--jobs", "2", "--out", "{out}"],
    "hedgesim-calibrate": ["--run-dir", "{run}", "--no-write", "--trials", "2000", "--workers", "2"],
    "hedgesim-validate": ["--run-dir", "{run}", "--out", "{out}", "--no-progress"],
}
"""Each command with work that lasts well beyond the Ctrl-C (calibrate and validate on worker
processes), writing into the test's folders."""


def ctrl_c_at(seconds: float, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``command`` in a process group of its own, sent SIGINT after ``seconds`` as a terminal's
    Ctrl-C is sent: to every process of the group, its workers too."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT: every thread's stack
    )
    time.sleep(seconds)
    os.killpg(process.pid, signal.SIGINT)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # still running: where each of its processes is stuck
        os.killpg(process.pid, signal.SIGABRT)
        out, err = process.communicate(timeout=60)
        pytest.fail(f"{command[0]} still ran 120 s after Ctrl-C; its stacks:\n{err[-12000:]}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [0.6, 7.0], ids=["loading", "working"])  # loading: 1-2.5 s
@pytest.mark.parametrize("prog", sorted(COMMANDS))
def test_every_command_stops_on_ctrl_c_with_one_line(tmp_path, prog, seconds):
    out = tmp_path / "out"
    out.mkdir()
    earlier = "sobol.csv" if prog == "hedgesim-sensitivity" else "report.md"  # a file it writes
    (out / earlier).write_text("an earlier result")
    args = [a.format(out=out, run=tmp_path / "run") for a in COMMANDS[prog]]
    result = ctrl_c_at(seconds, [str(Path(sys.executable).with_name(prog)), *args], tmp_path)
    assert result.returncode == 130, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{prog}: interrupted; "), result.stderr[-3000:]
    assert [(p.name, p.read_text()) for p in out.iterdir()] == [(earlier, "an earlier result")]  # as it was
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    if prog == "hedgesim-calibrate" and "nothing was written" not in last:
        assert last.endswith(f"kept in {tmp_path / 'run'} (run the same command again to resume)")
    if prog in ("hedgesim-reproduce", "hedgesim-sensitivity") and "nothing was written" not in last:
        assert last.endswith(f"{out} is as it was")


def test_a_ctrl_c_that_numba_returns_as_a_system_error_is_a_ctrl_c(monkeypatch):
    """A KeyboardInterrupt raised in numba's Python code (loading a cached kernel) reaches the
    caller as a chain of SystemErrors; the engine's kernels raise it as the KeyboardInterrupt."""
    from hedgesim.core import kernels

    monkeypatch.setattr(kernels, "_RULES", [])  # these rules are not the engine's: never warmed

    def rule(x):
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as interrupt:
                raise SystemError("returned a result with an exception set") from interrupt
        except SystemError as inner:
            raise SystemError("CPUDispatcher returned a result with an exception set") from inner

    def other(x):
        raise SystemError("not a Ctrl-C")

    def in_a_worker(x):
        try:
            raise SystemExit(130)  # a worker's Ctrl-C (interrupt.quiet_worker)
        except SystemExit as stop:
            raise SystemError("returned a result with an exception set") from stop

    with kernels.use_compiled(False):
        with pytest.raises(KeyboardInterrupt):
            kernels.compilable(lambda: (1,))(rule)(1)
        with pytest.raises(SystemExit) as stop:
            kernels.compilable(lambda: (1,))(in_a_worker)(1)
        assert stop.value.code == 130
        with pytest.raises(SystemError, match="not a Ctrl-C"):
            kernels.compilable(lambda: (1,))(other)(1)


def test_every_console_script_loads_its_command_first():
    """Each command's console script is hedgesim.entry_points', which loads the command's module
    (and so answers a Ctrl-C while it loads) before running its ``main``."""
    import importlib
    import tomllib

    from hedgesim import entry_points

    root = Path(__file__).resolve().parents[1]
    scripts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    commands = {prog: target for prog, target in scripts.items() if prog != "hedgesim-app"}
    assert set(commands) == set(entry_points.COMMANDS)
    for prog, target in commands.items():
        module, name = target.split(":")
        assert module == entry_points.__name__ and callable(getattr(entry_points, name)), prog
        assert callable(importlib.import_module(entry_points.COMMANDS[prog]).main), prog


def test_a_ctrl_c_while_a_command_loads_is_held_until_the_loading_ends():
    done = run_script(
        """
        import os, signal
        from hedgesim.workflows.interrupt import held

        with held() as ctrl_c:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs here; nothing is raised
                pass
            print("loaded", ctrl_c == [signal.SIGINT])
        print("handler back", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        """
    )
    assert done.stdout.splitlines() == ["loaded True", "handler back True"], done
    assert done.stderr == "" and done.returncode == 0


def test_a_ctrl_c_before_the_command_handles_it_is_one_line(monkeypatch, capsys):
    """Between the loading and the command's own handling (``main`` reading its arguments), a
    Ctrl-C still ends the script with one line and exit 130, never a traceback."""
    from hedgesim import entry_points

    def main() -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(entry_points, "_loaded", lambda prog, module: main)
    with pytest.raises(SystemExit) as stop:
        entry_points._command("hedgesim-reproduce")()
    assert stop.value.code == 130 and stop.value.__cause__ is None
    assert capsys.readouterr().err == "hedgesim-reproduce: interrupted\n"


@pytest.mark.slow
def test_a_sigterm_stops_a_command_as_ctrl_c_does(tmp_path):
    """``kill`` or a cluster scheduler's time limit (SIGTERM to every process of the job) ended a
    command at once: its staging folder stayed beside --out and it said nothing. It now stops as
    on Ctrl-C: one line, --out as it was, nothing left behind."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "sobol.csv").write_text("an earlier result")
    args = [a.format(out=out) for a in COMMANDS["hedgesim-sensitivity"]]
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hedgesim-sensitivity")), *args],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(7.0)
    os.killpg(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("hedgesim-sensitivity: interrupted; "), err[-3000:]
    assert [(p.name, p.read_text()) for p in out.iterdir()] == [("sobol.csv", "an earlier result")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
