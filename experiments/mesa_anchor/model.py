"""One replicate of model 2.0 as a plain Mesa model: five scalar-state agents, monthly steps.

The anchor runs one ``mesa.Model`` per replicate, the way a Mesa user would write the model,
so benchmarks can compare hedgesim's vectorised ensemble against it. It consumes the very same
random numbers (hedgesim's per-replicate stream keyed by (seed, replicate id), with the
ensemble's channels) and the same inputs (the dated shocks' impulses, the stochastic-shock
calendar, oil prices, parameter dataclasses), so replicate k of the anchor reproduces replicate
k of the ensemble. What it does not share is the mechanics: the agents' arithmetic, the drawn
shocks, the hedging solve and the event counts are written here again, in scalar Python.

Shared with hedgesim (inputs, not mechanics): ``ReplicateStreams`` and ``CHANNELS``, the dated
shocks' impulses from ``month_impulses`` (built once per scenario, see ``dated_impulses``),
``StochasticProcess.for_run`` for the first drawn month and the election months,
``monthly_prices``, ``branch_step`` and ``checked_inputs``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

import mesa
import pandas as pd

from hedgesim.config.spec import RunSpec
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.challenges import Challenges
from hedgesim.core.model import CHANNELS
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.run_inputs import branch_step, checked_inputs, monthly_prices
from hedgesim.core.shocks import (
    ShockCodes,
    StochasticProcess,
    StochasticShocks,
    Timeline,
    month_impulses,
)
from hedgesim.core.shocks.stochastic import drawn_codes
from hedgesim.core.streams import ReplicateStreams
from hedgesim.core.vocabulary import AGREEMENTS, DECISIONS, DYADS, SALIENCE, SERIES
from mesa_anchor import hedge
from mesa_anchor.agents import EU, Belarus, Lithuania, Russia, Ukraine

REFERENCE_CHALLENGES = Challenges()
EVENT_LOG = ("driver", "moved_partner", "moved_by", "shock", "decision")
RECORDED = (*SERIES, *AGREEMENTS, *EVENT_LOG)
"""Every series the anchor records each month, named as in the ensemble's record."""


@dataclass
class Impulses:
    """What this month's shocks do before anyone responds, for one replicate."""

    coop: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DYADS, 0.0))
    conflict: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DYADS, 0.0))
    election: float = 0.0
    election_held: bool = False
    crackdown: float = 0.0
    release: float = 0.0
    war: float = 0.0
    war_on_ukraine: bool = False
    supply_cut: float = 0.0
    gas_dispute: float = 0.0
    npp: float = 0.0
    npp_start: bool = False
    shock: int = -1
    coercion: float = 0.0
    eap_suspended: bool = False
    territory_used: bool = False

    def copy(self) -> Impulses:
        """A copy the agents may add their own decisions to."""
        return replace(self, coop=dict(self.coop), conflict=dict(self.conflict))


@lru_cache(maxsize=8)
def dated_impulses(timeline: Timeline, calendar: RunCalendar, war_impact: float) -> tuple[Impulses, ...]:
    """Each month's impulses from the dated shocks alone: the same in every replicate, so they
    are worked out once per scenario (an input, like the timeline), not once per model."""
    active = ShockCodes.of(timeline, calendar, None).dated  # several dated starts: one code for all
    months = []
    for step in range(calendar.n_steps):
        month = month_impulses(1, active.get(step, ()), None, war_impact)
        scalars = {
            name: value[0].item() for name, value in vars(month).items() if name not in ("coop", "conflict")
        }
        coop = {d: float(month.coop[d][0]) for d in DYADS}
        conflict = {d: float(month.conflict[d][0]) for d in DYADS}
        months.append(Impulses(coop=coop, conflict=conflict, **scalars))
    return tuple(months)


