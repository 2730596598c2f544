"""Sweep figures from DataFrames only: outcome heatmaps over the challenges, trajectory fans."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hedgesim.analysis import outcomes
from hedgesim.analysis.bands import bimonthly_bands, monthly_bands

TITLES = {
    "trust": "mutual trust",
    "vested_interests": "vested interests",
    "tension": "tension",
}
RELATIONS_UNIT = "points per two months"
FAN_SERIES = {
    "relations_eu": f"EU relations\n(index, {RELATIONS_UNIT})",
    "hedge_eu": "EU weight of the hedge\n(share, monthly)",
}
NOT_RUN = {"failed": "failed", "missing": "not run"}
LABELLED = 12
"""Squares a side up to which each square is labelled with its share and each value ticked: more
would overlap into a smear (a 51 x 51 grid's 2,601 labels), so a larger grid is read by colour,
at most this many ticks an axis, evenly spaced."""
PROJECTION_FROM = pd.Timestamp("2020-01-01")
"""Where forward_2030's runs leave the history (its branch): the fans' dashed line by default."""

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def heatmaps(
    table: pd.DataFrame,
    outcome: str,
    rows: str = "trust",
    columns: str = "vested_interests",
    panels: str | None = "tension",
    end: str | None = None,
) -> Figure | None:
    """One outcome over ``rows`` x ``columns``, one panel per level of ``panels``.

    Args:
        table: the sweep summary, one row per planned cell (its ``status``; a cell that failed
            or never ran is drawn as a grey square saying so). Each square must be one cell.
        outcome: a probability column, drawn on a fixed 0-1 colour scale so panels and
            figures compare at a glance.
        panels: the key with one panel per value; None for a single panel.
        end: the runs' last month (``scenario.end``, ``YYYY-MM``), which the title names when
            the outcome's horizon lies past it; None when not known.

    Returns:
        None when ``rows`` or ``columns`` takes a single value (nothing to map).
    """
    if any(table[key].nunique() < 2 for key in (rows, columns)):
        return None
    return HeatmapFigure(table, rows, columns, panels, end).show(outcome)


class HeatmapFigure:
    """A sweep's heatmaps on one figure, shown for one outcome and then for the next: the squares,
    axes and colour bar stay, only the colours, the squares' labels and the title change.
    Building and laying out a figure is most of the time one takes, and a sweep draws four.

    Args: as :func:`heatmaps` (``rows`` and ``columns`` each take two values or more).
    """

    def __init__(
        self, table: pd.DataFrame, rows: str, columns: str, panels: str | None, end: str | None = None
    ):
        import matplotlib.pyplot as plt  # here: a sweep's driver reads the helpers below, draws nothing

        self.table, self.rows, self.columns, self.end = table, rows, columns, end
        levels = sorted(table[panels].dropna().unique()) if panels else [None]
        self.figure, axes = plt.subplots(
            1, len(levels), figsize=(2.9 * len(levels) + 1.6, 3.6), layout="constrained", squeeze=False
        )
        cmap = plt.get_cmap("viridis").with_extremes(bad="0.88")
        self.panels = []
        for ax, level in zip(axes[0], levels, strict=True):
            cells = table if level is None else table[table[panels] == level]
            index, header = _levels(table, rows), _levels(table, columns)
            shape = (len(index), len(header))
            image = ax.imshow(np.zeros(shape), origin="lower", vmin=0, vmax=1, cmap=cmap, aspect="auto")
            labelled = max(shape) <= LABELLED
            labels = np.array(
                [
                    [
                        ax.text(j, i, "", ha="center", va="center", fontsize=8) if labelled else None
                        for j in range(shape[1])
                    ]
                    for i in range(shape[0])
                ],
                dtype=object,
            )
            ax.set_xticks(*_ticks(header))
            ax.set_yticks(*_ticks(index))
            ax.set_xlabel(TITLES.get(columns, columns))
            ax.set_title(_panel_title(table, panels, level, rows, columns), fontsize=9)
            self.panels.append((cells, image, labels))
        axes[0][0].set_ylabel(TITLES.get(rows, rows))
        self.figure.colorbar(image, ax=axes[0].tolist(), shrink=0.9, label="share of replicates")

    def show(self, outcome: str) -> Figure:
        """The figure with ``outcome``'s shares (the same figure each time)."""
        for cells, image, labels in self.panels:
            grid, status = _grid(cells, self.table, outcome, self.rows, self.columns)
            values, states = grid.to_numpy(float), status.to_numpy(object)
            image.set_data(values)
            for (i, j), value in np.ndenumerate(values):
                if labels[i, j] is None:  # a grid too large to label (LABELLED)
                    continue
                text, colour = _square_label(value, states[i, j])
                labels[i, j].set_text(text)
                labels[i, j].set_color(colour)
        self.figure.suptitle(heatmap_title(self.table, outcome, self.end), fontsize=10)
        return self.figure


def heatmap_title(table: pd.DataFrame, outcome: str, end: str | None = None) -> str:
    """The outcome in words, read when the runs ended (``end``), and how many replicates each
    square is a share of."""
    words, note = outcome_words(outcome, end)
    details = "; ".join(filter(None, [note, f"{replicate_count(table)} per cell"]))
    return f"{words[:1].upper()}{words[1:]}\n({details})"


def outcome_words(outcome: str, end: str | None = None) -> tuple[str, str]:
    """The outcome in words as the runs could read it, and a note saying why when it differs.

    An outcome's name carries its horizon (``p_framework_by_2030``), but runs that end earlier
    (``scenario.end=2019-12``) read it at their last month: the words name that month, so a
    figure never claims a year its runs did not reach.
    """
    h = outcomes.DEFAULT
    words = h.names().get(outcome, outcome.replace("_", " "))
    if end is None:
        return words, ""
    past = [month for month in re.findall(r"by (\d{4}-\d{2})", words) if end < month]
    for month in past:
        words = words.replace(f"by {month}", f"by {end}")
    if past:
        return words, f"the runs end at {end}, before {past[0]}"
    if outcome == "p_collapse" and end < f"{h.collapse_after + 1}-01":
        return words, f"none can: the runs end at {end}"
    return words, ""


def replicate_count(table: pd.DataFrame) -> str:
    """``200 replicates``, or the range when cells differ (complete cells only)."""
    done = table[table["status"] == "complete"] if "status" in table else table
    counts = pd.to_numeric(done["replicates"], errors="coerce").dropna().astype(int)
    if counts.empty:
        return "no complete cell"
    low, high = counts.min(), counts.max()
    return f"{low} replicates" if low == high else f"{low}-{high} replicates"


def _grid(
    cells: pd.DataFrame, table: pd.DataFrame, outcome: str, rows: str, columns: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The panel's values and each square's status, on the levels of the whole sweep."""
    index, header = _levels(table, rows), _levels(table, columns)
    keyed = cells.set_index([rows, columns])
    values = keyed[outcome].unstack().reindex(index=index, columns=header)
    status = keyed["status"].unstack().reindex(index=index, columns=header) if "status" in keyed else None
    if status is None:
        status = values.notna().map(lambda ok: "complete" if ok else None)
    return values, status


def _levels(table: pd.DataFrame, key: str) -> list:
    """The values ``key`` takes in the sweep, in order: a panel's rows or columns."""
    return sorted(table[key].dropna().unique())


def _ticks(levels: list) -> tuple[range, list[str]]:
    """Where an axis's ticks go and their labels: every level, or every k-th of a long axis."""
    step = -(-len(levels) // LABELLED)
    where = range(0, len(levels), step)
    return where, [_number(levels[k]) for k in where]


def _panel_title(table: pd.DataFrame, panels: str | None, level, rows: str, columns: str) -> str:
    """The panel's level, or (one panel) the values every other challenge is held at."""
    if panels is not None:
        return f"{TITLES.get(panels, panels)} {_number(level)}"
    held = [
        f"{TITLES[c]} {_number(table[c].dropna().iloc[0])}"
        for c in TITLES
        if c not in (rows, columns) and c in table and table[c].nunique() == 1
    ]
    return ", ".join(held)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)


def _square_label(value: float, status: object) -> tuple[str, str]:
    """A square's share, or why it has none (failed, not run), and its colour."""
    if np.isfinite(value):
        return f"{value:.2f}", "white" if value < 0.5 else "black"
    if status in NOT_RUN:
        return NOT_RUN[status], "0.3"
    return "", "black"


def fans(frames: dict[str, pd.DataFrame], branches: Sequence[pd.Timestamp] = (PROJECTION_FROM,)) -> Figure:
    """Median and 10-90% band over replicates of EU relations and the EU hedge, per cell.

    EU relations are two-month sums, the unit of the Belarus Foreign Policy Index (and of the
    run's relations figure); the hedge weight is monthly.

    Args:
        frames: label -> trajectories of one cell.
        branches: the cells' branch months (``scenario.branch``), where the challenges start to
            apply: a dashed line at each the runs reach; none for runs without a branch.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(FAN_SERIES), 1, figsize=(10, 6.8), sharex=True, layout="constrained")
    handles = []
    for label, frame in frames.items():
        bands = pd.concat(
            [
                bimonthly_bands(frame, ["relations_eu"], 0.1, 0.9),
                monthly_bands(frame, ["hedge_eu"], 0.1, 0.9),
            ]
        )
        for ax, column in zip(axes, FAN_SERIES, strict=True):
            band = bands[bands["series"] == column]
            line = ax.plot(band["date"], band["median"], lw=1.4, label=label)[0]
            ax.fill_between(band["date"], band["low"], band["high"], alpha=0.15, color=line.get_color())
        handles.append(line)
    dates = [frame["date"] for frame in frames.values()]
    shown, span = branch_lines(branches, min(d.min() for d in dates), max(d.max() for d in dates))
    for ax, title in zip(axes, FAN_SERIES.values(), strict=True):
        ax.set_ylabel(title, fontsize=9)
        for branch in shown:
            ax.axvline(branch, color="grey", lw=0.7, ls="--")
    axes[0].axhline(0, color="grey", lw=0.6)
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3), fontsize=8)
    fig.suptitle(f"Trajectory fans: median and 10-90% of replicates per cell ({span})", fontsize=10)
    axes[-1].set_xlabel("date")
    return fig


def branch_lines(
    branches: Sequence[pd.Timestamp], first: pd.Timestamp, last: pd.Timestamp
) -> tuple[list[pd.Timestamp], str]:
    """The branches the runs reach (the fans' dashed lines) and the span the title names."""
    shown = sorted({pd.Timestamp(b) for b in branches if pd.Timestamp(b) <= last})
    if not shown:
        if not branches:
            return [], "runs without a branch (scenario.branch): no projection"
        return [], f"runs ending before {min(map(pd.Timestamp, branches)):%Y-%m}: no projection"
    months = " or ".join(f"{b:%Y-%m}" for b in shown)
    if shown[0] <= first:
        return shown, f"projection from {months}, the branch: no history before it"
    return shown, f"history to {shown[0] - pd.DateOffset(months=1):%Y-%m}, then projection from {months}"


def sobol_bars(table: pd.DataFrame) -> Figure:
    """First-order and total Sobol indices with confidence intervals, one panel per outcome.

    Args:
        table: rows of (outcome, parameter, S1, S1_conf, ST, ST_conf), as
            ``hedgesim.workflows.sensitivity.sobol_table`` returns.
    """
    import matplotlib.pyplot as plt

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
