"""Rerunning a run from its saved config.yaml alone.

A run's config.yaml holds every value the run used (its dated shocks included) and nothing
else. Named as Hydra would take it, ``hedgesim --config-dir RUN --config-name config``, it is
shadowed by the packaged config.yaml, which comes first on Hydra's search path: the packaged
run ran instead. So that command line is read as a rerun: the saved values become a primary
config of their own, on the schema and hedgesim's Hydra settings, with no packaged option under
them (which would add, say, oil prices for years the run did not list). Its overrides are
checked on those values before Hydra starts (:func:`check_rerun`), as a run's are on conf/.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import yaml
from hydra import compose
from hydra.core.config_store import ConfigStore
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.compose import describe_config_error, hydra_on_conf
from hedgesim.config.errors import ConfigError
from hedgesim.config.folder_names import CellName, check_cell_names
from hedgesim.config.hydra_part import check_hydra_part
from hedgesim.config.overrides import MAX_CELLS, MAX_SWEEP_VALUES, parse_overrides
from hedgesim.config.schema import register_configs
from hedgesim.config.spec import build_run

RERUN = "hedgesim_rerun"
"""The name the saved config is composed under (a config of Hydra's ConfigStore)."""
DEFAULTS = ["hedgesim_schema", {"hydra": "default"}, "_self_"]
"""What the saved values go on: the schema, then hedgesim's Hydra settings (folders, launcher)."""
_DIR, _NAME = ("--config-dir", "-cd"), ("--config-name", "-cn")


def as_rerun(argv: Sequence[str]) -> list[str]:
    """``argv``, with ``--config-dir RUN --config-name config`` read as a rerun of RUN's
    config.yaml when RUN holds one; any other command line as it is.

    Raises:
        ConfigError: RUN's config.yaml is no mapping of config values.
    """
    folder, name, rest = _config_options(argv)
    saved = Path(folder) / "config.yaml" if folder is not None else None
    if saved is None or name not in (None, "config") or not saved.is_file():
        return list(argv)
    values = _saved_values(saved)
    node = values if "defaults" in values else {"defaults": DEFAULTS, **values}
    register_configs()
    ConfigStore.instance().store(name=RERUN, node=node)
    return [_NAME[0], RERUN, *rest]


def is_rerun(config_name: str | None) -> bool:
    """Whether ``config_name`` names a saved config :func:`as_rerun` put in place."""
    return config_name == RERUN and f"{RERUN}.yaml" in ConfigStore.instance().repo


def check_rerun(overrides: Sequence[str]) -> tuple[int, DictConfig]:
    """Check a rerun's overrides before Hydra starts, as a run's are: each value composed on the
    saved config and built into a run, every cell of a sweep included, and Hydra's part checked.

    A bad override is refused in one line before any folder is made, not once the job runs.

    Returns:
        How many configurations were checked, and the config composed with Hydra's part.

    Raises:
        ConfigError: for the first bad key or value.
    """
    parsed = parse_overrides(overrides)
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    cfg = _composed(plain)
    check_hydra_part(cfg)
    build_run(_task_part(cfg))
    cells = _cell_names(parsed)
    check_cell_names(cells, cfg)
    count = math.prod(len(cell.lines) for cell in cells if cell.lines)
    if count > MAX_CELLS:
        raise ConfigError(f"the sweep has {count:,} cells; allowed: at most {MAX_CELLS:,} in one sweep")
    choices = [line for cell in cells for line in cell.lines]
    for choice in choices:
        build_run(_task_part(_composed([*plain, choice])))
    return 1 + len(choices), cfg


def _cell_names(parsed: list) -> list[CellName]:
    """The task's overrides as they name a sweep's cells: each swept key with its values."""
    cells = []
    for override in (o for o in parsed if not o.is_hydra_override()):
        key = override.get_key_element()
        if override.is_sweep_override():
            values = _sweep_values(override)
            cells.append(CellName(override.input_line, key, values, [f"{key}={v}" for v in values]))
        else:
            cells.append(CellName(override.input_line, key))
    return cells


def _composed(overrides: Sequence[str]) -> DictConfig:
    """The saved config with ``overrides``, Hydra's part included, as the rerun's job gets it."""
    try:
        with hydra_on_conf():
            return compose(config_name=RERUN, overrides=list(overrides), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException, ValueError) as err:
        raise ConfigError(describe_config_error(err)) from None


def _task_part(cfg: DictConfig) -> DictConfig:
    task = cfg.copy()
    with open_dict(task):
        del task["hydra"]
    return task


def _sweep_values(override) -> list[str]:
    """The values a swept key takes (a sweep the basic sweeper cannot list is refused)."""
    allowed = "allowed: a,b,c or range(start,stop,step) or choice(a,b)"
    if not override.is_discrete_sweep():
        raise ConfigError(f"{override.input_line}: the basic sweeper runs only listed values; {allowed}")
    try:
        values = list(itertools.islice(override.sweep_string_iterator(), MAX_SWEEP_VALUES + 1))
    except (HydraException, TypeError, ValueError, ZeroDivisionError) as err:
        raise ConfigError(f"{override.input_line}: {err}; {allowed}") from None
    if len(values) > MAX_SWEEP_VALUES:
        raise ConfigError(f"{override.input_line}: more than {MAX_SWEEP_VALUES:,} values; {allowed}")
    return values


def _config_options(argv: Sequence[str]) -> tuple[str | None, str | None, list[str]]:
    """The values of --config-dir and --config-name (None: not given), and the other tokens."""
    found: dict[str, str] = {}
    rest: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        option, equals, value = token.partition("=")
        if option in (*_DIR, *_NAME) and token.startswith("-"):
            found[_DIR[0] if option in _DIR else _NAME[0]] = value if equals else next(tokens, "")
        else:
            rest.append(token)
    return found.get(_DIR[0]), found.get(_NAME[0]), rest


def _saved_values(saved: Path) -> dict:
    """The values of a saved config.yaml.

    Raises:
        ConfigError: a file that is no YAML mapping.
    """
    allowed = "allowed: a run folder's config.yaml, as hedgesim wrote it"
    try:
        loaded = OmegaConf.load(saved)  # as Hydra reads a config file
        values = OmegaConf.to_container(loaded) if isinstance(loaded, DictConfig) else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, OmegaConfBaseException) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        where = f"--config-dir {saved.parent}: config.yaml"
        raise ConfigError(f"{where} cannot be read ({first}); {allowed}") from None
    if not isinstance(values, dict):
        raise ConfigError(f"--config-dir {saved.parent}: config.yaml holds no config values; {allowed}")
    return values
