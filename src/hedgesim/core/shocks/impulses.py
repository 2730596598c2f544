"""A month's shocks as impulses: what the dated and the drawn shocks do before anyone responds.

The agents never read shocks; they read ``Impulses``, one array per effect over the replicates.
This module is the single translation from shock kinds to those arrays (EFFECTS in words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from hedgesim.core.shocks.stochastic import DrawnShocks, EnergyDisputes, StochasticShocks, drawn_codes
from hedgesim.core.shocks.timeline import ActiveShock, ShockKind
from hedgesim.core.vocabulary import DYADS

SPREAD_KINDS = frozenset(
    {
        ShockKind.CONCESSION,
        ShockKind.AUTONOMY_SIGNAL,
        ShockKind.INSTITUTIONAL,
        ShockKind.VENUE,
        ShockKind.DIPLOMATIC,
    }
)
"""Kinds whose size is spread evenly over their active months."""
DISPUTE_KINDS = frozenset({ShockKind.OIL_DISPUTE, ShockKind.GAS_DISPUTE})
"""Kinds that act at their full size in every active month."""
BREAK_KINDS = frozenset({ShockKind.COERCION, ShockKind.EAP_SUSPENSION, ShockKind.TERRITORY_USED})
"""Kinds of a break with the EU or Ukraine: coercion, the EaP suspension, territory lent to a war."""
HELD_KINDS = frozenset({ShockKind.COERCION})
"""Kinds that act in every active month, their size spread over those months."""
ONSET_KINDS = frozenset(ShockKind) - SPREAD_KINDS - DISPUTE_KINDS - HELD_KINDS
"""Kinds that act once, in their first month, whatever their duration."""


@dataclass
class Impulses:
    """What this month's shocks do, per replicate, before the agents respond.

    Attributes:
        coop, conflict: cooperation and conflict per dyad, added to the month's interactions.
        election: the opposition's mobilisation at an election this month (0 without one).
        election_held: an election takes place this month.
        crackdown: an imposed crackdown: political prisoners rise to at least this.
        release: share of political prisoners released by an imposed concession (a decision
            imposed by the user or by observed history; Belarus's own releases are its rule).
        war: tension added by wars.
        war_on_ukraine: a war names Ukraine.
        supply_cut: share of Russian crude cut by an oil dispute.
        gas_dispute: size of a gas dispute.
        npp: Lithuania's added NPP concern.
        npp_start: the plant starts running.
        shock: code of the shock the event log names this month, -1 for none.
        coercion: coercion against EU members this month (migrants pushed to their borders, a
            forced landing), each coercion's size spread over its months; the EU's rules read it.
        eap_suspended: Belarus suspends its Eastern Partnership participation this month.
        territory_used: Belarusian territory is lent to a war this month.
    """

    coop: dict[str, np.ndarray]
    conflict: dict[str, np.ndarray]
    election: np.ndarray
    election_held: np.ndarray
    crackdown: np.ndarray
    release: np.ndarray
    war: np.ndarray
    war_on_ukraine: np.ndarray
    supply_cut: np.ndarray
    gas_dispute: np.ndarray
    npp: np.ndarray
    npp_start: np.ndarray
    shock: np.ndarray
    coercion: np.ndarray
    eap_suspended: np.ndarray
    territory_used: np.ndarray

    @classmethod
    def quiet(cls, n: int) -> Impulses:
        """A month without shocks in any of ``n`` replicates."""
        reals, flags = iter(np.zeros((2 * len(DYADS) + 8, n))), iter(np.zeros((5, n), dtype=bool))
        return cls(  # each array a row of one block: two allocations a month, not twenty
            coop={d: next(reals) for d in DYADS},
            conflict={d: next(reals) for d in DYADS},
            election=next(reals),
            election_held=next(flags),
            crackdown=next(reals),
            release=next(reals),
            war=next(reals),
            war_on_ukraine=next(flags),
            supply_cut=next(reals),
            gas_dispute=next(reals),
            npp=next(reals),
            npp_start=next(flags),
            shock=np.full(n, -1, dtype=np.int16),
            coercion=next(reals),
            eap_suspended=next(flags),
            territory_used=next(flags),
        )


@dataclass(frozen=True)
class DrawnMonth:
    """This month's drawn shocks with the state and settings that say what they do.

    Attributes:
        shocks: the draws.
        disputes: the energy disputes after this month's draws (the model's state).
        settings: sizes of the drawn shocks.
        first_code: the event-log code of the first drawn kind (they follow the dated shocks).
    """

    shocks: DrawnShocks
    disputes: EnergyDisputes
    settings: StochasticShocks
    first_code: int


def month_impulses(
    n: int, dated: Iterable[ActiveShock], drawn: DrawnMonth | None, war_impact: float
) -> Impulses:
    """The impulses of one month: the active dated shocks, in timeline order, then the drawn."""
    impulses = Impulses.quiet(n)
    for active in dated:
        add_dated(impulses, active, war_impact)
    if drawn is not None:
        add_drawn(impulses, drawn, war_impact)
    return impulses


def add_dated(impulses: Impulses, active: ActiveShock, war_impact: float) -> None:
    """Add one dated shock's effect in one of its active months (see EFFECTS)."""
    if active.onset:
        impulses.shock[:] = active.index
    kind = active.shock.kind
    if kind in SPREAD_KINDS:
        _add_spread(impulses, active)
    elif kind in DISPUTE_KINDS:
        _add_dispute(impulses, kind, active.shock.size)
    elif kind in BREAK_KINDS:
        _add_break(impulses, active)
    elif active.onset:
        _add_onset(impulses, active, war_impact)


