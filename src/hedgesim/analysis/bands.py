"""Ensemble medians and quantile bands: the one computation every table and figure uses.

A band summarises the replicates of an ensemble: its median and a low and a high quantile
(5% and 95% unless a caller asks otherwise; the classroom page shows 10-90%). The targets'
judgement, the reproduction's tables, the figures and the page all call :func:`median_band`,
so "the simulated band" means the same numbers everywhere. The rest of the module builds the
tables behind the targets figure: each series' band in the unit its targets use, and the
observed values drawn against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from hedgesim.analysis.measures import Panel
from hedgesim.analysis.targets import Target
from hedgesim.core.vocabulary import RELATIONS

BAND_COLUMNS = ("series", "resolution", "date", "median", "q05", "q95")
POINT_MEASURES = ("bimonthly", "month_value", "window_max", "annual_mean")
HEDGE_PANELS = ("hedge_russia", "hedge_eu", "hedge_ukraine")
"""The hedge weights that trade-share targets judge (the outside option's share is context)."""


def median_band(
    values: np.ndarray, low: float = 0.05, high: float = 0.95, axis: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and the ``low`` and ``high`` quantiles of ``values`` along ``axis`` (the replicates).

    Quantiles interpolate linearly, unless some value is infinite (a milestone never reached):
    then they are order statistics, since interpolating towards infinity gives no number.

    Args:
        values: a non-empty array with the replicates along ``axis``.
        low, high: the quantiles of the band, in [0, 1].
        axis: the replicates' axis.

    Returns:
        (median, low quantile, high quantile), each reduced over ``axis``.
    """
    method = "linear" if np.isfinite(values).all() else "inverted_cdf"
    q_low, q_high = np.quantile(values, [low, high], axis=axis, method=method)
    return np.median(values, axis=axis), q_low, q_high


def monthly_bands(
    trajectories: pd.DataFrame, columns: Sequence[str], low: float = 0.05, high: float = 0.95
) -> pd.DataFrame:
    """Per series and month, the median and band over the replicates of a trajectories table.

    Returns:
        One row per series and month, series in the order given, months ascending: ``series,
        date, median, low, high``.
    """
    panel = Panel(trajectories)
    parts = []
    for name in columns:
        median, q_low, q_high = median_band(panel.matrix(name), low, high)
        parts.append(
            pd.DataFrame(
                {"series": name, "date": panel.months, "median": median, "low": q_low, "high": q_high}
            )
        )
    return pd.concat(parts, ignore_index=True)


def bimonthly_bands(
    trajectories: pd.DataFrame, columns: Sequence[str], low: float = 0.05, high: float = 0.95
) -> pd.DataFrame:
    """Per relations index and two-month period, the median and band of the period's sums.

    Points per two months is the unit the Belarus Foreign Policy Index publishes, so every
    figure a user compares with it draws the indices this way (complete periods only).

    Returns:
        One row per series and period, dated by the period's first month: ``series, date,
        median, low, high`` (the columns of :func:`monthly_bands`).
    """
    panel = Panel(trajectories)
    parts = []
    for name in columns:
        starts, sums = panel.bimonthly(name)
        median, q_low, q_high = median_band(sums, low, high)
        parts.append(
            pd.DataFrame({"series": name, "date": starts, "median": median, "low": q_low, "high": q_high})
        )
    return pd.concat(parts, ignore_index=True)


def series_bands(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Ensemble median and 5-95% band of each series in the unit its targets use.

    Relations indices as two-month sums (dated by the period's first month), sanctions
    monthly, trade and the hedge weights that trade shares judge as annual means (dated 1 July).
    """
    panel = Panel(trajectories)
    parts = []
    for name in RELATIONS:
        if name in trajectories.columns:
            index, sums = panel.bimonthly(name)
            parts.append(_band_frame(name, "two_months", index, sums))
    if "sanctions_persons" in trajectories.columns:
        parts.append(
            _band_frame("sanctions_persons", "month", panel.months, panel.matrix("sanctions_persons"))
        )
    years = sorted({y for y in panel.months.year if (panel.months.year == y).sum() == 12})
    dates = pd.DatetimeIndex([pd.Timestamp(year=y, month=7, day=1) for y in years])
    for name in ("trade_eu_turnover", *HEDGE_PANELS):
        if name in trajectories.columns:
            annual = np.stack([panel.annual_mean(name, y) for y in years], axis=1)
            parts.append(_band_frame(name, "year", dates, annual))
    return pd.concat(parts, ignore_index=True)[list(BAND_COLUMNS)]


def _band_frame(name: str, resolution: str, dates: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    """The band rows of one series from its replicate x date array."""
    median, q05, q95 = median_band(values)
    return pd.DataFrame(
        {"series": name, "resolution": resolution, "date": dates, "median": median, "q05": q05, "q95": q95}
    )


def observed_points(targets: Iterable[Target], table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The numeric observed values that can be drawn against the bands, with their tolerance.

    Dates follow :func:`series_bands` (two-month periods by their first month, years at 1 July).
    ``table`` (an evaluation) adds whether each target passed.
    """
    passed = dict(zip(table["id"], table["passed"], strict=True)) if table is not None else {}
    rows = []
    for t in targets:
        if not t.evaluate or t.rule != "level" or t.measure not in POINT_MEASURES or len(t.series) != 1:
            continue
        start, end = _drawn_span(t)
        rows.append(
            {
                "id": t.id,
                "series": t.series[0],
                "start": start,
                "end": end,
                "observed": t.reference,
                "tolerance": t.tolerance,
                "passed": passed.get(t.id),
            }
        )
    return pd.DataFrame(rows, columns=["id", "series", "start", "end", "observed", "tolerance", "passed"])


def _drawn_span(t: Target) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Where a target's observed value sits on the bands' date axis."""
    start, end = t.period.start, t.period.end
    if t.measure == "annual_mean":
        return (pd.Timestamp(year=start.year, month=7, day=1),) * 2
    if t.measure == "bimonthly":
        start = start - pd.DateOffset(months=(start.month - 1) % 2)
        end = end - pd.DateOffset(months=(end.month - 1) % 2)
    return start, end
