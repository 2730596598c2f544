"""Figures from DataFrames only: no model, no files (the caller saves them)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from hedgesim.analysis.bands import monthly_bands
from hedgesim.core.vocabulary import DYADS, LABELS

RELATIONS = {f"relations_{d}": LABELS[d] for d in DYADS}
SHOCK_COLOURS = {
    "war": "tab:red",
    "election": "tab:purple",
    "concession": "tab:green",
    "oil_dispute": "tab:brown",
    "gas_dispute": "tab:brown",
    "npp": "tab:orange",
    "npp_start": "tab:orange",
}


def relations_figure(trajectories: pd.DataFrame, shocks: pd.DataFrame | None = None) -> Figure:
    """Each relations index over time: median and 5-95% band, dated shocks marked.

    Args:
        trajectories: the tidy table (``date``, ``replicate``, ``relations_*``).
        shocks: optional table with ``date``, ``kind`` and ``label`` of dated shocks.
    """
    fig, axes = plt.subplots(len(RELATIONS), 1, figsize=(10, 10), sharex=True, layout="constrained")
    replicates = trajectories["replicate"].nunique()
    bands = monthly_bands(trajectories, list(RELATIONS))
    for ax, (column, name) in zip(axes, RELATIONS.items(), strict=True):
        band = bands[bands["series"] == column]
        ax.fill_between(band["date"], band["low"], band["high"], alpha=0.25, label="5-95% of replicates")
        ax.plot(band["date"], band["median"], lw=1.6, label="median")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_ylabel(f"{name}\n(points/month)")
        _mark_shocks(ax, shocks)
    axes[0].legend(loc="upper left", fontsize=8)
    _shock_legend(axes[-1], shocks)
    axes[0].set_title(f"Relations with Belarus: event-analysis index, {replicates} replicates")
    axes[-1].set_xlabel("month")
    return fig


def _shock_legend(ax, shocks: pd.DataFrame | None) -> None:
    if shocks is None or shocks.empty:
        return
    kinds = list(dict.fromkeys(shocks["kind"]))
    handles = [
        plt.Line2D([], [], color=SHOCK_COLOURS.get(k, "tab:grey"), ls="--", lw=1, label=k.replace("_", " "))
        for k in kinds
    ]
    ax.legend(
        handles=handles,
        title="dated shocks",
        loc="upper left",
        fontsize=7,
        title_fontsize=7,
        ncol=min(len(handles), 6),
    )


def _mark_shocks(ax, shocks: pd.DataFrame | None) -> None:
    if shocks is None or shocks.empty:
        return
    for row in shocks.itertuples():
        colour = SHOCK_COLOURS.get(row.kind, "tab:grey")
        ax.axvline(pd.Timestamp(row.date), color=colour, lw=0.7, ls="--", alpha=0.6)
