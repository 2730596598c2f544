"""A composed config turned into a validated run: the RunSpec the domain core takes.

``build_run`` checks ranges, dates and shock kinds, raising ConfigError with one line that
names the key, the value and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import HedgesimConfig
from hedgesim.config.timeline_files import load_timeline
from hedgesim.core.calendar import DateError, Month, RunCalendar
from hedgesim.core.parameters import Challenges, ModelParameters, ParameterError
from hedgesim.core.shocks import KINDS, ShockError, StochasticShocks, Timeline


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
