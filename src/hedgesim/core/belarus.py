"""Belarus, the hedger: trust in each partner, the hedge, its political prisoners and the
regime's discrete decisions (crackdowns, releases, autonomy signals, hosting talks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hedgesim.core import hedging
from hedgesim.core.agents import Actor, logistic
from hedgesim.core.terms import hedge_move, partner_terms
from hedgesim.core.vocabulary import TRUSTED

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel


class Belarus(Actor):
    """The hedger: trust in each partner, the hedge, its political prisoners and its decisions."""

    code = "belarus"
    REPLICATE_STATE: ClassVar[dict[str, int]] = {
        "trust": -1,
        "baselines": 0,
        **dict.fromkeys(("prisoners", "threat", "coerced", "weights", "optimum", "terms", "cost"), 0),
        **dict.fromkeys(("driver", "moved", "moved_partner", "moved_by"), 0),
    }

    def __init__(self, model: HedgingModel):
        p = model.params
        super().__init__(model, 0.0)
        r = model.n_replicates
        initial = (p.trust_init_blr_eu, p.trust_init_blr_russia, p.trust_init_blr_ukraine)
        self.baselines = initial
        self.trust = np.array([np.full(r, value) for value in initial])
        self.prisoners = np.full(r, p.repression_initial)
        self.threat = np.zeros(r)
        self.coerced = np.zeros(r)
        self.weights = np.full((r, 4), 0.25)
        self.optimum: np.ndarray | None = None
        self.terms: tuple[np.ndarray, ...] | None = None
        self.driver = np.zeros(r, dtype=np.int8)
        self.moved = np.zeros((r, 4))
        self.moved_partner = np.zeros(r, dtype=np.int8)
        self.moved_by = np.zeros(r)
        self.cost = np.zeros(r)

    def perceive(self) -> None:
        """Prisoners are held (pardons thin them slowly); an imposed concession releases them and
        an imposed crackdown jails (observed history or a counterfactual timeline)."""
        p, impulses = self.model.params, self.model.impulses
        held = self.prisoners * p.repression_persistence * (1.0 - impulses.release)
        self.prisoners = np.maximum(held, impulses.crackdown)
        self.threat = np.maximum(self.threat * (1.0 - p.threat_fade), impulses.crackdown)

    def act(self) -> None:
        """The regime's discrete decisions this month, each drawn from its rule (unless observed
        history imposes them in this month). A rule that cannot fire in any replicate this month
        returns at once: the draws are counter-based, so skipping one moves no other."""
        if not self.model.rules_decide:
            return
        self._crackdown()
        self._coerce()
        self._release()
        self._signal()
        self._host_talks()

    def _crackdown(self) -> None:
        """At an election, crack down with log-odds rising with the opposition's mobilisation
        (the threat the regime perceives) and with Russian backing; a crackdown jails in
        proportion to the mobilisation and is a conflict with the EU."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        if not imp.election_held.any():  # no replicate votes this month: nothing can change
            return
        odds = p.crackdown_bias + p.crackdown_threat * imp.election + p.crackdown_backing * self.backing
        cracks = imp.election_held & (self._draw("crackdown") < logistic(odds))
        severity = np.where(cracks, np.maximum(imp.election, 0.25), 0.0)
        self.prisoners = np.maximum(self.prisoners, severity)
        self.threat = np.maximum(self.threat, severity)
        imp.conflict["eu"] += severity
        m.log_decision(cracks, "crackdown")

    def _coerce(self) -> None:
        """Coerce EU members (migrants pushed to their borders, a forced landing) with a monthly
        chance rising with the threat the regime remembers and with Russian backing: a regime
        that feels threatened and that Moscow shields hits back at the neighbours harbouring its
        opponents. Conflict with the EU and Lithuania; the EU's sectoral rule reads it."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        chance = p.coercion_rate * self.threat * self.backing
        coerces = self._draw("coercion") < chance
        self.coerced = p.coercion_size * coerces
        imp.conflict["eu"] += self.coerced
        imp.conflict["lithuania"] += self.coerced
        m.log_decision(coerces, "coercion")

    @property
    def backing(self) -> np.ndarray:
        """The Russian backing the regime counts on: Russia's support, discounted by Belarus's
        trust in Russia (it emboldens crackdowns and coercion)."""
        return self.model.russia.support * self.trust[hedging.RUSSIA]

    def need_for_eu(self) -> np.ndarray:
        """How much a release would buy: the EU measures it would lift (those answering the
        prisoners, not the sectoral ones answering coercion), heavier when Russia is a risky
        partner (tension, pressure, a crude cut). Moscow's integration pressure counts only as far
        as the regime is safe at home: one that still feels the threat of its last crackdown needs
        Moscow's backing more than relief from its demands (model 2.3)."""
        m = self.model
        pressure = m.russia.pressure * (1.0 - self.threat)  # threat is in [0, 1], as shock sizes are
        return m.eu.liftable * (m.tension + pressure + m.russia.supply_cut)

    def release_cost(self) -> np.ndarray:
        """The regime's cost of a release: a base cost plus the threat it still remembers."""
        p = self.model.params
        return p.release_cost + p.release_threat * self.threat

    def _release(self) -> None:
        """Release the political prisoners when the need for the EU outweighs the regime's cost:
        a monthly chance proportional to the excess."""
        p, imp = self.model.params, self.model.impulses
        if not (self.prisoners > 0.05).any():  # nobody to release in any replicate
            return
        excess = np.maximum(self.need_for_eu() - self.release_cost(), 0.0)
        releases = (self.prisoners > 0.05) & (self._draw("release") < p.release_rate * excess)
        self.prisoners = np.where(releases, 0.0, self.prisoners)
        imp.coop["eu"] += releases
        self.model.log_decision(releases, "release")

    def _signal(self) -> None:
        """Signal autonomy to Moscow (non-recognition, refusing a base) when tension makes it pay
        and Belarus does not read as aligned: cooperation with the EU, conflict with Russia."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        if not (m.tension > p.signal_tension).any():  # a signal cannot pay in any replicate
            return
        chance = p.signal_rate * np.maximum(m.tension - p.signal_tension, 0.0) * ~m.aligned
        signals = self._draw("signal") < chance
        imp.coop["eu"] += p.signal_size * signals
        imp.conflict["russia"] += p.signal_size * signals
        m.log_decision(signals, "autonomy_signal")

    def _host_talks(self) -> None:
        """Offer a neutral venue while a war is on in Ukraine, if Belarus reads as neutral; the
        parties come less often while the EU condemns fresh repression (it gets used to
        prisoners held)."""
        p, m, imp = self.model.params, self.model, self.model.impulses
        if not m.ukraine.at_war.any():  # no war to host talks about in any replicate
            return
        war_on = m.ukraine.at_war & (m.war_tension > 0.05) & ~m.aligned & ~imp.territory_used
        accepted = 1.0 - m.eu.condemned
        hosts = war_on & (self._draw("venue") < p.venue_rate * accepted)
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
            western = partner == "eu"
            self.trust[j] = self._updated(
                self.trust[j], dyad.cooperation, conflict, self.baselines[j], western
            )

    def decide(self) -> None:
        m, p = self.model, self.model.params
        trust, utility, gains, costs, variance = self._terms()
        self.cost = m.commitment_cost()
        self.optimum = hedging.optimal_hedge(
            utility,
            variance,
            p.risk_aversion,
            p.room_value,
            p.alliance_commitment,
            self.cost,
            start=self.optimum,
        )
        self.weights, self.moved, pull, risk = hedge_move(
            self.weights,
            self.optimum,
            variance,
            p.hedge_inertia,
            p.alliance_commitment,
            self.cost,
            p.risk_aversion,
        )
        terms = (trust, gains, costs, risk, pull)
        explained = hedging.explained_moves(self.moved, terms, self.terms)
        self.driver, self.moved_partner, self.moved_by = explained
        self.terms = terms

    def _terms(self) -> tuple[np.ndarray, ...]:
        """Belarus's trust in each partner, the utility it expects of each, each partner's gains
        (before trust discounts them), certain costs and payoff variances this month
        (``terms.partner_terms``), each by replicate."""
        m, p = self.model, self.model.params
        disputed = (m.impulses.supply_cut > 0) | (m.impulses.gas_dispute > 0)
        return partner_terms(
            self.trust,
            m.eu.offer,
            m.russia.supply_cut,
            m.russia.support,
            m.tension,
            m.ukraine.trust,
            m.eu.isolation,
            m.status_quo_rent,
            m.russia.pressure,
            disputed,
            m.ukraine.at_war,
            p.trust_other,
            p.benefit_eu,
            p.benefit_russia,
            p.support_benefit,
            p.benefit_ukraine,
            p.neutrality_value,
            p.benefit_other,
            p.sanction_cost,
            p.integration_cost,
            p.var_eu,
            p.var_eu_sanctions,
            p.var_russia,
            p.var_russia_dispute,
            p.var_russia_tension,
            p.var_ukraine,
            p.var_ukraine_war,
            p.var_other,
        )
