"""What a calibration leaves behind: the calibrated parameters file, the tables and the report.

The parameters file carries a header saying how its values were obtained, so whoever reads
conf/params/calibrated.yaml can tell which study, targets and commit stand behind them. The
run folder's files are each written atomically, the manifest last. The study fits every judged
target (evidence and fitted: the fitted ones are what some parameters are set from), but the
report also states how many of them are evidence, the count that speaks for the mechanisms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hedgesim.analysis.naive import comparison, summary_lines
from hedgesim.analysis.pass_rules import loss, of_class, pass_count
from hedgesim.config.parameter_sets import PLAUSIBLE_FILE
from hedgesim.workflows.calibration.search import CalibrationError, Settings
from hedgesim.workflows.markdown import markdown_table
from hedgesim.workflows.results import git_commit, write_manifest, write_text
from hedgesim.workflows.whole_folders import foreign_files

TARGET_COLUMNS = ["id", "class", "observed", "median", "q05", "q95", "share", "z", "passed"]


def rounded(values: Mapping[str, float], digits: int = 4) -> dict[str, float]:
    """Values to ``digits`` significant digits: what the YAML file holds and what is re-checked."""
    return {k: float(f"{v:.{digits}g}") for k, v in values.items()}


def calibrated_yaml(values: Mapping[str, float], header: Sequence[str]) -> str:
    """The calibrated parameters as a params group file, with a header saying how they came."""
    body = yaml.safe_dump({k: float(v) for k, v in sorted(values.items())}, sort_keys=True)
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body


def evidence_counts(model_table: pd.DataFrame) -> dict[str, Any]:
    """Evidence targets passed and their loss: the part of the result that speaks for the mechanisms."""
    evidence = of_class(model_table)
    return {
        "evidence_targets": len(evidence),
        "evidence_passed": pass_count(evidence),
        "evidence_loss": loss(evidence) if len(evidence) else float("nan"),
    }


def params_header(facts: Mapping[str, Any], settings: Settings) -> list[str]:
    """The header lines of the calibrated parameters file: method, result, date and commit."""
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return [
        "Calibrated mechanism parameters of the hedgesim baseline; written by hedgesim-calibrate.",
        f"How: optuna TPE search (seed {settings.seed}) over the free parameters and ranges of",
        "conf/calibration/search.yaml; loss = mean squared standardised error over the targets of",
        "conf/calibration/targets.yaml (each target's tolerance is its scale), judged on an ensemble",
        f"of {settings.replicates} replicates per trial (same seed every trial), "
        f"scenario={settings.scenario}.",
        f"Result: best of {facts['trials_total']} trials (trial {facts['best_trial']}); re-checked on "
        f"{settings.final_replicates} replicates:",
        f"loss {facts['loss']:.3f}, {facts['passed']}/{facts['targets']} targets pass. "
        f"Date {today}, source commit {git_commit() or 'unknown'}.",
        *_first_search_lines(facts),
        "Parameters not listed keep the defaults of hedgesim.core.parameters.ModelParameters.",
        "Identification (loss profiles, spread of the best 5% of trials) and the naive comparison:",
        "docs/calibration.md.",
        "",
    ]


def _first_search_lines(facts: Mapping[str, Any]) -> list[str]:
    """The header's account of a first search, when the parameters it left flat were fixed."""
    first = facts.get("first_search")
    if not first:
        return []
    return [
        f"Two stages: a first search of {first['trials_total']} trials; the {len(first['fixed'])} "
        "parameters its loss profile left flat were",
        "fixed (the default where the flat run holds it, else the first best) and the others searched again.",
    ]


RUN_FILES = (
    "trials.csv",
    "best_trials.csv",
    "identification.csv",
    "targets.csv",
    "baseline_comparison.csv",
    "report.md",
)
"""The tables and the report a calibration writes into its run folder (beside its manifest)."""
STUDY_FILES = ("study.db", "study.db-journal", "study.db-wal", "study.db-shm", "refined", ".lock")


def check_run_dir(run_dir: Path, params_out: Path) -> None:
    """Refuse, before any work, a run folder holding files no calibration writes (but for the
    parameters file and the plausible sets, when written there): a calibration overwrote the
    report, targets table and manifest of whatever folder it was given (another command's
    results) and mixed its own files in.

    Raises:
        CalibrationError: naming the folder and what is in the way.
    """
    if not run_dir.is_dir():
        return
    known = {*RUN_FILES, *STUDY_FILES}
    if params_out.resolve().parent == run_dir.resolve():
        known |= {params_out.name, PLAUSIBLE_FILE.name}
    listed = foreign_files(run_dir, known, _by_a_calibration)
    if listed:
        raise CalibrationError(
            f"--run-dir={run_dir} holds files a calibration does not write ({listed}), beside which "
            "it would overwrite report.md, targets.csv and manifest.json; allowed: a new folder, or "
            "one a calibration wrote"
        )


def check_params_out(run_dir: Path, params_out: Path) -> None:
    """Refuse, before any work, a parameters file the run folder's own files would be replaced by
    (or replace): ``--params-out <run folder>/report.md`` overwrote the report, ``.../study.db``
    the study, and the sets beside it made the folder refused on resume; ``plausible.csv`` is the
    sets' own name.

    Raises:
        CalibrationError: naming the option, the path and what is allowed.
    """
    out, run = params_out.resolve(), run_dir.resolve()
    own = {*RUN_FILES, *STUDY_FILES, "manifest.json"}
    inside = out.is_relative_to(run) and (out.parent != run or out.name in own)
    if inside or out.name == PLAUSIBLE_FILE.name:
        raise CalibrationError(
            f"--params-out={params_out}: a file the calibration writes itself (one of --run-dir's, or "
            f"the plausible sets' {PLAUSIBLE_FILE.name}); allowed: another path, e.g. calibrated.yaml"
        )


