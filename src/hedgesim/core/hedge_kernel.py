"""The hedging solve as a compiled kernel (numba, through ``kernels``): ``hedging.optimal_hedge``
for every replicate, eight replicates side by side.

Each row is solved alone, by Newton's method on (log w, mu) of the entropy-regularised problem,
exactly as the numpy reference in ``hedging`` solves it (the same start, steps, limits and
stopping rule), but the weights grow by a short series where a step is small (no ``exp``), so
the optimum agrees with the reference's to about 1e-15. A row's doubles never depend on the rows
beside it: the eight of a block only take their steps in turn, each stopping at its own
convergence, so the processor overlaps one row's dependent arithmetic with the others', and a
row's weights are the same whatever block, ensemble or order it is solved in.
"""

from __future__ import annotations

import math

import numpy as np

from hedgesim.core.vocabulary import PARTNERS, RUSSIA

NEWTON_STEPS = 60
MAX_LOG_STEP = 4.0
TOLERANCE = 1e-11
SURELY_SHORT = 1e-9
"""Newton's limits, shared with the reference path in ``hedging``."""
SERIES_STEP = 1e-3
"""Below this log step a weight grows by the exponential's series, not by ``exp`` (``_grown``)."""
SIDE_BY_SIDE = 8
"""Rows solved side by side: enough independent work to fill the processor's pipelines."""
P = len(PARTNERS)
"""Partners, a constant the compiler unrolls each row's loops over."""

KERNELS = ("_grown", "_start_row", "_newton_steps", "_solve_rows", "_optimal_hedge_rows")
"""This module's kernels, compiled by ``kernels`` on first use, callees first."""
INLINED = ("_grown", "_start_row", "_newton_steps")
"""Kernels compiled into their callers: a call per weight and step would cost more than the step."""


def _grown(w, step):
    """``w * exp(step)``: for a step under ``SERIES_STEP`` by the exponential's series to the
    fifth power, whose remainder (under 2e-21 of ``w``) is below a double's last bit, so Newton's
    last steps, all small, need no ``exp``."""
    if abs(step) < SERIES_STEP:
        return w + w * (step * (1.0 + step * (0.5 + step * (1.0 / 6.0 + step * (1.0 / 24.0 + step / 120.0)))))
    return w * math.exp(step)


def _start_row(u, a, eta, start, has_start, b, y, w, t):
    """Newton's starting point for row ``b`` of a block (column ``b`` of the (P, block) work
    arrays ``y`` = log w, ``w`` and ``t`` = u - eta): ``start`` normalised, or a blend of the
    risk-neutral optimum and the even split. ``u`` and ``a`` are the row's utility and
    curvature. Returns mu."""
    n = P
    for j in range(n):
        t[j, b] = u[j] - eta
    if has_start:
        total = 0.0
        for j in range(n):
            w[j, b] = max(start[j], 1e-300)
            total += w[j, b]
        inverse = 1.0 / total
        for j in range(n):
            w[j, b] = w[j, b] * inverse
            y[j, b] = math.log(w[j, b])
    else:
        top = u[0] / eta
        for j in range(1, n):
            top = max(top, u[j] / eta)
        total = 0.0
        for j in range(n):
            total += math.exp(u[j] / eta - top)
        log_total = math.log(total)
        even = -math.log(n)
        for j in range(n):
            risk_neutral = (u[j] / eta - top) - log_total
            high, low = max(risk_neutral, even), min(risk_neutral, even)
            y[j, b] = high + math.log1p(math.exp(low - high)) - math.log(2.0)
            w[j, b] = math.exp(y[j, b])
    mu = 0.0
    for j in range(n):
        mu += t[j, b] - a[j, b] * w[j, b] - eta * y[j, b]
    return mu / n


def _newton_steps(a, eta, t, y, w, mu, size, converged, residual, inverse_slope):
    """Newton's steps on the first ``size`` rows of a block (columns of the work arrays), each
    row until its largest log step falls under ``TOLERANCE`` (``converged``) or the steps run
    out; ``y``, ``w`` (= exp(y)) and ``mu`` in place."""
    n = P
    going = size
    for _ in range(NEWTON_STEPS):
        if going == 0:
            break
        for b in range(size):
            if converged[b]:
                continue
            total = 0.0
            weighted_total = 0.0
            ratio_total = 0.0
            for j in range(n):
                inverse_slope[j, b] = 1.0 / (a[j, b] * w[j, b] + eta[b])
                residual[j, b] = eta[b] * y[j, b] + a[j, b] * w[j, b] + mu[b] - t[j, b]
                ratio = w[j, b] * inverse_slope[j, b]
                total += w[j, b]
                weighted_total += ratio * residual[j, b]
                ratio_total += ratio
            d_mu = (total - 1.0 - weighted_total) / ratio_total
            largest = 0.0
            for j in range(n):
                step = (-d_mu - residual[j, b]) * inverse_slope[j, b]
                step = min(max(step, -MAX_LOG_STEP), MAX_LOG_STEP)
                y[j, b] += step
                w[j, b] = _grown(w[j, b], step)
                largest = max(largest, abs(step))
            mu[b] = mu[b] + d_mu
            if largest < TOLERANCE:
                converged[b] = True
                going -= 1


