"""hedgesim-calibrate: fit the free mechanism parameters to the 2011-2019 targets with optuna.

The loss is simulated method of moments over the ensemble: for every target the ensemble
statistic's standardised error (its tolerance is the scale; see hedgesim.analysis.targets), squared and
averaged. Each trial runs the same seed (common random numbers), so two trials differ only by
their parameters. The study lives in SQLite in the run folder and resumes where it stopped;
the sampler is optuna's TPE with a fixed seed. At the end the best trial is re-evaluated on a
larger ensemble and written to conf/params/calibrated.yaml, beside the best trials, an
identification report (how tightly the best 5% of trials pin each parameter) and a comparison
with naive forecasts that have no mechanisms.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hedgesim.analysis import targets as tg
from hedgesim.config.compose import CONF_DIR, compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import RunSpec, build_run
from hedgesim.core.parameters import ModelParameters
from hedgesim.workflows.results import git_commit, write_manifest, write_text
from hedgesim.workflows.run import run_spec

TARGETS_FILE = CONF_DIR / "calibration" / "targets.yaml"
SEARCH_FILE = CONF_DIR / "calibration" / "search.yaml"
CALIBRATED_FILE = CONF_DIR / "params" / "calibrated.yaml"
DEFAULT_RUN_DIR = Path("results/runs/calibration")
STUDY_NAME = "hedgesim-baseline"
EXIT_USAGE = 2
TOP_SHARE = 0.05


class CalibrationError(ValueError):
    """A user's mistake in the calibration settings: one line, no traceback."""


# --- inputs ----------------------------------------------------------------------------------


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """A YAML mapping from a file, or a one-line CalibrationError."""
    path = Path(path)
    if not path.is_file():
        raise CalibrationError(f"{what}={str(path)!r} does not exist; allowed: a YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CalibrationError(
            f"{what}={str(path)!r} is not valid YAML ({str(err).splitlines()[0]})"
        ) from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{what}={str(path)!r} holds no mapping; allowed: a YAML mapping")
    return data


def read_targets(path: Path = TARGETS_FILE) -> list[tg.Target]:
    """The observed targets from conf/calibration/targets.yaml (or another file)."""
    try:
        return tg.targets_from_mapping(read_yaml(path, "targets"))
    except tg.TargetError as err:
        raise CalibrationError(str(err)) from None


@dataclass(frozen=True)
class Dimension:
    """One free parameter: its search range and scale."""

    name: str
    low: float
    high: float
    log: bool = False

    def unit(self, value: float) -> float:
        """Position of a value in the range, 0..1 (on the log scale when searched so)."""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def value_at(self, unit: float) -> float:
        """The value at a position 0..1 of the range (the inverse of :meth:`unit`)."""
        if self.log:
            return math.exp(math.log(self.low) + unit * (math.log(self.high) - math.log(self.low)))
        return self.low + unit * (self.high - self.low)


@dataclass(frozen=True)
class Settings:
    """What a calibration runs: trials, ensemble sizes, seed, scenario."""

    trials: int = 1500
    replicates: int = 64
    final_replicates: int = 400
    seed: int = 20101219
    scenario: str = "reproduce"


def read_search(path: Path = SEARCH_FILE) -> tuple[list[Dimension], Settings]:
    """The free parameters (validated against ModelParameters) and the settings.

    Raises:
        CalibrationError: naming the parameter, its value and what is allowed.
    """
    data = read_yaml(path, "search")
    raw = data.get("parameters")
    if not isinstance(raw, dict) or not raw:
        raise CalibrationError(
            f"search.parameters in {path.name} is missing or empty; allowed: a mapping "
            "of parameter name to {low, high, log}"
        )
    known = {f.name: f for f in dataclasses.fields(ModelParameters)}
    dims = [_dimension(name, spec, known) for name, spec in raw.items()]
    settings = _settings(data.get("settings") or {})
    return dims, settings


