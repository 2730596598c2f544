"""The five actors of model 2.0 as plain Mesa agents: every attribute a float, an int or a bool.

Each month the model calls, for all agents in creation order (EU, Russia, Lithuania, Ukraine,
Belarus): ``perceive``, ``act``, ``update_trust``, then ``decide`` in that same order, so Belarus
answers the month's offers and pressure. The rules are those of hedgesim's agents, written for
one replicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from mesa_anchor import hedge
from mesa_anchor.hedge import argmax_abs, logistic

if TYPE_CHECKING:
    from mesa_anchor.model import AnchorModel

NOT_STARTED, NEGOTIATING, BLOCKED, CONCLUDED = range(4)
"""Agreement states, numbered as hedgesim's Milestone."""
REVIEW_MONTHS = (2, 10)


def updated_trust(
    trust: float, cooperation: float, conflict: float, gain: float, p, baseline: float
) -> float:
    """Up with cooperation toward 1, down (faster) with conflict, drifting back to the baseline."""
    grown = trust + gain * cooperation * (1.0 - trust)
    lost = grown - p.trust_loss * min(conflict, 1.0) * grown
    return min(max(lost + p.trust_drift * (baseline - lost), p.trust_floor), 1.0)


class Actor(mesa.Agent):
    """An actor with trust in Belarus, moved by the month's interactions with it."""

    code = ""
    western = False
    """Its trust in Belarus answers the mutual-trust challenge (the EU and Lithuania)."""
    model: AnchorModel

    def __init__(self, model: AnchorModel, trust_in_belarus: float):
        super().__init__(model)
        self.baseline = trust_in_belarus
        self.trust = trust_in_belarus

    def perceive(self) -> None:
        """Take in this month's shocks."""

    def act(self) -> None:
        """Take this month's discrete decisions."""

    def update_trust(self) -> None:
        self.trust = self.trusted(self.code)

    def decide(self) -> None:
        """Choose this month's policy."""

    def trusted(self, dyad: str, extra_conflict: float = 0.0) -> float:
        """Trust after this month's interactions in ``dyad``, plus any conflict of its own."""
        coop, conflict = self.model.interactions[dyad]
        gain, baseline = self.model.trust_pace(self.baseline, self.western)
        return updated_trust(self.trust, coop, conflict + extra_conflict, gain, self.model.params, baseline)


