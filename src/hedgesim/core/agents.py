"""The actors that answer Belarus: the EU, Russia, Lithuania, Ukraine (Belarus, the hedger, is in
``belarus``). Each holds its state as arrays over the ensemble's replicates.

Every month each agent, in turn: ``perceive`` (take in the shocks that hit it), ``act`` (its
discrete decisions, drawn from its own rule: crackdowns, releases, signals, venues, disputes),
``update_trust`` (from the month's interactions, faster down than up, drifting back toward its
starting level) and ``decide`` (its policy). The model calls the verbs in that order for all
agents, and ``decide`` in the order EU, Russia, Lithuania, Ukraine, Belarus, so Belarus answers
the month's offers and pressure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np

from hedgesim.core import hedging, kernels
from hedgesim.core.conditionality import council_decisions, engagement_offer
from hedgesim.core.negotiation import negotiated
from hedgesim.core.vocabulary import AGREEMENTS, DECISIONS, Milestone

if TYPE_CHECKING:
    from hedgesim.core.model import HedgingModel

REVIEW_MONTHS = (2, 10)
DECISION_CODES = {name: k for k, name in enumerate(DECISIONS)}
EU_COLUMN = hedging.EU
"""Belarus's EU weight in its hedge (the ``EU`` class below is the actor)."""


def _trust_example(baseline):
    """Arguments of ``updated_trust`` as an actor passes them (baseline: one number or per replicate)."""
    return lambda: (*(np.full(1, 0.5) for _ in range(3)), 0.1, 0.2, 0.05, 0.01, baseline)


@kernels.compilable(_trust_example(0.3), _trust_example(np.full(1, 0.3)))
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
    return np.minimum(np.maximum(lost + drift * (baseline - lost), floor), 1.0)  # np.clip, cheaper


def logistic(x: np.ndarray) -> np.ndarray:
    """The logistic function, for decision probabilities from log-odds."""
    return 1.0 / (1.0 + np.exp(-x))


