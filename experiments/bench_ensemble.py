"""Benchmark: hedgesim's R-replicate ensemble against a plain Mesa model run once per replicate.

The anchor (``experiments/mesa_anchor``) is model 2.0 written the way a Mesa user would: one
``mesa.Model`` per replicate, five agents with float attributes, a DataCollector. It draws the
same random numbers and reproduces the ensemble's replicates (tests/test_mesa_anchor.py), so
both sides compute the same thing. Both sides build their results: the ensemble its tidy
trajectories table and event log, the anchor its DataCollector table. The anchor is timed on
``--sample`` replicates and its rate extrapolated, since 10,000 Mesa runs would take minutes
without telling anything more.

Also measured: the ensemble's fixed cost per month (a straight line ``a + b R`` fitted to its
times at R = 1, 10, 100; ``a`` is what a month costs whatever the ensemble size) and its peak
resident memory per replicate-month (its growth over one run, in a fresh, untimed child
process).

The last line printed is one JSON object with the figures of the largest ensemble.

Usage:
    python experiments/bench_ensemble.py [--replicates 1000 10000] [--sample 200] [--repeat 3]
    python experiments/bench_ensemble.py --quick   # 1,000 replicates, 20 Mesa runs, one repeat
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hedgesim.config.compose import compose_config
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.workflows.run import build_model
from mesa_anchor import anchor_model

N_AGENTS = 5
FIT_SIZES = (1, 10, 100)


def run_ensemble(spec: RunSpec, replicates: int) -> None:
    """One ensemble run of replicates 0..R-1, tables included."""
    model = build_model(dataclasses.replace(spec, replicate_ids=tuple(range(replicates)))).run()
    model.trajectories()
    model.event_log()


def run_anchor(spec: RunSpec, replicate: int) -> None:
    """One plain Mesa run of one replicate, its table included."""
    anchor_model(spec, replicate).run().table()


def best_time(work: Callable[[], None], repeat: int) -> float:
    """Best wall time of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def time_anchor(spec: RunSpec, sample: int) -> float:
    """Wall time per Mesa replicate run, averaged over replicates 0..sample-1."""
    started = time.perf_counter()
    for k in range(sample):
        run_anchor(spec, k)
    return (time.perf_counter() - started) / sample


def fixed_cost(spec: RunSpec, repeat: int) -> tuple[float, float]:
    """Intercept (s) and slope (s per replicate) of ensemble time against replicates."""
    times = [best_time(lambda r=r: run_ensemble(spec, r), max(repeat, 3)) for r in FIT_SIZES]
    slope, intercept = np.polyfit(FIT_SIZES, times, 1)
    return float(intercept), float(slope)


def peak_bytes(side: str, replicates: int) -> int:
    """Growth of peak resident memory during one run, in a fresh Python process: its resident set
    after a one-replicate warm-up subtracted from its high-water mark after the run (Linux's
    /proc/self/status). ``side`` is "ensemble" (``replicates`` replicates, tables built) or "mesa"
    (one plain Mesa replicate).

    Resident memory, not allocations traced by Python: it counts what the operating system holds
    for the run, numpy, numba and mapped arrays alike. A fresh process, not a fork of this one:
    a fork would inherit the memory this process freed but kept, and a run that reuses it would
    look smaller than it is.
    """
    child = [sys.executable, __file__, "--peak-of", side, "--replicates", str(replicates)]
    done = subprocess.run(child, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


def measure_own_peak(side: str, replicates: int) -> int:
    """In the child of :func:`peak_bytes`: warm up, then run once and report the growth."""
    spec = build_run(compose_config())
    work = (lambda: run_ensemble(spec, replicates)) if side == "ensemble" else (lambda: run_anchor(spec, 0))
    run_ensemble(spec, 1)  # imports, compiled kernels and caches, as in the timed runs
    run_anchor(spec, 0)
    before = _status_kib("VmRSS")
    work()
    return 1024 * (_status_kib("VmHWM") - before)


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--sample", type=int, default=200, help="Mesa replicate runs actually timed")
    parser.add_argument("--repeat", type=int, default=3, help="ensemble runs timed (best kept)")
    parser.add_argument("--quick", action="store_true", help="--replicates 1000 --sample 20 --repeat 1")
    parser.add_argument("--peak-of", choices=("ensemble", "mesa"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.getLogger("MESA").setLevel(logging.WARNING)
    if args.peak_of:  # the child process of peak_bytes
        print(measure_own_peak(args.peak_of, max(args.replicates)))
        return
    if args.quick:
        args.replicates, args.sample, args.repeat = [1000], 20, 1
    spec = build_run(compose_config())
    months = spec.calendar.n_steps
    run_ensemble(spec, 1)  # warm up imports and caches
    run_anchor(spec, 0)
    per_run = time_anchor(spec, args.sample)
    mesa_rate = N_AGENTS * months / per_run
    intercept, slope = fixed_cost(spec, args.repeat)
    print(f"scenario {spec.calendar.start}..{spec.calendar.end}: {months} months, {N_AGENTS} agents")
    print(
        f"plain Mesa, one model per replicate: {per_run * 1000:.1f} ms per replicate "
        f"({args.sample} timed), {mesa_rate:,.0f} agent-steps/s"
    )
    print(
        f"ensemble time ~ {intercept * 1000:.1f} ms + {slope * 1e6:.1f} us x replicates "
        f"(fit at R = {', '.join(map(str, FIT_SIZES))}): "
        f"{1e6 * intercept / months:.0f} us per month whatever the size"
    )
    print(
        f"{'replicates':>10} {'Mesa (s, extrapolated)':>23} {'ensemble (s)':>13} "
        f"{'ensemble agent-steps/s':>24} {'ratio':>8}"
    )
    figures = []
    for replicates in args.replicates:
        ensemble = best_time(lambda r=replicates: run_ensemble(spec, r), args.repeat)
        mesa = per_run * replicates
        rate = N_AGENTS * months * replicates / ensemble
        print(f"{replicates:>10,} {mesa:>23.1f} {ensemble:>13.2f} {rate:>24,.0f} {mesa / ensemble:>7.0f}x")
        figures.append(
            {
                "replicates": replicates,
                "ensemble_s": round(ensemble, 3),
                "ns_per_replicate_month": round(1e9 * ensemble / (replicates * months), 1),
                "agent_steps_per_s": round(rate),
                "ratio_vs_mesa": round(mesa / ensemble, 1),
            }
        )
    largest = max(args.replicates)
    peak = peak_bytes("ensemble", largest)
    mesa_peak = peak_bytes("mesa", 1)
    print(
        f"peak resident memory growth: ensemble of {largest:,} {peak / 1e6:.0f} MB "
        f"({peak / (largest * months):.0f} bytes per replicate-month); "
        f"one Mesa replicate {mesa_peak / 1e6:.1f} MB"
    )
    summary = {
        **next(f for f in figures if f["replicates"] == largest),
        "months": months,
        "mesa_ms_per_replicate": round(per_run * 1000, 2),
        "mesa_replicates_timed": args.sample,
        "fixed_us_per_month": round(1e6 * intercept / months, 1),
        "marginal_ns_per_replicate_month": round(1e9 * slope / months, 1),
        "peak_bytes_per_replicate_month": round(peak / (largest * months)),
        "mesa_peak_bytes_per_replicate_month": round(mesa_peak / months),
        "sizes": figures,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
