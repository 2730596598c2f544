"""Checks of a command line's overrides before Hydra starts any job.

Every value a command line asks for is composed and validated, sweeps expanded per key (the
sweep an experiment configures included), so a mistake costs one line and no run folder.
Hydra's part of the config (launcher, sweeper, folders) is composed too; a '+' may add only
what ADDABLE lists; sweeps are bounded (MAX_SWEEP_VALUES, MAX_CELLS) before any is listed.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import OverrideType
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config import shared_parts
from hedgesim.config.compose import (
    CONF_DIR,
    allowed_keys,
    compose_config,
    describe_config_error,
    unreadable_override,
)
from hedgesim.config.errors import ConfigError
from hedgesim.config.folder_names import CellName, check_cell_names
from hedgesim.config.hydra_part import check_hydra_part, compose_with_hydra, expand_globs
from hedgesim.config.parameter_sets import check_sets_overrides
from hedgesim.config.spec import build_job_run, build_run
from hedgesim.config.value_checks import check_oil_years, check_value
from hedgesim.core.calendar import DateError, Month
from hedgesim.core.shocks.timeline import show

_VALUE_OPTIONS = {
    "--config-name",
    "-cn",
    "--config-path",
    "-cp",
    "--config-dir",
    "-cd",
    "--package",
    "-p",
    "--cfg",
    "-c",
    "--experimental-rerun",
}
MAX_SWEEP_VALUES = 1_000
"""The most values one swept key may take (each is composed and checked before the sweep)."""
MAX_CELLS = 10_000
"""The most cells one sweep may have (the three-challenges study has 125)."""
EXPERIMENTS = tuple(sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml")))
OIL_PRICE = "scenario.oil_price"
ADDABLE = {
    "experiment": f"+experiment=NAME ({', '.join(EXPERIMENTS)})",
    "scenario.oil_price": "+scenario.oil_price={YEAR:PRICE} (a year the scenario does not list)",
}
"""The keys a '+' may add: the experiment group, and years of the oil price series."""


def user_overrides(argv: Sequence[str]) -> list[str]:
    """The key=value overrides in a Hydra command line (options and their values left out)."""
    found, skip = [], False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in _VALUE_OPTIONS:
            skip = True
            continue
        if not token.startswith("-") and "=" in token:
            found.append(token)
    return found


def refuse_set_by_options(overrides: Sequence[str], owned: Mapping[str, str]) -> None:
    """Refuse an override of a key a command sets itself (its replicates from ``--replicates``,
    say): the command would put its own value after it, and the user's would be ignored.

    Args:
        owned: each key the command sets, and what is allowed instead.

    Raises:
        ConfigError: naming the override and what to use instead.
    """
    for line in overrides:
        key = line.lstrip("+~").split("=", 1)[0].strip()
        if key in owned:
            raise ConfigError(f"{line}: this command sets {key} itself; allowed: {owned[key]}")


def check_overrides(overrides: Sequence[str]) -> int:
    """Compose and validate every value a command line asks for, sweeps expanded per key.

    Returns:
        How many configurations were checked.

    Raises:
        ConfigError: for the first bad key or value.
    """
    return check_with_hydra(overrides)[0]


class HydraCheck(NamedTuple):
    """What :func:`check_with_hydra` found."""

    checked: int
    """How many configurations were checked."""
    cfg: DictConfig
    """The config composed with Hydra's part."""
    globs: dict[str, str]
    """Each ``group=glob(...)`` line, and the sweep of the options it matches (for Hydra)."""


def check_with_hydra(overrides: Sequence[str]) -> HydraCheck:
    """:func:`check_overrides`, the config composed with Hydra's part, and the globs expanded."""
    parsed = parse_overrides(overrides)
    basic = not any(o.get_key_element() == "hydra/sweeper" for o in parsed)
    parsed, hydra_cfg = _with_configured_sweeps(parsed)
    parsed, globs = expand_globs(parsed)
    plain, sweeps, named = [], [], []
    for override in parsed:
        if override.is_hydra_override():
            if override.is_sweep_override():
                line = override.input_line
                raise ConfigError(f"{line}: Hydra's own settings are not swept; allowed: one value")
            if override.key_or_group == "hydra.searchpath":
                plain.append(override.input_line)  # where a swept group's options are found
            continue
        if override.is_sweep_override():
            if basic and not override.is_discrete_sweep():
                raise ConfigError(
                    f"{override.input_line}: the basic sweeper runs only listed values; "
                    "allowed: a,b,c or range(start,stop,step) or choice(a,b)"
                )
            values = _sweep_values(override)
            sweeps.append([f"{override.get_key_element()}={v}" for v in values])
            named.append(CellName(override.input_line, override.get_key_element(), values, sweeps[-1]))
        else:
            plain.append(override.input_line)
            named.append(CellName(override.input_line, override.get_key_element()))
    check_cell_names(named, hydra_cfg)
    cells = 1
    for values in sweeps:
        cells *= max(len(values), 1)
    if cells > MAX_CELLS:
        raise ConfigError(f"the sweep has {cells:,} cells; allowed: at most {MAX_CELLS:,} in one sweep")
    base = _task_part(hydra_cfg)
    run = build_run(base)
    windows, oil = [(run.calendar.start, run.calendar.end)], _oil_given(parsed, run.oil_prices)
    choices = list(itertools.chain.from_iterable(sweeps))
    copies: dict[str, DictConfig] = {}
    try:
        for choice in choices:
            valued = _with_value(base, choice, copies)
            run = build_run(compose_config([*plain, choice])) if valued is None else build_job_run(valued)
            windows.append((run.calendar.start, run.calendar.end))
            oil += _oil_given(parse_overrides([choice]), run.oil_prices) if OIL_PRICE in choice else []
    finally:
        for cfg in copies.values():
            shared_parts.unshare(cfg)
    check_oil_years(oil, windows)
    return HydraCheck(1 + len(choices), hydra_cfg, globs)