def read_starts(path: Path, dims: Sequence[Dimension]) -> list[dict[str, float]]:
    """Starting points the study tries right after the configured baseline (``starts:``).

    Each is a partial mapping of free parameters to values inside their search ranges; the
    parameters it leaves out keep the configured values.

    Raises:
        CalibrationError: for a name that is not a free parameter or a value outside its range.
    """
    raw = read_yaml(path, "search").get("starts") or []
    if not isinstance(raw, list):
        raise CalibrationError(f"search.starts={raw!r}; allowed: a list of mappings parameter: value")
    ranges = {d.name: d for d in dims}
    starts = []
    for k, point in enumerate(raw):
        if not isinstance(point, dict):
            raise CalibrationError(f"search.starts[{k}]={point!r}; allowed: a mapping parameter: value")
        for name, value in point.items():
            d = ranges.get(name)
            if d is None:
                raise CalibrationError(
                    f"search.starts[{k}].{name}: not a free parameter; allowed: {', '.join(ranges)}"
                )
            if not isinstance(value, (int, float)) or not d.low <= value <= d.high:
                raise CalibrationError(
                    f"search.starts[{k}].{name}={value!r}; allowed: a number in [{d.low}, {d.high}]"
                )
        starts.append({name: float(v) for name, v in point.items()})
    return starts


def _dimension(name: str, spec: Any, known: Mapping[str, dataclasses.Field]) -> Dimension:
    if name not in known:
        raise CalibrationError(
            f"search.parameters.{name}: unknown parameter; allowed: {', '.join(sorted(known))}"
        )
    if not isinstance(spec, dict) or not {"low", "high"} <= set(spec):
        raise CalibrationError(
            f"search.parameters.{name}={spec!r}; allowed: {{low: <number>, high: <number>}}"
        )
    extra = set(spec) - {"low", "high", "log"}
    if extra:
        raise CalibrationError(
            f"search.parameters.{name}: unknown key(s) {sorted(extra)}; allowed: low, high, log"
        )
    low, high, log = spec["low"], spec["high"], bool(spec.get("log", False))
    meta = known[name].metadata
    lo_ok, hi_ok = meta.get("min", -math.inf), meta.get("max", math.inf)
    if not all(isinstance(v, (int, float)) for v in (low, high)) or not lo_ok <= low < high <= hi_ok:
        raise CalibrationError(
            f"search.parameters.{name}: range [{low}, {high}]; allowed: low < high inside [{lo_ok}, {hi_ok}]"
        )
    if log and low <= 0:
        raise CalibrationError(f"search.parameters.{name}: log scale needs low > 0, got low={low}")
    return Dimension(name, float(low), float(high), log)


def _settings(raw: Mapping[str, Any]) -> Settings:
    allowed = {f.name: f.type for f in dataclasses.fields(Settings)}
    unknown = set(raw) - set(allowed)
    if unknown:
        raise CalibrationError(
            f"search.settings: unknown key(s) {sorted(unknown)}; allowed: {', '.join(allowed)}"
        )
    settings = Settings(**raw)
    for key in ("trials", "replicates", "final_replicates"):
        value = getattr(settings, key)
        if not isinstance(value, int) or value < 1:
            raise CalibrationError(f"search.settings.{key}={value!r}; allowed: an integer >= 1")
    return settings


# --- the objective ---------------------------------------------------------------------------


class Objective:
    """Runs the model with given parameter values and scores the ensemble against the targets.

    Args:
        spec: the validated base run (scenario, shocks, challenges, default parameters, seed).
        targets: the observed targets.
    """

    def __init__(self, spec: RunSpec, targets: Sequence[tg.Target]):
        self.spec = spec
        self.targets = list(targets)
        first, last = tg.required_span(self.targets)
        start, end = spec.calendar.start, spec.calendar.end
        if (start.year, start.month) > (first.year, first.month) or (end.year, end.month) < (
            last.year,
            last.month,
        ):
            raise CalibrationError(
                f"the run {start}..{end} does not cover the targets' months {first:%Y-%m}..{last:%Y-%m}; "
                "allowed: a scenario that does (e.g. scenario=reproduce)"
            )

    def with_values(self, values: Mapping[str, float], replicates: int | None = None) -> RunSpec:
        params = dataclasses.replace(self.spec.params, **values)
        ids = self.spec.replicate_ids if replicates is None else tuple(range(replicates))
        return dataclasses.replace(self.spec, params=params, replicate_ids=ids)

    def trajectories(self, values: Mapping[str, float], replicates: int | None = None) -> pd.DataFrame:
        return run_spec(self.with_values(values, replicates)).trajectories()

    def table(self, values: Mapping[str, float], replicates: int | None = None) -> pd.DataFrame:
        """Every target judged on the ensemble run with these values."""
        return tg.evaluate(self.trajectories(values, replicates), self.targets)