def _by_a_calibration(facts: Mapping[str, Any]) -> bool:
    """Whether a manifest is a calibration's (it names no command, but counts its trials)."""
    return "trials_total" in facts


def write_outputs(
    run_dir: Path,
    trials: pd.DataFrame,
    ident: pd.DataFrame,
    model_table: pd.DataFrame,
    naive: Mapping[str, pd.DataFrame],
    facts: Mapping[str, Any],
) -> None:
    """Tables and report into the run folder, each atomically, the manifest last."""
    outputs = {  # RUN_FILES
        "trials.csv": trials.to_csv(index=False),
        "best_trials.csv": trials.head(20).to_csv(index=False),
        "identification.csv": ident.to_csv(index=False),
        "targets.csv": model_table.to_csv(index=False),
        "baseline_comparison.csv": comparison(model_table, naive).to_csv(index=False),
        "report.md": report_markdown(trials, ident, model_table, naive, facts),
    }
    for name, text in outputs.items():
        write_text(text, run_dir / name)
    files = [*outputs, "study.db"]
    manifest = {**{k: v for k, v in facts.items() if k != "summary"}, **evidence_counts(model_table)}
    write_manifest(run_dir, files=files, **manifest)


def identification_table(ident: pd.DataFrame, targets: int) -> pd.DataFrame:
    """identification.csv as docs/calibration.md shows it: the calibrated value, its search range,
    the spread of the best trials and the loss profile's range (which holds the calibrated value)."""

    def span(low: float, high: float) -> str:
        return f"{low:.3g}..{high:.3g}"

    return pd.DataFrame(
        {
            "parameter": ident["parameter"],
            "calibrated": ident["best"].map(lambda v: f"{v:.3g}"),
            "search range": [
                span(a, b) + (" (log)" if log else "")
                for a, b, log in zip(ident["low"], ident["high"], ident["log"], strict=True)
            ],
            "best 5% of trials": [
                span(a, b) for a, b in zip(ident["q05_top"], ident["q95_top"], strict=True)
            ],
            f"profile: loss within 1/{targets} of best": [
                span(a, b) for a, b in zip(ident["profile_low"], ident["profile_high"], strict=True)
            ],
            "width": ident["profile_width"].map(lambda v: f"{v:.3g}"),
            "identification": ident["profile_identification"],
        }
    )


def _fixed_section(facts: Mapping[str, Any]) -> list[str]:
    """The report's section on the first search and the parameters fixed after it, if any."""
    first = facts.get("first_search")
    if not first:
        return []
    fixed = ", ".join(f"`{k}` = {v:.4g}" for k, v in first["fixed"].items()) or "none"
    return [
        "## Two stages\n\n"
        f"A first search of {first['trials_total']} trials over every free parameter (best trial "
        f"{first['best_trial']}, search loss {first['best_loss_search']:.3f}) was profiled around "
        "its best. The parameters the profile did not identify were fixed, each at its default "
        "where the flat run of its profile holds the default, else at the first search's best, "
        f"and the others searched again (the trials below). Fixed: {fixed}."
    ]


def report_markdown(
    trials: pd.DataFrame,
    ident: pd.DataFrame,
    model_table: pd.DataFrame,
    naive: Mapping[str, pd.DataFrame],
    facts: Mapping[str, Any],
) -> str:
    """The run folder's report.md: result, what the mechanisms add, targets, identification."""
    failing = model_table.loc[~model_table["passed"], "id"].tolist()
    counts = evidence_counts(model_table)
    n_evidence = counts["evidence_targets"]
    sections = [
        "# Calibration report",
        f"{facts['trials_total']} trials; best trial {facts['best_trial']} "
        f"(search loss {facts['best_loss_search']:.3f}). Re-checked on "
        f"{facts['settings']['final_replicates']} replicates: **loss {facts['loss']:.3f}, "
        f"{facts['passed']}/{facts['targets']} targets pass**."
        + (f" Failing: {', '.join(failing)}." if failing else ""),
        f"Of the {facts['targets']} judged targets, **{n_evidence} are evidence "
        f"(behaviour the mechanisms must produce): {counts['evidence_passed']}/{n_evidence} "
        f"pass, loss {counts['evidence_loss']:.3f}**; the other {facts['targets'] - n_evidence} "
        "are fitted (a parameter is set from each, or it is an accounting identity of inputs) and say "
        "nothing about the mechanisms. The search minimises the loss over all of them.",
        *_fixed_section(facts),
        "## What the mechanisms add\n\n"
        + "\n".join(f"- {line}" for line in summary_lines(model_table, naive)),
        "## Targets (best parameters)\n\n" + markdown_table(model_table[TARGET_COLUMNS]),
        f"## Identification (spread of the best {ident['top_trials'].iloc[0]} trials; one-at-a-time "
        "loss profile around the best)\n\n"
        + markdown_table(identification_table(ident, int(model_table["passed"].size))),
        "## Best trials\n\n" + markdown_table(trials.head(10)),
    ]
    return "\n\n".join(sections) + "\n"
