"""The observed-targets file and the YAML reading the calibration and the reproduction share.

hedgesim-calibrate fits the model to conf/calibration/targets.yaml and hedgesim-reproduce
judges the baseline against it; both read it here and report a mistake in it, or in any YAML
input, as one line (exit status 2) instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hedgesim.analysis.targets import Target, TargetError, targets_from_mapping
from hedgesim.config.compose import CONF_DIR

TARGETS_FILE = CONF_DIR / "calibration" / "targets.yaml"


class InputError(ValueError):
    """A user's mistake in an input file or option: one line, no traceback."""


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """A YAML mapping from a file, or a one-line InputError naming ``what`` it should hold."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what}={str(path)!r} does not exist; allowed: a YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InputError(f"{what}={str(path)!r} is not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{what}={str(path)!r} holds no mapping; allowed: a YAML mapping")
    return data


def read_targets(path: Path = TARGETS_FILE) -> list[Target]:
    """The observed targets from conf/calibration/targets.yaml (or another file)."""
    try:
        return targets_from_mapping(read_yaml(path, "targets"))
    except TargetError as err:
        raise InputError(str(err)) from None
