"""hedgesim-reproduce: run the calibrated baseline and judge it against every observed target.

One command for a reviewer: 1,000 replicates with a fixed seed on the configured baseline
(conf/config.yaml, which uses conf/params/calibrated.yaml), run to the end of 2020 so that the
January 2020 milestones can be judged, every target of conf/calibration/targets.yaml evaluated
on the ensemble, and results/baseline/ written: report.md, targets.png and the tables behind
them. The headline counts evidence targets only (hedgesim.workflows.reproduction_report). The
folder is built aside and swapped into place, so it is never half-written; its manifest is kept
as it was when only its time, duration, versions or commit would change, so a reproduction whose
numbers agree leaves the committed folder byte for byte. The exit status is 0 when every judged
target (evidence and fitted) passes, 1 when any fails, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hedgesim.analysis.bands import monthly_bands, observed_points, series_bands
from hedgesim.analysis.naive import comparison, naive_tables, summary_lines
from hedgesim.analysis.pass_rules import context_rows, evaluate, of_class
from hedgesim.analysis.targets import Target, TargetError
from hedgesim.config.compose import compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.plots import targets as target_plots
from hedgesim.workflows.reproduction_report import evidence_facts, report_markdown
from hedgesim.workflows.results import MANIFEST, save_figure, write_manifest, write_parquet, write_text
from hedgesim.workflows.run import run_spec
from hedgesim.workflows.targets_file import TARGETS_FILE, InputError, read_targets
from hedgesim.workflows.validation.benchmarks import naive as naive_baseline

DEFAULT_OUT = Path("results/baseline")
VALIDATION_SUMMARY = Path("results/validation/summary.json")
REPLICATES = 1000
SEED = 20101219
SCENARIO = "reproduce"
EXIT_FAILED, EXIT_USAGE = 1, 2
VOLATILE = ("seconds",)
"""Facts that differ between runs of the same numbers: alone (with the versions, commit and
time) they do not rewrite the manifest, so a reproduction that agrees leaves results/baseline/ unchanged."""
FILES = (
    "targets.csv",
    "context.csv",
    "bands.csv",
    "observed.csv",
    "comparison.csv",
    "trajectories_summary.parquet",
    "targets.png",
    "report.md",
)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hedgesim-reproduce",
        description="Run the calibrated baseline (1,000 replicates, fixed seed) and judge every target.",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. params=default")
    parser.add_argument(
        "--replicates", type=int, default=REPLICATES, help=f"ensemble size (default {REPLICATES})"
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"run seed (default {SEED})")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument("--targets", type=Path, default=TARGETS_FILE, help="observed targets (YAML)")
    parser.add_argument(
        "--validation",
        type=Path,
        default=VALIDATION_SUMMARY,
        help=f"hedgesim-validate's summary, quoted beside the result (default {VALIDATION_SUMMARY})",
    )
    return parser.parse_args(list(argv))


def baseline_spec(overrides: Sequence[str], replicates: int, seed: int) -> RunSpec:
    """The configured baseline on the reproduction scenario, validated."""
    if replicates < 1:
        raise ConfigError(f"--replicates={replicates}; allowed: an integer >= 1")
    if seed < 0:
        raise ConfigError(f"--seed={seed}; allowed: an integer >= 0")
    cfg = compose_config([f"scenario={SCENARIO}", *overrides, f"replicates={replicates}", f"seed={seed}"])
    return build_run(cfg)


def run_baseline(overrides: Sequence[str], replicates: int, seed: int) -> pd.DataFrame:
    """The configured baseline on the reproduction scenario: one row per replicate and month."""
    return run_spec(baseline_spec(overrides, replicates, seed)).trajectories()


def naive_forecasts(spec: RunSpec, trajectories: pd.DataFrame, targets: Sequence[Target]) -> dict:
    """The targets judged on each naive forecast: frozen or extended from 2010-12, and the fitted
    naive baseline (lines and rules fitted to every evidence target, so in sample like the model)."""
    judged = naive_tables(trajectories, targets)
    training = [t for t in targets if t.evaluate and t.role == "evidence"]
    _, fitted = naive_baseline(spec, training, str(spec.calendar.end), trajectories)
    judged["fitted_naive"] = evaluate(fitted, targets)
    return judged


def validation_headline(path: Path) -> dict[str, Any] | None:
    """The out-of-sample result that hedgesim-validate wrote, if it has been run."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensemble_summary(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Median and 5-95% band of every numeric series per month (the run, kept small)."""
    numeric = sorted(
        c
        for c in trajectories.columns
        if c not in ("date", "replicate") and pd.api.types.is_numeric_dtype(trajectories[c])
    )
    bands = monthly_bands(trajectories, numeric).rename(columns={"low": "q05", "high": "q95"})
    return bands[["date", "series", "median", "q05", "q95"]]


