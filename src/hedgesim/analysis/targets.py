"""The observed 2011-2019 targets and their evaluation on a simulated ensemble.

A target is a fact from the historical record (a Belarus Foreign Policy Index value, a
sanctions count, a trade figure, a milestone) together with how it is measured on each
simulated replicate and when the ensemble counts as reproducing it. The module is pure
pandas and numpy: it takes the parsed ``conf/calibration/targets.yaml`` mapping and a
trajectories table, and returns tables.

Pass rules, always over the ensemble, never one replicate:

* ``level``: the median of the per-replicate statistic lies within ``tolerance`` of the
  observed value. Its standardised error is ``z = (median - observed) / tolerance``.
* ``share``: the per-replicate statistic meets ``condition`` in at least ``1 - tolerance``
  of the replicates. Its standardised error is ``z = (1 - share) / tolerance``.

Either way a target passes when ``|z| <= 1``, and the calibration loss is the mean of ``z**2``
(simulated method of moments with each tolerance as its scale).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgesim.core.vocabulary import RELATIONS

RULES = ("level", "share")
MEASURES = (
    "bimonthly",
    "share_positive",
    "slope",
    "peak_since",
    "lowest_year",
    "most_positive",
    "month_value",
    "window_max",
    "annual_mean",
    "yoy_change",
    "months_to_state",
    "state_in",
)
Z_CAP = 10.0
_CONDITION = re.compile(r"^\s*(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


class TargetError(ValueError):
    """A malformed target definition: the message names the target, the key and what is allowed."""


@dataclass(frozen=True)
class Period:
    """An inclusive span of months, from a ``YYYY``, ``YYYY-MM[-DD]`` or ``A..B`` string."""

    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def parse(cls, text: Any, where: str) -> Period:
        raw = str(text).strip()
        parts = [p.strip() for p in raw.split("..")] if ".." in raw else [raw, raw]
        if len(parts) != 2:
            raise TargetError(f"{where}.period={raw!r}; allowed: YYYY, YYYY-MM, YYYY-MM-DD or A..B")
        try:
            first, last = (_month_span(p) for p in parts)
        except ValueError:
            raise TargetError(f"{where}.period={raw!r}; allowed: YYYY, YYYY-MM, YYYY-MM-DD or A..B") from None
        if last[1] < first[0]:
            raise TargetError(f"{where}.period={raw!r} ends before it starts")
        return cls(first[0], last[1])

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"


def _month_span(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month a date string covers (a bare year covers twelve months)."""
    if re.fullmatch(r"\d{4}", text):
        return pd.Timestamp(f"{text}-01-01"), pd.Timestamp(f"{text}-12-01")
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        raise ValueError(text)
    month = pd.Timestamp(text).to_period("M").to_timestamp()
    return month, month


@dataclass(frozen=True)
class Target:
    """One observed fact and how the ensemble is judged against it."""

    id: str
    series: tuple[str, ...]
    period: Period
    observed: Any
    unit: str
    kind: str
    source: str
    confidence: str
    measure: str
    rule: str
    tolerance: float
    target_value: float | None = None
    condition: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    evaluate: bool = True
    reason: str = ""

    @property
    def reference(self) -> float:
        """The number a ``level`` rule compares the median with."""
        return float(self.observed if self.target_value is None else self.target_value)

    @property
    def required_share(self) -> float:
        return 1.0 - self.tolerance

    def describe_rule(self) -> str:
        """The pass rule in words, for the report."""
        if self.rule == "level":
            return f"|median - {self.reference:g}| <= {self.tolerance:g}"
        return f"statistic {self.condition} in >= {self.required_share:.0%} of replicates"

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Per replicate: does the statistic meet the share rule's condition?"""
        op, threshold = _parse_condition(self.condition or "", self.id)
        with np.errstate(invalid="ignore"):
            return op(values, threshold)


