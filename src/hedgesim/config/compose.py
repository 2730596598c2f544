"""Composition of conf/ with Hydra overrides outside any Hydra app, and its errors in one line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import HedgesimConfig, register_configs

CONFIG_MODULE = "hedgesim.conf"
CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
"""Where the shipped conf/ lives (the repository's conf/ links to it)."""


def compose_config(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose conf/ with Hydra overrides, outside any Hydra app.

    Raises:
        ConfigError: when an override names an unknown key or a value of the wrong type.
    """
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            return compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(describe_config_error(err)) from None
    finally:
        GlobalHydra.instance().clear()


def describe_config_error(err: BaseException) -> str:
    """One line from Hydra's or OmegaConf's multi-line message."""
    cause = err.__cause__ if err.__cause__ is not None else err
    text = str(cause).strip() or str(err).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    key = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("full_key:")), None)
    head = lines[0] if lines else type(err).__name__
    if "not in struct" in text or ("Key '" in head and "not in" in head):
        return f"{key or head}: unknown key; allowed: {', '.join(allowed_keys(key or ''))}"
    offered = [i for i, ln in enumerate(lines) if ln.startswith("Available options")]
    if offered:
        after = lines[offered[0] + 1 :]
        options = after[: next((i for i, ln in enumerate(after) if ln.endswith(":")), len(after))]
        return f"{head}; allowed: {', '.join(options)}"
    if key and key not in head:
        return f"{key}: {head}"
    return head


def allowed_keys(full_key: str) -> list[str]:
    """The keys the schema allows beside ``full_key`` (the keys of its parent node)."""
    node = OmegaConf.structured(HedgesimConfig)
    for part in full_key.split(".")[:-1]:
        if not isinstance(node, DictConfig) or part not in node:
            break
        node = node[part]
    return sorted(str(k) for k in node) if isinstance(node, DictConfig) else []


def resolved_yaml(cfg: DictConfig) -> str:
    """The config as YAML, all interpolations resolved."""
    return OmegaConf.to_yaml(cfg, resolve=True)
