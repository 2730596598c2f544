"""Belarus's hedging rule as pure array functions.

Each month Belarus chooses engagement weights w over partners (EU, Russia, Ukraine, other) that
solve

    max_w  sum_j t_j b_j w_j  -  lambda * w' Sigma w  +  eta * H(w)  -  kappa/2 * max(c - w_russia, 0)^2
    s.t.   w_j >= 0,  sum_j w_j = 1

with t the trust in each partner, b its benefit, Sigma = diag(v) the payoff variances (Russia's
energy leverage, the EU's conditionality), lambda the risk aversion, H the entropy (the value of
room for manoeuvre), c the alliance commitment and kappa the cost of falling short of it (lost
security guarantees and discounts), which rises steeply once tension passes the neutrality
threshold. Falling short costs; it is not forbidden, so the Russia weight is chosen. The
objective is strictly concave, so the optimum is unique; it is found exactly (to machine
precision) by Newton's method on the KKT conditions, vectorised over replicates. Weights then
move toward the optimum with inertia.

By revealed preference, more risk aversion never raises the optimum's risk exposure w' Sigma w;
when partners are equally risky, exposure is proportional to the Herfindahl concentration, so
more risk aversion never concentrates the hedge.
"""

from __future__ import annotations

import numpy as np

from hedgesim.core.vocabulary import DRIVERS, EU, OTHER, PARTNERS, RUSSIA, UKRAINE

__all__ = ["DRIVERS", "EU", "OTHER", "PARTNERS", "RUSSIA", "UKRAINE"]

_NEWTON_STEPS = 60
_MAX_LOG_STEP = 4.0
_TOLERANCE = 1e-11


def commitment_cost(
    tension: np.ndarray,
    territory_used: np.ndarray,
    cost: float,
    cost_max: float,
    threshold: float,
    steepness: float,
    territory_share: float,
) -> np.ndarray:
    """Cost kappa of falling short of the commitment: rising steeply past the neutrality
    threshold, and at least ``territory_share`` of the way up once Belarusian territory is used."""
    rise = 1.0 / (1.0 + np.exp(-(np.asarray(tension) - threshold) / steepness))
    rise = np.maximum(rise, np.where(territory_used, territory_share, 0.0))
    return cost + (max(cost_max, cost) - cost) * rise


