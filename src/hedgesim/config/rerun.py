"""Rerunning a run from its saved config.yaml alone.

A run's config.yaml holds every value the run used (its dated shocks included) and nothing
else. Named as Hydra would take it, ``hedgesim --config-dir RUN --config-name config``, it is
shadowed by the packaged config.yaml, which comes first on Hydra's search path: the packaged
run ran instead. So that command line is read as a rerun: the saved values become a primary
config of their own, on the schema and hedgesim's Hydra settings, with no packaged option under
them (which would add, say, oil prices for years the run did not list).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import register_configs

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