class EU(Actor):
    """Offers, sanctions and agreements, conditional on Belarus's political prisoners."""

    code = "eu"
    western = True

    def __init__(self, model: AnchorModel):
        p = model.params
        super().__init__(model, p.trust_init_eu_blr)
        self.offer = 0.0
        self.sanctions = p.sanctions_initial
        self.sectoral = 0.0
        self.progress = [0.0, 0.0, 0.0]
        self.status = [NOT_STARTED] * 3
        self.months_to = [-1, -1, -1]
        self.prisoners_seen = p.repression_initial
        self.habituated = 0.0
        self.new_listings = 0.0

    @property
    def successes(self) -> int:
        return sum(s == CONCLUDED for s in self.status)

    @property
    def isolation(self) -> float:
        return self.sanctions / max(self.model.params.sanctions_full, 1.0)

    @property
    def liftable(self) -> float:
        """Listings a release would lift (all but the core and the sectoral ones), per full list."""
        p = self.model.params
        return max(self.sanctions - p.sanctions_core - self.sectoral, 0.0) / max(p.sanctions_full, 1.0)

    def perceive(self) -> None:
        m, p = self.model, self.model.params
        self.prisoners_seen = m.belarus.prisoners
        used = self.habituated + p.condemnation_fade * (self.prisoners_seen - self.habituated)
        self.habituated = min(used, self.prisoners_seen)
        coercion = m.impulses.coercion + m.belarus.coerced
        added = self.sectoral + p.sectoral_listing * p.sanctions_full * coercion
        self.sectoral = min(added, p.sectoral_max * p.sanctions_full)

    @property
    def condemned(self) -> float:
        """The political prisoners the EU still condemns (those it has not got used to)."""
        return self.prisoners_seen - self.habituated

    def decide(self) -> None:
        self.set_sanctions()
        self.set_offer()
        self.negotiate()

    def set_sanctions(self) -> None:
        m, p = self.model, self.model.params
        target = (
            p.sanctions_core + (p.sanctions_full - p.sanctions_core) * self.prisoners_seen + self.sectoral
        )
        listing = max(target - self.sanctions, 0.0) if m.draw("listing") < p.listing_rate else 0.0
        review = m.month.month in REVIEW_MONTHS
        delists = review and m.draw("delisting") < p.delisting_share
        delisting = max(self.sanctions - target, 0.0) if delists else 0.0
        self.sanctions = self.sanctions + listing - delisting
        self.new_listings = listing

    def set_offer(self) -> None:
        m, p = self.model, self.model.params
        neutral = 1.0 - m.belarus.weights[hedge.RUSSIA]
        conditional = self.trust * (1.0 - p.conditionality * self.prisoners_seen)
        interest = p.security_interest * m.tension * neutral * (1.0 - self.condemned)
        courted = 0.0 if m.eap_suspended else interest
        target = min(max(conditional + courted, 0.0), 1.0)
        self.offer += p.offer_rate * (target - self.offer)

    def negotiate(self) -> None:
        m, p = self.model, self.model.params
        opening = (
            self.offer >= p.visa_open_offer,
            self.offer >= p.priorities_open_offer,
            self.trust >= p.framework_open_trust and self.prisoners_seen < 0.05,
        )
        lengths = (p.visa_months, p.priorities_months, p.framework_months)
        vetoable = (False, True, True)
        setback = p.spoiler_setback if m.spoiled else 0.0
        for k in range(3):
            if self.status[k] == NOT_STARTED and opening[k]:
                self.status[k] = NEGOTIATING
            if self.status[k] not in (NEGOTIATING, BLOCKED):
                continue
            advance = 1.0 / lengths[k] if opening[k] else 0.0
            self.progress[k] = min(self.progress[k] * (1.0 - setback) + advance, 1.0)
            if self.progress[k] < 1.0:
                continue
            if vetoable[k] and m.lithuania.vetoes:
                self.status[k] = BLOCKED
            else:
                self.status[k] = CONCLUDED
                if self.months_to[k] < 0:
                    self.months_to[k] = m.month_index


class Russia(Actor):
    """Pressure against Belarus's drift to the EU, its own oil disputes, support to the regime."""

    code = "russia"

    def __init__(self, model: AnchorModel):
        super().__init__(model, model.params.trust_init_russia_blr)
        self.pressure = 0.0
        self.support = 0.0
        self.supply_cut = 0.0
        self.own_dispute_left = 0.0

    def drift(self) -> float:
        """Belarus's EU weight past what Russia tolerates."""
        p = self.model.params
        return max(self.model.belarus.weights[hedge.EU] - p.pressure_tolerance, 0.0)

    def perceive(self) -> None:
        cut = self.model.impulses.supply_cut
        if cut > 0:
            self.supply_cut = max(cut, self.supply_cut)
        else:
            self.supply_cut = self.supply_cut * (1.0 - self.model.params.supply_recovery)

    def act(self) -> None:
        m, p, imp = self.model, self.model.params, self.model.impulses
        opens = (
            self.own_dispute_left <= 0 and m.draw("russia_dispute") < p.dispute_pressure_rate * self.pressure
        )
        self.own_dispute_left = p.dispute_months if opens else self.own_dispute_left - 1.0
        if self.own_dispute_left > 0:
            imp.supply_cut = max(imp.supply_cut, p.dispute_size)
            self.supply_cut = max(self.supply_cut, p.dispute_size)
        if opens:
            m.log_decision("russia_dispute")

    def update_trust(self) -> None:
        self.trust = self.trusted(self.code, self.drift())

    def decide(self) -> None:
        p = self.model.params
        self.pressure += p.pressure_decay * (p.pressure_gain * self.drift() - self.pressure)
        self.support += p.support_rate * (p.support_gain * self.model.eu.isolation - self.support)