def _parse_condition(text: str, where: str) -> tuple[Callable, float]:
    match = _CONDITION.match(text)
    if not match:
        raise TargetError(f"{where}.condition={text!r}; allowed: '<op> <number>' with op in < <= > >= ==")
    return _OPERATORS[match.group(1)], float(match.group(2))


_KNOWN_KEYS = {
    "id",
    "series",
    "period",
    "observed",
    "unit",
    "kind",
    "source",
    "confidence",
    "measure",
    "rule",
    "tolerance",
    "target_value",
    "condition",
    "evaluate",
    "reason",
}
_OPTION_KEYS = {"window", "since", "reduce_series", "state", "states"}


def targets_from_mapping(data: Mapping[str, Any]) -> list[Target]:
    """Validate the parsed targets YAML (a ``targets:`` list) into Target objects.

    Raises:
        TargetError: for the first malformed entry, naming its id and key.
    """
    rows = data.get("targets") if isinstance(data, Mapping) else None
    if not isinstance(rows, list) or not rows:
        raise TargetError("targets: missing or empty; allowed: a non-empty list of targets")
    targets = [_target(row, k) for k, row in enumerate(rows)]
    ids = [t.id for t in targets]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise TargetError(f"targets: duplicated id(s) {duplicated}; allowed: unique ids")
    return targets


def _target(row: Any, index: int) -> Target:
    if not isinstance(row, Mapping) or "id" not in row:
        raise TargetError(f"targets[{index}]: not a mapping with an 'id'")
    where = f"targets.{row['id']}"
    unknown = sorted(set(row) - _KNOWN_KEYS - _OPTION_KEYS)
    if unknown:
        raise TargetError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_KNOWN_KEYS | _OPTION_KEYS)}")
    for key in ("series", "period", "observed", "source", "confidence", "measure", "rule", "tolerance"):
        if key not in row:
            raise TargetError(f"{where}.{key}: missing")
    if row["measure"] not in MEASURES:
        raise TargetError(f"{where}.measure={row['measure']!r}; allowed: {', '.join(MEASURES)}")
    if row["rule"] not in RULES:
        raise TargetError(f"{where}.rule={row['rule']!r}; allowed: {', '.join(RULES)}")
    tolerance = row["tolerance"]
    if not isinstance(tolerance, (int, float)) or not tolerance > 0:
        raise TargetError(f"{where}.tolerance={tolerance!r}; allowed: a number > 0")
    if row["rule"] == "share" and not tolerance < 1:
        raise TargetError(f"{where}.tolerance={tolerance!r}; allowed for a share rule: a number in (0, 1)")
    series = row["series"]
    series = (series,) if isinstance(series, str) else tuple(series)
    target = Target(
        id=str(row["id"]),
        series=series,
        period=Period.parse(row["period"], where),
        observed=row["observed"],
        unit=str(row.get("unit", "")),
        kind=str(row.get("kind", "")),
        source=str(row["source"]),
        confidence=str(row["confidence"]),
        measure=row["measure"],
        rule=row["rule"],
        tolerance=float(tolerance),
        target_value=row.get("target_value"),
        condition=row.get("condition"),
        options={k: row[k] for k in _OPTION_KEYS if k in row},
        evaluate=bool(row.get("evaluate", True)),
        reason=str(row.get("reason", "")),
    )
    _check_rule_inputs(target, where)
    return target


def _check_rule_inputs(target: Target, where: str) -> None:
    if target.rule == "share":
        _parse_condition(target.condition or "", where)
        return
    try:
        value = target.reference
    except (TypeError, ValueError):
        raise TargetError(
            f"{where}.observed={target.observed!r}; allowed for a level rule: a number (or give target_value)"
        ) from None
    if math.isnan(value):
        raise TargetError(f"{where}.target_value is NaN; allowed: a number")


# --- the simulated panel -------------------------------------------------------------------


