"""The Belarus Foreign Policy Index as targets: one written rule from each coded row to a judgement.

``conf/calibration/bfpi.yaml`` codes every issue (No1-No36) and vector as BISS's summary states
it: a level where a number is given, else a direction against the previous issue and/or the sign
(zone) of the index. This module turns each found row into Target rows by a fixed rule, so that
no fact is picked by hand and none is counted twice (docs/calibration.md, "Targets from the
evidence record"):

* a stated ``level`` -> the ``bimonthly`` index of the issue's period within 6 (high) or 8
  (medium) points; ``break_even`` -> level 0;
* ``up`` / ``down`` -> the change of the index against the previous issue's period
  (``change_since``) above / below zero; ``flat`` -> its size at most ``FLAT`` points;
* a zone -> the sign of the period's index (a stated level already fixes it);
* ``peak_since`` / ``record_high`` -> the ``peak_since`` measure over the index's own span;
* share rules need the fact in 67% (high) or 50% (medium) of the replicates.

Context, reported but not judged: low-confidence rows, the ``other`` vector (the model has no
relations index for China and the developing countries), ``mixed`` movements and record lows.
A fact a ``targets.yaml`` row already judges (its ``bfpi:`` key) is not coded again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hedgesim.analysis.targets import Target, TargetError, targets_from_mapping

SERIES = {"eu": "relations_eu", "russia": "relations_russia", "ukraine": "relations_ukraine"}
"""The index vectors the model has; BFPI's ``other`` (China plus developing countries) has none."""
VECTORS = (*SERIES, "other")
LEVEL_TOLERANCE = {"high": 6.0, "medium": 8.0}
SHARE_TOLERANCE = {"high": 0.33, "medium": 0.5}
FLAT = 6.0
"""|change| <= 6 points per two months reads as "unchanged": four events of 1.5 points, the
tolerance of a high-confidence level, well inside the 5-10 points the index moves by without a
change of course."""
INDEX_START = "2011-01"
"""The first month BFPI scores (No1): a peak or record is measured from here, whatever the wording."""
UNIT = "index_pts_per_2_months"
STATE_FACTS = ("level", "break_even", "negative", "positive", "peak_since", "record_high", "record_low")
"""The facts about the index's value (not its change) a ``targets.yaml`` row may already judge."""
_REF = re.compile(r"^No(\d+) (eu|russia|ukraine|other)$")
_CONTEXT = {
    "other": "the model has no relations index for BFPI's China and developing-countries vectors",
    "mixed": "opposite movements within the vector: no single direction to judge",
    "record_low": "no measure for a record low (not met in the coded summaries)",
    "no_previous": "no earlier issue to compare the direction with",
    "low": "low confidence (inferred from context, a year review or one component): reported, not judged",
}


def bfpi_targets(data: Mapping[str, Any], covered: Iterable[tuple[int, str]] = ()) -> list[Target]:
    """Targets for every found BFPI row, by the module's rule.

    Args:
        data: the parsed ``bfpi.yaml`` mapping (a ``bfpi:`` list of rows).
        covered: (issue, vector) pairs whose level, zone or extremum a targets.yaml row judges.

    Raises:
        TargetError: a malformed row, or a covered pair with no such fact to cover.
    """
    rows = _rows(data)
    covered = set(covered)
    _check_covered(rows, covered)
    periods = {int(r["issue"]): str(r["period"]) for r in rows}
    out: list[dict[str, Any]] = []
    for row in rows:
        if row.get("status") != "found":
            continue
        issue, vector = int(row["issue"]), str(row["vector"])
        facts = _facts(row, periods.get(issue - 1))
        if (issue, vector) in covered:
            facts = [f for f in facts if f["fact"] not in STATE_FACTS]
        out += [_target_row(row, fact) for fact in facts]
    return targets_from_mapping({"targets": out}) if out else []


def covered_pairs(rows: Sequence[Mapping[str, Any]]) -> set[tuple[int, str]]:
    """The (issue, vector) pairs the ``bfpi:`` keys of targets.yaml rows name (``"No7 eu"``)."""
    pairs = set()
    for row in rows:
        refs = row.get("bfpi", [])
        for ref in [refs] if isinstance(refs, str) else refs:
            match = _REF.match(str(ref))
            if not match:
                raise TargetError(f"targets.{row.get('id')}.bfpi={ref!r}; allowed: 'No<issue> <vector>'")
            pairs.add((int(match.group(1)), match.group(2)))
    return pairs


