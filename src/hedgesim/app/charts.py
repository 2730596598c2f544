"""The page's figures, drawn with matplotlib from the ensembles' running summaries.

Redrawing whole figures every month costs far more than the model step (text and axes are most
of it), so each chart draws its frame once (axes, ticks, labels, observed points) and, each
month, only the artists that move (lines, bands, the month marker, the trust arrows), blitted
over a saved copy of the frame, then encoded as PNG. The frame is drawn again only when the data
outgrow the axes. Figures are built with ``matplotlib.figure.Figure`` and an Agg canvas, never
pyplot: the page draws from server threads, and pyplot's global state is not thread-safe.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from PIL import Image

from hedgesim.app.observed import observed_for
from hedgesim.app.session import EnsembleHistory, EnsembleRun
from hedgesim.core.vocabulary import PARTNERS

PARTNER_COLOURS = {"eu": "#1f4e9c", "russia": "#c0392b", "ukraine": "#e0b000", "other": "#8c8c8c"}
PARTNER_LABELS = {"eu": "EU", "russia": "Russia", "ukraine": "Ukraine", "other": "other"}
RELATION_ROWS = (
    ("EU", ("eu",)),
    ("Russia", ("russia",)),
    ("Ukraine, Lithuania", ("ukraine", "lithuania")),
)
LINE_COLOURS = {"eu": "#1f4e9c", "russia": "#c0392b", "ukraine": "#d09a00", "lithuania": "#2e8b57"}
NODES = {
    "Belarus": (0.0, 0.0),
    "EU": (-1.0, 0.05),
    "Lithuania": (-0.55, 0.95),
    "Russia": (1.0, 0.2),
    "Ukraine": (0.1, -1.0),
}
TRUST_ARROWS = (
    ("trust_blr_eu", "Belarus", "EU"),
    ("trust_eu_blr", "EU", "Belarus"),
    ("trust_blr_russia", "Belarus", "Russia"),
    ("trust_russia_blr", "Russia", "Belarus"),
    ("trust_blr_ukraine", "Belarus", "Ukraine"),
    ("trust_ukraine_blr", "Ukraine", "Belarus"),
    ("trust_lithuania_blr", "Lithuania", "Belarus"),
)
DPI = 80
SANCTIONS_MAX = 300.0


def month_of(history: EnsembleHistory) -> str:
    """The month shown by a history, as YYYY-MM."""
    if not history.steps:
        return "before the first month"
    return str(np.datetime_as_string(history.dates[history.steps - 1], unit="M"))


class LiveChart:
    """A figure with a frame drawn once and moving artists blitted over it each month.

    Subclasses build the frame in ``_build`` and, in ``_update``, set the moving artists from
    the histories and return them; ``render`` returns the PNG bytes of the current month.
    """

    def __init__(self, runs: Sequence[EnsembleRun], width: float, height: float):
        self.runs = list(runs)
        self.figure = Figure(figsize=(width, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self._background = None
        self._stale_frame = True
        self._build()

    def render(self) -> bytes:
        """The chart at the histories' current month, as PNG."""
        artists = self._update()
        if self._background is None or self._stale_frame:
            self.canvas.draw()
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
    height = 3.4
    right = 0.97
    wspace = 0.08

    def __init__(self, runs: Sequence[EnsembleRun]):
        self.columns = len(runs)
        super().__init__(runs, 1.0 + 5.4 * self.columns, self.height)

    def _axes(self) -> np.ndarray:
        width, height = self.figure.get_size_inches()
        axes = self.figure.subplots(self.rows, self.columns, squeeze=False, sharex=True, sharey="row")
        self.figure.subplots_adjust(
            left=1.0 / width,
            right=self.right,
            bottom=0.45 / height,
            top=1 - 0.6 / height,
            hspace=0.12,
            wspace=self.wspace,
        )
        x = mdates.date2num(self.runs[0].history.dates)
        self.x = x
        self.markers = []
        for ax in axes.ravel():
            ax.set_xlim(x[0], x[-1])
            ax.xaxis.set_major_locator(mdates.YearLocator(4))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            ax.grid(alpha=0.25)
            ax.set_autoscale_on(False)
            self.markers.append(ax.axvline(x[0], color="black", lw=0.8, alpha=0.6, animated=True))
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
    height = 6.4

    def _build(self) -> None:
        axes = self._axes()
        self.series = []  # (ax, history, name, colour, line, fill)
        for col, run in enumerate(self.runs):
            for row, (name, dyads) in enumerate(RELATION_ROWS):
                ax = axes[row, col]
                ax.set_ylim(-20, 40)
                for d in dyads:
                    (line,) = ax.plot(
                        [],
                        [],
                        color=LINE_COLOURS[d],
                        lw=1.6,
                        animated=True,
                        label=name if len(dyads) == 1 else d.title(),
                    )
                    self.series.append([ax, run.history, f"relations2_{d}", LINE_COLOURS[d], line, None])
                    if d in ("eu", "russia"):
                        _observed(ax, f"relations_{d}")
                ax.axhline(0, color="grey", lw=0.6)
                if col == 0:
                    ax.set_ylabel(f"{_coloured(dyads)}\npoints / 2 months", fontsize=9)
            axes[0, col].set_title(f"{run.title}\nrelations with Belarus (black: observed)", fontsize=10)

    _update = TimeChart._band_updates


