"""Sweep figures from DataFrames only: outcome heatmaps over the challenges, trajectory fans."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hedgesim.analysis.bands import monthly_bands

TITLES = {
    "trust": "mutual trust",
    "vested_interests": "vested interests",
    "tension": "tension",
}
FAN_SERIES = {"relations_eu": "EU relations (index)", "hedge_eu": "EU weight of the hedge"}


def heatmaps(
    table: pd.DataFrame,
    outcome: str,
    rows: str = "trust",
    columns: str = "vested_interests",
    panels: str = "tension",
) -> Figure | None:
    """One outcome over ``rows`` x ``columns``, one panel per level of ``panels``.

    Args:
        table: the sweep summary (one row per cell), complete cells only.
        outcome: a probability column, drawn on a fixed 0-1 colour scale so panels and
            figures compare at a glance.

    Returns:
        None when ``rows`` or ``columns`` takes a single value (nothing to map).
    """
    if any(table[key].nunique() < 2 for key in (rows, columns)):
        return None
    levels = sorted(table[panels].unique())
    fig, axes = plt.subplots(
        1, len(levels), figsize=(2.6 * len(levels) + 1.2, 3.2), layout="constrained", squeeze=False
    )
    image = None
    for ax, level in zip(axes[0], levels, strict=True):
        grid = table[table[panels] == level].pivot_table(index=rows, columns=columns, values=outcome)
        image = ax.imshow(grid.to_numpy(), origin="lower", vmin=0, vmax=1, cmap="viridis", aspect="auto")
        _annotate(ax, grid.to_numpy())
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.set_xlabel(TITLES.get(columns, columns))
        ax.set_title(f"{TITLES.get(panels, panels)} {level:g}", fontsize=10)
    axes[0][0].set_ylabel(TITLES.get(rows, rows))
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9, label="probability")
    fig.suptitle(outcome.replace("_", " "))
    return fig


def _annotate(ax, values: np.ndarray) -> None:
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value < 0.5 else "black",
            )


def fans(frames: dict[str, pd.DataFrame]) -> Figure:
    """Median and 10-90% band over replicates of EU relations and the EU hedge, per cell.

    Args:
        frames: label -> trajectories of one cell.
    """
    fig, axes = plt.subplots(len(FAN_SERIES), 1, figsize=(10, 6.5), sharex=True, layout="constrained")
    for label, frame in frames.items():
        bands = monthly_bands(frame, list(FAN_SERIES), 0.1, 0.9)
        for ax, column in zip(axes, FAN_SERIES, strict=True):
            band = bands[bands["series"] == column]
            line = ax.plot(band["date"], band["median"], lw=1.4, label=label)[0]
            ax.fill_between(band["date"], band["low"], band["high"], alpha=0.15, color=line.get_color())
    for ax, title in zip(axes, FAN_SERIES.values(), strict=True):
        ax.set_ylabel(title)
        ax.axvline(pd.Timestamp("2020-01-01"), color="grey", lw=0.7, ls="--")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_title("Trajectory fans: median and 10-90% of replicates (history to 2019, then projection)")
    axes[-1].set_xlabel("month")
    return fig


def sobol_bars(table: pd.DataFrame) -> Figure:
    """First-order and total Sobol indices with confidence intervals, one panel per outcome.

    Args:
        table: rows of (outcome, parameter, S1, S1_conf, ST, ST_conf), as
            ``hedgesim.workflows.sensitivity.sobol_table`` returns.
    """
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(
        1, len(outcomes), figsize=(3.6 * len(outcomes) + 0.8, 3.6), layout="constrained", squeeze=False
    )
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        rows = table[table["outcome"] == outcome]
        x = np.arange(len(rows))
        ax.bar(x - 0.2, rows["S1"], 0.4, yerr=rows["S1_conf"], capsize=3, label="first order S1")
        ax.bar(x + 0.2, rows["ST"], 0.4, yerr=rows["ST_conf"], capsize=3, label="total ST")
        ax.set_xticks(x, [p.split(".")[-1].replace("_", "\n") for p in rows["parameter"]], fontsize=8)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(outcome.replace("_", " "), fontsize=10)
    axes[0][0].set_ylabel("Sobol index (95% CI)")
    axes[0][0].legend(fontsize=8)
    return fig