class Actor(mesa.Agent):
    """Common state: trust in Belarus (Belarus overrides with trust in each partner)."""

    code = ""
    western = False
    """Its trust in Belarus answers the mutual-trust challenge (the EU and Lithuania)."""
    REPLICATE_STATE: ClassVar[dict[str, int]] = {"trust": 0, "baseline": 0}
    """Its state per replicate, by attribute: the axis the replicates lie on (``core.fork``)."""
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
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict, self.baseline, self.western)

    def decide(self) -> None:
        """Choose this month's policy."""

    def _updated(
        self,
        trust: np.ndarray,
        cooperation: np.ndarray,
        conflict: np.ndarray,
        baseline: float,
        western: bool = False,
    ) -> np.ndarray:
        """One month's trust update; in a Western dyad the mutual-trust challenge sets how fast
        trust grows and the level it drifts back to (both at their reference before the branch)."""
        p = self.model.params
        gain = p.trust_gain
        if western:
            gain, shift = self.model.western_trust
            baseline = np.minimum(np.maximum(baseline + shift, p.trust_floor), 1.0)  # np.clip, cheaper
        return updated_trust(
            trust,
            cooperation,
            conflict,
            gain,
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
    western = True
    REPLICATE_STATE: ClassVar[dict[str, int]] = {
        **Actor.REPLICATE_STATE,
        **dict.fromkeys(
            ("offer", "sanctions", "sectoral", "prisoners_seen", "habituated", "new_listings"), 0
        ),
        **dict.fromkeys(("progress", "status", "months_to"), -1),
    }

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
        self.habituated = np.zeros(r)
        self.new_listings = np.zeros(r)

    @property
    def successes(self) -> np.ndarray:
        """Concluded agreements: the success stories that wear vested interests down."""
        return (self.status == Milestone.CONCLUDED).sum(axis=0)

    @property
    def liftable(self) -> np.ndarray:
        """The listings a release of the political prisoners would lift, as a share of a full
        list: all but the core and the sectoral measures (those answer coercion)."""
        p = self.model.params
        kept = p.sanctions_core + self.sectoral
        return np.maximum(self.sanctions - kept, 0.0) / np.maximum(p.sanctions_full, 1.0)

    @property
    def condemned(self) -> np.ndarray:
        """The political prisoners the EU still condemns: those held, less what it got used to."""
        return self.prisoners_seen - self.habituated

    @property
    def isolation(self) -> np.ndarray:
        """The West's measures against Belarus as a share of a full list (sectoral included)."""
        return self.sanctions / np.maximum(self.model.params.sanctions_full, 1.0)

    def perceive(self) -> None:
        """The EU learns of arrests and releases with a month's delay (it acts before Belarus)
        and slowly gets used to prisoners held (a release resets that); coercion against its
        members raises its sectoral measures at once (Belarus's own, decided last month, as it
        learns of them)."""
        p = self.model.params
        self.prisoners_seen = self.model.belarus.prisoners.copy()
        used = self.habituated + p.condemnation_fade * (self.prisoners_seen - self.habituated)
        self.habituated = np.minimum(used, self.prisoners_seen)
        coercion = self.model.impulses.coercion + self.model.belarus.coerced
        added = self.sectoral + p.sectoral_listing * p.sanctions_full * coercion
        self.sectoral = np.minimum(added, p.sectoral_max * p.sanctions_full)

    def decide(self) -> None:
        self._set_sanctions()
        self._set_offer()
        self._negotiate()

    def _set_sanctions(self) -> None:
        """Council decisions: list the gap to what repression and coercion call for when the
        Council agrees (a consensus draw each month); delist the excess at the February and
        October reviews when the members agree (another draw, only then)
        (``conditionality.council_decisions``)."""
        p = self.model.params
        listing_draw = self._draw("listing")
        review = self.model.month.month in REVIEW_MONTHS
        self.sanctions, self.new_listings = council_decisions(
            self.sanctions,
            self.sectoral,
            self.prisoners_seen,
            listing_draw,
            self._draw("delisting") if review else listing_draw,
            review,
            p.sanctions_core,
            p.sanctions_full,
            p.listing_rate,
            p.delisting_share,
        )

    def _set_offer(self) -> None:
        """Trust-based engagement is conditional on human rights; the interest in a neutral
        Belarus grows with tension, but the EU does not court a regime while it still condemns
        its repression (it gets used to prisoners held, so old repression stops the courting
        less than fresh). Once Belarus has suspended the partnership the EU no longer courts it
        for its neutrality, but the conditional offer stays open (``conditionality.engagement_offer``)."""
        p, m = self.model.params, self.model
        self.offer = engagement_offer(
            self.offer,
            m.belarus.weights,
            self.trust,
            self.prisoners_seen,
            self.condemned,
            m.tension,
            m.eap_suspended,
            p.conditionality,
            p.security_interest,
            p.offer_rate,
        )

    def _negotiate(self) -> None:
        """Open talks when the offer (or trust) allows; progress one month at a time while it still
        does (talks freeze otherwise), set back by spoilers; conclusion needs consensus, so
        Lithuania's veto can block it (``negotiation.negotiated``)."""
        p, m = self.model.params, self.model
        self.status, self.progress, self.months_to = negotiated(
            self.status,
            self.progress,
            self.months_to,
            self.offer,
            self.trust,
            self.prisoners_seen,
            m.spoiled,
            m.lithuania.vetoes,
            m.month_index,
            p.visa_open_offer,
            p.priorities_open_offer,
            p.framework_open_trust,
            p.visa_months,
            p.priorities_months,
            p.framework_months,
            p.spoiler_setback,
        )


def _dispute_example() -> tuple:
    """Arguments of ``russian_dispute`` as Russia passes them (one value per parameter)."""
    return (*(np.full(1, 0.5) for _ in range(5)), 0.02, 3.0, 0.3)


@kernels.compilable(_dispute_example)
def russian_dispute(months_left, draw, pressure, month_cut, supply_cut, rate, months, size) -> tuple:
    """Russia opens an oil dispute of its own with a chance ``rate`` x pressure when none is
    running; it cuts crude by ``size`` for ``months`` (disputes do not stack). Returns which
    replicates opened one, the months left, and the month's and Russia's cut."""
    opens = (months_left <= 0) & (draw < rate * pressure)
    left = np.where(opens, months, months_left - 1.0)
    running = left > 0
    month = np.where(running, np.maximum(month_cut, size), month_cut)
    return opens, left, month, np.where(running, np.maximum(supply_cut, size), supply_cut)


def _policy_example() -> tuple:
    """Arguments of ``russian_policy`` as Russia passes them (one value per parameter)."""
    return (np.full((1, 4), 0.25), *(np.full(1, 0.5) for _ in range(3)), *(0.1 for _ in range(5)))


@kernels.compilable(_policy_example)
def russian_policy(weights, pressure, support, isolation, tolerance, decay, gain, rate, support_gain):
    """Pressure and support after this month: pressure closes ``decay`` of its gap to ``gain`` x
    Belarus's EU weight past ``tolerance``; support closes ``rate`` of its gap to
    ``support_gain`` x the West's isolation of the regime."""
    drift = np.maximum(weights[:, EU_COLUMN] - tolerance, 0.0)
    return pressure + decay * (gain * drift - pressure), support + rate * (support_gain * isolation - support)


class Russia(Actor):
    """Sticks and carrots: integration pressure answers Belarus's drift toward the EU and may
    open an energy dispute; support to the regime grows when the West isolates it."""

    code = "russia"
    REPLICATE_STATE: ClassVar[dict[str, int]] = {
        **Actor.REPLICATE_STATE,
        **dict.fromkeys(("pressure", "support", "supply_cut", "own_dispute_left"), 0),
    }

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
        opens, self.own_dispute_left, imp.supply_cut, self.supply_cut = russian_dispute(
            self.own_dispute_left,
            self._draw("russia_dispute"),
            self.pressure,
            imp.supply_cut,
            self.supply_cut,
            p.dispute_pressure_rate,
            p.dispute_months,
            p.dispute_size,
        )
        self.model.log_decision(opens, "russia_dispute")

    def update_trust(self) -> None:
        """Russia reads Belarus's drift toward the EU as conflict beside the month's events."""
        p, dyad = self.model.params, self.model.interactions[self.code]
        drift = np.maximum(self.model.belarus.weights[:, hedging.EU] - p.pressure_tolerance, 0.0)
        self.trust = self._updated(self.trust, dyad.cooperation, dyad.conflict + drift, self.baseline)

    def decide(self) -> None:
        """Integration pressure follows Belarus's drift toward the EU past what Russia tolerates;
        support to the regime follows the West's isolation of it."""
        p = self.model.params
        self.pressure, self.support = russian_policy(
            self.model.belarus.weights,
            self.pressure,
            self.support,
            self.model.eu.isolation,
            p.pressure_tolerance,
            p.pressure_decay,
            p.pressure_gain,
            p.support_rate,
            p.support_gain,
        )


class Lithuania(Actor):
    """Campaigns against the Astravets NPP: its concern, weighed by its distrust of Belarus,
    drives its veto in EU consensus."""

    code = "lithuania"
    western = True
    REPLICATE_STATE: ClassVar[dict[str, int]] = {**Actor.REPLICATE_STATE, "concern": 0, "plant_running": 0}

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
    REPLICATE_STATE: ClassVar[dict[str, int]] = {**Actor.REPLICATE_STATE, "at_war": 0}

    def __init__(self, model: HedgingModel):
        super().__init__(model, model.params.trust_init_ukraine_blr)
        self.at_war = np.zeros(model.n_replicates, dtype=bool)

    def perceive(self) -> None:
        self.at_war |= self.model.impulses.war_on_ukraine
