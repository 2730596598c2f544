"""The EU's conditionality as pure array rules, compiled by numba (``kernels.compilable``): the
Council's listings and delistings, and the offer of engagement (docs/ODD.md, section 3.6).

Each takes the EU's state and returns its new state; every parameter may be one number or one
per replicate.
"""

from __future__ import annotations

import numpy as np

from hedgesim.core import kernels
from hedgesim.core.vocabulary import RUSSIA


def _council_example() -> tuple:
    """Arguments of ``council_decisions`` as the EU passes them (one value per parameter)."""
    return (*(np.full(1, 0.5) for _ in range(5)), True, 40.0, 250.0, 0.65, 0.5)


@kernels.compilable(_council_example)
def council_decisions(
    sanctions,
    sectoral,
    prisoners_seen,
    listing_draw,
    delisting_draw,
    review,
    core,
    full,
    listing_rate,
    delisting_share,
) -> tuple[np.ndarray, np.ndarray]:
    """The list after this month's Council decisions, and what was listed: the gap to what
    repression (the core plus the share of a full list the prisoners call for) and coercion (the
    sectoral measures) call for is listed when the Council agrees (chance ``listing_rate``); at a
    review, the excess is delisted when the members agree (chance ``delisting_share``)."""
    target = core + (full - core) * prisoners_seen + sectoral
    listing = np.where(listing_draw < listing_rate, np.maximum(target - sanctions, 0.0), 0.0)
    listed = sanctions + listing
    if review:
        excess = np.maximum(sanctions - target, 0.0)
        listed = listed - np.where(delisting_draw < delisting_share, excess, 0.0)
    return listed, listing


def _offer_example() -> tuple:
    """Arguments of ``engagement_offer`` as the EU passes them (one value per parameter)."""
    one = lambda: np.full(1, 0.5)
    return (one(), np.full((1, 4), 0.25), one(), one(), one(), one(), np.zeros(1, dtype=bool), 0.5, 0.5, 0.2)


@kernels.compilable(_offer_example)
def engagement_offer(
    offer,
    weights,
    trust,
    prisoners_seen,
    condemned,
    tension,
    suspended,
    conditionality,
    security_interest,
    rate,
) -> np.ndarray:
    """The offer after this month: it closes ``rate`` of its gap to a target in [0, 1], trust
    discounted by the prisoners held (conditionality), plus the interest in a neutral Belarus,
    growing with tension and Belarus's distance from Russia, which the EU does not pursue while it
    condemns fresh repression (``condemned``: prisoners less what it got used to) nor once
    Belarus has suspended the partnership."""
    neutral = 1.0 - weights[:, RUSSIA]
    conditional = trust * (1.0 - conditionality * prisoners_seen)
    interest = security_interest * tension * neutral * (1.0 - condemned)
    courted = np.where(suspended, 0.0, interest)
    target = np.minimum(np.maximum(conditional + courted, 0.0), 1.0)  # np.clip, cheaper
    return offer + rate * (target - offer)
