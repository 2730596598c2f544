"""Parameter uncertainty in any run: replicates spread over plausible parameter sets.

``parameter_sets=plausible`` (or a path to a table of the same form) makes replicate ``r`` run
set ``r mod K`` of the K sets: each parameter the sets list takes one value per replicate, the
others keep the configured value. A replicate's set depends on its id alone, so replicate ``r``
runs the same set in every run, every sweep cell and any ensemble (common random numbers across
cells, as without sets). The sets are the calibration study's trials within a loss tolerance of
the best (``conf/params/plausible.csv``, written by hedgesim-calibrate).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hedgesim.config.compose import CONF_DIR
from hedgesim.config.errors import ConfigError
from hedgesim.core.parameters import ModelParameters, ParameterError

PLAUSIBLE_FILE = CONF_DIR / "params" / "plausible.csv"
"""The calibration's plausible sets, what ``parameter_sets=plausible`` names."""
META = ("trial", "loss")
"""The columns of a sets table before the parameters."""


def sets_file(choice: str) -> Path:
    """The table ``parameter_sets`` names: ``plausible``, or a path."""
    return PLAUSIBLE_FILE if choice == "plausible" else Path(choice)


def read_sets(path: Path) -> pd.DataFrame:
    """The parameter sets of a plausible.csv, checked: a trial, a finite loss and finite values.

    Raises:
        ConfigError: one line naming the file and what is wrong with it.
    """
    path = Path(path)
    what = f"parameter sets {str(path)!r}"
    if not path.is_file():
        problem = "are a folder, not a file" if path.is_dir() else "do not exist"
        raise ConfigError(
            f"{what} {problem}; allowed: a plausible.csv written by hedgesim-calibrate or "
            "python -m hedgesim.workflows.calibration.plausible RUN_DIR"
        )
    try:
        sets = pd.read_csv(path, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(f"{what} are not a CSV table ({str(err).splitlines()[0]})") from None
    missing = [c for c in META if c not in sets.columns]
    if missing or len(sets.columns) <= len(META) or sets.empty:
        raise ConfigError(
            f"{what} have columns {list(sets.columns)} and {len(sets)} rows; allowed: columns "
            "trial, loss and one per parameter, at least one row"
        )
    _check_values(sets, what)
    return sets


def _check_values(sets: pd.DataFrame, what: str) -> None:
    """Every cell a finite number, every trial once."""
    for column in sets.columns:
        numbers = pd.to_numeric(sets[column], errors="coerce")
        bad = ~numbers.map(math.isfinite, na_action="ignore").fillna(False).astype(bool)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ConfigError(
                f"{what}: row {row + 1}, {column}={sets[column].iloc[row]!r}; allowed: a finite number"
            )
    repeated = sets["trial"][sets["trial"].duplicated()]
    if len(repeated):
        raise ConfigError(f"{what}: trial={int(repeated.iloc[0])} appears twice; allowed: each trial once")


def set_parameters(sets: pd.DataFrame) -> list[str]:
    """The parameters a sets table lists."""
    return [c for c in sets.columns if c not in META]


def spread_over_sets(
    params: ModelParameters, sets: pd.DataFrame, replicate_ids: Sequence[int], where: str
) -> ModelParameters:
    """``params`` with each parameter the sets list as one value per replicate: set ``r mod K``'s.

    Raises:
        ConfigError: a column that is no parameter, or a value outside its allowed range.
    """
    known = {f.name for f in dataclasses.fields(ModelParameters)}
    names = set_parameters(sets)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"{where}: column {unknown[0]!r} is no model parameter; allowed: the fields of "
            "hedgesim.core.parameters.ModelParameters"
        )
    chosen = np.asarray(replicate_ids, dtype=np.int64) % len(sets)
    values = {n: sets[n].to_numpy(dtype=float)[chosen] for n in names}
    spread = dataclasses.replace(params, **values)
    try:
        spread.validate()
    except ParameterError as err:
        raise ConfigError(f"{where}: {err}") from None
    return spread


def sets_facts(path: Path, sets: pd.DataFrame) -> dict[str, object]:
    """What a run's manifest says of the sets it ran: the file, its sha256, how many sets."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    shown = "conf/params/plausible.csv" if Path(path) == PLAUSIBLE_FILE else str(path)
    return {"file": shown, "sha256": digest, "sets": len(sets), "parameters": set_parameters(sets)}


def check_sets_overrides(choice: str | None, overrides: Sequence) -> None:
    """Refuse ``params.X=v`` (or a sweep of it) for a parameter the chosen sets give each
    replicate: the sets' values would silently replace it.

    Args:
        choice: the run's ``parameter_sets`` (None or empty: no sets).
        overrides: Hydra's parsed overrides of the command line.
    """
    if choice in (None, ""):
        return
    listed = set(set_parameters(read_sets(sets_file(choice))))
    for override in overrides:
        key = override.get_key_element().lstrip("+~")
        if key.startswith("params.") and key.removeprefix("params.") in listed:
            raise ConfigError(
                f"{override.input_line}: parameter_sets={choice} gives {key} a value per set; allowed: "
                "overrides of parameters the sets do not list, or parameter_sets=null"
            )
