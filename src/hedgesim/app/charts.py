"""The page's figures, drawn with matplotlib from the ensembles' running summaries.

Redrawing whole figures every month costs far more than the model step (text and axes are most
of it), so each chart draws its frame once (axes, ticks, labels, observed points) and, each
month, only the artists that move (lines, bands, the month marker, the trust arrows), blitted
over a saved copy of the frame, then encoded as PNG. The frame is drawn again only when the data
outgrow the axes. Figures are built with ``matplotlib.figure.Figure`` and an Agg canvas, never
pyplot: the page draws from server threads, and pyplot's global state is not thread-safe.

The charts are made for a projector: drawn at 96 dots per inch, the browser's own pixel, with no
text under 12 pt, and shown at their natural size (never shrunk) on a 1280-pixel-wide screen.
Each chart's title, legend and caption are text of the page, not of the image (see ``heading``,
``legend`` and ``caption``), so they never clip and stay readable at any zoom.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch
from PIL import Image

from hedgesim.app.observed import observed_for
from hedgesim.app.session import COMMITMENT, HARD_FLOOR, EnsembleHistory, EnsembleRun
from hedgesim.core.vocabulary import PARTNERS

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
NODES = {
    "Belarus": (0.0, 0.0),
    "EU": (-1.05, 0.1),
    "Lithuania": (-0.45, 1.0),
    "Russia": (1.05, 0.2),
    "Ukraine": (0.1, -1.0),
}
TRUST_ARROWS = (
    ("trust_blr_eu", "Belarus", "EU", 1),
    ("trust_eu_blr", "EU", "Belarus", 1),
    ("trust_blr_russia", "Belarus", "Russia", 1),
    ("trust_russia_blr", "Russia", "Belarus", 1),
    ("trust_blr_ukraine", "Belarus", "Ukraine", 1),
    ("trust_ukraine_blr", "Ukraine", "Belarus", 1),
    ("trust_lithuania_blr", "Lithuania", "Belarus", -1),
)
"""(series, truster, trusted, side): the number sits outside the arrow's bend (1) or inside it (-1)."""
ARC = 0.18
LABEL_GAP, LABEL_HALF = 0.05, (0.15, 0.075)
"""Room between an arrow and its number, and the number's half width and height (data units)."""
NODE_A, NODE_B = 0.31, 0.13
"""Half-width and half-height of a node's ellipse (data units)."""
DPI = 96
"""Dots per inch: one figure point is one CSS point of the page (12 pt = 16 px)."""
FONT_PT = 12.0
"""The smallest text of any chart, in points: readable from the back of a classroom."""
TITLE_PT = 13.0
WIDTH_IN = 8.4
"""Width of a full chart: 806 px, which a 1280-pixel screen shows beside the controls."""
SANCTIONS_MAX = 300.0
CHAR_WIDTH = 0.55
"""Average width of a character, in ems, to wrap panel titles to their panel."""


@dataclass(frozen=True)
class LegendEntry:
    """One entry of a chart's legend, drawn by the page: a mark and its label.

    ``mark`` is ``line``, ``dashed``, ``band`` (a pale swatch), ``area`` (a solid swatch) or
    ``diamond``.
    """

    label: str
    colour: str
    mark: str = "line"


def month_of(history: EnsembleHistory) -> str:
    """The month shown by a history, as YYYY-MM."""
    if not history.steps:
        return "before the first month"
    return str(np.datetime_as_string(history.dates[history.steps - 1], unit="M"))


class LiveChart:
    """A figure with a frame drawn once and moving artists blitted over it each month.

    Subclasses build the frame in ``_build`` and, in ``_update``, set the moving artists from
    the histories and return them; ``render`` returns the PNG bytes of the current month. The
    layout is matplotlib's constrained layout, so no label or title leaves the figure; it is
    computed for the first frame and then kept.
    """

    title = ""
    caption = ""

    def __init__(self, runs: Sequence[EnsembleRun], width: float, height: float):
        self.runs = list(runs)
        self.figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        self.figure.get_layout_engine().set(w_pad=0.06, h_pad=0.06)
        self.canvas = FigureCanvasAgg(self.figure)
        self._background = None
        self._stale_frame = True
        self._build()

    def heading(self) -> str:
        """The chart's title as the page shows it above the image."""
        return self.title

    def legend(self) -> list[LegendEntry]:
        """What the marks of the chart mean, as the page shows it below the image."""
        return []

    def render(self) -> bytes:
        """The chart at the histories' current month, as PNG."""
        artists = self._update()
        if self._background is None or self._stale_frame:
            self.canvas.draw()
            # the layout is fixed by the first frame: later frames only widen an axis, and the
            # layout engine would cost more than the frame itself
            self.figure.set_layout_engine("none")
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._stale_frame = False
        self.canvas.restore_region(self._background)
        for artist in artists:
            self.figure.draw_artist(artist)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()

    def _panel_title(self, ax, title: str) -> None:
        """Name a scenario's panel (only when two are shown), wrapped to the panel's width."""
        if len(self.runs) < 2:
            return
        width_pt = ax.get_position().width * self.figure.get_figwidth() * 72
        chars = max(12, int(width_pt / (TITLE_PT * CHAR_WIDTH)))
        ax.set_title(textwrap.fill(title, chars), fontsize=TITLE_PT, loc="left")

    def _build(self) -> None:
        raise NotImplementedError

    def _update(self) -> list:
        raise NotImplementedError

    def _fit(self, ax, values: np.ndarray, pad: float = 0.15) -> None:
        """Widen an axis whose data left it (the frame is then drawn again)."""
        finite = values[np.isfinite(values)]
        if not finite.size:
            return
        low, high = ax.get_ylim()
        if finite.min() >= low and finite.max() <= high:
            return
        span = max(finite.max(), high) - min(finite.min(), low)
        ax.set_ylim(min(finite.min(), low) - pad * span, max(finite.max(), high) + pad * span)
        self._stale_frame = True


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