class Lithuania(Actor):
    """Its concern about the Astravets plant, weighed by distrust, drives its EU veto."""

    code = "lithuania"
    western = True

    def __init__(self, model: AnchorModel):
        p = model.params
        super().__init__(model, p.trust_init_lithuania_blr)
        self.concern = p.npp_concern_initial
        self.plant_running = False

    @property
    def vetoes(self) -> bool:
        return self.concern * (1.0 - self.trust) > self.model.params.veto_threshold

    def perceive(self) -> None:
        imp = self.model.impulses
        self.concern = min(self.concern + imp.npp, 1.0)
        self.plant_running = self.plant_running or imp.npp_start

    def decide(self) -> None:
        if self.plant_running:
            self.concern *= 1.0 - self.model.params.npp_softening


class Ukraine(Actor):
    """Values Belarus's neutrality; at war once a war names it."""

    code = "ukraine"

    def __init__(self, model: AnchorModel):
        super().__init__(model, model.params.trust_init_ukraine_blr)
        self.at_war = False

    def perceive(self) -> None:
        self.at_war = self.at_war or self.model.impulses.war_on_ukraine


class Belarus(Actor):
    """The hedger: trust in three partners, the hedge, political prisoners, its decisions."""

    code = "belarus"

    def __init__(self, model: AnchorModel):
        p = model.params
        super().__init__(model, 0.0)
        self.baselines = [p.trust_init_blr_eu, p.trust_init_blr_russia, p.trust_init_blr_ukraine]
        self.trusts = list(self.baselines)
        self.prisoners = p.repression_initial
        self.threat = 0.0
        self.coerced = 0.0
        self.weights = [0.25] * 4
        self.moved = [0.0] * 4
        self.terms: tuple | None = None
        self.driver = 0
        self.cost = 0.0

    def perceive(self) -> None:
        p, imp = self.model.params, self.model.impulses
        held = self.prisoners * p.repression_persistence * (1.0 - imp.release)
        self.prisoners = max(held, imp.crackdown)
        self.threat = max(self.threat * (1.0 - p.threat_fade), imp.crackdown)

    def act(self) -> None:
        if not self.model.rules_decide:
            return
        self.crackdown()
        self.coerce()
        self.release()
        self.signal()
        self.host_talks()

    def crackdown(self) -> None:
        m, p, imp = self.model, self.model.params, self.model.impulses
        odds = p.crackdown_bias + p.crackdown_threat * imp.election + p.crackdown_backing * self.backing
        if imp.election_held and m.draw("crackdown") < logistic(odds):
            severity = max(imp.election, 0.25)
            self.prisoners = max(self.prisoners, severity)
            self.threat = max(self.threat, severity)
            imp.conflict["eu"] += severity
            m.log_decision("crackdown")

    def coerce(self) -> None:
        """Coerce EU members with a chance rising with the threat remembered and Russian backing."""
        m, p, imp = self.model, self.model.params, self.model.impulses
        coerces = m.draw("coercion") < p.coercion_rate * self.threat * self.backing
        self.coerced = p.coercion_size if coerces else 0.0
        if coerces:
            imp.conflict["eu"] += self.coerced
            imp.conflict["lithuania"] += self.coerced
            m.log_decision("coercion")

    @property
    def backing(self) -> float:
        """Russia's support times Belarus's trust in Russia."""
        return self.model.russia.support * self.trusts[hedge.RUSSIA]

    def need_for_eu(self) -> float:
        """What a release would buy: the listings it lifts, weighed by how risky Russia is; Moscow's
        pressure counts only as far as the regime is safe at home."""
        m = self.model
        pressure = m.russia.pressure * (1.0 - self.threat)
        return m.eu.liftable * (m.tension + pressure + m.russia.supply_cut)

    def release_cost(self) -> float:
        """A base cost plus the threat the regime still remembers."""
        p = self.model.params
        return p.release_cost + p.release_threat * self.threat

    def release(self) -> None:
        m, p, imp = self.model, self.model.params, self.model.impulses
        excess = max(self.need_for_eu() - self.release_cost(), 0.0)
        if self.prisoners > 0.05 and m.draw("release") < p.release_rate * excess:
            self.prisoners = 0.0
            imp.coop["eu"] += 1.0
            m.log_decision("release")

    def signal(self) -> None:
        m, p, imp = self.model, self.model.params, self.model.impulses
        chance = p.signal_rate * max(m.tension - p.signal_tension, 0.0) * (not m.aligned)
        if m.draw("signal") < chance:
            imp.coop["eu"] += p.signal_size
            imp.conflict["russia"] += p.signal_size
            m.log_decision("autonomy_signal")

    def host_talks(self) -> None:
        m, p, imp = self.model, self.model.params, self.model.impulses
        war_on = m.ukraine.at_war and m.war_tension > 0.05 and not m.aligned and not imp.territory_used
        if war_on and m.draw("venue") < p.venue_rate * (1.0 - m.eu.condemned):
            imp.coop["ukraine"] += p.venue_size
            imp.coop["eu"] += p.venue_size
            m.log_decision("venue")

    def update_trust(self) -> None:
        """From the same events as its partners, but its own alignment with Russia is not a
        grievance against Ukraine."""
        m = self.model
        own = {"ukraine": m.alignment_conflict}
        for j, partner in enumerate(("eu", "russia", "ukraine")):
            coop, conflict = m.interactions[partner]
            gain, baseline = m.trust_pace(self.baselines[j], western=partner == "eu")
            self.trusts[j] = updated_trust(
                self.trusts[j], coop, conflict - own.get(partner, 0.0), gain, m.params, baseline
            )

    def decide(self) -> None:
        m, p = self.model, self.model.params
        trust = [*self.trusts, p.trust_other]
        gains, costs, variance = self.gains(), self.costs(), self.variances()
        self.cost = hedge.commitment_cost(
            m.tension,
            m.territory_used,
            p.commitment_cost,
            p.commitment_cost_max,
            p.neutrality_threshold,
            p.commitment_steepness,
            p.territory_commitment,
        )
        utility = [t * g - c for t, g, c in zip(trust, gains, costs, strict=True)]
        optimum = hedge.optimal_hedge(
            utility, variance, p.risk_aversion, p.room_value, p.alliance_commitment, self.cost
        )
        previous = self.weights
        self.weights = [w + p.hedge_inertia * (o - w) for w, o in zip(previous, optimum, strict=True)]
        self.moved = [w - v for w, v in zip(self.weights, previous, strict=True)]
        self.explain(trust, gains, costs, variance, optimum)

    def explain(
        self, trust: list[float], gains: list[float], costs: list[float], variance: list[float], optimum
    ) -> None:
        """Name the hedging term whose change moved the most-moved partner most."""
        p = self.model.params
        pull = self.cost * max(p.alliance_commitment - optimum[hedge.RUSSIA], 0.0)
        risk = [-2.0 * p.risk_aversion * v * w for v, w in zip(variance, optimum, strict=True)]
        if self.terms is not None:
            t0, g0, k0, r0, c0 = self.terms
            self.driver = hedge.dominant_driver(
                self.moved,
                [(t - s) * g for t, s, g in zip(trust, t0, gains, strict=True)],
                [t * (g - h) - (k - j) for t, g, h, k, j in zip(trust, gains, g0, costs, k0, strict=True)],
                [r - s for r, s in zip(risk, r0, strict=True)],
                pull - c0,
            )
        self.terms = (trust, gains, costs, risk, pull)

    def gains(self) -> list[float]:
        """What each partner offers, before Belarus's trust in it discounts the promise."""
        m, p = self.model, self.model.params
        return [
            p.benefit_eu * m.eu.offer,
            p.benefit_russia * (1.0 - m.russia.supply_cut) + p.support_benefit * m.russia.support,
            p.benefit_ukraine + p.neutrality_value * m.tension * m.ukraine.trust,
            p.benefit_other,
        ]

    def costs(self) -> list[float]:
        """What engaging a partner costs for certain; trust does not discount it."""
        m, p = self.model, self.model.params
        eu = p.sanction_cost * m.eu.isolation + m.status_quo_rent()
        return [eu, p.integration_cost * m.russia.pressure, 0.0, 0.0]

    def variances(self) -> list[float]:
        m, p, imp = self.model, self.model.params, self.model.impulses
        disputed = imp.supply_cut > 0 or imp.gas_dispute > 0
        return [
            p.var_eu + p.var_eu_sanctions * m.eu.isolation,
            p.var_russia + p.var_russia_dispute * disputed + p.var_russia_tension * m.tension,
            p.var_ukraine + p.var_ukraine_war * m.ukraine.at_war,
            p.var_other,
        ]

    @property
    def moved_partner(self) -> int:
        return argmax_abs(self.moved)
