"""Documented, range-checked parameter fields: the metadata every knob of the model carries.

A field made by ``knob`` holds its meaning, its allowed range and where its default comes from;
validation (``check_ranges``), sampling bounds (``allowed_range``) and docs/ODD.md read it.
"""

from __future__ import annotations

import math
from dataclasses import field, fields
from typing import Any

HAND = "hand-set to a plausible order of magnitude (docs/ODD.md, Details)"


def knob(default: float, low: float, high: float, meaning: str, source: str = HAND) -> Any:
    """A documented, range-checked float field."""
    return field(
        default=default,
        metadata={"min": low, "max": high, "meaning": meaning, "source": source},
    )


class ParameterError(ValueError):
    """A parameter outside its allowed range; the message names key, value and range."""


def check_ranges(obj: Any, prefix: str) -> None:
    """Raise ParameterError for the first field outside its [min, max]."""
    for f in fields(obj):
        if "min" not in f.metadata:
            continue
        value = getattr(obj, f.name)
        low, high = f.metadata["min"], f.metadata["max"]
        if not isinstance(value, (int, float)) or math.isnan(value) or not low <= value <= high:
            raise ParameterError(
                f"{prefix}.{f.name}={value!r} is out of range; allowed: a number in [{low}, {high}]"
            )


def allowed_range(cls: type, name: str) -> tuple[float, float]:
    """The [min, max] a field of ``cls`` may take, read from the metadata ``knob`` wrote.

    For callers that need the range itself (sampling bounds) rather than a verdict on one
    value, so no one re-reads the metadata by hand; judging a value stays :func:`check_ranges`.

    Raises:
        ParameterError: when ``cls`` has no field ``name`` or the field has no range.
    """
    ranged = {f.name: f.metadata for f in fields(cls) if "min" in f.metadata}
    if name not in ranged:
        raise ParameterError(f"{cls.__name__}.{name} has no allowed range; allowed: {', '.join(ranged)}")
    return float(ranged[name]["min"]), float(ranged[name]["max"])
