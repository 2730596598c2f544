"""Belarus's trade shares by partner as targets on the hedge's composition.

The model's engagement weights (``hedge_eu``, ``hedge_russia``, ``hedge_ukraine``,
``hedge_other``; they sum to one) are Belarus's choice of how to spread its ties. Their nearest
observable is the partners' shares in Belarus's trade turnover (exports plus imports), so a
turnover share in ``conf/calibration/trade_shares.yaml`` becomes a level target on the annual
mean of the matching weight. Export-only or import-only shares are a different observable (oil
products refined from Russian crude inflate the EU's export share, Russian energy prices
Russia's import share) and are kept as context; so are low-confidence and derived shares. The
mapping and its distortions: docs/calibration.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from hedgesim.analysis.targets import Target, TargetError, targets_from_mapping

SERIES = {"russia": "hedge_russia", "eu": "hedge_eu", "ukraine": "hedge_ukraine", "rest": "hedge_other"}
"""The engagement weight a partner's share is compared with (``rest`` is the outside option)."""
TOLERANCE = {"high": 0.05, "medium": 0.08}
"""Shares of one: a Belstat figure to one decimal (high) or a rounded official statement (medium)."""
JUDGED_MEASURE = "turnover"
_CONTEXT = {
    "exports": "exports only: a different observable (oil products refined from Russian crude "
    "inflate the EU's export share)",
    "imports": "imports only: a different observable (Russian oil and gas prices inflate Russia's "
    "import share)",
    "derived": "derived here by arithmetic from the source's levels (low confidence): reported, not judged",
    "low": "low confidence (a range or approximate wording): reported, not judged",
}


def trade_share_targets(data: Mapping[str, Any]) -> list[Target]:
    """One target per stated share of a found row (turnover judged, the rest context).

    Raises:
        TargetError: a malformed row, naming its year.
    """
    rows = data.get("trade_shares") if isinstance(data, Mapping) else None
    if not isinstance(rows, list):
        raise TargetError("trade_shares: missing; allowed: a list of yearly rows")
    out: list[dict[str, Any]] = []
    for row in rows:
        if not isinstance(row, Mapping) or row.get("status") != "found":
            continue
        out += _row_targets(row)
    return targets_from_mapping({"targets": out}) if out else []


def _row_targets(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stated shares of one row, then its derived ones (always context)."""
    measure = row.get("measure")
    if measure not in ("turnover", "exports", "imports"):
        raise TargetError(
            f"trade_shares {row.get('year')}.measure={measure!r}; allowed: turnover, exports, imports"
        )
    confidence = str(row.get("confidence", "low"))
    out = [
        _target_row(row, partner, value, confidence, None)
        for partner, value in (row.get("shares") or {}).items()
        if value is not None
    ]
    derived = row.get("derived") or {}
    out += [
        _target_row(row, partner, value, "low", "derived")
        for partner, value in (derived.get("shares") or {}).items()
        if value is not None
    ]
    return out


def _target_row(
    row: Mapping[str, Any], partner: str, value: Any, confidence: str, derived: str | None
) -> dict[str, Any]:
    """The targets-file row of one partner's share: annual mean of its weight, level rule."""
    if partner not in SERIES:
        raise TargetError(f"trade_shares {row['year']}.shares.{partner}; allowed: {', '.join(SERIES)}")
    measure = str(row["measure"])
    low, high = (value, value) if not isinstance(value, list) else value
    reason = _context_reason(measure, confidence, derived)
    return {
        "id": f"trade_share_{row['year']}_{measure}_{partner}" + ("_derived" if derived else ""),
        "series": SERIES[partner],
        "period": str(row["year"]),
        "observed": round(float(value) / 100, 4) if low == high else [low / 100, high / 100],
        "target_value": round((low + high) / 200, 4),
        "unit": f"share_of_{measure}",
        "kind": "share",
        "source": _source(row),
        "confidence": confidence,
        "measure": "annual_mean",
        "rule": "level",
        "tolerance": round(TOLERANCE.get(confidence, TOLERANCE["medium"]) + (high - low) / 200, 4),
        "class": "context" if reason else "evidence",
        **({"reason": reason} if reason else {}),
    }


def _context_reason(measure: str, confidence: str, derived: str | None) -> str:
    """Why a share is reported but not judged ('' when it is judged)."""
    if measure != JUDGED_MEASURE:
        return _CONTEXT[measure]
    if derived:
        return _CONTEXT["derived"]
    if confidence not in TOLERANCE:
        return _CONTEXT["low"]
    return ""


def _source(row: Mapping[str, Any]) -> str:
    """A few words of what the source says and the site it says it on."""
    site = urlparse(str(row.get("source") or "")).netloc.removeprefix("www.")
    return f"{row.get('basis', '')} ({site})" if site else str(row.get("basis", ""))
