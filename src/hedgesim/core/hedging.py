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

from hedgesim.core import hedge_kernel, kernels
from hedgesim.core.vocabulary import DRIVERS, EU, OTHER, PARTNERS, RUSSIA, UKRAINE

__all__ = ["DRIVERS", "EU", "OTHER", "PARTNERS", "RUSSIA", "UKRAINE"]

_NEWTON_STEPS = hedge_kernel.NEWTON_STEPS
_MAX_LOG_STEP = hedge_kernel.MAX_LOG_STEP
_TOLERANCE = hedge_kernel.TOLERANCE
_BLOCK = 2048
"""Rows solved together: a block's work arrays stay in cache (rows never depend on each other)."""
_SURELY_SHORT = hedge_kernel.SURELY_SHORT
"""A penalised Russia weight this far below the commitment is short of it for certain (the
solver is accurate to ~1e-15)."""


def _commitment_example() -> tuple:
    """Arguments of ``commitment_cost`` as a run passes them."""
    return np.full(1, 0.2), np.zeros(1, dtype=bool), 1.0, 9.0, 0.55, 0.04, 0.5


@kernels.compilable(_commitment_example)
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
    rise = 1.0 / (1.0 + np.exp(-(tension - threshold) / steepness))
    rise = np.maximum(rise, np.where(territory_used, territory_share, 0.0))
    return cost + (np.maximum(cost_max, cost) - cost) * rise


def as_column(value: float | np.ndarray) -> float | np.ndarray:
    """A parameter against arrays of shape (R, P): one value per replicate becomes a column
    (R, 1); one number stays the same number (so a run with scalar parameters is unchanged)."""
    return value if np.ndim(value) == 0 else np.asarray(value)[:, None]


def of_rows(value: float | np.ndarray, rows: np.ndarray | slice) -> float | np.ndarray:
    """A parameter's values for some replicates: one number serves them all."""
    return value if np.ndim(value) == 0 else value[rows]


def optimal_hedge(
    utility: np.ndarray,
    variance: np.ndarray,
    risk_aversion: float | np.ndarray,
    room_value: float | np.ndarray,
    commitment: float | np.ndarray,
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
        (Each of these three is one number, or one per replicate, shape (R,).)
        cost: kappa >= 0 per replicate, shape (R,): the cost of a shortfall below c.
        start: optional positive weights (R, 4) to start Newton from, such as last month's
            optimum; it saves iterations and changes the result only in the last bits.

    Returns:
        Weights of shape (R, 4), non-negative, summing to 1.

    The penalty is one-sided: rows whose optimum without it already meets the commitment keep
    it; the others are solved again with the penalty's quadratic active (its optimum then stays
    at or below c, where the one-sided and the two-sided penalties agree).

    Rows that were short at ``start`` are solved with the penalty first: the penalty only raises
    the Russia weight, so a penalised optimum clearly below c means the optimum without it is
    below c too, and that row's solve without the penalty is skipped (it would be discarded).
    """
    utility = np.atleast_2d(np.asarray(utility, dtype=float))
    cost = dense(cost, utility.shape[:1])
    if kernels.compiled():
        return _compiled(utility, variance, risk_aversion, room_value, commitment, cost, start)
    curvature = as_column(2.0 * risk_aversion) * np.atleast_2d(np.asarray(variance, dtype=float))
    if len(utility) <= _BLOCK:
        return _optimal_block(utility, curvature, room_value, commitment, cost, start).T
    weights = np.empty(utility.shape[::-1])
    for first in range(0, len(utility), _BLOCK):
        rows = slice(first, first + _BLOCK)
        weights[:, rows] = _optimal_block(
            utility[rows],
            curvature[rows],
            of_rows(room_value, rows),
            of_rows(commitment, rows),
            cost[rows],
            None if start is None else start[rows],
        )
    return weights.T


def _compiled(
    utility: np.ndarray,
    variance: np.ndarray,
    risk_aversion: float | np.ndarray,
    room_value: float | np.ndarray,
    commitment: float | np.ndarray,
    cost: np.ndarray,
    start: np.ndarray | None,
) -> np.ndarray:
    """``optimal_hedge`` by the compiled kernel, replicate by replicate, each row's curvature made
    in the kernel. Every input goes in as a contiguous, writable array of doubles, so the kernel
    is compiled for one type only (a read-only view, such as a broadcast, would be another)."""
    rows = utility.shape[:1]
    per_row = lambda value: dense(value, rows)
    weights = np.empty(utility.shape)
    kernels.optimal_hedge_rows(
        np.ascontiguousarray(utility),
        dense(variance, utility.shape),
        per_row(2.0 * risk_aversion),
        per_row(room_value),
        per_row(commitment),
        cost,
        weights if start is None else np.ascontiguousarray(start, dtype=float),
        start is not None,
        weights,
    )
    return weights


def dense(value: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A value as a contiguous, writable array of doubles of this shape (one per row, or one per
    row and partner): an array that is one already goes as it is, one number is repeated, anything
    else is broadcast and copied (the month's cost of a few numpy calls counts at small
    ensembles)."""
    if np.ndim(value) == 0:
        return np.full(shape, float(value))
    value = np.asarray(value)
    flags = value.flags
    if value.shape == shape and value.dtype == np.float64 and flags.c_contiguous and flags.writeable:
        return value
    return np.array(np.broadcast_to(value, shape), dtype=float)


