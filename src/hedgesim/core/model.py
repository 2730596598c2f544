"""HedgingModel: five Mesa agents, dated and stochastic shocks, monthly steps, an ensemble axis.

One model instance runs R replicates at once: every agent holds arrays over replicates, and
replicate k draws from its own counter-based stream keyed by (seed, k), so its trajectory is the
same whatever else runs beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from hedgesim.core import hedging
from hedgesim.core.agents import EU, Belarus, Lithuania, Russia, Ukraine
from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.observe import relations_index, trade_turnover
from hedgesim.core.parameters import Challenges, ModelParameters
from hedgesim.core.record import EnsembleRecord
from hedgesim.core.shocks import (
    STOCHASTIC_CHANNELS,
    Shock,
    ShockKind,
    StochasticProcess,
    StochasticShocks,
    Timeline,
)
from hedgesim.core.streams import ReplicateStreams
from hedgesim.core.vocabulary import (
    AGREEMENTS,
    DRIVERS,
    DYADS,
    HEDGE,
    MILESTONE_NAMES,
    PARTNERS,
    RELATIONS,
    SERIES,
)

CHANNELS = (
    "spoiler",
    *STOCHASTIC_CHANNELS,
    *(f"{d}_events_{i}" for d in DYADS for i in (1, 2)),
)
SPREAD_KINDS = {
    ShockKind.CONCESSION,
    ShockKind.AUTONOMY_SIGNAL,
    ShockKind.INSTITUTIONAL,
    ShockKind.VENUE,
    ShockKind.DIPLOMATIC,
}
DISPUTE_KINDS = {ShockKind.OIL_DISPUTE, ShockKind.GAS_DISPUTE}
STOCHASTIC_LABELS = {
    "crackdown": "election ends in a crackdown",
    "release": "political prisoners released",
    "dispute": "oil dispute with Russia",
    "war": "a new war raises tension",
}


@dataclass
class Impulses:
    """What this month's shocks do, per replicate, before the agents respond."""

    coop: dict[str, np.ndarray]
    conflict: dict[str, np.ndarray]
    crackdown: np.ndarray
    release: np.ndarray
    war: np.ndarray
    war_on_ukraine: np.ndarray
    supply_cut: np.ndarray
    gas_dispute: np.ndarray
    npp: np.ndarray
    npp_start: np.ndarray
    shock: np.ndarray

    @classmethod
    def quiet(cls, n: int) -> Impulses:
        zeros = lambda: np.zeros(n)
        return cls(
            coop={d: zeros() for d in DYADS},
            conflict={d: zeros() for d in DYADS},
            crackdown=zeros(),
            release=zeros(),
            war=zeros(),
            war_on_ukraine=np.zeros(n, dtype=bool),
            supply_cut=zeros(),
            gas_dispute=zeros(),
            npp=zeros(),
            npp_start=np.zeros(n, dtype=bool),
            shock=np.full(n, -1, dtype=np.int16),
        )


@dataclass
class Dyad:
    """Belarus's interactions with one partner this month: the observable events' drivers."""

    cooperation: np.ndarray
    conflict: np.ndarray


