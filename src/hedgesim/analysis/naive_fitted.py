"""The fitted naive baseline: simple rules fitted to the training targets only, for held-out scoring.

An out-of-sample test of the model means little unless something simpler is tested the same way.
This baseline is what a forecaster standing at the origin could build from the same training
targets with a ruler and the dated timeline, and no mechanisms:

* EU and Russia relations: a least-squares line in time through the training targets that state a
  two-month level (a constant where fewer than two points, 0 where none);
* other relations (Ukraine, Lithuania): constant at the mean of their training levels, else 0;
* trade with the EU: a least-squares line in the Brent price through the training trade levels
  (annual means; a constant with one point, no forecast with none);
* sanctions: "a crackdown lists, a release delists": the list jumps to the listed level at each
  crackdown month and falls to the delisted remainder at each release month (the remainder before
  the first of them); both levels are the mean of the training sanctions targets in that state
  (a state without any takes the other's level, 0 where there is none at all);
* agreements: held at their state at the origin, as the training targets date it (not_started
  before that date, and throughout when no training target speaks of the agreement);
* every other numeric series (the hedge weights among them): constant at the mean of its training
  level targets, else no forecast (NaN: a target on it fails).

The result is one deterministic replicate with the model's columns, so
:func:`hedgesim.analysis.pass_rules.evaluate` judges it exactly like the model's ensemble.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgesim.analysis.targets import Target

TREND_SERIES = ("relations_eu", "relations_russia")
SANCTIONS = "sanctions_persons"
TRADE = "trade_eu_turnover"
LEVEL_MEASURES = ("month_value", "annual_mean", "window_max")
NOT_STARTED = "not_started"


@dataclass(frozen=True)
class NaiveFit:
    """The fitted rules: what the report prints and what :func:`naive_trajectories` draws.

    ``lines`` holds (level at the origin, slope per month) per relations series, in two-month
    points; ``trade`` is (intercept, slope) in USD bn and USD bn per USD/bbl; ``constants`` one
    value per other numeric series; ``states`` (state, from month) per agreement.
    """

    origin: pd.Timestamp
    lines: Mapping[str, tuple[float, float]]
    trade: tuple[float, float] | None
    listed: float
    delisted: float
    constants: Mapping[str, float] = field(default_factory=dict)
    states: Mapping[str, tuple[str, pd.Timestamp | None]] = field(default_factory=dict)


def fit_naive(
    training: Sequence[Target],
    origin: pd.Timestamp,
    template: pd.DataFrame,
    oil_prices: Mapping[int, float],
    crackdowns: Sequence[pd.Timestamp],
    releases: Sequence[pd.Timestamp],
) -> NaiveFit:
    """Fit every rule to the training targets (see the module docstring); nothing else is read.

    Args:
        training: the targets the baseline may learn from (none may lie after the origin).
        origin: the forecast origin (a month).
        template: a trajectories table whose columns, dtypes and months the forecast copies.
        oil_prices: Brent annual average by year (later years repeat the last).
        crackdowns, releases: the months of the timeline's crackdowns and releases.
    """
    numeric = [c for c in _series_columns(template) if not _is_categorical(template[c])]
    months = _months(template)
    listed_mask = listed_months(months, crackdowns, releases)
    origin = _month(origin)
    lines = {s: _line(_two_month_points(training, s, origin)) for s in TREND_SERIES if s in numeric}
    constants = {
        c: _constant(c, training)
        for c in numeric
        if c not in lines and c not in (SANCTIONS, TRADE) and _constant(c, training) is not None
    }
    listed, delisted = _sanctions_levels(training, months, listed_mask)
    states = {
        c: _state_at(training, c, origin) for c in _series_columns(template) if _is_categorical(template[c])
    }
    return NaiveFit(origin, lines, _trade_line(training, oil_prices), listed, delisted, constants, states)


def naive_trajectories(
    fit: NaiveFit,
    template: pd.DataFrame,
    oil_prices: Mapping[int, float],
    crackdowns: Sequence[pd.Timestamp],
    releases: Sequence[pd.Timestamp],
) -> pd.DataFrame:
    """The fitted rules as one replicate (``replicate`` 0) with the template's columns and months."""
    months = _months(template)
    out = pd.DataFrame({"replicate": 0, "date": months})
    x = np.array([_ordinal(m) - _ordinal(fit.origin) for m in months], dtype=float)
    for column in template.columns:
        if column in ("replicate", "date"):
            continue
        if _is_categorical(template[column]):
            out[column] = _held_states(fit.states.get(column, (NOT_STARTED, None)), months, template[column])
        else:
            out[column] = _numeric(column, fit, months, x, oil_prices, crackdowns, releases)
    return out[list(template.columns)]


