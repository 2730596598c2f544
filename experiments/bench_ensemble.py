"""Benchmark: one R-replicate ensemble run against R separate one-replicate runs.

Prints agent-steps per second (5 agents x replicates x months) for both ways, and their ratio,
for the baseline scenario (2008-01..2019-12, 144 months). Results are included in the ensemble
timing: the tidy trajectories table and the event log are built. Separate runs are timed on a
sample of replicates (``--sample``) and their rate is extrapolated, since 10,000 separate runs
would take many minutes without telling anything more.

Usage:
    python experiments/bench_ensemble.py [--replicates 1000 10000] [--sample 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time

from hedgesim.config.compose import compose_config
from hedgesim.config.spec import build_run
from hedgesim.core.model import HedgingModel
from hedgesim.workflows.run import build_model

N_AGENTS = 5


def build(spec, replicate_ids) -> HedgingModel:
    return build_model(dataclasses.replace(spec, replicate_ids=tuple(replicate_ids)))


def time_ensemble(spec, replicates: int, repeat: int) -> float:
    """Best wall time of one run of ``replicates`` replicates, tables included."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        model = build(spec, range(replicates)).run()
        model.trajectories()
        model.event_log()
        best = min(best, time.perf_counter() - started)
    return best


def time_separate(spec, sample: int) -> float:
    """Wall time per one-replicate run, averaged over ``sample`` runs, tables included."""
    started = time.perf_counter()
    for k in range(sample):
        model = build(spec, [k]).run()
        model.trajectories()
        model.event_log()
    return (time.perf_counter() - started) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--sample", type=int, default=200, help="separate runs actually timed")
    parser.add_argument("--repeat", type=int, default=3, help="ensemble runs timed (best kept)")
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    spec = build_run(compose_config())
    months = spec.calendar.n_steps
    build(spec, [0]).run()  # warm up imports and caches
    per_run = time_separate(spec, args.sample)
    separate_rate = N_AGENTS * months / per_run
    print(f"scenario {spec.calendar.start}..{spec.calendar.end}: {months} months, {N_AGENTS} agents")
    print(
        f"separate one-replicate runs: {per_run * 1000:.1f} ms per run "
        f"({args.sample} runs timed), {separate_rate:,.0f} agent-steps/s"
    )
    print(
        f"{'replicates':>10} {'separate (s, extrapolated)':>28} {'ensemble (s)':>13} "
        f"{'ensemble agent-steps/s':>24} {'ratio':>8}"
    )
    figures = []
    for replicates in args.replicates:
        ensemble = time_ensemble(spec, replicates, args.repeat)
        separate = per_run * replicates
        rate = N_AGENTS * months * replicates / ensemble
        print(
            f"{replicates:>10,} {separate:>28.1f} {ensemble:>13.2f} {rate:>24,.0f} "
            f"{separate / ensemble:>7.0f}x"
        )
        figures.append(
            {
                "replicates": replicates,
                "ensemble_s": round(ensemble, 3),
                "ns_per_replicate_month": round(1e9 * ensemble / (replicates * months), 1),
                "agent_steps_per_s": round(rate),
                "ratio_vs_own_separate_runs": round(separate / ensemble, 1),
            }
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
