"""The five actors. Each holds its state as arrays over the ensemble's replicates.

Every month each agent, in turn: ``perceive`` (take in the shocks that hit it), ``act`` (its
discrete decisions, drawn from its own rule: crackdowns, releases, signals, venues, disputes),
``update_trust`` (from the month's interactions, faster down than up, drifting back toward its
starting level) and ``decide`` (its policy). The model calls the verbs in that order for all
agents, and ``decide`` in the order EU, Russia, Lithuania, Ukraine, Belarus, so Belarus answers
the month's offers and pressure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from hedgesim.core import hedging
from hedgesim.core.vocabulary import AGREEMENTS, DECISIONS, TRUSTED, Milestone

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel

REVIEW_MONTHS = (2, 10)
DECISION_CODES = {name: k for k, name in enumerate(DECISIONS)}


def updated_trust(
    trust: np.ndarray,
    cooperation: np.ndarray,
    conflict: np.ndarray,
    gain: float,
    loss: float,
    floor: float,
    drift: float = 0.0,
    baseline: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Trust moves up with cooperation toward 1, down with conflict toward 0 (faster down), and
    drifts back toward its baseline without news, so it is neither stuck high nor at its floor."""
    grown = trust + gain * cooperation * (1.0 - trust)
    lost = grown - loss * np.minimum(conflict, 1.0) * grown
    return np.clip(lost + drift * (baseline - lost), floor, 1.0)


def logistic(x: np.ndarray) -> np.ndarray:
    """The logistic function, for decision probabilities from log-odds."""
    return 1.0 / (1.0 + np.exp(-x))


class Actor(mesa.Agent):
    """Common state: trust in Belarus (Belarus overrides with trust in each partner)."""

    code = ""
    model: HedgingModel

    def __init__(self, model: HedgingModel, trust_in_belarus: float):
        super().__init__(model)
        self.baseline = trust_in_belarus
        self.trust = np.full(model.n_replicates, trust_in_belarus)

    def perceive(self) -> None:
        """Take in this month's shocks; most actors need nothing beyond the interactions."""

    def act(self) -> None:
        """Take this month's discrete decisions (most actors have none)."""

    def update_trust(self) -> None:
        dyad = self.model.interactions[self.code]
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict, self.baseline)

    def decide(self) -> None:
        """Choose this month's policy."""

    def _updated(
        self, trust: np.ndarray, cooperation: np.ndarray, conflict: np.ndarray, baseline
    ) -> np.ndarray:
        p = self.model.params
        return updated_trust(
            trust,
            cooperation,
            conflict,
            self.model.trust_gain,
            p.trust_loss,
            p.trust_floor,
            p.trust_drift,
            baseline,
        )

    def _draw(self, channel: str) -> np.ndarray:
        """This month's uniform of one of the actor's decision channels."""
        return self.model.decision_draw(channel)


