"""The ``hedgesim-validate`` console script: calibrate at each origin, score the held-out targets.

Exit status 0 when the model beats the prior draws and the fitted naive baseline on held-out loss
at every pre-registered origin, 1 when it does not (the report's first line says where), 2 on a
mistake in the inputs (one line, no traceback).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hedgesim.analysis.bands import observed_points, series_bands
from hedgesim.analysis.pass_rules import evaluate
from hedgesim.analysis.targets import Target, TargetError
from hedgesim.config.errors import ConfigError
from hedgesim.workflows.calibration.search import CalibrationError
from hedgesim.workflows.interrupt import one_line_on_ctrl_c
from hedgesim.workflows.process_exit import skip_final_collection
from hedgesim.workflows.targets_file import TARGETS_FILE, InputError, read_targets
from hedgesim.workflows.validation import benchmarks, scoring
from hedgesim.workflows.validation.calibrate import calibrate_all, check_made_by, objective, params_of
from hedgesim.workflows.validation.plan import PLAN_FILE, Plan, read_plan
from hedgesim.workflows.validation.report import (
    CALIBRATIONS,
    FILES,
    PACKAGED_PLAN,
    SEARCH_TIMES,
    read_calibrations,
    report_markdown,
    summary_json,
    write_folder,
)
from hedgesim.workflows.validation.split import Split, split
from hedgesim.workflows.whole_folders import check_replaceable, error_line, foreign_files, what_is_left

DEFAULT_OUT = Path("results/validation")
DEFAULT_RUN_DIR = Path("results/runs/validation")
EXIT_FAILED, EXIT_USAGE = 1, 2


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hedgesim-validate",
        description="Pre-registered out-of-sample test: calibrate on the targets before each origin, "
        "score the held-out ones against prior draws and a fitted naive baseline.",
    )
    parser.add_argument("--score-only", action="store_true", help="re-score the committed calibrations")
    parser.add_argument("--plan", type=Path, default=PLAN_FILE, help="the pre-registration (validation.yaml)")
    parser.add_argument("--targets", type=Path, default=TARGETS_FILE, help="observed targets")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"results folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--run-dir", type=Path, default=DEFAULT_RUN_DIR, help=f"the studies (default {DEFAULT_RUN_DIR})"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="origins calibrated side by side (default 2; same results)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(list(argv))


def splits_of(plan: Plan, targets: Sequence[Target]) -> dict[str, Split]:
    """Each origin's split; an origin with nothing to train on or to score is an input error."""
    splits = {o: split(targets, o, plan.score_end) for o in plan.origins}
    for origin, s in splits.items():
        if not s.training or not s.held_out:
            raise CalibrationError(
                f"origin {origin}: {len(s.training)} training and {len(s.held_out)} held-out evidence "
                "targets; allowed: at least one of each"
            )
    return splits


def calibrations_of(args, plan: Plan, splits: Mapping[str, Split]) -> dict[str, dict[str, Any]]:
    """Each origin's best parameters: searched now, or read back with ``--score-only``."""
    dims = plan.dimensions()
    if args.jobs < 1:  # with --score-only too: a bad option is an error whatever it would do
        raise CalibrationError(f"--jobs={args.jobs}; allowed: an integer >= 1")
    if args.score_only:
        if not (Path(args.out) / CALIBRATIONS).is_file():  # said as the option, not as a file name
            raise CalibrationError(
                f"--out={args.out}: holds no {CALIBRATIONS}, the calibrations --score-only re-scores; "
                f"allowed: a folder hedgesim-validate wrote (default {DEFAULT_OUT}), or no --score-only"
            )
        stored = read_calibrations(args.out)
        params = {o: params_of(stored, o, dims) for o in plan.origins}
        for origin, s in splits.items():
            check_made_by(stored, origin, plan, len(s.training))
        return {o: {**stored[o], "params": values} for o, values in params.items()}
    training = {o: s.training for o, s in splits.items()}
    return calibrate_all(plan, training, dims, args.run_dir, not args.no_progress, args.jobs)


