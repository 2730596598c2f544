"""A hand-built target row for the tests that judge targets: one level target on the EU index."""

from __future__ import annotations


def level_row(target_id: str = "t", **overrides) -> dict:
    """A valid ``targets:`` entry (EU relations 22 in 2014-09/10, high confidence), overridden."""
    return {
        "id": target_id,
        "series": "relations_eu",
        "period": "2014-09..2014-10",
        "observed": 22,
        "source": "test",
        "confidence": "high",
        "measure": "bimonthly",
        "rule": "level",
        "tolerance": 6,
    } | overrides