class EU(Actor):
    """Conditionality: offers grow with trust and Belarus's security value, and shrink with
    repression; the Council lists after repression and coercion and delists at its reviews;
    agreements need time and consensus."""

    code = "eu"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, p.trust_init_eu_blr)
        r = model.n_replicates
        self.offer = np.zeros(r)
        self.sanctions = np.full(r, p.sanctions_initial)
        self.sectoral = np.zeros(r)
        self.progress = np.zeros((len(AGREEMENTS), r))
        self.status = np.full((len(AGREEMENTS), r), int(Milestone.NOT_STARTED), dtype=np.int8)
        self.months_to = np.full((len(AGREEMENTS), r), -1, dtype=np.int32)
        self.prisoners_seen = np.full(r, p.repression_initial)
        self.new_listings = np.zeros(r)

    @property
    def successes(self) -> np.ndarray:
        """Concluded agreements: the success stories that wear vested interests down."""
        return (self.status == Milestone.CONCLUDED).sum(axis=0)

    @property
    def isolation(self) -> np.ndarray:
        """The West's measures against Belarus as a share of a full list (sectoral included)."""
        return self.sanctions / max(self.model.params.sanctions_full, 1.0)

    def perceive(self) -> None:
        """The EU learns of arrests and releases with a month's delay (it acts before Belarus);
        coercion against its members raises its sectoral measures at once."""
        p = self.model.params
        self.prisoners_seen = self.model.belarus.prisoners.copy()
        self.sectoral = self.sectoral + p.sectoral_listing * p.sanctions_full * self.model.impulses.coercion

    def update_trust(self) -> None:
        dyad = self.model.interactions[self.code]
        repression = self.model.params.repression_friction * self.prisoners_seen
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict + repression, self.baseline)

    def decide(self) -> None:
        self._set_sanctions()
        self._set_offer()
        self._negotiate()

    def _set_sanctions(self) -> None:
        """Council decisions: list the gap to what repression and coercion call for when the
        Council agrees (a consensus draw each month); delist the excess at the February and
        October reviews when the members agree (another draw)."""
        p = self.model.params
        target = (
            p.sanctions_core + (p.sanctions_full - p.sanctions_core) * self.prisoners_seen + self.sectoral
        )
        agrees = self._draw("listing") < p.listing_rate
        listing = np.where(agrees, np.maximum(target - self.sanctions, 0.0), 0.0)
        review = self.model.month.month in REVIEW_MONTHS
        delists = review & (self._draw("delisting") < p.delisting_share)
        delisting = np.where(delists, np.maximum(self.sanctions - target, 0.0), 0.0)
        self.sanctions = self.sanctions + listing - delisting
        self.new_listings = listing

    def _set_offer(self) -> None:
        """Trust-based engagement is conditional on human rights; the interest in a neutral
        Belarus, which grows with tension, is not; a suspended partnership offers nothing."""
        p, m = self.model.params, self.model
        neutral = 1.0 - m.belarus.weights[:, hedging.RUSSIA]
        conditional = self.trust * (1.0 - p.conditionality * self.prisoners_seen)
        target = np.clip(conditional + p.security_interest * m.tension * neutral, 0.0, 1.0)
        target = np.where(m.eap_suspended, 0.0, target)
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
    """Sticks and carrots: integration pressure answers Belarus's drift toward the EU and may
    open an energy dispute; support to the regime grows when the West isolates it."""

    code = "russia"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, p.trust_init_russia_blr)
        r = model.n_replicates
        self.pressure = np.zeros(r)
        self.support = np.zeros(r)
        self.supply_cut = np.zeros(r)
        self.own_dispute_left = np.zeros(r)

    def perceive(self) -> None:
        """A dispute holds the cut at its size; after it, supply recovers gradually."""
        cut = self.model.impulses.supply_cut
        recovered = self.supply_cut * (1.0 - self.model.params.supply_recovery)
        self.supply_cut = np.where(cut > 0, np.maximum(cut, self.supply_cut), recovered)

    def act(self) -> None:
        """Open an oil dispute with a chance that grows with Russia's pressure; it cuts crude for
        ``dispute_months`` (disputes do not stack)."""
        p, imp = self.model.params, self.model.impulses
        opens = (self.own_dispute_left <= 0) & (
            self._draw("russia_dispute") < p.dispute_pressure_rate * self.pressure
        )
        self.own_dispute_left = np.where(opens, p.dispute_months, self.own_dispute_left - 1.0)
        running = self.own_dispute_left > 0
        imp.supply_cut = np.where(running, np.maximum(imp.supply_cut, p.dispute_size), imp.supply_cut)
        self.supply_cut = np.where(running, np.maximum(self.supply_cut, p.dispute_size), self.supply_cut)
        self.model.log_decision(opens, "russia_dispute")

    def update_trust(self) -> None:
        """Russia reads Belarus's drift toward the EU as conflict beside the month's events."""
        p, dyad = self.model.params, self.model.interactions[self.code]
        drift = np.maximum(self.model.belarus.weights[:, hedging.EU] - p.pressure_tolerance, 0.0)
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict + drift, self.baseline)

    def decide(self) -> None:
        p, w = self.model.params, self.model.belarus.weights
        drift = np.maximum(w[:, hedging.EU] - p.pressure_tolerance, 0.0)
        self.pressure += p.pressure_decay * (p.pressure_gain * drift - self.pressure)
        self.support += p.support_rate * (p.support_gain * self.model.eu.isolation - self.support)


