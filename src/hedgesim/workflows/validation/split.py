"""The split at an origin: which evidence targets train the calibration and which are held out.

Only evidence targets take part (:func:`hedgesim.analysis.targets.evidence`): a fitted target's
pass says nothing about the mechanisms, a context row is never judged. A target trains when every
month its measure reads ends at or before the origin, and is held out when its period starts after
the origin and ends by the score window's end. Some measures read beyond their period (the lowest
year of a 2008-2019 window compares 2011 with the years after it): such a target cannot train, or
the calibration would see the future, and it is not held out either; it is reported as straddling
the origin, with the targets whose period spans it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from hedgesim.analysis.targets import Period, Target, evidence


@dataclass(frozen=True)
class Split:
    """The evidence targets at one origin: training, held out, straddling it, after the window."""

    origin: str
    training: tuple[Target, ...]
    held_out: tuple[Target, ...]
    straddling: tuple[Target, ...]
    later: tuple[Target, ...] = ()


def read_until(target: Target) -> pd.Timestamp:
    """The last month a target's measure reads: its period's end, or its window's when later."""
    window = target.options.get("window") if target.measure == "lowest_year" else None
    end = Period.parse(window, target.id).end if window else target.period.end
    return max(end, target.period.end)


def split(targets: Sequence[Target], origin: str, score_end: str) -> Split:
    """The evidence targets at ``origin`` (``YYYY-MM``), held-out ones scored up to ``score_end``."""
    last, end = pd.Timestamp(origin), pd.Timestamp(score_end)
    training, held, straddling, later = [], [], [], []
    for t in evidence(targets):
        if read_until(t) <= last:
            training.append(t)
        elif t.period.start <= last:
            straddling.append(t)
        else:
            (held if t.period.end <= end else later).append(t)
    return Split(origin, tuple(training), tuple(held), tuple(straddling), tuple(later))
