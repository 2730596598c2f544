"""The plausible parameter sets: the trials of a calibration that fit almost as well as the best.

One calibrated parameter set hides how loosely the targets pin many parameters (the
identification profiles in docs/calibration.md). The trials of the study whose loss lies close
to the best one are an ensemble of sets the targets cannot tell apart from it; hedgesim-reproduce
``--parameter-sets`` splits its replicates across them, so the bands carry that uncertainty.

The rule. The loss is the mean of ``z**2`` over the ``n`` judged targets, so ``n * loss`` is a sum
of squared standardised errors; read as -2 log-likelihood, the parameter values whose ``n * loss``
lies within ``chi2_k(q)`` of the best form the likelihood-ratio confidence region of the ``k``
searched parameters at level ``q``. The identification profile's rule (one parameter moved,
``loss <= best + 1/n``) is this region for one parameter at one standard error (``chi2_1(0.683) =
1``). The plausible sets apply the same level to the ``k`` parameters searched together:
``loss <= best + chi2_k(0.683) / n``. Of the trials inside, the best :data:`MAX_SETS` are kept, best
first. Each set is conf/params/calibrated.yaml with the trial's searched values, rounded as the
calibrated file is, so the study's best trial reproduces the calibrated values exactly.

Run ``python -m hedgesim.workflows.calibration.plausible RUN_DIR`` to write the sets from the
``trials.csv`` of a calibration run folder; hedgesim-calibrate writes them at the end of a study.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from hedgesim.config.compose import CONF_DIR
from hedgesim.config.errors import ConfigError
from hedgesim.config.parameter_sets import META, PLAUSIBLE_FILE, read_sets
from hedgesim.workflows.calibration.report import rounded
from hedgesim.workflows.results import first_line, write_text
from hedgesim.workflows.targets_file import InputError, read_yaml

PARAMS_DIR = CONF_DIR / "params"
CALIBRATED_FILE = PARAMS_DIR / "calibrated.yaml"
CONFIDENCE = math.erf(1 / math.sqrt(2))
"""One standard error (0.6827): the level of the identification profile's ``1/n`` rule."""
MAX_SETS = 50
"""At most this many sets: enough for a pooled ensemble of 1,000 replicates to give each set 20."""
NOT_PARAMETERS = ("trial", "loss", "passed")
"""The columns of a study's trials.csv that are not searched parameters."""
EXIT_USAGE, EXIT_FAILED = 2, 1


def default_tolerance(n_targets: int, n_free: int, confidence: float = CONFIDENCE) -> float:
    """The loss above the best that a set may have: ``chi2_k(confidence) / n`` (module docstring)."""
    return float(chi2.ppf(confidence, n_free)) / n_targets


def check_rule(tolerance: float | None, max_sets: int) -> None:
    """A usable selection rule (``tolerance`` None: the default), or one InputError line naming the option."""
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance > 0):
        raise InputError(f"--tolerance={tolerance}; allowed: a finite number > 0 (a loss difference)")
    if max_sets < 1:
        raise InputError(f"--max-sets={max_sets}; allowed: an integer >= 1")