def _optimal_block(
    utility: np.ndarray,
    curvature: np.ndarray,
    room_value: float,
    commitment: float,
    cost: np.ndarray,
    start: np.ndarray | None,
) -> np.ndarray:
    """``optimal_hedge`` of a block of rows, partner-major (P, n)."""
    priced = cost > 0
    guess = priced if start is None else priced & (start[:, RUSSIA] < commitment)
    penalised = np.zeros(utility.shape[::-1])
    sure = np.zeros(len(utility), dtype=bool)
    if guess.any():
        solved, converged = _solve_rows(utility, curvature, room_value, start, guess, cost, commitment)
        _put(penalised, guess, solved)
        sure[guess] = converged & (solved[RUSSIA] < of_rows(commitment, guess) - _SURELY_SHORT)
    if sure.all():
        return penalised
    free = ~sure
    weights = np.zeros_like(penalised)
    _put(weights, free, _solve_rows(utility, curvature, room_value, start, free)[0])
    short = free & priced & (weights[RUSSIA] < commitment)
    missing = short & ~guess
    if missing.any():
        again = _solve_rows(utility, curvature, room_value, start, missing, cost, commitment)
        _put(penalised, missing, again[0])
    taken = sure | short
    weights[:, taken] = penalised[:, taken]
    return weights


