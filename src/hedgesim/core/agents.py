"""The five actors. Each holds its state as arrays over the ensemble's replicates.

Every month each agent, in turn: ``perceive`` (take in the shocks that hit it), ``update_trust``
(from the month's interactions with Belarus, faster down than up) and ``decide`` (its policy).
The model calls the verbs in that order for all agents, and ``decide`` in the order EU, Russia,
Lithuania, Ukraine, Belarus, so Belarus answers the month's offers and pressure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from hedgesim.core import hedging
from hedgesim.core.vocabulary import AGREEMENTS, TRUSTED, Milestone

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel

REVIEW_MONTHS = (2, 10)


def updated_trust(
    trust: np.ndarray,
    cooperation: np.ndarray,
    conflict: np.ndarray,
    gain: float,
    loss: float,
    floor: float,
) -> np.ndarray:
    """Trust moves up with cooperation toward 1 and down with conflict toward 0, faster down."""
    grown = trust + gain * cooperation * (1.0 - trust)
    return np.clip(grown - loss * np.minimum(conflict, 1.0) * grown, floor, 1.0)


class Actor(mesa.Agent):
    """Common state: trust in Belarus (Belarus overrides with trust in each partner)."""

    code = ""
    model: HedgingModel

    def __init__(self, model: HedgingModel, trust_in_belarus: float):
        super().__init__(model)
        self.trust = np.full(model.n_replicates, trust_in_belarus)

    def perceive(self) -> None:
        """Take in this month's shocks; most actors need nothing beyond the interactions."""

    def update_trust(self) -> None:
        dyad = self.model.interactions[self.code]
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict)

    def decide(self) -> None:
        """Choose this month's policy."""

    def _updated(self, trust: np.ndarray, cooperation: np.ndarray, conflict: np.ndarray) -> np.ndarray:
        p = self.model.params
        return updated_trust(trust, cooperation, conflict, self.model.trust_gain, p.trust_loss, p.trust_floor)


class EU(Actor):
    """Conditionality: offers grow with trust and Belarus's security value, and shrink with
    repression; sanctions follow political prisoners; agreements need time and consensus."""

    code = "eu"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, p.trust_init_eu_blr)
        r = model.n_replicates
        self.offer = np.zeros(r)
        self.sanctions = np.full(r, p.sanctions_initial)
        self.progress = np.zeros((len(AGREEMENTS), r))
        self.status = np.full((len(AGREEMENTS), r), int(Milestone.NOT_STARTED), dtype=np.int8)
        self.months_to = np.full((len(AGREEMENTS), r), -1, dtype=np.int32)
        self.prisoners_seen = np.full(r, p.repression_initial)
        self.new_listings = np.zeros(r)

    @property
    def successes(self) -> np.ndarray:
        """Concluded agreements: the success stories that wear vested interests down."""
        return (self.status == Milestone.CONCLUDED).sum(axis=0)

    def perceive(self) -> None:
        """The EU learns of arrests and releases with a month's delay (it acts before Belarus)."""
        self.prisoners_seen = self.model.belarus.prisoners.copy()

    def update_trust(self) -> None:
        dyad = self.model.interactions[self.code]
        repression = self.model.params.repression_friction * self.prisoners_seen
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict + repression)

    def decide(self) -> None:
        self._set_sanctions()
        self._set_offer()
        self._negotiate()

    def _set_sanctions(self) -> None:
        """List fast after repression; delist at the February and October reviews."""
        p = self.model.params
        target = p.sanctions_core + (p.sanctions_full - p.sanctions_core) * self.prisoners_seen
        listing = np.maximum(target - self.sanctions, 0.0) * p.listing_rate
        review = self.model.month.month in REVIEW_MONTHS
        delisting = np.maximum(self.sanctions - target, 0.0) * (p.delisting_share if review else 0.0)
        self.sanctions = self.sanctions + listing - delisting
        self.new_listings = listing

    def _set_offer(self) -> None:
        """Trust-based engagement is conditional on human rights; the interest in a neutral
        Belarus, which grows with tension, is not."""
        p, m = self.model.params, self.model
        neutral = 1.0 - m.belarus.weights[:, hedging.RUSSIA]
        conditional = self.trust * (1.0 - p.conditionality * self.prisoners_seen)
        target = np.clip(conditional + p.security_interest * m.tension * neutral, 0.0, 1.0)
        self.offer += p.offer_rate * (target - self.offer)

    def _negotiate(self) -> None:
        """Open talks when the offer (or trust) allows; progress one month at a time while it still
        does (talks freeze otherwise), set back by spoilers; conclusion needs consensus, so
        Lithuania's veto can block it."""
        p, m = self.model.params, self.model
        opening = (
            self.offer >= p.visa_open_offer,
            self.offer >= p.priorities_open_offer,
            (self.trust >= p.framework_open_trust) & (self.prisoners_seen < 0.05),
        )
        months = (p.visa_months, p.priorities_months, p.framework_months)
        vetoable = (False, True, True)
        setback = np.where(m.spoiled, p.spoiler_setback, 0.0)
        for k, (opens, length, can_veto) in enumerate(zip(opening, months, vetoable, strict=True)):
            status = self.status[k]
            status[(status == Milestone.NOT_STARTED) & opens] = Milestone.NEGOTIATING
            talking = (status == Milestone.NEGOTIATING) | (status == Milestone.BLOCKED)
            advance = np.where(opens, 1.0 / length, 0.0)
            self.progress[k] = np.where(
                talking, np.minimum(self.progress[k] * (1.0 - setback) + advance, 1.0), self.progress[k]
            )
            ready = talking & (self.progress[k] >= 1.0)
            vetoed = m.lithuania.vetoes if can_veto else np.zeros_like(ready)
            status[ready & vetoed] = Milestone.BLOCKED
            done = ready & ~vetoed
            status[done] = Milestone.CONCLUDED
            self.months_to[k] = np.where(done & (self.months_to[k] < 0), m.month_index, self.months_to[k])