class HedgeChart(TimeChart):
    """Belarus's hedge: mean engagement weights over partners, stacked, with Russia's floor."""

    right = 0.86

    def _build(self) -> None:
        axes = self._axes()
        self.panels = []
        for col, run in enumerate(self.runs):
            ax = axes[0, col]
            ax.set_ylim(0, 1)
            (floor,) = ax.plot([], [], color="black", ls="--", lw=1.0, animated=True)
            self.panels.append([ax, run.history, floor, []])
            ax.set_title(f"{run.title}\nBelarus's hedge (mean weights)", fontsize=10)
            if col == 0:
                ax.set_ylabel("share of engagement", fontsize=9)
        handles = [_swatch(axes[0, -1], PARTNER_COLOURS[p], PARTNER_LABELS[p]) for p in PARTNERS]
        handles.append(axes[0, -1].plot([], [], color="black", ls="--", lw=1.0, label="Russia floor")[0])
        axes[0, -1].legend(
            handles=handles[::-1][1:] + handles[-1:],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            frameon=False,
        )

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
            floor.set_data(self.x[:n], h.band["russia_floor"][:n, 0])
            artists += [*panel[3], floor]
        return artists


class PressureChart(TimeChart):
    """EU sanctions (persons listed) and Russia-West tension, median and 10-90% band."""

    right = 0.9
    wspace = 0.22

    def _build(self) -> None:
        axes = self._axes()
        self.series = []
        for col, run in enumerate(self.runs):
            ax = axes[0, col]
            ax.set_ylim(0, SANCTIONS_MAX)
            right = ax.twinx()
            right.set_ylim(0, 1)
            right.set_autoscale_on(False)
            right.tick_params(labelright=col == self.columns - 1)
            for axis, name, colour in ((ax, "sanctions_persons", "#6a3d9a"), (right, "tension", "#d35400")):
                (line,) = axis.plot([], [], color=colour, lw=1.6, animated=True)
                self.series.append([axis, run.history, name, colour, line, None])
            ax.set_title(f"{run.title}\nsanctions and tension", fontsize=10)
            if col == 0:
                ax.set_ylabel("persons under EU sanctions", color="#6a3d9a", fontsize=9)
            if col == self.columns - 1:
                right.set_ylabel("tension", color="#d35400", fontsize=9)

    _update = TimeChart._band_updates


class NetworkChart(LiveChart):
    """Trust among the five actors this month: an arrow from truster to trusted, as wide as the trust."""

    def __init__(self, runs: Sequence[EnsembleRun]):
        super().__init__(runs, 4.2 * len(runs), 4.2)

    def _build(self) -> None:
        axes = self.figure.subplots(1, len(self.runs), squeeze=False)[0]
        self.figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.88, wspace=0.02)
        self.panels = []
        for ax, run in zip(axes, self.runs, strict=True):
            arrows = []
            for name, source, target in TRUST_ARROWS:
                arrow = FancyArrowPatch(
                    NODES[source],
                    NODES[target],
                    connectionstyle="arc3,rad=0.18",
                    arrowstyle="-|>",
                    shrinkA=22,
                    shrinkB=22,
                    animated=True,
                )
                ax.add_patch(arrow)
                (x0, y0), (x1, y1) = NODES[source], NODES[target]
                mx, my = (x0 + x1) / 2 + 0.16 * (y1 - y0), (y0 + y1) / 2 - 0.16 * (x1 - x0)
                label = ax.text(
                    mx,
                    my,
                    "",
                    fontsize=8,
                    ha="center",
                    va="center",
                    animated=True,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                )
                arrows.append((name, arrow, label))
            for node, (x, y) in NODES.items():
                ax.scatter([x], [y], s=900, color="#f4f4f4", edgecolor="#333333", zorder=3)
                ax.text(x, y, node, ha="center", va="center", fontsize=8, zorder=4)
            ax.set_xlim(-1.35, 1.35)
            ax.set_ylim(-1.3, 1.25)
            ax.set_aspect("equal")
            ax.axis("off")
            title = ax.set_title("", fontsize=10, animated=True)
            self.panels.append((run, arrows, title))

    def _update(self) -> list:
        artists = []
        for run, arrows, title in self.panels:
            h = run.history
            step = max(h.steps - 1, 0)
            for name, arrow, label in arrows:
                trust = h.mean[name][step]
                trust = 0.0 if np.isnan(trust) else float(trust)
                arrow.set_linewidth(0.5 + 7 * trust)
                arrow.set_mutation_scale(10 + 14 * trust)
                arrow.set_color(_trust_colour(trust))
                label.set_text(f"{trust:.2f}")
                artists += [arrow, label]
            title.set_text(f"{run.title}\ntrust (mean), {month_of(h)}")
            artists.append(title)
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
            ax.axvspan(start, end, color="#2e8b57", alpha=0.06, lw=0)
            continue
        ax.errorbar(
            [end],
            [point.value],
            xerr=[[end - start], [0]],
            fmt="D",
            color="black",
            ms=5,
            capsize=0,
            lw=1.0,
            zorder=5,
        )


def _coloured(dyads: tuple[str, ...]) -> str:
    if len(dyads) == 1:
        return dyads[0].upper() if dyads[0] == "eu" else dyads[0].title()
    colours = {"ukraine": "gold", "lithuania": "green", "eu": "blue", "russia": "red"}
    return ", ".join(f"{d.title()} ({colours[d]})" for d in dyads)


def _swatch(ax, colour: str, label: str):
    return ax.fill_between([], [], color=colour, alpha=0.85, label=label)


def _trust_colour(trust: float) -> tuple[float, float, float]:
    """Red for distrust, through amber, to green for trust."""
    t = min(max(trust, 0.0), 1.0)
    return (0.8 * (1 - t) + 0.1 * t, 0.25 + 0.45 * t, 0.2)
