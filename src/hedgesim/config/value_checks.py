"""A command line's values checked against the schema (``config.schema``) before Hydra merges
them: Hydra builds a list's entries apart from the config, so its own errors name a bare field
and list the top-level keys as allowed, and say nothing of what an oil price series takes.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import HedgesimConfig
from hedgesim.core.shocks.timeline import show

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
