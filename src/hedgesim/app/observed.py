"""Observed relations indices 2011-2019, overlaid on the classroom charts.

Copied from the project's data table of observed outcomes (series, period, value, source), so
the page needs no file outside the package. Values are index points per two-month period of the
Belarus Foreign Policy Index (BISS); a ``sign`` row says only that the index stayed on one side
of zero over the period.
"""

from __future__ import annotations

from dataclasses import dataclass

from hedgesim.core.calendar import Month


@dataclass(frozen=True)
class ObservedPoint:
    """One observed value of a relations index over a period of months."""

    series: str
    start: Month
    end: Month
    value: float
    kind: str  # "level": the index equalled value; "sign": it stayed >= value (zero)
    source: str


def _point(series: str, start: str, end: str, value: float, kind: str, source: str) -> ObservedPoint:
    return ObservedPoint(series, Month.parse(start), Month.parse(end), value, kind, source)


OBSERVED: tuple[ObservedPoint, ...] = (
    _point(
        "relations_eu",
        "2012-03",
        "2012-04",
        0.0,
        "level",
        "Belarus Foreign Policy Index No7 (EU vector broke even for the first time since 2011)",
    ),
    _point(
        "relations_eu",
        "2012-09",
        "2012-12",
        0.0,
        "sign",
        "policy paper (left the negative zone at the end of 2012)",
    ),
    _point(
        "relations_eu",
        "2013-01",
        "2019-12",
        0.0,
        "sign",
        "policy paper (positive zone ever since; gradual growth)",
    ),
    _point("relations_eu", "2014-09", "2014-10", 22.0, "level", "Belarus Foreign Policy Index No22"),
    _point(
        "relations_russia",
        "2014-09",
        "2014-10",
        22.0,
        "level",
        "Belarus Foreign Policy Index No22 (EU came up to the Russian vector)",
    ),
    _point("relations_eu", "2016-09", "2016-10", 32.0, "level", "Belarus Foreign Policy Index No34"),
    _point("relations_russia", "2016-09", "2016-10", -15.0, "level", "Belarus Foreign Policy Index No34"),
)


def observed_for(series: str) -> list[ObservedPoint]:
    """The observed points of one relations series (``relations_eu``, ``relations_russia``...)."""
    return [p for p in OBSERVED if p.series == series]