class Lithuania(Actor):
    """Campaigns against the Astravets NPP: its concern, weighed by its distrust of Belarus,
    drives its veto in EU consensus."""

    code = "lithuania"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, p.trust_init_lithuania_blr)
        r = model.n_replicates
        self.concern = np.full(r, p.npp_concern_initial)
        self.plant_running = np.zeros(r, dtype=bool)

    @property
    def vetoes(self) -> np.ndarray:
        """Lithuania blocks when its concern, discounted by its trust in Belarus, is high."""
        return self.concern * (1.0 - self.trust) > self.model.params.veto_threshold

    def perceive(self) -> None:
        impulses = self.model.impulses
        self.concern = np.minimum(self.concern + impulses.npp, 1.0)
        self.plant_running |= impulses.npp_start

    def decide(self) -> None:
        fading = np.where(self.plant_running, self.model.params.npp_softening, 0.0)
        self.concern *= 1.0 - fading


class Ukraine(Actor):
    """Values Belarus's neutrality and reads alignment with Russia as hostile (the alignment
    friction of the Ukraine dyad is its grievance, not Belarus's)."""

    code = "ukraine"

    def __init__(self, model: HedgingModel):
        super().__init__(model, model.params.trust_init_ukraine_blr)
        self.at_war = np.zeros(model.n_replicates, dtype=bool)

    def perceive(self) -> None:
        self.at_war |= self.model.impulses.war_on_ukraine