def _oil_given(parsed: list, prices: dict) -> list[tuple[str, dict, dict]]:
    """The overrides that give oil prices, with the years they give and the run's series."""
    return [
        (o.input_line, o.value(), prices)
        for o in parsed
        if o.key_or_group == OIL_PRICE and not o.is_sweep_override() and isinstance(o.value(), dict)
    ]


def _with_value(base: DictConfig, line: str, copies: dict[str, DictConfig]) -> DictConfig | None:
    """``base`` with one plain ``key=value`` applied by Hydra's own rules, as composing it would
    give (a copy costs a tenth of a composition); None for a group, a '+' or a '~'.

    The values of one key go into one copy in turn (``copies``, by key): each replaces the last
    whole, so the copy is ``base`` with this value alone, and its other parts are converted to
    plain Python once (``shared_parts``). A dict or list value, which Hydra merges into the one
    before, gets a fresh copy.

    Raises:
        ConfigError: the value does not fit its key, in one line.
    """
    override = parse_overrides([line])[0]
    key = override.key_or_group
    if override.type != OverrideType.CHANGE or override.package is not None or "/" in key:
        return None
    if "." not in key and (CONF_DIR / key).is_dir():  # a config group
        return None
    if isinstance(override.value(), (dict, list)):
        cfg = copy.deepcopy(base)
    elif key in copies:
        cfg = copies[key]
    else:
        cfg = copies[key] = copy.deepcopy(base)
        shared_parts.share(cfg, {key.split(".")[0]})
    try:
        ConfigLoaderImpl._apply_overrides_to_config([override], cfg)
    except (HydraException, OmegaConfBaseException, ValueError) as err:
        raise ConfigError(describe_config_error(err)) from None
    return cfg


def _task_part(cfg: DictConfig) -> DictConfig:
    """A composed config without Hydra's part: the task's config, as compose_config gives it."""
    task = cfg.copy()
    with open_dict(task):
        del task["hydra"]
    return task


def as_override_list(overrides: Any, name: str = "overrides") -> list[str]:
    """The API's ``overrides``: one string, or a sequence of strings (None: none).

    Raises:
        ConfigError: anything else, in one line.
    """
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    allowed = "allowed: a string like 'challenges.trust=0.5' or a list of them"
    if isinstance(overrides, bytes | dict) or not isinstance(overrides, Iterable):
        raise ConfigError(f"{name}={show(overrides)}; {allowed}")
    found = list(overrides)
    for i, item in enumerate(found):
        if not isinstance(item, str):
            raise ConfigError(f"{name}[{i}]={show(item)} is not a string; {allowed}")
    return found


def check_single_run(overrides: Sequence[str]) -> list[str]:
    """Overrides for one run (the Python API): parsed, no sweeps, '+' only where allowed.

    Raises:
        ConfigError: in one line, as the command line would.
    """
    parsed = parse_overrides(overrides)
    for override in parsed:
        if override.is_sweep_override() and not override.is_hydra_override():
            raise ConfigError(
                f"{override.input_line}: a sweep; allowed: one value per key here (loop over the "
                "values, or sweep them with hedgesim -m)"
            )
    if any(o.key_or_group == OIL_PRICE for o in parsed):
        scenario = compose_config(overrides).scenario
        with contextlib.suppress(DateError):  # a month that is no month is build_run's to name
            window = (Month.parse(scenario.start), Month.parse(scenario.end))
            check_oil_years(_oil_given(parsed, dict(scenario.oil_price)), [window])
    return list(overrides)


def parse_overrides(overrides: Sequence[str]) -> list:
    """Hydra's parse of each override, then the project's rules on '+' and on year keys.

    Raises:
        ConfigError: an override Hydra cannot read, a '+' outside ADDABLE, a dotted year.
    """
    parser = OverridesParser.create()
    parsed = []
    for line in overrides:
        try:
            parsed.extend(parser.parse_overrides([line]))
        except (HydraException, ValueError) as err:
            raise ConfigError(unreadable_override(line, err)) from None
    for override in parsed:
        _check_year_key(override)
        _check_addition(override)
        _check_group_choice(override)
        _check_entries(override)
    return parsed