def fitted_naive(
    training: Sequence[Target],
    origin: pd.Timestamp,
    template: pd.DataFrame,
    oil_prices: Mapping[int, float],
    crackdowns: Sequence[pd.Timestamp],
    releases: Sequence[pd.Timestamp],
) -> tuple[NaiveFit, pd.DataFrame]:
    """Fit the rules and draw them: (the fit, its trajectories table)."""
    fit = fit_naive(training, origin, template, oil_prices, crackdowns, releases)
    return fit, naive_trajectories(fit, template, oil_prices, crackdowns, releases)


def listed_months(
    months: pd.DatetimeIndex, crackdowns: Sequence[pd.Timestamp], releases: Sequence[pd.Timestamp]
) -> np.ndarray:
    """Per month: is the list at its listed level (the latest event at or before it a crackdown)?"""
    events = sorted([(_month(d), True) for d in crackdowns] + [(_month(d), False) for d in releases])
    state = np.zeros(len(months), dtype=bool)
    for when, listed in events:
        state[np.asarray(months >= when)] = listed
    return state


def brent_by_month(months: pd.DatetimeIndex, oil_prices: Mapping[int, float]) -> np.ndarray:
    """The Brent price of each month's year, as the model reads it (later years repeat the last)."""
    years = sorted(int(y) for y in oil_prices)
    if not years:
        return np.full(len(months), np.nan)
    prices = []
    for month in months:
        known = [y for y in years if y <= month.year] or [years[0]]
        prices.append(float(oil_prices[known[-1]]))
    return np.array(prices)


def _numeric(
    column: str,
    fit: NaiveFit,
    months: pd.DatetimeIndex,
    x: np.ndarray,
    oil_prices: Mapping[int, float],
    crackdowns: Sequence[pd.Timestamp],
    releases: Sequence[pd.Timestamp],
) -> np.ndarray:
    """One numeric series of the forecast, month by month."""
    if column in fit.lines:
        intercept, slope = fit.lines[column]
        return (intercept + slope * x) / 2.0  # two halves sum to the line at mid-period
    if column == TRADE:
        if fit.trade is None:
            return np.full(len(months), np.nan)
        return np.maximum(fit.trade[0] + fit.trade[1] * brent_by_month(months, oil_prices), 0.0)
    if column == SANCTIONS:
        return np.where(listed_months(months, crackdowns, releases), fit.listed, fit.delisted)
    if column.startswith("relations_"):
        return np.full(len(months), fit.constants.get(column, 0.0))
    return np.full(len(months), fit.constants.get(column, np.nan))


