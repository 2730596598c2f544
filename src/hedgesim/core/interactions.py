"""Belarus's interactions with each partner in a month: cooperation and conflict, the drivers
of trust and of the observable events (docs/ODD.md, section 3.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hedgesim.core import hedging
from hedgesim.core.vocabulary import DYADS

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel


@dataclass
class Dyad:
    """Belarus's interactions with one partner this month: the observable events' drivers."""

    cooperation: np.ndarray
    conflict: np.ndarray


def interact(m: HedgingModel) -> dict[str, Dyad]:
    """Each dyad's cooperation and conflict: the month's impulses plus routine and friction."""
    imp, scale = m.impulses, m.params.engagement_scale
    contact, frictions = routine(m), friction(m)
    return {d: Dyad(imp.coop[d] + scale * contact[d], imp.conflict[d] + frictions[d]) for d in DYADS}


def routine(m: HedgingModel) -> dict[str, np.ndarray]:
    """Routine contact: engagement weight times the partner's openness."""
    p, w = m.params, m.belarus.weights
    return {
        "eu": w[:, hedging.EU] * m.eu.offer,
        "russia": p.alliance_routine * w[:, hedging.RUSSIA] * m.russia.trust * (1.0 - m.russia.supply_cut),
        "ukraine": w[:, hedging.UKRAINE] * np.where(m.aligned, 0.0, 1.0) * (0.5 + m.tension),
        "lithuania": w[:, hedging.EU] * (1.0 - m.lithuania.concern),
    }


def friction(m: HedgingModel) -> dict[str, np.ndarray]:
    """Standing frictions: listings, the EU's condemnation of political prisoners held and
    spoilers; disputes and pressure; alignment; the NPP."""
    p, imp = m.params, m.impulses
    return {
        "eu": p.sanctions_friction * m.eu.new_listings / np.maximum(p.sanctions_full, 1.0)
        + p.repression_friction * m.eu.condemned
        + m.spoiled * p.spoiler_trust_hit,
        "russia": p.dispute_friction * (imp.supply_cut + imp.gas_dispute)
        + p.pressure_friction * m.russia.pressure,
        "ukraine": m.alignment_conflict,
        "lithuania": p.npp_friction * m.lithuania.concern,
    }
