"""The run's figure: each relations index over time with the dated shocks (from DataFrames only).

The indices are drawn in points per two months, the unit the Belarus Foreign Policy Index
publishes, so the figure reads like the targets figure and the published issues. The shocks get
a strip of their own above the indices: one row per kind, each kind its own colour and marker,
the largest shocks named, so neither a legend nor a label covers the data.
"""

from __future__ import annotations

import bisect
import re
import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hedgesim.analysis.bands import bimonthly_bands
from hedgesim.core.vocabulary import DYADS, LABELS

RELATIONS = {f"relations_{d}": LABELS[d] for d in DYADS}
UNIT = "points per two months"
SHOCK_STYLES = {
    "war": ("#d62728", "X"),
    "election": ("#9467bd", "v"),
    "concession": ("#2ca02c", "^"),
    "oil_dispute": ("#8c564b", "s"),
    "gas_dispute": ("#e377c2", "D"),
    "autonomy_signal": ("#000080", "P"),
    "institutional": ("#7f7f7f", "o"),
    "venue": ("#bcbd22", "*"),
    "diplomatic": ("#17becf", "h"),
    "npp": ("#ff7f0e", "p"),
    "npp_start": ("#000000", "8"),
    "crackdown": ("#4b0082", "1"),
    "coercion": ("#b22222", "d"),
    "eap_suspension": ("#556b2f", "H"),
    "territory_used": ("#800000", "<"),
}
"""Colour and marker of each shock kind (hedgesim.core.shocks.KINDS): no two kinds alike."""
OTHER_STYLE = ("#555555", ".")
MAJOR = 1.0
"""Shocks of at least this size (the "high" magnitude of the events table) are named."""
NAME_WIDTH = 46
MIN_NAME = 12
NAME_SIZE = 7
NAME_PAD = 6
CHAR_WIDTH = 0.5
"""Width of an average character of the names, in font sizes (a safe bound for the default font)."""
CLUSTER_DAYS = 183