class Russia(Actor):
    """Integration pressure answers Belarus's drift toward the EU; energy disputes cut crude."""

    code = "russia"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, p.trust_init_russia_blr)
        r = model.n_replicates
        self.pressure = np.zeros(r)
        self.supply_cut = np.zeros(r)

    def perceive(self) -> None:
        """A dispute holds the cut at its size; after it, supply recovers gradually."""
        cut = self.model.impulses.supply_cut
        recovered = self.supply_cut * (1.0 - self.model.params.supply_recovery)
        self.supply_cut = np.where(cut > 0, np.maximum(cut, self.supply_cut), recovered)

    def decide(self) -> None:
        p, w = self.model.params, self.model.belarus.weights
        drift = np.maximum(w[:, hedging.EU] - p.pressure_tolerance, 0.0)
        self.pressure += p.pressure_decay * (p.pressure_gain * drift - self.pressure)


class Lithuania(Actor):
    """Campaigns against the Astravets NPP: its concern drives its veto in EU consensus."""

    code = "lithuania"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, p.trust_init_lithuania_blr)
        r = model.n_replicates
        self.concern = np.full(r, p.npp_concern_initial)
        self.plant_running = np.zeros(r, dtype=bool)

    @property
    def vetoes(self) -> np.ndarray:
        return self.concern > self.model.params.veto_threshold

    def perceive(self) -> None:
        impulses = self.model.impulses
        self.concern = np.minimum(self.concern + impulses.npp, 1.0)
        self.plant_running |= impulses.npp_start

    def decide(self) -> None:
        fading = np.where(self.plant_running, self.model.params.npp_softening, 0.0)
        self.concern *= 1.0 - fading


class Ukraine(Actor):
    """Values Belarus's neutrality; at war from 2014 in the historical timeline."""

    code = "ukraine"

    def __init__(self, model: HedgingModel):
        super().__init__(model, model.params.trust_init_ukraine_blr)
        self.at_war = np.zeros(model.n_replicates, dtype=bool)

    def perceive(self) -> None:
        self.at_war |= self.model.impulses.war_on_ukraine


class Belarus(Actor):
    """The hedger: trust in each partner, the hedge, and its political prisoners."""

    code = "belarus"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, 0.0)
        r = model.n_replicates
        initial = (p.trust_init_blr_eu, p.trust_init_blr_russia, p.trust_init_ukraine_blr, p.trust_other)
        self.trust = np.array([np.full(r, value) for value in initial])
        self.prisoners = np.full(r, p.repression_initial)
        self.weights = np.full((r, 4), 0.25)
        self.optimum: np.ndarray | None = None
        self.terms = None
        self.driver = np.zeros(r, dtype=np.int8)
        self.moved = np.zeros((r, 4))

    def perceive(self) -> None:
        """Crackdowns raise political prisoners; releases and pardons lower them."""
        p, impulses = self.model.params, self.model.impulses
        held = self.prisoners * p.repression_persistence * (1.0 - impulses.release)
        self.prisoners = np.maximum(held, impulses.crackdown)

    def update_trust(self) -> None:
        interactions = self.model.interactions
        for j, partner in enumerate(TRUSTED):
            dyad = interactions[partner]
            self.trust[j] = self._updated(self.trust[j], dyad.cooperation, dyad.conflict)

    def decide(self) -> None:
        m, p = self.model, self.model.params
        trust = self.trust.T
        benefit, variance = self._benefits(), self._variances()
        floor = hedging.russia_floor(
            m.tension, p.alliance_floor, p.floor_max, p.neutrality_threshold, p.floor_steepness
        )
        self.optimum = hedging.optimal_hedge(
            trust * benefit, variance, p.risk_aversion, p.room_value, floor, start=self.optimum
        )
        previous = self.weights
        self.weights = hedging.move_toward(previous, self.optimum, p.hedge_inertia, floor)
        self.moved = self.weights - previous
        terms = (trust, benefit, -2.0 * p.risk_aversion * variance * self.optimum, floor)
        if self.terms is not None:
            t0, b0, r0, f0 = self.terms
            self.driver = hedging.dominant_driver(
                self.moved, (trust - t0) * benefit, trust * (benefit - b0), terms[2] - r0, floor - f0
            ).astype(np.int8)
        self.terms = terms

    def _benefits(self) -> np.ndarray:
        m, p = self.model, self.model.params
        sanctioned = m.eu.sanctions / max(p.sanctions_full, 1.0)
        eu = p.benefit_eu * m.eu.offer - p.sanction_cost * sanctioned
        russia = p.benefit_russia * (1.0 - m.russia.supply_cut) - p.integration_cost * m.russia.pressure
        ukraine = p.benefit_ukraine + p.neutrality_value * m.tension * m.ukraine.trust
        other = np.full_like(eu, p.benefit_other)
        return np.stack([eu, russia, ukraine, other], axis=1)

    def _variances(self) -> np.ndarray:
        m, p = self.model, self.model.params
        sanctioned = m.eu.sanctions / max(p.sanctions_full, 1.0)
        eu = p.var_eu + p.var_eu_sanctions * sanctioned
        disputed = (m.impulses.supply_cut > 0) | (m.impulses.gas_dispute > 0)
        russia = p.var_russia + p.var_russia_dispute * disputed + p.var_russia_tension * m.tension
        ukraine = p.var_ukraine + p.var_ukraine_war * m.ukraine.at_war
        other = np.full_like(eu, p.var_other)
        return np.stack([eu, russia, ukraine, other], axis=1)
