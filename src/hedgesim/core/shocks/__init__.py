"""Shocks: the dated timeline the model takes as given, the shocks drawn after it, and what
either does in a month.

- ``timeline``: shock kinds and their EFFECTS, one dated Shock, the validated Timeline.
- ``stochastic``: hazards and draws of elections, releases, energy disputes and wars after the
  timeline, and the state of a drawn dispute.
- ``event_codes``: the event log's shock codes, one for each set of shocks that start together.
- ``impulses``: the translation of a month's dated and drawn shocks into Impulses.
"""

from hedgesim.core.shocks.event_codes import ShockCodes
from hedgesim.core.shocks.impulses import (
    DISPUTE_KINDS,
    ONSET_KINDS,
    SPREAD_KINDS,
    DrawnMonth,
    Impulses,
    month_impulses,
)
from hedgesim.core.shocks.stochastic import (
    STOCHASTIC_CHANNELS,
    STOCHASTIC_LABELS,
    DrawnShocks,
    EnergyDisputes,
    StochasticProcess,
    StochasticShocks,
)
from hedgesim.core.shocks.timeline import (
    DECISIONS_WITHOUT_RULE,
    EFFECTS,
    KINDS,
    MAGNITUDES,
    ActiveShock,
    Shock,
    ShockError,
    ShockKind,
    Timeline,
)

__all__ = [
    "DECISIONS_WITHOUT_RULE",
    "DISPUTE_KINDS",
    "EFFECTS",
    "KINDS",
    "MAGNITUDES",
    "ONSET_KINDS",
    "SPREAD_KINDS",
    "STOCHASTIC_CHANNELS",
    "STOCHASTIC_LABELS",
    "ActiveShock",
    "DrawnMonth",
    "DrawnShocks",
    "EnergyDisputes",
    "Impulses",
    "Shock",
    "ShockCodes",
    "ShockError",
    "ShockKind",
    "StochasticProcess",
    "StochasticShocks",
    "Timeline",
    "month_impulses",
]
