"""The sweep's figures: outcome heatmaps and trajectory fans, saved under ``figures/``.

The plots themselves (hedgesim.plots.sweep) only draw from tables; this module picks the
cells, reads their rows from the dataset, saves each figure atomically and closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgesim.analysis import outcomes as summary
from hedgesim.workflows.results import save_figure
from hedgesim.workflows.sweep.plan import CHALLENGES, COMPLETE, column_name, dataset_part, parse_number

FIGURES = "figures"
DPI = 110


def draw_figures(folder: Path, table: pd.DataFrame, fans: Sequence[str] | None) -> list[str]:
    """Heatmaps of each probability (trust x vested interests, a panel per tension) and fans.

    Returns:
        The figures written, relative to ``folder`` (for ``aggregate.json``).
    """
    # Imported here, not at the top: job workers load this package for the running count of
    # cells and have no figure to draw.
    from hedgesim.plots import sweep as sweep_plots

    drawn = []
    done = table[table["status"] == COMPLETE]
    if done.empty:
        return drawn
    for outcome in summary.PROBABILITIES:
        figure = sweep_plots.heatmaps(done, outcome)
        if figure is not None:
            drawn.append(_save(figure, folder, f"heatmap_{outcome}.png"))
    chosen = choose_fan_cells(done, fans)
    if chosen:
        frames = {
            _label(done.loc[done["cell"] == c].iloc[0]): pd.read_parquet(dataset_part(folder, c))
            for c in chosen
        }
        drawn.append(_save(sweep_plots.fans(frames), folder, "fans.png"))
    return drawn


def choose_fan_cells(done: pd.DataFrame, fans: Sequence[str] | None) -> list[int]:
    """Cells for the fan chart: the ones asked for, or the extremes and the middle.

    Without a choice, the lowest, middle and highest P(framework agreement) show the spread
    of where a rapprochement leads; a requested cell that matches nothing is left out.
    """
    if fans:
        return [
            int(done.loc[_matching(done, spec), "cell"].iloc[0])
            for spec in fans
            if _matching(done, spec).any()
        ]
    outcome = summary.PROBABILITIES[2]
    ordered = done.sort_values([outcome, "cell"], kind="stable")["cell"].tolist()
    picks = [ordered[0], ordered[len(ordered) // 2], ordered[-1]]
    return list(dict.fromkeys(picks))


def _save(figure: Any, folder: Path, name: str) -> str:
    """Save into ``figures/``; returns the name relative to the multirun folder."""
    save_figure(figure, folder / FIGURES / name, dpi=DPI)
    return str(Path(FIGURES) / name)


def _matching(done: pd.DataFrame, spec: str) -> pd.Series:
    """Cells that have every ``key=value`` pair of ``spec``; none when a key is not a column."""
    mask = pd.Series(True, index=done.index)
    for pair in filter(None, spec.split(",")):
        key, _, value = pair.partition("=")
        column = column_name(key.strip())
        if column not in done:
            return pd.Series(False, index=done.index)
        mask &= _equals(done[column], parse_number(value.strip()))
    return mask


def _equals(column: pd.Series, value: Any) -> pd.Series:
    """Cells whose value is ``value``: numerically when both are numbers (1 == 1.0)."""
    numbers = pd.to_numeric(column, errors="coerce")
    if isinstance(value, (int, float)) and numbers.notna().all():
        return pd.Series(np.isclose(numbers, value), index=column.index)
    return column.astype(str) == str(value)


def _label(row: pd.Series) -> str:
    """A fan's legend entry: the cell's challenge levels."""
    return ", ".join(f"{c} {row[c]:g}" for c in CHALLENGES if isinstance(row.get(c), (int, float)))