def _check_entries(override) -> None:
    """A value against the schema (a shock's keys, a list's brackets, an oil price's years)."""
    if override.is_hydra_override() or override.is_delete() or override.is_sweep_override():
        return
    if override.package is None:
        check_value(override.key_or_group, override.value(), override.input_line)


def _check_group_choice(override) -> None:
    """``challenges=null``: a config group takes one of its options by name (Hydra says only
    that it got a NoneType)."""
    group = override.key_or_group
    if override.is_delete() or override.is_sweep_override() or override.value() is not None:
        return
    if "/" not in group and ("." in group or not (CONF_DIR / group).is_dir()):
        return
    if "/" in group:  # Hydra's own groups have options from its plugins too
        options = "the name of one of its options (hedgesim --hydra-help lists them)"
    else:
        options = ", ".join(sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml")))
    raise ConfigError(
        f"{override.input_line}: {group} is a config group, and null names none of its options; "
        f"allowed: {options}"
    )


def _check_addition(override) -> None:
    """A '+' or '++' adds a key or a group; only the documented ones may be added."""
    if not (override.is_add() or override.is_force_add()) or override.is_hydra_override():
        return
    key = override.key_or_group
    if override.package is not None:
        key = f"{key}@{override.package}"
    if key in ADDABLE:
        return
    parent, _, name = key.rpartition(".")
    close = difflib.get_close_matches(name, allowed_keys(key), n=1)
    meant = f" (did you mean {parent + '.' if parent else ''}{close[0]}?)" if close else ""
    raise ConfigError(
        f"{override.input_line}: '+' adds a key or config group, and {key} is not one to add{meant}; "
        f"allowed: {'; '.join(ADDABLE.values())}; to change a key, leave out the '+'"
    )


def _check_year_key(override) -> None:
    """``scenario.oil_price.2010=50``: Hydra reads the year as text; say how to write it."""
    key = override.key_or_group
    if not key.startswith("scenario.oil_price."):
        return
    year = key.split(".", 2)[2]
    plain = not override.is_delete() and not override.is_sweep_override()
    value = override.get_value_element_as_str() if plain else "50"
    shown = year if year.isdigit() else "2010"
    raise ConfigError(
        f"{override.input_line}: a year cannot follow a dot in an override; allowed: "
        f"'scenario.oil_price={{{shown}:{value}}}' for a year the scenario lists, "
        f"'+scenario.oil_price={{{shown}:{value}}}' for a new one"
    )


def _with_configured_sweeps(parsed: list) -> tuple[list, DictConfig]:
    """The command line plus the sweep a named experiment sets in ``hydra.sweeper.params``,
    and the config composed with Hydra's part.

    A key swept on the command line replaces the experiment's sweep of it, as in Hydra.

    Raises:
        ConfigError: when the plain overrides do not compose: a key, a group, a type, or
            Hydra's part of the command line (a launcher, a folder).
    """
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    try:
        cfg = compose_with_hydra(plain)
    except ConfigError as err:
        task = [o.input_line for o in parsed if not o.is_sweep_override() and not o.is_hydra_override()]
        if len(task) < len(plain):
            compose_with_hydra(task)  # the task's part first: its error is the one to report
        raise err from None
    check_hydra_part(cfg)
    for choice in _sets_chosen(cfg, parsed):
        check_sets_overrides(choice, parsed)
    params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None) or {}
    given = {o.get_key_element().lstrip("+~") for o in parsed}
    lines = [f"{key}={value}" for key, value in params.items() if key not in given]
    more = OverridesParser.create().parse_overrides(lines) if lines else []
    return [*more, *parsed], cfg


def _sets_chosen(cfg: DictConfig, parsed: list) -> list[str | None]:
    """Every ``parameter_sets`` a run of this command line takes: each value of a sweep over it,
    else the composed one."""
    for override in parsed:
        if override.get_key_element().lstrip("+~") == "parameter_sets" and override.is_sweep_override():
            return [None if value == "null" else value for value in _sweep_values(override)]
    return [OmegaConf.select(cfg, "parameter_sets", default=None)]


def _sweep_values(override) -> list[str]:
    """The values a sweep takes, at most MAX_SWEEP_VALUES (a range is never listed whole)."""
    try:
        values = list(itertools.islice(override.sweep_string_iterator(), MAX_SWEEP_VALUES + 1))
    except (HydraException, TypeError, ValueError, ZeroDivisionError) as err:
        raise ConfigError(
            f"{override.input_line}: {err}; allowed: a,b,c or range(start,stop,step) or choice(a,b)"
        ) from None
    if len(values) > MAX_SWEEP_VALUES:
        raise ConfigError(
            f"{override.input_line}: more than {MAX_SWEEP_VALUES:,} values; allowed: at most "
            f"{MAX_SWEEP_VALUES:,} values for one key"
        )
    return values
