"""The dated timeline of a run, read from the config inline or from a user's YAML or CSV file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import ShockConfig, ShocksConfig
from hedgesim.core.shocks import Timeline


def load_timeline(shocks: ShocksConfig) -> Timeline:
    """The dated shocks: from ``shocks.file`` (YAML or CSV) when given, else inline.

    A shock dated before the run starts is an error; one dated after it ends lies beyond this
    run's horizon and is left out, so one timeline serves runs of any length.
    """
    if shocks.file is None:
        records = [_plain(s) for s in shocks.timeline]
        return Timeline.from_records(records, "shocks.timeline")
    path = Path(shocks.file).expanduser()
    if not path.is_file():
        raise ConfigError(f"shocks.file={shocks.file!r} does not exist; allowed: a YAML or CSV file")
    return Timeline.from_records(_read_records(path), f"shocks.file {path.name}")


def _plain(shock: Any) -> dict[str, Any]:
    if isinstance(shock, ShockConfig):
        return dict(vars(shock))
    return dict(shock)


def _read_records(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    records = data.get("timeline") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise ConfigError(
            f"shocks.file={str(path)!r} holds no list of shocks; allowed: a list, or a 'timeline:' key"
        )
    return records
