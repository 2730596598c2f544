"""Thin Hydra entry points: ``hedgesim`` runs one scenario (or a sweep with -m).

The command line is checked before Hydra starts any job, so a mistake costs one line on stderr,
exit code 2, and no run folder. The run folder is made and probed first too: one that cannot be
written costs one line and exit code 1. Ctrl-C costs one line and exit code 130, and removes
the folder the command made (a sweep keeps its complete cells, to resume).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from hedgesim.config.command_line import CheckedCommand, check_command_line
from hedgesim.config.errors import ConfigError
from hedgesim.config.rerun import as_rerun
from hedgesim.config.schema import register_configs
from hedgesim.config.spec import build_run
from hedgesim.workflows.interrupt import EXIT_INTERRUPTED, CtrlC, listening
from hedgesim.workflows.process_exit import skip_final_collection
from hedgesim.workflows.run import RunFolder, describe_write_error, quiet_mesa, run_into, sweep_cell
from hedgesim.workflows.sweep.plan import SweepError, cell_folders, check_one_multirun

EXIT_USAGE = 2
EXIT_OUTPUT = 1
INFO_ONLY = ("--help", "-h", "--hydra-help", "--info", "-i", "--version", "--shell-completion", "-sc")
log = logging.getLogger(__name__)
LOOPBACK_RAY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def keep_local_ray_on_loopback(args: Sequence[str]) -> None:
    """With ``hydra/launcher=ray_local``, make Ray's servers listen on 127.0.0.1 only.

    Ray swaps a loopback node address for the machine's own unless this variable is set, and
    its servers then listen on every interface; a single-machine sweep needs none of that.
    """
    if any(a.endswith("hydra/launcher=ray_local") for a in args):
        for key, value in LOOPBACK_RAY.items():
            os.environ.setdefault(key, value)


@contextlib.contextmanager
def figures_to_files() -> Iterator[None]:
    """Agg for every figure the command draws, here or in the processes it starts: a command
    writes figures to files; it never opens a window.

    Set through the environment while the command runs, so that matplotlib is loaded only by a
    process that draws (a sweep's driver and workers seldom do); the caller's setting comes back
    afterwards, so that a command called from Python leaves the processes its caller starts alone.
    """
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # loaded already (a caller's import): switch it too
        sys.modules["matplotlib"].use("Agg")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: check the command line, prepare the run folder, then hand over to Hydra."""
    args = list(sys.argv[1:] if argv is None else argv)
    skip_final_collection()
    with figures_to_files():
        command(args)


def command(args: list[str]) -> None:
    """The command line ``args``: checked, its folder prepared, then run by Hydra."""
    keep_local_ray_on_loopback(args)
    with listening():
        _checked_and_run(args)


def _checked_and_run(args: list[str]) -> None:
    """The command's steps; a Ctrl-C, seen or swallowed on the way, ends it as :func:`interrupted`."""
    folder: RunFolder | None = None
    try:
        try:
            args = as_rerun(args)
        except ConfigError as err:
            fail(str(err), EXIT_USAGE)
        if not any(a in INFO_ONLY or a.startswith("--info=") for a in args):
            try:
                checked = check_command_line(args)
            except ConfigError as err:
                fail(str(err), EXIT_USAGE)
            folder = prepare_folder(checked)
            args = pinned(args, checked)
        sys.argv = [sys.argv[0], *args]
        register_configs()
        run_app()
        if CtrlC.seen:
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        interrupted(folder)
    except SystemExit as stop:
        if CtrlC.seen and stop.code in (None, 0):
            interrupted(folder)
        if stop.code not in (None, 0) and folder is not None:
            folder.discard()
        raise


def interrupted(folder: RunFolder | None) -> NoReturn:
    """One line and exit status 130; what the command made is removed."""
    left = folder.discard() if folder is not None else "nothing was written"
    print(f"hedgesim: interrupted; {left}", file=sys.stderr)
    raise SystemExit(EXIT_INTERRUPTED) from None


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    print(f"hedgesim: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def prepare_folder(checked: CheckedCommand) -> RunFolder | None:
    """Make and probe the folder the command will write; a folder it cannot write fails here."""
    if checked.folder is None:
        return None
    key = "hydra.sweep.dir" if checked.multirun else "hydra.run.dir"
    if checked.multirun and Path(checked.folder).is_dir():
        try:  # a folder its aggregation would refuse is refused before any job runs
            check_one_multirun(Path(checked.folder), cell_folders(Path(checked.folder)))
        except SweepError as err:
            fail(f"{key}={checked.folder}: {err}", EXIT_USAGE)
    try:
        return RunFolder.prepare(Path(checked.folder), sweep=checked.multirun)
    except OSError as err:
        fail(describe_write_error(err, checked.folder, key), EXIT_OUTPUT)


def pinned(args: list[str], checked: CheckedCommand) -> list[str]:
    """The command line with the folder pinned, its override placed beside the others (Hydra
    reads the overrides as one group), and the overrides as Hydra is to read them."""
    if not checked.pin and not checked.for_hydra:
        return args
    n = len(checked.overrides)
    at = next((i for i in range(len(args)) if n and args[i : i + n] == checked.overrides), len(args))
    given = args[at : at + n]
    return [*args[:at], *(checked.for_hydra or given), *checked.pin, *args[at + len(given) :]]


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def run_app(cfg: DictConfig) -> str:
    """One Hydra job: run the configured scenario into the job's output folder.

    In a multirun, a cell whose folder is already complete for the same config is skipped
    (that is how an interrupted sweep resumes), and a cell that fails records its error in
    ``error.txt`` instead of stopping the other cells; the aggregation lists it.
    """
    quiet_mesa()
    hydra_cfg = HydraConfig.get()
    out = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode != RunMode.MULTIRUN:
        try:
            spec = build_run(cfg)
        except ConfigError as err:
            fail(str(err), EXIT_USAGE)
        try:
            run_into(cfg, spec, out)
        except OSError as err:
            fail(describe_write_error(err, out), EXIT_OUTPUT)
        return "complete"
    return sweep_cell(cfg, out, label=f"cell {hydra_cfg.job.num} [{out.name}]")