class HedgingModel(mesa.Model):
    """Belarus hedging between the EU and Russia, with Lithuania and Ukraine answering.

    Args:
        calendar: the run's months.
        timeline: the dated shocks (inputs); they must start inside the run.
        params: mechanism parameters.
        challenges: the three challenges.
        stochastic: hazards of the shocks drawn after the dated timeline.
        oil_prices: Brent annual average by year, USD/bbl; later years repeat the last.
        seed: the run seed; every draw derives from it.
        replicate_ids: which replicates this instance holds (default 0..replicates-1).
        replicates: ensemble size when replicate_ids is not given.
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
    ):
        super().__init__(rng=seed)
        self.params = params or ModelParameters()
        self.challenges = challenges or Challenges()
        self.params.validate()
        self.challenges.validate()
        timeline.check_within(calendar)
        ids = np.arange(replicates) if replicate_ids is None else np.asarray(replicate_ids)
        if ids.ndim != 1 or ids.size == 0 or (ids < 0).any():
            raise ValueError(f"replicate_ids={list(ids)!r}; allowed: one or more indices >= 0")
        self.replicate_ids = ids.astype(np.int64)
        self.n_replicates = int(ids.size)
        self.calendar = calendar
        self.timeline = timeline
        self.streams = ReplicateStreams(seed, self.replicate_ids, CHANNELS)
        self.stochastic = StochasticProcess.for_run(stochastic or StochasticShocks(), calendar, timeline)
        self.oil_prices = _monthly_prices(oil_prices or {}, calendar)
        self.shock_labels: list[str] = [s.label or s.id for s in timeline.shocks]
        self.shock_labels += list(STOCHASTIC_LABELS.values())
        self._shock_index = {s.id: i for i, s in enumerate(timeline.shocks)}
        self._dated = _active_by_step(timeline, calendar)
        self.trust_gain = self.params.trust_gain * (0.2 + 1.6 * self.challenges.trust)
        self.spoiler_scale = self.params.spoiler_rate * 2.0 * self.challenges.vested_interests
        self.war_tension = np.zeros(self.n_replicates)
        self.tension = np.full(self.n_replicates, self.challenges.tension)
        self.dispute_months_left = np.zeros(self.n_replicates, dtype=np.int32)
        self.spoiled = np.zeros(self.n_replicates, dtype=bool)
        self.impulses = Impulses.quiet(self.n_replicates)
        self.interactions: dict[str, Dyad] = {}
        self.step_index = -1
        self.eu, self.russia = EU(self), Russia(self)
        self.lithuania, self.ukraine = Lithuania(self), Ukraine(self)
        self.belarus = Belarus(self)
        self.deciders = (self.eu, self.russia, self.lithuania, self.ukraine, self.belarus)
        self.record = EnsembleRecord(calendar.n_steps, self.n_replicates)
        self.datacollector = mesa.DataCollector(model_reporters=SUMMARY_REPORTERS)
        self.observed: dict[str, np.ndarray] = {}
        self.running = True

    @property
    def month(self) -> Month:
        return self.calendar.month_at(max(self.step_index, 0))

    @property
    def finished(self) -> bool:
        return self.step_index >= self.calendar.n_steps - 1

    def step(self) -> None:
        """One month: shocks, perception, interactions, trust, decisions, observation."""
        if self.finished:
            self.running = False
            return
        self.step_index += 1
        draws = self.streams.uniforms(self.step_index)
        column = lambda name: self.streams.column(draws, name)
        self.impulses = self._impulses(column)
        self.agents.do("perceive")
        self._update_tension()
        self.spoiled = column("spoiler") < self._spoiler_hazard()
        self.interactions = self._interact()
        self.agents.do("update_trust")
        for actor in self.deciders:
            actor.decide()
        self._observe(draws)
        self.record.record(self.step_index, self.observed)
        self.datacollector.collect(self)
        self.running = not self.finished

    def run(self) -> HedgingModel:
        """Step to the end of the calendar."""
        while not self.finished:
            self.step()
        return self

    # --- shocks -------------------------------------------------------------------------

    def _impulses(self, column) -> Impulses:
        impulses = Impulses.quiet(self.n_replicates)
        for shock, onset in self._dated.get(self.step_index, ()):
            _apply_dated(impulses, shock, onset, self._shock_index[shock.id], self.params.war_impact)
        self._apply_stochastic(impulses, column)
        return impulses

    def _apply_stochastic(self, impulses: Impulses, column) -> None:
        drawn = self.stochastic.draw(
            self.step_index,
            {name: column(name) for name in STOCHASTIC_CHANNELS},
            tension=self.tension,
            pressure=self.russia.pressure,
            eu_weight=self.belarus.weights[:, hedging.EU],
            prisoners=self.belarus.prisoners,
        )
        if drawn is None:
            return
        s = self.stochastic.settings
        impulses.crackdown = np.where(drawn.crackdown, s.crackdown_size, impulses.crackdown)
        impulses.conflict["eu"] += np.where(drawn.crackdown, s.crackdown_size, 0.0)
        impulses.release = np.where(drawn.release, 1.0, impulses.release)
        impulses.coop["eu"] += drawn.release
        starts = drawn.dispute & (self.dispute_months_left == 0)
        self.dispute_months_left = np.where(starts, s.energy_dispute_months, self.dispute_months_left)
        disputing = self.dispute_months_left > 0
        impulses.supply_cut = np.where(
            disputing, np.maximum(impulses.supply_cut, s.energy_dispute_size), impulses.supply_cut
        )
        self.dispute_months_left = np.maximum(self.dispute_months_left - 1, 0)
        impulses.war += np.where(drawn.war, s.war_size * self.params.war_impact, 0.0)
        first = len(self.timeline.shocks)
        for k, mask in enumerate((drawn.crackdown, drawn.release, starts, drawn.war)):
            impulses.shock = np.where(mask, first + k, impulses.shock).astype(np.int16)

    def _update_tension(self) -> None:
        decay = self.params.tension_decay
        self.war_tension = self.war_tension * (1.0 - decay) + self.impulses.war
        self.tension = np.clip(self.challenges.tension + self.war_tension, 0.0, 1.0)

    def _spoiler_hazard(self) -> np.ndarray:
        """Vested interests strike more as rapprochement advances; success stories wear them."""
        worn = np.exp(-self.params.success_wear * self.eu.successes)
        return self.spoiler_scale * self.eu.offer * worn

    # --- interactions and observation -----------------------------------------------------

    def _interact(self) -> dict[str, Dyad]:
        p, b, imp = self.params, self.belarus, self.impulses
        w = b.weights
        aligned = w[:, hedging.RUSSIA] > p.alignment_threshold
        routine = {
            "eu": w[:, hedging.EU] * self.eu.offer,
            "russia": p.alliance_routine
            * w[:, hedging.RUSSIA]
            * self.russia.trust
            * (1.0 - self.russia.supply_cut),
            "ukraine": w[:, hedging.UKRAINE] * np.where(aligned, 0.0, 1.0) * (0.5 + self.tension),
            "lithuania": w[:, hedging.EU] * (1.0 - self.lithuania.concern),
        }
        friction = {
            "eu": p.sanctions_friction * self.eu.new_listings / max(p.sanctions_full, 1.0)
            + self.spoiled * p.spoiler_trust_hit,
            "russia": p.dispute_friction * (imp.supply_cut + imp.gas_dispute)
            + p.pressure_friction * self.russia.pressure,
            "ukraine": p.alignment_friction * aligned,
            "lithuania": p.npp_friction * self.lithuania.concern,
        }
        return {
            d: Dyad(imp.coop[d] + p.engagement_scale * routine[d], imp.conflict[d] + friction[d])
            for d in DYADS
        }

    def _observe(self, draws: np.ndarray) -> None:
        p, b = self.params, self.belarus
        out = {}
        for d in DYADS:
            z_pos, z_neg = self.streams.normal_pair(draws, f"{d}_events_1", f"{d}_events_2")
            out[f"relations_{d}"] = relations_index(
                self.interactions[d].cooperation,
                self.interactions[d].conflict,
                z_pos,
                z_neg,
                p.events_positive,
                p.events_negative,
                p.event_score,
            )
        floor = hedging.russia_floor(
            self.tension, p.alliance_floor, p.floor_max, p.neutrality_threshold, p.floor_steepness
        )
        out |= {
            "trust_blr_eu": b.trust[hedging.EU],
            "trust_eu_blr": self.eu.trust,
            "trust_blr_russia": b.trust[hedging.RUSSIA],
            "trust_russia_blr": self.russia.trust,
            "trust_blr_ukraine": b.trust[hedging.UKRAINE],
            "trust_ukraine_blr": self.ukraine.trust,
            "trust_lithuania_blr": self.lithuania.trust,
            **{f"hedge_{name}": b.weights[:, j] for j, name in enumerate(hedging.PARTNERS)},
            "russia_floor": floor,
            "eu_offer": self.eu.offer,
            "sanctions_persons": self.eu.sanctions,
            "political_prisoners": b.prisoners,
            "russia_pressure": self.russia.pressure,
            "oil_supply": 1.0 - self.russia.supply_cut,
            "npp_concern": self.lithuania.concern,
            "tension": self.tension,
            "trade_eu_turnover": trade_turnover(
                1.0 - self.russia.supply_cut,
                self.oil_prices[self.step_index],
                p.trade_non_oil,
                p.trade_oil,
                p.oil_price_reference,
                p.oil_price_elasticity,
            ),
            **{name: self.eu.status[k] for k, name in enumerate(AGREEMENTS)},
            "driver": b.driver,
            "moved_partner": np.argmax(np.abs(b.moved), axis=1),
            "moved_by": b.moved[np.arange(self.n_replicates), np.argmax(np.abs(b.moved), axis=1)],
            "shock": self.impulses.shock,
        }
        self.observed = out

    # --- results --------------------------------------------------------------------------

    def _index(self) -> dict[str, np.ndarray]:
        steps = self.record.steps_done
        dates = self.calendar.dates()[:steps]
        return {
            "replicate": np.tile(self.replicate_ids, steps),
            "date": np.repeat(dates, self.n_replicates),
        }

    def trajectories(self) -> pd.DataFrame:
        """Tidy table: one row per replicate and month, every observed series a column."""
        frame = {**self._index(), **{name: self.record.flat(name) for name in SERIES}}
        for name in AGREEMENTS:
            codes = self.record.flat(name)
            frame[name] = pd.Categorical.from_codes(codes, categories=list(MILESTONE_NAMES))
        return pd.DataFrame(frame, copy=False)

    def event_log(self) -> pd.DataFrame:
        """Why Belarus moved: per replicate and month, the partner, the driver and the shock."""
        unique = list(dict.fromkeys(self.shock_labels))
        to_unique = np.array([unique.index(label) for label in self.shock_labels] + [-1])
        shocks = pd.Categorical.from_codes(to_unique[self.record.flat("shock")], categories=unique)
        return pd.DataFrame(
            {
                **self._index(),
                "moved_partner": pd.Categorical.from_codes(
                    self.record.flat("moved_partner"), categories=list(PARTNERS)
                ),
                "weight_change": self.record.flat("moved_by"),
                "driver": pd.Categorical.from_codes(self.record.flat("driver"), categories=list(DRIVERS)),
                "shock": shocks,
            }
        )

    def milestone_months(self) -> dict[str, np.ndarray]:
        """Step at which each agreement was concluded, -1 if never."""
        return {name: self.eu.months_to[k] for k, name in enumerate(AGREEMENTS)}


def _mean(name: str):
    return lambda model: float(np.mean(model.observed[name]))


SUMMARY_REPORTERS = {
    "date": lambda model: str(model.month),
    **{
        f"mean_{name}": _mean(name)
        for name in (*RELATIONS, *HEDGE, "trust_blr_eu", "trust_eu_blr", "sanctions_persons", "tension")
    },
}
"""Ensemble means per month in Mesa's DataCollector (``model.datacollector``); the full ensemble
is in ``model.record``."""


def _monthly_prices(annual: Mapping[int, float], calendar: RunCalendar) -> np.ndarray:
    if not annual:
        return np.full(calendar.n_steps, 100.0)
    years = sorted(int(y) for y in annual)
    prices = []
    for step in range(calendar.n_steps):
        year = calendar.month_at(step).year
        known = [y for y in years if y <= year] or [years[0]]
        prices.append(float(annual[known[-1]]))
    return np.array(prices)


def _active_by_step(timeline: Timeline, calendar: RunCalendar) -> dict[int, list[tuple[Shock, bool]]]:
    """For each step, the dated shocks active then and whether it is their first month."""
    active: dict[int, list[tuple[Shock, bool]]] = {}
    for shock in timeline.shocks:
        first = calendar.step_of(shock.date)
        for step in range(first, min(first + shock.duration, calendar.n_steps)):
            active.setdefault(step, []).append((shock, step == first))
    return active


def _apply_dated(impulses: Impulses, shock: Shock, onset: bool, index: int, war_impact: float) -> None:
    """Add one dated shock's effect for this month (see shocks.EFFECTS)."""
    kind, size = shock.kind, shock.size
    if onset:
        impulses.shock[:] = index
    if kind in SPREAD_KINDS:
        per_month = size / shock.duration
        if kind is ShockKind.CONCESSION:
            impulses.release = np.maximum(impulses.release, size if onset else 0.0)
            impulses.coop["eu"] += per_month
        elif kind is ShockKind.AUTONOMY_SIGNAL:
            impulses.coop["eu"] += per_month
            impulses.conflict["russia"] += per_month
        elif kind is ShockKind.VENUE:
            impulses.coop["ukraine"] += per_month
            impulses.coop["eu"] += per_month
        else:
            impulses.coop["eu"] += per_month
    elif kind in DISPUTE_KINDS:
        if kind is ShockKind.OIL_DISPUTE:
            impulses.supply_cut = np.maximum(impulses.supply_cut, size)
        else:
            impulses.gas_dispute = np.maximum(impulses.gas_dispute, size)
    elif onset:
        _apply_onset(impulses, shock, war_impact)


def _apply_onset(impulses: Impulses, shock: Shock, war_impact: float) -> None:
    kind, size = shock.kind, shock.size
    if kind is ShockKind.WAR:
        impulses.war += size * war_impact
        impulses.war_on_ukraine |= "UKR" in shock.actors
    elif kind is ShockKind.ELECTION:
        impulses.crackdown = np.maximum(impulses.crackdown, size)
        impulses.conflict["eu"] += size
    elif kind is ShockKind.NPP:
        impulses.npp += size
        impulses.conflict["lithuania"] += size
    elif kind is ShockKind.NPP_START:
        impulses.npp_start[:] = True
