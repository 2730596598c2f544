"""How each target is measured on the simulated ensemble: one statistic per replicate.

The trajectories table is turned once into a Panel (replicate x month arrays per series and
their two-month sums, the unit the Belarus Foreign Policy Index publishes), so each target's
statistic is a few array operations; the calibration evaluates every target on every trial.
The statistic of a target is an array with one value per replicate (``+inf`` where an event
never happens); :mod:`hedgesim.analysis.pass_rules` judges the ensemble from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import cache

import numpy as np
import pandas as pd

from hedgesim.analysis.targets import Period, Target, TargetError


class Months:
    """A run's months and what the measures read from them alone (masks, two-month periods),
    each worked out once: a calibration judges every trial on the same months, so its trials
    share one ``Months`` and pay for the dates once."""

    def __init__(self, months: pd.DatetimeIndex):
        self.index = months
        starts = months.month - (months.month - 1) % 2
        self._bimonth_start = pd.DatetimeIndex(
            pd.to_datetime({"year": months.year, "month": starts, "day": np.ones(len(months), dtype=int)})
        )

    @cache  # noqa: B019 -- one Months per run, kept as long as its panels
    def mask(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Which months of the run lie in [start, end]."""
        return np.asarray((self.index >= start) & (self.index <= end))

    @cache  # noqa: B019
    def bimonths(self) -> tuple[pd.DatetimeIndex, list[np.ndarray], np.ndarray]:
        """The two-month periods' starts, each period's months, and which periods are complete."""
        starts = self._bimonth_start
        unique = starts.unique()
        members = [np.asarray(starts == s) for s in unique]
        keep = np.array([m.sum() for m in members]) == 2
        return unique, members, keep

    @cache  # noqa: B019
    def overlap(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Which complete two-month periods overlap [start, end]."""
        unique, _, keep = self.bimonths()
        index = unique[keep]
        return np.asarray((index <= end) & (index + pd.DateOffset(months=1) >= start))

    @cache  # noqa: B019
    def year(self, year: int) -> np.ndarray:
        """Which months of the run lie in ``year``."""
        return np.asarray(self.index.year == year)

    @cache  # noqa: B019
    def position(self, month: pd.Timestamp) -> np.ndarray:
        """The columns of ``month`` in the run (none when it is outside)."""
        return np.flatnonzero(self.index == month)

    @cache  # noqa: B019
    def offsets(self, start: pd.Timestamp) -> np.ndarray:
        """Months from ``start`` to each month of the run."""
        return np.array([(m.year - start.year) * 12 + m.month - start.month for m in self.index], dtype=float)


class Panel:
    """The trajectories as arrays (replicate x month) per series, plus two-month sums.

    Built once per evaluation, so each target's statistic is a few array operations.
    """

    def __init__(self, trajectories: pd.DataFrame | None, months: Months | None = None):
        self._cache: dict[str, np.ndarray] = {}
        self._series: Mapping[str, Callable[[], np.ndarray]] = {}
        if trajectories is None:  # filled by from_series
            return
        frame = trajectories.sort_values(["replicate", "date"])
        self.layout = months or Months(pd.DatetimeIndex(frame["date"].drop_duplicates().sort_values()))
        self.months = self.layout.index
        self.replicates = np.sort(frame["replicate"].unique())
        self._frame = frame

    @classmethod
    def from_series(
        cls, months: Months, replicates: Sequence[int], series: Mapping[str, Callable[[], np.ndarray]]
    ) -> Panel:
        """A panel of arrays made on demand: ``series[name]()`` is the replicate x month array a
        trajectories table's column would give (floats, milestones as their names), so a panel
        built without the table judges exactly as one built from it."""
        panel = cls(None)
        panel.layout, panel.months, panel.replicates = months, months.index, np.asarray(replicates)
        panel._frame, panel._series = None, series
        return panel

    def matrix(self, name: str) -> np.ndarray:
        """Replicate x month array of one series (milestones as their category strings)."""
        if name not in self._cache:
            self._cache[name] = self._matrix(name)
        return self._cache[name]

    def _matrix(self, name: str) -> np.ndarray:
        if self._frame is None:
            if name not in self._series:
                raise TargetError(f"series {name!r} is not in the trajectories table")
            return self._series[name]()
        if name not in self._frame.columns:
            raise TargetError(f"series {name!r} is not in the trajectories table")
        column = self._frame[name]
        values = (
            column.astype(str).to_numpy()
            if isinstance(column.dtype, pd.CategoricalDtype)
            else (column.to_numpy(dtype=float))
        )
        return values.reshape(len(self.replicates), len(self.months))

    def month_mask(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Which months of the run lie in [start, end]."""
        return self.layout.mask(start, end)

    def bimonthly(self, name: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """Two-month sums (Jan-Feb, Mar-Apr, ...), complete periods only: (period starts, array)."""
        key = f"bimonthly:{name}"
        if key not in self._cache:
            values = self.matrix(name)
            unique, members, keep = self.layout.bimonths()
            sums = np.stack([values[:, m].sum(axis=1) for m in members], axis=1)
            self._cache[key] = sums[:, keep]
            self._cache[f"{key}:index"] = unique[keep]
        return self._cache[f"{key}:index"], self._cache[key]

    def periods_within(self, name: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Two-month sums of the periods that overlap [start, end], replicate x period."""
        _, sums = self.bimonthly(name)
        overlap = self.layout.overlap(start, end)
        if not overlap.any():
            raise TargetError(f"no complete two-month period of {name} in {start:%Y-%m}..{end:%Y-%m}")
        return sums[:, overlap]

    def two_month_rate(self, name: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Per replicate, the index over [start, end] in points per two months (twice the monthly mean).

        Over whole two-month periods this is the mean of their sums; a period off that grid (the
        Foreign Policy Index's first issues: January-March, April-May, June-August 2011) is read
        from its own months and scaled to two, instead of borrowing months from its neighbours.
        """
        mask = self.month_mask(start, end)
        wanted = (end.year - start.year) * 12 + end.month - start.month + 1
        if mask.sum() != wanted:
            raise TargetError(
                f"{name} over {start:%Y-%m}..{end:%Y-%m} is not fully simulated (run covers "
                f"{self.months[0]:%Y-%m}..{self.months[-1]:%Y-%m})"
            )
        return 2.0 * self.matrix(name)[:, mask].mean(axis=1)

    def annual_mean(self, name: str, year: int) -> np.ndarray:
        """Per replicate, the mean of one series over a fully simulated year."""
        mask = self.layout.year(year)
        if mask.sum() < 12:
            raise TargetError(
                f"year {year} of {name} is not fully simulated (run covers "
                f"{self.months[0]:%Y-%m}..{self.months[-1]:%Y-%m})"
            )
        return self.matrix(name)[:, mask].mean(axis=1)


@cache
def _period(text: str, where: str) -> Period:
    """``Period.parse``, once per text: a calibration reads the same options on every trial."""
    return Period.parse(text, where)


def statistic(panel: Panel, target: Target) -> np.ndarray:
    """The target's statistic for each replicate (float; +inf where an event never happens)."""
    return FUNCTIONS[target.measure](panel, target)


def _bimonthly(panel: Panel, t: Target) -> np.ndarray:
    """The index over the period in points per two months; with several series, their lowest
    (or ``reduce_series``)."""
    per_series = [panel.two_month_rate(s, t.period.start, t.period.end) for s in t.series]
    if len(per_series) == 1:
        return per_series[0]
    reduce = t.options.get("reduce_series", "min")
    return {"min": np.min, "max": np.max, "mean": np.mean}[reduce](np.stack(per_series), axis=0)


def _share_positive(panel: Panel, t: Target) -> np.ndarray:
    """Share of the period's two-month sums above zero."""
    return (panel.periods_within(t.series[0], t.period.start, t.period.end) > 0).mean(axis=1)


def _slope(panel: Panel, t: Target) -> np.ndarray:
    """Least-squares trend of the two-month sums, in points per period."""
    values = panel.periods_within(t.series[0], t.period.start, t.period.end)
    return row_slopes(values, np.arange(values.shape[1], dtype=float))


def row_slopes(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Least-squares slope of each row of ``values`` against ``x``.

    Summed exactly rounded (``math.fsum``), not by BLAS (``@``), whose last bits differ between
    builds and processors: the measures, and the files that quote them, are the same on any machine.
    """
    dx = np.asarray(x, dtype=float) - math.fsum(x) / len(x)
    centred = values - values.mean(axis=1, keepdims=True)
    return np.array([math.fsum(row) for row in centred * dx]) / math.fsum(dx * dx)


def _peak_since(panel: Panel, t: Target) -> np.ndarray:
    """The period's index minus the highest two-month sum since ``since``."""
    since = _period(t.options.get("since", "2011-01"), t.id).start
    now = panel.periods_within(t.series[0], t.period.start, t.period.end).mean(axis=1)
    before = panel.periods_within(t.series[0], since, t.period.start - pd.DateOffset(months=2))
    return now - before.max(axis=1)


def _lowest_year(panel: Panel, t: Target) -> np.ndarray:
    """The year's mean two-month sum minus the lowest other year's in ``window``."""
    window = _period(t.options.get("window", "2008-01..2019-12"), t.id)
    index, sums = panel.bimonthly(t.series[0])
    years = range(window.start.year, window.end.year + 1)
    means = {y: sums[:, np.asarray(index.year == y)].mean(axis=1) for y in years if (index.year == y).any()}
    year = t.period.start.year
    if year not in means:
        raise TargetError(f"targets.{t.id}: year {year} is not simulated")
    others = np.stack([m for y, m in means.items() if y != year])
    return means[year] - others.min(axis=0)


def _most_positive(panel: Panel, t: Target) -> np.ndarray:
    """Share of periods in which the first series is positive and above the others."""
    first, *rest = (panel.periods_within(s, t.period.start, t.period.end) for s in t.series)
    above = first > 0
    for other in rest:
        above &= first > other
    return above.mean(axis=1)


def _change_since(panel: Panel, t: Target) -> np.ndarray:
    """The period's index minus the ``previous`` period's, in points per two months.

    This is what a direction word of the Foreign Policy Index ("improved", "slackened") compares:
    one issue's value with the issue before. With ``absolute`` the size of the change, for "unchanged".
    """
    previous = _period(t.options["previous"], t.id)
    series = t.series[0]
    now = panel.two_month_rate(series, t.period.start, t.period.end)
    change = now - panel.two_month_rate(series, previous.start, previous.end)
    return np.abs(change) if t.options.get("absolute", False) else change


def _month_value(panel: Panel, t: Target) -> np.ndarray:
    """The series in the target's month."""
    return panel.matrix(t.series[0])[:, _one_month(panel, t)]


def _window_max(panel: Panel, t: Target) -> np.ndarray:
    """The series' maximum over the period."""
    mask = panel.month_mask(t.period.start, t.period.end)
    if not mask.any():
        raise TargetError(f"targets.{t.id}: period {t.period.label} is outside the run")
    return panel.matrix(t.series[0])[:, mask].max(axis=1)


def _annual_mean(panel: Panel, t: Target) -> np.ndarray:
    """The series' mean over the twelve months of the year."""
    return panel.annual_mean(t.series[0], t.period.start.year)


def _yoy_change(panel: Panel, t: Target) -> np.ndarray:
    """Percent change of the annual mean on the year before; NaN (a failed target) on a zero
    base, which a naive trend clipped at zero can reach."""
    year = t.period.start.year
    now, before = (panel.annual_mean(t.series[0], y) for y in (year, year - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (now / before - 1.0)


def _months_to_state(panel: Panel, t: Target) -> np.ndarray:
    """Months from the observed date to the first month in ``state`` (+inf: not by the run's end)."""
    states = panel.matrix(t.series[0])
    reached = states == t.options.get("state", "concluded")
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    offset = panel.layout.offsets(t.period.start)
    return np.where(first >= 0, offset[np.maximum(first, 0)], np.inf)


def _state_in(panel: Panel, t: Target) -> np.ndarray:
    """1 where the agreement is in one of ``states`` in the target's month, else 0."""
    states = panel.matrix(t.series[0])[:, _one_month(panel, t)]
    return np.isin(states, list(t.options.get("states", []))).astype(float)


def _one_month(panel: Panel, t: Target) -> int:
    """Column of the target's month in the panel, or a TargetError naming the run's span."""
    where = panel.layout.position(t.period.start)
    if where.size == 0:
        raise TargetError(
            f"targets.{t.id}: month {t.period.start:%Y-%m} is outside the run "
            f"({panel.months[0]:%Y-%m}..{panel.months[-1]:%Y-%m})"
        )
    return int(where[0])


FUNCTIONS: dict[str, Callable[[Panel, Target], np.ndarray]] = {
    "bimonthly": _bimonthly,
    "share_positive": _share_positive,
    "slope": _slope,
    "peak_since": _peak_since,
    "lowest_year": _lowest_year,
    "most_positive": _most_positive,
    "change_since": _change_since,
    "month_value": _month_value,
    "window_max": _window_max,
    "annual_mean": _annual_mean,
    "yoy_change": _yoy_change,
    "months_to_state": _months_to_state,
    "state_in": _state_in,
}
