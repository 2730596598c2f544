"""The observed 2011-2019 targets: what each one says and how it is read from its YAML file.

A target is a fact from the historical record (a Belarus Foreign Policy Index value, a
sanctions count, a trade figure, a milestone) together with how it is measured on each
simulated replicate (``measure``, see :mod:`hedgesim.analysis.measures`) and when the ensemble
counts as reproducing it (``rule`` and ``tolerance``, see :mod:`hedgesim.analysis.pass_rules`).
This module takes the parsed ``conf/calibration/targets.yaml`` mapping and returns validated
Target objects, so every later step can trust them; a malformed entry is one TargetError that
names the target and the key.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

RULES = ("level", "share")
ROLES = ("evidence", "fitted", "context")
"""What a target's pass says: ``evidence`` is behaviour the mechanisms must produce; ``fitted``
means a parameter is set from it or it is an accounting identity of inputs (its pass says
nothing about the mechanisms); ``context`` is reported but never judged."""
MEASURES = (
    "bimonthly",
    "share_positive",
    "slope",
    "peak_since",
    "lowest_year",
    "most_positive",
    "change_since",
    "month_value",
    "window_max",
    "annual_mean",
    "yoy_change",
    "months_to_state",
    "state_in",
)
UNIT_WORDS = {
    "index_pts_per_2_months": "points per two months",
    "index_pts": "points per two months",
    "USD_bn": "USD bn",
    "persons": "persons",
    "persons_in_force": "persons",
    "percent_yoy": "%",
    "share_of_turnover": "(share of turnover)",
    "share_of_exports": "(share of exports)",
    "share_of_imports": "(share of imports)",
}
"""A target's unit as the reports write it."""
_REDUCED = {"min": "lowest of the indices", "max": "highest of the indices", "mean": "mean of the indices"}
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
        """The span a target's ``period`` string covers; ``where`` names it in errors."""
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
        """The span as the reports print it: ``2014-09`` or ``2014-09..2014-10``."""
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
    role: str = "evidence"

    @property
    def reference(self) -> float:
        """The number a ``level`` rule compares the median with."""
        return float(self.observed if self.target_value is None else self.target_value)

    @property
    def required_share(self) -> float:
        """The share of replicates a ``share`` rule asks for."""
        return 1.0 - self.tolerance

    def describe_rule(self) -> str:
        """The pass rule in words, for the reports: what is measured, in which unit, when it passes."""
        share = f"in at least {self.required_share:.0%} of replicates"
        if self.measure == "months_to_state":
            state = self.options.get("state", "concluded")
            if self.rule == "level":
                month = self.period.start + pd.DateOffset(months=round(self.reference))
                return f"median month {state} within {self.tolerance:g} months of {month:%Y-%m}"
            return f"{state} {self.condition} months after {self.period.start:%Y-%m} {share}"
        if self.measure == "state_in" and self.rule == "share" and self.condition == "> 0":
            states = " or ".join(self.options.get("states", []))
            return f"{self.series[0]} {states} in {self.period.start:%Y-%m} {share}"
        unit = self.statistic_unit()
        unit = f" {unit}" if unit else ""
        if self.rule == "level":
            return f"median {self.statistic_words()} within {self.tolerance:g} of {self.reference:g}{unit}"
        return f"{self.statistic_words()} {self.condition}{unit} {share}"

    def statistic_words(self) -> str:
        """What is measured on each replicate, in words (see hedgesim.analysis.measures)."""
        options, series, state = self.options, self.series[0], self.options.get("state", "concluded")
        words = {
            "bimonthly": "index"
            if len(self.series) == 1
            else f"{_REDUCED[options.get('reduce_series', 'min')]}",
            "share_positive": "share of two-month periods above 0",
            "slope": "trend of the two-month index",
            "peak_since": f"index minus its highest since {options.get('since', '2011-01')}",
            "lowest_year": f"{self.period.start.year} mean index minus the lowest other year's",
            "most_positive": f"share of periods with {series} positive and above the others",
            "change_since": ("size of the change" if options.get("absolute") else "change")
            + f" since {options.get('previous', '')}",
            "month_value": f"value in {self.period.start:%Y-%m}",
            "window_max": f"highest value in {self.period.label}",
            "annual_mean": f"mean of {self.period.start.year}",
            "yoy_change": "change on the year before",
            "months_to_state": f"months from {self.period.start:%Y-%m} to {state}",
            "state_in": f"1 if {series} is {' or '.join(options.get('states', []))}, else 0",
        }
        return words.get(self.measure, "statistic")

    def statistic_unit(self) -> str:
        """The unit of the statistic each replicate gives (what the report's medians are in)."""
        if self.measure in ("share_positive", "most_positive", "state_in"):
            return ""
        if self.measure == "months_to_state":
            return (
                f"months after {self.period.start:%Y-%m} (the observed date; negative: before it, "
                "never: not in the run)"
            )
        if self.measure == "slope":
            return "points per two-month period"
        return UNIT_WORDS.get(self.unit, self.unit.replace("_", " "))

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Per replicate: does the statistic meet the share rule's condition?"""
        op, threshold = _parse_condition(self.condition or "", self.id)
        with np.errstate(invalid="ignore"):
            return op(values, threshold)