class NetworkChart(LiveChart):
    """Trust among the five actors: an arrow from truster to trusted, as wide as the trust.

    Before the first month it shows the trust the run starts from.
    """

    caption = (
        "An arrow goes from the actor who trusts to the actor trusted. Wider and greener: more "
        "trust; thinner and redder: less. The number is the mean trust, from 0 to 1."
    )

    def __init__(self, runs: Sequence[EnsembleRun]):
        width, height = (5.4, 4.6) if len(runs) == 1 else (WIDTH_IN, 3.9)
        super().__init__(runs, width, height)

    def heading(self) -> str:
        month = self.runs[0].history
        shown = "at the start, before 2008-01" if not month.steps else month_of(month)
        return f"Trust between the actors (mean of the replicates), {shown}"

    def _build(self) -> None:
        axes = self.figure.subplots(1, len(self.runs), squeeze=False)[0]
        self.panels = []
        for ax, run in zip(axes, self.runs, strict=True):
            for name, xy in NODES.items():
                self._node(ax, name, xy)
            arrows = [self._arrow(ax, *arrow) for arrow in TRUST_ARROWS]
            ax.set_xlim(-1.45, 1.45)
            ax.set_ylim(-1.25, 1.25)
            ax.set_aspect("equal")
            ax.axis("off")
            ax.tick_params(labelsize=FONT_PT)  # never shown; sized so that no text is under 12 pt
            self._panel_title(ax, run.title)
            self.panels.append((run, arrows))

    @staticmethod
    def _node(ax, name: str, xy: tuple[float, float]) -> None:
        ax.add_patch(Ellipse(xy, 2 * NODE_A, 2 * NODE_B, facecolor="#f4f4f4", edgecolor="#333333", zorder=3))
        ax.text(*xy, name, ha="center", va="center", fontsize=FONT_PT, zorder=4)

    @staticmethod
    def _arrow(ax, name: str, source: str, target: str, side: int):
        """An arrow between the two nodes' outlines, its number beside its bend."""
        (x0, y0), (x1, y1) = NODES[source], NODES[target]
        bend = ((x0 + x1) / 2 + ARC * (y1 - y0), (y0 + y1) / 2 - ARC * (x1 - x0))  # arc3's control point
        start = _on_outline(NODES[source], (bend[0] - x0, bend[1] - y0))
        end = _on_outline(NODES[target], (bend[0] - x1, bend[1] - y1))
        arrow = FancyArrowPatch(
            start,
            end,
            connectionstyle=f"arc3,rad={ARC}",
            arrowstyle="-|>",
            shrinkA=1,
            shrinkB=1,
            animated=True,
        )
        ax.add_patch(arrow)
        mx, my = _beside_bend(start, end, side)
        label = ax.text(
            mx,
            my,
            "",
            fontsize=FONT_PT,
            ha="center",
            va="center",
            animated=True,
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
        return name, arrow, label

    def _update(self) -> list:
        artists = []
        for run, arrows in self.panels:
            for name, arrow, label in arrows:
                trust = run.history.latest(name)
                trust = 0.0 if np.isnan(trust) else trust
                arrow.set_linewidth(0.8 + 7 * trust)
                arrow.set_mutation_scale(12 + 14 * trust)
                arrow.set_color(_trust_colour(trust))
                label.set_text(f"{trust:.2f}")
                artists += [arrow, label]
        return artists


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
        if point.kind == "sign":
            ax.axvspan(start, end, color=SIGN_COLOUR, alpha=SIGN_ALPHA, lw=0)
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


def _on_outline(centre: tuple[float, float], direction: tuple[float, float]) -> tuple[float, float]:
    """The point of a node's ellipse outline in ``direction`` from its centre."""
    dx, dy = direction
    t = 1.0 / np.hypot(dx / NODE_A, dy / NODE_B)
    return centre[0] + t * dx, centre[1] + t * dy


def _beside_bend(start, end, side: int) -> tuple[float, float]:
    """Where an arc3 arrow's number goes: clear of the middle of its bend, outside (1) or inside (-1).

    The arrow is a quadratic Bezier curve whose control point lies ARC times the chord's length
    to the right of the chord's middle; the curve's middle is half way there. The number keeps a
    gap from it as wide as its own half extent across the arrow, so it never sits on the arrow.
    """
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    nx, ny = dy / length, -dx / length  # unit normal on the bend's side
    gap = LABEL_GAP + LABEL_HALF[0] * abs(nx) + LABEL_HALF[1] * abs(ny)
    reach = ARC * length / 2 + side * gap
    return (x0 + x1) / 2 + reach * nx, (y0 + y1) / 2 + reach * ny


def _trust_colour(trust: float) -> tuple[float, float, float]:
    """Red for distrust, through amber, to green for trust."""
    t = min(max(trust, 0.0), 1.0)
    return (0.8 * (1 - t) + 0.1 * t, 0.25 + 0.45 * t, 0.2)
