"""Every target hedgesim judges: the targets file's rows plus those coded from the evidence record.

The targets file (``conf/calibration/targets.yaml``) holds the hand-written rows; the evidence
record adds one target per fact of the Belarus Foreign Policy Index (:mod:`hedgesim.analysis.bfpi`)
and per trade share (:mod:`hedgesim.analysis.trade_shares`), coded by a written rule. A file row
that already judges a BFPI fact names it (``bfpi: [No7 eu]``), so the fact counts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hedgesim.analysis.bfpi import bfpi_targets, covered_pairs
from hedgesim.analysis.targets import Target, TargetError, targets_from_mapping
from hedgesim.analysis.trade_shares import trade_share_targets


def record_targets(
    targets: Mapping[str, Any],
    bfpi: Mapping[str, Any] | None = None,
    trade_shares: Mapping[str, Any] | None = None,
) -> list[Target]:
    """The targets file's rows, then the BFPI-coded, then the trade-share targets.

    Args:
        targets: the parsed targets file (a ``targets:`` list).
        bfpi: the parsed ``bfpi.yaml``, or None to code no BFPI rows.
        trade_shares: the parsed ``trade_shares.yaml``, or None.

    Raises:
        TargetError: a malformed row in any of them, an id used twice, or nothing to judge.
    """
    written = targets_from_mapping(targets)
    coded = bfpi_targets(bfpi, covered_pairs(targets["targets"])) if bfpi is not None else []
    coded += trade_share_targets(trade_shares) if trade_shares is not None else []
    ids = [t.id for t in written + coded]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise TargetError(f"targets: duplicated id(s) {duplicated}; allowed: unique ids")
    if not any(t.evaluate for t in written + coded):  # the commands would fail after loading
        raise TargetError(
            f"targets: no row is judged (all {len(ids)} are context); allowed: at least one "
            "evidence or fitted target"
        )
    return written + coded


def by_class(targets: list[Target]) -> dict[str, list[Target]]:
    """The targets grouped by class (evidence, fitted, context), in their order."""
    groups: dict[str, list[Target]] = {"evidence": [], "fitted": [], "context": []}
    for t in targets:
        groups[t.role].append(t)
    return groups
