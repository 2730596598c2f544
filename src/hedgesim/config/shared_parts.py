"""Plain copies of the config parts a sweep group's cells share, converted once for all of them.

A batched sweep reuses one config node per group of cells and sets each cell's values in it in
turn (``workflows.sweep.jobs``); only the parts under the keys it sets differ between the cells.
OmegaConf converts a node to plain Python at about a microsecond per value, and every cell
converts its config several times (its run, its config.yaml, Hydra's three files): about 14 ms a
cell, most of it in the parts every cell of the group shares. A node registered here with the
top-level keys that vary keeps the plain copy of each other part and hands out a deep copy of
it, so a caller may change what it gets.

A part that holds an interpolation (``${...}``) is converted every time when it is resolved: it
may read a key that varies, or Hydra's state of the moment.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import DictConfig, OmegaConf


@dataclass
class _Shared:
    node: DictConfig
    """Held, so that the id it is found by is never another node's."""
    varying: frozenset[str]
    plain: dict[tuple, Any] = field(default_factory=dict)


_REGISTERED: dict[int, _Shared] = {}


def share(node: DictConfig, varying: Iterable[str]) -> None:
    """Convert ``node``'s parts once from now on, except those under the top-level keys in
    ``varying``: the caller changes nothing else in it while it is registered."""
    _REGISTERED[id(node)] = _Shared(node, frozenset(varying))


def unshare(node: DictConfig) -> None:
    """Convert ``node`` whole again every time (it is about to change, or to be dropped)."""
    _REGISTERED.pop(id(node), None)


def forget() -> None:
    """Drop every registered node (a new composer starts: the old one's nodes are not used again)."""
    _REGISTERED.clear()


def to_object(node: DictConfig, name: str) -> Any:
    """``OmegaConf.to_object`` of ``node[name]`` (the value itself when it is not a config)."""
    part = node[name]
    if not OmegaConf.is_config(part):
        return part
    return _converted(node, name, ("object",), lambda: OmegaConf.to_object(part), resolved=True)


def to_container(node: DictConfig, resolve: bool = False, enum_to_str: bool = False) -> dict[str, Any]:
    """``OmegaConf.to_container(node, resolve=..., enum_to_str=...)``, part by part."""
    whole = {}
    for name in node:
        child = node._get_node(name)
        if OmegaConf.is_config(child):
            convert = lambda child=child: OmegaConf.to_container(
                child, resolve=resolve, enum_to_str=enum_to_str
            )
            whole[name] = _converted(node, name, ("container", resolve, enum_to_str), convert, resolve)
        else:
            value = node[name] if resolve else child._value()
            whole[name] = value.name if enum_to_str and isinstance(value, Enum) else value
    return whole


def _converted(node: DictConfig, name: str, how: tuple, convert: Callable[[], Any], resolved: bool) -> Any:
    """The part converted: from the registered copy when the part is shared, else afresh."""
    shared = _REGISTERED.get(id(node))
    if shared is None or shared.node is not node or name in shared.varying:
        return convert()
    key = (name, *how)
    held = shared.plain.get(key)
    if held is None:
        plain = convert()
        shared.plain[key] = _UNSHARED if resolved and _interpolated(node, name) else plain
        return plain
    return convert() if held is _UNSHARED else copy.deepcopy(held)


_UNSHARED = object()
"""Held for a part converted afresh every time: it holds an interpolation and is resolved."""


def _interpolated(node: DictConfig, name: str) -> bool:
    """Whether the part holds an interpolation anywhere."""
    return _holds_interpolation(OmegaConf.to_container(node[name], resolve=False))


def _holds_interpolation(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_holds_interpolation(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_interpolation(v) for v in value)
    return False
