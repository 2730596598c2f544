"""What an observer of the model sees: event counts, the relations index, trade, milestones.

The relations index imitates the event analysis behind the Belarus Foreign Policy Index and the
Minsk Barometer: each month the model generates positive and negative interaction events
between Belarus and a partner, at rates set by that month's cooperation and conflict; the index
is the sum of their signed scores (the published two-month figures are sums of two months).
"""

from __future__ import annotations

import numpy as np


def event_count(rate: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Events in a month: Poisson(rate) by its normal approximation, rounded, never negative."""
    rate = np.maximum(rate, 0.0)
    return np.maximum(np.rint(rate + np.sqrt(rate) * normal), 0.0)


def relations_index(
    cooperation: np.ndarray,
    conflict: np.ndarray,
    normal_pos: np.ndarray,
    normal_neg: np.ndarray,
    positive_rate: float,
    negative_rate: float,
    score: float,
) -> np.ndarray:
    """Signed index points of one dyad in one month."""
    positive = event_count(positive_rate * cooperation, normal_pos)
    negative = event_count(negative_rate * conflict, normal_neg)
    return score * (positive - negative)


def trade_turnover(
    supply: np.ndarray,
    oil_price: float,
    non_oil: float,
    oil_linked: float,
    price_reference: float,
    elasticity: float,
) -> np.ndarray:
    """Annualised EU turnover, USD bn: non-oil trade plus refined products from Russian crude.

    Exports of petroleum products scale with the crude that reaches the refineries (``supply``
    in [0, 1]) and with the oil price through a constant elasticity.
    """
    return non_oil + oil_linked * supply * (oil_price / price_reference) ** elasticity
