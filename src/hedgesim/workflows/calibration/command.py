"""The ``hedgesim-calibrate`` console script: the calibration from end to end, its lines, exit status.

Its options are read and checked in hedgesim.workflows.calibration.options.

A mistake in the inputs (search space, targets, overrides, options), a run folder another
calibration is working in or one holding other files, is one line on stderr and exit status 2;
an unwritable folder is one line and exit status 1. The study is resumable: an interrupted
calibration loses no finished trial, and a trial a killed one left running is marked failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pandas as pd

from hedgesim.analysis.naive import naive_tables, summary_lines
from hedgesim.analysis.pass_rules import evaluate, loss, pass_count
from hedgesim.analysis.targets import TargetError
from hedgesim.config.errors import ConfigError
from hedgesim.workflows.calibration.fingerprint import fingerprint
from hedgesim.workflows.calibration.identification import identification, profile
from hedgesim.workflows.calibration.lock import hold_lock
from hedgesim.workflows.calibration.objective import Objective, base_spec, current_values, default_values
from hedgesim.workflows.calibration.options import (
    check_options,
    check_sizes,
    effective_settings,
    parse_args,
    worker_count,
)
from hedgesim.workflows.calibration.plausible import PLAUSIBLE_FILE, choose, header_lines, plausible_text
from hedgesim.workflows.calibration.refine import (
    REFINED_DIR,
    Refinement,
    combined_identification,
    fixed_tags,
    refinement,
)
from hedgesim.workflows.calibration.report import calibrated_yaml, params_header, rounded, write_outputs
from hedgesim.workflows.calibration.search import (
    CalibrationError,
    Dimension,
    Settings,
    read_search,
    read_starts,
)
from hedgesim.workflows.calibration.study import (
    drop_outgrown,
    fail_stale_trials,
    open_study,
    run_trials,
    searched_seconds,
    trials_table,
)
from hedgesim.workflows.interrupt import CtrlC, one_line_on_ctrl_c
from hedgesim.workflows.process_exit import skip_final_collection
from hedgesim.workflows.results import clean_temporaries, git_commit, write_texts_together
from hedgesim.workflows.targets_file import InputError, read_targets
from hedgesim.workflows.whole_folders import error_line

EXIT_USAGE = 2
EXIT_FAILED = 1


def calibrate(args: argparse.Namespace) -> dict[str, Any]:
    """Run (or resume) the study, then write the tables, the report and the parameters.

    The run folder is locked throughout (a second calibration there is refused), so the tables
    written at the end are those of the study as this calibration left it; temporaries a killed
    calibration left there are removed first.
    """
    inputs = _read_inputs(args)  # every input checked before the run folder is made
    with hold_lock(Path(args.run_dir)):
        clean_temporaries(Path(args.run_dir))
        return _calibrate(args, *inputs)


def _read_inputs(args: argparse.Namespace) -> tuple:
    """The targets, free parameters, settings, objective, start points and study stamp, each
    checked: a mistake is found before any work and before the run folder is made."""
    check_options(args)
    targets = read_targets(args.targets)
    dims, settings = read_search(args.search)
    settings = effective_settings(args, settings)
    objective = Objective(base_spec(args.overrides, settings, settings.replicates), targets)
    check_sizes(args, settings, objective.spec)
    configured = current_values(dims, args.overrides)
    points = read_starts(args.search, dims)
    starts = [configured, *({**configured, **point} for point in points)]
    stamp = fingerprint(dims, settings, targets, args.overrides, points)
    args.workers, note = worker_count(args, settings)
    if note is not None:
        print(f"hedgesim-calibrate: note: {note}", file=sys.stderr)
    return targets, dims, settings, objective, starts, stamp


def _calibrate(
    args: argparse.Namespace,
    targets: Sequence,
    dims: Sequence[Dimension],
    settings: Settings,
    objective: Objective,
    starts: Sequence[Mapping[str, float]],
    stamp: str,
) -> dict[str, Any]:
    run_dir = Path(args.run_dir)
    refined = None
    with objective.on_workers(args.workers):
        trials, timing = _study(run_dir, objective, dims, settings, starts, stamp, args)
        best = rounded({d.name: float(trials.iloc[0][d.name]) for d in dims})
        if settings.fix_flat:
            refined = refinement(objective, dims, trials, best, default_values(dims, args.overrides))
    facts: dict[str, Any] = {"workers": args.workers}
    if refined is not None:
        facts["first_search"] = {**_result_of_search(trials), **timing, "fixed": refined.fixed}
        stamp = fingerprint(
            refined.free, settings, targets, [*args.overrides, *fixed_tags(refined.fixed)], []
        )
        run_dir, objective, dims = run_dir / REFINED_DIR, refined.objective, refined.free
        facts["second_search_restarted"] = drop_outgrown(run_dir, stamp)  # made after a smaller first
        with objective.on_workers(args.workers):
            start = [refined.start]
            trials, timing = _study(run_dir, objective, dims, settings, start, stamp, args, "second search")
        best = {**refined.fixed, **rounded({d.name: float(trials.iloc[0][d.name]) for d in dims})}
    with objective.on_workers(args.workers):
        ident = _identification(objective, trials, dims, best, refined)
    final = objective.trajectories(best, settings.final_replicates)
    model_table = evaluate(final, targets)
    naive = naive_tables(final, targets)
    facts = {
        **timing,
        **_result(trials, model_table),
        **facts,
        "settings": dataclasses.asdict(settings),
        "overrides": list(args.overrides),
    }
    write_outputs(Path(args.run_dir), trials, ident, model_table, naive, facts)
    if not args.no_write:
        facts["plausible"] = _write_parameters(trials, best, facts, settings, Path(args.params_out))
    facts["summary"] = summary_lines(model_table, naive)
    return facts


def _study(
    run_dir: Path,
    objective: Objective,
    dims: Sequence[Dimension],
    settings: Settings,
    starts: Sequence[Mapping[str, float]],
    stamp: str,
    args: argparse.Namespace,
    desc: str = "calibrating",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One search: open (or resume) the study in ``run_dir``, run what it lacks; its completed
    trials, best first, and its timing. ``desc`` labels its progress bar."""
    study = open_study(run_dir, settings.seed, stamp)
    stale = fail_stale_trials(study)
    timing = {**_search(study, objective, dims, settings, starts, args, desc), "stale_trials_failed": stale}
    trials = trials_table(study, dims)
    if trials.empty:
        raise CalibrationError("the study has no completed trial; allowed: --trials >= 1")
    return trials, timing


