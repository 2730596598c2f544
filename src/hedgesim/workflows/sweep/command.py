"""``hedgesim-aggregate <multirun folder>``: re-aggregate a sweep by hand.

For a folder whose launcher was killed before the end, or to redraw the fans for other cells;
it writes exactly what the callback writes. Exit status: 0 when every planned cell is complete,
1 when some cell failed or is missing or the aggregation itself failed (a full disk, a folder
it cannot write: one line says why), 2 when the folder holds no multirun.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

from hedgesim.workflows.interrupt import one_line_on_ctrl_c
from hedgesim.workflows.process_exit import skip_final_collection
from hedgesim.workflows.sweep.aggregate import EXIT_FAILED, RECORD, aggregate, failure, report
from hedgesim.workflows.sweep.plan import SweepError

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: aggregate the folder, one line on stderr, exit 1 if cells are missing."""
    skip_final_collection()
    matplotlib.use("Agg")  # a command writes figures to files; it never opens a window
    args = _parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    with one_line_on_ctrl_c("hedgesim-aggregate", lambda: _left(args.folder)):
        _aggregate_and_say(args)


JOBS_ALLOWED = "allowed: a count >= 1, or -1 (one per core)"


def _left(folder: Path) -> str:
    """What an interrupted aggregation leaves: no summary and no record (an aggregation stopped
    half-way removes them), or all of it when only the report was left to print."""
    if (folder / RECORD).is_file():
        return f"{folder} was aggregated in full"
    return f"{folder} has no summary; its cells are kept (run hedgesim-aggregate again)"


def _aggregate_and_say(args: argparse.Namespace) -> None:
    if not (args.jobs >= 1 or args.jobs == -1):  # before anything of the folder is removed
        print(f"hedgesim-aggregate: error: --jobs={args.jobs}; {JOBS_ALLOWED}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    try:
        table = aggregate(args.folder, args.fan, not args.no_figures, args.jobs)
    except SweepError as err:
        print(f"hedgesim-aggregate: error: {err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    except Exception as err:  # reading or writing failed: one line, not a traceback
        print(failure("hedgesim-aggregate", args.folder, err), file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    report(args.folder, table)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hedgesim-aggregate",
        description="Aggregate a hedgesim multirun folder into dataset/, summary.parquet, "
        "summary.csv and figures/.",
    )
    parser.add_argument("folder", type=Path, help="the multirun folder (hydra.sweep.dir)")
    parser.add_argument(
        "--fan",
        action="append",
        default=None,
        metavar="CELL",
        help="a cell to draw a trajectory fan for, e.g. "
        "'challenges.trust=0.5,challenges.tension=0.75' (repeatable)",
    )
    parser.add_argument("--no-figures", action="store_true", help="skip the heatmaps and fans")
    parser.add_argument(
        "--jobs",
        type=int,
        default=-1,
        help="threads reading cells, processes drawing figures (default -1: all cores)",
    )
    return parser
