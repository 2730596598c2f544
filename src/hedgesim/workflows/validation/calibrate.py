"""Each origin's calibration: hedgesim-calibrate's search, fed the training targets only.

The objective, the optuna study (TPE, fixed seed, SQLite, resumable, fingerprinted) and the
trial loop are the calibration package's own; what differs is what the study may see. Its
objective holds the training targets alone, so no held-out value reaches a trial, and its
fingerprint covers only them. It starts from the uncalibrated defaults: the committed calibration
and search.yaml's starting points were chosen with every target in view, held-out ones included.

The origins' studies are independent and seeded, so they run side by side, one process each (two
cores halve the wall time) and give the same trials as one after the other.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import queue
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from hedgesim.analysis.targets import Target
from hedgesim.core.parameters import ModelParameters, ParameterError, allowed_range
from hedgesim.workflows.calibration.fingerprint import fingerprint
from hedgesim.workflows.calibration.lock import hold_lock
from hedgesim.workflows.calibration.objective import Objective, base_spec, default_values
from hedgesim.workflows.calibration.refine import REFINED_DIR, fixed_tags, refinement
from hedgesim.workflows.calibration.report import rounded
from hedgesim.workflows.calibration.search import CalibrationError, Dimension, Settings
from hedgesim.workflows.calibration.study import (
    completed,
    fail_stale_trials,
    open_study,
    run_trials,
    searched_seconds,
    trials_table,
)
from hedgesim.workflows.interrupt import worker_task
from hedgesim.workflows.processes import STARTED_WITH, stop_children, watch_parent
from hedgesim.workflows.validation.plan import Plan

DEFAULTS = ("params=default",)
"""The base run's parameters: the defaults, never the committed calibration."""


def objective(plan: Plan, targets: Sequence[Target], replicates: int | None = None) -> Objective:
    """The base run (defaults, the plan's scenario and seed) judged on ``targets``."""
    settings = plan.settings()
    return Objective(base_spec(list(DEFAULTS), settings, replicates or settings.replicates), targets)


def calibrate_origin(
    plan: Plan,
    origin: str,
    training: Sequence[Target],
    dims: Sequence[Dimension],
    run_dir: Path,
    progress: bool = True,
    report: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) the origin's study on its training targets; its best values and facts.

    ``report`` hears of the trials the study already holds, then of each new one (the progress
    of a study run in another process).

    Returns:
        ``params`` (the best trial rounded to four significant digits, as hedgesim-calibrate
        writes them), the trials run now and in all, the best trial, its training loss and
        passes on the search ensemble, and the seconds spent. With ``fix_flat``, those of the
        second search (in ``<origin>/refined``), ``params`` holding the values ``fixed`` after
        the first, whose facts are under ``first_search``.
    """
    if not training:
        raise CalibrationError(f"origin {origin}: no evidence target ends by it; allowed: a later origin")
    with hold_lock(Path(run_dir) / origin):  # one validation at a time in an origin's studies
        return _two_stages(plan, origin, training, dims, Path(run_dir) / origin, progress, report)


def _two_stages(plan, origin, training, dims, folder, progress, report) -> dict[str, Any]:
    """:func:`calibrate_origin` in its locked study folder: the first search, then (``fix_flat``)
    the second, with what the first leaves flat fixed."""
    settings = plan.settings()
    search = objective(plan, training)
    defaults = default_values(dims, [])
    start = {d.name: d.clipped(defaults[d.name]) for d in dims}  # the study's first trial
    tag = [f"validation-origin={origin}", *DEFAULTS]
    stamp = fingerprint(dims, settings, training, tag, [start])
    first, trials = _search(folder, search, dims, settings, [start], stamp, origin, progress, report)
    if not settings.fix_flat:
        return first
    refined = refinement(search, dims, trials, first["params"], defaults)
    tag += fixed_tags(refined.fixed)
    stamp = fingerprint(refined.free, settings, training, tag, [])
    name = f"{origin}-refined"
    args = (refined.objective, refined.free, settings, [refined.start], stamp, name, progress, report)
    second, _ = _search(folder / REFINED_DIR, *args)
    values = {**first["params"], **refined.fixed, **second["params"]}
    return {
        **second,
        "params": {d.name: values[d.name] for d in dims},
        "fixed": refined.fixed,
        "first_search": {k: v for k, v in first.items() if k != "params"},
    }


def _search(
    folder: Path,
    search: Objective,
    dims: Sequence[Dimension],
    settings: Settings,
    starts: Sequence[Mapping[str, float]],
    stamp: str,
    name: str,
    progress: bool,
    report: Callable[[int], None] | None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """One search of an origin's calibration in ``folder`` (study ``hedgesim-validation-<name>``,
    its trials.csv beside it): its best values and facts, and its trials, best first."""
    study = open_study(folder, settings.seed, stamp, name=f"hedgesim-validation-{name}")
    fail_stale_trials(study)  # left running by a killed validation: not results, starts tried again
    held = len(completed(study))
    if held > settings.trials:  # its best would be of more trials than the plan registers
        raise CalibrationError(
            f"--run-dir {str(folder)!r} holds a study of {held} trials, more than the plan's trials="
            f"{settings.trials}; allowed: the plan's trials, or a new --run-dir"
        )
    tick = None if report is None else functools.partial(report, 1)
    if report is not None:
        report(len(completed(study)))
    started = time.perf_counter()
    desc = f"calibrating to {name}"
    ran = run_trials(study, search, dims, settings.trials, starts, None, progress, desc, tick)
    seconds = time.perf_counter() - started  # run_trials adds it to the study's own clock
    trials = trials_table(study, dims)
    trials.to_csv(folder / "trials.csv", index=False)
    best = trials.iloc[0]
    facts = {
        "params": rounded({d.name: float(best[d.name]) for d in dims}),
        "trials": len(trials),
        "trials_run_now": ran,
        "best_trial": int(best["trial"]),
        "training_loss_search": round(float(best["loss"]), 6),
        "training_passed_search": int(best["passed"]),
        "training_targets": len(search.targets),
        "seconds_now": round(seconds, 1),
        "seconds_study": round(searched_seconds(study), 1),
    }
    return facts, trials


def calibrate_all(
    plan: Plan,
    training: Mapping[str, Sequence[Target]],
    dims: Sequence[Dimension],
    run_dir: Path,
    progress: bool = True,
    jobs: int = 2,
) -> dict[str, dict[str, Any]]:
    """Every origin's calibration, ``jobs`` at a time in separate processes, one progress bar."""
    if jobs <= 1 or len(training) <= 1:
        return {o: calibrate_origin(plan, o, t, dims, run_dir, progress) for o, t in training.items()}
    context = multiprocessing.get_context("spawn")
    ticks = context.Queue()  # given at each worker's start: no manager process to outlive a kill
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=watch_parent, initargs=(os.getpid(), ticks)
    )
    try:
        return _calibrate_on(pool, ticks, plan, training, dims, run_dir, progress)
    except BaseException:  # a worker started after a Ctrl-C never got it: ended here
        pool.shutdown(wait=False, cancel_futures=True)
        stop_children()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _calibrate_on(pool, ticks, plan, training, dims, run_dir, progress) -> dict[str, dict[str, Any]]:
    """Every origin's calibration as a task of ``pool``; their progress on one bar."""
    from tqdm.auto import tqdm

    total = plan.trials * len(training) * (2 if plan.settings().fix_flat else 1)
    futures = {
        o: pool.submit(_worker, plan, o, tuple(t), tuple(dims), Path(run_dir)) for o, t in training.items()
    }
    bar = tqdm(total=total, desc="calibrating", unit="trial", disable=not progress, file=sys.stderr)
    with bar:
        while not all(f.done() for f in futures.values()):
            _drain(ticks, bar, wait=0.5)
        _drain(ticks, bar, wait=0.0)
    return {o: f.result() for o, f in futures.items()}