def _rows(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``bfpi:`` list, each row with an issue, a period and a known vector."""
    rows = data.get("bfpi") if isinstance(data, Mapping) else None
    if not isinstance(rows, list) or not rows:
        raise TargetError("bfpi: missing or empty; allowed: a non-empty list of coded issues")
    for k, row in enumerate(rows):
        if not isinstance(row, Mapping) or not {"issue", "period", "vector", "status"} <= set(row):
            raise TargetError(f"bfpi[{k}]: allowed: a mapping with issue, period, vector and status")
        if row["vector"] not in VECTORS:
            raise TargetError(f"bfpi[{k}].vector={row['vector']!r}; allowed: {', '.join(VECTORS)}")
    return rows


def _check_covered(rows: Sequence[Mapping[str, Any]], covered: set[tuple[int, str]]) -> None:
    """Every covered pair is a found row with a level, zone or extremum to cover."""
    found = {(int(r["issue"]), str(r["vector"])): r for r in rows if r.get("status") == "found"}
    for issue, vector in sorted(covered):
        row = found.get((issue, vector))
        if row is None or not any(f["fact"] in STATE_FACTS for f in _facts(row, None)):
            raise TargetError(
                f"bfpi No{issue} {vector}: named by a targets.yaml row but no found level, zone or "
                "extremum to judge; allowed: a found row with one"
            )


def _facts(row: Mapping[str, Any], previous: str | None) -> list[dict[str, Any]]:
    """What a row states, each as the measure and rule that judge it (class and ids come later)."""
    facts = []
    if row.get("level") is not None:
        facts.append(_level("level", row["level"], "level"))
    direction = row.get("direction")
    if direction is not None:
        facts.append(_direction(str(direction), row, previous))
    zone = row.get("zone")
    if zone is not None and row.get("level") is None:
        facts.append(_zone(str(zone), row))
    return facts


def _level(fact: str, value: Any, kind: str) -> dict[str, Any]:
    """A stated value: the ensemble median of the period's index must lie near it."""
    return {"fact": fact, "observed": value, "measure": "bimonthly", "rule": "level", "kind": kind}


def _share(fact: str, observed: str, measure: str, condition: str, kind: str, **options) -> dict[str, Any]:
    """A sign or a direction: the fact must hold in enough replicates, not in the median one."""
    return {
        "fact": fact,
        "observed": observed,
        "measure": measure,
        "rule": "share",
        "condition": condition,
        "kind": kind,
        **options,
    }


def _direction(direction: str, row: Mapping[str, Any], previous: str | None) -> dict[str, Any]:
    """A direction word as a rule on the change against the previous issue, or on an extremum."""
    if direction == "break_even":
        return _level("break_even", 0, "level")
    if direction in ("peak_since", "record_high"):
        since = max(str(row.get("since") or INDEX_START), INDEX_START)
        observed = f"peak_since_{row['since']}" if direction == "peak_since" else "record_high"
        return _share(direction, observed, "peak_since", "> 0", "stylised", since=since)
    if direction in ("mixed", "record_low"):
        return {"fact": direction, "observed": direction, "context": _CONTEXT[direction]}
    if direction not in ("up", "down", "flat"):
        raise TargetError(f"bfpi No{row['issue']} {row['vector']}.direction={direction!r}; unknown")
    if previous is None:
        return {"fact": direction, "observed": direction, "context": _CONTEXT["no_previous"]}
    condition = {"up": "> 0", "down": "< 0", "flat": f"<= {FLAT:g}"}[direction]
    fact = _share(direction, direction, "change_since", condition, "direction", previous=previous)
    return fact | ({"absolute": True} if direction == "flat" else {})


def _zone(zone: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The sign of the period's index; ``all_positive`` is the positive zone of every vector."""
    if zone not in ("negative_zone", "positive_zone", "all_positive"):
        raise TargetError(f"bfpi No{row['issue']} {row['vector']}.zone={zone!r}; unknown")
    if zone == "negative_zone":
        return _share("negative", "<0", "bimonthly", "< 0", "sign")
    observed = ">0 (all vectors)" if zone == "all_positive" else ">0"
    return _share("positive", observed, "bimonthly", "> 0", "sign")


def _target_row(row: Mapping[str, Any], fact: Mapping[str, Any]) -> dict[str, Any]:
    """The targets-file row of one fact: series, period, source, class and tolerance by confidence."""
    issue, vector = int(row["issue"]), str(row["vector"])
    confidence = str(row.get("confidence") or "low")
    spec = {k: v for k, v in fact.items() if k not in ("fact", "context")}
    spec.setdefault("measure", "bimonthly")
    spec.setdefault("rule", "share")
    if spec["rule"] == "share":
        spec.setdefault("condition", "> 0")
    scale = LEVEL_TOLERANCE if spec["rule"] == "level" else SHARE_TOLERANCE
    reason = _context_reason(vector, confidence, fact.get("context"))
    return {
        "id": f"bfpi{issue:02d}_{vector}_{fact['fact']}",
        "series": SERIES.get(vector, f"relations_{vector}"),
        "period": str(row["period"]),
        "unit": UNIT,
        "source": _source(row, fact["fact"]),
        "confidence": confidence,
        "tolerance": scale.get(confidence, scale["medium"]),
        **spec,
        "kind": spec.get("kind", "sign"),
        "class": "context" if reason else "evidence",
        **({"reason": reason} if reason else {}),
    }


def _context_reason(vector: str, confidence: str, context: str | None) -> str:
    """Why a fact is reported but not judged ('' when it is judged)."""
    if vector not in SERIES:
        return _CONTEXT["other"]
    if context:
        return context
    if confidence not in LEVEL_TOLERANCE:
        return _CONTEXT["low"]
    return ""


def _source(row: Mapping[str, Any], fact: str) -> str:
    """The issue and a few words of its summary; a sign taken from another issue says which."""
    basis = row.get("zone_basis") if fact in ("negative", "positive") and row.get("zone_basis") else None
    words = basis or row.get("basis") or ""
    return f"Belarus Foreign Policy Index No{row['issue']}" + (f" ({words})" if words else "")
