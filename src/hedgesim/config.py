"""The configuration schema (Hydra structured configs) and its translation into a run.

YAML in conf/ only fills in these dataclasses; Hydra rejects unknown keys and wrong types, and
``build_run`` checks ranges, dates and shock kinds, raising ConfigError with one line that
names the key, the value and what is allowed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from hedgesim.calendar import DateError, Month, RunCalendar
from hedgesim.parameters import Challenges, ModelParameters, ParameterError
from hedgesim.shocks import KINDS, ShockError, StochasticShocks, Timeline


class ConfigError(ValueError):
    """A user's configuration mistake: one line, no traceback."""


@dataclass
class ShockConfig:
    """One dated shock as written in YAML (see hedgesim.shocks.Shock)."""

    date: str = "???"
    kind: str = "???"
    size: float = 0.5
    actors: list[str] = field(default_factory=list)
    end: str | None = None
    id: str | None = None
    label: str = ""
    source: str = ""


@dataclass
class ShocksConfig:
    """The dated timeline (inline or from a file), switches, and the stochastic processes."""

    name: str = "custom"
    timeline: list[ShockConfig] = field(default_factory=list)
    file: str | None = None
    disabled_kinds: list[str] = field(default_factory=list)
    disabled_ids: list[str] = field(default_factory=list)
    stochastic: StochasticShocks = field(default_factory=StochasticShocks)


@dataclass
class ScenarioConfig:
    """The run's window and its exogenous series."""

    name: str = "baseline"
    start: str = "2008-01"
    end: str = "2019-12"
    oil_price: dict[int, float] = field(default_factory=dict)


@dataclass
class OutputConfig:
    """What a CLI run writes beside trajectories.parquet."""

    figure: bool = True
    events: bool = True


@dataclass
class HedgesimConfig:
    """A whole run: the schema that conf/config.yaml fills in."""

    seed: int = 20101219
    replicates: int = 200
    first_replicate: int = 0
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    shocks: ShocksConfig = field(default_factory=ShocksConfig)
    challenges: Challenges = field(default_factory=Challenges)
    params: ModelParameters = field(default_factory=ModelParameters)
    output: OutputConfig = field(default_factory=OutputConfig)


def register_configs() -> None:
    """Put the schema in Hydra's ConfigStore as ``hedgesim_schema``."""
    ConfigStore.instance().store(name="hedgesim_schema", node=HedgesimConfig)


@dataclass(frozen=True)
class RunSpec:
    """Everything the domain core needs for one run, validated."""

    calendar: RunCalendar
    timeline: Timeline
    params: ModelParameters
    challenges: Challenges
    stochastic: StochasticShocks
    oil_prices: dict[int, float]
    seed: int
    replicate_ids: tuple[int, ...]


def build_run(cfg: DictConfig | HedgesimConfig) -> RunSpec:
    """Validate a composed config and turn it into a RunSpec.

    Raises:
        ConfigError: on any value out of range, malformed or outside the run.
    """
    conf: HedgesimConfig = OmegaConf.to_object(cfg) if isinstance(cfg, DictConfig) else cfg
    try:
        return _build(conf)
    except (ParameterError, ShockError, DateError) as err:
        raise ConfigError(str(err)) from None


def _build(conf: HedgesimConfig) -> RunSpec:
    _check_counts(conf)
    calendar = RunCalendar(
        _month(conf.scenario.start, "scenario.start"), _month(conf.scenario.end, "scenario.end")
    )
    conf.params.validate()
    conf.challenges.validate()
    conf.shocks.stochastic.validate()
    timeline = load_timeline(conf.shocks).before_end_of(calendar)
    timeline.check_within(calendar, "shocks")
    unknown = [k for k in conf.shocks.disabled_kinds if k not in KINDS]
    if unknown:
        raise ConfigError(
            f"shocks.disabled_kinds={unknown!r} names unknown kinds; allowed: {', '.join(KINDS)}"
        )
    known_ids = {s.id for s in timeline.shocks}
    unknown_ids = [i for i in conf.shocks.disabled_ids if i not in known_ids]
    if unknown_ids:
        raise ConfigError(
            f"shocks.disabled_ids={unknown_ids!r} names no shock in the run; allowed: "
            f"{', '.join(sorted(known_ids))}"
        )
    timeline = timeline.without(conf.shocks.disabled_kinds, conf.shocks.disabled_ids)
    for year, price in conf.scenario.oil_price.items():
        if not price > 0:
            raise ConfigError(f"scenario.oil_price.{year}={price}; allowed: a price > 0")
    ids = tuple(range(conf.first_replicate, conf.first_replicate + conf.replicates))
    return RunSpec(
        calendar,
        timeline,
        conf.params,
        conf.challenges,
        conf.shocks.stochastic,
        dict(conf.scenario.oil_price),
        conf.seed,
        ids,
    )


def _check_counts(conf: HedgesimConfig) -> None:
    if conf.replicates < 1:
        raise ConfigError(f"replicates={conf.replicates}; allowed: an integer >= 1")
    if conf.first_replicate < 0:
        raise ConfigError(f"first_replicate={conf.first_replicate}; allowed: an integer >= 0")
    if conf.seed < 0:
        raise ConfigError(f"seed={conf.seed}; allowed: an integer >= 0")


def _month(value: str, key: str) -> Month:
    try:
        return Month.parse(value)
    except DateError as err:
        raise ConfigError(f"{key}={value!r}: {err}") from None


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
