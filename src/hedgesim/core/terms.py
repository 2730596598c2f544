"""The hedge's terms per partner: what each offers, what engaging it costs for certain, and how
risky its payoff is, in the order of ``vocabulary.PARTNERS`` (EU, Russia, Ukraine, other); and,
once the optimum is found, the move toward it and the terms that depend on it.

Pure array rules, compiled by numba (``kernels.compilable``): the terms were twelve numpy calls
and three stacks a month, which at small ensembles cost more than the hedging solve.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hedgesim.core import kernels
from hedgesim.core.vocabulary import RUSSIA


def _example() -> tuple:
    """Arguments of ``partner_terms`` as a run with one value per parameter passes them."""
    state = tuple(np.full(1, 0.5) for _ in range(8))
    flags = (np.zeros(1, dtype=bool), np.zeros(1, dtype=bool))
    return (np.full((3, 1), 0.5), *state, *flags, *(0.5 for _ in range(17)))


@kernels.compilable(_example)
def partner_terms(
    trust_in: np.ndarray,
    eu_offer: np.ndarray,
    supply_cut: np.ndarray,
    support: np.ndarray,
    tension: np.ndarray,
    ukraine_trust: np.ndarray,
    isolation: np.ndarray,
    rent: np.ndarray,
    pressure: np.ndarray,
    disputed: np.ndarray,
    at_war: np.ndarray,
    trust_other,
    benefit_eu,
    benefit_russia,
    support_benefit,
    benefit_ukraine,
    neutrality_value,
    benefit_other,
    sanction_cost,
    integration_cost,
    var_eu,
    var_eu_sanctions,
    var_russia,
    var_russia_dispute,
    var_russia_tension,
    var_ukraine,
    var_ukraine_war,
    var_other,
) -> tuple[np.ndarray, ...]:
    """Belarus's trust in each partner, the utility it expects of each (trust times gain, less
    the cost), gains (before trust discounts them), certain costs and payoff variances, each
    (R, 4). ``trust_in`` is Belarus's trust in the EU, Russia and Ukraine, (3, R).

    Gains: the EU's offer, Russia's crude (less a cut) and its support to the regime, Ukraine's
    base benefit plus what neutrality is worth to a trusting Ukraine under tension, a constant
    for the rest. Costs: the West's measures and the status-quo rent (EU), integration pressure
    (Russia); trust never discounts them, so more trust never makes a partner worse. Variances:
    each partner's base, raised by the EU's measures, Russia's disputes and tension, and a war in
    Ukraine.
    """
    rows = eu_offer.shape[0]
    gains = np.empty((rows, 4))
    gains[:, 0] = benefit_eu * eu_offer
    gains[:, 1] = benefit_russia * (1.0 - supply_cut) + support_benefit * support
    gains[:, 2] = benefit_ukraine + neutrality_value * tension * ukraine_trust
    gains[:, 3] = benefit_other
    costs = np.zeros((rows, 4))
    costs[:, 0] = sanction_cost * isolation + rent
    costs[:, 1] = integration_cost * pressure
    variance = np.empty((rows, 4))
    variance[:, 0] = var_eu + var_eu_sanctions * isolation
    variance[:, 1] = var_russia + var_russia_dispute * disputed + var_russia_tension * tension
    variance[:, 2] = var_ukraine + var_ukraine_war * at_war
    variance[:, 3] = var_other
    trust = np.empty((rows, 4))
    trust[:, :3] = trust_in.T
    trust[:, 3] = trust_other
    return trust, trust * gains - costs, gains, costs, variance


def _move_example(parameter) -> Callable[[], tuple]:
    """Arguments of ``hedge_move`` as Belarus passes them, each parameter like ``parameter``
    (one number, or one per replicate)."""
    weights = lambda: tuple(np.full((1, 4), 0.25) for _ in range(3))
    return lambda: (*weights(), parameter, parameter, np.full(1, 0.5), parameter)


@kernels.compilable(_move_example(0.5), _move_example(np.full(1, 0.5)))
def hedge_move(
    previous: np.ndarray,
    optimum: np.ndarray,
    variance: np.ndarray,
    inertia,
    commitment,
    cost: np.ndarray,
    risk_aversion,
) -> tuple[np.ndarray, ...]:
    """The weights after this month's move toward the optimum (partial adjustment: a convex
    combination stays on the simplex), the move itself, the commitment's pull at the optimum,
    kappa max(c - w_Russia, 0), and the risk term of each partner's marginal utility,
    -2 lambda v_j w_j: the terms the event log's driver compares with last month's. Weights
    (R, 4); each parameter one number or one per replicate, (R,).
    """
    weights = previous + np.asarray(inertia).reshape(-1, 1) * (optimum - previous)
    pull = cost * np.maximum(commitment - optimum[:, RUSSIA], 0.0)
    risk = np.asarray(-2.0 * risk_aversion).reshape(-1, 1) * variance * optimum
    return weights, weights - previous, pull, risk