def score_all(
    plan: Plan, splits: Mapping[str, Split], calibrations: Mapping[str, Mapping[str, Any]], progress: bool
) -> dict[str, Any]:
    """Every forecast judged on every origin's held-out targets; the tables the outputs need."""
    everything = [t for s in splits.values() for t in (*s.training, *s.held_out)]
    runner = objective(plan, everything)
    full_trajectories = benchmarks.full_calibration(plan)
    draws = benchmarks.prior_draws(plan.dimensions(), plan.prior_draws, plan.seed)
    held = list({t.id: t for s in splits.values() for t in s.held_out}.values())
    judged = benchmarks.judge_draws(runner, draws, held, plan.score_replicates, progress)
    out: dict[str, Any] = {"entries": {}, "held_out": [], "bands": [], "points": [], "fits": {}}
    for origin, s in splits.items():
        trajectories = runner.trajectories(calibrations[origin]["params"], plan.score_replicates)
        fit, naive = benchmarks.naive(runner.spec, s.training, origin, full_trajectories)
        tables = {
            "model": evaluate(trajectories, s.held_out),
            "naive": evaluate(naive, s.held_out),
            "full": evaluate(full_trajectories, s.held_out),
        }
        per_draw = scoring.draws_scores(judged, s.held_out)
        draws[f"loss_{origin}"] = per_draw["loss"].to_numpy()
        draws[f"passed_{origin}"] = per_draw["passed"].to_numpy()
        out["entries"][origin] = scoring.origin_summary(
            origin,
            tables["model"],
            evaluate(trajectories, s.training),
            per_draw,
            tables["naive"],
            tables["full"],
        )
        out["held_out"].append(
            scoring.held_out_table(origin, tables["model"], tables["naive"], tables["full"])
        )
        out["bands"] += [_bands(trajectories, origin, "model"), _bands(naive, origin, "naive")]
        out["points"] += [
            _points(s.training, None, origin, "training"),
            _points(s.held_out, tables["model"], origin, "held_out"),
        ]
        out["fits"][origin] = fit
    out["draws"] = draws
    return out


def _bands(trajectories: pd.DataFrame, origin: str, source: str) -> pd.DataFrame:
    return series_bands(trajectories).assign(origin=origin, source=source)


def _points(targets: Sequence[Target], table, origin: str, role: str) -> pd.DataFrame:
    return observed_points(targets, table).assign(origin=origin, role=role)


def validate(args: argparse.Namespace) -> dict[str, Any]:
    """Calibrate (or read the calibrations), score, write the folder; the facts for the console."""

    from hedgesim.plots.validation import validation_figure

    started = time.perf_counter()
    check_replaceable(args.out, FILES, "hedgesim-validate")
    if not args.score_only:
        check_apart(Path(args.run_dir), Path(args.out))
        check_run_dir(Path(args.run_dir))
    plan = read_plan(args.plan)
    splits = splits_of(plan, read_targets(args.targets))
    calibrations = calibrations_of(args, plan, splits)
    searched = time.perf_counter() - started
    scored = score_all(plan, splits, calibrations, not args.no_progress)
    summary = scoring.summary(scored["entries"], plan.primary, settings_of(plan))
    held_out = pd.concat(scored["held_out"], ignore_index=True)
    texts = {
        "report.md": report_markdown(
            summary, splits, calibrations, held_out, scored["fits"], plan_name(args.plan, args.targets)
        ),
        "summary.json": summary_json(summary),
        "held_out.csv": held_out.to_csv(index=False, float_format="%.10g"),
        "prior_draws.csv": scored["draws"].to_csv(index=False, float_format="%.10g"),
    }
    figure = validation_figure(
        pd.concat(scored["bands"], ignore_index=True),
        pd.concat(scored["points"], ignore_index=True),
        list(plan.origins),
        f"hedgesim out-of-sample validation: held-out targets after {', '.join(plan.origins)}",
    )
    seconds = round(time.perf_counter() - started, 1)
    facts = {
        "command": " ".join(["hedgesim-validate", *options_given(args)]),
        "seconds": seconds,
        "seconds_search": round(searched, 1),
        "searches": {o: {k: c[k] for k in SEARCH_TIMES if k in c} for o, c in calibrations.items()},
        "beats_both_at_every_origin": summary["beats_both_at_every_origin"],
    }
    write_folder(args.out, texts, figure, None if args.score_only else calibrations, facts)
    return {"summary": summary, "seconds": seconds, "first_line": texts["report.md"].splitlines()[0]}


