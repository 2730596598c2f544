"""What news and drivers mean for Belarus's hedge: the channels the log's causes come from.

A month's news (a shock, a decision, a change of the state) acts on the hedge through some of the
terms of Belarus's hedging rule: trust, benefit, risk, or the alliance commitment under the Russia
weight. The tables here say which moves (partner, driver, direction) each piece of news can
cause; the narration calls a move an answer to the news only when the driver the model recorded
is one of them. ``why`` turns a recorded driver into the reason a sentence gives.
"""

from __future__ import annotations

from collections.abc import Callable

from hedgesim.core.shocks import STOCHASTIC_LABELS
from hedgesim.core.vocabulary import PARTNERS

PARTNER_NAMES = {"eu": "EU", "russia": "Russia", "ukraine": "Ukraine", "other": "outside-option"}
STOCHASTIC_KINDS = {
    "crackdown": "election",
    "release": "concession",
    "election": "election",
    "dispute": "oil_dispute",
    "war": "war",
}
"""The kind of each shock the model draws after the dated history, by its name."""
DRAWN_NEWS = {
    STOCHASTIC_LABELS["war"]: ("tension", "{label} to {tension:.2f}", "{label}"),
    STOCHASTIC_LABELS["dispute"]: (
        "supply_cut",
        "Russian crude deliveries fell {pct:.0f}% in an {label}",
        "an {label}",
    ),
    STOCHASTIC_LABELS["election"]: ("prisoners_up", "political prisoners rose with {label}", "{label}"),
}
"""How a sentence tells each drawn shock (by label): the state change it brings, the clause when
that change shows, the clause when it does not. Each keeps the label whole, so it can be found."""
DRAWN_CAUSES = {
    STOCHASTIC_LABELS["war"]: "the new war",
    STOCHASTIC_LABELS["dispute"]: "the oil dispute with Russia",
    STOCHASTIC_LABELS["election"]: "the presidential election",
}
"""How a sentence names a drawn shock when it is the cause of a move."""
DECISION_KINDS = {
    "crackdown": "crackdown",
    "release": "concession",
    "autonomy_signal": "autonomy_signal",
    "venue": "venue",
    "russia_dispute": "oil_dispute",
    "coercion": "coercion",
}
"""The kind of each decision the agents take by their rules (models that log them), by its name."""
DECISION_CHOICES = {
    "crackdown": "Belarus chose to crack down after the election",
    "release": "Belarus chose to release political prisoners",
    "autonomy_signal": "Belarus chose to send Moscow an autonomy signal",
    "venue": "Belarus chose to host talks as a neutral venue",
    "russia_dispute": "Russia chose to open an oil dispute",
    "coercion": "Belarus chose to coerce EU members (migrants at their borders, a forced landing)",
}
"""How a sentence tells a decision: as what an actor chose, not as news that struck Belarus."""
DECISION_CAUSES = {
    "crackdown": "the crackdown",
    "release": "the release of political prisoners",
    "autonomy_signal": "the autonomy signal",
    "venue": "hosting the talks",
    "russia_dispute": "Russia's oil dispute",
    "coercion": "the coercion of EU members",
}
"""How a sentence names a decision when it is the cause of a move."""
DECISION_STATES = {
    "crackdown": ("prisoners_up", True),
    "release": ("prisoners_down", False),
    "russia_dispute": ("supply_cut", True),
}
"""The change of the state a decision brings itself (a key of ``STATE_CHANNELS``) and whether the
sentence still has to tell it (a release says it already): told with the decision, never as news
of its own or as the work of the month's shock."""
# What each piece of news can do to the hedge, as (partner, driver, direction) of the move the
# model records: direction +1 raises the partner's weight, -1 lowers it. When news makes one
# partner riskier, a rise of the others' weights "to spread risk" is its answer too. Read from the
# model's channels: trust follows cooperation and conflict, benefit and risk the partner's payoff
# and its variance, and the commitment is the floor under the Russia weight, which tension raises
# and territory lent to a war raises too (that war's conflict also lowers trust in the EU and
# Ukraine). The EaP suspension is conflict with the EU, which stops courting a neutral Belarus.
_COMMITMENT_UP = (("russia", "commitment", +1), ("russia", "floor", +1))
_TENSION = (
    ("ukraine", "risk", -1),
    ("russia", "risk", -1),
    ("eu", "risk", +1),
    ("other", "risk", +1),
    ("ukraine", "benefit", +1),
    *_COMMITMENT_UP,
)
_EU_WORSE = (
    ("eu", "trust", -1),
    ("eu", "benefit", -1),
    ("eu", "risk", -1),
    *((p, "risk", +1) for p in PARTNERS[1:]),
)
_EU_BETTER = (("eu", "trust", +1), ("eu", "benefit", +1), ("eu", "risk", +1))
_RUSSIA_WORSE = (
    ("russia", "trust", -1),
    ("russia", "benefit", -1),
    ("russia", "risk", -1),
    *((p, "risk", +1) for p in ("eu", "ukraine", "other")),
)
_RUSSIA_BETTER = (("russia", "benefit", +1), ("russia", "risk", +1))
KIND_CHANNELS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "war": _TENSION,
    "election": _EU_WORSE,
    "concession": _EU_BETTER,
    "oil_dispute": _RUSSIA_WORSE,
    "gas_dispute": _RUSSIA_WORSE,
    "autonomy_signal": (("eu", "trust", +1), ("russia", "trust", -1)),
    "institutional": (("eu", "trust", +1),),
    "diplomatic": (("eu", "trust", +1),),
    "venue": (("eu", "trust", +1), ("ukraine", "trust", +1)),
    "npp": (),
    "npp_start": (),
    "crackdown": _EU_WORSE,
    "coercion": _EU_WORSE,
    "eap_suspension": (("eu", "trust", -1), ("eu", "benefit", -1)),
    "territory_used": (*_COMMITMENT_UP, ("eu", "trust", -1), ("ukraine", "trust", -1)),
}
"""The moves a shock (or a decision) of each kind can cause in the month it strikes."""
STATE_CHANNELS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "tension": _TENSION,
    "supply_cut": _RUSSIA_WORSE,
    "supply_back": _RUSSIA_BETTER,
    "sanctions_up": _EU_WORSE,
    "sanctions_down": _EU_BETTER,
    "prisoners_up": _EU_WORSE,
    "prisoners_down": _EU_BETTER,
}
"""The moves a change of the state can cause (keys as ``_state_clauses`` names them)."""
STATE_CAUSES = {
    "tension": "the higher tension",
    "supply_cut": "the cut in Russian crude",
    "supply_back": "the return of Russian crude",
    "sanctions_up": "the wider sanctions",
    "sanctions_down": "the eased sanctions",
    "prisoners_up": "the rise in political prisoners",
    "prisoners_down": "the release of political prisoners",
}
"""How a sentence names a change of the state when it is the cause of a move."""


