"""The frame of every chart on the page: drawn once, with the month's moving parts blitted over it.

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

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from hedgesim.app.session import EnsembleHistory, EnsembleRun

DPI = 96
"""Dots per inch: one figure point is one CSS point of the page (12 pt = 16 px)."""
FONT_PT = 12.0
"""The smallest text of any chart, in points: readable from the back of a classroom."""
TITLE_PT = 13.0
WIDTH_IN = 8.4
"""Width of a full chart: 806 px, which a 1280-pixel screen shows beside the controls."""
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
