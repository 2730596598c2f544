"""The targets figure: each simulated band against the observed points (from DataFrames only).

The caller computes the tables (hedgesim.analysis.bands.series_bands and observed_points) and saves
the figure; nothing here runs the model or touches files.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

PANELS = {
    "relations_eu": "EU relations\n(index, points per two months)",
    "relations_russia": "Russia relations\n(index, points per two months)",
    "relations_ukraine": "Ukraine relations\n(index, points per two months)",
    "relations_lithuania": "Lithuania relations\n(index, points per two months)",
    "sanctions_persons": "EU sanctions\n(persons listed)",
    "trade_eu_turnover": "Trade with the EU\n(turnover, USD bn per year)",
    "hedge_russia": "Russia weight of the hedge\n(observed: share of trade)",
    "hedge_eu": "EU weight of the hedge\n(observed: share of trade)",
    "hedge_ukraine": "Ukraine weight of the hedge\n(observed: share of trade)",
}
PASS_COLOURS = {True: "tab:green", False: "tab:red", None: "black"}


def targets_figure(bands: pd.DataFrame, points: pd.DataFrame, title: str = "") -> Figure:
    """One panel per series: simulated median and 5-95% band, observed values with tolerance.

    Args:
        bands: ``series, date, median, q05, q95`` (hedgesim.analysis.bands.series_bands).
        points: ``series, start, end, observed, tolerance, passed`` (analysis.bands.observed_points).
        title: the figure's title.
    """
    names = [n for n in PANELS if n in set(bands["series"])]
    fig, axes = plt.subplots(
        len(names), 1, figsize=(10, 2.3 * len(names) + 0.6), sharex=True, layout="constrained", squeeze=False
    )
    for ax, name in zip(axes[:, 0], names, strict=True):
        _band(ax, bands[bands["series"] == name])
        _points(ax, points[points["series"] == name])
        ax.set_ylabel(PANELS[name], fontsize=8)
        if name.startswith("relations_"):
            ax.axhline(0, color="grey", lw=0.6)
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=3)
    axes[-1, 0].set_xlabel("date")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _band(ax, band: pd.DataFrame) -> None:
    ax.fill_between(band["date"], band["q05"], band["q95"], alpha=0.25, step=None, label="simulated 5-95%")
    ax.plot(band["date"], band["median"], lw=1.4, label="simulated median")


def _points(ax, points: pd.DataFrame) -> None:
    for passed, group in points.groupby(points["passed"].astype(object), dropna=False):
        colour = PASS_COLOURS.get(passed if isinstance(passed, bool) else None, "black")
        label = {True: "observed (target passes)", False: "observed (target fails)"}.get(passed, "observed")
        ax.errorbar(
            group["start"],
            group["observed"],
            yerr=group["tolerance"],
            fmt="o",
            ms=4,
            color=colour,
            capsize=3,
            lw=1,
            label=label,
        )
        spans = group[group["end"] > group["start"]]
        for row in spans.itertuples():
            ax.hlines(row.observed, row.start, row.end, color=colour, lw=2)