def _line(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope); a constant (the mean, or 0) with fewer than two points.

    Solved in closed form with exactly rounded sums (``math.fsum``), not by LAPACK (``np.polyfit``),
    whose last bits differ between builds and processors: the naive forecasts, and the files
    that quote them, are then the same on any machine."""
    if len(points) < 2:
        return (math.fsum(y for _, y in points) / len(points) if points else 0.0), 0.0
    n = len(points)
    mean_x = math.fsum(x for x, _ in points) / n
    mean_y = math.fsum(y for _, y in points) / n
    spread = math.fsum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return mean_y, 0.0
    slope = math.fsum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y - slope * mean_x, slope


def _two_month_points(
    training: Sequence[Target], series: str, origin: pd.Timestamp
) -> list[tuple[float, float]]:
    """(mid-period in months from the origin month, two-month level) of the targets stating one."""
    return [
        ((_ordinal(t.period.start) + _ordinal(t.period.end)) / 2.0 - _ordinal(origin), t.reference)
        for t in training
        if _states_level(t, series) and t.measure == "bimonthly"
    ]


def _constant(column: str, training: Sequence[Target]) -> float | None:
    """Mean of the training levels of one series (two-month sums halved to months), or None."""
    values = [t.reference for t in training if _states_level(t, column) and t.measure in LEVEL_MEASURES]
    if column.startswith("relations_"):
        values += [
            t.reference / 2.0 for t in training if _states_level(t, column) and t.measure == "bimonthly"
        ]
    return float(np.mean(values)) if values else None


def _trade_line(training: Sequence[Target], oil_prices: Mapping[int, float]) -> tuple[float, float] | None:
    """Turnover as a line in the Brent price, through the training annual trade levels."""
    years = [t for t in training if _states_level(t, TRADE) and t.measure == "annual_mean"]
    if not years:
        return None
    january = pd.DatetimeIndex([pd.Timestamp(year=t.period.start.year, month=1, day=1) for t in years])
    points = list(zip(brent_by_month(january, oil_prices), (t.reference for t in years), strict=True))
    return _line(points)


def _sanctions_levels(
    training: Sequence[Target], months: pd.DatetimeIndex, listed: np.ndarray
) -> tuple[float, float]:
    """(listed level, delisted remainder): the mean training observation in each state."""
    by_state: dict[bool, list[float]] = {True: [], False: []}
    for t in training:
        if not _states_level(t, SANCTIONS) or t.measure not in ("month_value", "window_max"):
            continue
        inside = np.asarray((months >= t.period.start) & (months <= t.period.end))
        if not inside.any():
            continue
        state = bool(listed[inside].any()) if t.measure == "window_max" else bool(listed[inside][0])
        by_state[state].append(t.reference)
    means = {s: float(np.mean(v)) for s, v in by_state.items() if v}
    fallback = next(iter(means.values()), 0.0)
    return means.get(True, fallback), means.get(False, fallback)


def _state_at(
    training: Sequence[Target], series: str, origin: pd.Timestamp
) -> tuple[str, pd.Timestamp | None]:
    """The agreement's latest state dated by a training target at or before the origin."""
    facts = []
    for t in training:
        if t.series != (series,):
            continue
        if t.measure == "state_in" and t.options.get("states"):
            facts.append((t.period.start, str(t.options["states"][0])))
        elif t.measure == "months_to_state" and t.rule == "level":
            when = t.period.start + pd.DateOffset(months=round(t.reference))
            facts.append((when, str(t.options.get("state", "concluded"))))
    facts = [f for f in facts if f[0] <= origin]
    if not facts:
        return NOT_STARTED, None
    when, state = max(facts, key=lambda f: f[0])
    return state, when


def _held_states(
    held: tuple[str, pd.Timestamp | None], months: pd.DatetimeIndex, template_column: pd.Series
) -> pd.Categorical:
    """The held state from its dated month on (not_started before it)."""
    state, since = held
    dtype = template_column.dtype
    if state not in dtype.categories:
        raise ValueError(f"state {state!r} is not one of {list(dtype.categories)}")
    values = [state if since is None or m >= since else NOT_STARTED for m in months]
    return pd.Categorical(values, dtype=dtype)


def _states_level(t: Target, series: str) -> bool:
    """A level target on exactly this one series."""
    return t.rule == "level" and t.series == (series,)


def _series_columns(template: pd.DataFrame) -> list[str]:
    return [c for c in template.columns if c not in ("replicate", "date")]


def _is_categorical(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.CategoricalDtype)


def _months(template: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(template["date"]).drop_duplicates().sort_values())


def _month(date: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(date).to_period("M").to_timestamp()


def _ordinal(month: pd.Timestamp) -> int:
    return month.year * 12 + month.month - 1
