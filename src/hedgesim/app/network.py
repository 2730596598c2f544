"""The trust network: who trusts whom among the five actors, month by month."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.patches import Ellipse, FancyArrowPatch

from hedgesim.app.figure import FONT_PT, WIDTH_IN, LiveChart, month_of
from hedgesim.app.session import EnsembleRun

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