def optimal_hedge(
    utility: np.ndarray,
    variance: np.ndarray,
    risk_aversion: float,
    room_value: float,
    commitment: float,
    cost: np.ndarray,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Exact optimum of the hedging objective for each replicate.

    Args:
        utility: trust-discounted benefit t_j * b_j, shape (R, 4).
        variance: payoff variance v_j of each partner, shape (R, 4), non-negative.
        risk_aversion: lambda >= 0.
        room_value: eta > 0, the weight of the entropy term.
        commitment: c, the Russia weight the alliance asks for.
        cost: kappa >= 0 per replicate, shape (R,): the cost of a shortfall below c.
        start: optional positive weights (R, 4) to start Newton from, such as last month's
            optimum; it saves iterations and changes the result only in the last bits.

    Returns:
        Weights of shape (R, 4), non-negative, summing to 1.

    The penalty is one-sided: rows whose optimum without it already meets the commitment keep
    it; the others are solved again with the penalty's quadratic active (its optimum then stays
    at or below c, where the one-sided and the two-sided penalties agree).
    """
    utility = np.atleast_2d(np.asarray(utility, dtype=float))
    curvature = 2.0 * risk_aversion * np.atleast_2d(np.asarray(variance, dtype=float))
    cost = np.broadcast_to(np.asarray(cost, dtype=float), utility.shape[:1])
    weights = _solve_simplex(utility, curvature, room_value, np.ones(len(utility)), start)
    short = (weights[:, RUSSIA] < commitment) & (cost > 0)
    if short.any():
        u, a = utility[short].copy(), curvature[short].copy()
        u[:, RUSSIA] += cost[short] * commitment
        a[:, RUSSIA] += cost[short]
        weights[short] = _solve_simplex(
            u, a, room_value, np.ones(int(short.sum())), None if start is None else start[short]
        )
    return weights


def _solve_simplex(
    utility: np.ndarray,
    curvature: np.ndarray,
    eta: float,
    total: np.ndarray,
    start: np.ndarray | None,
) -> np.ndarray:
    """Maximise u.w - sum a_j w_j^2 / 2 + eta H(w) over w >= 0 summing to ``total`` (per row).

    Newton on y = log w and the multiplier mu of the sum constraint, from a blend of the
    risk-neutral optimum and the even split (or from ``start``).
    Stationarity: a_j w_j + eta (log w_j + 1) + mu = u_j.
    Rows stop on their own convergence, so a replicate's result never depends on the others.
    Works partner-major (P, R) internally: sums over four contiguous rows are cheap.
    """
    n_partners = utility.shape[1]
    target = np.ascontiguousarray((utility - eta).T)
    curvature = np.ascontiguousarray(curvature.T)
    log_total = np.log(total)
    if start is None:
        risk_neutral = _softmax_log(utility / eta).T + log_total
        log_w = np.logaddexp(risk_neutral, log_total - np.log(n_partners)) - np.log(2.0)
    else:
        begin = np.maximum(start.T, 1e-300)
        log_w = np.log(begin * (total / begin.sum(axis=0)))
    mu = np.mean(target - curvature * np.exp(log_w) - eta * log_w, axis=0)
    rows = np.arange(utility.shape[0])
    y, a, t, tot, m = log_w, curvature, target, total, mu
    for _ in range(_NEWTON_STEPS):
        w = np.exp(y)
        residual = a * w + eta * y + m - t
        slope = a * w + eta
        ratio = w / slope
        d_mu = (w.sum(axis=0) - tot - (ratio * residual).sum(axis=0)) / ratio.sum(axis=0)
        step = np.clip((-residual - d_mu) / slope, -_MAX_LOG_STEP, _MAX_LOG_STEP)
        y = y + step
        m = m + d_mu
        log_w[:, rows], mu[rows] = y, m
        going = np.abs(step).max(axis=0) >= _TOLERANCE
        if not going.any():
            break
        if not going.all():
            rows, y, a, t, tot, m = rows[going], y[:, going], a[:, going], t[:, going], tot[going], m[going]
    w = np.exp(log_w)
    return (w * (total / w.sum(axis=0))).T


def _softmax_log(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def move_toward(weights: np.ndarray, target: np.ndarray, inertia: float) -> np.ndarray:
    """Partial adjustment toward the optimum (a convex combination stays on the simplex)."""
    return weights + inertia * (target - weights)


def shortfall_pull(weights: np.ndarray, commitment: float, cost: np.ndarray) -> np.ndarray:
    """The commitment term's marginal utility for Russia: kappa * max(c - w_russia, 0)."""
    return cost * np.maximum(commitment - weights[:, RUSSIA], 0.0)


def herfindahl(weights: np.ndarray) -> np.ndarray:
    """Concentration of the hedge: 1/4 when even, 1 when all on one partner."""
    return np.sum(np.asarray(weights) ** 2, axis=-1)


def dominant_driver(
    moved: np.ndarray,
    trust_change: np.ndarray,
    benefit_change: np.ndarray,
    risk_change: np.ndarray,
    commitment_change: np.ndarray,
) -> np.ndarray:
    """Index into DRIVERS of the term whose change moved the most-moved partner's weight most.

    Each ``*_change`` is the month's change in that term's contribution to each partner's marginal
    utility, shape (R, 4); ``commitment_change`` is (R,) and counts for Russia only.
    """
    rows = np.arange(moved.shape[0])
    partner = np.argmax(np.abs(moved), axis=1)
    commitment_term = np.where(partner == RUSSIA, commitment_change, 0.0)
    terms = np.stack(
        [
            trust_change[rows, partner],
            benefit_change[rows, partner],
            risk_change[rows, partner],
            commitment_term,
        ],
        axis=1,
    )
    return np.argmax(np.abs(terms), axis=1)
