"""``hedgesim-calibrate``'s command line: its options, their checks, and the settings they make.

The search file (conf/calibration/search.yaml) holds the study's settings; an option given on
the command line replaces one of them. Every option is checked before any work, each mistake
one line naming the option, the value and what is allowed.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import refuse_set_by_options
from hedgesim.config.spec import RunSpec, check_size
from hedgesim.workflows.calibration import report
from hedgesim.workflows.calibration.identification import PROFILE_POINTS
from hedgesim.workflows.calibration.plausible import CALIBRATED_FILE, PLAUSIBLE_FILE
from hedgesim.workflows.calibration.search import MAX_SEED, SEARCH_FILE, CalibrationError, Settings
from hedgesim.workflows.calibration.workers import available_cpus
from hedgesim.workflows.targets_file import TARGETS_FILE
from hedgesim.workflows.whole_folders import check_writable

DEFAULT_RUN_DIR = Path("results/runs/calibration")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line: Hydra overrides for the base run, then the study's options."""
    parser = argparse.ArgumentParser(
        prog="hedgesim-calibrate",
        description="Fit the free mechanism parameters to the 2011-2019 targets (optuna TPE, resumable).",
    )
    parser.add_argument(
        "overrides", nargs="*", help="Hydra overrides for the base run, e.g. challenges.trust=0.5"
    )
    parser.add_argument("--trials", type=int, help="total trials of the study (default: search.yaml)")
    parser.add_argument("--replicates", type=int, help="ensemble per trial (default: search.yaml)")
    parser.add_argument("--final-replicates", type=int, help="ensemble for re-checking the best trial")
    parser.add_argument("--seed", type=int, help="model and sampler seed (default: search.yaml)")
    parser.add_argument(
        "--batch", type=int, help="trials run side by side as one ensemble (default: search.yaml)"
    )
    parser.add_argument(
        "--fix-flat",
        action=argparse.BooleanOptionalAction,
        help="after the first search, fix what its loss profile leaves flat and search the rest again "
        "(--no-fix-flat: one search; default: search.yaml)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="stop starting trials after this many seconds (each search of a two-stage calibration)",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=DEFAULT_RUN_DIR,
        help=f"study folder (SQLite, tables, report); default {DEFAULT_RUN_DIR}",
    )
    parser.add_argument("--search", type=Path, default=SEARCH_FILE, help="free parameters and settings")
    parser.add_argument("--targets", type=Path, default=TARGETS_FILE, help="observed targets")
    parser.add_argument(
        "--params-out",
        type=Path,
        default=CALIBRATED_FILE,
        help="where to write the calibrated parameters (default: conf/params/calibrated.yaml); the "
        f"plausible parameter sets go beside it, as {PLAUSIBLE_FILE.name}",
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="do not write the calibrated parameters nor the plausible sets",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="processes scoring each batch of trials, side by side (default: the CPUs available, "
        f"{available_cpus()} here); at most the largest batch scored (--batch, or a loss profile's "
        f"{PROFILE_POINTS} points); the results do not depend on it",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(list(argv))


SET_BY_OPTIONS = {
    "replicates": "--replicates N (default: search.yaml's replicates)",
    "seed": "--seed S (default: search.yaml's seed)",
    "scenario": "the scenario in search.yaml's settings, or scenario.KEY=VALUE to change one of its values",
}
"""Keys the calibration sets itself, and what to use instead of overriding them."""


def effective_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """The search file's settings with the command line's choices on top."""
    chosen = {
        k: getattr(args, k)
        for k in ("trials", "replicates", "final_replicates", "seed", "batch")
        if getattr(args, k) is not None
    }
    for key, value in chosen.items():
        if value < (0 if key == "seed" else 1):
            raise CalibrationError(
                f"--{key.replace('_', '-')}={value}; allowed: an integer >= {0 if key == 'seed' else 1}"
            )
    if chosen.get("seed", 0) > MAX_SEED:  # the TPE sampler's limit
        raise CalibrationError(f"--seed={chosen['seed']}; allowed: an integer in [0, {MAX_SEED}]")
    if args.workers is not None and args.workers < 1:
        raise CalibrationError(f"--workers={args.workers}; allowed: an integer >= 1")
    if args.fix_flat is not None:
        chosen["fix_flat"] = args.fix_flat
    return dataclasses.replace(settings, **chosen)


def worker_count(args: argparse.Namespace, settings: Settings) -> tuple[int, str | None]:
    """The processes that score trials, and a note when fewer than ``--workers`` asked for.

    A worker scores its share of a batch (of trials, or of a loss profile's points), so one past
    the largest batch would only wait: the count is capped there. The CPUs available (the
    default) are capped without a word.
    """
    requested = available_cpus() if args.workers is None else args.workers
    largest = max(settings.batch, PROFILE_POINTS)
    if requested <= largest:
        return requested, None
    note = None
    if args.workers is not None:
        note = (
            f"--workers={args.workers}: a batch holds {settings.batch} trials and a loss profile "
            f"{PROFILE_POINTS} points, so {largest} workers score them (more would only wait)"
        )
    return largest, note


def check_options(args: argparse.Namespace) -> None:
    """Refuse, before any work, the options and overrides no calibration can run with, and the
    paths it could not write."""
    if args.timeout is not None and not args.timeout > 0:
        raise CalibrationError(f"--timeout={args.timeout}; allowed: a number of seconds > 0")
    refuse_set_by_options(args.overrides, SET_BY_OPTIONS)
    check_writable(Path(args.run_dir), "--run-dir", into=True)
    report.check_run_dir(Path(args.run_dir), Path(args.params_out))
    if args.no_write:  # nothing goes to --params-out: no reason to refuse it
        return
    report.check_params_out(Path(args.run_dir), Path(args.params_out))
    check_writable(Path(args.params_out), "--params-out")
    if Path(args.params_out).is_dir():
        raise CalibrationError(f"--params-out={args.params_out} is a folder; allowed: a file path")


def check_sizes(args: argparse.Namespace, settings: Settings, spec: RunSpec) -> None:
    """Refuse, before any trial, ensembles too big for this machine: the re-check of the best
    trial, and the trials run side by side (a batch, a loss profile's points, whose workers share
    this machine's memory). The re-check and the profiles run only after the whole search, and
    were killed there for want of memory, without a word.

    Raises:
        ConfigError: with the estimate and the limit, naming the options or settings that set it.
    """
    months = spec.calendar.n_steps
    key = "--final-replicates" if args.final_replicates is not None else "search.settings.final_replicates"
    check_size(settings.final_replicates, months, key, spec.precision, figure=False)  # it draws none
    side_by_side = max(min(settings.batch, settings.trials), PROFILE_POINTS)
    replicates = "--replicates" if args.replicates is not None else "search.settings.replicates"
    try:
        check_size(settings.replicates * side_by_side, months, "replicates", spec.precision, figure=False)
    except ConfigError as err:
        raise ConfigError(
            f"{replicates}={settings.replicates} with {side_by_side} trials side by side (the batch, "
            f"or a loss profile's {PROFILE_POINTS} points): {err}"
        ) from None
