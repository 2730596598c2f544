"""Benchmark: a whole sweep end to end (jobs, writing, aggregation), per launcher.

Runs ``hedgesim -m`` over an N x N x N grid of the three challenges with R replicates to 2030
(scenario forward_2030), into a temporary folder, and prints

- wall time, cells per minute and agent-steps per second (5 agents x replicates x months
  x cells, over the whole wall time);
- where the time went: simulation (summed over cells, from each cell's manifest), writing,
  aggregation, and what is left: start-up and per-job overhead of Hydra and the launcher;
- whether every launcher's summary equals the first one's, value for value;
- last, a JSON line: cells, replicates, each launcher's wall time in seconds (``batched_s``,
  ``joblib_s``, ...) and ``same_summary``.

Usage (from the repository root)::

    .venv/bin/python experiments/bench_sweep.py                      # 5x5x5, 200 replicates
    .venv/bin/python experiments/bench_sweep.py --launchers batched joblib ray_local
    .venv/bin/python experiments/bench_sweep.py --levels 3 --replicates 50   # a quick look

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

AGENTS = 5  # Belarus, the EU, Russia, Lithuania, Ukraine
MONTHS = 276  # 2008-01 .. 2030-12


def grid(levels: int) -> str:
    """Evenly spaced values in [0, 1], as a Hydra sweep list."""
    return ",".join(f"{k / (levels - 1):g}" for k in range(levels))


def run_sweep(launcher: str, levels: int, replicates: int, folder: Path, workers: int | None) -> float:
    """Run the sweep through the console script, as a user would; returns wall seconds."""
    exe = Path(sys.executable).with_name("hedgesim")
    values = grid(levels)
    args = [
        str(exe),
        "-m",
        f"hydra/launcher={launcher}",
        f"challenges.trust={values}",
        f"challenges.vested_interests={values}",
        f"challenges.tension={values}",
        f"replicates={replicates}",
        "scenario=forward_2030",
        "output.figure=false",
        "output.events=false",
        f"hydra.sweep.dir={folder}",
    ]
    if workers is not None and launcher in ("joblib", "batched"):
        args.append(f"hydra.launcher.n_jobs={workers}")
    started = time.perf_counter()
    run_sweep.started_at = time.time()
    env = dict(os.environ)
    if launcher == "ray_local":
        env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keep every Ray server on 127.0.0.1
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"bench_sweep: the {launcher} sweep failed (exit {done.returncode})")
    return wall


def breakdown(folder: Path) -> dict[str, float]:
    """Simulation and writing time summed over cells, and the aggregation time.

    The aggregation times itself (``seconds`` in ``aggregate.json``, written last by
    hedgesim.workflows.sweep.aggregate), so launcher overhead is not counted in it.
    """
    simulate = write = 0.0
    cells = 0
    for manifest in folder.glob("*/manifest.json"):
        facts = json.loads(manifest.read_text())
        simulate += facts["simulate_s"]
        write += facts["wall_time_s"] - facts["simulate_s"]
        cells += 1
    aggregate = json.loads((folder / "aggregate.json").read_text())["seconds"]
    started = min(p.stat().st_mtime for p in folder.glob("*/.hydra/overrides.yaml"))
    last = max(p.stat().st_mtime for p in folder.glob("*/manifest.json"))
    return {
        "cells": cells,
        "simulate": simulate,
        "write": write,
        "aggregate": aggregate,
        "first_job": started,
        "last_job": last,
    }


def report(
    launcher: str, wall: float, parts: dict[str, float], levels: int, replicates: int, workers: int
) -> None:
    cells = levels**3
    steps = AGENTS * replicates * MONTHS * cells
    in_jobs = (parts["simulate"] + parts["write"]) / workers
    overhead = wall - in_jobs - parts["aggregate"]
    print(
        f"\n== launcher {launcher}: {cells} cells x {replicates} replicates, 2008-01..2030-12, "
        f"{workers} workers"
    )
    print(
        f"wall time            {wall:8.1f} s   ({cells / wall * 60:.1f} cells/min, "
        f"{steps / wall / 1e6:.2f} M agent-steps/s)"
    )
    print(f"simulation (sum)     {parts['simulate']:8.1f} s   ({parts['simulate'] / cells:.2f} s/cell)")
    print(f"writing (sum)        {parts['write']:8.1f} s   ({parts['write'] / cells:.3f} s/cell)")
    print(f"aggregation          {parts['aggregate']:8.1f} s")
    print(
        f"overhead             {overhead:8.1f} s   (wall - (simulation + writing)/workers - aggregation:"
        f" start-up, validation, launching; {overhead * workers / cells:.2f} worker-s per cell)"
    )
    print(f"simulation share     {parts['simulate'] / workers / wall:8.0%}   of the wall time")
    startup = parts["first_job"] - run_sweep.started_at
    jobs = parts["last_job"] - parts["first_job"]
    print(
        f"phases               start-up to the first job {startup:.1f} s (imports, validation of every "
        f"value, Hydra composing each cell's config); jobs {jobs:.1f} s; after the last job "
        f"{wall - startup - jobs:.1f} s (aggregation, figures, exit)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=5, help="values per challenge (default 5)")
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument(
        "--launchers",
        nargs="+",
        default=["batched", "joblib"],
        help="hydra/launcher choices (default: batched joblib)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="joblib or batched workers (default: all cores)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the sweep folders under this path")
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1
    print(f"bench_sweep: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    figures: dict[str, float | bool] = {"cells": args.levels**3, "replicates": args.replicates}
    summaries: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="hedgesim-bench-") as tmp:
        base = args.keep or Path(tmp)
        for launcher in args.launchers:
            folder = base / f"sweep-{launcher}"
            wall = run_sweep(launcher, args.levels, args.replicates, folder, args.workers)
            report(launcher, wall, breakdown(folder), args.levels, args.replicates, workers)
            figures[f"{launcher}_s"] = round(wall, 1)
            summaries.append(summary_values(folder))
        figures["same_summary"] = all(s.equals(summaries[0]) for s in summaries[1:])
    print(json.dumps(figures))


def summary_values(folder: Path) -> pd.DataFrame:
    """The summary's challenge values and outcomes, by cell (what must not depend on the launcher)."""
    table = pd.read_parquet(folder / "summary.parquet")
    columns = [c for c in table.columns if c not in ("folder", "error", "status")]
    return table[columns].sort_values("overrides").reset_index(drop=True)


if __name__ == "__main__":
    main()