def _parse_condition(text: str, where: str) -> tuple[Callable, float]:
    """The comparison and threshold of a share rule's condition, e.g. ``'>= 0.25'``."""
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
    "class",
    "bfpi",
}
_OPTION_KEYS = {"window", "since", "reduce_series", "state", "states", "previous", "absolute"}


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
    """One validated Target from one entry of the ``targets:`` list."""
    if not isinstance(row, Mapping) or "id" not in row:
        raise TargetError(f"targets[{index}]: not a mapping with an 'id'")
    where = f"targets.{row['id']}"
    _check_keys(row, where)
    series = row["series"]
    target = Target(
        id=str(row["id"]),
        series=(series,) if isinstance(series, str) else tuple(series),
        period=Period.parse(row["period"], where),
        observed=row["observed"],
        unit=str(row.get("unit", "")),
        kind=str(row.get("kind", "")),
        source=str(row["source"]),
        confidence=str(row["confidence"]),
        measure=row["measure"],
        rule=row["rule"],
        tolerance=float(row["tolerance"]),
        target_value=row.get("target_value"),
        condition=row.get("condition"),
        options={k: row[k] for k in _OPTION_KEYS if k in row},
        evaluate=_role(row) != "context",
        reason=str(row.get("reason", "")),
        role=_role(row),
    )
    _check_rule_inputs(target, where)
    return target


def _check_keys(row: Mapping[str, Any], where: str) -> None:
    """Known keys only, the required ones present, measure, rule and tolerance allowed."""
    unknown = sorted(set(row) - _KNOWN_KEYS - _OPTION_KEYS)
    if unknown:
        raise TargetError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_KNOWN_KEYS | _OPTION_KEYS)}")
    for key in ("series", "period", "observed", "source", "confidence", "measure", "rule", "tolerance"):
        if key not in row:
            raise TargetError(f"{where}.{key}: missing")
    if row["measure"] not in MEASURES:
        raise TargetError(f"{where}.measure={row['measure']!r}; allowed: {', '.join(MEASURES)}")
    _check_role(row, where)
    if row["measure"] == "change_since":
        try:
            Period.parse(row["previous"], where)
        except (KeyError, TargetError):
            raise TargetError(
                f"{where}.previous={row.get('previous')!r}; allowed for change_since: the period the "
                "change is taken against (YYYY-MM..YYYY-MM)"
            ) from None
    if row["rule"] not in RULES:
        raise TargetError(f"{where}.rule={row['rule']!r}; allowed: {', '.join(RULES)}")
    tolerance = row["tolerance"]
    if not isinstance(tolerance, (int, float)) or not tolerance > 0:
        raise TargetError(f"{where}.tolerance={tolerance!r}; allowed: a number > 0")
    if row["rule"] == "share" and not tolerance < 1:
        raise TargetError(f"{where}.tolerance={tolerance!r}; allowed for a share rule: a number in (0, 1)")


def _role(row: Mapping[str, Any]) -> str:
    """The row's class; without one, ``evaluate: false`` reads as context, anything else as evidence."""
    return str(row.get("class", "evidence" if row.get("evaluate", True) else "context"))


def _check_role(row: Mapping[str, Any], where: str) -> None:
    """A known class that agrees with ``evaluate``; fitted and context rows say why in ``reason``."""
    role = _role(row)
    if role not in ROLES:
        raise TargetError(f"{where}.class={role!r}; allowed: {', '.join(ROLES)}")
    if "evaluate" in row and bool(row["evaluate"]) != (role != "context"):
        raise TargetError(
            f"{where}: class {role} with evaluate: {row['evaluate']}; "
            "allowed: context rows only are not judged"
        )
    if role != "evidence" and not str(row.get("reason", "")).strip():
        raise TargetError(f"{where}.reason: missing; allowed: a {role} row says why in 'reason'")


def _check_rule_inputs(target: Target, where: str) -> None:
    """A share rule needs a readable condition; a level rule a numeric reference."""
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


def evidence(targets: Sequence[Target]) -> list[Target]:
    """The targets whose pass counts as evidence for the mechanisms."""
    return [t for t in targets if t.evaluate and t.role == "evidence"]


def required_span(targets: Sequence[Target]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month the evaluated targets need the run to cover (a change's base included)."""
    evaluated = [t for t in targets if t.evaluate]
    starts = [t.period.start for t in evaluated]
    starts += [Period.parse(t.options["previous"], t.id).start for t in evaluated if "previous" in t.options]
    return min(starts), max(t.period.end for t in evaluated)