def _commitment(partner: str, up: bool) -> str:
    if partner == "russia":
        return (
            "as its alliance commitment to Russia rose"
            if up
            else "as its alliance commitment to Russia eased"
        )
    return (
        "as its alliance commitment to Russia eased"
        if up
        else "to make room for its alliance commitment to Russia"
    )


DRIVER_REASONS: dict[str, Callable[[str, bool], str]] = {
    "trust": lambda name, up: f"as its trust in {name} {'grew' if up else 'fell'}",
    "benefit": lambda name, up: f"as ties with {name} {'paid more' if up else 'paid less'}",
    "risk": lambda name, up: "to spread risk" if up else "to cut its exposure to risk",
}
"""Why Belarus moved, by the driver the model records (the partner's name, raised or lowered).

The alliance commitment (driver ``commitment``; ``floor`` in models that name it by its floor)
is told by ``_commitment``, which names the Russia weight rather than the partner."""
COMMITMENT_DRIVERS = frozenset({"commitment", "floor"})


def why(driver: str, partner: str, up: bool) -> str:
    """The reason a sentence gives for a move, from the driver the model recorded."""
    if driver in COMMITMENT_DRIVERS:
        return _commitment(partner, up)
    name = {"other": "outside partners", "eu": "the EU"}.get(partner, PARTNER_NAMES[partner])
    reason = DRIVER_REASONS.get(driver)
    return reason(name, up) if reason else f"(driver: {driver})"