def _identification(
    objective: Objective,
    trials: pd.DataFrame,
    dims: Sequence[Dimension],
    best: Mapping[str, float],
    refined: Refinement | None = None,
) -> pd.DataFrame:
    """How well the last search pins each parameter: the spread of its best trials and its loss
    profile, with what the first search left flat and fixed (a two-stage calibration)."""
    ident = identification(trials, dims).merge(profile(objective, dims, best), on="parameter")
    return ident if refined is None else combined_identification(refined, ident)


def _write_parameters(
    trials: pd.DataFrame, best: Mapping[str, float], facts: Mapping[str, Any], settings: Settings, out: Path
) -> dict[str, Any]:
    """The calibrated file and, beside it, the plausible parameter sets (hedgesim.workflows.
    calibration.plausible), written together: neither is replaced unless both are."""
    sets, rule = choose(trials, best, facts["targets"])
    plausible = out.with_name(PLAUSIBLE_FILE.name)
    header = header_lines({**facts, "git_commit": git_commit()}, rule)
    write_texts_together(
        {out: calibrated_yaml(best, params_header(facts, settings)), plausible: plausible_text(sets, header)}
    )
    return {**rule, "file": str(plausible)}


def _search(
    study,
    objective: Objective,
    dims: Sequence[Dimension],
    settings: Settings,
    starts: Sequence[Mapping[str, float]],
    args: argparse.Namespace,
    desc: str = "calibrating",
) -> dict[str, Any]:
    """Run the trials the study still lacks; how long it took, now and over the whole study
    (run_trials adds each run's time to the study, killed runs' up to their last trial)."""
    started = time.perf_counter()
    ran = run_trials(
        study,
        objective,
        dims,
        settings.trials,
        starts,
        args.timeout,
        not args.no_progress,
        desc,
        batch=settings.batch,
    )
    elapsed = time.perf_counter() - started
    searched = searched_seconds(study)
    return {
        "trials_run_now": ran,
        "seconds_now": round(elapsed, 1),
        "seconds_per_trial": round(elapsed / ran, 3) if ran else None,
        "seconds_study": round(searched, 1),
    }


def _result_of_search(trials: pd.DataFrame) -> dict[str, Any]:
    """A search's size and its best trial."""
    return {
        "trials_total": len(trials),
        "best_trial": int(trials.iloc[0]["trial"]),
        "best_loss_search": float(trials.iloc[0]["loss"]),
    }


def _result(trials: pd.DataFrame, model_table: pd.DataFrame) -> dict[str, Any]:
    """The best trial and its re-check on the final ensemble."""
    return {
        **_result_of_search(trials),
        "loss": loss(model_table),
        "passed": pass_count(model_table),
        "targets": len(model_table),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``hedgesim-calibrate [overrides] [--trials N] ...``."""
    skip_final_collection()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with one_line_on_ctrl_c("hedgesim-calibrate", lambda: _left(args)):
        return _calibrate_and_say(args)


def _left(args: argparse.Namespace) -> str:
    """What an interrupted calibration keeps: its study's finished batches, to resume from."""
    return f"the study's finished batches are kept in {args.run_dir} (run the same command again to resume)"


def _calibrate_and_say(args: argparse.Namespace) -> int:
    """Calibrate, then the console's lines; the exit status."""
    try:
        facts = calibrate(args)
    except (InputError, ConfigError, TargetError) as err:
        print(f"hedgesim-calibrate: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:  # a run folder or output that cannot be written
        print(f"hedgesim-calibrate: error: {error_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenProcessPool:
        if CtrlC.seen:  # the workers stopped on Ctrl-C, not by dying
            raise KeyboardInterrupt from None
        print(
            "hedgesim-calibrate: error: a worker scoring trials died (killed, or out of memory); "
            "the finished batches are kept: run it again to resume, with fewer --workers if memory is short",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if facts["stale_trials_failed"]:
        print(
            f"hedgesim-calibrate: trials {facts['stale_trials_failed']} were left running by an "
            "interrupted calibration; marked failed (not counted)",
            file=sys.stderr,
        )
    if facts.get("second_search_restarted"):
        print(
            f"hedgesim-calibrate: the second search started again ({facts['second_search_restarted']} "
            "trials dropped): the first search has grown since they were made, and other values are fixed",
            file=sys.stderr,
        )
    for line in facts["summary"]:
        print(line)
    print(
        f"trials: {facts['trials_total']} in the study, {facts['trials_run_now']} run now "
        f"in {facts['seconds_now']} s ({facts['seconds_study']} s of search in all); "
        f"results in {args.run_dir}"
    )
    if not args.no_write:
        print(f"calibrated parameters: {args.params_out}")
        rule = facts["plausible"]
        print(
            f"plausible parameter sets: {rule['sets']} of the {rule['within']} trials within loss "
            f"{rule['tolerance']:.3g} of the best: {rule['file']}"
        )
    return 0