def base_spec(overrides: Sequence[str], settings: Settings, replicates: int) -> RunSpec:
    """The calibration's base run: default parameters, the settings' scenario and seed."""
    cfg = compose_config(
        [
            f"scenario={settings.scenario}",
            "params=default",
            *overrides,
            f"replicates={replicates}",
            f"seed={settings.seed}",
        ]
    )
    return build_run(cfg)


def current_values(dims: Sequence[Dimension], overrides: Sequence[str]) -> dict[str, float]:
    """The values the configured baseline uses now (a warm start for the study)."""
    params = build_run(compose_config([*overrides, "replicates=1"])).params
    return {d.name: float(np.clip(getattr(params, d.name), d.low, d.high)) for d in dims}


# --- the study -------------------------------------------------------------------------------


CORE_DIR = Path(__file__).resolve().parents[1] / "core"


def mechanics_digest() -> str:
    """A digest of the model's mechanics and dated shocks: trials made on other mechanics are stale."""
    files = sorted(CORE_DIR.rglob("*.py")) + sorted((CONF_DIR / "shocks").glob("*.yaml"))
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(
    dims: Sequence[Dimension],
    settings: Settings,
    targets: Sequence[tg.Target],
    overrides: Sequence[str],
    starts: Sequence[Mapping[str, float]] = (),
) -> str:
    """What a study's trials depend on; a resumed study must match it."""
    payload = json.dumps(
        {
            "dims": [dataclasses.asdict(d) for d in dims],
            "replicates": settings.replicates,
            "seed": settings.seed,
            "scenario": settings.scenario,
            "targets": [
                (t.id, t.rule, t.tolerance, str(t.observed), t.target_value, t.condition)
                for t in targets
                if t.evaluate
            ],
            "overrides": list(overrides),
            "starts": [dict(sorted(point.items())) for point in starts],
            "mechanics": mechanics_digest(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def open_study(run_dir: Path, seed: int, stamp: str, name: str = STUDY_NAME):
    """Create or resume the SQLite-backed study in ``run_dir``.

    Raises:
        CalibrationError: when the stored study was made for other settings.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run_dir.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{(run_dir / 'study.db').resolve()}"
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=40)
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=sampler, direction="minimize", load_if_exists=True
    )
    stored = study.user_attrs.get("fingerprint")
    if stored is None:
        study.set_user_attr("fingerprint", stamp)
    elif stored != stamp:
        raise CalibrationError(
            f"run folder {str(run_dir)!r} holds a study made with other settings or mechanics (fingerprint "
            f"{stored}, now {stamp}); allowed: the same settings and model, or a new --run-dir"
        )
    return study


def suggest(trial, dims: Sequence[Dimension]) -> dict[str, float]:
    return {d.name: trial.suggest_float(d.name, d.low, d.high, log=d.log) for d in dims}


def run_trials(
    study,
    objective: Objective,
    dims: Sequence[Dimension],
    n_trials: int,
    starts: Sequence[Mapping[str, float]],
    timeout: float | None,
    progress: bool,
) -> int:
    """Run the trials a (possibly resumed) study still lacks; returns how many ran."""
    import optuna
    from tqdm.auto import tqdm

    done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    remaining = max(n_trials - done, 0)
    if remaining == 0:
        return 0
    if done == 0:
        for point in starts:
            study.enqueue_trial(dict(point), skip_if_exists=True)
    ran: list[int] = []
    bar = tqdm(total=remaining, desc="calibrating", unit="trial", disable=not progress, file=sys.stderr)

    def score(trial) -> float:
        table = objective.table(suggest(trial, dims))
        trial.set_user_attr("passed", tg.pass_count(table))
        return tg.loss(table)

    def tick(study, trial) -> None:
        ran.append(trial.number)
        bar.update(1)
        if study.best_trial is not None:
            bar.set_postfix(best=f"{study.best_value:.3f}", passed=study.best_trial.user_attrs.get("passed"))

    try:
        study.optimize(score, n_trials=remaining, timeout=timeout, callbacks=[tick], gc_after_trial=False)
    finally:
        bar.close()
    return len(ran)


# --- reports ---------------------------------------------------------------------------------


def trials_table(study, dims: Sequence[Dimension]) -> pd.DataFrame:
    """Completed trials, best first: number, loss, passes and the parameter values."""
    import optuna

    rows = [
        {
            "trial": t.number,
            "loss": t.value,
            "passed": t.user_attrs.get("passed"),
            **{d.name: t.params.get(d.name, math.nan) for d in dims},
        }
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    ]
    frame = pd.DataFrame(rows, columns=["trial", "loss", "passed", *(d.name for d in dims)])
    return frame.sort_values(["loss", "trial"]).reset_index(drop=True)


def identification(trials: pd.DataFrame, dims: Sequence[Dimension], share: float = TOP_SHARE) -> pd.DataFrame:
    """How tightly the best trials pin each parameter.

    Among the best ``share`` of trials (at least five), the 5-95% spread of each parameter as a
    share of its search range (on the log scale where searched so): below 0.25 the targets
    identify it well, below 0.5 weakly, above that not at all (the loss hardly depends on it).
    """
    top = trials.head(max(5, int(math.ceil(share * len(trials)))))
    rows = []
    for d in dims:
        values = top[d.name].to_numpy(dtype=float)
        q05, q95 = np.quantile(values, [0.05, 0.95])
        spread = d.unit(q95) - d.unit(q05)
        label = (
            "well identified" if spread < 0.25 else "weakly identified" if spread < 0.5 else "not identified"
        )
        rows.append(
            {
                "parameter": d.name,
                "best": values[0],
                "median_top": float(np.median(values)),
                "q05_top": float(q05),
                "q95_top": float(q95),
                "low": d.low,
                "high": d.high,
                "log": d.log,
                "relative_spread": float(spread),
                "identification": label,
                "top_trials": len(top),
            }
        )
    return pd.DataFrame(rows)


def profile(
    objective: Objective, dims: Sequence[Dimension], best: Mapping[str, float], points: int = 9
) -> pd.DataFrame:
    """One-at-a-time loss profile of each parameter around the best values.

    The best trials of an adaptive sampler cluster where it searched last, so their spread can
    look tight for a parameter the loss barely depends on. The profile asks directly: moving one
    parameter across its search range (``points`` values, log-spaced where searched so), others
    at their best, where does the loss stay within one target's worth of the best
    (``loss <= best + 1 / targets``, i.e. the squared errors grow by at most one tolerance)?
    The share of the range that does is the profile width: below 0.25 well identified, below 0.5
    weakly, above that not identified.
    """
    base = tg.loss(objective.table(best))
    slack = 1.0 / sum(t.evaluate for t in objective.targets)
    rows = []
    for d in dims:
        grid = [d.value_at(u) for u in np.linspace(0.0, 1.0, points)]
        losses = np.array([tg.loss(objective.table({**best, d.name: v})) for v in grid])
        fine = np.array(grid)[losses <= base + slack]
        width = len(fine) / points
        label = (
            "well identified" if width < 0.25 else "weakly identified" if width < 0.5 else "not identified"
        )
        rows.append(
            {
                "parameter": d.name,
                "profile_low": float(fine.min()) if fine.size else math.nan,
                "profile_high": float(fine.max()) if fine.size else math.nan,
                "profile_width": width,
                "profile_identification": label,
                "profile_worst_loss": float(losses.max()),
            }
        )
    return pd.DataFrame(rows)


def comparison(model_table: pd.DataFrame, naive: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per target: the model's and each naive forecast's standardised error and pass."""
    frame = model_table[["id", "observed", "z", "passed"]].rename(
        columns={"z": "z_model", "passed": "pass_model"}
    )
    for name, table in naive.items():
        part = table[["id", "z", "passed"]].rename(columns={"z": f"z_{name}", "passed": f"pass_{name}"})
        frame = frame.merge(part, on="id", how="left")
    return frame


def naive_tables(trajectories: pd.DataFrame, targets: Sequence[tg.Target]) -> dict[str, pd.DataFrame]:
    """The targets judged on each naive forecast made from the model's state at the end of 2010."""
    return {m: tg.evaluate(tg.naive_forecast(trajectories, m), targets) for m in tg.NAIVE_METHODS}


def summary_lines(model_table: pd.DataFrame, naive: Mapping[str, pd.DataFrame]) -> list[str]:
    n = len(model_table)
    lines = [
        f"model (calibrated mechanisms): loss {tg.loss(model_table):.3f}, "
        f"{tg.pass_count(model_table)}/{n} targets pass"
    ]
    for name, table in naive.items():
        lines.append(
            f"naive {name.replace('_', ' ')} from 2010-12: loss {tg.loss(table):.3f}, "
            f"{tg.pass_count(table)}/{n} targets pass"
        )
    return lines


def calibrated_yaml(values: Mapping[str, float], header: Sequence[str]) -> str:
    """The calibrated parameters as a params group file, with a header saying how they came."""
    body = yaml.safe_dump({k: float(v) for k, v in sorted(values.items())}, sort_keys=True)
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body


def rounded(values: Mapping[str, float], digits: int = 4) -> dict[str, float]:
    """Values to ``digits`` significant digits: what the YAML file holds and what is re-checked."""
    return {k: float(f"{v:.{digits}g}") for k, v in values.items()}


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3g") -> str:
    """A GitHub markdown table without optional dependencies."""

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "" if math.isnan(value) else format(value, floatfmt)
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


# --- the command -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hedgesim-calibrate",
        description="Fit the free mechanism parameters to the 2011-2019 targets (optuna TPE, resumable).",
    )
    parser.add_argument(
        "overrides", nargs="*", help="Hydra overrides for the base run, e.g. challenges.trust=0.5"
    )
    parser.add_argument("--trials", type=int, help="total trials of the study (default: search.yaml)")
    parser.add_argument("--replicates", type=int, help="ensemble per trial (default: search.yaml)")
    parser.add_argument("--final-replicates", type=int, help="ensemble for re-checking the best trial")
    parser.add_argument("--seed", type=int, help="model and sampler seed (default: search.yaml)")
    parser.add_argument("--timeout", type=float, help="stop starting trials after this many seconds")
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=DEFAULT_RUN_DIR,
        help=f"study folder (SQLite, tables, report); default {DEFAULT_RUN_DIR}",
    )
    parser.add_argument("--search", type=Path, default=SEARCH_FILE, help="free parameters and settings")
    parser.add_argument("--targets", type=Path, default=TARGETS_FILE, help="observed targets")
    parser.add_argument(
        "--params-out",
        type=Path,
        default=CALIBRATED_FILE,
        help="where to write the calibrated parameters (default: conf/params/calibrated.yaml)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the calibrated parameters")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(list(argv))


def effective_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    chosen = {
        k: getattr(args, k)
        for k in ("trials", "replicates", "final_replicates", "seed")
        if getattr(args, k) is not None
    }
    for key, value in chosen.items():
        if value < (0 if key == "seed" else 1):
            raise CalibrationError(
                f"--{key.replace('_', '-')}={value}; allowed: an integer >= {0 if key == 'seed' else 1}"
            )
    return dataclasses.replace(settings, **chosen)


def calibrate(args: argparse.Namespace) -> dict[str, Any]:
    """Run (or resume) the study, then write the tables, the report and the parameters."""
    targets = read_targets(args.targets)
    dims, settings = read_search(args.search)
    settings = effective_settings(args, settings)
    objective = Objective(base_spec(args.overrides, settings, settings.replicates), targets)
    run_dir = Path(args.run_dir)
    configured = current_values(dims, args.overrides)
    points = read_starts(args.search, dims)
    starts = [configured, *({**configured, **point} for point in points)]
    stamp = fingerprint(dims, settings, targets, args.overrides, points)
    study = open_study(run_dir, settings.seed, stamp)
    started = time.perf_counter()
    ran = run_trials(study, objective, dims, settings.trials, starts, args.timeout, not args.no_progress)
    elapsed = time.perf_counter() - started
    searched = float(study.user_attrs.get("seconds", 0.0)) + elapsed
    study.set_user_attr("seconds", searched)
    trials = trials_table(study, dims)
    if trials.empty:
        raise CalibrationError("the study has no completed trial; allowed: --trials >= 1")
    best = rounded({d.name: float(trials.iloc[0][d.name]) for d in dims})
    final = objective.trajectories(best, settings.final_replicates)
    model_table = tg.evaluate(final, targets)
    naive = naive_tables(final, targets)
    ident = identification(trials, dims).merge(profile(objective, dims, best), on="parameter")
    facts = {
        "trials_total": len(trials),
        "trials_run_now": ran,
        "seconds_now": round(elapsed, 1),
        "seconds_per_trial": round(elapsed / ran, 3) if ran else None,
        "seconds_study": round(searched, 1),
        "best_trial": int(trials.iloc[0]["trial"]),
        "best_loss_search": float(trials.iloc[0]["loss"]),
        "loss": tg.loss(model_table),
        "passed": tg.pass_count(model_table),
        "targets": len(model_table),
        "settings": dataclasses.asdict(settings),
        "overrides": list(args.overrides),
    }
    write_outputs(run_dir, trials, ident, model_table, naive, facts)
    if not args.no_write:
        write_text(calibrated_yaml(best, params_header(facts, settings)), args.params_out)
    facts["summary"] = summary_lines(model_table, naive)
    return facts


def params_header(facts: Mapping[str, Any], settings: Settings) -> list[str]:
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
        "Parameters not listed keep the defaults of hedgesim.core.parameters.ModelParameters.",
        "Identification (loss profiles, spread of the best 5% of trials) and the naive comparison:",
        "docs/calibration.md.",
        "",
    ]


