"""The pre-registration: conf/calibration/validation.yaml, read and checked before anything runs.

A held-out test is only a test if its settings were fixed before its result was seen; they live
in a committed file, not on the command line (which only chooses folders, the targets file and
the progress bar). The search space is hedgesim-calibrate's own (the ``parameters`` of
conf/calibration/search.yaml); its settings and starting points are not used, but for
``fix_flat``: whether a second search follows the first, with what the first leaves flat fixed,
is part of hedgesim-calibrate's procedure, the procedure the test judges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hedgesim.config.compose import CONF_DIR, compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.spec import build_run, check_size
from hedgesim.workflows.calibration.search import MAX_SEED, CalibrationError, Dimension, Settings, read_search
from hedgesim.workflows.targets_file import read_yaml

PLAN_FILE = CONF_DIR / "calibration" / "validation.yaml"
COUNTS = ("trials", "replicates", "prior_draws", "score_replicates")
KEYS = {"origins", "score_end", "search", "seed", "scenario", "full_params", *COUNTS}


@dataclass(frozen=True)
class Plan:
    """The pre-registered settings of the out-of-sample test (validation.yaml)."""

    origins: tuple[str, ...]
    score_end: str
    search: Path
    trials: int
    replicates: int
    seed: int
    prior_draws: int
    score_replicates: int
    scenario: str = "reproduce"
    full_params: str = "calibrated"

    @property
    def primary(self) -> str:
        """The first origin: the headline of summary.json."""
        return self.origins[0]

    def settings(self) -> Settings:
        """The calibration settings every origin's study runs (hedgesim-calibrate's type)."""
        return Settings(
            trials=self.trials,
            replicates=self.replicates,
            final_replicates=self.score_replicates,
            seed=self.seed,
            scenario=self.scenario,
            fix_flat=read_search(self.search)[1].fix_flat,
        )

    def dimensions(self) -> list[Dimension]:
        """hedgesim-calibrate's free parameters and ranges."""
        return read_search(self.search)[0]


def read_plan(path: Path = PLAN_FILE) -> Plan:
    """The validated pre-registration.

    Raises:
        CalibrationError: naming the key, its value and what is allowed.
        ConfigError: an ensemble too big for this machine, naming the key.
    """
    path = Path(path)
    data = read_yaml(path, "validation plan")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise CalibrationError(f"validation: unknown key(s) {unknown}; allowed: {', '.join(sorted(KEYS))}")
    missing = sorted({"origins", "score_end", "seed", *COUNTS} - set(data))
    if missing:
        raise CalibrationError(f"validation: missing key(s) {missing}")
    for key in COUNTS:
        _count(key, data[key])
    _count("seed", data["seed"], minimum=0)
    if data["seed"] > MAX_SEED:  # the TPE sampler's limit
        raise CalibrationError(f"validation.seed={data['seed']}; allowed: an integer in [0, {MAX_SEED}]")
    origins = tuple(_month(o, "origins") for o in _origins(data["origins"]))
    end = _month(data["score_end"], "score_end")
    late = [o for o in origins if o >= end]
    if late:
        raise CalibrationError(f"validation.origins {late} are not before score_end {end}")
    search = path.parent / str(data.get("search", "search.yaml"))
    scenario = _option("scenario", data.get("scenario", "reproduce"))
    full_params = _option("full_params", data.get("full_params", "calibrated"), group="params")
    _check_sizes(scenario, data)
    return Plan(
        origins=origins,
        score_end=end,
        search=search,
        trials=data["trials"],
        replicates=data["replicates"],
        seed=data["seed"],
        prior_draws=data["prior_draws"],
        score_replicates=data["score_replicates"],
        scenario=scenario,
        full_params=full_params,
    )


def _option(key: str, value: Any, group: str | None = None) -> str:
    """A config group's option the plan names, checked now: the full-period calibration is run
    only after every origin's search, and a wrong name found there wasted the searches."""
    try:
        compose_config([f"{group or key}={value}"])
    except ConfigError as err:
        raise CalibrationError(f"validation.{key}={value!r}: {err}") from None
    return str(value)


def _check_sizes(scenario: str, data: dict[str, Any]) -> None:
    """The ensembles the plan asks for under the machine's memory, checked now: the scoring
    ensemble runs only after every origin's search.

    Raises:
        ConfigError: with the estimate and the limit, naming the plan's key.
    """
    one = build_run(compose_config([f"scenario={scenario}", "replicates=1"]))
    for key in ("replicates", "score_replicates"):
        check_size(data[key], one.calendar.n_steps, f"validation.{key}", one.precision)


def _origins(raw: Any) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise CalibrationError(f"validation.origins={raw!r}; allowed: a non-empty list of YYYY-MM months")
    if len(set(map(str, raw))) != len(raw):
        raise CalibrationError(f"validation.origins={raw!r}; allowed: distinct months")
    return raw


def _month(value: Any, key: str) -> str:
    """A ``YYYY-MM`` month as text (the key of the origin in every output)."""
    text = str(value).strip()
    try:
        month = pd.Period(text, freq="M")
    except (ValueError, TypeError):
        month = None
    if month is None or len(text) != 7 or f"{month}" != text:
        raise CalibrationError(f"validation.{key}={value!r}; allowed: a month YYYY-MM")
    return text


def _count(key: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CalibrationError(f"validation.{key}={value!r}; allowed: an integer >= {minimum}")
