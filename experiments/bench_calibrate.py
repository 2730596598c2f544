"""Benchmark: what one calibration trial costs, and what a full calibration takes.

Times the parts of a trial (the ensemble run with its tidy table, then the evaluation of every
target) at the ensemble sizes given, then a short optuna study of ``--trials`` trials in a
temporary folder (the sampler's own cost included), and projects the full calibration of
conf/calibration/search.yaml from the measured seconds per trial. Also times one reproduction
run (1,000 replicates, targets and naive forecasts, without writing). The last line printed is a
JSON object of the figures (trials per second at search.yaml's replicates among them).

Usage:
    python experiments/bench_calibrate.py [--replicates 32 64 128] [--trials 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from hedgesim.analysis.naive import naive_tables
from hedgesim.analysis.pass_rules import evaluate, pass_count
from hedgesim.workflows.calibration.objective import Objective, base_spec, current_values
from hedgesim.workflows.calibration.search import Settings, read_search
from hedgesim.workflows.calibration.study import open_study, run_trials
from hedgesim.workflows.reproduction import REPLICATES, SEED, run_baseline
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


def time_study(trials: int, replicates: int) -> float:
    """Seconds per trial of a short study (sampling, run, evaluation, SQLite)."""
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
    with tempfile.TemporaryDirectory() as folder:
        study = open_study(Path(folder), settings.seed, "bench")
        start = time.perf_counter()
        ran = run_trials(study, objective, dims, trials, [current_values(dims, [])], None, False)
        return (time.perf_counter() - start) / max(ran, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dims, settings = read_search()
    print(f"free parameters: {len(dims)}; targets evaluated: {sum(t.evaluate for t in read_targets())}")
    print(f"{'replicates':>10} {'run s':>8} {'evaluate s':>11}")
    for replicates in args.replicates:
        run, judge = time_parts(replicates, args.repeat)
        print(f"{replicates:>10} {run:>8.3f} {judge:>11.3f}")
    per_trial = time_study(args.trials, settings.replicates)
    full = per_trial * settings.trials + 2 * time_parts(settings.final_replicates, 1)[0]
    print(f"study of {args.trials} trials at {settings.replicates} replicates: {per_trial:.3f} s per trial")
    print(f"projected full calibration ({settings.trials} trials, search.yaml): {full / 60:.1f} min")
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
        "trials_per_s": round(1.0 / per_trial, 2),
        "s_per_trial": round(per_trial, 4),
        "trials_timed": args.trials,
        "projected_full_calibration_min": round(full / 60, 1),
        "reproduction_s": round(reproduction, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
