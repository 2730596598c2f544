"""HedgingModel: five Mesa agents, dated and stochastic shocks, monthly steps, an ensemble axis.

One model instance runs R replicates at once: every agent holds arrays over replicates, and
replicate k draws from its own counter-based stream keyed by (seed, k), so its trajectory is the
same whatever else runs beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import mesa
import numpy as np
import pandas as pd

from hedgesim.core import challenges, hedging, tables
from hedgesim.core.agents import EU, Lithuania, Russia, Ukraine
from hedgesim.core.belarus import Belarus
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.challenges import Challenges
from hedgesim.core.interactions import Dyad, interact
from hedgesim.core.knobs import check_per_replicate
from hedgesim.core.observe import relations_indices, trade_turnover
from hedgesim.core.parameters import ModelParameters
from hedgesim.core.record import SUMMARY_REPORTERS, EnsembleRecord, code_dtype
from hedgesim.core.run_inputs import (
    REFERENCE_CHALLENGES,
    branch_step,
    checked_inputs,
    monthly_prices,
    replicate_ids_of,
)
from hedgesim.core.shocks import (
    STOCHASTIC_CHANNELS,
    DrawnMonth,
    DrawnShocks,
    EnergyDisputes,
    Impulses,
    ShockCodes,
    StochasticProcess,
    StochasticShocks,
    Timeline,
    month_impulses,
)
from hedgesim.core.streams import ReplicateStreams
from hedgesim.core.vocabulary import AGREEMENTS, DECISIONS, DYADS, PARTNERS, SALIENCE

DECISION_CHANNELS = (
    "crackdown",
    "release",
    "signal",
    "venue",
    "russia_dispute",
    "listing",
    "delisting",
    "coercion",
)
"""The channels the agents' own decisions draw from, one uniform each per replicate and month."""
CHANNELS = (
    "spoiler",
    *STOCHASTIC_CHANNELS,
    *DECISION_CHANNELS,
    *(f"{d}_events_{i}" for d in DYADS for i in ("positive", "negative")),
)
"""The random-stream channels each replicate draws from every month, in stream order."""
NO_DECISION = -1
"""The event log's decision code of a month in which no actor took a logged decision."""
DECISION_CODES = {name: code for code, name in enumerate(DECISIONS)}
"""The event log's code of each decision."""
RANKS = np.array([SALIENCE.index(name) for name in DECISIONS] + [len(SALIENCE)])
"""Each code's rank in ``SALIENCE`` (index -1, no decision, ranks last)."""
EVENT_CHANNELS = tuple(f"{d}_events_{sign}" for sign in ("positive", "negative") for d in DYADS)
"""The event counts' channels: every dyad's positive events, then every dyad's negative ones."""


def no_decision(n_replicates: int) -> np.ndarray:
    """A month's decision codes before anyone decides (int16, like the shock codes)."""
    return np.full(n_replicates, NO_DECISION, dtype=np.int16)


