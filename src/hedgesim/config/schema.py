"""The configuration schema: Hydra structured configs that validate every key and type.

YAML in conf/ only fills in these dataclasses; Hydra rejects unknown keys and wrong types.
A command line's values are checked against them first (``config.value_checks``), where Hydra's
own words would name no entry or say nothing of what is allowed. Ranges, dates and shock kinds
are checked when a config becomes a run (hedgesim.config.spec).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.shocks import StochasticShocks


@dataclass
class ShockConfig:
    """One dated shock as written in YAML (see hedgesim.core.shocks.Shock)."""

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
    """The dated timeline, switches, and the stochastic processes.

    The history is ``timeline`` (inline), or ``file`` when given: a file REPLACES the inline
    history. ``extra`` names a file whose shocks are ADDED to the history. The stochastic shocks
    start at ``stochastic.start``, by default the month after the history's last shock (rows of
    ``extra`` do not move it); hedgesim.config.timeline_files resolves both.
    """

    name: str = "custom"
    timeline: list[ShockConfig] = field(default_factory=list)
    file: str | None = None
    extra: str | None = None
    disabled_kinds: list[str] = field(default_factory=list)
    disabled_ids: list[str] = field(default_factory=list)
    stochastic: StochasticShocks = field(default_factory=StochasticShocks)


@dataclass
class DecisionsConfig:
    """Who takes the agents' discrete decisions before the branch: their rules, or history."""

    mode: str = "rules"
    observed: list[ShockConfig] = field(default_factory=list)


@dataclass
class ScenarioConfig:
    """The run's window, the month the challenges apply from, and its exogenous series."""

    name: str = "baseline"
    start: str = "2008-01"
    end: str = "2019-12"
    branch: str | None = None
    oil_price: dict[int, float] = field(default_factory=dict)


@dataclass
class OutputConfig:
    """What a CLI run writes beside trajectories.parquet."""

    figure: bool = True
    events: bool = True
    precision: str = "float64"
    """How the recorded series are kept and written: ``float64``, or ``float32`` to halve the
    record and the files of very large ensembles (the model computes in float64 either way)."""


@dataclass
class HedgesimConfig:
    """A whole run: the schema that conf/config.yaml fills in."""

    seed: int = 20101219
    replicates: int = 200
    first_replicate: int = 0
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    shocks: ShocksConfig = field(default_factory=ShocksConfig)
    decisions: DecisionsConfig = field(default_factory=DecisionsConfig)
    challenges: Challenges = field(default_factory=Challenges)
    params: ModelParameters = field(default_factory=ModelParameters)
    parameter_sets: str | None = None
    """None: every replicate runs ``params``; ``plausible`` (or a path to a table of that form):
    replicate r runs set r mod K of the calibration's plausible parameter sets
    (``hedgesim.config.parameter_sets``)."""
    output: OutputConfig = field(default_factory=OutputConfig)


def register_configs() -> None:
    """Put the schema in Hydra's ConfigStore as ``hedgesim_schema``."""
    ConfigStore.instance().store(name="hedgesim_schema", node=HedgesimConfig)
