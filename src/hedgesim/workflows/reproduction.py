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

With ``--parameter-sets`` the ensemble is split across the plausible parameter sets of
conf/params/plausible.csv and judged pooled, beside the configured parameters alone on the same
replicate ids (hedgesim.workflows.parameter_sets); it writes results/baseline_plausible/ by
default, so the single-set folder is untouched.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hedgesim.analysis.bands import monthly_bands, observed_points, series_bands
from hedgesim.analysis.naive import comparison, naive_tables, summary_lines
from hedgesim.analysis.pass_rules import context_rows, evaluate, of_class
from hedgesim.analysis.targets import Target, TargetError, required_span
from hedgesim.config.errors import ConfigError
from hedgesim.config.overrides import refuse_set_by_options
from hedgesim.config.spec import RunSpec, run_of_size
from hedgesim.plots import targets as target_plots
from hedgesim.workflows import parameter_sets as psets
from hedgesim.workflows.calibration.plausible import read_plausible
from hedgesim.workflows.interrupt import one_line_on_ctrl_c
from hedgesim.workflows.process_exit import skip_final_collection
from hedgesim.workflows.reproduction_options import (
    EXIT_FAILED,
    EXIT_USAGE,
    SCENARIO,
    SET_BY_OPTIONS,
    VALIDATION_SUMMARY,
    options_given,
    other_summary,
    parse_args,
)
from hedgesim.workflows.reproduction_report import (
    evidence_facts,
    out_of_sample,
    report_markdown,
    uncertainty_section,
)
from hedgesim.workflows.results import (
    MANIFEST,
    first_line,
    save_figure,
    sha256,
    write_manifest,
    write_parquet,
    write_text,
)
from hedgesim.workflows.run import run_spec
from hedgesim.workflows.targets_file import InputError, read_targets
from hedgesim.workflows.validation.benchmarks import naive as naive_baseline
from hedgesim.workflows.whole_folders import check_replaceable, error_line, replaced_whole, what_is_left

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
SETS_FILES = (*FILES, "uncertainty.csv")
"""With --parameter-sets: also the bands with and without the parameter uncertainty."""


def baseline_spec(overrides: Sequence[str], replicates: int, seed: int) -> RunSpec:
    """The configured baseline on the reproduction scenario, validated."""
    if replicates < 1:
        raise ConfigError(f"--replicates={replicates}; allowed: an integer >= 1")
    if seed < 0:
        raise ConfigError(f"--seed={seed}; allowed: an integer >= 0")
    refuse_set_by_options(overrides, SET_BY_OPTIONS)
    return run_of_size([f"scenario={SCENARIO}", *overrides], replicates, seed)


def check_covers(spec: RunSpec, targets: Sequence[Target]) -> None:
    """Refuse, before simulating, a run that misses a month the targets are judged on: judging
    them would fail only after the whole ensemble had run."""
    first, last = required_span(targets)
    start, end = spec.calendar.start, spec.calendar.end
    needed = f"the targets are judged on {first:%Y-%m}..{last:%Y-%m}"
    if (start.year, start.month) > (first.year, first.month):
        raise ConfigError(
            f"scenario.start={start}: the run starts after {first:%Y-%m}, and {needed}; "
            f"allowed: scenario.start <= {first:%Y-%m}"
        )
    if (end.year, end.month) < (last.year, last.month):
        raise ConfigError(
            f"scenario.end={end}: the run ends before {last:%Y-%m}, and {needed}; "
            f"allowed: scenario.end >= {last:%Y-%m}"
        )


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