class HedgingModel(mesa.Model):
    """Belarus hedging between the EU and Russia, with Lithuania and Ukraine answering.

    Args:
        calendar: the run's months.
        timeline: the dated shocks (inputs); they must start inside the run.
        params: mechanism parameters.
        challenges: the three challenges; each level one number, or one per replicate.
        stochastic: hazards of the shocks drawn after the dated timeline.
        oil_prices: Brent annual average by year, USD/bbl; later years repeat the last.
        seed: the run seed; every draw derives from it.
        branch: the month from which the challenges apply; before it every run has the
            reference challenges (``Challenges()``), so all cells of a sweep share their
            history. None: from the first month.
        rules_from: the month from which Belarus's discrete decisions come from its rules;
            before it the timeline imposes them (observed history). None: from the first month.
        replicate_ids: which replicates this instance holds (default 0..replicates-1).
        replicates: ensemble size when replicate_ids is not given.
        precision: the dtype the record keeps real-valued series in (float64 or float32).
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
        replicates: int = 1,
        replicate_ids: Sequence[int] | None = None,
        branch: Month | None = None,
        rules_from: Month | None = None,
        precision: str = "float64",
    ):
        super().__init__(rng=seed)
        self.params, self.challenges, stochastic = checked_inputs(params, challenges, stochastic)
        timeline.check_within(calendar)
        self.replicate_ids = replicate_ids_of(replicates, replicate_ids)
        self.n_replicates = int(self.replicate_ids.size)
        check_per_replicate(self.params, "params", self.n_replicates)
        check_per_replicate(self.challenges, "challenges", self.n_replicates)
        self.calendar = calendar
        self.timeline = timeline
        self.streams = ReplicateStreams(seed, self.replicate_ids, CHANNELS, calendar.n_steps)
        self.stochastic = StochasticProcess.for_run(stochastic, calendar, timeline)
        self.oil_prices = monthly_prices(oil_prices or {}, calendar)
        self.shock_codes = ShockCodes.of(timeline, calendar, self.stochastic)
        self.shock_labels: list[str] = list(self.shock_codes.labels)
        self.decision_labels: list[str] = list(DECISIONS.values())
        self._dated = self.shock_codes.dated
        self.branch_step = branch_step(branch, calendar)
        self.rules_step = branch_step(rules_from, calendar)
        self._draws = np.zeros((self.n_replicates, len(CHANNELS)))
        self._init_environment()
        self.eu, self.russia = EU(self), Russia(self)
        self.lithuania, self.ukraine = Lithuania(self), Ukraine(self)
        self.belarus = Belarus(self)
        self.deciders = (self.eu, self.russia, self.lithuania, self.ukraine, self.belarus)
        codes = {"shock": code_dtype(len(self.shock_labels)), "decision": code_dtype(len(DECISIONS))}
        self.record = EnsembleRecord(calendar.n_steps, self.n_replicates, precision, codes)
        self.record.hold("russia_commitment", self.params.alliance_commitment)
        self.datacollector = mesa.DataCollector(model_reporters=SUMMARY_REPORTERS)
        self.running = True

    def _init_environment(self) -> None:
        """The state no agent owns: tension, drawn disputes, spoilers, the month's impulses."""
        n = self.n_replicates
        self.war_tension = np.zeros(n)
        self.tension = np.full(n, self.active_challenges.tension)
        self.territory_used = np.zeros(n, dtype=bool)
        self.eap_suspended = np.zeros(n, dtype=bool)
        self.disputes = EnergyDisputes.none(n)
        self.spoiled = np.zeros(n, dtype=bool)
        self.impulses = Impulses.quiet(n)
        self.decision = no_decision(n)
        self.interactions: dict[str, Dyad] = {}
        self.observed: dict[str, np.ndarray] = {}

    # --- the clock ----------------------------------------------------------------------

    @property
    def month_index(self) -> int:
        """The month being (or last) simulated, counted from 0; -1 before the first step.

        Mesa's ``steps`` is the only clock: Mesa counts a step before it calls ``step``, so
        month t runs while ``steps == t + 1``. Calls past the calendar's end leave this at the
        last month.
        """
        return min(self.steps, self.calendar.n_steps) - 1

    @property
    def month(self) -> Month:
        """The calendar month of ``month_index`` (the first month before any step)."""
        return self.calendar.month_at(max(self.month_index, 0))

    @property
    def active_challenges(self) -> Challenges:
        """The challenges in force this month: the reference ones before the branch month."""
        if max(self.month_index, 0) < self.branch_step:
            return REFERENCE_CHALLENGES
        return self.challenges

    @property
    def western_trust(self) -> tuple[float, float]:
        """The Western dyads' trust gain and baseline shift under this month's trust challenge."""
        return challenges.western_trust(self.params, self.active_challenges.trust)

    @property
    def status_quo_rent(self) -> np.ndarray:
        """The rent status-quo groups add to Belarus's cost of EU engagement this month."""
        vested = self.active_challenges.vested_interests
        return challenges.status_quo_rent(self.params, vested, self.eu.successes)

    @property
    def alignment_conflict(self) -> np.ndarray:
        """Ukraine's grievance at Belarus reading as aligned with Russia, this month."""
        return self.params.alignment_friction * self.aligned

    @property
    def rules_decide(self) -> bool:
        """Belarus's discrete decisions come from its rules this month (not imposed history)."""
        return max(self.month_index, 0) >= self.rules_step

    @property
    def aligned(self) -> np.ndarray:
        """Belarus reads as aligned with Russia (not neutral) to Ukraine and to talks: its Russia
        weight is past the threshold, or its territory has been used for a war."""
        return (
            self.belarus.weights[:, hedging.RUSSIA] > self.params.alignment_threshold
        ) | self.territory_used

    def commitment_cost(self) -> np.ndarray:
        """This month's cost of falling short of the alliance commitment, per replicate."""
        p = self.params
        return hedging.commitment_cost(
            self.tension,
            self.territory_used,
            p.commitment_cost,
            p.commitment_cost_max,
            p.neutrality_threshold,
            p.commitment_steepness,
            p.territory_commitment,
        )

    def decision_draw(self, channel: str) -> np.ndarray:
        """This month's uniforms of one decision channel (the agents' own draws)."""
        return self.streams.column(self._draws, channel)

    def log_decision(self, taken: np.ndarray, decision: str) -> None:
        """Name a decision taken this month in the event log's ``decision`` column, beside the
        month's shock (which it leaves alone, so a decision never hides a dated shock).

        Of several in one month the most salient is logged (``vocabulary.SALIENCE``), whichever
        was taken first: Russia acts before Belarus, and Belarus hosts talks last.
        """
        if taken.any():  # most months nobody takes it: no ranks to look up
            code = DECISION_CODES[decision]
            self.decision[taken & (RANKS[self.decision] > RANKS[code])] = code

    @property
    def finished(self) -> bool:
        """Every month of the calendar has been simulated."""
        return self.steps >= self.calendar.n_steps

    def step(self) -> None:
        """One month: shocks, perception, interactions, trust, decisions, observation."""
        if self.steps > self.calendar.n_steps:
            self.running = False
            return
        t = self.month_index
        draws = self._draws = self.streams.uniforms(t)
        drawn = self._draw_shocks(t, draws)
        self._advance_disputes(drawn)
        self.impulses = self._impulses(t, drawn)
        self.decision = no_decision(self.n_replicates)
        self.territory_used |= self.impulses.territory_used
        self.eap_suspended |= self.impulses.eap_suspended
        self.agents.do("perceive")
        self._update_tension()
        self.agents.do("act")
        self.spoiled = self.streams.column(draws, "spoiler") < self._spoiler_hazard()
        self.interactions = interact(self)
        self.agents.do("update_trust")
        for actor in self.deciders:
            actor.decide()
        self.observed = self._observe(draws)
        self.record.record(t, self.observed)
        self.datacollector.collect(self)
        self.running = not self.finished

    def run(self) -> HedgingModel:
        """Step to the end of the calendar."""
        while not self.finished:
            self.step()
        return self

    # --- shocks -------------------------------------------------------------------------

    def _draw_shocks(self, t: int, draws: np.ndarray) -> DrawnShocks | None:
        """Shocks drawn at month t from last month's state; None before the stochastic period."""
        return self.stochastic.draw(
            t,
            {name: self.streams.column(draws, name) for name in STOCHASTIC_CHANNELS},
            tension=self.tension,
        )

    def _advance_disputes(self, drawn: DrawnShocks | None) -> None:
        """Drawn energy disputes start, run for their months and end (nothing before the draws)."""
        if drawn is not None:
            months = self.stochastic.settings.energy_dispute_months
            self.disputes = self.disputes.advanced(drawn.dispute, months)

    def _impulses(self, t: int, drawn: DrawnShocks | None) -> Impulses:
        """What month t's dated and drawn shocks do; drawn ones are coded after the dated."""
        month = None
        if drawn is not None:
            first_code = self.shock_codes.first_drawn_code(t)
            month = DrawnMonth(drawn, self.disputes, self.stochastic.settings, first_code)
        return month_impulses(self.n_replicates, self._dated.get(t, ()), month, self.params.war_impact)

    def _update_tension(self) -> None:
        """Background tension plus the war-driven part, which fades at ``tension_decay``."""
        decay = self.params.tension_decay
        self.war_tension = self.war_tension * (1.0 - decay) + self.impulses.war
        self.tension = np.minimum(np.maximum(self.active_challenges.tension + self.war_tension, 0.0), 1.0)

    def _spoiler_hazard(self) -> np.ndarray:
        vested = self.active_challenges.vested_interests
        return challenges.spoiler_hazard(self.params, vested, self.eu.offer, self.eu.successes)

    # --- observation ----------------------------------------------------------------------

    def _observe(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Everything recorded this month: relations indices, state series, the event log."""
        return {**self._relations(draws), **self._state_series(), **self._why_moved()}

    def _relations(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Each dyad's relations index from this month's event counts (one Poisson call for all)."""
        p = self.params
        indices = relations_indices(
            [self.interactions[d].cooperation for d in DYADS],
            [self.interactions[d].conflict for d in DYADS],
            self.streams.columns(draws, EVENT_CHANNELS),
            (p.events_positive, p.events_negative, p.event_score),
        )
        return {f"relations_{d}": index for d, index in zip(DYADS, indices, strict=True)}

    def _state_series(self) -> dict[str, np.ndarray]:
        """Trust, the hedge and the other state an observer reads, plus trade and agreements."""
        p, b, supply = self.params, self.belarus, 1.0 - self.russia.supply_cut
        return {
            "trust_blr_eu": b.trust[hedging.EU],
            "trust_eu_blr": self.eu.trust,
            "trust_blr_russia": b.trust[hedging.RUSSIA],
            "trust_russia_blr": self.russia.trust,
            "trust_blr_ukraine": b.trust[hedging.UKRAINE],
            "trust_ukraine_blr": self.ukraine.trust,
            "trust_lithuania_blr": self.lithuania.trust,
            **{f"hedge_{name}": b.weights[:, j] for j, name in enumerate(PARTNERS)},
            "russia_commitment": np.full(self.n_replicates, p.alliance_commitment),
            "commitment_cost": b.cost,
            "russia_support": self.russia.support,
            "eu_offer": self.eu.offer,
            "sanctions_persons": self.eu.sanctions,
            "political_prisoners": b.prisoners,
            "russia_pressure": self.russia.pressure,
            "oil_supply": supply,
            "npp_concern": self.lithuania.concern,
            "tension": self.tension,
            "trade_eu_turnover": trade_turnover(
                supply,
                self.oil_prices[self.month_index],
                p.trade_non_oil,
                p.trade_oil,
                p.oil_price_reference,
                p.oil_price_elasticity,
            ),
            **{name: self.eu.status[k] for k, name in enumerate(AGREEMENTS)},
        }

    def _why_moved(self) -> dict[str, np.ndarray]:
        """The event log's columns: the partner that moved most, by how much, why, which shock
        struck and which decision was taken."""
        b = self.belarus
        return {
            "driver": b.driver,
            "moved_partner": b.moved_partner,
            "moved_by": b.moved_by,
            "shock": self.impulses.shock,
            "decision": self.decision,
        }

    # --- results --------------------------------------------------------------------------

    def trajectories(self, months: slice = tables.ALL_MONTHS) -> pd.DataFrame:
        """Tidy table: one row per replicate and month, every observed series a column (``months``:
        a slice of the months recorded, for a table written a block at a time)."""
        return tables.trajectories(self.record, self.calendar, self.replicate_ids, months)

    def event_log(self, months: slice = tables.ALL_MONTHS) -> pd.DataFrame:
        """Why Belarus moved, per replicate and month: the partner, the driver, the shock, the decision."""
        return tables.event_log(
            self.record, self.calendar, self.replicate_ids, self.shock_labels, self.decision_labels, months
        )

    def part(self, chosen: slice) -> tables.EnsemblePart:
        """Some of the replicates with their tables: one cell of a batched ensemble."""
        return tables.EnsemblePart(
            self.record.replicates(chosen),
            self.calendar,
            self.replicate_ids[chosen],
            self.shock_labels,
            self.decision_labels,
        )

    def milestone_months(self) -> dict[str, np.ndarray]:
        """Month index (from 0) at which each agreement was concluded, -1 if never."""
        return {name: self.eu.months_to[k] for k, name in enumerate(AGREEMENTS)}