def _add_spread(impulses: Impulses, active: ActiveShock) -> None:
    """Cooperation (and for a signal, conflict with Russia) of size / duration a month."""
    shock = active.shock
    kind, size = shock.kind, shock.size
    per_month = size / shock.duration
    if kind is ShockKind.CONCESSION:
        impulses.release = np.maximum(impulses.release, size if active.onset else 0.0)
        impulses.coop["eu"] += per_month
    elif kind is ShockKind.AUTONOMY_SIGNAL:
        impulses.coop["eu"] += per_month
        impulses.conflict["russia"] += per_month
    elif kind is ShockKind.VENUE:
        impulses.coop["ukraine"] += per_month
        impulses.coop["eu"] += per_month
    else:
        impulses.coop["eu"] += per_month


def _add_dispute(impulses: Impulses, kind: ShockKind, size: float) -> None:
    """A dispute holds its cut every active month; the largest of overlapping ones counts."""
    if kind is ShockKind.OIL_DISPUTE:
        impulses.supply_cut = np.maximum(impulses.supply_cut, size)
    else:
        impulses.gas_dispute = np.maximum(impulses.gas_dispute, size)


def _add_break(impulses: Impulses, active: ActiveShock) -> None:
    """Coercion spreads its size over its active months (so a month's coercion sums what each
    running coercion adds, and a coercion adds its size in all); the EaP
    suspension and territory lent to a war act once, at onset."""
    shock = active.shock
    kind, size = shock.kind, shock.size
    if kind is ShockKind.COERCION:
        impulses.coercion += size / shock.duration
        impulses.conflict["eu"] += size / shock.duration
        impulses.conflict["lithuania"] += size / shock.duration
    elif active.onset and kind is ShockKind.EAP_SUSPENSION:
        impulses.eap_suspended[:] = True
        impulses.conflict["eu"] += size
    elif active.onset and kind is ShockKind.TERRITORY_USED:
        impulses.territory_used[:] = True
        impulses.conflict["ukraine"] += size
        impulses.conflict["eu"] += size


def _add_onset(impulses: Impulses, active: ActiveShock, war_impact: float) -> None:
    """One-off effects: wars, elections and NPP milestones act in their first month only."""
    shock = active.shock
    kind, size = shock.kind, shock.size
    if kind is ShockKind.WAR:
        impulses.war += size * war_impact
        impulses.war_on_ukraine |= "UKR" in shock.actors
    elif kind is ShockKind.ELECTION:
        impulses.election = np.maximum(impulses.election, size)
        impulses.election_held[:] = True
    elif kind is ShockKind.CRACKDOWN:
        impulses.crackdown = np.maximum(impulses.crackdown, size)
        impulses.conflict["eu"] += size
    elif kind is ShockKind.NPP:
        impulses.npp += size
        impulses.conflict["lithuania"] += size
    elif kind is ShockKind.NPP_START:
        impulses.npp_start[:] = True


def add_drawn(impulses: Impulses, drawn: DrawnMonth, war_impact: float) -> None:
    """Add the drawn shocks: elections as their dated kind does, a running dispute's supply
    cut, a war's tension; the event log names those that start, all of them (one code each set,
    ``STOCHASTIC_LABELS``), in place of a dated shock of the month."""
    d, s = drawn.shocks, drawn.settings
    impulses.election = np.maximum(impulses.election, d.mobilisation)
    impulses.election_held |= d.election
    active = drawn.disputes.active
    impulses.supply_cut = np.where(
        active, np.maximum(impulses.supply_cut, s.energy_dispute_size), impulses.supply_cut
    )
    impulses.war += np.where(d.war, s.war_size * war_impact, 0.0)
    codes = drawn_codes((d.election, drawn.disputes.started, d.war))
    impulses.shock = np.where(codes >= 0, drawn.first_code + codes, impulses.shock).astype(np.int16)
