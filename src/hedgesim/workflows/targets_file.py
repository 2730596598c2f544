"""The observed-targets file and the YAML reading the calibration and the reproduction share.

hedgesim-calibrate fits the model to conf/calibration/targets.yaml and hedgesim-reproduce
judges the baseline against it; both read it here and report a mistake in it, or in any YAML
input, as one line (exit status 2) instead of a traceback. The targets file names the evidence
record files it draws further targets from (``record:``, paths beside it); the coding rule
itself is in hedgesim.analysis (files are read here, never there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hedgesim.analysis.record import record_targets
from hedgesim.analysis.targets import Target, TargetError
from hedgesim.config.compose import CONF_DIR
from hedgesim.config.strict_yaml import load_strict, yaml_problem

TARGETS_FILE = CONF_DIR / "calibration" / "targets.yaml"
RECORD_KEYS = ("bfpi", "trade_shares")


class InputError(ValueError):
    """A user's mistake in an input file or option: one line, no traceback."""


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """A YAML mapping from a file, or a one-line InputError naming ``what`` it should hold."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what}={str(path)!r} does not exist; allowed: a YAML file")
    try:
        data = load_strict(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as err:
        raise InputError(
            f"{what}={str(path)!r} is not valid YAML ({yaml_problem(err).lstrip(': ')})"
        ) from None
    except yaml.YAMLError as err:
        raise InputError(f"{what}={str(path)!r} is not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{what}={str(path)!r} holds no mapping; allowed: a YAML mapping")
    return data


def read_targets(path: Path = TARGETS_FILE) -> list[Target]:
    """The targets of conf/calibration/targets.yaml (or another file) and of the record it names."""
    path = Path(path)
    data = read_yaml(path, "targets")
    record = _record_files(data, path)
    try:
        return record_targets(data, **{key: read_yaml(file, key) for key, file in record.items()})
    except TargetError as err:
        raise InputError(str(err)) from None


def _record_files(data: dict[str, Any], path: Path) -> dict[str, Path]:
    """The evidence record files a targets file names under ``record:``, beside the file."""
    record = data.get("record") or {}
    if not isinstance(record, dict) or set(record) - set(RECORD_KEYS):
        raise InputError(
            f"targets={str(path)!r}: record={record!r}; allowed: a mapping with keys {', '.join(RECORD_KEYS)}"
        )
    return {key: path.parent / str(name) for key, name in record.items()}