def _put(partner_major: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` (P, rows.sum()) into the columns ``rows`` of a (P, R) array."""
    if rows.all():
        partner_major[...] = values
    else:
        partner_major[:, rows] = values


def _solve_rows(
    utility: np.ndarray,
    curvature: np.ndarray,
    eta: float,
    start: np.ndarray | None,
    rows: np.ndarray,
    cost: np.ndarray | None = None,
    commitment: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The optimum of the rows ``rows``, partner-major (P, n), and which of them converged;
    with ``cost`` given, with the commitment penalty's quadratic active."""
    if cost is None and rows.all():
        return _solve_simplex(utility, curvature, eta, start)
    utility, curvature = utility[rows], curvature[rows]
    if cost is not None:
        utility[:, RUSSIA] += cost[rows] * of_rows(commitment, rows)
        curvature[:, RUSSIA] += cost[rows]
    return _solve_simplex(utility, curvature, of_rows(eta, rows), None if start is None else start[rows])


def _solve_simplex(
    utility: np.ndarray,
    curvature: np.ndarray,
    eta: float,
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise u.w - sum a_j w_j^2 / 2 + eta H(w) over w >= 0 summing to 1 (per row).

    Newton on y = log w and the multiplier mu of the sum constraint, from a blend of the
    risk-neutral optimum and the even split (or from ``start``).
    Stationarity: a_j w_j + eta (log w_j + 1) + mu = u_j.
    Rows stop on their own convergence, so a replicate's result never depends on the others.
    Works partner-major (P, R): sums over four contiguous rows are cheap. Returns the weights
    partner-major and which rows converged.
    """
    n_partners = utility.shape[1]
    target = np.ascontiguousarray((utility - as_column(eta)).T)
    curvature = np.ascontiguousarray(curvature.T)
    if start is None:
        risk_neutral = _softmax_log(utility / as_column(eta)).T
        log_w = np.logaddexp(risk_neutral, -np.log(n_partners)) - np.log(2.0)
    else:
        begin = np.maximum(start.T, 1e-300)
        log_w = np.log(begin * (1.0 / begin.sum(axis=0)))
    log_w = np.ascontiguousarray(log_w)
    mu = (target - curvature * np.exp(log_w) - eta * log_w).sum(axis=0) / n_partners  # the mean
    converged = _newton(log_w, mu, curvature, target, eta)
    w = np.exp(log_w)
    return w * (1.0 / w.sum(axis=0)), converged


def _newton(
    y: np.ndarray, mu: np.ndarray, curvature: np.ndarray, target: np.ndarray, eta: float
) -> np.ndarray:
    """Newton steps on (log w, mu), partner-major, in place on ``y``; each row stops once its
    largest step is below the tolerance. Returns which rows converged.

    Every row goes through the same operations in the same order whatever the other rows do;
    the buffers are reused and only the rows still going are carried forward. The three sums
    over partners a step needs are taken in one reduction.
    """
    log_w, rows = y, None
    a, t, m = curvature, target, mu
    summed, slope, residual = _buffers(y.shape)
    w, weighted, ratio = summed
    converged = np.ones(y.shape[1], dtype=bool)
    for _ in range(_NEWTON_STEPS):
        np.exp(y, out=w)
        aw = np.multiply(a, w, out=slope)
        np.multiply(eta, y, out=residual)
        residual += aw
        residual += m
        residual -= t
        slope += eta  # a w + eta
        np.divide(w, slope, out=ratio)
        np.multiply(ratio, residual, out=weighted)
        total, weighted_total, ratio_total = summed.sum(axis=1)
        d_mu = (total - 1.0 - weighted_total) / ratio_total
        step = np.subtract(-d_mu, residual, out=residual)
        step /= slope
        np.maximum(step, -_MAX_LOG_STEP, out=step)
        np.minimum(step, _MAX_LOG_STEP, out=step)
        y += step
        m = m + d_mu
        going = np.abs(step, out=step).max(axis=0) >= _TOLERANCE
        n_going = np.count_nonzero(going)
        if n_going == 0:
            break
        if n_going < going.size:
            if rows is None:
                rows = np.arange(y.shape[1])
            else:
                log_w[:, rows[~going]] = y[:, ~going]
            rows, y, a, t, m = rows[going], y[:, going], a[:, going], t[:, going], m[going]
            eta = of_rows(eta, going)
            summed, slope, residual = _buffers(y.shape)
            w, weighted, ratio = summed
    else:
        converged[... if rows is None else rows] = False
    if rows is not None:
        log_w[:, rows] = y
    return converged


def _buffers(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newton's work arrays: three stacked (P, n) arrays summed together, and two more."""
    return np.empty((3, *shape)), np.empty(shape), np.empty(shape)


def _softmax_log(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def herfindahl(weights: np.ndarray) -> np.ndarray:
    """Concentration of the hedge: 1/4 when even, 1 when all on one partner."""
    return np.sum(np.asarray(weights) ** 2, axis=-1)


def explained_moves(
    moved: np.ndarray, terms: tuple[np.ndarray, ...], previous: tuple[np.ndarray, ...] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the event log says of each replicate's move: the ``dominant_driver`` (from this
    month's and last month's terms, each (trust, gains, costs, risk, pull); 0 without last
    month's), the partner whose weight moved most (int8 codes into PARTNERS) and by how much.

    Trust's change weighs the gain, the gains' and costs' the trust, and the pull counts for Russia
    only. The compiled path computes the changes for the most-moved partner only.
    """
    rows = moved.shape[0]
    if kernels.compiled():
        driver, partner, moved_by = np.empty(rows, np.int8), np.empty(rows, np.int8), np.empty(rows)
        given = terms if previous is None else previous
        kernels.explained_moves(moved, terms, given, previous is not None, driver, partner, moved_by)
        return driver, partner, moved_by
    partner = np.argmax(np.abs(moved), axis=1)
    driver = np.zeros(rows, dtype=np.int8)
    if previous is not None:
        (trust, gains, costs, risk, pull), (t0, g0, k0, r0, c0) = terms, previous
        benefit_change = trust * (gains - g0) - (costs - k0)
        driver = dominant_driver(moved, (trust - t0) * gains, benefit_change, risk - r0, pull - c0)
    return driver, partner.astype(np.int8), moved[np.arange(rows), partner]


def dominant_driver(
    moved: np.ndarray,
    trust_change: np.ndarray,
    benefit_change: np.ndarray,
    risk_change: np.ndarray,
    commitment_change: np.ndarray,
) -> np.ndarray:
    """Index into DRIVERS of the term whose change pushed the most-moved partner's weight most
    in the direction it moved.

    Each ``*_change`` is the month's change in that term's contribution to each partner's marginal
    utility, shape (R, 4); ``commitment_change`` is (R,) and counts for Russia only. A term that
    changed against the move cannot be its reason (a weight that fell is never put down to trust
    that rose); a partner that did not move at all keeps the largest change either way.
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
    direction = np.sign(moved[rows, partner])[:, None]
    return np.argmax(np.where(direction == 0.0, np.abs(terms), terms * direction), axis=1).astype(np.int8)
