"""Composition of conf/ with Hydra overrides outside any Hydra app, and its errors in one line."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hedgesim.config.errors import ConfigError
from hedgesim.config.schema import HedgesimConfig, register_configs
from hedgesim.core.shocks.timeline import show

CONFIG_MODULE = "hedgesim.conf"
CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
"""Where the shipped conf/ lives (the repository's conf/ links to it)."""


def compose_config(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose conf/ with Hydra overrides, outside any Hydra app.

    Raises:
        ConfigError: when an override names an unknown key or a value of the wrong type.
    """
    try:
        with hydra_on_conf():
            return compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException, ValueError) as err:
        raise ConfigError(describe_config_error(err)) from None


_ONE_AT_A_TIME = threading.RLock()
"""Hydra keeps one initialised config module per process: compositions from threads take turns."""


@contextlib.contextmanager
def hydra_on_conf() -> Iterator[None]:
    """Hydra initialised on conf/ outside any Hydra app, for one composition at a time in this
    process (threads wait their turn), and cleared after it."""
    register_configs()
    with _ONE_AT_A_TIME:
        GlobalHydra.instance().clear()
        try:
            with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
                yield
        finally:
            GlobalHydra.instance().clear()


def unreadable_override(line: str, err: BaseException) -> str:
    """One line for an override Hydra's grammar cannot read: which, why, and what is allowed."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip() and not ln.startswith("See ")]
    detail = lines[1] if len(lines) > 1 else (lines[0] if lines else type(err).__name__)
    if "Exceeds the limit" in detail:
        detail = "a number of more than 4,300 digits"
    return (
        f"{show(line)} cannot be read ({detail}); allowed: key=value, e.g. challenges.trust=0.5 "
        "(quote a value that holds spaces or special characters)"
    )


def describe_config_error(err: BaseException) -> str:
    """One line from Hydra's or OmegaConf's multi-line message, ending in what is allowed."""
    if isinstance(err, OverrideParseException):
        return unreadable_override(err.override, err)
    cause = err.__cause__ if err.__cause__ is not None else err
    text = str(cause).strip() or str(err).strip()
    not_optional = _NOT_OPTIONAL.search(text)
    if not_optional:
        key = not_optional.group(1)
        return f"{key}=null: the key needs a value; allowed: {what_fits(key)}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    key = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("full_key:")), None)
    head = _IN_CONFIG.sub("", lines[0]) if lines else type(err).__name__
    if "not in struct" in text or ("Key '" in head and "not in" in head):
        if key and key.startswith("scenario.oil_price."):
            year = key.rsplit(".", 1)[1]
            return f"{key}: a year the scenario does not list; allowed: +scenario.oil_price={{{year}:PRICE}}"
        allowed = ", ".join(allowed_keys(key or "")) or "no key of its own here"
        return f"{key or head}: unknown key; allowed: {allowed}"
    offered = [i for i, ln in enumerate(lines) if ln.startswith("Available options")]
    if offered:
        after = lines[offered[0] + 1 :]
        options = after[: next((i for i, ln in enumerate(after) if ln.endswith(":")), len(after))]
        return f"{head}; allowed: {', '.join(options)}"
    hint = next(
        (ln.split(" use ", 1)[1] for ln in lines if ln.startswith("To append") and " use " in ln), None
    )
    if hint:
        return f"{head.rstrip('.')}; allowed: {hint}"
    if key and key not in head:
        head = f"{key}: {head}"
    return f"{head}; allowed: {_allowed(head)}" if _allowed(head) else head


_IN_CONFIG = re.compile(r"^In '[^']*': ")
_NOT_OPTIONAL = re.compile(r"field '([^']+)' is not Optional")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a text"}
_CONVERTED = {"Integer": "an integer", "Float": "a number", "Boolean": "true or false"}


def _allowed(head: str) -> str | None:
    """What is allowed, for the OmegaConf messages that do not say it."""
    for word, allowed in _CONVERTED.items():
        if f"converted to {word}" in head:
            return allowed
    if "not a valid bool" in head:
        return "true or false"
    if "is not a ListConfig" in head:
        return "a list in brackets, e.g. [war,npp]"
    if "does not support deletion" in head:
        return "key=value to change it"
    if "missing mandatory value" in head.lower():
        return "a value for it (it has no default)"
    if "nterpolation" in head or "resolver" in head:
        return "a plain value, or ${...} naming a key of the config"
    return None


def what_fits(full_key: str) -> str:
    """What the schema allows at ``full_key`` (a knob's range, else its type), for a message."""
    node: Any = HedgesimConfig
    for part in full_key.split("."):
        found = {f.name: f for f in dataclasses.fields(node)} if dataclasses.is_dataclass(node) else {}
        if part not in found:
            return "a value other than null"
        meta = found[part].metadata
        if "min" in meta:
            return f"a number in [{meta['min']}, {meta['max']}]"
        if _MONTH.match(str(found[part].default)):
            return "a month written YYYY-MM"
        node = typing.get_type_hints(node)[part]
    origin = typing.get_origin(node) or node
    if origin in (list, dict):
        return "a list in brackets, e.g. [a,b]" if origin is list else "a mapping, e.g. {a:1}"
    if dataclasses.is_dataclass(node):
        return "its fields (a mapping)"
    return _KINDS.get(origin, "a value other than null")


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