def _worker(plan, origin, training, dims, run_dir) -> dict[str, Any]:
    """One origin's calibration in a worker process; progress goes back through the queue it was
    given at its start."""
    with worker_task():
        return calibrate_origin(plan, origin, training, dims, run_dir, False, STARTED_WITH[0].put)


def _drain(ticks, bar, wait: float) -> None:
    """Move the workers' reported trials onto the bar."""
    try:
        bar.update(ticks.get(timeout=wait) if wait else ticks.get_nowait())
        while True:
            bar.update(ticks.get_nowait())
    except queue.Empty:
        return


def params_of(calibrations: Mapping[str, Any], origin: str, dims: Sequence[Dimension]) -> dict[str, float]:
    """An origin's committed best values, checked against the search space.

    Raises:
        CalibrationError: when the origin is missing or its values do not match the free parameters.
    """
    entry = calibrations.get(origin)
    params = entry.get("params") if isinstance(entry, Mapping) else None
    if not isinstance(params, Mapping):
        raise CalibrationError(
            f"calibrations: no params for origin {origin}; allowed: run without --score-only"
        )
    names = {d.name for d in dims}
    if set(params) != names:
        raise CalibrationError(
            f"calibrations.{origin}.params names {sorted(set(params) ^ names)} differently from the "
            "search space; allowed: exactly its free parameters"
        )
    return {k: _stored_value(origin, k, v) for k, v in params.items()}


def _stored_value(origin: str, name: str, value: Any) -> float:
    """One stored value, checked as the model will check it: a hand-edited file is one line,
    not the model's traceback halfway through the scoring.

    Raises:
        CalibrationError: naming the origin, the parameter, its value and its allowed range.
    """
    try:
        low, high = allowed_range(ModelParameters, name)
    except ParameterError:
        low, high = -math.inf, math.inf
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not low <= value <= high:  # NaN fails the comparison
        raise CalibrationError(
            f"calibrations.{origin}.params.{name}={value!r}; allowed: a number in [{low}, {high}]"
        )
    return float(value)


def check_made_by(calibrations: Mapping[str, Any], origin: str, plan: Plan, training: int) -> None:
    """Refuse to re-score an origin's committed calibration under a plan or targets it was not
    made with: the report would state the plan's trials and training targets as its own.

    Raises:
        CalibrationError: naming the stored value, the plan's and what is allowed.
    """
    entry = calibrations[origin]
    searches = {"trials": entry, "first_search.trials": entry.get("first_search") or {}}
    asked = {"trials": plan.trials, "first_search.trials": plan.trials if plan.settings().fix_flat else None}
    for key, stored in searches.items():
        if asked[key] is not None and stored.get("trials", asked[key]) != asked[key]:
            raise CalibrationError(
                f"calibrations.{origin}.{key}={stored['trials']}: made with other trials than the "
                f"plan's {asked[key]}; allowed: --plan of the calibrations, or run without --score-only"
            )
    if entry.get("training_targets", training) != training:
        raise CalibrationError(
            f"calibrations.{origin}.training_targets={entry['training_targets']}: made on other "
            f"targets than the {training} training targets now; allowed: --targets of the "
            "calibrations, or run without --score-only"
        )
