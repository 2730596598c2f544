"""Checks of a command line's overrides before Hydra starts any job.

Every value a command line asks for is composed and validated, sweeps expanded per key (the
sweep an experiment configures included), so a mistake costs one line and no run folder.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.compose import CONFIG_MODULE, compose_config
from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import register_configs
from hedgesim.config.spec import build_run

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


def check_overrides(overrides: Sequence[str]) -> int:
    """Compose and validate every value a command line asks for, sweeps expanded per key.

    Returns:
        How many configurations were checked.

    Raises:
        ConfigError: for the first bad key or value.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise ConfigError(str(err).splitlines()[0]) from None
    basic = not any(o.get_key_element() == "hydra/sweeper" for o in parsed)
    parsed = _with_configured_sweeps(parsed)
    plain, sweeps = [], []
    for override in parsed:
        if override.get_key_element().startswith("hydra"):
            continue
        if override.is_sweep_override():
            if basic and not override.is_discrete_sweep():
                raise ConfigError(
                    f"{override.input_line}: the basic sweeper runs only listed values; "
                    "allowed: a,b,c or range(start,stop,step) or choice(a,b)"
                )
            values = _sweep_values(override)
            sweeps.append([f"{override.get_key_element()}={v}" for v in values])
        else:
            plain.append(override.input_line)
    checks = [[]] + [[choice] for choice in itertools.chain.from_iterable(sweeps)]
    for extra in checks:
        build_run(compose_config([*plain, *extra]))
    return len(checks)


def _with_configured_sweeps(parsed: list) -> list:
    """The command line plus the sweep a named experiment sets in ``hydra.sweeper.params``.

    A key swept on the command line replaces the experiment's sweep of it, as in Hydra.
    """
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    plain = [line for line in plain if not line.lstrip("+~").startswith("hydra")]
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            cfg = compose(config_name="config", overrides=plain, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException):
        return parsed  # the regular check below reports what is wrong
    finally:
        GlobalHydra.instance().clear()
    params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None) or {}
    given = {o.get_key_element().lstrip("+~") for o in parsed}
    lines = [f"{key}={value}" for key, value in params.items() if key not in given]
    return [*OverridesParser.create().parse_overrides(lines), *parsed] if lines else parsed


def _sweep_values(override) -> list[str]:
    try:
        return list(override.sweep_string_iterator())
    except (HydraException, TypeError, ValueError):
        return []