class Panel:
    """The trajectories as arrays (replicate x month) per series, plus two-month sums.

    Built once per evaluation, so each target's statistic is a few array operations.
    """

    def __init__(self, trajectories: pd.DataFrame):
        frame = trajectories.sort_values(["replicate", "date"])
        self.months = pd.DatetimeIndex(frame["date"].drop_duplicates().sort_values())
        self.replicates = np.sort(frame["replicate"].unique())
        self._frame = frame
        self._cache: dict[str, np.ndarray] = {}
        starts = self.months.month - (self.months.month - 1) % 2
        self._bimonth_start = pd.to_datetime(
            {"year": self.months.year, "month": starts, "day": np.ones(len(self.months), dtype=int)}
        )

    def matrix(self, name: str) -> np.ndarray:
        """Replicate x month array of one series (milestones as their category strings)."""
        if name not in self._cache:
            if name not in self._frame.columns:
                raise TargetError(f"series {name!r} is not in the trajectories table")
            column = self._frame[name]
            values = (
                column.astype(str).to_numpy()
                if isinstance(column.dtype, pd.CategoricalDtype)
                else (column.to_numpy(dtype=float))
            )
            self._cache[name] = values.reshape(len(self.replicates), len(self.months))
        return self._cache[name]

    def month_mask(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        return np.asarray((self.months >= start) & (self.months <= end))

    def bimonthly(self, name: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """Two-month sums (Jan-Feb, Mar-Apr, ...), complete periods only: (period starts, array)."""
        key = f"bimonthly:{name}"
        if key not in self._cache:
            values = self.matrix(name)
            starts = pd.DatetimeIndex(self._bimonth_start)
            unique = starts.unique()
            counts = np.array([(starts == s).sum() for s in unique])
            sums = np.stack([values[:, np.asarray(starts == s)].sum(axis=1) for s in unique], axis=1)
            keep = counts == 2
            self._cache[key] = sums[:, keep]
            self._cache[f"{key}:index"] = unique[keep]
        return self._cache[f"{key}:index"], self._cache[key]

    def periods_within(self, name: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Two-month sums of the periods that overlap [start, end], replicate x period."""
        index, sums = self.bimonthly(name)
        overlap = np.asarray((index <= end) & (index + pd.DateOffset(months=1) >= start))
        if not overlap.any():
            raise TargetError(f"no complete two-month period of {name} in {start:%Y-%m}..{end:%Y-%m}")
        return sums[:, overlap]

    def annual_mean(self, name: str, year: int) -> np.ndarray:
        mask = np.asarray(self.months.year == year)
        if mask.sum() < 12:
            raise TargetError(
                f"year {year} of {name} is not fully simulated (run covers "
                f"{self.months[0]:%Y-%m}..{self.months[-1]:%Y-%m})"
            )
        return self.matrix(name)[:, mask].mean(axis=1)


# --- per-replicate statistics ----------------------------------------------------------------


def statistic(panel: Panel, target: Target) -> np.ndarray:
    """The target's statistic for each replicate (float; +inf where an event never happens)."""
    return _MEASURE_FUNCTIONS[target.measure](panel, target)


def _bimonthly(panel: Panel, t: Target) -> np.ndarray:
    per_series = [panel.periods_within(s, t.period.start, t.period.end).mean(axis=1) for s in t.series]
    if len(per_series) == 1:
        return per_series[0]
    reduce = t.options.get("reduce_series", "min")
    return {"min": np.min, "max": np.max, "mean": np.mean}[reduce](np.stack(per_series), axis=0)


def _share_positive(panel: Panel, t: Target) -> np.ndarray:
    return (panel.periods_within(t.series[0], t.period.start, t.period.end) > 0).mean(axis=1)


def _slope(panel: Panel, t: Target) -> np.ndarray:
    values = panel.periods_within(t.series[0], t.period.start, t.period.end)
    x = np.arange(values.shape[1], dtype=float)
    x -= x.mean()
    return (values - values.mean(axis=1, keepdims=True)) @ x / (x @ x)


def _peak_since(panel: Panel, t: Target) -> np.ndarray:
    since = Period.parse(t.options.get("since", "2011-01"), t.id).start
    now = panel.periods_within(t.series[0], t.period.start, t.period.end).mean(axis=1)
    before = panel.periods_within(t.series[0], since, t.period.start - pd.DateOffset(months=2))
    return now - before.max(axis=1)


def _lowest_year(panel: Panel, t: Target) -> np.ndarray:
    window = Period.parse(t.options.get("window", "2008-01..2019-12"), t.id)
    index, sums = panel.bimonthly(t.series[0])
    years = range(window.start.year, window.end.year + 1)
    means = {y: sums[:, np.asarray(index.year == y)].mean(axis=1) for y in years if (index.year == y).any()}
    year = t.period.start.year
    if year not in means:
        raise TargetError(f"targets.{t.id}: year {year} is not simulated")
    others = np.stack([m for y, m in means.items() if y != year])
    return means[year] - others.min(axis=0)


def _most_positive(panel: Panel, t: Target) -> np.ndarray:
    first, *rest = (panel.periods_within(s, t.period.start, t.period.end) for s in t.series)
    above = first > 0
    for other in rest:
        above &= first > other
    return above.mean(axis=1)


def _month_value(panel: Panel, t: Target) -> np.ndarray:
    return panel.matrix(t.series[0])[:, _one_month(panel, t)]


def _window_max(panel: Panel, t: Target) -> np.ndarray:
    mask = panel.month_mask(t.period.start, t.period.end)
    if not mask.any():
        raise TargetError(f"targets.{t.id}: period {t.period.label} is outside the run")
    return panel.matrix(t.series[0])[:, mask].max(axis=1)


def _annual_mean(panel: Panel, t: Target) -> np.ndarray:
    return panel.annual_mean(t.series[0], t.period.start.year)


def _yoy_change(panel: Panel, t: Target) -> np.ndarray:
    year = t.period.start.year
    return 100.0 * (panel.annual_mean(t.series[0], year) / panel.annual_mean(t.series[0], year - 1) - 1.0)


def _months_to_state(panel: Panel, t: Target) -> np.ndarray:
    """Months from the observed date to the first month in ``state`` (+inf: not by the run's end)."""
    states = panel.matrix(t.series[0])
    reached = states == t.options.get("state", "concluded")
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    offset = np.array(
        [(m.year - t.period.start.year) * 12 + m.month - t.period.start.month for m in panel.months],
        dtype=float,
    )
    return np.where(first >= 0, offset[np.maximum(first, 0)], np.inf)


def _state_in(panel: Panel, t: Target) -> np.ndarray:
    states = panel.matrix(t.series[0])[:, _one_month(panel, t)]
    return np.isin(states, list(t.options.get("states", []))).astype(float)


def _one_month(panel: Panel, t: Target) -> int:
    where = np.flatnonzero(panel.months == t.period.start)
    if where.size == 0:
        raise TargetError(
            f"targets.{t.id}: month {t.period.start:%Y-%m} is outside the run "
            f"({panel.months[0]:%Y-%m}..{panel.months[-1]:%Y-%m})"
        )
    return int(where[0])


_MEASURE_FUNCTIONS: dict[str, Callable[[Panel, Target], np.ndarray]] = {
    "bimonthly": _bimonthly,
    "share_positive": _share_positive,
    "slope": _slope,
    "peak_since": _peak_since,
    "lowest_year": _lowest_year,
    "most_positive": _most_positive,
    "month_value": _month_value,
    "window_max": _window_max,
    "annual_mean": _annual_mean,
    "yoy_change": _yoy_change,
    "months_to_state": _months_to_state,
    "state_in": _state_in,
}


# --- judging the ensemble --------------------------------------------------------------------

COLUMNS = (
    "id",
    "series",
    "period",
    "kind",
    "source",
    "confidence",
    "observed",
    "unit",
    "rule",
    "tolerance",
    "median",
    "q05",
    "q95",
    "share",
    "z",
    "passed",
)


def judge(target: Target, values: np.ndarray) -> dict[str, Any]:
    """Ensemble statistics of one target and whether it passes (see the module docstring)."""
    finite = values[np.isfinite(values)]
    median = float(np.median(values)) if values.size else math.nan
    q05, q95 = _band(values)
    if target.rule == "level":
        share = math.nan
        z = (median - target.reference) / target.tolerance if math.isfinite(median) else math.inf
    else:
        share = float(target.holds(values).mean())
        z = (1.0 - share) / target.tolerance
    return {
        "id": target.id,
        "series": "+".join(target.series),
        "period": target.period.label,
        "kind": target.kind,
        "source": target.source,
        "confidence": target.confidence,
        "observed": str(target.observed),
        "unit": target.unit,
        "rule": target.describe_rule(),
        "tolerance": target.tolerance,
        "median": median,
        "q05": float(q05),
        "q95": float(q95),
        "share": share,
        "z": float(z),
        "passed": bool(abs(z) <= 1.0),
        "finite_share": float(finite.size / values.size) if values.size else math.nan,
    }


def _band(values: np.ndarray) -> tuple[float, float]:
    """5% and 95% quantiles; by order statistics when some values are infinite (never reached)."""
    if not values.size:
        return math.nan, math.nan
    method = "linear" if np.isfinite(values).all() else "inverted_cdf"
    q05, q95 = np.quantile(values, [0.05, 0.95], method=method)
    return float(q05), float(q95)


def evaluate(trajectories: pd.DataFrame, targets: Iterable[Target]) -> pd.DataFrame:
    """Evaluate every target that can be evaluated; one row per target (see COLUMNS).

    Targets marked ``evaluate: false`` (context outside the simulated window or series) are
    left out here; :func:`context_rows` lists them.
    """
    panel = Panel(trajectories)
    rows = [judge(t, statistic(panel, t)) for t in targets if t.evaluate]
    return pd.DataFrame(rows, columns=[*COLUMNS, "finite_share"])


def context_rows(targets: Iterable[Target]) -> pd.DataFrame:
    """The targets kept for the record but not evaluated, with the reason."""
    rows = [
        {
            "id": t.id,
            "series": "+".join(t.series),
            "period": t.period.label,
            "observed": str(t.observed),
            "unit": t.unit,
            "source": t.source,
            "reason": t.reason,
        }
        for t in targets
        if not t.evaluate
    ]
    return pd.DataFrame(rows, columns=["id", "series", "period", "observed", "unit", "source", "reason"])


def loss(table: pd.DataFrame) -> float:
    """Mean squared standardised error over the evaluated targets (each |z| capped at Z_CAP)."""
    z = np.minimum(np.abs(table["z"].to_numpy(dtype=float)), Z_CAP)
    return float(np.mean(z**2))


def pass_count(table: pd.DataFrame) -> int:
    return int(table["passed"].sum())


def required_span(targets: Sequence[Target]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month the evaluated targets need the run to cover."""
    evaluated = [t for t in targets if t.evaluate]
    return min(t.period.start for t in evaluated), max(t.period.end for t in evaluated)


# --- naive baselines -------------------------------------------------------------------------

NAIVE_METHODS = ("persistence", "linear_trend")
NON_NEGATIVE = ("sanctions_persons", "trade_eu_turnover", "political_prisoners")


def naive_forecast(trajectories: pd.DataFrame, method: str, origin: str = "2010-12") -> pd.DataFrame:
    """What a forecaster standing at ``origin`` would say without the model's mechanisms.

    Each replicate's numeric series after ``origin`` is replaced by its value at the origin
    (``persistence``; the relations indices by their mean over the last two months, the last
    published period) or by the least-squares line through its months up to the origin,
    extended (``linear_trend``). Agreement states are held at their origin state. Evaluating
    the targets on this table shows what the post-origin mechanisms add.
    """
    if method not in NAIVE_METHODS:
        raise ValueError(f"method={method!r}; allowed: {', '.join(NAIVE_METHODS)}")
    end = pd.Timestamp(origin)
    frame = trajectories.sort_values(["replicate", "date"]).reset_index(drop=True)
    months = pd.DatetimeIndex(frame["date"].drop_duplicates().sort_values())
    n_rep, n_month = frame["replicate"].nunique(), len(months)
    t = np.asarray((months.year - end.year) * 12 + months.month - end.month, dtype=float)
    before = t <= 0
    if before.sum() < 2 or before.all():
        raise ValueError(f"origin={origin!r} must leave at least two months before it and one after")
    for column in frame.columns:
        if column in ("date", "replicate"):
            continue
        values = frame[column].to_numpy().reshape(n_rep, n_month).copy()
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            codes = frame[column].cat.codes.to_numpy().reshape(n_rep, n_month).copy()
            codes[:, ~before] = codes[:, [np.flatnonzero(before)[-1]]]
            frame[column] = pd.Categorical.from_codes(codes.ravel(), dtype=frame[column].dtype)
            continue
        if not pd.api.types.is_float_dtype(frame[column]):
            continue
        values[:, ~before] = _naive_block(values[:, before], t[before], t[~before], column, method)
        frame[column] = values.ravel()
    return frame


def _naive_block(
    history: np.ndarray, t_hist: np.ndarray, t_future: np.ndarray, column: str, method: str
) -> np.ndarray:
    """Replicate x future-month values of one series under a naive method."""
    if method == "persistence":
        last = history[:, -2:].mean(axis=1) if column.startswith("relations_") else history[:, -1]
        future = np.repeat(last[:, None], t_future.size, axis=1)
    else:
        centred = t_hist - t_hist.mean()
        slope = (history - history.mean(axis=1, keepdims=True)) @ centred / (centred @ centred)
        level = history.mean(axis=1) - slope * t_hist.mean()
        future = level[:, None] + slope[:, None] * t_future[None, :]
    return np.maximum(future, 0.0) if column in NON_NEGATIVE else future


# --- tables behind the targets figure ------------------------------------------------------

BAND_COLUMNS = ("series", "resolution", "date", "median", "q05", "q95")
POINT_MEASURES = ("bimonthly", "month_value", "window_max", "annual_mean")


def series_bands(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Ensemble median and 5-95% band of each series in the unit its targets use.

    Relations indices as two-month sums (dated by the period's first month), sanctions
    monthly, trade as annual means (dated 1 July of the year).
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
    if "trade_eu_turnover" in trajectories.columns:
        years = sorted({y for y in panel.months.year if (panel.months.year == y).sum() == 12})
        annual = np.stack([panel.annual_mean("trade_eu_turnover", y) for y in years], axis=1)
        dates = pd.DatetimeIndex([pd.Timestamp(year=y, month=7, day=1) for y in years])
        parts.append(_band_frame("trade_eu_turnover", "year", dates, annual))
    return pd.concat(parts, ignore_index=True)[list(BAND_COLUMNS)]


def _band_frame(name: str, resolution: str, dates: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    q05, median, q95 = np.quantile(values, [0.05, 0.5, 0.95], axis=0)
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
        start, end = t.period.start, t.period.end
        if t.measure == "annual_mean":
            start = end = pd.Timestamp(year=start.year, month=7, day=1)
        elif t.measure == "bimonthly":
            start = start - pd.DateOffset(months=(start.month - 1) % 2)
            end = end - pd.DateOffset(months=(end.month - 1) % 2)
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
