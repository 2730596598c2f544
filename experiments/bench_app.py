"""Time per displayed step of the classroom page, at 1 and 200 replicates.

A displayed step is what the page does between two frames: step every scenario one month,
render the four charts into PNG images, and tell the log of one replicate of each scenario.
The browser's share (decoding the images) is not counted. Run:

    .venv/bin/python experiments/bench_app.py [--steps N] [--replicates 1 200]

Prints, per replicate count, with one scenario and with a second beside it: the frames timed,
the median and 90th percentile of a displayed step's milliseconds by the clock
(``time.perf_counter``), the median of this process's processor time (``time.process_time``:
what the page itself costs, whatever else the machine runs) and the mean milliseconds of each
part (model, charts, log) by the clock; the last line is all of it as one JSON object. README's
*Speed* line and docs/teaching.md's *Tips* quote what it printed; it checks no target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from hedgesim.app.charts import CHARTS
from hedgesim.app.narration import narrate, replicate_log, shock_kinds
from hedgesim.app.session import ClassroomModel
from hedgesim.app.settings import NO_COMPARISON


def displayed_step(model: ClassroomModel, charts: list) -> dict[str, float]:
    """One frame; returns milliseconds spent in each part, and the frame's processor time."""
    parts = {}
    processor = time.process_time()
    t = time.perf_counter()
    model.step()
    parts["model"] = time.perf_counter() - t
    t = time.perf_counter()
    for chart in charts:
        chart.render()
    parts["charts"] = time.perf_counter() - t
    t = time.perf_counter()
    for run in model.runs:
        narrate(replicate_log(run.model, 0), shock_kinds(run.model))
    parts["log"] = time.perf_counter() - t
    parts["processor"] = time.process_time() - processor
    return {k: 1000 * v for k, v in parts.items()}


def bench(replicates: int, compare: str, steps: int) -> dict[str, float]:
    model = ClassroomModel(replicates=replicates, compare=compare, seed=20101219)
    charts = [make(model.runs) for make in CHARTS.values()]
    for chart in charts:
        chart.render()  # the first frame draws the axes; the page pays it once, on Reset
    stride = max(1, model.runs[0].model.calendar.n_steps // steps)
    frames = []
    while model.running:
        if model.runs[0].history.steps % stride == 0:
            frames.append(displayed_step(model, charts))
        else:
            model.step()
    total = [f["model"] + f["charts"] + f["log"] for f in frames]
    return {
        "frames": len(frames),
        "median_ms": round(statistics.median(total), 1),
        "p90_ms": round(statistics.quantiles(total, n=10)[-1], 1),
        "processor_median_ms": round(statistics.median(f["processor"] for f in frames), 1),
        **{f"{k}_ms": round(statistics.mean(f[k] for f in frames), 1) for k in ("model", "charts", "log")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="frames timed over the run (spread evenly)")
    parser.add_argument("--replicates", type=int, nargs="+", default=[1, 200])
    args = parser.parse_args()
    print(
        f"{'replicates':>10} {'scenarios':>9} {'frames':>6} {'median':>8} {'p90':>8} {'cpu':>7} "
        f"{'model':>7} {'charts':>7} {'log':>6}   (ms per displayed step)"
    )
    results = []
    for replicates in args.replicates:
        for compare, shown in ((NO_COMPARISON, 1), ("without the 2014 war", 2)):
            r = bench(replicates, compare, args.steps)
            results.append({"replicates": replicates, "scenarios": shown, **r})
            print(
                f"{replicates:>10} {shown:>9} {r['frames']:>6} {r['median_ms']:>8.1f} {r['p90_ms']:>8.1f} "
                f"{r['processor_median_ms']:>7.1f} {r['model_ms']:>7.1f} {r['charts_ms']:>7.1f} "
                f"{r['log_ms']:>6.1f}"
            )
    print(json.dumps({"steps": args.steps, "runs": results}))


if __name__ == "__main__":
    main()
