"""YAML read strictly: a key written twice in one mapping is an error, not the last one winning.

Every file a user writes for hedgesim (shock timelines, the calibration's search space and
targets, the validation plan) is read this way, so a key repeated by mistake is named with its
line instead of silently dropping the first value.
"""

from __future__ import annotations

from typing import Any

import yaml

from hedgesim.core.shocks.timeline import show


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader (libyaml's where installed) that refuses a key written twice in one
    mapping (a key merged in with ``<<: *base`` may be written over, as YAML allows).

    PyYAML lets a value its type cannot read fail as a bare ValueError (``2012-02-30`` as a
    date): a date that is not a real one stays text, for the shock's own check to name its key,
    and any other such value is an error that says where it is.
    """

    def construct_timestamp_or_text(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, AttributeError):
            return self.construct_scalar(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            if isinstance(err, yaml.YAMLError):
                raise
            why = f" ({err})" if isinstance(err, ValueError) else ""
            problem = f"{show(node.value)} cannot be read as {node.tag.rpartition(':')[2]}{why}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # flatten_mapping (below) merges, the keys written here winning
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                duplicate = False  # an unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {show(key)} appears twice in one mapping", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_timestamp_or_text)


def load_strict(text: str) -> Any:
    """The document in ``text`` (None when empty), read by :class:`StrictLoader`.

    Raises:
        yaml.YAMLError: malformed YAML, a key written twice, a value its type cannot read.
    """
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def yaml_problem(err: yaml.MarkedYAMLError) -> str:
    """``line L, column C: problem`` from PyYAML's multi-line message."""
    mark = err.problem_mark or err.context_mark
    context = err.context if isinstance(err, yaml.composer.ComposerError) else None
    problem = " ".join(" ".join(filter(None, [context, err.problem])).split()) or "malformed YAML"
    if mark is None:
        return f": {problem}"
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
