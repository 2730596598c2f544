"""Belarus's hedging rule for one replicate, in scalar Python (no arrays).

The optimum maximises ``sum_j u_j w_j - sum_j a_j w_j^2 / 2 + eta * H(w)`` over weights on the
simplex (the one-sided commitment penalty adds to Russia's ``u`` and ``a`` when it binds). Its
stationarity condition ``a_j w_j + eta (log w_j + 1) + mu = u_j`` gives each weight as a
function of the multiplier ``mu`` alone; the weights fall and are convex in ``mu``, so Newton's
method on ``sum_j w_j(mu) = 1``, started where one weight is 1, climbs monotonically to the
root. Each ``w_j(mu)`` is itself a one-dimensional Newton solve in ``log w_j``.

This is a different route to the same unique optimum than the ensemble's joint Newton step on
(log w, mu), written independently, so the anchor checks the hedge rather than sharing it.
"""

from __future__ import annotations

import math

PARTNERS = 4
EU, RUSSIA, UKRAINE, OTHER = range(PARTNERS)
"""Partners in the order of the weights, as hedgesim's vocabulary orders them."""
_MAX_ITERATIONS = 100
_ULPS = 4e-16


def optimal_hedge(
    utility: list[float],
    variance: list[float],
    risk_aversion: float,
    room_value: float,
    commitment: float,
    cost: float,
) -> list[float]:
    """The optimal weights over (EU, Russia, Ukraine, other) for one replicate."""
    curvature = [2.0 * risk_aversion * v for v in variance]
    weights = simplex_optimum(utility, curvature, room_value)
    if weights[RUSSIA] < commitment and cost > 0:
        utility, curvature = list(utility), list(curvature)
        utility[RUSSIA] += cost * commitment
        curvature[RUSSIA] += cost
        weights = simplex_optimum(utility, curvature, room_value)
    return weights


def simplex_optimum(utility: list[float], curvature: list[float], eta: float) -> list[float]:
    """Maximise ``u.w - sum a_j w_j^2 / 2 + eta H(w)`` over the simplex."""
    mu = max(u - a - eta for u, a in zip(utility, curvature, strict=True))
    weights = [1.0] * PARTNERS
    for _ in range(_MAX_ITERATIONS):
        logs = [_log_weight(u - eta - mu, a, eta) for u, a in zip(utility, curvature, strict=True)]
        weights = [math.exp(y) for y in logs]
        excess = sum(weights) - 1.0
        slope = sum(w / (a * w + eta) for w, a in zip(weights, curvature, strict=True))
        step = excess / slope
        mu += step
        if abs(step) <= _ULPS * (1.0 + abs(mu)) or excess <= 0.0:
            break
    total = sum(weights)
    return [w / total for w in weights]


def _log_weight(rhs: float, a: float, eta: float) -> float:
    """The root y of ``a e^y + eta y = rhs``: increasing and convex in y, so Newton from a point
    at or right of the root descends to it without overshooting."""
    if a <= 0.0:
        return rhs / eta
    y = rhs / eta if rhs <= 0.0 else min(rhs / eta, max(0.0, math.log(rhs / a)))
    for _ in range(_MAX_ITERATIONS):
        grown = a * math.exp(y)
        step = (grown + eta * y - rhs) / (grown + eta)
        if step <= _ULPS * (1.0 + abs(y)):
            break
        y -= step
    return y


def commitment_cost(
    tension: float,
    territory_used: bool,
    cost: float,
    cost_max: float,
    threshold: float,
    steepness: float,
    territory_share: float,
) -> float:
    """Cost of falling short of the alliance commitment: a logistic rise in tension past the
    neutrality threshold, at least ``territory_share`` of the way once territory is used."""
    rise = logistic((tension - threshold) / steepness)
    if territory_used:
        rise = max(rise, territory_share)
    return cost + (max(cost_max, cost) - cost) * rise


def logistic(x: float) -> float:
    """1 / (1 + e^-x), without overflow for large negative x."""
    if x < -700.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def dominant_driver(
    moved: list[float],
    trust_change: list[float],
    benefit_change: list[float],
    risk_change: list[float],
    commitment_change: float,
) -> int:
    """Which term (trust, benefit, risk, commitment) pushed the most-moved partner most in the
    direction it moved (the largest change either way when it did not move)."""
    partner = argmax_abs(moved)
    commitment = commitment_change if partner == RUSSIA else 0.0
    terms = [trust_change[partner], benefit_change[partner], risk_change[partner], commitment]
    if moved[partner] == 0.0:
        return argmax_abs(terms)
    direction = 1.0 if moved[partner] > 0 else -1.0
    signed = [direction * term for term in terms]
    return max(range(len(signed)), key=lambda k: (signed[k], -k))


def argmax_abs(values: list[float]) -> int:
    """Index of the largest absolute value, the first on ties."""
    best = 0
    for k, value in enumerate(values):
        if abs(value) > abs(values[best]):
            best = k
    return best