def options_given(args: argparse.Namespace) -> list[str]:
    """The options that change what is scored, as the manifest records the command: a run on
    another targets file or plan would read as the pre-registered one otherwise."""
    given = ["--score-only"] if args.score_only else []
    if Path(args.plan).resolve() != PLAN_FILE.resolve():
        given += ["--plan", str(args.plan)]
    if Path(args.targets).resolve() != TARGETS_FILE.resolve():
        given += ["--targets", str(args.targets)]
    return given


def check_apart(run_dir: Path, out: Path) -> None:
    """Refuse, before any work, studies inside ``--out`` or ``--out`` inside them: ``--out`` is
    replaced whole, so the studies in it (the searches to resume) were deleted with it.

    Raises:
        CalibrationError: naming both options.
    """
    runs, results = run_dir.resolve(), out.resolve()
    if runs.is_relative_to(results) or results.is_relative_to(runs):
        raise CalibrationError(
            f"--run-dir={run_dir} and --out={out} overlap, and --out is replaced whole (its studies "
            "would be deleted with it); allowed: two separate folders"
        )


def check_run_dir(run_dir: Path) -> None:
    """Refuse, before any work, a ``--run-dir`` holding anything but origins' study folders: the
    studies went in beside another command's files (``--run-dir results/baseline``), and that
    command then refused to replace its own folder.

    Raises:
        CalibrationError: naming the folder and what is in the way.
    """
    if not run_dir.is_dir():
        return
    origins = [p.name for p in run_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name)]
    listed = foreign_files(run_dir, origins, lambda facts: False)
    if listed:
        raise CalibrationError(
            f"--run-dir={run_dir} holds files a validation does not write ({listed}), beside which it "
            "would put its origins' studies; allowed: a new folder, or one hedgesim-validate wrote"
        )


def plan_name(path: Path, targets: Path = TARGETS_FILE) -> str:
    """How the report names the pre-registration read: the packaged one by its place in the
    package, another by the path given; with the targets file when it is not the packaged one."""
    name = PACKAGED_PLAN if Path(path).resolve() == PLAN_FILE.resolve() else str(path)
    other = Path(targets).resolve() != TARGETS_FILE.resolve()
    return name + (f" (scored on the targets of {targets})" if other else "")


def settings_of(plan: Plan) -> dict[str, Any]:
    """The pre-registered settings as summary.json records them (no machine paths)."""
    return {
        "origins": list(plan.origins),
        "score_end": plan.score_end,
        "search": plan.search.name,
        "trials": plan.trials,
        "replicates": plan.replicates,
        "seed": plan.seed,
        "prior_draws": plan.prior_draws,
        "score_replicates": plan.score_replicates,
        "scenario": plan.scenario,
        "full_params": plan.full_params,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``hedgesim-validate [--score-only] [--out DIR] ...``."""
    skip_final_collection()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_left = what_is_left(Path(args.out))

    def left() -> str:
        if args.score_only:
            return out_left()
        kept = f"the searches' finished batches are kept in {args.run_dir} (run it again to resume)"
        return f"{kept}; {out_left()}"

    with one_line_on_ctrl_c("hedgesim-validate", left):
        return _validate_and_say(args)


def _validate_and_say(args: argparse.Namespace) -> int:
    """Validate, then the console's lines; the exit status."""
    import matplotlib  # loaded here, where a Ctrl-C is the command's one line

    matplotlib.use("Agg")
    try:
        facts = validate(args)
    except (InputError, ConfigError, TargetError) as err:
        print(f"hedgesim-validate: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:  # an output it cannot write (the folder is as it was)
        print(f"hedgesim-validate: error: {error_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    print(facts["first_line"].replace("**", ""))
    print(f"{facts['seconds']} s; report: {Path(args.out) / 'report.md'}")
    return 0 if facts["summary"]["beats_both_at_every_origin"] else EXIT_FAILED