def relations_figure(trajectories: pd.DataFrame, shocks: pd.DataFrame | None = None) -> Figure:
    """Each relations index over time, median and 5-95% band; the dated shocks above them.

    Args:
        trajectories: the tidy table (``date``, ``replicate``, ``relations_*``), monthly.
        shocks: optional table of dated shocks: ``date`` and ``kind``; ``end``, ``size`` and
            ``label`` (or ``id``) when known, to draw durations and name the largest.
    """
    has_shocks = shocks is not None and not shocks.empty
    kinds = _kinds(shocks) if has_shocks else []
    strip = 0.3 * len(kinds) + 0.5 if kinds else 0.0
    heights = ([strip] if kinds else []) + [2.0] * len(RELATIONS)
    fig, axes = plt.subplots(
        len(heights),
        1,
        figsize=(11, sum(heights) + 1.0),
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": heights},
    )
    panels = axes[1:] if kinds else axes
    bands = bimonthly_bands(trajectories, list(RELATIONS))
    for ax, (column, name) in zip(panels, RELATIONS.items(), strict=True):
        _draw_band(ax, bands[bands["series"] == column])
        ax.set_ylabel(f"{name}\n({UNIT})", fontsize=9)
        if has_shocks:
            _mark_shocks(ax, shocks)
    if kinds:
        _shock_strip(axes[0], shocks, kinds)
    replicates = trajectories["replicate"].nunique()
    fig.suptitle(
        f"Relations with Belarus, {replicates} replicates: event-analysis index in {UNIT} "
        "(the unit of the Belarus Foreign Policy Index)",
        fontsize=11,
        x=0.01,
        ha="left",
    )
    fig.legend(
        handles=[
            Line2D([], [], color="tab:blue", lw=1.6, label="median of replicates"),
            plt.Rectangle((0, 0), 1, 1, color="tab:blue", alpha=0.25, label="5-95% of replicates"),
        ],
        loc="outside lower right",
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    panels[-1].set_xlabel("date (each value is the sum over a two-month period: Jan-Feb, Mar-Apr, ...)")
    return fig


def _draw_band(ax, band: pd.DataFrame) -> None:
    """Median and band as steps: each value covers its two months, so shocks line up with them."""
    dates = list(band["date"]) + [band["date"].iloc[-1] + pd.DateOffset(months=2)]

    def extend(column: str) -> list[float]:
        return [*band[column], band[column].iloc[-1]]

    ax.fill_between(dates, extend("low"), extend("high"), step="post", alpha=0.25, color="tab:blue", lw=0)
    ax.step(dates, extend("median"), where="post", lw=1.4, color="tab:blue")
    ax.axhline(0, color="grey", lw=0.6)


def _kinds(shocks: pd.DataFrame) -> list[str]:
    """Kinds present, in the fixed order of the styles (unknown kinds last)."""
    present = list(dict.fromkeys(shocks["kind"]))
    return [k for k in SHOCK_STYLES if k in present] + [k for k in present if k not in SHOCK_STYLES]


def _style(kind: str) -> tuple[str, str]:
    return SHOCK_STYLES.get(kind, OTHER_STYLE)


def _mark_shocks(ax, shocks: pd.DataFrame) -> None:
    """A thin line per shock in its kind's colour, the named (largest) ones stronger: one
    collection per kind and strength, so a timeline of thousands of shocks draws in seconds."""
    sizes = shocks["size"].astype(float) if "size" in shocks else pd.Series(0.0, index=shocks.index)
    major = sizes >= MAJOR  # as _is_major, for the whole table
    for (kind, strong), group in shocks.groupby([shocks["kind"], major], sort=False):
        xs = mdates.date2num(pd.to_datetime(group["date"]))
        lines = LineCollection(
            [[(x, 0.0), (x, 1.0)] for x in xs],
            transform=ax.get_xaxis_transform(),  # across the whole panel, as axvline
            colors=_style(kind)[0],
            linewidths=1.0 if strong else 0.6,
            linestyles="-" if strong else "--",
            alpha=0.7 if strong else 0.4,
            zorder=0,
        )
        ax.add_collection(lines, autolim=False)


def _shock_strip(ax, shocks: pd.DataFrame, kinds: list[str]) -> None:
    """One row per kind: a marker per shock (area by size, hollow at size 0), a bar for its
    duration, the largest shocks named beside their marker."""
    rows = {kind: len(kinds) - 1 - i for i, kind in enumerate(kinds)}
    for kind, group in shocks.sort_values("date").groupby("kind", sort=False):
        _strip_row(ax, group, rows[kind], *_style(kind))
    _name_largest(ax, shocks, rows)
    ax.set_yticks(list(rows.values()), [k.replace("_", " ") for k in rows], fontsize=8)
    for label, kind in zip(ax.get_yticklabels(), rows, strict=True):
        label.set_color(_style(kind)[0])
    ax.set_ylim(-0.7, len(kinds) - 0.3)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", color="0.92", lw=0.8)
    ax.set_title(
        "Dated shocks by kind (marker area: size; hollow: size 0; bar: duration; the largest named)",
        fontsize=8,
        loc="left",
    )


def _strip_row(ax, group: pd.DataFrame, y: int, colour: str, marker: str) -> None:
    """One kind's row of the strip: a bar for each shock that lasts, a marker for every one
    (one scatter for the filled, one for the hollow: a call per shock took minutes for thousands)."""
    starts = pd.to_datetime(group["date"])
    ends = pd.to_datetime(group["end"].fillna(group["date"])) if "end" in group else starts
    for start, end in zip(starts, ends, strict=True):
        if end > start + pd.DateOffset(days=31):
            ax.plot([start, end], [y, y], color=colour, lw=3, alpha=0.6, solid_capstyle="butt")
    sizes = group["size"].astype(float) if "size" in group else pd.Series(0.5, index=group.index)
    for hollow in (False, True):
        chosen = (sizes <= 0) == hollow
        if chosen.any():
            ax.scatter(
                starts[chosen.to_numpy()],
                [y] * int(chosen.sum()),
                s=25 + 60 * sizes[chosen].clip(lower=0.0),
                marker=marker,
                facecolors="none" if hollow else colour,
                edgecolors=colour,
                linewidths=1.0,
                zorder=3,
            )


def _name_largest(ax, shocks: pd.DataFrame, rows: dict[str, int]) -> None:
    """Name each cluster of large shocks beside it, on the side with more room in its row, cut
    to fit before the neighbouring shock of the same kind (the strip shares the panels' dates)."""
    low, high = ax.get_xlim()
    width = ax.get_position().width * ax.figure.get_figwidth() * 72  # points
    per_day = width / (high - low)
    for kind, group in shocks.groupby("kind", sort=False):
        dates = sorted(mdates.date2num(pd.to_datetime(group["date"])))
        done_until = -float("inf")
        for row in group.sort_values("date").itertuples():
            start = mdates.date2num(pd.Timestamp(row.date))
            if not _is_major(row) or start <= done_until:
                continue
            last = dates[bisect.bisect_right(dates, start + CLUSTER_DAYS) - 1]  # Crimea, then Donbas
            done_until = last
            later = bisect.bisect_right(dates, last)
            after = (dates[later] if later < len(dates) else high) - last
            earlier = bisect.bisect_left(dates, start)
            before = start - (dates[earlier - 1] if earlier else low)
            fits = [
                int((room * per_day - 2 * NAME_PAD) / (CHAR_WIDTH * NAME_SIZE)) for room in (after, before)
            ]
            right = fits[0] >= len(_short_name(row)) or fits[0] >= fits[1]  # after it, when it fits
            name = _short_name(row, fits[0] if right else fits[1])
            if name:
                ax.annotate(
                    name,
                    (last if right else start, rows[kind]),
                    xytext=(NAME_PAD if right else -NAME_PAD, 0),
                    textcoords="offset points",
                    ha="left" if right else "right",
                    va="center",
                    fontsize=NAME_SIZE,
                    color=_style(kind)[0],
                    parse_math=False,  # a label of the user's own, "$" and all, is text
                )


def _is_major(row) -> bool:
    return float(getattr(row, "size", 0.0)) >= MAJOR


def _short_name(row, width: int = NAME_WIDTH) -> str:
    """The shock's label without a leading article or a parenthesis, on at most two lines of
    ``width`` characters (empty when too little of it would be left to read)."""
    text = str(getattr(row, "label", "") or getattr(row, "id", ""))
    text = re.sub(r"\s*\([^)]*\)", "", text)
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    width = min(width, NAME_WIDTH)
    if width < MIN_NAME:
        return ""
    return "\n".join(textwrap.wrap(text, width, max_lines=2, placeholder="..."))