def _solve_rows(rows, count, penalised, problem, out, ok):
    """Maximise u.w - sum a_j w_j^2 / 2 + eta H(w) on the simplex for the replicates
    ``rows[:count]``, ``SIDE_BY_SIDE`` at a time: each row's weights into its row of ``out``,
    whether it converged into ``ok``. The curvature a is the variances times twice the risk
    aversion; ``penalised`` adds the commitment's quadratic, cost kappa, to Russia's terms
    (u_R + kappa c, a_R + kappa). ``problem`` is ``_optimal_hedge_rows``'s inputs, as a tuple."""
    utility, variance, twice_risk, eta, commitment, cost, start, has_start = problem
    n = P
    block = SIDE_BY_SIDE
    a, y, w, t = np.empty((n, block)), np.empty((n, block)), np.empty((n, block)), np.empty((n, block))
    residual, inverse_slope = np.empty((n, block)), np.empty((n, block))
    row_u, row_a = np.empty(n), np.empty(n)
    mu, row_eta = np.empty(block), np.empty(block)
    converged = np.empty(block, dtype=np.bool_)
    for first in range(0, count, block):
        size = min(block, count - first)
        for b in range(size):
            i = rows[first + b]
            for j in range(n):
                row_a[j] = twice_risk[i] * variance[i, j]
                row_u[j] = utility[i, j]
            if penalised:
                row_u[RUSSIA] += cost[i] * commitment[i]
                row_a[RUSSIA] += cost[i]
            for j in range(n):
                a[j, b] = row_a[j]
            row_eta[b] = eta[i]
            mu[b] = _start_row(row_u, a, eta[i], start[i], has_start, b, y, w, t)
            converged[b] = False
        _newton_steps(a, row_eta, t, y, w, mu, size, converged, residual, inverse_slope)
        for b in range(size):
            i = rows[first + b]
            total = 0.0
            for j in range(n):
                total += w[j, b]
            inverse = 1.0 / total
            for j in range(n):
                out[i, j] = w[j, b] * inverse
            ok[i] = converged[b]


def _optimal_hedge_rows(utility, variance, twice_risk, eta, commitment, cost, start, has_start, out):
    """``hedging.optimal_hedge`` into ``out`` (R, P), as the reference decides each row: the
    penalised solve first where last month was short; the free solve where that is not surely
    short; the penalised one after it where the free optimum falls short of the commitment."""
    n_rows, n = utility.shape[0], P
    penalised, free = np.empty((n_rows, n)), np.empty((n_rows, n))
    ok = np.empty(n_rows, dtype=np.bool_)
    guessed = np.empty(n_rows, dtype=np.bool_)
    rows = np.empty(n_rows, dtype=np.int64)
    problem = (utility, variance, twice_risk, eta, commitment, cost, start, has_start)
    count = 0
    for i in range(n_rows):
        guessed[i] = cost[i] > 0.0 and (not has_start or start[i, RUSSIA] < commitment[i])
        if guessed[i]:
            rows[count] = i
            count += 1
    _solve_rows(rows, count, True, problem, penalised, ok)
    count = 0
    for i in range(n_rows):
        if guessed[i] and ok[i] and penalised[i, RUSSIA] < commitment[i] - SURELY_SHORT:
            out[i] = penalised[i]
        else:
            rows[count] = i
            count += 1
    _solve_rows(rows, count, False, problem, free, ok)
    again = 0
    for k in range(count):
        i = rows[k]
        if cost[i] > 0.0 and free[i, RUSSIA] < commitment[i]:
            if guessed[i]:
                out[i] = penalised[i]
            else:
                rows[again] = i
                again += 1
        else:
            out[i] = free[i]
    _solve_rows(rows, again, True, problem, penalised, ok)
    for k in range(again):
        out[rows[k]] = penalised[rows[k]]