class AnchorModel(mesa.Model):
    """One replicate of Belarus hedging between the EU and Russia, as a plain Mesa model.

    Args:
        calendar, timeline, params, challenges, stochastic, oil_prices, seed, branch,
            rules_from: as for hedgesim's HedgingModel.
        replicate_id: which replicate of the run this model is (its random stream).
    """

    def __init__(
        self,
        calendar: RunCalendar,
        timeline: Timeline,
        params: ModelParameters | None = None,
        challenges: Challenges | None = None,
        stochastic: StochasticShocks | None = None,
        oil_prices: Mapping[int, float] | None = None,
        seed: int = 0,
        replicate_id: int = 0,
        branch: Month | None = None,
        rules_from: Month | None = None,
    ):
        super().__init__(rng=seed)
        self.params, self.challenges, stochastic = checked_inputs(params, challenges, stochastic)
        timeline.check_within(calendar)
        self.calendar = calendar
        self.stream = ReplicateStreams(seed, [replicate_id], CHANNELS)
        self.stochastic = StochasticProcess.for_run(stochastic, calendar, timeline)
        self.dated = dated_impulses(timeline, calendar, self.params.war_impact)
        self.oil_prices = monthly_prices(oil_prices or {}, calendar).tolist()
        self.codes = ShockCodes.of(timeline, calendar, self.stochastic)
        self.branch_step = branch_step(branch, calendar)
        self.rules_step = branch_step(rules_from, calendar)
        self.war_tension = 0.0
        self.tension = self.active_challenges.tension
        self.territory_used = False
        self.eap_suspended = False
        self.dispute_months_left = 0
        self.dispute_started = False
        self.dispute_active = False
        self.spoiled = False
        self.impulses = Impulses()
        self.decision = -1
        self.uniforms: dict[str, float] = {}
        self.interactions: dict[str, tuple[float, float]] = {}
        self.observed: dict[str, float] = {}
        self.eu, self.russia = EU(self), Russia(self)
        self.lithuania, self.ukraine = Lithuania(self), Ukraine(self)
        self.belarus = Belarus(self)
        self.deciders = (self.eu, self.russia, self.lithuania, self.ukraine, self.belarus)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, name=name: m.observed[name]) for name in RECORDED}
        )

    # --- the clock and what it implies ------------------------------------------------------

    @property
    def month_index(self) -> int:
        """The month being simulated from 0 (Mesa counts a step before it calls ``step``)."""
        return min(self.steps, self.calendar.n_steps) - 1

    @property
    def month(self) -> Month:
        return self.calendar.month_at(max(self.month_index, 0))

    @property
    def finished(self) -> bool:
        return self.steps >= self.calendar.n_steps

    @property
    def active_challenges(self) -> Challenges:
        return REFERENCE_CHALLENGES if max(self.month_index, 0) < self.branch_step else self.challenges

    def trust_pace(self, baseline: float, western: bool) -> tuple[float, float]:
        """Trust gain and drift baseline of a dyad: in a Western one the mutual-trust challenge
        scales the gain (0.2x at 0, 1.8x at 1) and shifts the baseline; others keep their own."""
        p = self.params
        if not western:
            return p.trust_gain, baseline
        trust = self.active_challenges.trust
        shifted = baseline + p.trust_challenge_shift * (trust - 0.5)
        return p.trust_gain * (0.2 + 1.6 * trust), min(max(shifted, p.trust_floor), 1.0)

    @property
    def rules_decide(self) -> bool:
        return max(self.month_index, 0) >= self.rules_step

    @property
    def aligned(self) -> bool:
        """Belarus reads as aligned with Russia: a Russia weight past the threshold, or its
        territory lent to a war."""
        return self.belarus.weights[hedge.RUSSIA] > self.params.alignment_threshold or self.territory_used

    @property
    def alignment_conflict(self) -> float:
        return self.params.alignment_friction * self.aligned

    def draw(self, channel: str) -> float:
        """This month's uniform of one channel of this replicate's stream."""
        return self.uniforms[channel]

    def log_decision(self, decision: str) -> None:
        """A decision taken this month is the month's decision in the event log (beside its
        shock); of several, the most salient (first in SALIENCE)."""
        logged = list(DECISIONS)[self.decision] if self.decision >= 0 else None
        ranks = [*SALIENCE, None]
        if ranks.index(decision) < ranks.index(logged):
            self.decision = list(DECISIONS).index(decision)

    # --- one month ----------------------------------------------------------------------------

    def step(self) -> None:
        """Shocks, perception, actions, interactions, trust, decisions, observation."""
        if self.steps > self.calendar.n_steps:
            self.running = False
            return
        t = self.month_index
        self.uniforms = dict(zip(CHANNELS, self.stream.uniforms(t)[:, 0].tolist(), strict=True))
        self.impulses = self.month_shocks(t)
        self.decision = -1
        self.territory_used = self.territory_used or self.impulses.territory_used
        self.eap_suspended = self.eap_suspended or self.impulses.eap_suspended
        self.agents.do("perceive")
        self.war_tension = self.war_tension * (1.0 - self.params.tension_decay) + self.impulses.war
        self.tension = min(max(self.active_challenges.tension + self.war_tension, 0.0), 1.0)
        self.agents.do("act")
        self.spoiled = self.draw("spoiler") < self.spoiler_hazard()
        self.interactions = self.interact()
        self.agents.do("update_trust")
        for actor in self.deciders:
            actor.decide()
        self.observed = self.observe()
        self.datacollector.collect(self)
        self.running = not self.finished

    def run(self) -> AnchorModel:
        while not self.finished:
            self.step()
        return self

    def month_shocks(self, t: int) -> Impulses:
        """The dated impulses of month t plus this replicate's drawn shocks."""
        imp = self.dated[t].copy()
        s = self.stochastic.settings
        if not s.enabled or t < self.stochastic.first_step:
            return imp
        election = t in self.stochastic.election_steps
        mobilisation = self.draw("election") * s.mobilisation_max if election else 0.0
        war = self.draw("war") < s.war_rate * self.tension
        self.dispute_started = self.draw("dispute") < s.energy_dispute_rate and self.dispute_months_left == 0
        left = s.energy_dispute_months if self.dispute_started else self.dispute_months_left
        self.dispute_active, self.dispute_months_left = left > 0, max(left - 1, 0)
        imp.election = max(imp.election, mobilisation)
        imp.election_held = imp.election_held or election
        if self.dispute_active:
            imp.supply_cut = max(imp.supply_cut, s.energy_dispute_size)
        if war:
            imp.war += s.war_size * self.params.war_impact
        code = int(drawn_codes((election, self.dispute_started, war)))  # one code for the set
        if code >= 0:
            imp.shock = self.codes.first_drawn_code(t) + code
        return imp

    def spoiler_hazard(self) -> float:
        p = self.params
        scale = p.spoiler_rate * 2.0 * self.active_challenges.vested_interests
        return scale * self.eu.offer * self.vested_left()

    def status_quo_rent(self) -> float:
        """The rent status-quo groups add to the cost of EU engagement, relative to history."""
        p, level = self.params, self.active_challenges.vested_interests
        return p.status_quo_rent * 2.0 * (level - 0.5) * self.vested_left()

    def vested_left(self) -> float:
        return math.exp(-self.params.success_wear * self.eu.successes)

    def interact(self) -> dict[str, tuple[float, float]]:
        """(cooperation, conflict) of each dyad: impulses plus routine contact and friction."""
        p, imp, w = self.params, self.impulses, self.belarus.weights
        eu, russia, lithuania = self.eu, self.russia, self.lithuania
        routine = {
            "eu": w[hedge.EU] * eu.offer,
            "russia": p.alliance_routine * w[hedge.RUSSIA] * russia.trust * (1.0 - russia.supply_cut),
            "ukraine": w[hedge.UKRAINE] * (0.0 if self.aligned else 1.0) * (0.5 + self.tension),
            "lithuania": w[hedge.EU] * (1.0 - lithuania.concern),
        }
        friction = {
            "eu": p.sanctions_friction * eu.new_listings / max(p.sanctions_full, 1.0)
            + p.repression_friction * eu.condemned
            + self.spoiled * p.spoiler_trust_hit,
            "russia": p.dispute_friction * (imp.supply_cut + imp.gas_dispute)
            + p.pressure_friction * russia.pressure,
            "ukraine": self.alignment_conflict,
            "lithuania": p.npp_friction * lithuania.concern,
        }
        return {
            d: (imp.coop[d] + p.engagement_scale * routine[d], imp.conflict[d] + friction[d]) for d in DYADS
        }

    # --- observation --------------------------------------------------------------------------

    def observe(self) -> dict[str, float]:
        return {**self.relations(), **self.state_series(), **self.why_moved()}

    def relations(self) -> dict[str, float]:
        """Each dyad's relations index: scored positive minus negative event counts."""
        p, out = self.params, {}
        for d in DYADS:
            coop, conflict = self.interactions[d]
            positive = poisson_count(p.events_positive * coop, self.draw(f"{d}_events_positive"))
            negative = poisson_count(p.events_negative * conflict, self.draw(f"{d}_events_negative"))
            out[f"relations_{d}"] = p.event_score * (positive - negative)
        return out

    def state_series(self) -> dict[str, float]:
        p, b, eu, russia = self.params, self.belarus, self.eu, self.russia
        supply = 1.0 - russia.supply_cut
        price = self.oil_prices[self.month_index]
        return {
            "trust_blr_eu": b.trusts[hedge.EU],
            "trust_eu_blr": eu.trust,
            "trust_blr_russia": b.trusts[hedge.RUSSIA],
            "trust_russia_blr": russia.trust,
            "trust_blr_ukraine": b.trusts[hedge.UKRAINE],
            "trust_ukraine_blr": self.ukraine.trust,
            "trust_lithuania_blr": self.lithuania.trust,
            **{
                f"hedge_{name}": w
                for name, w in zip(("eu", "russia", "ukraine", "other"), b.weights, strict=True)
            },
            "russia_commitment": p.alliance_commitment,
            "commitment_cost": b.cost,
            "russia_support": russia.support,
            "eu_offer": eu.offer,
            "sanctions_persons": eu.sanctions,
            "political_prisoners": b.prisoners,
            "russia_pressure": russia.pressure,
            "oil_supply": supply,
            "npp_concern": self.lithuania.concern,
            "tension": self.tension,
            "trade_eu_turnover": p.trade_non_oil
            + p.trade_oil * supply * (price / p.oil_price_reference) ** p.oil_price_elasticity,
            **dict(zip(AGREEMENTS, eu.status, strict=True)),
        }

    def why_moved(self) -> dict[str, float]:
        b = self.belarus
        partner = b.moved_partner
        return {
            "driver": b.driver,
            "moved_partner": partner,
            "moved_by": b.moved[partner],
            "shock": self.impulses.shock,
            "decision": self.decision,
        }

    def table(self) -> pd.DataFrame:
        """The recorded months, one row each, every series a column (Mesa's DataCollector)."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame.index = pd.Index(self.calendar.dates()[: len(frame)], name="date")
        return frame


def poisson_count(rate: float, uniform: float) -> int:
    """Events in a month: Poisson(rate) by inverting its CDF at ``uniform``, summing the
    probabilities from 0 up; the count is the first k whose CDF reaches the uniform."""
    rate = max(rate, 0.0)
    limit = math.ceil(rate + 9.0 * math.sqrt(rate) + 12.0)
    pmf = math.exp(-rate)
    if pmf == 0.0:  # e^-rate underflows past rate ~745: take each term from its logarithm
        log_rate = math.log(rate)
        pmfs = (math.exp(k * log_rate - rate - math.lgamma(k + 1.0)) for k in range(limit))
        return sum(1 for cdf in itertools.accumulate(pmfs) if cdf < uniform)
    cdf, k = pmf, 0
    while cdf < uniform and k < limit:
        k += 1
        pmf *= rate / k
        cdf += pmf
    return k


def anchor_model(spec: RunSpec, replicate_id: int) -> AnchorModel:
    """The anchor model of one replicate of a validated run spec."""
    return AnchorModel(
        calendar=spec.calendar,
        timeline=spec.timeline,
        params=spec.params,
        challenges=spec.challenges,
        stochastic=spec.stochastic,
        oil_prices=spec.oil_prices,
        seed=spec.seed,
        replicate_id=replicate_id,
        branch=spec.branch,
        rules_from=spec.rules_from,
    )