class Belarus(Actor):
    """The hedger: trust in each partner, the hedge, its political prisoners and its decisions."""

    code = "belarus"

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, 0.0)
        r = model.n_replicates
        initial = (p.trust_init_blr_eu, p.trust_init_blr_russia, p.trust_init_blr_ukraine)
        self.baselines = initial
        self.trust = np.array([np.full(r, value) for value in initial])
        self.prisoners = np.full(r, p.repression_initial)
        self.weights = np.full((r, 4), 0.25)
        self.optimum: np.ndarray | None = None
        self.terms: tuple[np.ndarray, ...] | None = None
        self.driver = np.zeros(r, dtype=np.int8)
        self.moved = np.zeros((r, 4))
        self.cost = np.zeros(r)

    def perceive(self) -> None:
        """Prisoners are held (pardons thin them slowly); an imposed concession releases them and
        an imposed crackdown jails (observed history or a counterfactual timeline)."""
        p, impulses = self.model.params, self.model.impulses
        held = self.prisoners * p.repression_persistence * (1.0 - impulses.release)
        self.prisoners = np.maximum(held, impulses.crackdown)

    def act(self) -> None:
        """The regime's discrete decisions this month, each drawn from its rule (unless observed
        history imposes them in this month)."""
        if not self.model.rules_decide:
            return
        self._crackdown()
        self._release()
        self._signal()
        self._host_talks()

    def _crackdown(self) -> None:
        """At an election, crack down with log-odds rising with the opposition's mobilisation
        (the threat the regime perceives) and with Russian backing; a crackdown jails in
        proportion to the mobilisation and is a conflict with the EU."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        backing = m.russia.support * self.trust[hedging.RUSSIA]
        odds = p.crackdown_bias + p.crackdown_threat * imp.election + p.crackdown_backing * backing
        cracks = imp.election_held & (self._draw("crackdown") < logistic(odds))
        severity = np.where(cracks, np.maximum(imp.election, 0.25), 0.0)
        self.prisoners = np.maximum(self.prisoners, severity)
        imp.conflict["eu"] += severity
        m.log_decision(cracks, "crackdown")

    def need_for_eu(self) -> np.ndarray:
        """How much the EU's measures weigh: the isolation they impose, heavier when Russia is a
        risky partner (tension, pressure, a crude cut)."""
        m = self.model
        return m.eu.isolation * (m.tension + m.russia.pressure + m.russia.supply_cut)

    def _release(self) -> None:
        """Release the political prisoners when the need for the EU outweighs the regime's cost:
        a monthly chance proportional to the excess."""
        p, imp = self.model.params, self.model.impulses
        excess = np.maximum(self.need_for_eu() - p.release_cost, 0.0)
        releases = (self.prisoners > 0.05) & (self._draw("release") < p.release_rate * excess)
        self.prisoners = np.where(releases, 0.0, self.prisoners)
        imp.coop["eu"] += releases
        self.model.log_decision(releases, "release")

    def _signal(self) -> None:
        """Signal autonomy to Moscow (non-recognition, refusing a base) when tension makes it pay
        and Belarus does not read as aligned: cooperation with the EU, conflict with Russia."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        chance = p.signal_rate * np.maximum(m.tension - p.signal_tension, 0.0) * ~m.aligned
        signals = self._draw("signal") < chance
        imp.coop["eu"] += p.signal_size * signals
        imp.conflict["russia"] += p.signal_size * signals
        m.log_decision(signals, "autonomy_signal")

    def _host_talks(self) -> None:
        """Offer a neutral venue while a war is on in Ukraine, if Belarus reads as neutral."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        war_on = m.ukraine.at_war & (m.war_tension > 0.05) & ~m.aligned & ~imp.territory_used
        hosts = war_on & (self._draw("venue") < p.venue_rate)
        imp.coop["ukraine"] += p.venue_size * hosts
        imp.coop["eu"] += p.venue_size * hosts
        m.log_decision(hosts, "venue")

    def update_trust(self) -> None:
        """Belarus learns from the same events as its partners, but does not hold its own
        alignment with Russia against Ukraine."""
        interactions, own = self.model.interactions, {"ukraine": self.model.alignment_conflict}
        for j, partner in enumerate(TRUSTED):
            dyad = interactions[partner]
            conflict = dyad.conflict - own.get(partner, 0.0)
            self.trust[j] = self._updated(self.trust[j], dyad.cooperation, conflict, self.baselines[j])

    def decide(self) -> None:
        m, p = self.model, self.model.params
        trust = np.append(self.trust, np.full((1, m.n_replicates), p.trust_other), axis=0).T
        benefit, variance = self._benefits(), self._variances()
        self.cost = m.commitment_cost()
        self.optimum = hedging.optimal_hedge(
            trust * benefit,
            variance,
            p.risk_aversion,
            p.room_value,
            p.alliance_commitment,
            self.cost,
            start=self.optimum,
        )
        previous = self.weights
        self.weights = hedging.move_toward(previous, self.optimum, p.hedge_inertia)
        self.moved = self.weights - previous
        pull = hedging.shortfall_pull(self.optimum, p.alliance_commitment, self.cost)
        terms = (trust, benefit, -2.0 * p.risk_aversion * variance * self.optimum, pull)
        if self.terms is not None:
            t0, b0, r0, c0 = self.terms
            self.driver = hedging.dominant_driver(
                self.moved, (trust - t0) * benefit, trust * (benefit - b0), terms[2] - r0, pull - c0
            ).astype(np.int8)
        self.terms = terms

    def _benefits(self) -> np.ndarray:
        m, p = self.model, self.model.params
        eu = p.benefit_eu * m.eu.offer - p.sanction_cost * m.eu.isolation
        russia = (
            p.benefit_russia * (1.0 - m.russia.supply_cut)
            + p.support_benefit * m.russia.support
            - p.integration_cost * m.russia.pressure
        )
        ukraine = p.benefit_ukraine + p.neutrality_value * m.tension * m.ukraine.trust
        other = np.full_like(eu, p.benefit_other)
        return np.stack([eu, russia, ukraine, other], axis=1)

    def _variances(self) -> np.ndarray:
        m, p = self.model, self.model.params
        eu = p.var_eu + p.var_eu_sanctions * m.eu.isolation
        disputed = (m.impulses.supply_cut > 0) | (m.impulses.gas_dispute > 0)
        russia = p.var_russia + p.var_russia_dispute * disputed + p.var_russia_tension * m.tension
        ukraine = p.var_ukraine + p.var_ukraine_war * m.ukraine.at_war
        other = np.full_like(eu, p.var_other)
        return np.stack([eu, russia, ukraine, other], axis=1)
