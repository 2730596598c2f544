"""The validation figure: held-out observations against each origin's simulated band and the naive.

One column per origin, one row per series with a held-out or training target: the split
calibration's median and 5-95% band, the fitted naive baseline, the training observations
(grey) and the held-out ones (coloured by the model's pass), and the origin as a vertical line.
The caller computes the tables (hedgesim.analysis.bands) and saves the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from hedgesim.plots.targets import PANELS

HELD_COLOURS = {True: "tab:green", False: "tab:red"}


def validation_figure(
    bands: pd.DataFrame, points: pd.DataFrame, origins: Sequence[str], title: str = ""
) -> Figure:
    """Per origin and series: the model's band, the naive line and the observations.

    Args:
        bands: ``origin, source (model | naive), series, date, median, q05, q95``.
        points: ``origin, role (training | held_out), series, start, end, observed, tolerance,
            passed`` (the model's pass on held-out rows).
        origins: the origins, one column each, in this order.
        title: the figure's title.
    """
    names = [n for n in PANELS if n in set(points["series"])]
    fig, axes = plt.subplots(
        len(names),
        len(origins),
        figsize=(5.5 * len(origins), 2.3 * len(names) + 0.8),
        sharex=True,
        layout="constrained",
        squeeze=False,
    )
    for col, origin in enumerate(origins):
        for row, name in enumerate(names):
            ax = axes[row, col]
            here = (bands["origin"] == origin) & (bands["series"] == name)
            _model(ax, bands[here & (bands["source"] == "model")])
            _naive(ax, bands[here & (bands["source"] == "naive")])
            _points(ax, points[(points["origin"] == origin) & (points["series"] == name)])
            ax.axvline(pd.Timestamp(origin), color="black", lw=0.8, ls=":")
            if name.startswith("relations_"):
                ax.axhline(0, color="grey", lw=0.5)
            if col == 0:
                ax.set_ylabel(PANELS[name], fontsize=8)
        axes[0, col].set_title(f"origin {origin}", fontsize=9)
    _legend(fig, axes.ravel())
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _legend(fig: Figure, axes) -> None:
    """One legend for the figure: every kind of line or marker any panel drew, once."""
    seen: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    fig.legend(list(seen.values()), list(seen), loc="outside lower center", ncol=len(seen), fontsize=7)


def _model(ax, band: pd.DataFrame) -> None:
    ax.fill_between(band["date"], band["q05"], band["q95"], alpha=0.25, label="model 5-95%")
    ax.plot(band["date"], band["median"], lw=1.3, label="model median")


def _naive(ax, band: pd.DataFrame) -> None:
    ax.plot(band["date"], band["median"], lw=1.1, ls="--", color="tab:purple", label="fitted naive")


def _points(ax, points: pd.DataFrame) -> None:
    training = points[points["role"] == "training"]
    if not training.empty:
        ax.errorbar(
            training["start"],
            training["observed"],
            yerr=training["tolerance"],
            fmt="o",
            ms=3,
            color="grey",
            capsize=2,
            lw=0.8,
            label="training target",
        )
    held = points[points["role"] == "held_out"]
    for passed, group in held.groupby(held["passed"].astype(bool)):
        ax.errorbar(
            group["start"],
            group["observed"],
            yerr=group["tolerance"],
            fmt="s",
            ms=4,
            color=HELD_COLOURS[bool(passed)],
            capsize=3,
            lw=1,
            label=f"held out ({'model passes' if passed else 'model fails'})",
        )
    spans = points[points["end"] > points["start"]]
    for row in spans.itertuples():
        ax.hlines(row.observed, row.start, row.end, color="grey", lw=1.5)
