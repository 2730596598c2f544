"""The names the whole project shares: partners, dyads, observed series, agreements, drivers.

Tables, charts, reports and the classroom page all read their column and partner names from
here, so each is spelled once.
"""

from __future__ import annotations

from enum import IntEnum

PARTNERS = ("eu", "russia", "ukraine", "other")
"""Belarus's hedge partners, in the order of the engagement weights."""
EU, RUSSIA, UKRAINE, OTHER = range(len(PARTNERS))
TRUSTED = PARTNERS[:3]
"""The partners Belarus holds a trust state in (the outside option has none)."""
DYADS = ("eu", "russia", "ukraine", "lithuania")
"""The partners whose interactions with Belarus are observed as a relations index."""
LABELS = {"eu": "EU", "russia": "Russia", "ukraine": "Ukraine", "lithuania": "Lithuania", "other": "other"}
"""How a partner is named in figures and sentences."""

RELATIONS = tuple(f"relations_{d}" for d in DYADS)
TRUST = (
    "trust_blr_eu",
    "trust_eu_blr",
    "trust_blr_russia",
    "trust_russia_blr",
    "trust_blr_ukraine",
    "trust_ukraine_blr",
    "trust_lithuania_blr",
)
"""Trust of the first actor in the second."""
HEDGE = tuple(f"hedge_{p}" for p in PARTNERS)
SERIES = (
    *RELATIONS,
    *TRUST,
    *HEDGE,
    "russia_commitment",
    "commitment_cost",
    "russia_support",
    "eu_offer",
    "sanctions_persons",
    "political_prisoners",
    "russia_pressure",
    "oil_supply",
    "npp_concern",
    "tension",
    "trade_eu_turnover",
)
"""The numeric columns of the trajectories table, in order."""


class Milestone(IntEnum):
    """State of an EU-Belarus agreement."""

    NOT_STARTED = 0
    NEGOTIATING = 1
    BLOCKED = 2
    CONCLUDED = 3


MILESTONE_NAMES = tuple(m.name.lower() for m in Milestone)
AGREEMENTS = ("visa_facilitation", "partnership_priorities", "framework_agreement")
"""The three agreements, each a categorical column of MILESTONE_NAMES."""
DRIVERS = ("trust", "benefit", "risk", "commitment")
"""The terms of the hedging rule the event log names as what moved Belarus."""

DECISIONS = {
    "crackdown": "Belarus cracked down after the election",
    "release": "Belarus released political prisoners",
    "autonomy_signal": "Belarus sent an autonomy signal to Moscow",
    "venue": "Belarus hosted talks as a neutral venue",
    "coercion": "Belarus coerced EU members (migrants at their borders, a forced landing)",
    "russia_dispute": "Russia opened an oil dispute",
}
"""The decisions the agents take by their rules, as the event log names them (codes follow the
dated and the drawn shocks)."""
SALIENCE = ("crackdown", "release", "coercion", "russia_dispute", "autonomy_signal", "venue")
"""The decisions from the most to the least newsworthy: of several in one month, the event log
names the first (a routine offer of talks never hides a crackdown, coercion or Russia's dispute)."""
