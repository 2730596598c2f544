"""Benchmark: the peak memory of one large command-line run, as a user would start it.

Runs ``hedgesim replicates=N scenario=forward_2030 scenario.end=2050-12`` (2008-01..2050-12, 516
months) in a child process, writing its folder (trajectories and event log; no figure) into a
temporary directory, and reads the child's peak resident memory from the operating system
(``getrusage``), imports and the written tables included. The last line printed is one JSON
object: replicates, months, precision, peak resident gigabytes, bytes per replicate-month and
wall seconds.

Usage:
    python experiments/bench_memory.py [--replicates 100000] [--precision float32]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MONTHS = 516
"""2008-01 to 2050-12."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100_000)
    parser.add_argument("--precision", default="float32", choices=("float32", "float64"))
    args = parser.parse_args()
    hedgesim = Path(sys.executable).with_name("hedgesim")
    with tempfile.TemporaryDirectory() as folder:
        command = [
            str(hedgesim),
            f"replicates={args.replicates}",
            "scenario=forward_2030",
            "scenario.end=2050-12",
            f"output.precision={args.precision}",
            "output.figure=false",
            f"hydra.run.dir={folder}/run",
        ]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"bench_memory: the run failed: {result.stderr.strip().splitlines()[-1:]}")
        written = sum(f.stat().st_size for f in Path(folder, "run").glob("*.parquet"))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # kilobytes on Linux
    print(
        f"{args.replicates:,} replicates x {MONTHS} months ({args.precision}): peak resident "
        f"{peak / 1e9:.2f} GB, {wall:.0f} s, tables written {written / 1e9:.2f} GB"
    )
    figures = {
        "replicates": args.replicates,
        "months": MONTHS,
        "precision": args.precision,
        "peak_rss_gb": round(peak / 1e9, 2),
        "bytes_per_replicate_month": round(peak / (args.replicates * MONTHS)),
        "wall_s": round(wall, 1),
        "tables_gb": round(written / 1e9, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
