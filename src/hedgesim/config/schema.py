"""The configuration schema: Hydra structured configs that validate every key and type.

YAML in conf/ only fills in these dataclasses; Hydra rejects unknown keys and wrong types.
A command line's values are checked against them first (``check_value``), where Hydra's own
words would name no entry or say nothing of what is allowed. Ranges, dates and shock kinds are
checked when a config becomes a run (hedgesim.config.spec).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from hedgesim.config.errors import ConfigError
from hedgesim.core.challenges import Challenges
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.shocks import StochasticShocks
from hedgesim.core.shocks.timeline import show


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


OIL_PRICES = "years as integers and prices in USD/bbl as numbers, e.g. {2030:50}"
SHOCK = "{date: 2015-01, kind: war, actors: [RUS], size: 0.5}"
SHOCK_ENTRY = f"a mapping like {SHOCK}"
_SCALARS = {float: "a number", int: "an integer", bool: "true or false", str: "a text"}
_LIST_EXAMPLES = {"actors": "RUS,UKR", "disabled_ids": "crimea,donbas-war", "disabled_kinds": "war,npp"}


def check_value(key: str, value: Any, line: str) -> None:
    """An override's value checked against the schema under ``key`` before Hydra merges it:
    Hydra builds a list's entries apart from the config, so its errors named a bare field
    (``labl``) and listed the top-level keys as allowed; a list without brackets was shown kinds
    as the example, and an oil price's year that is no integer said nothing of what is allowed.

    Raises:
        ConfigError: the first key or value the schema does not take, in one line.
    """
    hint = _hint_at(key)
    if hint is not None:
        _check(_indexed(key), value, hint, line, top=True)


def _hint_at(key: str) -> Any:
    """The schema's type at a dotted key (a number part is a list's entry), None if none."""
    hint: Any = HedgesimConfig
    for part in key.split("."):
        hint = _optional(hint)
        if typing.get_origin(hint) is list and part.isdigit():
            hint = typing.get_args(hint)[0]
        elif dataclasses.is_dataclass(hint) and part in _fields(hint):
            hint = _fields(hint)[part]
        else:
            return None
    return hint


def _indexed(key: str) -> str:
    """``shocks.timeline.0`` as Hydra names it: ``shocks.timeline[0]``."""
    parts = key.split(".")
    return parts[0] + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts[1:])


@functools.cache
def _fields(hint: Any) -> dict[str, Any]:
    return typing.get_type_hints(hint)


def _optional(hint: Any) -> Any:
    """``X | None`` as ``X``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kept = [a for a in typing.get_args(hint) if a is not type(None)]
        return kept[0] if len(kept) == 1 else hint
    return hint


def _check(path: str, value: Any, hint: Any, line: str, top: bool = False) -> None:
    hint = _optional(hint)
    origin = typing.get_origin(hint)
    if value is None:
        return
    if dataclasses.is_dataclass(hint):
        if isinstance(value, dict):
            _check_fields(path, value, hint, line)
    elif origin is list:
        _check_list(path, value, typing.get_args(hint)[0], line, top)
    elif origin is dict:
        _check_prices(value, line)
    elif not top and hint in _SCALARS and isinstance(value, dict | list):
        raise ConfigError(f"{path}={show(value)} is not a single value; allowed: {_SCALARS[hint]}")
    elif not top and hint in (float, int) and isinstance(value, str) and not _is_number(value):
        raise ConfigError(f"{path}={show(value)} is not a number; allowed: {_SCALARS[hint]}")


def _check_fields(path: str, value: dict, hint: Any, line: str) -> None:
    fields = _fields(hint)
    for name, item in value.items():
        if name not in fields:
            raise ConfigError(f"{path}.{name}: unknown key; allowed: {', '.join(sorted(fields))}")
        _check(f"{path}.{name}", item, fields[name], line)


def _check_list(path: str, value: Any, item_hint: Any, line: str, top: bool) -> None:
    if isinstance(value, str) and "${" in value:
        return  # an interpolation: what it names is Hydra's to check
    if not isinstance(value, list):
        name = path.rpartition(".")[2]
        example = SHOCK if dataclasses.is_dataclass(item_hint) else _LIST_EXAMPLES.get(name, "a,b")
        wrong = f"{line}: not a list" if top else f"{path}={show(value)} is not a list"
        raise ConfigError(f"{wrong}; allowed: a list in brackets, e.g. [{example}]")
    for i, item in enumerate(value):
        if dataclasses.is_dataclass(item_hint) and not isinstance(item, dict):
            raise ConfigError(f"{path}[{i}]={show(item)} is not a shock; allowed: {SHOCK_ENTRY}")
        _check(f"{path}[{i}]", item, item_hint, line)


def _check_prices(value: Any, line: str) -> None:
    """The oil price series: integer years, numeric prices (their range is checked with the run)."""
    if not isinstance(value, dict):
        raise ConfigError(f"{line}: not a mapping of years to prices; allowed: {OIL_PRICES}")
    for year, price in value.items():
        if isinstance(year, bool) or not isinstance(year, int):
            raise ConfigError(f"{line}: {show(year)} is not a year; allowed: {OIL_PRICES}")
        if isinstance(price, bool) or not (isinstance(price, int | float) or _is_number(price)):
            raise ConfigError(
                f"{line}: the price of {year} is {show(price)}, not a number; allowed: {OIL_PRICES}"
            )


def check_oil_years(given: list[tuple[str, dict, dict]], windows: list[tuple[Any, Any]]) -> None:
    """Refuse a year an override gives whose price no month of the runs takes (after the last
    run's end, or before the first's start with a later year listed by then): it would change
    nothing, and the user would believe it did. A scenario's own series may list such years (one
    series serves runs of any length); only the command line's are checked.

    Args:
        given: each override of the oil price, its years and prices, and the series of the run
            it made.
        windows: the first and last month of each run of the command line.

    Raises:
        ConfigError: naming the override, the year and the years allowed.
    """
    if not given or not windows:
        return
    first, last = min(w[0] for w in windows), max(w[1] for w in windows)
    for line, years, prices in given:
        for year in years:
            if year > last.year or (year < first.year and any(year < k <= first.year for k in prices)):
                runs = "the run" if len(set(windows)) == 1 else "the runs"
                raise ConfigError(
                    f"{line}: no month of {runs} ({first}..{last}) takes the price of {year}, so it would "
                    f"change nothing; allowed: years {first.year} to {last.year} (a year's price holds until "
                    "the next year listed, the last one's to the end)"
                )


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