def within(trials: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """The trials whose loss is within ``tolerance`` of the best, best first (ties: lower trial)."""
    check_rule(tolerance, 1)
    loss = pd.to_numeric(trials["loss"], errors="coerce")
    scored = trials[np.isfinite(loss)].sort_values(["loss", "trial"], kind="stable")
    if scored.empty:
        raise InputError("trials: no trial with a finite loss; allowed: a study with a completed trial")
    best = float(scored["loss"].iloc[0])
    return scored[scored["loss"] <= best + tolerance].reset_index(drop=True)


def select(trials: pd.DataFrame, tolerance: float, max_sets: int = MAX_SETS) -> pd.DataFrame:
    """The plausible trials: those within ``tolerance`` of the best, the best ``max_sets`` of them."""
    check_rule(tolerance, max_sets)
    return within(trials, tolerance).head(max_sets)


def free_parameters(trials: pd.DataFrame) -> list[str]:
    """The searched parameters: every column of trials.csv but the trial, its loss and passes."""
    return [c for c in trials.columns if c not in NOT_PARAMETERS]


def parameter_sets(selected: pd.DataFrame, calibrated: Mapping[str, float]) -> pd.DataFrame:
    """One row per selected trial: its number, its loss, then the calibrated values with the
    trial's searched values (rounded like calibrated.yaml) in their place, parameters sorted."""
    free = free_parameters(selected)
    names = sorted({*calibrated, *free})
    rows = []
    for trial in selected.itertuples(index=False):
        searched = {n: float(getattr(trial, n)) for n in free if not math.isnan(getattr(trial, n))}
        values = {**{k: float(v) for k, v in calibrated.items()}, **rounded(searched)}
        rows.append({"trial": int(trial.trial), "loss": float(trial.loss), **{n: values[n] for n in names}})
    return pd.DataFrame(rows, columns=[*META, *names])


def header_lines(study: Mapping[str, Any], rule: Mapping[str, Any]) -> list[str]:
    """The comment lines of plausible.csv: which study, which rule, how many sets."""
    settings = study.get("settings", {})
    return [
        "Plausible parameter sets of the hedgesim baseline (hedgesim-reproduce --parameter-sets);",
        "written by hedgesim-calibrate or python -m hedgesim.workflows.calibration.plausible RUN_DIR.",
        f"Study: {study.get('trials_total', '?')} trials (best trial {study.get('best_trial', '?')}), "
        f"{settings.get('replicates', '?')} replicates per trial, seed {settings.get('seed', '?')}, "
        f"scenario={settings.get('scenario', '?')}; source commit {study.get('git_commit') or 'unknown'}.",
        f"Rule: search loss <= best + {rule['tolerance']:.4g} ({rule['why']}); {rule['within']} trials "
        f"within, the best {rule['sets']} kept (at most {rule['max_sets']}), best first.",
        "Each row: conf/params/calibrated.yaml with the trial's searched values (4 significant digits);",
        f"loss is the trial's search loss. Date {dt.datetime.now(dt.UTC):%Y-%m-%d}. See docs/calibration.md.",
    ]


def plausible_text(sets: pd.DataFrame, header: Sequence[str]) -> str:
    """plausible.csv: the header as ``#`` comment lines, then the table."""
    comments = "".join(f"# {line}\n" for line in header)
    return comments + sets.to_csv(index=False, float_format="%.10g")


def read_plausible(path: Path = PLAUSIBLE_FILE) -> pd.DataFrame:
    """The parameter sets of a plausible.csv, checked (:func:`hedgesim.config.parameter_sets.read_sets`).

    Raises:
        InputError: one line naming the file and what is wrong with it.
    """
    try:
        return read_sets(path)
    except ConfigError as err:
        raise InputError(str(err)) from None


def choose(
    trials: pd.DataFrame,
    calibrated: Mapping[str, float],
    n_targets: int,
    tolerance: float | None = None,
    max_sets: int = MAX_SETS,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The plausible sets of a study's trials and the rule that chose them (tolerance None: the
    default, :func:`default_tolerance` of the study's searched parameters and judged targets)."""
    check_rule(tolerance, max_sets)
    free = free_parameters(trials)
    why = "given"
    if tolerance is None:
        tolerance = default_tolerance(n_targets, len(free))
        why = f"chi2_{len(free)}({CONFIDENCE:.3f}) / {n_targets} targets, one standard error jointly"
    inside = within(trials, tolerance)
    sets = parameter_sets(inside.head(max_sets), calibrated)
    rule = {
        "tolerance": tolerance,
        "why": why,
        "within": len(inside),
        "sets": len(sets),
        "max_sets": max_sets,
        "best_loss": float(sets["loss"].iloc[0]),
        "worst_loss": float(sets["loss"].iloc[-1]),
    }
    return sets, rule


def write_plausible(sets: pd.DataFrame, study: Mapping[str, Any], rule: Mapping[str, Any], out: Path) -> Path:
    """plausible.csv with its header, atomically."""
    return write_text(plausible_text(sets, header_lines(study, rule)), out)


def read_run_dir(run_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A calibration run folder's trials.csv and manifest (which holds the number of targets)."""
    run_dir = Path(run_dir)
    trials_file, manifest_file = run_dir / "trials.csv", run_dir / "manifest.json"
    for file in (trials_file, manifest_file):
        if not file.is_file():
            raise InputError(
                f"RUN_DIR={str(run_dir)!r} has no {file.name}; allowed: a folder hedgesim-calibrate finished"
            )
    try:
        trials = pd.read_csv(trials_file)
        study = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:  # pandas' and json's parse errors
        raise InputError(f"RUN_DIR={str(run_dir)!r}: unreadable ({str(err).splitlines()[0]})") from None
    if not {"trial", "loss"} <= set(trials.columns) or not free_parameters(trials):
        raise InputError(
            f"{trials_file}: columns {list(trials.columns)[:5]}...; allowed: trial, loss, passed and "
            "one column per searched parameter"
        )
    if not isinstance(study, dict) or not isinstance(study.get("targets"), int) or study["targets"] < 1:
        raise InputError(
            f"{manifest_file}: no count of judged targets (key 'targets'); allowed: an integer >= 1"
        )
    return trials, study


def read_calibrated(path: Path = CALIBRATED_FILE) -> dict[str, float]:
    """The calibrated parameters file as numbers."""
    data = read_yaml(path, "--calibrated")
    bad = [k for k, v in data.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad:
        raise InputError(f"--calibrated={str(path)!r}: {bad[0]}={data[bad[0]]!r}; allowed: a number")
    return {str(k): float(v) for k, v in data.items()}


def differs_from_calibrated(sets: pd.DataFrame, calibrated: Mapping[str, float]) -> list[str]:
    """The parameters where the best set is not calibrated.yaml: a study other than the file's."""
    best = sets.iloc[0]
    return [k for k, v in calibrated.items() if not math.isclose(float(best[k]), float(v), rel_tol=1e-9)]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hedgesim.workflows.calibration.plausible",
        description="Write conf/params/plausible.csv from a calibration run folder.",
    )
    parser.add_argument("run_dir", type=Path, help="a calibration run folder (trials.csv, manifest.json)")
    parser.add_argument(
        "--tolerance", type=float, help="loss above the best a set may have (default: chi2_k(0.683)/n)"
    )
    parser.add_argument("--max-sets", type=int, default=MAX_SETS, help=f"at most this many sets ({MAX_SETS})")
    parser.add_argument("--calibrated", type=Path, default=CALIBRATED_FILE, help="calibrated parameters")
    parser.add_argument("--out", type=Path, default=PLAUSIBLE_FILE, help="where to write the sets")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: 0 when written; 2 and one line on a usage error, 1 when it cannot write."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        check_rule(args.tolerance, args.max_sets)
        trials, study = read_run_dir(args.run_dir)
        calibrated = read_calibrated(args.calibrated)
        sets, rule = choose(trials, calibrated, study["targets"], args.tolerance, args.max_sets)
        write_plausible(sets, study, rule, args.out)
    except InputError as err:
        print(f"plausible: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        print(f"plausible: error: {first_line(err)}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"{rule['sets']} plausible sets ({rule['within']} trials within loss {rule['tolerance']:.4g} of the "
        f"best; search loss {rule['best_loss']:.3f}..{rule['worst_loss']:.3f}) -> {args.out}"
    )
    changed = differs_from_calibrated(sets, calibrated)
    if changed:
        print(
            f"plausible: note: the study's best trial differs from {args.calibrated.name} in "
            f"{len(changed)} parameters: the sets come from another study than the calibrated values",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