def write_outputs(
    run_dir: Path,
    trials: pd.DataFrame,
    ident: pd.DataFrame,
    model_table: pd.DataFrame,
    naive: Mapping[str, pd.DataFrame],
    facts: Mapping[str, Any],
) -> None:
    """Tables and report into the run folder, each atomically, the manifest last."""
    outputs = {
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
    write_manifest(run_dir, files=files, **{k: v for k, v in facts.items() if k != "summary"})


def report_markdown(
    trials: pd.DataFrame,
    ident: pd.DataFrame,
    model_table: pd.DataFrame,
    naive: Mapping[str, pd.DataFrame],
    facts: Mapping[str, Any],
) -> str:
    shown = ["id", "observed", "median", "q05", "q95", "share", "z", "passed"]
    ident_cols = [
        "parameter",
        "best",
        "q05_top",
        "q95_top",
        "low",
        "high",
        "relative_spread",
        "identification",
        "profile_low",
        "profile_high",
        "profile_width",
        "profile_identification",
    ]
    failing = model_table.loc[~model_table["passed"], "id"].tolist()
    return (
        "\n\n".join(
            [
                "# Calibration report",
                f"{facts['trials_total']} trials; best trial {facts['best_trial']} "
                f"(search loss {facts['best_loss_search']:.3f}). Re-checked on "
                f"{facts['settings']['final_replicates']} replicates: **loss {facts['loss']:.3f}, "
                f"{facts['passed']}/{facts['targets']} targets pass**."
                + (f" Failing: {', '.join(failing)}." if failing else ""),
                "## What the mechanisms add\n\n"
                + "\n".join(f"- {line}" for line in summary_lines(model_table, naive)),
                "## Targets (best parameters)\n\n" + markdown_table(model_table[shown]),
                f"## Identification (spread of the best {ident['top_trials'].iloc[0]} trials; one-at-a-time "
                "loss profile around the best)\n\n" + markdown_table(ident[ident_cols]),
                "## Best trials\n\n" + markdown_table(trials.head(10)),
            ]
        )
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``hedgesim-calibrate [overrides] [--trials N] ...``."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        facts = calibrate(args)
    except (CalibrationError, ConfigError, tg.TargetError) as err:
        print(f"hedgesim-calibrate: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    for line in facts["summary"]:
        print(line)
    print(
        f"trials: {facts['trials_total']} in the study, {facts['trials_run_now']} run now "
        f"in {facts['seconds_now']} s ({facts['seconds_study']} s of search in all); "
        f"results in {args.run_dir}"
    )
    if not args.no_write:
        print(f"calibrated parameters: {args.params_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
