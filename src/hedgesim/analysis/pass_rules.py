"""When the simulated ensemble reproduces a target, and the loss the calibration minimises.

Pass rules, always over the ensemble, never one replicate:

* ``level``: the median of the per-replicate statistic lies within ``tolerance`` of the
  observed value. Its standardised error is ``z = (median - observed) / tolerance``.
* ``share``: the per-replicate statistic meets ``condition`` in at least ``1 - tolerance``
  of the replicates. Its standardised error is ``z = (1 - share) / tolerance``.

Either way a target passes when ``|z| <= 1``, and the calibration loss is the mean of ``z**2``
(simulated method of moments with each tolerance as its scale). Every row carries the target's
class, so a report can count the evidence alone (:func:`of_class`): a fitted target's pass says
nothing about the mechanisms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hedgesim.analysis.bands import median_band
from hedgesim.analysis.measures import Panel, statistic
from hedgesim.analysis.targets import Target

Z_CAP = 10.0
COLUMNS = (
    "id",
    "class",
    "series",
    "period",
    "kind",
    "source",
    "confidence",
    "observed",
    "unit",
    "rule",
    "tolerance",
    "median",
    "q05",
    "q95",
    "share",
    "z",
    "passed",
)
CONTEXT_COLUMNS = ("id", "series", "period", "observed", "unit", "source", "reason")


def judge(target: Target, values: np.ndarray) -> dict[str, Any]:
    """Ensemble statistics of one target and whether it passes (see the module docstring)."""
    median, q05, q95 = median_band(values) if values.size else (math.nan,) * 3
    if target.rule == "level":
        share = math.nan
        z = (median - target.reference) / target.tolerance if math.isfinite(median) else math.inf
    else:
        share = float(target.holds(values).mean())
        z = (1.0 - share) / target.tolerance
    return {
        "id": target.id,
        "class": target.role,
        "series": "+".join(target.series),
        "period": target.period.label,
        "kind": target.kind,
        "source": target.source,
        "confidence": target.confidence,
        "observed": str(target.observed),
        "unit": target.unit,
        "rule": target.describe_rule(),
        "tolerance": target.tolerance,
        "median": float(median),
        "q05": float(q05),
        "q95": float(q95),
        "share": share,
        "z": float(z),
        "passed": bool(abs(z) <= 1.0),
        "finite_share": float(np.isfinite(values).sum() / values.size) if values.size else math.nan,
    }


def evaluate(trajectories: pd.DataFrame, targets: Iterable[Target]) -> pd.DataFrame:
    """Evaluate every target that can be evaluated; one row per target (see COLUMNS).

    Targets marked ``evaluate: false`` (context outside the simulated window or series) are
    left out here; :func:`context_rows` lists them.
    """
    panel = Panel(trajectories)
    rows = [judge(t, statistic(panel, t)) for t in targets if t.evaluate]
    return pd.DataFrame(rows, columns=[*COLUMNS, "finite_share"])


def context_rows(targets: Iterable[Target]) -> pd.DataFrame:
    """The targets kept for the record but not evaluated, with the reason."""
    rows = [
        {
            "id": t.id,
            "series": "+".join(t.series),
            "period": t.period.label,
            "observed": str(t.observed),
            "unit": t.unit,
            "source": t.source,
            "reason": t.reason,
        }
        for t in targets
        if not t.evaluate
    ]
    return pd.DataFrame(rows, columns=list(CONTEXT_COLUMNS))


def loss(table: pd.DataFrame) -> float:
    """Mean squared standardised error over the evaluated targets (each |z| capped at Z_CAP).

    The cap keeps one never-reached milestone (infinite z) from hiding every other target.
    """
    z = np.minimum(np.abs(table["z"].to_numpy(dtype=float)), Z_CAP)
    return float(np.mean(z**2))


def pass_count(table: pd.DataFrame) -> int:
    """How many targets of an evaluation pass."""
    return int(table["passed"].sum())


def of_class(table: pd.DataFrame, role: str = "evidence") -> pd.DataFrame:
    """The rows of an evaluation whose target is of one class (evidence by default)."""
    return table[table["class"] == role].reset_index(drop=True)


def single_value_bands(table: pd.DataFrame) -> list[str]:
    """Ids whose ensemble 90% band is one value (q05 == q95): the replicates do not disagree.

    For a level target this means the statistic does not depend on the model's randomness (an
    input or a parameter sets it); for a 0/1 statistic, that at least 95% of replicates agree.
    """
    same = np.isclose(table["q05"].to_numpy(float), table["q95"].to_numpy(float), rtol=1e-12, atol=1e-12)
    return table.loc[same, "id"].tolist()