def reproduce(args: argparse.Namespace) -> dict[str, Any]:
    """Run, judge and write the folder; returns the facts the manifest records."""
    targets = read_targets(args.targets)
    started = time.perf_counter()
    spec = baseline_spec(args.overrides, args.replicates, args.seed)
    trajectories = run_spec(spec).trajectories()
    table = evaluate(trajectories, targets)
    naive = naive_forecasts(spec, trajectories, targets)
    bands = series_bands(trajectories)
    points = observed_points(targets, table)
    context = context_rows(targets)
    elapsed = time.perf_counter() - started
    facts = {
        "command": " ".join(["hedgesim-reproduce", *args.overrides]),
        "replicates": args.replicates,
        "seed": args.seed,
        "scenario": SCENARIO,
        "overrides": list(args.overrides),
        **evidence_facts(table, context),
        "seconds": round(elapsed, 1),
    }
    tables = {
        "targets.csv": table,
        "context.csv": context,
        "bands.csv": bands,
        "observed.csv": points,
        "comparison.csv": comparison(table, naive),
    }
    title = (
        f"hedgesim baseline: {args.replicates} replicates, seed {args.seed}; "
        f"{facts['passed']}/{facts['targets']} evidence targets pass"
    )
    figure = target_plots.targets_figure(bands, points, title)
    report = report_markdown(table, targets, context, naive, facts, validation_headline(args.validation))
    write_folder(Path(args.out), tables, ensemble_summary(trajectories), figure, report, facts)
    evidence = of_class(table)
    facts["summary"] = summary_lines(evidence, {k: of_class(v) for k, v in naive.items()})
    return facts


def write_folder(
    out: Path,
    tables: dict[str, pd.DataFrame],
    summary: pd.DataFrame,
    figure,
    report: str,
    facts: dict[str, Any],
) -> None:
    """Write everything into a fresh folder beside ``out``, then swap it into place."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)
    try:
        for name, frame in tables.items():
            write_text(frame.to_csv(index=False, float_format="%.10g"), staging / name)
        write_parquet(summary, staging / "trajectories_summary.parquet")
        save_figure(figure, staging / "targets.png", dpi=120)
        write_text(report, staging / "report.md")
        write_manifest(staging, files=list(FILES), volatile=VOLATILE, previous=out / MANIFEST, **facts)
        _swap(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``hedgesim-reproduce [overrides] [--replicates N] [--seed S] [--out DIR]``."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        facts = reproduce(args)
    except (InputError, ConfigError, TargetError) as err:
        print(f"hedgesim-reproduce: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    for line in facts["summary"][:1]:
        print(line)
    print(
        f"{facts['passed']}/{facts['targets']} evidence targets pass, loss {facts['loss']:.3f}; "
        f"fitted {facts['fitted_passed']}/{facts['fitted_targets']}; "
        f"simulated and judged in {facts['seconds']} s; report: {Path(args.out) / 'report.md'}"
    )
    failed = [*facts["failed"], *facts["fitted_failed"]]
    if failed:
        print(f"failing: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
