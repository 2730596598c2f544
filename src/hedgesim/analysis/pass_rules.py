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
    z, share = _standardised(target, values, median)
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


def _standardised(target: Target, values: np.ndarray, median: float) -> tuple[float, float]:
    """A target's standardised error z and, for a share rule, the share (see the module docstring)."""
    if target.rule == "level":
        if not math.isfinite(median):
            return math.inf, math.nan
        return (median - target.reference) / target.tolerance, math.nan
    share = float(target.holds(values).mean())
    return (1.0 - share) / target.tolerance, share


def standardised_errors(panel: Panel, targets: Iterable[Target]) -> np.ndarray:
    """The z of every evaluated target, as :func:`evaluate`'s ``z`` column holds it, without
    the rest of the table: all a calibration trial's loss and pass count need."""
    return standardised_errors_by_block(panel, targets, 1)[0]


def standardised_errors_by_block(panel: Panel, targets: Iterable[Target], blocks: int) -> np.ndarray:
    """The z of every evaluated target for each of ``blocks`` ensembles of equal size held side
    by side in one panel (replicates block by block): row k is block k's
    :func:`standardised_errors`.

    Every statistic is per replicate, so each target's is computed once for all the blocks; a
    batch of calibration trials pays the statistics' fixed cost once instead of once a trial.
    """
    rows = []
    for target in targets:
        if not target.evaluate:
            continue
        values = statistic(panel, target).reshape(blocks, -1)
        level = values.size > 0 and target.rule == "level"
        medians = np.median(values, axis=1) if level else np.full(blocks, math.nan)
        rows.append([float(_standardised(target, v, m)[0]) for v, m in zip(values, medians, strict=True)])
    return np.array(rows, dtype=float).reshape(-1, blocks).T


def evaluate(trajectories: pd.DataFrame, targets: Iterable[Target]) -> pd.DataFrame:
    """Evaluate every target that can be evaluated; one row per target (see COLUMNS).

    Targets marked ``evaluate: false`` (context outside the simulated window or series) are
    left out here; :func:`context_rows` lists them.
    """
    return evaluate_panel(Panel(trajectories), targets)


def evaluate_panel(panel: Panel, targets: Iterable[Target]) -> pd.DataFrame:
    """:func:`evaluate` of a panel already built (a calibration builds it without the table)."""
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
    return loss_of(table["z"].to_numpy(dtype=float))


def loss_of(z: np.ndarray) -> float:
    """:func:`loss` of the standardised errors alone."""
    capped = np.minimum(np.abs(z), Z_CAP)
    return float(np.mean(capped**2))


def pass_count(table: pd.DataFrame) -> int:
    """How many targets of an evaluation pass."""
    return int(table["passed"].sum())


def passes_of(z: np.ndarray) -> int:
    """:func:`pass_count` of the standardised errors alone."""
    return int(np.count_nonzero(np.abs(z) <= 1.0))


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
