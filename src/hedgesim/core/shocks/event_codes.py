"""The event log's shock codes: which shocks each code names.

The record keeps one shock code a replicate-month (a byte for most timelines), so a month in which
several shocks start needs a code of its own for them all, or the log would name one and hide the
rest. The sets that can start together are known before the run: dated shocks are dated, and the
drawn ones start from the stochastic process's first month. So the codes are fixed up front: one
per dated shock (its timeline position), one per set of drawn shocks that start together
(``STOCHASTIC_LABELS``), one per month in which several dated shocks start, and, in a month with
dated starts inside the stochastic period, one per drawn set beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hedgesim.core.calendar import RunCalendar
from hedgesim.core.shocks.stochastic import DRAWN_PARTS, STOCHASTIC_LABELS, StochasticProcess
from hedgesim.core.shocks.timeline import ActiveShock, Timeline

JOIN = " + "
"""How a code's label joins the labels of the shocks it names."""


@dataclass(frozen=True)
class ShockCodes:
    """The shock codes of one run.

    Attributes:
        labels: the label of each code, in code order.
        parts: the shocks each label names, one label each (a single shock names itself).
        dated: the dated shocks active in each step (``Timeline.active_by_step``), where several
            start in one step each carrying their set's code as ``index``.
        drawn_first: per step with dated starts in the stochastic period, the code of the first
            drawn set beside them (the drawn sets' codes follow in ``STOCHASTIC_LABELS`` order).
    """

    labels: tuple[str, ...]
    parts: Mapping[str, tuple[str, ...]]
    dated: Mapping[int, list[ActiveShock]]
    drawn_first: Mapping[int, int]
    n_dated: int

    @classmethod
    def of(cls, timeline: Timeline, calendar: RunCalendar, drawn: StochasticProcess | None) -> ShockCodes:
        """The codes of ``timeline``'s shocks over ``calendar``, with ``drawn``'s after them
        (None: the dated shocks' codes alone are wanted)."""
        labels = [s.label or s.id for s in timeline.shocks] + list(STOCHASTIC_LABELS.values())
        parts = {label: (label,) for label in labels[: len(timeline.shocks)]} | dict(DRAWN_PARTS)
        dated = timeline.active_by_step(calendar)
        drawn_first: dict[int, int] = {}
        for step, active in sorted(dated.items()):
            starting = [a for a in active if a.onset]
            names = tuple(labels[a.index] for a in starting)
            if len(starting) > 1:
                dated[step] = [replace(a, index=len(labels)) if a.onset else a for a in active]
                _add(labels, parts, names)
            if starting and _drawn_in(drawn, step):
                drawn_first[step] = len(labels)
                for label in STOCHASTIC_LABELS.values():
                    _add(labels, parts, names + DRAWN_PARTS[label])
        return cls(tuple(labels), parts, dated, drawn_first, len(timeline.shocks))

    def first_drawn_code(self, step: int) -> int:
        """The code of the first drawn set in ``step`` (the sets follow in ``STOCHASTIC_LABELS``
        order): beside the step's dated starts where there are any."""
        return self.drawn_first.get(step, self.n_dated)


def _drawn_in(drawn: StochasticProcess | None, step: int) -> bool:
    """Whether drawn shocks can start in ``step``."""
    return drawn is not None and drawn.settings.enabled and step >= drawn.first_step


def _add(labels: list[str], parts: dict[str, tuple[str, ...]], names: tuple[str, ...]) -> None:
    """Add the code of the shocks ``names`` starting together."""
    label = JOIN.join(names)
    labels.append(label)
    parts[label] = names
