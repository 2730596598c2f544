"""The shocks drawn after the dated timeline ends: elections, energy disputes, wars.

Projections past the last dated shock need shocks no one has dated yet. Their hazards are
settings (``StochasticShocks``); ``StochasticProcess`` turns one month's uniforms into drawn
shocks, and ``EnergyDisputes`` carries a drawn dispute over the months it lasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hedgesim.core.calendar import Month, RunCalendar
from hedgesim.core.parameters import check_ranges, knob
from hedgesim.core.shocks.timeline import ShockError, Timeline, parse_month

STOCHASTIC_CHANNELS = ("election", "dispute", "war")
"""The random-stream channels of the drawn shocks, one uniform each per replicate and month."""
DRAWN_LABELS = {
    "election": "a presidential election",
    "dispute": "oil dispute with Russia",
    "war": "a new war raises tension",
}
"""How the event log names each drawn shock that starts alone in its month."""
COINCIDENT = (
    ("election", "dispute"),
    ("election", "war"),
    ("dispute", "war"),
    ("election", "dispute", "war"),
)
"""The drawn shocks that can start in one month: the record keeps one shock code a replicate-month,
so each set has a code of its own. That stays a byte (``record.code_dtype``) for timelines of up to
120 dated shocks, where a second series would add a byte to every run."""
STOCHASTIC_LABELS = {
    **DRAWN_LABELS,
    **{"+".join(names): " + ".join(DRAWN_LABELS[n] for n in names) for names in COINCIDENT},
}
"""How the event log names the drawn shocks that start in a month ("a presidential election + a
new war raises tension" when both do), in the order of their codes after the dated ones."""
DRAWN_PARTS = {
    label: tuple(DRAWN_LABELS[name] for name in key.split("+")) for key, label in STOCHASTIC_LABELS.items()
}
"""The drawn shocks each of those labels names, one label each."""


def drawn_codes(starts: tuple[np.ndarray, ...]) -> np.ndarray:
    """The code (an index of ``STOCHASTIC_LABELS``, -1 for none) of the drawn shocks that start,
    given one mask per ``STOCHASTIC_CHANNELS`` channel."""
    mask = sum(np.asarray(start, dtype=np.int8) << i for i, start in enumerate(starts))
    return _CODE_OF_MASK[mask]


def _code_of_mask() -> np.ndarray:
    """Codes by bit mask (election 1, dispute 2, war 4)."""
    keys = list(STOCHASTIC_LABELS)
    by_mask = [-1]
    for mask in range(1, 2 ** len(STOCHASTIC_CHANNELS)):
        names = [name for i, name in enumerate(STOCHASTIC_CHANNELS) if mask >> i & 1]
        by_mask.append(keys.index("+".join(names)))
    return np.array(by_mask, dtype=np.int16)


_CODE_OF_MASK = _code_of_mask()


@dataclass
class StochasticShocks:
    """Hazards of the shocks drawn after the dated timeline ends (projections)."""

    enabled: bool = True
    start: str | None = None
    presidential_election: str = "2025-01"
    election_every_years: int = 5
    mobilisation_max: float = knob(
        1.0,
        0.0,
        1.0,
        "largest opposition mobilisation a drawn election can bring (drawn uniformly up to it); "
        "whether Belarus cracks down is its own decision",
        "the dated elections: 2015 calm (0), 2010 and 2020 the largest protests (1)",
    )
    energy_dispute_rate: float = knob(
        0.025,
        0.0,
        1.0,
        "monthly hazard of a commercial oil dispute (the disputes Russia opens under pressure are its rule)",
        "disputes in 2010, 2016-17, 2019, 2020: about one in 40 months",
    )
    energy_dispute_size: float = knob(0.4, 0.0, 1.0, "supply cut of a drawn dispute")
    energy_dispute_months: int = 4
    war_rate: float = knob(0.01, 0.0, 1.0, "monthly hazard of a war at tension 1 (scales with tension)")
    war_size: float = knob(1.0, 0.0, 1.0, "size of a drawn war (tension += size * war_impact)")

    def validate(self) -> None:
        """Ranges by the shared check; the dates and counts it cannot express, here."""
        check_ranges(self, "shocks.stochastic")
        for key in ("start", "presidential_election"):
            value = getattr(self, key)
            if value is not None:
                parse_month(value, f"shocks.stochastic.{key}")
        for key in ("election_every_years", "energy_dispute_months"):
            value = getattr(self, key)
            if value < 1:
                raise ShockError(f"shocks.stochastic.{key}={value}; allowed: >= 1")


@dataclass
class DrawnShocks:
    """Per-replicate shocks drawn for one month: masks, and an election's mobilisation."""

    election: np.ndarray
    mobilisation: np.ndarray
    dispute: np.ndarray
    war: np.ndarray


@dataclass
class StochasticProcess:
    """Draws elections, energy disputes and wars after the dated timeline."""

    settings: StochasticShocks
    first_step: int
    election_steps: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def for_run(
        cls, settings: StochasticShocks, calendar: RunCalendar, timeline: Timeline
    ) -> StochasticProcess:
        """Start the month after the last dated shock (or at ``settings.start``); elections
        follow the constitutional cycle from ``presidential_election``."""
        if settings.start is not None:
            first = Month.parse(settings.start)
        elif timeline.last_month is not None:
            first = timeline.last_month + 1
        else:
            first = calendar.start
        anchor = Month.parse(settings.presidential_election)
        every = 12 * settings.election_every_years
        steps = {
            calendar.step_of(anchor + every * k)
            for k in range(-20, 20)
            if calendar.contains(anchor + every * k) and anchor + every * k >= first
        }
        return cls(settings, calendar.step_of(first), frozenset(steps))

    def draw(
        self,
        step: int,
        uniforms: dict[str, np.ndarray],
        *,
        tension: np.ndarray,
    ) -> DrawnShocks | None:
        """This month's drawn shocks, or None before the stochastic period.

        Elections fall on the constitutional cycle with a drawn mobilisation; crackdowns and
        releases are Belarus's decisions (agents), never drawn here.
        """
        s = self.settings
        if not s.enabled or step < self.first_step:
            return None
        election = np.full(tension.shape, step in self.election_steps)
        mobilisation = np.where(election, uniforms["election"] * s.mobilisation_max, 0.0)
        dispute = uniforms["dispute"] < s.energy_dispute_rate
        war = uniforms["war"] < s.war_rate * tension
        return DrawnShocks(election, mobilisation, dispute, war)


@dataclass(frozen=True)
class EnergyDisputes:
    """Drawn energy disputes in one month, per replicate.

    A drawn dispute lasts ``energy_dispute_months``; a draw while one runs starts nothing, so
    disputes do not stack. The model owns this state and advances it once a month.

    Attributes:
        started: a dispute starts this month (the event log names it).
        active: a dispute cuts supply this month.
        months_left: months the running dispute lasts after this one.
    """

    started: np.ndarray
    active: np.ndarray
    months_left: np.ndarray

    @classmethod
    def none(cls, n: int) -> EnergyDisputes:
        """No dispute in any of ``n`` replicates."""
        no = np.zeros(n, dtype=bool)
        return cls(no, no, np.zeros(n, dtype=np.int32))

    def advanced(self, drawn: np.ndarray, months: int) -> EnergyDisputes:
        """The following month's disputes, given that month's draws (True: a dispute is drawn)."""
        started = drawn & (self.months_left == 0)
        left = np.where(started, months, self.months_left)
        return EnergyDisputes(started, left > 0, np.maximum(left - 1, 0))
