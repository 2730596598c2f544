"""The page's charts over time: relations, the hedge, sanctions and tension; and the list of all.

Each is a LiveChart (see ``figure``): its frame drawn once, the month's lines and bands blitted.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np

from hedgesim.app.figure import FONT_PT, WIDTH_IN, LegendEntry, LiveChart, month_of
from hedgesim.app.network import NetworkChart
from hedgesim.app.observed import observed_for
from hedgesim.app.session import COMMITMENT, HARD_FLOOR, EnsembleHistory, EnsembleRun
from hedgesim.core.vocabulary import PARTNERS

__all__ = ["CHARTS", "LegendEntry", "month_of"]

PARTNER_COLOURS = {"eu": "#1f4e9c", "russia": "#c0392b", "ukraine": "#e0b000", "other": "#8c8c8c"}
PARTNER_LABELS = {"eu": "EU", "russia": "Russia", "ukraine": "Ukraine", "other": "outside partners"}
RELATION_ROWS = (
    ("EU", ("eu",)),
    ("Russia", ("russia",)),
    ("Ukraine,\nLithuania", ("ukraine", "lithuania")),
)
LINE_COLOURS = {"eu": "#1f4e9c", "russia": "#c0392b", "ukraine": "#d09a00", "lithuania": "#2e8b57"}
SIGN_COLOUR = "#2e8b57"
SIGN_ALPHA = 0.12
SANCTIONS_COLOUR, TENSION_COLOUR = "#6a3d9a", "#d35400"
SANCTIONS_MAX = 300.0


class TimeChart(LiveChart):
    """Rows of time axes over the whole run, one column per scenario, a marker at the month."""

    rows = 1
    height = 3.2

    def __init__(self, runs: Sequence[EnsembleRun]):
        self.columns = len(runs)
        super().__init__(runs, WIDTH_IN, self.height)

    def _axes(self) -> np.ndarray:
        axes = self.figure.subplots(self.rows, self.columns, squeeze=False, sharex=True, sharey="row")
        x = mdates.date2num(self.runs[0].history.dates)
        self.x = x
        self.markers = []
        years = 4 if self.columns == 1 else 8
        for ax in axes.ravel():
            ax.set_xlim(x[0], x[-1])
            ax.xaxis.set_major_locator(mdates.YearLocator(years))
            ax.xaxis.set_minor_locator(mdates.YearLocator(1))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            ax.tick_params(labelsize=FONT_PT)
            ax.grid(alpha=0.25)
            ax.set_autoscale_on(False)
            self.markers.append(ax.axvline(x[0], color="black", lw=1.0, alpha=0.6, animated=True))
        return axes

    def _marker_updates(self) -> list:
        step = max(self.runs[0].history.steps - 1, 0)
        for marker in self.markers:
            marker.set_xdata([self.x[step], self.x[step]])
        return list(self.markers)

    def _band_updates(self) -> list:
        """Month marker plus every (median line, band) in ``self.series``, redrawn."""
        artists = self._marker_updates()
        for entry in self.series:
            ax, history, name, colour, line, fill = entry
            entry[5] = self._band(ax, history, name, colour, line, fill)
            artists += [entry[5], line]
        return artists

    def _band(self, ax, history: EnsembleHistory, name: str, colour: str, line, old_fill):
        """Set a median line and redraw its 10-90% band; returns the new band."""
        n = history.steps
        median, low, high = history.band[name][:n].T
        line.set_data(self.x[:n], median)
        if old_fill is not None:
            old_fill.remove()
        self._fit(ax, np.concatenate([low, high]))
        return ax.fill_between(self.x[:n], low, high, color=colour, alpha=0.18, lw=0, animated=True)


class RelationsChart(TimeChart):
    """Relations indices (two-month sums): median and 10-90% band, observed points overlaid."""

    rows = len(RELATION_ROWS)
    height = 5.6
    title = "Relations with Belarus: index points per two months"
    caption = (
        "Lines: the median of the replicates; shaded: where 80% of them lie (10-90%). "
        "The index sums two months of events, in the units of the Belarus Foreign Policy Index (BISS)."
    )

    def _build(self) -> None:
        axes = self._axes()
        self.series = []  # (ax, history, name, colour, line, fill)
        for col, run in enumerate(self.runs):
            for row, (name, dyads) in enumerate(RELATION_ROWS):
                ax = axes[row, col]
                ax.set_ylim(-20, 40)
                for d in dyads:
                    (line,) = ax.plot([], [], color=LINE_COLOURS[d], lw=2.0, animated=True)
                    self.series.append([ax, run.history, f"relations2_{d}", LINE_COLOURS[d], line, None])
                    if d in ("eu", "russia"):
                        _observed(ax, f"relations_{d}")
                ax.axhline(0, color="grey", lw=0.8)
                if col == 0:
                    ax.set_ylabel(name, fontsize=FONT_PT)
            self._panel_title(axes[0, col], run.title)

    _update = TimeChart._band_updates

    def legend(self) -> list[LegendEntry]:
        lines = [LegendEntry(d.title() if d != "eu" else "EU", LINE_COLOURS[d]) for d in LINE_COLOURS]
        return [
            *lines,
            LegendEntry("observed (BISS index)", "#000000", "diamond"),
            LegendEntry(
                "observed: EU index stayed above zero (2012-09 to 2019-12, no value given)",
                SIGN_COLOUR,
                "band",
            ),
        ]


class HedgeChart(TimeChart):
    """Belarus's hedge: mean engagement weights over partners, stacked, with Russia's floor."""

    title = "Belarus's hedge: share of engagement by partner (mean of the replicates)"
    caption = "The shares add up to 1. " + (
        "The dashed line is the floor the alliance commitment puts under the Russia share; it "
        "rises steeply once tension passes the neutrality threshold."
        if HARD_FLOOR
        else "The dashed line is the Russia share the alliance commitment asks for; below it "
        "Belarus pays a cost, which rises steeply once tension passes the neutrality threshold."
    )

    def _build(self) -> None:
        axes = self._axes()
        self.panels = []
        for col, run in enumerate(self.runs):
            ax = axes[0, col]
            ax.set_ylim(0, 1)
            (floor,) = ax.plot([], [], color="black", ls="--", lw=1.6, animated=True)
            self.panels.append([ax, run.history, floor, []])
            self._panel_title(ax, run.title)
            if col == 0:
                ax.set_ylabel("share", fontsize=FONT_PT)

    def _update(self) -> list:
        artists = self._marker_updates()
        for panel in self.panels:
            ax, h, floor, old = panel
            for poly in old:
                poly.remove()
            n = h.steps
            weights = [h.mean[f"hedge_{p}"][:n] for p in PARTNERS]
            panel[3] = ax.stackplot(
                self.x[:n], weights, colors=[PARTNER_COLOURS[p] for p in PARTNERS], alpha=0.85, animated=True
            )
            floor.set_data(self.x[:n], h.band[COMMITMENT][:n, 0])
            artists += [*panel[3], floor]
        return artists

    def legend(self) -> list[LegendEntry]:
        shares = [LegendEntry(PARTNER_LABELS[p], PARTNER_COLOURS[p], "area") for p in PARTNERS]
        commitment = "Russia floor (alliance commitment)" if HARD_FLOOR else "alliance commitment to Russia"
        return [*shares, LegendEntry(commitment, "#000000", "dashed")]


class PressureChart(TimeChart):
    """EU sanctions (persons listed) and Russia-West tension, median and 10-90% band."""

    title = "Sanctions and tension"
    caption = "Lines: the median of the replicates; shaded: where 80% of them lie (10-90%)."

    def _build(self) -> None:
        axes = self._axes()
        self.series = []
        for col, run in enumerate(self.runs):
            ax = axes[0, col]
            ax.set_ylim(0, SANCTIONS_MAX)
            right = ax.twinx()
            right.set_ylim(0, 1.04)  # a tension of 1 stays visible above the frame's edge
            right.set_autoscale_on(False)
            right.tick_params(labelright=col == self.columns - 1, labelsize=FONT_PT)
            for axis, name, colour in (
                (ax, "sanctions_persons", SANCTIONS_COLOUR),
                (right, "tension", TENSION_COLOUR),
            ):
                (line,) = axis.plot([], [], color=colour, lw=2.0, animated=True)
                self.series.append([axis, run.history, name, colour, line, None])
            self._panel_title(ax, run.title)
            if col == 0:
                ax.set_ylabel("persons", color=SANCTIONS_COLOUR, fontsize=FONT_PT)
            if col == self.columns - 1:
                right.set_ylabel("tension", color=TENSION_COLOUR, fontsize=FONT_PT)

    _update = TimeChart._band_updates

    def legend(self) -> list[LegendEntry]:
        return [
            LegendEntry("persons under EU sanctions (left axis)", SANCTIONS_COLOUR),
            LegendEntry("Russia-West tension, 0 to 1 (right axis)", TENSION_COLOUR),
        ]


CHARTS = {
    "relations": RelationsChart,
    "hedge": HedgeChart,
    "network": NetworkChart,
    "pressure": PressureChart,
}


def _observed(ax, series: str) -> None:
    """The observed two-month index: levels as black diamonds, signs as a shaded zone."""
    for point in observed_for(series):
        start, end = mdates.date2num([point.start.to_date(), point.end.to_date()])
        if point.kind == "sign":  # through the end month: to the first day of the next one
            ax.axvspan(
                start, mdates.date2num((point.end + 1).to_date()), color=SIGN_COLOUR, alpha=SIGN_ALPHA, lw=0
            )
            continue
        ax.errorbar(
            [end],
            [point.value],
            xerr=[[end - start], [0]],
            fmt="D",
            color="black",
            ms=7,
            capsize=0,
            lw=1.2,
            zorder=5,
        )
