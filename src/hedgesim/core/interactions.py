"""Belarus's interactions with each partner in a month: cooperation and conflict, the drivers
of trust and of the observable events (docs/ODD.md, section 3.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hedgesim.core import kernels
from hedgesim.core.vocabulary import DYADS, EU, RUSSIA, UKRAINE

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel


@dataclass
class Dyad:
    """Belarus's interactions with one partner this month: the observable events' drivers."""

    cooperation: np.ndarray
    conflict: np.ndarray


def interact(m: HedgingModel) -> dict[str, Dyad]:
    """Each dyad's cooperation and conflict: the month's impulses plus routine and friction."""
    p, imp = m.params, m.impulses
    cooperation, conflict = exchanges(
        m.belarus.weights,
        m.eu.offer,
        m.russia.trust,
        m.russia.supply_cut,
        m.aligned,
        m.tension,
        m.lithuania.concern,
        m.eu.new_listings,
        m.eu.condemned,
        m.spoiled,
        imp.supply_cut,
        imp.gas_dispute,
        m.russia.pressure,
        m.alignment_conflict,
        *(imp.coop[d] for d in DYADS),
        *(imp.conflict[d] for d in DYADS),
        p.engagement_scale,
        p.alliance_routine,
        p.sanctions_friction,
        p.sanctions_full,
        p.repression_friction,
        p.spoiler_trust_hit,
        p.dispute_friction,
        p.pressure_friction,
        p.npp_friction,
    )
    return {d: Dyad(cooperation[k], conflict[k]) for k, d in enumerate(DYADS)}


def _example() -> tuple:
    """Arguments of ``exchanges`` as a run with one value per parameter passes them."""
    one, no = lambda: np.full(1, 0.5), lambda: np.zeros(1, dtype=bool)
    state = (np.full((1, 4), 0.25), one(), one(), one(), no(), one(), one(), one(), one(), no())
    return (*state, *(one() for _ in range(12)), *(0.5 for _ in range(9)))


@kernels.compilable(_example)
def exchanges(
    weights,
    eu_offer,
    russia_trust,
    supply_cut,
    aligned,
    tension,
    npp_concern,
    new_listings,
    condemned,
    spoiled,
    imp_supply_cut,
    imp_gas_dispute,
    russia_pressure,
    alignment_conflict,
    coop_eu,
    coop_russia,
    coop_ukraine,
    coop_lithuania,
    conflict_eu,
    conflict_russia,
    conflict_ukraine,
    conflict_lithuania,
    engagement_scale,
    alliance_routine,
    sanctions_friction,
    sanctions_full,
    repression_friction,
    spoiler_trust_hit,
    dispute_friction,
    pressure_friction,
    npp_friction,
) -> tuple[np.ndarray, np.ndarray]:
    """Cooperation and conflict per dyad, rows in ``DYADS`` order, each (4, R): the month's
    impulses plus routine contact (engagement weight times the partner's openness, scaled) and
    standing frictions (listings, the EU's condemnation of prisoners held and spoilers; disputes
    and pressure; Belarus's alignment for Ukraine; the NPP for Lithuania)."""
    rows = eu_offer.shape[0]
    w_eu, w_russia, w_ukraine = weights[:, EU], weights[:, RUSSIA], weights[:, UKRAINE]
    cooperation = np.empty((4, rows))
    cooperation[0] = coop_eu + engagement_scale * (w_eu * eu_offer)
    russia = alliance_routine * w_russia * russia_trust * (1.0 - supply_cut)
    cooperation[1] = coop_russia + engagement_scale * russia
    ukraine = w_ukraine * np.where(aligned, 0.0, 1.0) * (0.5 + tension)
    cooperation[2] = coop_ukraine + engagement_scale * ukraine
    cooperation[3] = coop_lithuania + engagement_scale * (w_eu * (1.0 - npp_concern))
    conflict = np.empty((4, rows))
    listed = sanctions_friction * new_listings / np.maximum(sanctions_full, 1.0)
    conflict[0] = conflict_eu + (listed + repression_friction * condemned + spoiled * spoiler_trust_hit)
    disputes = dispute_friction * (imp_supply_cut + imp_gas_dispute)
    conflict[1] = conflict_russia + (disputes + pressure_friction * russia_pressure)
    conflict[2] = conflict_ukraine + alignment_conflict
    conflict[3] = conflict_lithuania + npp_friction * npp_concern
    return cooperation, conflict
