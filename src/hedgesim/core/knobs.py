"""Documented, range-checked parameter fields: the metadata every knob of the model carries.

A field made by ``knob`` holds its meaning, its allowed range and where its default comes from;
validation (``check_ranges``), sampling bounds (``allowed_range``) and docs/ODD.md read it.
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any

import numpy as np

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
    """Raise ParameterError for the first field outside its [min, max].

    A field may hold one number or an array of them, one per replicate (a batched sweep or
    calibration runs several settings as one ensemble); every element must be in range.
    """
    for f in fields(obj):
        if "min" not in f.metadata:
            continue
        value = getattr(obj, f.name)
        low, high = f.metadata["min"], f.metadata["max"]
        bad = _first_out_of_range(value, low, high)
        if bad is not None:
            raise ParameterError(
                f"{prefix}.{f.name}={bad!r} is out of range; allowed: a number in [{low}, {high}]"
            )


def _first_out_of_range(value: Any, low: float, high: float) -> Any:
    """The value (or the first element of an array) that is not a number in [low, high]."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "fiu":
        outside = ~((value >= low) & (value <= high))  # NaN is outside
        return value[outside][0].item() if outside.any() else None
    if not isinstance(value, (int, float, np.floating, np.integer)):
        return value
    return None if low <= value <= high else value


def check_per_replicate(obj: Any, prefix: str, n_replicates: int) -> None:
    """Raise ParameterError when a field holds an array whose length is not the ensemble's."""
    found = other_length(obj, n_replicates)
    if found is not None:
        name, size = found
        raise ParameterError(
            f"{prefix}.{name} has {size} values; allowed: one number, or one per replicate ({n_replicates})"
        )


def other_length(obj: Any, n_replicates: int) -> tuple[str, int] | None:
    """The first field holding an array of another length than the ensemble's, and that length."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray) and value.shape != (n_replicates,):
            return f.name, int(value.size)
    return None


def per_replicate(settings: Any, counts: Any) -> Any:
    """One object whose fields hold each setting's value repeated ``counts[i]`` times, so an
    ensemble of settings x replicates runs as one model (fields equal in all settings stay one
    number).

    Args:
        settings: objects of one dataclass type; a field may hold one value per replicate
            already (its ``counts[i]`` values), as with plausible parameter sets.
        counts: how many replicates each setting has, in the ensemble's order.
    """
    settings, counts = list(settings), list(counts)
    values = {}
    for f in fields(settings[0]):
        column = [getattr(s, f.name) for s in settings]
        if any(isinstance(v, np.ndarray) for v in column):  # a setting already per replicate
            parts = [
                np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v, n in zip(column, counts, strict=True)
            ]
            values[f.name] = np.concatenate(parts)
        elif "min" not in f.metadata or all(v == column[0] for v in column):
            values[f.name] = column[0]
        else:
            values[f.name] = np.repeat(np.asarray(column, dtype=float), counts)
    return type(settings[0])(**values)


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
