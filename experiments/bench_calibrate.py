"""Benchmark: what one calibration trial costs, and what a full calibration takes.

Times the parts of a trial (the ensemble run with its tidy table, then the evaluation of every
target) at the ensemble sizes given, then the model's part of a batch of trials (run side by side
as one ensemble and scored) at each ``--batches`` size, then short optuna studies of ``--trials``
trials in a temporary folder (the sampler's and the study storage's own cost included), one trial
at a time and in batches of search.yaml's ``batch``, and projects the full calibration of
conf/calibration/search.yaml: each trial's model and storage cost as in the short study, plus the
sampler's proposal at the number of trials finished before it (measured on in-memory studies of
that many random finished trials: TPE's cost grows with the trials it learns from, so the short
study alone would project a full search far too fast), twice when search.yaml's ``fix_flat``
asks for a second search, with the loss profiles. Also times one reproduction
run (1,000 replicates, targets and naive forecasts, without writing). The last line printed is a
JSON object of the figures: trials per second at search.yaml's replicates, batched with each
batch split over ``--workers`` processes as hedgesim-calibrate does by default (``trials_per_s``),
batched on one process (``trials_per_s_one_worker``) and one at a time (``trials_per_s_unbatched``).

Usage:
    python experiments/bench_calibrate.py [--replicates 32 64 128] [--batches 1 4 8 16 32]
        [--trials 64] [--repeat 3] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from hedgesim.analysis.naive import naive_tables
from hedgesim.analysis.pass_rules import evaluate, pass_count
from hedgesim.workflows.calibration.identification import PROFILE_POINTS
from hedgesim.workflows.calibration.objective import Objective, base_spec, current_values
from hedgesim.workflows.calibration.search import Dimension, Settings, read_search
from hedgesim.workflows.calibration.study import open_study, run_trials, sampler, suggest
from hedgesim.workflows.calibration.workers import available_cpus
from hedgesim.workflows.reproduction import run_baseline
from hedgesim.workflows.reproduction_options import REPLICATES, SEED
from hedgesim.workflows.targets_file import read_targets


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def time_parts(replicates: int, repeat: int) -> tuple[float, float]:
    """Best seconds of one run (tables built) and of one evaluation, at the configured values."""
    dims, settings = read_search()
    objective = Objective(base_spec([], settings, replicates), read_targets())
    values = current_values(dims, [])
    trajectories = objective.trajectories(values)
    run = best_of(repeat, lambda: objective.trajectories(values))
    judge = best_of(repeat, lambda: evaluate(trajectories, objective.targets))
    return run, judge


def time_batches(replicates: int, batch: int, repeat: int, workers: int = 1) -> float:
    """Best seconds per trial of the model's part of a batch: one ensemble of ``batch`` trials
    (the sampler's first values, then random ones) run side by side and scored, split over
    ``workers`` processes."""
    dims, settings = read_search()
    objective = Objective(base_spec([], settings, replicates), read_targets())
    base = current_values(dims, [])
    spread = [
        {d.name: d.value_at((k * 0.37 + 0.11 * j) % 1.0) for j, d in enumerate(dims)} for k in range(batch)
    ]
    values = [base, *spread[1:]]
    with objective.on_workers(workers):
        return best_of(repeat, lambda: objective.scores(values)) / batch


def time_study(trials: int, replicates: int, batch: int = 1, workers: int = 1) -> float:
    """Seconds per trial of a short study (sampling, run, evaluation, SQLite), each batch
    scored on ``workers`` processes (their start included). The configured values the study
    starts from are read before the clock starts, as hedgesim-calibrate reads them before its
    study: composing that config once is not a trial's cost."""
    dims, settings = read_search()
    settings = Settings(
        trials=trials,
        replicates=replicates,
        final_replicates=replicates,
        seed=settings.seed,
        scenario=settings.scenario,
    )
    targets = read_targets()
    objective = Objective(base_spec([], settings, replicates), targets)
    start_at = [current_values(dims, [])]
    with tempfile.TemporaryDirectory() as folder:
        study = open_study(Path(folder), settings.seed, "bench")
        start = time.perf_counter()
        with objective.on_workers(workers):
            ran = run_trials(study, objective, dims, trials, start_at, None, False, batch=batch)
        return (time.perf_counter() - start) / max(ran, 1)


def proposal_seconds(dims: list[Dimension], finished: int, batch: int, seed: int) -> float:
    """Seconds per proposal of the study's sampler after ``finished`` trials: a batch of
    ``batch`` trials asked and given their values, as a batched calibration proposes them from
    its in-memory copy of the study. The finished trials are random points of the search space
    with random losses (the sampler's cost depends on their number, not their values)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(seed)
    distributions = {d.name: optuna.distributions.FloatDistribution(d.low, d.high, log=d.log) for d in dims}
    study = optuna.create_study(sampler=sampler(seed))
    study.add_trials(
        [
            optuna.trial.create_trial(
                params={d.name: float(d.value_at(rng.random())) for d in dims},
                distributions=distributions,
                value=float(rng.random()),
            )
            for _ in range(finished)
        ]
    )
    start = time.perf_counter()
    for _ in range(batch):
        suggest(study.ask(), dims)
    return (time.perf_counter() - start) / batch


def projected_search_s(per_trial: float, timed: int, trials: int, proposals: dict[int, float]) -> float:
    """A full search's seconds: each trial's cost besides its proposal as in the short study, plus
    each proposal's cost at the number of trials finished before it (interpolated between the
    study sizes measured; the sampler's cost grows with the trials it learns from)."""
    sizes = sorted(proposals)
    levels = [proposals[n] for n in sizes]
    cost = lambda count: np.interp(np.arange(count), sizes, levels)  # each trial's proposal
    besides = per_trial - float(cost(timed).mean())
    return trials * max(besides, 0.0) + float(cost(trials).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, default=available_cpus(), help="as hedgesim-calibrate's (default: the CPUs)"
    )
    args = parser.parse_args()
    dims, settings = read_search()
    print(f"free parameters: {len(dims)}; targets evaluated: {sum(t.evaluate for t in read_targets())}")
    print(f"{'replicates':>10} {'run s':>8} {'evaluate s':>11}")
    for replicates in args.replicates:
        run, judge = time_parts(replicates, args.repeat)
        print(f"{replicates:>10} {run:>8.3f} {judge:>11.3f}")
    print(
        f"{'batch':>10} {'model s per trial':>18}  (side by side, scored; {settings.replicates} replicates)"
    )
    for batch in args.batches:
        print(f"{batch:>10} {time_batches(settings.replicates, batch, args.repeat):>18.4f}")
    unbatched = time_study(args.trials, settings.replicates)
    one_worker = time_study(args.trials, settings.replicates, settings.batch)
    per_trial = time_study(args.trials, settings.replicates, settings.batch, args.workers)
    for label, seconds in (
        ("one at a time", unbatched),
        (f"in batches of {settings.batch}, one process", one_worker),
        (f"in batches of {settings.batch}, each split over {args.workers} processes", per_trial),
    ):
        study = f"study of {args.trials} trials ({settings.replicates} replicates)"
        print(f"{study}, {label}: {seconds:.3f} s a trial")
    sizes = sorted({0, args.trials, *(round(settings.trials * f) for f in (0.25, 0.5, 1.0))})
    proposals = {n: proposal_seconds(dims, n, settings.batch, settings.seed) for n in sizes}
    measured = ", ".join(f"{n}: {seconds * 1000:.0f} ms" for n, seconds in proposals.items())
    print(f"sampler's proposal after n finished trials: {measured}")
    search = projected_search_s(per_trial, args.trials, settings.trials, proposals)
    stages = 2 if settings.fix_flat else 1
    grid = PROFILE_POINTS + 1  # a profile runs each parameter's grid and its best side by side
    profiles = stages * len(dims) * grid * time_batches(settings.replicates, grid, 1, args.workers)
    full = stages * search + profiles + 2 * time_parts(settings.final_replicates, 1)[0]
    print(
        f"projected full calibration ({stages} x {settings.trials} trials, search.yaml; the second "
        f"search, over fewer parameters, counted as the first; {profiles:.0f} s of loss profiles): "
        f"{full / 60:.1f} min ({settings.trials / search:.1f} trials per second over a whole search)"
    )
    start = time.perf_counter()
    trajectories = run_baseline([], REPLICATES, SEED)
    table = evaluate(trajectories, read_targets())
    naive_tables(trajectories, read_targets())
    reproduction = time.perf_counter() - start
    print(
        f"reproduction run ({REPLICATES} replicates, targets and naive forecasts, no writing): "
        f"{reproduction:.1f} s; {pass_count(table)}/{len(table)} targets pass"
    )
    figures = {
        "replicates": settings.replicates,
        "batch": settings.batch,
        "workers": args.workers,
        "trials_per_s": round(1.0 / per_trial, 2),
        "trials_per_s_one_worker": round(1.0 / one_worker, 2),
        "trials_per_s_unbatched": round(1.0 / unbatched, 2),
        "s_per_trial": round(per_trial, 4),
        "trials_timed": args.trials,
        "proposal_ms_by_finished_trials": {str(n): round(v * 1000, 1) for n, v in proposals.items()},
        "trials_per_s_full_search": round(settings.trials / search, 2),
        "projected_full_calibration_min": round(full / 60, 1),
        "reproduction_s": round(reproduction, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
