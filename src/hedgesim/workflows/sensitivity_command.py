"""``hedgesim-sensitivity``'s command line: options checked, the analysis
(:mod:`hedgesim.workflows.sensitivity`) run, its folder written whole.

Writes into ``--out`` (default ``results/sensitivity/<time>``, ``<time>_2`` if another analysis
wrote that one; a folder not named is never replaced): ``samples.parquet`` (points
and outcomes), ``sobol.parquet`` and ``sobol.csv`` (one row per outcome and parameter),
``sobol.png`` (bar chart), and ``manifest.json`` last. The folder replaces ``--out`` when it is
complete, so an error or Ctrl-C leaves ``--out`` as it was.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import matplotlib

from hedgesim.analysis import outcomes as summary
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import refuse_set_by_options
from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ParameterError
from hedgesim.workflows.interrupt import CtrlC, one_line_on_ctrl_c
from hedgesim.workflows.process_exit import skip_final_collection
from hedgesim.workflows.results import save_figure, write_manifest, write_parquet, write_text
from hedgesim.workflows.sensitivity import DEFAULT_PARAMS, Factor, analyse, parse_factor
from hedgesim.workflows.whole_folders import check_replaceable, error_line, replaced_whole, what_is_left

EXIT_FAILED, EXIT_USAGE = 1, 2
TABLES = ("samples.parquet", "sobol.parquet", "sobol.csv")
FIGURE = "sobol.png"
FILES = (*TABLES, FIGURE)
"""What the command writes into ``--out`` besides its manifest (the figure when there are indices)."""
COMMAND = "hedgesim-sensitivity"
"""The command's name in its manifest: an --out folder it may replace is one it wrote."""


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: ``hedgesim-sensitivity [--param KEY[=LOW:HIGH]]... [overrides]``."""
    skip_final_collection()
    matplotlib.use("Agg")  # a command writes figures to files; it never opens a window
    args = _parser().parse_intermixed_args(argv)  # overrides before, between and after options
    args.named_out = args.out is not None
    args.out = args.out or Path("results/sensitivity") / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    with one_line_on_ctrl_c("hedgesim-sensitivity", what_is_left(args.out)):
        _analyse_and_say(args)


def _analyse_and_say(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    try:
        factors = [parse_factor(p) for p in (args.param or DEFAULT_PARAMS)]
        _check(args, factors)
        check_replaceable(args.out, FILES, COMMAND)
        overrides = with_scenario(args.overrides)
        notes: list[str] = []
        inputs: dict = {}
        samples, table = analyse(
            overrides,
            factors,
            args.samples,
            args.replicates,
            args.seed,
            args.outcomes,
            args.jobs,
            notes,
            inputs,
        )
        seconds = time.perf_counter() - started
        if not args.named_out:
            args.out = _unused(args.out)
        write_outputs(args.out, samples, table, factors, args, overrides, seconds, notes, inputs)
    except (ConfigError, ParameterError) as err:
        print(f"hedgesim-sensitivity: error: {err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    except OSError as err:  # an output it cannot write (the folder is as it was)
        print(f"hedgesim-sensitivity: error: {error_line(err)}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    except BrokenProcessPool:  # loky's TerminatedWorkerError too
        if CtrlC.seen:  # the workers stopped on Ctrl-C, not by dying
            raise KeyboardInterrupt from None
        print(
            f"hedgesim-sensitivity: error: a worker running points died (killed, or out of memory); "
            f"{args.out} is as it was: run it again, with fewer --jobs if memory is short",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_FAILED) from None
    if table.empty:  # pandas would print "Empty DataFrame", its columns and "Index: []"
        print("No outcome has Sobol indices (the notes say why).")
    else:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in notes:
        print(f"hedgesim-sensitivity: note: {note}", file=sys.stderr)
    print(f"hedgesim-sensitivity: wrote {args.out}", file=sys.stderr)


def with_scenario(overrides: Sequence[str]) -> list[str]:
    """The overrides, after ``scenario=forward_2030`` unless one of them sets the scenario,
    ``+scenario=baseline`` too: after the default, Hydra ran forward_2030 for it without a word
    (alone it is Hydra's one-line error, as in ``hedgesim``). ``~scenario`` removes the default."""
    named = any(_chooses(line, "scenario") for line in overrides)
    return list(overrides) if named else ["scenario=forward_2030", *overrides]


def _chooses(line: str, group: str) -> bool:
    """Whether an override chooses an option of ``group`` (``group=x`` or ``+group=x``; a
    removal, ``~group``, chooses none)."""
    return not line.startswith("~") and line.lstrip("+").partition("=")[0].strip() == group


def _unused(out: Path) -> Path:
    """The default folder, or ``<time>_2``, ``_3``... when it exists: an analysis started in
    the same second finished first, and a folder the user did not name is never replaced."""
    candidate, k = out, 1
    while candidate.exists():
        k += 1
        candidate = out.with_name(f"{out.name}_{k}")
    return candidate


def _check(args: argparse.Namespace, factors: Sequence[Factor]) -> None:
    """Refuse bad options before any point runs, one line naming the allowed values."""
    keys = [f.key for f in factors]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--param lists a key twice: {keys}; allowed: each parameter once")
    if args.samples < 2 or args.samples & (args.samples - 1):
        raise ConfigError(f"--samples={args.samples}; allowed: a power of 2 >= 2 (Sobol sequence)")
    if args.replicates < 1:
        raise ConfigError(f"--replicates={args.replicates}; allowed: an integer >= 1")
    if args.seed < 0:
        raise ConfigError(f"--seed={args.seed}; allowed: an integer >= 0")
    sampled = {f.key: f"--param {f.key}=LOW:HIGH (it is sampled)" for f in factors}
    refuse_set_by_options(args.overrides, {"replicates": "--replicates N", "seed": "--seed S", **sampled})
    _refuse_hydra_settings(args.overrides)
    _refuse_replaced_group(args.overrides, keys)
    if not (args.jobs >= 1 or args.jobs == -1):
        raise ConfigError(f"--jobs={args.jobs}; allowed: a count >= 1, or -1 (one per core)")
    unknown = [o for o in args.outcomes if o not in summary.OUTCOMES]
    if any("=" in o for o in unknown):  # --outcomes takes every word up to the next option
        raise ConfigError(
            f"--outcomes {unknown}: overrides are read as outcomes after --outcomes; allowed: "
            "overrides before --outcomes, or after -- (--outcomes p_collapse -- scenario.end=2025-12)"
        )
    if unknown:
        raise ConfigError(f"--outcomes {unknown}: unknown; allowed: {', '.join(summary.OUTCOMES)}")
    if len(set(args.outcomes)) != len(args.outcomes):  # its rows and panels would repeat
        raise ConfigError(f"--outcomes lists an outcome twice: {args.outcomes}; allowed: each outcome once")


def _refuse_replaced_group(overrides: Sequence[str], sampled: Sequence[str]) -> None:
    """Refuse ``challenges=high_tension`` when every challenge is sampled: each point sets all
    three, so the group chosen would change nothing, without a word."""
    challenges = {f"challenges.{f.name}" for f in dataclasses.fields(Challenges)}
    if not challenges <= set(sampled):
        return
    for line in overrides:
        if _chooses(line, "challenges"):
            raise ConfigError(
                f"{line}: every challenge is sampled (--param), so the group's values would all be "
                "replaced; allowed: --param for the challenges to vary, the group for those held"
            )


def _refuse_hydra_settings(overrides: Sequence[str]) -> None:
    """Refuse ``hydra.*`` and ``hydra/...`` overrides: the analysis composes the run's config
    without starting Hydra, so a launcher, worker count or folder set there would be ignored."""
    for line in overrides:
        if line.lstrip("+~").startswith(("hydra.", "hydra/")):
            raise ConfigError(
                f"{line}: {COMMAND} runs no Hydra job, so Hydra's settings would be ignored; "
                "allowed: --jobs N (processes), --out DIR (the folder), overrides of the run"
            )


def write_outputs(
    out: Path,
    samples,
    table,
    factors,
    args,
    overrides,
    seconds: float,
    notes: Sequence[str] = (),
    inputs: Mapping[str, object] | None = None,
) -> None:
    """Tables, chart, then the manifest (its ``notes`` say which outcomes were left out and
    whether the sample is large enough; ``inputs`` adds the files the runs read, such as the
    parameter sets and their sha256), in a folder that replaces ``out`` whole when done."""
    with replaced_whole(out) as staging:
        _write_analysis(staging, samples, table, factors, args, overrides, seconds, notes, inputs or {})


def _write_analysis(out: Path, samples, table, factors, args, overrides, seconds, notes, inputs) -> None:
    from hedgesim.plots import sweep as sweep_plots

    write_parquet(samples, out / "samples.parquet")
    write_parquet(table, out / "sobol.parquet")
    write_text(table.to_csv(index=False), out / "sobol.csv")
    files = list(TABLES)
    if not table.empty:
        save_figure(sweep_plots.sobol_bars(table), out / FIGURE)
        files.append(FIGURE)
    write_manifest(
        out,
        command=COMMAND,
        seed=args.seed,
        samples=args.samples,
        points=len(samples),
        replicates=args.replicates,
        factors=[dataclasses.asdict(f) for f in factors],
        overrides=overrides,
        outcomes=list(args.outcomes),
        files=files,
        notes=list(notes),
        sobol_versions=sobol_versions(),
        wall_time_s=round(seconds, 3),
        **inputs,
    )


def sobol_versions() -> dict[str, str]:
    """The versions of what drew the points and the indices (SALib, and scipy's Sobol sequence
    under it), which the manifest's ``versions`` do not list: another draws other points."""
    from importlib.metadata import version

    return {name: version(name) for name in ("SALib", "scipy")}


def _parser() -> argparse.ArgumentParser:
    """The command line: factors, sampling and run sizes, then Hydra overrides of the base run."""
    parser = argparse.ArgumentParser(
        prog="hedgesim-sensitivity",
        description="Sobol indices (SALib) of the sweep outcomes with respect to the parameters listed "
        "with --param (without --param: the three challenges; with it, only those listed). Extra "
        "arguments are Hydra overrides of the base run (default scenario=forward_2030).",
    )
    parser.add_argument(
        "--param",
        action="append",
        metavar="KEY[=LOW:HIGH]",
        help="a parameter to vary, e.g. params.trust_loss or challenges.tension=0.2:0.9 "
        "(repeatable; default: the three challenges over [0, 1])",
    )
    parser.add_argument("--samples", type=int, default=64, help="Sobol base sample N, a power of 2 (64)")
    parser.add_argument("--replicates", type=int, default=50, help="replicates per point (50)")
    parser.add_argument("--seed", type=int, default=20101219, help="run and sampling seed")
    parser.add_argument(
        "--outcomes",
        nargs="+",
        default=list(summary.PROBABILITIES),
        help="summary outcomes to analyse (default: the probabilities; any of "
        f"{', '.join(summary.OUTCOMES)})",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="processes running points (default 1; -1: one per core)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default results/sensitivity/<time>)"
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the base run")
    return parser