def validation_headline(path: Path | None) -> dict[str, Any] | None:
    """The out-of-sample result that hedgesim-validate wrote, read before simulating.

    ``path`` None (none given): the default summary, or None when it is not there, for no
    validation has been run then. A file given that is missing, or any summary the report cannot
    quote, is refused: the report would say no validation had been run.

    Raises:
        InputError: naming --validation, the file and what is wrong.
    """
    given = path is not None
    path = Path(path) if given else VALIDATION_SUMMARY
    if not given and not path.exists():
        return None
    allowed = f"allowed: the summary.json hedgesim-validate writes (default {VALIDATION_SUMMARY})"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or not summary:
            raise TypeError("it holds no mapping of results")
        out_of_sample(summary)  # quoted as the report will: a key or value it lacks fails here
    except FileNotFoundError:
        raise InputError(f"--validation={path}: no such file; {allowed}") from None
    except OSError as err:
        raise InputError(f"--validation={path}: cannot be read ({err.strerror}); {allowed}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        why = f"it lacks {err.args[0]!r}" if isinstance(err, KeyError) else first_line(err)
        raise InputError(f"--validation={path}: not a validation summary ({why}); {allowed}") from None
    return summary


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
    if args.sets_given and not args.parameter_sets:  # the sets would be silently left unused
        raise InputError(
            f"--sets-file={args.sets_file}: needs --parameter-sets (only it uses the sets); "
            "allowed: --parameter-sets --sets-file CSV, or no --sets-file"
        )
    check_replaceable(Path(args.out), SETS_FILES, "hedgesim-reproduce")
    targets = read_targets(args.targets)
    started = time.perf_counter()
    spec = baseline_spec(args.overrides, args.replicates, args.seed)
    check_covers(spec, targets)
    validation = validation_headline(args.validation)
    if validation and other_summary(args.validation):  # the report names the summary it quotes
        validation = {**validation, "quoted_from": f"hedgesim-validate, {args.validation}"}
    sets = read_plausible(args.sets_file) if args.parameter_sets else None
    if sets is not None:
        psets.check_overrides(args.overrides, sets, str(args.sets_file))
    with_sets = _with_parameter_sets(spec, sets, args.sets_file, targets) if sets is not None else None
    spec = with_sets["single_spec"] if with_sets else spec
    trajectories = with_sets["trajectories"] if with_sets else run_spec(spec).trajectories()
    table = evaluate(trajectories, targets)
    naive = naive_forecasts(spec, trajectories, targets)
    bands = series_bands(trajectories)
    points = observed_points(targets, table)
    context = context_rows(targets)
    elapsed = time.perf_counter() - started
    facts = {
        "command": " ".join(["hedgesim-reproduce", *options_given(args), *args.overrides]),
        "replicates": len(spec.replicate_ids),
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
    extra = ""
    if with_sets:
        compared = psets.band_comparison(with_sets["single_table"], table)
        facts |= _uncertainty_facts(with_sets, compared, context)
        tables["uncertainty.csv"] = compared
        extra = uncertainty_section(facts, compared)
    title = (
        f"hedgesim baseline: {facts['replicates']} replicates, seed {args.seed}"
        + (f", {facts['parameter_sets']['sets']} parameter sets" if with_sets else "")
        + f"; {facts['passed']}/{facts['targets']} evidence targets pass"
    )
    figure = target_plots.targets_figure(bands, points, title)
    period = f"{spec.calendar.start}..{spec.calendar.end}"
    report = report_markdown(table, targets, context, naive, facts, validation, extra, period)
    files = SETS_FILES if with_sets else FILES
    write_folder(Path(args.out), tables, ensemble_summary(trajectories), figure, report, facts, files)
    evidence = of_class(table)
    facts["summary"] = summary_lines(evidence, {k: of_class(v) for k, v in naive.items()})
    return facts


def _with_parameter_sets(
    spec: RunSpec, sets: pd.DataFrame, sets_file: Path, targets: Sequence[Target]
) -> dict[str, Any]:
    """The ensemble split across the parameter sets, pooled; and, on the same replicate ids, the
    configured parameters alone, judged (the comparison the report makes)."""
    per_set = psets.replicates_per_set(len(spec.replicate_ids), len(sets))
    specs = psets.set_specs(spec, sets, per_set, str(sets_file))
    single = dataclasses.replace(spec, replicate_ids=tuple(range(per_set * len(sets))))
    return {
        "single_spec": single,
        "single_table": evaluate(run_spec(single).trajectories(), targets),
        "trajectories": psets.pooled_trajectories(specs),
        "sets": psets.sets_facts(spec, sets, per_set, Path(sets_file).name, sha256(Path(sets_file))),
    }


def _uncertainty_facts(
    with_sets: dict[str, Any], compared: pd.DataFrame, context: pd.DataFrame
) -> dict[str, Any]:
    """The manifest's record of the sets and of the configured parameters' result beside them."""
    single = evidence_facts(with_sets["single_table"], context)
    keep = ("targets", "passed", "loss", "failed", "fitted_targets", "fitted_passed", "loss_judged")
    return {
        "parameter_sets": dict(with_sets["sets"]),
        "without_parameter_uncertainty": {k: single[k] for k in keep},
        "band_widening": psets.widening(compared),
    }


def write_folder(
    out: Path,
    tables: dict[str, pd.DataFrame],
    summary: pd.DataFrame,
    figure,
    report: str,
    facts: dict[str, Any],
    files: Sequence[str] = FILES,
) -> None:
    """Write everything into a fresh folder beside ``out``, then swap it into place."""
    with replaced_whole(out) as staging:
        for name, frame in tables.items():
            write_text(frame.to_csv(index=False, float_format="%.10g"), staging / name)
        write_parquet(summary, staging / "trajectories_summary.parquet")
        save_figure(figure, staging / "targets.png", dpi=120)
        write_text(report, staging / "report.md")
        write_manifest(staging, files=list(files), volatile=VOLATILE, previous=out / MANIFEST, **facts)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``hedgesim-reproduce [overrides] [--replicates N] [--seed S] [--out DIR]
    [--parameter-sets [--sets-file CSV]]``."""
    skip_final_collection()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with one_line_on_ctrl_c("hedgesim-reproduce", what_is_left(Path(args.out))):
        return _reproduce_and_say(args)


def _reproduce_and_say(args: argparse.Namespace) -> int:
    """Reproduce, then the console's lines; the exit status."""
    try:
        facts = reproduce(args)
    except (InputError, ConfigError, TargetError) as err:
        print(f"hedgesim-reproduce: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:  # an output it cannot write (the folder is as it was)
        print(f"hedgesim-reproduce: error: {error_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    for line in facts["summary"][:1]:
        print(line)
    print(
        f"{facts['passed']}/{facts['targets']} evidence targets pass, loss {facts['loss']:.3f}; "
        f"fitted {facts['fitted_passed']}/{facts['fitted_targets']}; "
        f"simulated and judged in {facts['seconds']} s; report: {Path(args.out) / 'report.md'}"
    )
    if "parameter_sets" in facts:
        sets, single = facts["parameter_sets"], facts["without_parameter_uncertainty"]
        print(
            f"with parameter uncertainty ({sets['sets']} sets x {sets['replicates_per_set']} replicates); "
            f"the configured parameters alone on the same replicates: {single['passed']}/{single['targets']} "
            f"evidence targets pass, loss {single['loss']:.3f}; evidence bands "
            f"{facts['band_widening']['median_width_ratio']:.2f} times as wide (median)"
        )
    lines = failing_lines(facts)
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_FAILED if lines else 0


def failing_lines(facts: dict[str, Any]) -> list[str]:
    """The failing targets: evidence under ``failing``, fitted ones apart, named as fitted (a
    parameter is set from them or inputs dictate them, so they are no evidence either way)."""
    lines = [f"failing: {', '.join(facts['failed'])}"] if facts["failed"] else []
    if facts["fitted_failed"]:
        lines.append(f"fitted targets failing (not evidence): {', '.join(facts['fitted_failed'])}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
