"""hedgesim-reproduce's command line: its options, their defaults, and the keys it sets itself.

Kept apart from the reproduction (``workflows.reproduction``) so the options a report and a
manifest record are read in one place.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from hedgesim.workflows.calibration.plausible import PLAUSIBLE_FILE
from hedgesim.workflows.targets_file import TARGETS_FILE

DEFAULT_OUT = Path("results/baseline")
DEFAULT_SETS_OUT = Path("results/baseline_plausible")
VALIDATION_SUMMARY = Path("results/validation/summary.json")
REPLICATES = 1000
SEED = 20101219
SCENARIO = "reproduce"
EXIT_FAILED, EXIT_USAGE = 1, 2


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hedgesim-reproduce",
        description="Run the calibrated baseline (1,000 replicates, fixed seed) and judge every target.",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. params=default")
    parser.add_argument(
        "--replicates", type=int, default=REPLICATES, help=f"ensemble size (default {REPLICATES})"
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"run seed (default {SEED})")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"output folder (default {DEFAULT_OUT}; with --parameter-sets {DEFAULT_SETS_OUT})",
    )
    parser.add_argument(
        "--parameter-sets",
        action="store_true",
        help="split the replicates across the plausible parameter sets and judge them pooled",
    )
    parser.add_argument(
        "--sets-file",
        type=Path,
        help="the parameter sets, with --parameter-sets (default conf/params/plausible.csv)",
    )
    parser.add_argument("--targets", type=Path, default=TARGETS_FILE, help="observed targets (YAML)")
    parser.add_argument(
        "--validation",
        type=Path,
        help=f"hedgesim-validate's summary, quoted beside the result (default {VALIDATION_SUMMARY}, "
        "when it is there)",
    )
    args = parser.parse_args(list(argv))
    args.sets_given, args.sets_file = args.sets_file is not None, args.sets_file or PLAUSIBLE_FILE
    if args.out is None:
        args.out = DEFAULT_SETS_OUT if args.parameter_sets else DEFAULT_OUT
    return args


SET_BY_OPTIONS = {
    "replicates": "--replicates N",
    "seed": "--seed S",
    "scenario": f"scenario.KEY=VALUE to change one value of the reproduction's scenario ({SCENARIO})",
    "parameter_sets": "--parameter-sets (and --sets-file CSV), which judges the sets beside the "
    "configured parameters and writes results/baseline_plausible/",
}
"""Keys the command sets itself, and what to use instead of overriding them."""


def options_given(args: argparse.Namespace) -> list[str]:
    """The options that change what is judged or quoted, as the report and manifest record the
    command: without them a run on another targets file reads as the committed reproduction (the
    sets file is recorded with its sha256 under ``parameter_sets``)."""
    given = ["--parameter-sets"] if args.parameter_sets else []
    if Path(args.targets).resolve() != TARGETS_FILE.resolve():
        given += ["--targets", str(args.targets)]
    return given + (["--validation", str(args.validation)] if other_summary(args.validation) else [])


def other_summary(path: Path | None) -> bool:
    """Whether ``--validation`` names another summary than the default one."""
    return path is not None and Path(path).resolve() != VALIDATION_SUMMARY.resolve()
